"""`GET /openapi.json` (the document `_openapi` makes) and `GET /docs`, a page that reads
it: Swagger UI, whose files come from the `swagger-ui-bundle-v2` package (Swagger UI 5:
the first to read OpenAPI 3.1), so the page works offline, with no CDN and no build step.

These three answer as what they are (JSON document, HTML, CSS/JS/PNG), not in the
envelope; their errors are the envelope as everywhere. They stand behind the same gate,
token and browser rules as every other route.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from quart import Blueprint, Response, current_app, send_file, url_for
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from ._openapi import Doc, openapi_document

__all__ = ["docs_routes"]

#: The files the page loads, by the name it asks for: where each is, and its media type.
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (Path(swagger_ui_path) / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (Path(swagger_ui_path) / "swagger-ui-bundle.js", "text/javascript"),
    "favicon-32x32.png": (Path(swagger_ui_path) / "favicon-32x32.png", "image/png"),
    "init.js": (Path(__file__).with_name("docs-init.js"), "text/javascript"),
}
#: Seconds a browser may keep an asset: they change only with the package.
ASSET_MAX_AGE = 3600

_PAGE = string.Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>device-orchestrator API</title>
<link rel="stylesheet" href="$css">
<link rel="icon" type="image/png" href="$icon">
</head>
<body>
<div id="swagger-ui" data-url="$document"></div>
<script src="$bundle"></script>
<script src="$init"></script>
</body>
</html>
""")


def docs_routes() -> Blueprint:
    """`/openapi.json`, `/docs` and the page's files `/docs/{asset}`."""
    routes = Blueprint("docs", __name__)
    made: list[bytes] = []  # the document, made at the first ask (the app is complete)

    @routes.get("/openapi.json")
    @Doc(summary="This OpenAPI document", raw=("application/json",))
    async def openapi() -> Response:
        if not made:
            made.append(json.dumps(openapi_document(current_app), ensure_ascii=False).encode())
        return Response(made[0], mimetype="application/json")

    @routes.get("/docs")
    @Doc(summary="A page that reads this document (Swagger UI, works offline)",
         raw=("text/html",))
    async def page() -> Response:
        def asset(name: str) -> str:
            return url_for("docs.asset", asset=name)

        html = _PAGE.substitute(css=asset("swagger-ui.css"), icon=asset("favicon-32x32.png"),
                                bundle=asset("swagger-ui-bundle.js"), init=asset("init.js"),
                                document=url_for("docs.openapi"))
        return Response(html, mimetype="text/html")

    names = ", ".join(f'"{name}"' for name in ASSETS)

    @routes.get(f"/docs/<any({names}):asset>")
    @Doc(summary="A file of the docs page",
         raw=tuple(sorted({media for _, media in ASSETS.values()})))
    async def asset(asset: str) -> Response:
        path, media = ASSETS[asset]
        return await send_file(path, mimetype=media, cache_timeout=ASSET_MAX_AGE,
                               conditional=True)

    return routes
