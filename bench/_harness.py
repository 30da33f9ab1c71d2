"""What the API, creation, scale and soak benchmarks share: processes to run, and how to read them.

Every system under test runs in its own process (so it does not share a GIL with the load
generator or the simulator), listens on loopback port 0 and prints its port on its first
line of output. This module is also that process's entry point:

    python -m bench._harness serve --data-dir D --adb-port P   # the whole orchestrator
    python -m bench._harness bare --body FILE                  # a bare ASGI app, same server
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

# adbutils starts an adb server on 5037 when it cannot connect; never let it.
os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"

RESULTS = Path(__file__).parent / "results"
#: Phones one ADB server lists, at most: `host:track-devices` frames the whole list with a
#: four-hex-digit length (65,535 bytes; a line such as "sim-0001\tdevice\n" is 16 bytes).
ONE_SERVER = 4095
CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    """Where the figures came from; a load average above 0 means others shared the CPUs."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()]}


def write_report(name: str, out: Path | None, figures: dict[str, Any]) -> Path:
    """Write `figures` with the time and the machine to `out` (default results/NAME.json)."""
    path = out if out is not None else RESULTS / f"{name}.json"
    report = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": machine(), **figures}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def _status_field(pid: int, name: str) -> int:
    """The number a line `name:` of /proc/<pid>/status starts with."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name}")


def rss_kib(pid: int) -> int:
    return _status_field(pid, "VmRSS")


def threads(pid: int) -> int:
    """The process's threads now."""
    return _status_field(pid, "Threads")


def open_fds(pid: int) -> int:
    """The file descriptors the process has open now (/proc/<pid>/fd)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


class Process:
    """A child process whose first line of output names the port it listens on."""

    def __init__(self, argv: Sequence[str], *, pattern: str, timeout: float = 120) -> None:
        self.proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until ready (or dead: "")
        found = re.search(pattern, line)
        if found is None:
            self.stop()
            raise RuntimeError(f"{argv[2:4]} did not come up: {line!r}")
        self.port = int(found.group(1))
        self.pid = self.proc.pid

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextmanager
def running(argv: Sequence[str], *, pattern: str) -> Iterator[Process]:
    process = Process(argv, pattern=pattern)
    try:
        yield process
    finally:
        process.stop()


def simulator(phones: int, *, prefix: str = "sim-") -> Any:
    """`orchestrator sim` with `phones` phones (serials `prefix`0001...), in its own process."""
    return running([sys.executable, "-m", "orchestrator", "--log-level", "WARNING", "sim",
                    "--devices", str(phones), "--port", "0", "--prefix", prefix],
                   pattern=r"ADB server on [\d.]+:(\d+)")


def servers_for(phones: int) -> int:
    """How many ADB servers `phones` phones take, at the least: one lists at most
    `ONE_SERVER`."""
    return max(1, -(-phones // ONE_SERVER))


@contextmanager
def simulators(phones: int, servers: int) -> Iterator[list[Process]]:
    """`phones` phones split evenly over `servers` simulators, each in its own process
    (serials s1-0001..., s2-0001...; sim-0001... if there is one)."""
    with ExitStack() as stack:
        yield [stack.enter_context(simulator(
            phones // servers + (k < phones % servers),
            prefix="sim-" if servers == 1 else f"s{k + 1}-")) for k in range(servers)]


def orchestrator(data_dir: Path, *adb_ports: int, api_processes: int = 0) -> Any:
    """The whole orchestrator (store, scheduler, watchers, API) on `data_dir`, driving the
    phones of the ADB servers at `adb_ports`, in its own process (and its API in
    `api_processes` of their own, if not 0)."""
    return running([sys.executable, "-m", "bench._harness", "serve", "--data-dir", str(data_dir),
                    *(f"--adb-port={port}" for port in adb_ports),
                    "--api-processes", str(api_processes)],
                   pattern=r"API on port (\d+)")


def bare_asgi(body: bytes, *, quart: bool = False) -> Any:
    """A bare ASGI app answering `body` to every request, under the same hypercorn worker
    (`quart`: a Quart-Trio app with one route answering it, the framework's own cost)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    (folder / "body.json").write_bytes(body)

    @contextmanager
    def run() -> Iterator[Process]:
        try:
            argv = [sys.executable, "-m", "bench._harness", "bare", "--body",
                    str(folder / "body.json"), *(["--quart"] if quart else [])]
            with running(argv, pattern=r"API on port (\d+)") as p:
                yield p
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return run()


def wait_devices(port: int, phones: int, timeout: float) -> float:
    """Wait until `GET /devices` lists `phones` online phones; return the seconds it took."""
    start = time.monotonic()
    url = f"http://127.0.0.1:{port}/api/v1/devices"
    with httpx.Client(timeout=30) as client:
        while True:
            data = client.get(url).json()["data"]
            if sum(d["state"] == "device" for d in data["devices"]) >= phones:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"{data['total']} of {phones} phones after {timeout} s")
            time.sleep(0.5)


# wrk's own latency histogram, read from its `done` hook as one JSON line.
_WRK_LUA = """
{setup}
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'WRKJSON {{"requests": %d, "seconds": %.6f, "errors": %d, "non_2xx": %d, '
    .. '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f}}\\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, latency.mean / 1e3))
end
"""


def wrk(url: str, *, seconds: float, connections: int = 32, threads: int = 2,
        method: str = "GET", body: str | None = None) -> dict[str, Any]:
    """Load `url` with wrk (keep-alive connections, in its own process); its figures."""
    setup = ""
    if body is not None:
        setup = (f"wrk.method = {json.dumps(method)}\nwrk.body = {json.dumps(body)}\n"
                 'wrk.headers["Content-Type"] = "application/json"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_LUA.format(setup=setup))
        script.flush()
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             "--timeout", "10s", "-s", script.name, url],
            capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    figures["req_per_s"] = round(figures["requests"] / figures["seconds"], 1)
    figures["connections"] = connections
    return figures


# ---- the child processes -------------------------------------------------------------------

async def _serve(data_dir: Path, adb_ports: list[int], api_processes: int) -> None:
    import trio

    from orchestrator.runtime import stop_on_signals
    from orchestrator.service import run_orchestrator
    from orchestrator.settings import Settings

    settings = Settings(port=0, data_dir=data_dir, adb_port=adb_ports[0],
                        more_adb=tuple(("127.0.0.1", port) for port in adb_ports[1:]),
                        api_processes=api_processes)
    async with trio.open_nursery() as nursery:
        await nursery.start(stop_on_signals, nursery.cancel_scope)
        running_ = await nursery.start(run_orchestrator, settings)
        print(f"API on port {running_.api_port}", flush=True)  # noqa: T201


async def _bare(body: bytes, *, quart: bool) -> None:
    import trio

    from orchestrator.api._hypercorn import serve_on
    from orchestrator.runtime import stop_on_signals

    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    if quart:  # the framework alone: one route answering the same bytes
        from quart import Response
        from quart_trio import QuartTrio

        framework = QuartTrio(__name__)

        @framework.get("/api/v1/task/stats")
        async def stats() -> Response:
            return Response(body, mimetype="application/json")

        app = framework
    async with trio.open_nursery() as nursery:
        await nursery.start(stop_on_signals, nursery.cancel_scope, "the bare app")
        # Served as the orchestrator's API is served (`serve_on`: hypercorn's config).
        binds: list[str] = await nursery.start(serve_on, app, ["127.0.0.1:0"])
        print(f"API on port {binds[0].rpartition(':')[2]}", flush=True)  # noqa: T201


def _child(argv: list[str] | None = None) -> None:
    import logging

    import trio

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--data-dir", type=Path, required=True)
    serve.add_argument("--adb-port", type=int, action="append", required=True)
    serve.add_argument("--api-processes", type=int, default=0)
    bare = sub.add_parser("bare")
    bare.add_argument("--body", type=Path, required=True)
    bare.add_argument("--quart", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.what == "serve":
        trio.run(_serve, args.data_dir, args.adb_port, args.api_processes)
    else:
        trio.run(functools.partial(_bare, args.body.read_bytes(), quart=args.quart))


if __name__ == "__main__":
    _child()


class FarmHost:
    """`orchestrator serve` as one host of a farm on the PostgreSQL database `dsn`, with
    `phones` simulated phones of its own (serials `prefix`0001...) and the API's `token`,
    if any; its log in `folder`.
    The API's port is read from the log, once the host says it listens."""

    def __init__(self, name: str, dsn: str, folder: Path, *, phones: int,
                 prefix: str | None = None, run: int = 0, timeout: float = 120,
                 token: str | None = None) -> None:
        from orchestrator.api import TOKEN_VARIABLE

        self.name = name
        self.log = folder / f"{name}-{run}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orchestrator", "serve", "--postgres", dsn,
                 "--host-id", name, "--simulate", str(phones), "--sim-prefix",
                 prefix or f"{name}-", "--port", "0", "--data-dir", str(folder / name)],
                stderr=out, env={**os.environ, **({TOKEN_VARIABLE: token} if token else {})})
        deadline = time.monotonic() + timeout
        while not (found := re.search(r"task API on http://127\.0\.0\.1:(\d+)/",
                                      self.log.read_text())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"host {name} did not come up: see {self.log}")
            time.sleep(0.05)
        self.api = f"http://127.0.0.1:{found[1]}/api/v1"

    def stop(self, *, timeout: float = 60) -> int:
        """Stop it as Ctrl-C does (killed if it takes past `timeout` s); its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
