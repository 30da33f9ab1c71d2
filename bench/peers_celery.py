"""The Celery peer: Celery 5 on the Redis broker, one queue per phone, the same device call.

A user wiring Celery to a phone farm would give each phone its own queue, so that its
tasks run in order, and a worker consuming every queue. Each task does what the
orchestrator's benchmark runner does: one `shell echo ok` through adbutils against the
same simulator. `bench.dispatch` and `bench.timing` call `dispatch` and `eta_lateness`;
the worker is `celery -A bench.peers_celery worker` in its own process, configured by the
environment (`BENCH_ADB_PORT`, `BENCH_SERIALS`).

Pools: `solo` (one task at a time over all queues: the only configuration of one worker
that keeps one task per phone) for dispatch, and `threads` for `eta` lateness (a solo
worker runs a 1,000-task burst one after the other, which says nothing about its timer).

Taking messages off many queues is the worker's bottleneck: kombu's Redis transport sends
one BRPOP per message naming every queue once per priority step (4 by default: 4,000 keys
for 1,000 phones), and building and packing that command took 87% of the worker's main
thread (py-spy): ~150 messages/s. So the `eta` run, whose tasks have no priority, gives its
worker one step (1,000 keys), and waits until the worker holds every task before the first
is due: it measures Celery's timer, not a backlog in Redis. Dispatch keeps kombu's defaults.

Redis: database 15 of 127.0.0.1:6379; only this module's keys are touched (queues named
`phone.<serial>`, `bench:*`, kombu's bindings and unacked sets), and deleted after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import adbutils
import redis
from celery import Celery  # type: ignore[import-untyped]
from celery.signals import worker_ready  # type: ignore[import-untyped]
from kombu import Queue  # type: ignore[attr-defined]

# adbutils starts an adb server on 5037 when it cannot connect; never let it.
os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"

REDIS_URL = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parent.parent

app = Celery("bench_peers", broker=REDIS_URL)
app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False,
                broker_connection_retry_on_startup=True, worker_send_task_events=False,
                task_default_queue="phone.default")


def queue_name(serial: str) -> str:
    return f"phone.{serial}"


def _configure(serials: Sequence[str]) -> None:
    app.conf.task_queues = [Queue(queue_name(s)) for s in serials]  # type: ignore[no-untyped-call]


if os.environ.get("BENCH_SERIALS"):
    _configure(os.environ["BENCH_SERIALS"].split(","))
if os.environ.get("BENCH_TRANSPORT_OPTIONS"):
    app.conf.broker_transport_options = json.loads(os.environ["BENCH_TRANSPORT_OPTIONS"])

_client: adbutils.AdbClient | None = None
_redis: redis.Redis | None = None


def _connections() -> tuple[adbutils.AdbClient, redis.Redis]:
    global _client, _redis  # per worker process, made on first use
    if _client is None or _redis is None:
        _client = adbutils.AdbClient(host="127.0.0.1", port=int(os.environ["BENCH_ADB_PORT"]),
                                     socket_timeout=20)
        _redis = redis.Redis.from_url(REDIS_URL)
    return _client, _redis


@app.task(name="bench.shell")  # type: ignore[untyped-decorator]
def shell(serial: str, due: float = 0.0, tag: str = "") -> None:
    """One `shell echo ok` on `serial`; records its start, end (and lateness past `due`),
    failed or not, so that a failing device call is counted instead of going unseen."""
    start = time.time()
    client, r = _connections()
    ok = False
    try:
        ok = client.device(serial).shell2("echo ok", v2=True).output.strip() == "ok"
    finally:
        pipe = r.pipeline(transaction=False)
        if tag:
            pipe.rpush(f"bench:late:{tag}", start - due)
        pipe.rpush("bench:starts", start)
        pipe.rpush("bench:ends", time.time())
        if not ok:
            pipe.incr("bench:failed")
        pipe.execute()


@worker_ready.connect  # type: ignore[untyped-decorator]
def _ready(**_: Any) -> None:
    redis.Redis.from_url(REDIS_URL).set("bench:ready", 1)


# ---- the benchmark's side ------------------------------------------------------------------

def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _clean(r: redis.Redis) -> None:
    for pattern in ("phone.*", "bench:*", "_kombu.binding*", "unacked*"):
        keys = list(r.scan_iter(pattern, count=1000))
        for i in range(0, len(keys), 1000):
            r.delete(*keys[i:i + 1000])


def _declare(serials: Sequence[str]) -> None:
    _configure(serials)
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in app.conf.task_queues:
            queue(channel).declare()


#: kombu's Redis transport names every queue once per priority step in each BRPOP (4 by
#: default): with 1,000 phone queues, building that command was 87% of the worker's
#: main thread. The tasks carry no priority, so one step changes nothing else.
ONE_PRIORITY: dict[str, Any] = {"priority_steps": [0]}


class _Worker:
    """`celery worker` in its own process, consuming every phone's queue."""

    def __init__(self, adb_port: int, serials: Sequence[str], *, pool: str,
                 concurrency: int, transport_options: dict[str, Any] | None = None) -> None:
        env = {**os.environ, "BENCH_ADB_PORT": str(adb_port), "BENCH_SERIALS": ",".join(serials),
               "BENCH_TRANSPORT_OPTIONS": json.dumps(transport_options or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.peers_celery", "worker", "-P", pool,
             "-c", str(concurrency), "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "WARNING", "-n", "bench@%h"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL)

    def wait_ready(self, r: redis.Redis, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not r.get("bench:ready"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the celery worker did not come up")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _wait_count(r: redis.Redis, total: int, timeout: float, worker: _Worker) -> int:
    """How many tasks have ended, once all `total` have or `timeout` s have passed; a
    worker that exits first is an error, not a slow run."""
    deadline = time.monotonic() + timeout
    while (done := int(r.llen("bench:ends"))) < total and time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"the celery worker exited ({worker.proc.returncode}) "
                               f"after {done} of {total} tasks")
        time.sleep(0.1)
    return done


def _queued(r: redis.Redis, serials: Sequence[str]) -> int:
    """Messages still in the phones' queues: not yet taken by the worker."""
    pipe = r.pipeline(transaction=False)
    for serial in serials:
        pipe.llen(queue_name(serial))
    return sum(pipe.execute())


def _wait_taken(r: redis.Redis, serials: Sequence[str], until: float) -> float:
    """Wait until the worker has taken every message off the queues (it holds `eta` tasks
    in memory until they are due); the wall clock then. Raises at `until` (wall clock)."""
    while (left := _queued(r, serials)) and time.time() < until:
        time.sleep(0.05)
    if left or (now := time.time()) > until:
        raise RuntimeError(f"sending and the worker taking the tasks off the queues took "
                           f"longer than the lead ({left} still queued)")
    return now


def _floats(r: redis.Redis, key: str) -> list[float]:
    return [float(x) for x in r.lrange(key, 0, -1)]


def dispatch(adb_port: int, serials: Sequence[str], tasks: int, *, pool: str = "solo",
             concurrency: int = 1, timeout: float = 300) -> dict[str, Any]:
    """Tasks/s of one worker draining `tasks` queued tasks (round-robin over the phones),
    from the first task's start to the last one's end. The queues are filled first."""
    r = redis.Redis.from_url(REDIS_URL)
    _clean(r)
    try:
        _declare(serials)
        fill = time.perf_counter()
        for k in range(tasks):
            serial = serials[k % len(serials)]
            shell.apply_async(args=(serial,), queue=queue_name(serial))
        fill_s = time.perf_counter() - fill
        worker = _Worker(adb_port, serials, pool=pool, concurrency=concurrency,
                         transport_options=ONE_PRIORITY)
        try:
            worker.wait_ready(r)
            done = _wait_count(r, tasks, timeout, worker)
        finally:
            worker.stop()
        starts, ends = _floats(r, "bench:starts"), _floats(r, "bench:ends")
        wall = max(ends) - min(starts)
        return {"system": f"celery {pool} x{concurrency}", "phones": len(serials),
                "tasks": tasks, "completed": done, "failed": int(r.get("bench:failed") or 0),
                "seconds": round(wall, 3), "tasks_per_s": round(done / wall, 1),
                "enqueue_per_s": round(tasks / fill_s, 1),
                "one_task_per_phone": pool == "solo" or concurrency == 1}
    finally:
        _clean(r)


def eta_lateness(adb_port: int, serials: Sequence[str],
                 moments: dict[str, list[tuple[str, float]]], *, lead: float,
                 pool: str = "threads", concurrency: int = 100,
                 timeout: float = 300) -> dict[str, Any]:
    """Lateness (s) of tasks sent with `eta`: `moments` maps a tag to (serial, offset)
    pairs, offsets in seconds after a start `lead` seconds after the worker is ready. Sending
    them and the worker taking them all off the queues must fit in the lead. Returns the
    lateness per tag under "lateness", with the tasks completed and failed and the rate at
    which the worker took them (sending included)."""
    r = redis.Redis.from_url(REDIS_URL)
    _clean(r)
    try:
        _declare(serials)
        worker = _Worker(adb_port, serials, pool=pool, concurrency=concurrency,
                         transport_options=ONE_PRIORITY)
        try:
            worker.wait_ready(r)
            sent = time.time()
            t0 = sent + lead
            total = 0
            for tag, pairs in moments.items():
                for serial, offset in pairs:
                    due = t0 + offset
                    shell.apply_async(args=(serial, due, tag), queue=queue_name(serial),
                                      eta=datetime.fromtimestamp(due, tz=UTC))
                    total += 1
            taken = _wait_taken(r, serials, t0)
            longest = max(o for p in moments.values() for _, o in p)
            done = _wait_count(r, total, t0 - time.time() + longest + timeout, worker)
        finally:
            worker.stop()
        return {"lateness": {tag: _floats(r, f"bench:late:{tag}") for tag in moments},
                "tasks": total, "completed": done, "failed": int(r.get("bench:failed") or 0),
                "taken_off_queues_per_s": round(total / (taken - sent), 1)}
    finally:
        _clean(r)
