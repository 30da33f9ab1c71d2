"""Serving an app with hypercorn's trio worker, configured in one place."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from hypercorn.typing import Framework

__all__ = ["BACKLOG", "serve_on", "tcp_bind"]

#: Connections the kernel holds for a listening socket until they are accepted (hypercorn's
#: default: 100); API processes listen on a socket the core made with it.
BACKLOG = 1024


def tcp_bind(host: str, port: int) -> str:
    """hypercorn's bind of a TCP address (IPv6 hosts in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def serve_on(app: Framework, binds: Sequence[str],
                   *, task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED
                   ) -> None:
    """Serve `app` on hypercorn `binds` (`host:port`, `unix:path`, `fd://n`) until
    cancelled; started with the addresses bound."""
    config = Config()
    config.bind = list(binds)
    config.backlog = BACKLOG
    # Its lines go through our logging only: a handler of its own printed each twice.
    config.errorlog = logging.getLogger("hypercorn.error")
    await serve(app, config, task_status=task_status)
