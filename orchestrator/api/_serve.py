"""Serving the app with hypercorn's trio worker."""

from __future__ import annotations

import functools

import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from quart_trio import QuartTrio

__all__ = ["serve_api"]


async def serve_api(app: QuartTrio, *, host: str, port: int,
                    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve `app` on `host:port` until cancelled.

    Started with the bound port, so `port=0` picks a free one.
    """
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    async with trio.open_nursery() as nursery:
        binds: list[str] = await nursery.start(functools.partial(serve, app, config))
        task_status.started(int(binds[0].rpartition(":")[2]))
