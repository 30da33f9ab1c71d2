"""The console in a real browser: Debian's Chromium, driven by Playwright, against the
real service on simulated phones.

Playwright's sync API runs in a worker thread (it brings its own event loop); what a
scenario needs of the simulator it reads through `trio.from_thread`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import attrs
import pytest
import trio
from playwright.sync_api import Page, expect, sync_playwright

from orchestrator.simulator import open_simulator

from ..test_end_to_end import ServiceAndPhones, open_farm

T = TypeVar("T")

#: Seconds a page may take to show what it must before the test gives up: a guard
#: against a hang, not a speed to meet.
PATIENCE = 60
expect.set_options(timeout=PATIENCE * 1000)


@pytest.fixture(autouse=True)
def _browser_there(chromium: str) -> None:
    """Every test here drives Chromium (`tests/conftest.py`: skipped where it is not)."""


@attrs.frozen
class Console:
    """The service of `farm`, and a way to look at its console in a browser."""

    farm: ServiceAndPhones

    @property
    def url(self) -> str:
        return str(self.farm.api.base_url).rstrip("/")

    async def browse(self, scenario: Callable[[Page], None], *,
                     viewport: tuple[int, int] = (1400, 900)) -> None:
        """`scenario` on a new page of a headless Chromium; no error of the page's
        scripts may happen meanwhile."""
        chromium = shutil.which("chromium")

        def in_browser() -> None:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium,
                                                     args=["--no-sandbox"])
                try:
                    width, height = viewport
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.set_default_timeout(PATIENCE * 1000)
                    errors: list[str] = []
                    page.on("pageerror", lambda error: errors.append(str(error)))
                    scenario(page)
                    assert errors == []
                finally:
                    browser.close()

        await trio.to_thread.run_sync(in_browser)


def on_trio(fn: Callable[[], T]) -> T:
    """`fn()` on the test's trio thread (from a scenario)."""
    return trio.from_thread.run_sync(fn)


def eventually(check: Callable[[], bool], said: Callable[[], str] = lambda: "") -> None:
    """Wait, in a scenario, until `check()` (run on the trio thread) holds; if it never
    does, fail with what `said()` (run there too) says of it."""
    give_up = time.monotonic() + PATIENCE
    while not on_trio(check):
        if time.monotonic() > give_up:
            pytest.fail(f"never happened: {on_trio(said)}")
        time.sleep(0.05)


@asynccontextmanager
async def open_console(tmp_path: Path, phones: int, *,
                       token: str | None = None) -> AsyncIterator[Console]:
    async with open_simulator(phones) as sim, open_farm(sim, tmp_path, token=token) as farm:
        yield Console(farm)
