"""The console open in a real browser during a benchmark: its wall of live screens, as an
operator leaves it open, for `bench.timing --console-too` to measure what it costs the
tasks. Headless Chromium (Debian's), driven by Playwright in a thread of its own.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import trio

from bench._harness import cpu_seconds

__all__ = ["ConsoleLoad", "console_open"]

#: The page's size: wide and tall enough that 200 tiles are all in view at once.
VIEWPORT = {"width": 3840, "height": 5600}
#: The wall's page sizes (`orchestrator/console/wall.js`).
PAGE_SIZES = (50, 100, 200)


def _browser_cpu() -> float:
    """CPU seconds of every Chromium process on the machine."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "chromium":
                total += cpu_seconds(int(comm.parent.name))
        except (FileNotFoundError, ProcessLookupError):  # gone meanwhile
            continue
    return total


@attrs.define
class ConsoleLoad:
    """What the open console asked of the server, and what the browser took, so far."""

    tiles: int = 0
    screens: int = 0  # screenshots the page received
    started: float = 0.0
    browser_cpu: float = 0.0  # at `started`

    def figures(self) -> dict[str, Any]:
        seconds = max(time.monotonic() - self.started, 1e-9)
        return {"tiles_in_view": self.tiles, "screens": self.screens,
                "screens_per_s": round(self.screens / seconds, 1),
                "each_tile_every_s": round(seconds * self.tiles / max(self.screens, 1), 2),
                "browser_cpu_cores": round((_browser_cpu() - self.browser_cpu) / seconds, 2)}


def _browse(url: str, tiles: int, load: ConsoleLoad, ready: trio.Event,
            stop: threading.Event) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("no chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]

            def seen(response: Any) -> None:
                if "/screenshot" in response.url and response.ok:
                    load.screens += 1

            page.goto(url)
            fits = next(size for size in PAGE_SIZES if size >= tiles)
            page.get_by_label("Phones per page").select_option(str(fits))
            page.wait_for_function(
                f"() => [...document.querySelectorAll('.tile img')]"
                f".filter((image) => image.naturalWidth > 0).length >= {tiles}",
                timeout=120_000)
            load.tiles = page.locator(".tile img").count()
            page.on("response", seen)
            load.started, load.browser_cpu = time.monotonic(), _browser_cpu()
            trio.from_thread.run_sync(ready.set)
            while not stop.wait(0.1):
                page.wait_for_timeout(1)  # the page's events are handled in these calls
        finally:
            browser.close()


@asynccontextmanager
async def console_open(url: str, tiles: int) -> AsyncIterator[ConsoleLoad]:
    """The console at `url` showing `tiles` phones (at most 200, and at most the farm's),
    every screen in view and live, for the block; what it asked for, once the block is
    over."""
    load, ready, stop = ConsoleLoad(), trio.Event(), threading.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.to_thread.run_sync, _browse, url, tiles, load, ready, stop)
        try:
            await ready.wait()
            yield load
        finally:
            stop.set()
