"""Serving the API: in this process, or from API processes of its own.

In this process, one event loop and one GIL run both the API and the core (actors,
store lanes, adb calls): under a heavy API load, the core's timers and threads wait
their turn, and tasks start late (bench/README.md, Timing). With API processes, this
process binds the API's port and hands the listening socket to each of them (the
kernel spreads the connections); they answer the task reads from the store and forward
the rest to this process's app, which then listens on a Unix socket in a private
temporary folder (`_forward`). The phones keep a core of their own.
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

from ._api_process import ApiProcess
from ._hypercorn import serve_on, tcp_bind

__all__ = ["serve_api"]

log = logging.getLogger(__name__)

#: Pause before an API process that exited is started again.
RESTART_PAUSE = 1.0


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
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Their stdin is a pipe only this process writes to: its end closes when this
    # process ends, however it ends, and then they end too (`run_api_process`).
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(
            socket.create_server((host, port), family=family, backlog=1024))
        private = stack.enter_context(tempfile.TemporaryDirectory(prefix="orchestrator-"))
        lifeline, held = os.pipe()
        stack.callback(os.close, lifeline)
        stack.callback(os.close, held)
        core_socket = f"{private}/core.sock"
        command = process.command(fd=listener.fileno(), core_socket=core_socket)
        async with trio.open_nursery() as nursery:
            await nursery.start(serve_on, app, [f"unix:{core_socket}"])
            for number in range(1, processes + 1):
                nursery.start_soon(functools.partial(
                    _keep_running, number, command, fd=listener.fileno(), stdin=lifeline))
            task_status.started(listener.getsockname()[1])


async def _keep_running(number: int, command: list[str], *, fd: int, stdin: int) -> None:
    """Run API process `number` until cancelled, starting it again whenever it exits."""
    while True:
        done = await trio.run_process(command, stdin=stdin, pass_fds=(fd,), check=False)
        log.error("API process %d exited with status %d; starting it again in %.0f s",
                  number, done.returncode, RESTART_PAUSE)
        await trio.sleep(RESTART_PAUSE)
