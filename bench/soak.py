"""Benchmark: a soak of the default configuration under a busy farm's mixed load.

The simulator in its own process, the whole orchestrator in another (`orchestrator serve`
with no flags but where it listens and which ADB server it drives: `_harness.orchestrator`)
on a fresh data folder; the load from this process (trio + httpx), for `--minutes`:

- creates: about 10 `POST /task` a second, each of 5 `follow` tasks (about 0.1 s on a
  simulated phone) spread over the phones; some due at a `start_time` a minute or two
  ahead, some one phone's with a `min_interval`/`max_interval` gap. Each carries a tag of
  its own in `script_config` (an unknown key is kept, API.md) and the same string as its
  `Idempotency-Key`; a 50301 is honoured (no create is sent before its `Retry-After` has
  passed) and that create is sent again, same key and tag;
- 8 pollers: `GET /task/stats` and a filtered `GET /task` page, in turn;
- each cycle (a minute): stops of running tasks (pending ones if too few run), a check of
  what they did, `POST /task/retry-all`, and a `DELETE /task/batch` of the oldest
  finished tasks.

Every interval it records the answers by code, each route kind's latency p50/p99, tasks
completed per second, and the server's RSS, open file descriptors, threads, CPU and
SQLite WAL size. Then it checks that every answer was the truth (API.md, "Under load"):
once the store has settled it lists every task, and each create answered 0 must have made
exactly the tasks it named, each create refused none; each delete answered 0 removed
what it named, a refused one nothing; each stop answered 0 left its task stopped (unless
a retry-all ran it again since), a refused one did not. "Refused but applied" and
"answered success but missing" must both be 0; the exit status is 1 if they are not.

    python -m bench.soak                      # 20 min, 1,000 phones -> results/soak.json, .png
    python -m bench.soak --minutes 0.2 --phones 5 --interval 3 --cycle 4 --out /tmp/s.json
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio

from orchestrator.settings import Settings

from . import _harness
from ._core import percentiles

#: The script the creates run: about 0.1 s on a simulated phone (`access_method` direct).
SCRIPT = "follow"
#: The `script_config` key that names the create a task came from.
TAG = "soak_tag"
#: The client's own deadline for any answer; past it the request counts as a timeout.
CLIENT_TIMEOUT = 30.0
#: A create refused with 50301 is sent at most this many times in all.
MAX_ATTEMPTS = 4
#: What a failed request gets instead of an envelope's code (no answer at all).
TIMEOUT, TRANSPORT = "timeout", "transport"
NO_ANSWER = (TIMEOUT, TRANSPORT)
OVERLOADED = "50301"
#: The route kinds whose latency is kept apart.
KINDS = ("create", "stats", "page", "task", "stop", "retry_all", "delete")


@attrs.frozen(kw_only=True)
class Shape:
    """The load, and how often it is looked at."""

    seconds: float
    creates_per_s: float = 10.0
    tasks_per_create: int = 5
    pollers: int = 8
    poll_pause: float = 0.25  # each poller's pause after each request
    interval: float = 15.0  # one sample of the figures
    cycle: float = 60.0  # stops, retry-all and delete, once each
    stops: int = 5
    delete_batch: int = 100
    creates_in_flight: int = 64  # past this many unanswered creates, the pace waits
    settle_max: float = 120.0  # after the load, for the store to settle before the check


@attrs.frozen
class Answer:
    """One request's outcome: the envelope's code (as text), or TIMEOUT/TRANSPORT."""

    code: str
    data: Any
    retry_after: float | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.code == "0"

    @property
    def refused(self) -> bool:
        """Answered, with an error: nothing may have been applied."""
        return self.code != "0" and self.code not in NO_ANSWER


def code_group(code: str) -> str:
    """The answer groups the report counts: 0, 50301, other, timeout (and transport)."""
    return code if code in ("0", OVERLOADED, *NO_ANSWER) else "other"


def is_stopped(task: Mapping[str, Any]) -> bool:
    """A task failed by a user's stop: its remark says so (API.md: "remark says stopped")."""
    return bool(task["status"] == 3 and str(task["remark"]).lower().startswith("stopped"))


def tag_of(task: Mapping[str, Any]) -> str:
    return str(task["script_config"].get(TAG, ""))


class Recorder:
    """Answers by code and latencies by route kind, per interval and for the whole run."""

    def __init__(self) -> None:
        self.codes: Counter[str] = Counter()
        self.latencies: defaultdict[str, list[float]] = defaultdict(list)
        self.total_codes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.total_latencies: defaultdict[str, list[float]] = defaultdict(list)

    def record(self, kind: str, answer: Answer) -> None:
        self.codes[answer.code] += 1
        self.latencies[kind].append(answer.seconds)
        self.total_codes[kind][answer.code] += 1
        self.total_latencies[kind].append(answer.seconds)

    def take(self) -> dict[str, Any]:
        """This interval's figures; the next interval starts empty."""
        groups: Counter[str] = Counter()
        for code, count in self.codes.items():
            groups[code_group(code)] += count
        figures = {"answers": {g: groups.get(g, 0) for g in ("0", OVERLOADED, "other",
                                                              TIMEOUT)},
                   "codes": dict(self.codes),
                   "latency_ms": {kind: _p50_p99(values)
                                  for kind, values in sorted(self.latencies.items())}}
        self.codes, self.latencies = Counter(), defaultdict(list)
        return figures

    def totals(self) -> dict[str, Any]:
        return {kind: {"codes": dict(self.total_codes[kind]),
                       **_p50_p99(self.total_latencies[kind])}
                for kind in KINDS if kind in self.total_codes}


def _p50_p99(values: Sequence[float]) -> dict[str, Any]:
    figures = percentiles(values)
    return {key: figures[key] for key in ("count", "p50_ms", "p99_ms", "max_ms")
            if key in figures}


@attrs.define
class Stop:
    task_id: int
    answer: Answer
    #: The task as read after the answer (None: no such task any more).
    seen_after: list[Mapping[str, Any] | None] = attrs.Factory(list)


@attrs.define
class Delete:
    requested: tuple[int, ...]
    answer: Answer


@attrs.define
class Ledger:
    """What was asked and answered, and every task any answer showed: the truth check's input."""

    creates: defaultdict[str, list[Answer]] = attrs.Factory(lambda: defaultdict(list))
    stops: list[Stop] = attrs.Factory(list)
    deletes: list[Delete] = attrs.Factory(list)
    seen: dict[int, str] = attrs.Factory(dict)  # task id -> the tag of its create
    reused_ids: int = 0  # an id seen with two tags (must stay 0)
    claimed: set[int] = attrs.Factory(set)  # asked to stop or delete: never picked again
    completed_deleted: int = 0  # completed tasks the deletes removed (for completed/s)

    def see(self, tasks: Iterable[Mapping[str, Any]]) -> None:
        for task in tasks:
            tag = tag_of(task)
            if self.seen.setdefault(task["id"], tag) != tag:
                self.reused_ids += 1


@attrs.frozen
class Farm:
    """What the load works against."""

    port: int
    pid: int
    simulator_pid: int
    wal: Path
    serials: tuple[str, ...]


class Soak:
    """The load's clients and their shared state, for one run."""

    def __init__(self, farm: Farm, shape: Shape, *, seed: int) -> None:
        self.farm, self.shape = farm, shape
        self.rng = random.Random(seed)
        self.run_id = secrets.token_hex(4)
        self.recorder, self.ledger = Recorder(), Ledger()
        self.started = trio.current_time()
        self.deadline = self.started + shape.seconds
        self.not_before = 0.0  # no create before this moment (a 50301's Retry-After)
        self.creates_sent = 0
        self.creates_in_flight = 0

    def client(self, connections: int = 1) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.farm.port}/api/v1", timeout=CLIENT_TIMEOUT,
            limits=httpx.Limits(max_connections=connections,
                                max_keepalive_connections=connections))

    def going(self) -> bool:
        return trio.current_time() < self.deadline

    async def call(self, client: httpx.AsyncClient, kind: str, method: str, url: str,
                   **kwargs: Any) -> Answer:
        """Send one request; its answer, recorded under `kind`."""
        began = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            answer = Answer(TIMEOUT, None, None, time.perf_counter() - began)
        except httpx.TransportError:
            answer = Answer(TRANSPORT, None, None, time.perf_counter() - began)
        else:
            answer = _read(response, time.perf_counter() - began)
        self.recorder.record(kind, answer)
        return answer

    # ---- creates ---------------------------------------------------------------------

    async def create_at_pace(self) -> None:
        period = 1 / self.shape.creates_per_s
        slots = trio.Semaphore(self.shape.creates_in_flight)
        async with self.client(self.shape.creates_in_flight) as client, \
                trio.open_nursery() as nursery:
            next_at = trio.current_time()
            while True:
                next_at = max(next_at + period, self.not_before)
                if next_at >= self.deadline:
                    return
                await trio.sleep_until(next_at)
                await slots.acquire()
                next_at = max(next_at, trio.current_time())  # a full pipe: no catching up
                nursery.start_soon(self.create, client, slots)

    async def create(self, client: httpx.AsyncClient, slots: trio.Semaphore) -> None:
        self.creates_sent += 1
        self.creates_in_flight += 1
        tag = f"{self.run_id}-{self.creates_sent:07d}"
        body = self.create_body(tag)
        try:
            for _ in range(MAX_ATTEMPTS):
                answer = await self.call(client, "create", "POST", "/task", json=body,
                                         headers={"Idempotency-Key": tag})
                self.ledger.creates[tag].append(answer)
                if answer.code != OVERLOADED:
                    return
                wait = answer.retry_after or 1.0
                self.not_before = max(self.not_before, trio.current_time() + wait)
                if trio.current_time() + wait >= self.deadline:
                    return
                await trio.sleep(wait)
        finally:
            self.creates_in_flight -= 1
            slots.release()

    def create_body(self, tag: str) -> dict[str, Any]:
        """5 follow tasks: on 5 phones (now, or at a start_time 1-2 min ahead), or on one
        phone with a gap of 0-1 min between them."""
        rng, serials, tasks = self.rng, self.farm.serials, self.shape.tasks_per_create
        body: dict[str, Any] = {"script_name": SCRIPT}
        kind = rng.random()
        if kind < 0.2:
            chosen, targets = rng.sample(serials, 1), tasks
            body |= {"min_interval": 0, "max_interval": 1}
        else:
            chosen = rng.sample(serials, min(tasks, len(serials)))
            targets = math.ceil(tasks / len(chosen))
        if 0.2 <= kind < 0.4:
            ahead = time.time() + 60 * rng.randint(1, 2)
            body["start_time"] = time.strftime("%H:%M", time.localtime(ahead))
        users = [f"soak{n:06d}" for n in rng.sample(range(1_000_000), targets)]
        body |= {"serials": chosen, "script_config": {
            "target_users": users, "access_method": "direct", TAG: tag}}
        return body

    # ---- pollers ---------------------------------------------------------------------

    async def poll(self) -> None:
        async with self.client() as client:
            while self.going():
                await self.call(client, "stats", "GET", "/task/stats")
                await trio.sleep(self.shape.poll_pause)
                if not self.going():
                    return
                answer = await self.call(client, "page", "GET", "/task",
                                         params=self.page_query())
                if answer.ok:
                    self.ledger.see(answer.data["tasks"])
                await trio.sleep(self.shape.poll_pause)

    def page_query(self) -> dict[str, Any]:
        """One of the filters a farm's screens ask for, on one of the first pages."""
        rng = self.rng
        filters: list[dict[str, Any]] = [
            {"status": rng.randint(0, 3)}, {"serial": rng.choice(self.farm.serials)},
            {"serial": rng.choice(self.farm.serials), "status": rng.choice([2, 3])},
            {"script_name": SCRIPT}, {"script_name": SCRIPT, "source": "api"}, {}]
        return {**rng.choice(filters), "page": rng.randint(1, 3),
                "page_size": rng.choice([20, 50, 100])}

    # ---- each cycle: stops, their check, retry-all, delete -----------------------------

    async def control(self) -> None:
        actions = ((0.2, self.stop_some), (0.5, self.check_stops), (0.6, self.retry_all),
                   (0.8, self.delete_old))
        async with self.client(self.shape.stops) as client:
            for cycle in range(math.ceil(self.shape.seconds / self.shape.cycle)):
                for at, action in actions:
                    moment = self.started + (cycle + at) * self.shape.cycle
                    if moment >= self.deadline:
                        return
                    await trio.sleep_until(moment)
                    await action(client, cycle)

    async def pick(self, client: httpx.AsyncClient, status: int, count: int,
                   order: str = "desc") -> list[int]:
        """Up to `count` ids of tasks in `status` not asked about before."""
        if count <= 0:
            return []
        answer = await self.call(client, "page", "GET", "/task", params={
            "status": status, "order": order, "page_size": 100})
        if not answer.ok:
            return []
        self.ledger.see(answer.data["tasks"])
        ids = [t["id"] for t in answer.data["tasks"] if t["id"] not in self.ledger.claimed]
        return ids[:count]

    async def stop_some(self, client: httpx.AsyncClient, cycle: int) -> None:
        ids = await self.pick(client, 1, self.shape.stops)
        ids += await self.pick(client, 0, self.shape.stops - len(ids))
        self.ledger.claimed.update(ids)
        async with trio.open_nursery() as nursery:
            for task_id in ids:
                nursery.start_soon(self.stop_one, client, task_id)

    async def stop_one(self, client: httpx.AsyncClient, task_id: int) -> None:
        answer = await self.call(client, "stop", "POST", f"/task/{task_id}/stop")
        self.ledger.stops.append(Stop(task_id, answer))

    async def check_stops(self, client: httpx.AsyncClient, cycle: int) -> None:
        """Read each task this cycle stopped (before the retry-all may run it again)."""
        for stop in [s for s in self.ledger.stops if not s.seen_after]:
            answer = await self.call(client, "task", "GET", f"/task/{stop.task_id}")
            if answer.ok:
                self.ledger.see([answer.data])
                stop.seen_after.append(answer.data)
            elif answer.code == "40401":
                stop.seen_after.append(None)

    async def retry_all(self, client: httpx.AsyncClient, cycle: int) -> None:
        await self.call(client, "retry_all", "POST", "/task/retry-all")

    async def delete_old(self, client: httpx.AsyncClient, cycle: int) -> None:
        """Delete the oldest finished tasks: completed ones, and a few failed."""
        batch = self.shape.delete_batch
        completed = await self.pick(client, 2, batch - batch // 5, order="asc")
        failed = await self.pick(client, 3, batch - len(completed), order="asc")
        requested = tuple(completed + failed)
        if not requested:
            return
        self.ledger.claimed.update(requested)
        answer = await self.call(client, "delete", "DELETE", "/task/batch",
                                 json={"task_ids": list(requested)})
        self.ledger.deletes.append(Delete(requested, answer))
        if answer.ok:
            self.ledger.completed_deleted += len(set(answer.data["task_ids"]) & set(completed))

    # ---- the figures, every interval -------------------------------------------------

    async def sample_until(self, done: trio.Event) -> list[dict[str, Any]]:
        samples: list[dict[str, Any]] = []
        cpu = self.cpu()
        last_at, last_completed = trio.current_time(), 0
        async with self.client() as client:
            while not done.is_set():
                with trio.move_on_at(last_at + self.shape.interval):
                    await done.wait()
                if done.is_set() and trio.current_time() - last_at < self.shape.interval / 2:
                    break  # a last stretch too short to say much (the totals have it)
                sample, cpu = self.sample_processes(cpu, trio.current_time() - last_at)
                sample.update(self.recorder.take())
                stats = await self.stats(client)
                now = trio.current_time()
                sample |= {"t_s": round(now - self.started, 1),
                           "seconds": round(now - last_at, 2), "stats": stats,
                           "creates_in_flight": self.creates_in_flight}
                if stats is not None:
                    completed = stats["completed"] + self.ledger.completed_deleted
                    sample["completed_per_s"] = round(
                        (completed - last_completed) / (now - last_at), 1)
                    last_completed = completed
                last_at = now
                samples.append(sample)
        return samples

    def cpu(self) -> tuple[float, float, float]:
        """CPU seconds so far of the orchestrator, the simulator and this process."""
        return (_harness.cpu_seconds(self.farm.pid),
                _harness.cpu_seconds(self.farm.simulator_pid),
                _harness.cpu_seconds(os.getpid()))

    def sample_processes(self, cpu: tuple[float, float, float],
                         elapsed: float) -> tuple[dict[str, Any], tuple[float, float, float]]:
        now = self.cpu()
        percent = [round(100 * (b - a) / elapsed, 1) for a, b in zip(cpu, now, strict=True)]
        pid = self.farm.pid
        wal = self.farm.wal.stat().st_size if self.farm.wal.exists() else 0
        return {"rss_kib": _harness.rss_kib(pid), "fds": _harness.open_fds(pid),
                "threads": _harness.threads(pid), "wal_kib": wal // 1024,
                "cpu_percent": percent[0], "simulator_cpu_percent": percent[1],
                "load_cpu_percent": percent[2]}, now

    async def stats(self, client: httpx.AsyncClient) -> dict[str, int] | None:
        with trio.move_on_after(min(10.0, self.shape.interval)):
            return await read_stats(client)
        return None


async def read_stats(client: httpx.AsyncClient) -> dict[str, int] | None:
    """`GET /task/stats`'s counts, or None if it was not answered with them."""
    try:
        answer = (await client.get("/task/stats")).json()
    except (httpx.HTTPError, ValueError):
        return None
    stats: dict[str, int] | None = answer.get("data") if answer.get("code") == 0 else None
    return stats


def _read(response: httpx.Response, seconds: float) -> Answer:
    try:
        envelope = response.json()
        code, data = str(envelope["code"]), envelope["data"]
    except (ValueError, KeyError, TypeError):
        code, data = f"http{response.status_code}", None
    retry_after = None
    if "Retry-After" in response.headers:
        try:
            retry_after = float(response.headers["Retry-After"])
        except ValueError:
            retry_after = 1.0
    return Answer(code, data, retry_after, seconds)


# ---- after the load: settle, list every task, check the answers ----------------------------

async def settle(client: httpx.AsyncClient, most: float) -> float:
    """Wait until the store's total has not moved for 5 s (late writes of requests
    answered long ago land meanwhile), at most `most` seconds; the seconds it took."""
    began = trio.current_time()
    last: int | None = None
    still_since = began
    while trio.current_time() - began < most:
        stats = await read_stats(client)
        total = None if stats is None else stats["total"]
        if total is None or total != last:  # no answer is not standing still
            last, still_since = total, trio.current_time()
        elif trio.current_time() - still_since >= 5:
            break
        await trio.sleep(1)
    return round(trio.current_time() - began, 1)


async def every_task(client: httpx.AsyncClient) -> dict[int, dict[str, Any]]:
    """Every task in the store, oldest first, a page of 100 at a time."""
    tasks: dict[int, dict[str, Any]] = {}
    for page in range(1, 10**6):
        response = await client.get("/task", params={"order": "asc", "page": page,
                                                     "page_size": 100})
        rows = response.json()["data"]["tasks"]
        tasks.update((t["id"], t) for t in rows)
        if len(rows) < 100:
            break
    return tasks


@attrs.define
class Truth:
    """The check's counts; `refused_applied` and `ok_missing` must stay 0."""

    refused_applied: Counter[str] = attrs.Factory(Counter)
    ok_missing: Counter[str] = attrs.Factory(Counter)
    by_code: defaultdict[str, Counter[str]] = attrs.Factory(lambda: defaultdict(Counter))
    other: Counter[str] = attrs.Factory(Counter)
    examples: list[str] = attrs.Factory(list)

    def example(self, text: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(text)

    def figures(self) -> dict[str, Any]:
        refused = {k: self.refused_applied.get(k, 0)
                   for k in ("creates", "create_tasks", "deletes", "delete_tasks", "stops")}
        missing = {k: self.ok_missing.get(k, 0)
                   for k in ("creates", "create_tasks", "deletes", "delete_tasks", "stops")}
        return {"refused_but_applied": refused, "answered_success_but_missing": missing,
                "refused_but_applied_total": refused["creates"] + refused["deletes"]
                + refused["stops"],
                "answered_success_but_missing_total": missing["creates"] + missing["deletes"]
                + missing["stops"],
                "by_code": {code: dict(c) for code, c in sorted(self.by_code.items())},
                "other": dict(self.other), "examples": self.examples}


def check_creates(ledger: Ledger, truth: Truth) -> None:
    made: defaultdict[str, set[int]] = defaultdict(set)
    for task_id, tag in ledger.seen.items():
        made[tag].add(task_id)
    for tag, answers in ledger.creates.items():
        named = {i for a in answers if a.ok for i in a.data["task_ids"]}
        found = made.pop(tag, set())
        missing, extra = named - found, found - named
        for answer in answers:
            truth.by_code[answer.code]["creates"] += 1
        last = answers[-1]
        if missing:
            truth.ok_missing.update({"creates": 1, "create_tasks": len(missing)})
            truth.example(f"create {tag}: answered 0, tasks {sorted(missing)} missing")
        if extra and any(a.refused for a in answers):
            truth.refused_applied.update({"creates": 1, "create_tasks": len(extra)})
            truth.by_code[_refusal(answers)]["creates_applied"] += 1
            truth.example(f"create {tag}: answered {_refusal(answers)} after "
                          f"{last.seconds:.1f} s, yet made tasks {sorted(extra)}")
        elif extra and last.code in NO_ANSWER:
            truth.other["creates_unanswered_applied"] += 1
        elif extra:
            truth.other["creates_answered_0_extra_tasks"] += 1
    truth.other["tasks_of_no_create"] = sum(len(ids) for ids in made.values())


def _refusal(answers: Sequence[Answer]) -> str:
    return next(a.code for a in answers if a.refused)


def check_deletes(ledger: Ledger, final: Mapping[int, Any], truth: Truth) -> None:
    for delete in ledger.deletes:
        answer, requested = delete.answer, set(delete.requested)
        truth.by_code[answer.code]["deletes"] += 1
        gone = requested - final.keys()
        if answer.ok:
            said = set(answer.data["task_ids"])
            if said - gone:
                truth.ok_missing.update({"deletes": 1, "delete_tasks": len(said - gone)})
                truth.example(f"delete answered 0, tasks {sorted(said - gone)} still there")
            if gone - said:
                truth.refused_applied.update({"deletes": 1, "delete_tasks": len(gone - said)})
                truth.example(f"delete answered 0 without {sorted(gone - said)}, yet gone")
        elif answer.refused and gone:
            truth.refused_applied.update({"deletes": 1, "delete_tasks": len(gone)})
            truth.by_code[answer.code]["deletes_applied"] += 1
            truth.example(f"delete answered {answer.code} after {answer.seconds:.1f} s, "
                          f"yet {len(gone)} of {len(requested)} tasks gone")
        elif gone:
            truth.other["deletes_unanswered_applied"] += 1


def check_stops(ledger: Ledger, final: Mapping[int, Any], truth: Truth) -> None:
    stopped_ok = {s.task_id for s in ledger.stops if s.answer.ok}
    for stop in ledger.stops:
        answer = stop.answer
        truth.by_code[answer.code]["stops"] += 1
        seen = [t for t in [*stop.seen_after, final.get(stop.task_id)] if t is not None]
        if answer.ok and not is_stopped(answer.data):  # the answer says what it is
            truth.other[f"stops_answered_0_as_{answer.data['status_text']}"] += 1
            final_state = [f"{t['status_text']} ({t['remark']})" for t in seen[-1:]]
            truth.example(f"stop of task {stop.task_id} answered 0 with the task "
                          f"{answer.data['status_text']} ({answer.data['remark']}); "
                          f"at the end: {final_state or 'deleted'}")
        elif answer.ok:
            retries = answer.data["retry_count"]
            if any(not is_stopped(t) and t["retry_count"] <= retries for t in seen):
                truth.ok_missing["stops"] += 1
                truth.example(f"stop of task {stop.task_id} answered 0, task not stopped")
        elif answer.refused and stop.task_id not in stopped_ok and any(map(is_stopped, seen)):
            truth.refused_applied["stops"] += 1
            truth.by_code[answer.code]["stops_applied"] += 1
            truth.example(f"stop of task {stop.task_id} answered {answer.code} after "
                          f"{answer.seconds:.1f} s, yet the task is stopped")
        elif answer.code in NO_ANSWER and any(map(is_stopped, seen)):
            truth.other["stops_unanswered_applied"] += 1


def check(ledger: Ledger, final: Mapping[int, Any]) -> dict[str, Any]:
    """Every answer against the store's tasks (`final`) and all that pages showed."""
    truth = Truth()
    check_creates(ledger, truth)
    check_deletes(ledger, final, truth)
    check_stops(ledger, final, truth)
    truth.other["ids_seen_with_two_tags"] = ledger.reused_ids
    return truth.figures()


# ---- the run ---------------------------------------------------------------------------

async def soak(farm: Farm, shape: Shape, *, seed: int) -> dict[str, Any]:
    load = Soak(farm, shape, seed=seed)
    done = trio.Event()
    samples: list[dict[str, Any]] = []

    async def sample() -> None:
        samples.extend(await load.sample_until(done))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(sample)
        async with trio.open_nursery() as clients:  # each stops sending at the deadline
            clients.start_soon(load.create_at_pace)
            for _ in range(shape.pollers):
                clients.start_soon(load.poll)
            clients.start_soon(load.control)
        done.set()
    async with load.client() as client:
        settled_s = await settle(client, shape.settle_max)
        final = await every_task(client)
    load.ledger.see(final.values())
    return {"load_s": round(trio.current_time() - load.started - settled_s, 1),
            "settled_s": settled_s, "creates_sent": load.creates_sent,
            "tasks_in_store_after": len(final),
            "final_statuses": dict(Counter(t["status_text"] for t in final.values())),
            "truth": check(load.ledger, final), "routes": load.recorder.totals(),
            "intervals": samples}


def measure(*, phones: int, shape: Shape, seed: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"phones": phones, "minutes": round(shape.seconds / 60, 3),
                               "shape": attrs.asdict(shape), "script": SCRIPT,
                               "configuration": "orchestrator serve, default settings"}
    with (tempfile.TemporaryDirectory(prefix="bench-soak-") as folder,
          _harness.simulator(phones) as sim,
          _harness.orchestrator(Path(folder), sim.port) as orch):
        figures["all_up_s"] = round(_harness.wait_devices(orch.port, phones, timeout=300), 2)
        serials = httpx.get(f"http://127.0.0.1:{orch.port}/api/v1/devices",
                            timeout=CLIENT_TIMEOUT).json()["data"]["devices"]
        sqlite = Settings(data_dir=Path(folder)).sqlite_path  # where `serve` keeps it
        farm = Farm(port=orch.port, pid=orch.pid, simulator_pid=sim.pid,
                    wal=sqlite.with_name(f"{sqlite.name}-wal"),
                    serials=tuple(sorted(d["serial"] for d in serials)))
        figures |= trio.run(lambda: soak(farm, shape, seed=seed))
    return figures


# ---- what it prints and draws ----------------------------------------------------------------

def _series(intervals: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    return [sample.get(key) for sample in intervals]


def _drift(intervals: Sequence[Mapping[str, Any]], key: str, unit: str = "") -> str:
    values = [v for v in _series(intervals, key) if v is not None]
    if not values:
        return "none"
    return f"{values[0]:,} -> {values[-1]:,}{unit} (max {max(values):,})"


def summary_rows(figures: Mapping[str, Any]) -> list[tuple[str, str]]:
    intervals = figures["intervals"]
    rows = [("phones, minutes, all up after",
             f"{figures['phones']:,}, {figures['minutes']}, {figures['all_up_s']} s"),
            ("creates sent (attempts in `create`)", f"{figures['creates_sent']:,}")]
    for kind, run in figures["routes"].items():
        codes = ", ".join(f"{c}: {n:,}" for c, n in sorted(run["codes"].items()))
        rows.append((kind, f"{run['count']:,} ({codes}); p50 {run.get('p50_ms')} ms, "
                           f"p99 {run.get('p99_ms')} ms, max {run.get('max_ms')} ms"))
    rates = [v for v in _series(intervals, "completed_per_s") if v is not None]
    if rates:
        rows.append(("tasks completed / s (mean, min, max)",
                     f"{sum(rates) / len(rates):.1f}, {min(rates)}, {max(rates)}"))
    cpu = [v for v in _series(intervals, "cpu_percent") if v is not None]
    rows += [("server RSS KiB", _drift(intervals, "rss_kib")),
             ("server open fds", _drift(intervals, "fds")),
             ("server threads", _drift(intervals, "threads")),
             ("SQLite WAL KiB", _drift(intervals, "wal_kib")),
             ("server CPU % of a core (mean, max)",
              f"{sum(cpu) / max(1, len(cpu)):.0f}, {max(cpu, default=0)}"),
             ("tasks in store after; settled in", f"{figures['tasks_in_store_after']:,}; "
                                                   f"{figures['settled_s']} s"),
             ("final statuses", str(figures["final_statuses"]))]
    return rows


def truth_lines(truth: Mapping[str, Any]) -> list[str]:
    def part(counts: Mapping[str, int]) -> str:
        return (f"creates {counts['creates']} ({counts['create_tasks']} tasks), deletes "
                f"{counts['deletes']} ({counts['delete_tasks']} tasks), stops {counts['stops']}")

    bad = truth["refused_but_applied_total"] + truth["answered_success_but_missing_total"]
    rule = "=" * 78
    lines = [rule, f"TRUTH (API.md, Under load): {'VIOLATED' if bad else 'held'}",
             f"  REFUSED BUT APPLIED:          {truth['refused_but_applied_total']:>6}   "
             f"{part(truth['refused_but_applied'])}",
             f"  ANSWERED SUCCESS BUT MISSING: {truth['answered_success_but_missing_total']:>6}"
             f"   {part(truth['answered_success_but_missing'])}"]
    lines += [f"  code {code}: {dict(counts)}" for code, counts in truth["by_code"].items()]
    lines += [f"  {key}: {value}" for key, value in truth["other"].items()]
    lines += [f"  e.g. {example}" for example in truth["examples"][:5]]
    return [*lines, rule]


def print_summary(figures: Mapping[str, Any]) -> None:
    rows = summary_rows(figures)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")  # noqa: T201
    print("\n".join(truth_lines(figures["truth"])))  # noqa: T201


def plot(figures: Mapping[str, Any], path: Path) -> Path | None:
    """Six panels over time, if matplotlib is installed (the `bench` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    intervals = figures["intervals"]
    minutes = [s["t_s"] / 60 for s in intervals]
    fig, axes = plt.subplots(3, 2, figsize=(12, 10), sharex=True)
    _panel(axes[0][0], minutes, {"completed / s": _series(intervals, "completed_per_s")},
           "tasks completed / s")
    _panel(axes[0][1], minutes, {kind: [s["latency_ms"].get(kind, {}).get("p99_ms")
                                        for s in intervals] for kind in KINDS},
           "latency p99, ms", log=True)
    _panel(axes[1][0], minutes, {"RSS MiB": [v / 1024 for v in _series(intervals, "rss_kib")],
                                 "CPU % of a core": _series(intervals, "cpu_percent")},
           "server RSS and CPU")
    _panel(axes[1][1], minutes, {"open fds": _series(intervals, "fds"),
                                 "threads": _series(intervals, "threads")},
           "server fds and threads")
    _panel(axes[2][0], minutes, {"WAL MiB": [v / 1024 for v in _series(intervals, "wal_kib")]},
           "SQLite WAL size")
    _panel(axes[2][1], minutes, {group: [s["answers"][group] / s["seconds"] for s in intervals]
                                 for group in ("0", OVERLOADED, "other", TIMEOUT)},
           "answers / s, by code")
    for ax in axes[2]:
        ax.set_xlabel("minutes")
    fig.suptitle(f"Soak: {figures['phones']:,} phones, {figures['minutes']} min, truth "
                 f"violations {figures['truth']['refused_but_applied_total']} refused-applied"
                 f" / {figures['truth']['answered_success_but_missing_total']} ok-missing")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _panel(ax: Any, x: Sequence[float], lines: Mapping[str, Sequence[Any]], title: str, *,
           log: bool = False) -> None:
    for label, values in lines.items():
        points = [(t, v) for t, v in zip(x, values, strict=True) if v is not None]
        if points:
            ax.plot(*zip(*points, strict=True), "o-", markersize=3, label=label)
    if log and ax.has_data():
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.has_data():
        ax.legend(fontsize=8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=15.0,
                        help="seconds between samples (default 15)")
    parser.add_argument("--cycle", type=float, default=60.0,
                        help="seconds between rounds of stops, retry-all and delete")
    parser.add_argument("--creates-per-s", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    shape = Shape(seconds=args.minutes * 60, creates_per_s=args.creates_per_s,
                  interval=args.interval, cycle=args.cycle)
    figures = measure(phones=args.phones, shape=shape, seed=args.seed)
    path = _harness.write_report("soak", args.out, figures)
    plot(figures, path.with_suffix(".png"))
    print_summary(figures)
    truth = figures["truth"]
    return 1 if truth["refused_but_applied_total"] or truth[
        "answered_success_but_missing_total"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
