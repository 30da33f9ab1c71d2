"""The routes about the host rather than its tasks: the plan."""

from __future__ import annotations

from quart import Blueprint, Response

from ._facade import Facade
from ._openapi import Doc
from ._render import License
from ._wire import envelope

__all__ = ["meta_routes"]


def meta_routes(facade: Facade) -> Blueprint:
    """`GET /license/check`, served by `facade`."""
    routes = Blueprint("meta", __name__)

    @routes.get("/license/check")
    @Doc(summary="Which plan is configured", answer=License)
    async def license_check() -> Response:
        return envelope(License.of(facade.plan))

    return routes
