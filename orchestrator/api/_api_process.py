"""One API process: the app on the API's shared socket, task reads answered from the
store (which it cannot write), everything else forwarded to the core (`_forward`)."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import attrs
import httpx
import trio

from ..plans import Plan
from ..runtime import start_up_frozen, stop_on_signals
from ..store import open_reads
from ._access import OPEN, Access
from ._app import create_reads_app
from ._hypercorn import ACCESS_LOG, serve_on

__all__ = ["POSTGRES_VARIABLE", "TOKEN_VARIABLE", "ApiProcess", "run_api_process"]

log = logging.getLogger(__name__)

#: How long a forwarded request may take to connect to the core; once connected, the
#: core answers within its own deadlines (a scheduler reply in 10 s, an upload as sent).
CONNECT_TIMEOUT = 5.0


#: The environment variables that hand an API process its secrets: not its command line,
#: which any user of the machine can read (`ps`).
TOKEN_VARIABLE = "ORCHESTRATOR_TOKEN"
POSTGRES_VARIABLE = "ORCHESTRATOR_POSTGRES"


@attrs.frozen(kw_only=True)
class ApiProcess:
    """What an API process opens: the task reads of the store the core writes, the plan,
    and who may ask (the core's `Access`)."""

    sqlite_path: Path
    postgres: str | None = attrs.field(repr=False)
    plan: Plan
    access: Access = OPEN

    def command(self, *, fd: int, core_socket: str) -> list[str]:
        """The command line that runs one, serving the socket `fd` (inherited) and
        forwarding to the core's Unix socket `core_socket`; its secrets are in
        `environment()`."""
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        access = logging.getLogger(ACCESS_LOG).isEnabledFor(logging.INFO)
        return [sys.executable, "-m", "orchestrator", "--log-level", level, "api-process",
                *(["--access-log"] if access else []),
                "--fd", str(fd), "--core-socket", core_socket,
                "--sqlite-path", str(self.sqlite_path), "--plan", self.plan.name,
                "--host", self.access.bound_host,
                *(arg for origin in self.access.origins for arg in ("--allow-origin", origin)),
                *(arg for host in self.access.hosts for arg in ("--allow-host", host))]

    def environment(self) -> dict[str, str]:
        """This process's environment with the API process's secrets (and without ours
        that it is not to have)."""
        env = {key: value for key, value in os.environ.items()
               if key not in (TOKEN_VARIABLE, POSTGRES_VARIABLE)}
        if self.access.token is not None:
            env[TOKEN_VARIABLE] = self.access.token
        if self.postgres is not None:
            env[POSTGRES_VARIABLE] = self.postgres
        return env


async def run_api_process(process: ApiProcess, *, fd: int, core_socket: str) -> None:
    """Serve the API on the listening socket `fd` until cancelled, or until stdin ends
    (the core process closes its end of the pipe by ending)."""
    # One line per forwarded request would be one per API call: the core logs what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with AsyncExitStack() as stack:
        freeze_start_up = stack.enter_context(start_up_frozen())
        store = await stack.enter_async_context(open_reads(
            postgres=process.postgres, sqlite_path=process.sqlite_path))
        core = await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=core_socket), base_url="http://core",
            timeout=httpx.Timeout(None, connect=CONNECT_TIMEOUT),
            # As many requests to the core at once as clients send: slow uploads never
            # hold up the rest in a queue for the pool.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64)))
        app = create_reads_app(store=store, plan=process.plan, core=core, access=process.access)
        log.info("API process serving socket %d; the core is at %s", fd, core_socket)
        async with trio.open_nursery() as nursery:
            await nursery.start(stop_on_signals, nursery.cancel_scope,
                                f"API process {os.getpid()}")
            await nursery.start(serve_on, app, [f"fd://{fd}"])
            freeze_start_up()
            await _until_closed(sys.stdin.fileno())
            log.info("the core process has ended: so does this API process")
            nursery.cancel_scope.cancel()


async def _until_closed(fd: int) -> None:
    """Return once the pipe `fd` reads from has no writer left."""
    async with trio.lowlevel.FdStream(os.dup(fd)) as pipe:
        while await pipe.receive_some():
            pass
