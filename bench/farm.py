"""Benchmark: several hosts, one farm, on one PostgreSQL database, beside one host.

In the same run, each farm a schema of its own on the database:

1. one host with all the phones (`--phones`, 3,000 by default);
2. `--hosts` hosts (3) with a share of them each: the same phones, in as many processes.

Each is a real `orchestrator serve --postgres --simulate N --sim-prefix P`, all on this
machine's cores. For each farm, through its first host's API: the start lateness of tasks
made one at a time on an idle farm (`--idle` tasks, each for a phone of the next host),
then a burst: one task per phone, all due at one moment (`start_at`). Lateness is when
each script started (its host's log line, to the millisecond) less its `due_at`; the burst
is dispatched at its size over the last start's lateness (every phone has one task), and
completed at its size over the time to its last end. The database traffic of the hosts'
own connections during the burst (`ss`'s TCP counters: messages sent, bytes both ways),
per task.

Then, on the farm of several hosts, `--kills` times: kill -9 its last host while it runs
tasks, and time how long the others take to fail them "interrupted" (the lease: 15 s).

    python -m bench.farm                                 # ~4 min -> results/farm.json
    python -m bench.farm --phones 30 --idle 3 --kills 1 --out /tmp/f.json   # smoke
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench._harness import FarmHost, write_report
from bench.store import PG_DSN

_STARTED = re.compile(r"^(\S+ \S+) INFO actors\._device: task (\d+) \(\w+\) started on ",
                      re.M)
_TCP = re.compile(r"bytes_sent:(\d+).*?bytes_received:(\d+).*?data_segs_out:(\d+)", re.S)
FOLLOW = {"script_name": "follow",
          "script_config": {"target_users": ["alice"], "access_method": "direct"}}


@contextmanager
def schema(dsn: str) -> Iterator[str]:
    """A DSN whose tables go in a fresh schema, dropped afterwards."""
    name = f"bench_farm_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{dsn} options='-c search_path={name}'"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


@contextmanager
def farm(dsn: str, folder: Path, names: Sequence[str], phones: int) -> Iterator[list[FarmHost]]:
    """Hosts `names`, `phones` split between them, every phone online on every host's list."""
    hosts: list[FarmHost] = []
    try:
        for name in names:
            hosts.append(FarmHost(name, dsn, folder, phones=phones // len(names), timeout=300))
        _until(lambda: _online(hosts[0]) >= phones, "every phone online", 300)
        yield hosts
    finally:
        for host in hosts:
            host.stop()


def _online(host: FarmHost) -> int:
    devices = httpx.get(f"{host.api}/devices", timeout=60).json()["data"]["devices"]
    return sum(d["state"] == "device" for d in devices)


def _until(check: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} in {timeout} s")
        time.sleep(0.1)


def _post(host: FarmHost, body: dict[str, Any]) -> list[int]:
    answer = httpx.post(f"{host.api}/task", json=body, timeout=120).json()
    assert answer["code"] == 0, answer
    ids: list[int] = answer["data"]["task_ids"]
    return ids


def _tasks(dsn: str, ids: Sequence[int]) -> list[tuple[int, int, float, float | None]]:
    """(id, status, due_at, finished_at) of each of `ids`."""
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT id, status, due_at, finished_at FROM tasks"
                            " WHERE id = ANY(%s)", [list(ids)]).fetchall()


def _wait_over(dsn: str, ids: Sequence[int], timeout: float) -> list[Any]:
    rows: list[Any] = []

    def over() -> bool:
        nonlocal rows
        rows = _tasks(dsn, ids)
        return all(status in (2, 3) for _, status, *_ in rows)

    _until(over, "end of the tasks", timeout)
    return rows


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50_ms": round(pick(0.5) * 1000, 1), "p99_ms": round(pick(0.99) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "mean_ms": round(
                statistics.fmean(ordered) * 1000, 1)}


def _traffic(pids: Sequence[int]) -> tuple[int, int]:
    """(messages sent, bytes both ways) so far on the PostgreSQL connections of `pids`."""
    out = subprocess.run(["ss", "-tinpH", "dport = :5432"], capture_output=True, text=True,
                         check=True).stdout
    sent = moved = 0
    for entry in re.split(r"\n(?=\S)", out):
        if not any(f"pid={pid}," in entry for pid in pids):
            continue
        found = _TCP.search(entry)
        if found:
            moved += int(found[1]) + int(found[2])
            sent += int(found[3])
    return sent, moved


def _started(hosts: Sequence[FarmHost]) -> dict[int, float]:
    """task id -> when its script started (Unix seconds), as the hosts' logs say."""
    starts = {}
    for host in hosts:
        for stamp, task_id in _STARTED.findall(host.log.read_text()):
            starts[int(task_id)] = time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")
                                               ) + int(stamp[20:]) / 1000
    return starts


def _lateness(hosts: Sequence[FarmHost], rows: Sequence[Any]) -> list[float]:
    """How late the scripts of `rows` (id, status, due_at, ...) started, in seconds."""
    starts = _started(hosts)
    return [max(0.0, starts[task_id] - due) for task_id, _, due, *_ in rows]


def idle_lateness(dsn: str, hosts: Sequence[FarmHost], count: int) -> dict[str, Any]:
    """`count` tasks made one at a time through the first host, each for a phone of the
    next host in turn, due as it is made."""
    ids = []
    for k in range(count):
        host = hosts[k % len(hosts)]
        ids += _post(hosts[0], {"serials": [f"{host.name}-{k // len(hosts) + 1:04d}"],
                                **FOLLOW})
        time.sleep(0.3)
    return _percentiles(_lateness(hosts, _wait_over(dsn, ids, 120)))


def burst(dsn: str, hosts: Sequence[FarmHost], phones: int) -> dict[str, Any]:
    """One task per phone, all due at one moment, made through the first host."""
    serials = [f"{host.name}-{i:04d}" for host in hosts
               for i in range(1, phones // len(hosts) + 1)]
    pids = [host.process.pid for host in hosts]
    due = time.time() + 5 + phones / 1000
    before = _traffic(pids)
    ids = _post(hosts[0], {"serials": serials, "start_at": due, **FOLLOW})
    rows = _wait_over(dsn, ids, 300)
    after = _traffic(pids)
    ended = max(finished for *_, finished in rows)
    late = _lateness(hosts, rows)
    return {"tasks": len(ids), "failed": sum(status == 3 for _, status, *_ in rows),
            # every phone has one task: all of them started by the last start
            "dispatched_per_s": round(len(ids) / max(*late, 1e-3), 1),
            "completed_per_s": round(len(ids) / (ended - due), 1),
            "lateness": _percentiles(late),
            "db_messages_per_task": round((after[0] - before[0]) / len(ids), 2),
            "db_bytes_per_task": round((after[1] - before[1]) / len(ids))}


def kill_trials(dsn: str, folder: Path, hosts: list[FarmHost], trials: int, *,
                phones: int) -> list[float]:
    """Seconds from kill -9 of the last host (of `phones` phones), running tasks, until the
    others failed them; it is started again after each."""
    noticed = []
    victim = hosts[-1]
    for run in range(1, trials + 1):
        ids = _post(hosts[0], {"serials": [f"{victim.name}-{i:04d}"
                                           for i in range(1, min(3, phones) + 1)],
                               "script_name": "account_warmup",
                               "script_config": {"task_duration": 600}})
        _until(lambda ids=ids: all(row[1] == 1 for row in _tasks(dsn, ids)),
               "tasks running", 60)
        victim.process.kill()
        victim.process.wait()
        killed = time.monotonic()
        _until(lambda ids=ids, name=victim.name: _interrupted(dsn, ids, name) == len(ids),
               "the dead host noticed", 120)
        noticed.append(round(time.monotonic() - killed, 2))
        victim = hosts[-1] = FarmHost(victim.name, dsn, folder, phones=phones, run=run,
                                      timeout=300)
        for task_id in ids:
            httpx.post(f"{hosts[0].api}/task/{task_id}/stop", timeout=60)
    return noticed


def _interrupted(dsn: str, ids: Sequence[int], host: str) -> int:
    """How many of `ids` the others failed for `host`'s death."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM tasks WHERE id = ANY(%s) AND remark LIKE %s",
                           [list(ids), f"%interrupted: host {host} %"]).fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=PG_DSN)
    parser.add_argument("--phones", type=int, default=3000)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--idle", type=int, default=30)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--logs", type=Path, help="keep the hosts' logs (and data) here")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"phones": args.phones}
    with tempfile.TemporaryDirectory(prefix="bench-farm-") as tmp:
        folder = args.logs or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for label, names in (("one_host", ["solo"]),
                             ("hosts", [f"h{k}" for k in range(1, args.hosts + 1)])):
            with schema(args.dsn) as dsn, farm(dsn, folder, names, args.phones) as hosts:
                figures[label] = {"hosts": len(hosts),
                                  "idle": idle_lateness(dsn, hosts, args.idle),
                                  "burst": burst(dsn, hosts, args.phones)}
                if len(hosts) > 1 and args.kills:
                    figures[label]["dead_host_noticed_s"] = kill_trials(
                        dsn, folder, hosts, args.kills, phones=args.phones // len(hosts))
                print(label, figures[label], flush=True)  # noqa: T201
    one, many = figures["one_host"]["burst"], figures["hosts"]["burst"]
    figures["ratios"] = {
        "dispatched_per_s": round(many["dispatched_per_s"] / one["dispatched_per_s"], 2),
        "completed_per_s": round(many["completed_per_s"] / one["completed_per_s"], 2),
        "burst_p99": round(many["lateness"]["p99_ms"] / max(one["lateness"]["p99_ms"], 0.1), 2),
        "idle_p99": round(figures["hosts"]["idle"]["p99_ms"]
                          / max(figures["one_host"]["idle"]["p99_ms"], 0.1), 2)}
    print("ratios", figures["ratios"])  # noqa: T201
    print(write_report("farm", args.out, figures))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
