"""Serving an app with hypercorn's trio worker, configured in one place."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from hypercorn.typing import Framework

__all__ = ["ACCESS_LOG", "BACKLOG", "serve_on", "tcp_bind"]

#: Connections the kernel holds for a listening socket until they are accepted (hypercorn's
#: default: 100); API processes listen on a socket the core made with it.
BACKLOG = 1024
#: The logger of one line per request: quiet unless its level lets INFO through
#: (`orchestrator serve --access-log`).
ACCESS_LOG = "orchestrator.access"


def tcp_bind(host: str, port: int) -> str:
    """hypercorn's bind of a TCP address (IPv6 hosts in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def serve_on(app: Framework, binds: Sequence[str], *, access_log: bool = True,
                   task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED
                   ) -> None:
    """Serve `app` on hypercorn `binds` (`host:port`, `unix:path`, `fd://n`) until
    cancelled; started with the addresses bound. `access_log`: its requests have lines
    in `ACCESS_LOG` (not those an API process forwards: it wrote theirs)."""
    config = Config()
    config.bind = list(binds)
    config.backlog = BACKLOG
    # Its lines go through our logging only: a handler of its own printed each twice.
    config.errorlog = logging.getLogger("hypercorn.error")
    access = logging.getLogger(ACCESS_LOG)
    # Off, hypercorn gathers nothing per request for it (every header and env variable).
    config.accesslog = access if access_log and access.isEnabledFor(logging.INFO) else None
    # Client, request line with its query, status, bytes sent, seconds; never a header
    # (the token travels in one).
    config.access_log_format = '%(h)s "%(m)s %(Uq)s HTTP/%(H)s" %(s)s %(b)s %(L)ss'
    await serve(app, config, task_status=task_status)
