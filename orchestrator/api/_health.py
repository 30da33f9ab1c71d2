"""`GET /health` (API.md "Self-description and health"): whether the parts the farm needs
answer now: the store (a read), the scheduler (a question), the ADB server (its version).
HTTP 200 with code 0 when all do; else HTTP 503, code 50301, naming what does not.

Each part gets `WITHIN` seconds; the store's read, once queued, is waited for (a store
that hangs holds the check: a prober's own timeout then says so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs
import trio
from quart import Blueprint, Response

from actors.messages import GetDevice

from ..errors import OrchestratorError, Unavailable
from ._facade import Facade
from ._openapi import Doc
from ._phones import Phones
from ._wire import envelope

__all__ = ["health_routes"]

#: Seconds each part has to answer.
WITHIN = 2.0
OK = "ok"


@attrs.frozen(kw_only=True)
class Health:
    """Each part: "ok", or why not."""

    store: str
    scheduler: str
    adb: str


async def _answer(check: Callable[[], Awaitable[object]]) -> str:
    """"ok" if `check` ends well within `WITHIN` seconds, else why not, in words."""
    with trio.move_on_after(WITHIN):
        try:
            await check()
        except OrchestratorError as exc:
            return exc.message
        except Exception as exc:  # the part's own failure, said as it is
            return f"{type(exc).__name__}: {exc}".partition("\n")[0]
        return OK
    return f"no answer in {WITHIN:g} s"


def health_routes(facade: Facade, phones: Phones) -> Blueprint:
    """`GET /health`, of `facade`'s store and scheduler and the ADB servers of `phones`."""
    routes = Blueprint("health", __name__)

    @routes.get("/health")
    @Doc(summary="Whether the store, the scheduler and the ADB servers answer (200 or 503)",
         answer=Health, errors=(Unavailable,))
    async def health() -> Response:
        found = Health(
            store=await _answer(lambda: facade.store.get_task(0)),
            # the cheapest question it takes (ListDevices would make a row per phone)
            scheduler=await _answer(lambda: facade.ask(
                lambda reply: GetDevice(serial="", reply=reply))),
            adb=await _answer(phones.check_servers))
        failing = [f"{name}: {why}" for name, why in attrs.asdict(found).items() if why != OK]
        if failing:
            raise Unavailable("not healthy: " + "; ".join(failing), data=found)
        return envelope(found)

    return routes
