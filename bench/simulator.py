"""Benchmark: the simulator through adbutils, as the orchestrator will use it.

Runs `orchestrator sim` in its own process (so client and server do not share a GIL)
and drives it from a pool of client threads with adbutils. Reports shell round trips
per second, push throughput, and resident memory per simulated phone, at each size.

    python -m bench.simulator                 # 100 and 1,000 phones -> bench/results/simulator.json
    python -m bench.simulator --phones 10 --seconds 1 --out /tmp/x.json   # a smoke run
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adbutils

# adbutils starts an adb server on 5037 when it cannot connect; never let it.
os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"

RESULTS = Path(__file__).parent / "results" / "simulator.json"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@contextmanager
def running_simulator(phones: int) -> Iterator[tuple[adbutils.AdbClient, int]]:
    """Start `orchestrator sim` with `phones` phones; yield a client and the server's pid."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "--log-level", "WARNING", "sim",
         "--devices", str(phones), "--port", "0"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()  # printed once the server listens
        found = re.search(r"ADB server on [\d.]+:(\d+)", ready)
        if found is None:
            raise RuntimeError(f"simulator did not come up: {ready!r}")
        port = int(found.group(1))
        client = adbutils.AdbClient(host="127.0.0.1", port=port, socket_timeout=10)
        yield client, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _request(conn: socket.socket, request: str) -> None:
    conn.sendall(f"{len(request):04x}{request}".encode())
    if conn.recv(4) != b"OKAY":
        raise RuntimeError(f"{request!r} refused")


def _raw_shell(port: int, serial: str) -> None:
    """One `shell:echo ok` spoken directly in the smart-socket protocol: the server's own
    cost, without adbutils' client overhead (an extra version request and a 10 ms sleep
    per closed connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        _request(conn, f"host:transport:{serial}")
        _request(conn, "shell:echo ok")
        while conn.recv(4096):
            pass


def _hammer(serials: list[str], seconds: float, threads: int,
            op: Callable[[str], object]) -> tuple[int, float]:
    """Run `op(serial)` from `threads` threads over the phones for `seconds`; (count, elapsed)."""
    stop_at = time.monotonic() + seconds

    def worker(k: int) -> int:
        done = 0
        i = k
        while time.monotonic() < stop_at:
            op(serials[i % len(serials)])
            done += 1
            i += threads
        return done

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        count = sum(pool.map(worker, range(threads)))
    return count, time.monotonic() - start


def measure(phones: int, *, seconds: float, threads: int, push_bytes: int) -> dict[str, Any]:
    """Figures for one farm size."""
    with running_simulator(0) as (_, pid):
        baseline_kib = _rss_kib(pid)
    with running_simulator(phones) as (client, pid):
        loaded_kib = _rss_kib(pid)
        serials = [d.serial for d in client.device_list()]
        shells, shell_s = _hammer(serials, seconds, threads,
                                  lambda s: client.device(s).shell("echo ok"))
        raws, raw_s = _hammer(serials, seconds, threads,
                              functools.partial(_raw_shell, client.port))
        with tempfile.NamedTemporaryFile() as f:
            f.write(os.urandom(push_bytes))
            f.flush()
            pushes, push_s = _hammer(
                serials, seconds, threads,
                lambda s: client.device(s).sync.push(f.name, "/sdcard/Download/bench.bin"))
        after_kib = _rss_kib(pid)
    return {
        "phones": phones,
        "client_threads": threads,
        "shell_round_trips_per_s": round(shells / shell_s, 1),
        "raw_protocol_shell_round_trips_per_s": round(raws / raw_s, 1),
        "push_mib_per_s": round(pushes * push_bytes / push_s / 2**20, 2),
        "push_file_bytes": push_bytes,
        "rss_baseline_kib": baseline_kib,
        "rss_loaded_kib": loaded_kib,
        "rss_after_pushes_kib": after_kib,  # each phone now keeps the pushed file
        "kib_per_phone": round((loaded_kib - baseline_kib) / phones, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--threads", type=int, default=32, help="client threads")
    parser.add_argument("--push-bytes", type=int, default=1 << 20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    runs = [measure(n, seconds=args.seconds, threads=args.threads, push_bytes=args.push_bytes)
            for n in args.phones]
    report = {
        "benchmark": "simulator",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(runs, indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
