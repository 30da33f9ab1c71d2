"""The routes about the host rather than its tasks: the plan, and the phones."""

from __future__ import annotations

from quart import Blueprint, Response

from actors.messages import DeviceSnapshot, ListDevices

from ..errors import Unavailable
from ._facade import Facade
from ._openapi import Doc
from ._render import Devices, License
from ._wire import envelope

__all__ = ["meta_routes"]


def meta_routes(facade: Facade) -> Blueprint:
    """`GET /license/check` and `GET /devices`, served by `facade`."""
    routes = Blueprint("meta", __name__)

    @routes.get("/license/check")
    @Doc(summary="Which plan is configured", answer=License)
    async def license_check() -> Response:
        return envelope(License.of(facade.plan))

    @routes.get("/devices")
    @Doc(summary="The phones this host sees", answer=Devices, errors=(Unavailable,))
    async def devices() -> Response:
        found: list[DeviceSnapshot] = await facade.ask(lambda reply: ListDevices(reply=reply))
        return envelope(Devices(devices=found, total=len(found)))

    return routes
