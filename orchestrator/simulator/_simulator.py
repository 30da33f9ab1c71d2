"""A whole simulated farm in one object: phones plus the ADB server in front of them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import attrs
import trio

from ._adb_server import serve_adb_server
from ._farm import Farm

__all__ = ["Simulator", "open_simulator"]

log = logging.getLogger(__name__)


@attrs.frozen
class Simulator:
    """A running simulator: the phones (`farm`) and where its ADB server listens."""

    farm: Farm
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@asynccontextmanager
async def open_simulator(devices: int = 0, *, host: str = "127.0.0.1", port: int = 0,
                         prefix: str = "sim-") -> AsyncIterator[Simulator]:
    """Run a fake ADB server with `devices` simulated phones (`prefix` and a number,
    `sim-0001`...) until the block exits.

    `port=0` picks a free port (see `Simulator.port`). The server runs in a nursery
    owned by this context manager, so leaving the block stops it.
    """
    farm = Farm()
    farm.add(devices, prefix=prefix)
    async with trio.open_nursery() as nursery:
        bound = await nursery.start(partial(serve_adb_server, farm, host=host, port=port))
        log.info("simulated ADB server with %d phone(s) on %s:%d", devices, host, bound)
        yield Simulator(farm=farm, host=host, port=bound)
        nursery.cancel_scope.cancel(reason="simulator closed")
