"""Serving the API: in this process, or from API processes of its own.

In this process, one event loop and one GIL run both the API and the core (actors,
store lanes, adb calls): under a heavy API load, the core's timers and threads wait
their turn, and tasks start late (bench/README.md, Timing). With API processes, this
process binds the API's port and hands the listening socket to each of them (each
accepts from it); they answer the task reads from the store and forward the rest to
this process's app, which then listens on a Unix socket in a private temporary folder,
under `$XDG_RUNTIME_DIR` where there is one (cleaners of /tmp age files out; see
`_forward`). The phones keep a core of their own.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import tempfile

import trio
from quart_trio import QuartTrio

from actors import Backoff

from ._api_process import ApiProcess
from ._hypercorn import BACKLOG, serve_on, tcp_bind

__all__ = ["serve_api"]

log = logging.getLogger(__name__)

#: Seconds before an API process that exited is started again, and at most after exits
#: in a row that each came soon after its start (`Backoff`).
RESTART_PAUSE = (1.0, 30.0)
#: How long an API process must have run for its exit to count as a new trouble.
RAN_WELL = 60.0


async def serve_api(app: QuartTrio, *, host: str, port: int, processes: int = 0,
                    process: ApiProcess | None = None,
                    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve `app` on `host:port` until cancelled: here, or from `processes` API
    processes, each opening what `process` says.

    Started with the bound port, so `port=0` picks a free one. API processes accept
    connections as soon as they are up (a second or so); until then, connections wait
    in the socket's backlog.
    """
    if processes <= 0:
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(serve_on, app, [tcp_bind(host, port)])
            task_status.started(int(binds[0].rpartition(":")[2]))
        return
    if process is None:
        raise ValueError("API processes need `process`: what they are to open")
    v6 = ":" in host
    # Their stdin is a pipe only this process writes to: its end closes when this
    # process ends, however it ends, and then they end too (`run_api_process`).
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.create_server(
            (host, port), family=socket.AF_INET6 if v6 else socket.AF_INET, backlog=BACKLOG,
            dualstack_ipv6=v6 and socket.has_dualstack_ipv6()))  # `::` takes IPv4 too
        private = stack.enter_context(tempfile.TemporaryDirectory(
            prefix="orchestrator-", dir=os.environ.get("XDG_RUNTIME_DIR") or None))
        lifeline, held = os.pipe()
        stack.callback(os.close, lifeline)
        stack.callback(os.close, held)
        core_socket = f"{private}/core.sock"
        command = process.command(fd=listener.fileno(), core_socket=core_socket)
        async with trio.open_nursery() as nursery:
            await nursery.start(functools.partial(serve_on, app, [f"unix:{core_socket}"],
                                                  access_log=False))
            for number in range(1, processes + 1):
                nursery.start_soon(functools.partial(
                    _keep_running, number, command, env=process.environment(),
                    fd=listener.fileno(), stdin=lifeline))
            task_status.started(listener.getsockname()[1])


async def _keep_running(number: int, command: list[str], *, env: dict[str, str], fd: int,
                        stdin: int) -> None:
    """Run API process `number` until cancelled, starting it again whenever it exits.

    In a session of its own, so that a Ctrl-C at the terminal reaches this process only:
    it ends them as it ends (`stop_on_signals`, and the pipe on their stdin).
    """
    pauses = Backoff(*RESTART_PAUSE)
    while True:
        started = trio.current_time()
        done = await trio.run_process(command, stdin=stdin, pass_fds=(fd,), check=False,
                                      start_new_session=True, env=env)
        if trio.current_time() - started >= RAN_WELL:
            pauses.succeeded()
        pause = pauses.failed()
        log.error("API process %d exited with status %d; starting it again in %.0f s",
                  number, done.returncode, pause)
        await trio.sleep(pause)
