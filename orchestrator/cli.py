"""The `orchestrator` command."""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import logging
import os
import re
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import urlsplit

import trio

from actors import SchedulerSettings

from .api import (
    ACCESS_LOG,
    POSTGRES_VARIABLE,
    SIGNATURE_HEADER,
    TOKEN_VARIABLE,
    WEBHOOK_SECRET_VARIABLE,
    Access,
    ApiProcess,
    Webhooks,
    is_http_url,
    is_loopback,
    is_origin,
    run_api_process,
)
from .plans import PLANS, plan_named
from .runtime import stop_on_signals
from .service import run_orchestrator
from .settings import Settings
from .simulator import FaultPlan, Phone, open_simulator, run_churn, serve_device_transport
from .startup import StartupFailed, leaves, starting

__all__ = ["main"]

log = logging.getLogger(__name__)

#: What a bearer token may hold: visible ASCII, so that a header carries it unchanged.
_TOKEN = re.compile(r"[\x21-\x7e]+")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _sim_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = sub.add_parser(
        "sim", help="run simulated phones behind a fake ADB server",
        description="Run N simulated Android phones behind an ADB server that adb, adbutils "
                    "and the orchestrator talk to as to real phones "
                    "(e.g. `adb -P 5099 devices -l`).")
    sim.add_argument("--devices", type=int, default=20, metavar="N",
                     help="how many phones to simulate (default 20)")
    sim.add_argument("--prefix", default=Settings().sim_prefix, metavar="P",
                     help="the phones' serials are P0001... (default %(default)s)")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=5037,
                     help="ADB server port (default 5037, the standard one; use another if a real "
                          "adb server runs)")
    sim.add_argument("--adbd-port", type=int, default=None, metavar="BASE",
                     help="also serve each phone's adbd, as a network phone's port 5555 does, "
                          "on BASE, BASE+1, ... (0: ports the system picks), so that a real "
                          "adb server can `adb connect` them")
    faults = sim.add_argument_group(
        "faults", "knobs for testing how clients cope; they apply to the first --faulty phones")
    faults.add_argument("--faulty", type=int, default=None, metavar="K",
                        help="how many phones get the fault knobs below (default: all)")
    faults.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="delay added to every shell command and file transfer")
    faults.add_argument("--hang", default=None, metavar="TEXT",
                        help="shell commands containing TEXT never answer ('' hangs all)")
    faults.add_argument("--dump-delay", type=float, default=0.0, metavar="SECONDS",
                        help="extra time `uiautomator dump` takes")
    faults.add_argument("--dump-fails", action="store_true",
                        help="`uiautomator dump` fails as on a busy screen")
    faults.add_argument("--disconnect-on", default=None, metavar="TEXT",
                        help="the phone drops off in the middle of the first shell command "
                             "containing TEXT ('push': in the middle of the first push)")
    faults.add_argument("--crash-on", default=None, metavar="TEXT",
                        help="the app in front crashes before the first shell command "
                             "containing TEXT (e.g. 'input tap')")
    faults.add_argument("--offline", type=int, default=0, metavar="K",
                        help="the last K phones are listed as offline")
    faults.add_argument("--unauthorized", type=int, default=0, metavar="K",
                        help="K phones before those are listed as unauthorized")
    faults.add_argument("--churn", type=float, default=0.0, metavar="SECONDS",
                        help="every SECONDS one random phone is unplugged (and plugged back "
                             "the next period)")


def _adb_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}") from None


def _origin_arg(text: str) -> str:
    if not is_origin(text):
        raise argparse.ArgumentTypeError(f"expected scheme://host[:port], got {text!r}")
    return text


def _http_url(text: str) -> str:
    if not is_http_url(text):
        raise argparse.ArgumentTypeError(f"expected an http:// or https:// URL, got {text!r}")
    return text


def _root_url(text: str) -> str:
    parts = urlsplit(_http_url(text))
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise argparse.ArgumentTypeError(f"expected the API's root, scheme://host:port, got "
                                         f"{text!r}")
    return text.rstrip("/")


def _serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve", help="run the orchestrator and its task API",
        description="Run the orchestrator: the TikMatrix-compatible task API, the scheduler and "
                    "one actor per phone the ADB server sees.")
    given = Settings()  # the defaults: `Settings` is their one source
    serve.add_argument("--host", default=given.host,
                       help=f"address the API listens on (default {given.host})")
    serve.add_argument("--port", type=int, default=given.port,
                       help=f"API port (default {given.port})")
    serve.add_argument("--data-dir", type=Path, default=given.data_dir,
                       help=f"where the database and materials live (default {given.data_dir})")
    serve.add_argument("--postgres", default=None, metavar="DSN",
                       help="keep tasks in PostgreSQL (e.g. 'host=127.0.0.1 dbname=farm' or a "
                            "postgresql:// URL) instead of SQLite in the data folder")
    serve.add_argument("--adb", type=_adb_address, action="append", metavar="HOST:PORT",
                       help="an ADB server whose phones to drive; give it again for more "
                            "(one lists at most 4,095 phones; default "
                            f"{given.adb_host}:{given.adb_port})")
    serve.add_argument("--plan", type=plan_named, default=given.plan, metavar="PLAN",
                       help=f"one of {', '.join(PLANS)}: what /license/check reports; it caps "
                            "how many devices run at once (default: no limit). Starter disables "
                            "the API, as in the product")
    serve.add_argument("--simulate", type=int, default=given.simulate, metavar="N",
                       help="run N simulated phones in-process and drive those instead of --adb")
    serve.add_argument("--sim-prefix", default=given.sim_prefix, metavar="P",
                       help=f"the simulated phones' serials are P0001... (default "
                            f"{given.sim_prefix})")
    serve.add_argument("--host-id", default=given.host_id, metavar="NAME",
                       help="this host's name in the farm, as device objects show it "
                            "(default the machine's host name)")
    serve.add_argument("--api-url", type=_root_url, default=given.api_url, metavar="URL",
                       help="where the other hosts of the farm reach this host's API, as "
                            "http://10.0.0.5:50809 (a name needs --allow-host NAME too; "
                            "default: the address it listens on, or the one the database "
                            "sees it connect from, else its machine name's)")
    serve.add_argument("--api-processes", type=int, default=given.api_processes, metavar="N",
                       help="serve the API from N processes of their own, so that a heavy API "
                            "load never delays the phones' tasks (default 0: in this process)")
    serve.add_argument("--access-log", action="store_true",
                       help="log a line per API request: client, request, status, bytes, "
                            "seconds (headers never: the token travels in one)")
    safety = serve.add_argument_group(
        "safety", "loopback without a token is as open as the product; anything wider needs "
                  "the token")
    safety.add_argument("--token", default=None, metavar="T",
                        help="every request must carry `Authorization: Bearer T` (default: "
                             "the environment's ORCHESTRATOR_TOKEN, else none)")
    safety.add_argument("--no-token", action="store_true",
                        help="serve a non-loopback --host without a token (anyone who reaches "
                             "the port drives the phones)")
    safety.add_argument("--allow-origin", action="append", default=[], type=_origin_arg,
                        metavar="ORIGIN",
                        help="a browser origin (e.g. http://farm.lan:8080) whose pages may "
                             "call the API besides its own; repeatable")
    safety.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="a Host name the API answers to besides loopback and the bound "
                             "address (e.g. farm.lan); repeatable")
    safety.add_argument("--allow-path", action="append", default=[], type=Path, metavar="DIR",
                        help="a host folder whose files scripts may read (material_list, "
                             "material_path, avatar_path, comment_image_path) besides the data "
                             "folder; repeatable")
    hooks = serve.add_argument_group("webhooks")
    hooks.add_argument("--webhook", action="append", default=[], type=_http_url,
                       metavar="URL",
                       help="post each task's end (completed or failed) to URL; repeatable")
    hooks.add_argument("--webhook-secret", default=None, metavar="S",
                       help="sign each post with HMAC-SHA256 of its body under S (header "
                            f"{SIGNATURE_HEADER}; default: the environment's "
                            f"{WEBHOOK_SECRET_VARIABLE}, else unsigned)")
    retry = serve.add_argument_group("scheduling")
    scheduling = given.scheduling
    retry.add_argument("--no-auto-retry", action="store_true",
                       help="do not retry failed tasks automatically")
    retry.add_argument("--max-retries", type=int, default=scheduling.max_retries,
                       choices=range(1, 11), metavar="1-10",
                       help=f"automatic retries per task (default {scheduling.max_retries})")
    retry.add_argument("--retry-delay", type=float, nargs=2, default=scheduling.retry_delay,
                       metavar=("MIN", "MAX"),
                       help="seconds before an automatic retry, drawn uniformly (default "
                            f"{' '.join(f'{s:g}' for s in scheduling.retry_delay)})")
    retry.add_argument("--random-order", action="store_true",
                       help="run each phone's due tasks in random order instead of oldest first")


def _api_process_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Started by `serve --api-processes`, never by hand: left out of the help.
    process = sub.add_parser("api-process")
    process.add_argument("--fd", type=int, required=True)
    process.add_argument("--core-socket", required=True)
    process.add_argument("--sqlite-path", type=Path, required=True)
    process.add_argument("--host", required=True)
    process.add_argument("--allow-origin", action="append", default=[])
    process.add_argument("--allow-host", action="append", default=[])
    process.add_argument("--plan", type=plan_named, required=True)
    process.add_argument("--access-log", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orchestrator",
        description="Async orchestrator for Android phone farms, serving the TikMatrix-compatible "
                    "task API.")
    parser.add_argument("--log-level", default="INFO", choices=_LOG_LEVELS,
                        help="default INFO (also taken after the command)")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {importlib.metadata.version('device-orchestrator')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_parser(sub)
    _sim_parser(sub)
    _api_process_parser(sub)
    for command in sub.choices.values():  # `orchestrator serve --log-level DEBUG` too
        command.add_argument("--log-level", default=argparse.SUPPRESS, choices=_LOG_LEVELS,
                             help="default INFO")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    adb = list(dict.fromkeys(args.adb or Settings().adb_servers))  # each server once
    return Settings(
        host=args.host, port=args.port,
        data_dir=args.data_dir,
        adb_host=adb[0][0], adb_port=adb[0][1], more_adb=tuple(adb[1:]), plan=args.plan,
        simulate=args.simulate, sim_prefix=args.sim_prefix, host_id=args.host_id,
        postgres=args.postgres, api_processes=args.api_processes, api_url=args.api_url,
        token=args.token or os.environ.get(TOKEN_VARIABLE) or None,
        allow_origins=tuple(args.allow_origin), allow_hosts=tuple(args.allow_host),
        allow_paths=tuple(path.absolute() for path in args.allow_path),
        webhooks=Webhooks(urls=tuple(args.webhook), secret=args.webhook_secret
                          or os.environ.get(WEBHOOK_SECRET_VARIABLE) or None),
        scheduling=SchedulerSettings(auto_retry=not args.no_auto_retry,
                                     max_retries=args.max_retries,
                                     retry_delay=tuple(args.retry_delay),
                                     random_order=args.random_order))


async def _run_sim(args: argparse.Namespace) -> None:
    plan = FaultPlan(faulty=args.faulty, latency=args.latency, hang=args.hang,
                     dump_delay=args.dump_delay, dump_fails=args.dump_fails,
                     disconnect_on=args.disconnect_on, crash_on=args.crash_on,
                     offline=args.offline,
                     unauthorized=args.unauthorized)
    async with trio.open_nursery() as nursery, AsyncExitStack() as stack:
        await nursery.start(stop_on_signals, nursery.cancel_scope, "the simulator")
        with starting(f"listen on {args.host} port {args.port}"):
            sim = await stack.enter_async_context(
                open_simulator(args.devices, host=args.host, port=args.port,
                               prefix=args.prefix))
        plan.apply(sim.farm)
        print(f"{_phones(len(sim.farm))} simulated; ADB server on {sim.address} "  # noqa: T201
              f"(try: adb -P {sim.port} devices -l). Ctrl-C stops.", flush=True)
        if args.adbd_port is not None:
            ports = [await _serve_adbd(nursery, phone, args.host,
                                       args.adbd_port + number if args.adbd_port else 0)
                     for number, phone in enumerate(sim.farm)]
            print(f"each phone's adbd, in order: {args.host} port(s) "  # noqa: T201
                  f"{' '.join(map(str, ports))} (try: adb connect {args.host}:{ports[0]})",
                  flush=True)
        if args.churn:
            await run_churn(sim.farm, args.churn)
        else:
            await trio.sleep_forever()


async def _serve_adbd(nursery: trio.Nursery, phone: Phone, host: str, port: int) -> int:
    """Serve `phone`'s adbd on `host:port` in `nursery`; the port bound."""
    with starting(f"listen on {host} port {port} (--adbd-port)"):
        bound: int = await nursery.start(functools.partial(
            serve_device_transport, phone, host=host, port=port))
    return bound


def _phones(count: int) -> str:
    return f"{count} phone" if count == 1 else f"{count} phones"


async def _serve(settings: Settings) -> None:
    """The orchestrator until SIGTERM or Ctrl-C, then a clean stop (`stop_on_signals`)."""
    async with trio.open_nursery() as nursery:
        await nursery.start(stop_on_signals, nursery.cancel_scope)
        await run_orchestrator(settings)


def _refused(settings: Settings, no_token: bool) -> str | None:
    """Why `serve` must not start as asked: a token no header can carry, or a
    non-loopback address without a token."""
    if settings.token is not None and not _TOKEN.fullmatch(settings.token):
        return ("the token must be printable ASCII without spaces (it travels in the "
                "header `Authorization: Bearer <token>`)")
    if settings.token is not None or is_loopback(settings.host):
        return None
    if no_token:
        log.warning("serving %s without a token (--no-token): anyone who reaches port %d "
                    "drives the phones and reads the accounts", settings.host, settings.port)
        return None
    return (f"--host {settings.host} is reachable from other machines: set a token with "
            f"--token T (or the environment's {TOKEN_VARIABLE}), or serve it open with "
            "--no-token")


def _api_process(args: argparse.Namespace) -> ApiProcess:
    """The `ApiProcess` that `ApiProcess.command` (and `environment`) described."""
    return ApiProcess(sqlite_path=args.sqlite_path,
                      postgres=os.environ.get(POSTGRES_VARIABLE),
                      access=Access(token=os.environ.get(TOKEN_VARIABLE),
                                    bound_host=args.host,
                                    origins=tuple(args.allow_origin),
                                    hosts=tuple(args.allow_host)),
                      plan=args.plan)


def _run(args: argparse.Namespace) -> None:
    if args.command == "sim":
        trio.run(_run_sim, args)
    elif args.command == "serve":
        trio.run(_serve, _settings(args))
    elif args.command == "api-process":
        trio.run(functools.partial(run_api_process, _api_process(args), fd=args.fd,
                                   core_socket=args.core_socket))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command `argv` asks for; its exit status (a start-up failure: one line on
    stderr and 1, the traceback at DEBUG only; a refused `serve`: 2)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger(ACCESS_LOG).setLevel(
        logging.INFO if getattr(args, "access_log", False) else logging.WARNING)
    if args.command == "serve" and (why := _refused(_settings(args), args.no_token)):
        print(f"orchestrator: {why}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        _run(args)
    except BaseException as exc:
        found = list(leaves(exc))
        if any(isinstance(e, KeyboardInterrupt) for e in found):
            return 130
        failure = next((e for e in found if isinstance(e, StartupFailed)), None)
        if failure is None:
            raise
        log.debug("start-up failed", exc_info=exc)
        print(f"orchestrator: {failure}", file=sys.stderr)  # noqa: T201
        return 1
    return 0
