"""What `/` and `/console/{file}` serve: the page and its scripts and style, with their
rules; nothing else of the folder, and nothing outside it, is a file of the console."""

from __future__ import annotations

import pytest

from .conftest import Api, AppAndCore


async def test_the_page_and_its_files(farm: AppAndCore) -> None:
    client = farm.api.client
    page = await client.get("/")
    assert (page.status_code, page.mimetype) == (200, "text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/console/main.js">' in await page.get_data(as_text=True)
    for name, media in [("main.js", "text/javascript"), ("style.css", "text/css"),
                        ("vendor/htm-preact.js", "text/javascript")]:
        answer = await client.get(f"/console/{name}")
        assert (answer.status_code, answer.mimetype) == (200, media), name
        assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", [
    "login.html", "./login.html", "index.html", "vendor/LICENSE-htm", "screenshots/wall.png",
    "../api/_app.py", "%2e%2e/api/_app.py", "..%2f..%2fpyproject.toml", "nothing.js"])
async def test_nothing_else(api: Api, name: str) -> None:
    answer = await api("GET", f"/console/{name}")
    assert (answer.status, answer.code) == (404, 40401), name
