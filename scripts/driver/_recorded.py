"""`Recorded`: a driver that writes each thing it is asked to do in a task's step log.

It wraps the driver a task runs with, so every script's steps are logged alike, with
no script saying anything. What a step typed is never written (it may be a password),
only how much; a shell command is written by its program and first argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .._steps import StepLog
from ._protocol import DeviceDriver, ShellOutput
from ._selector import Selector, UiElement, UiTree

__all__ = ["Recorded"]


def _named(element: UiElement) -> str:
    name = element.text or element.content_desc or element.resource_id.rpartition("/")[2]
    return f"“{name}”" if name else "a view"


class Recorded:
    """`driver`, each call written in `steps` before it is made."""

    def __init__(self, driver: DeviceDriver, steps: StepLog) -> None:
        self._driver = driver
        self._steps = steps

    @property
    def serial(self) -> str:
        return self._driver.serial

    async def shell(self, *argv: str) -> ShellOutput:
        self._steps.add(f"ran `{' '.join(argv[:2])}`")
        return await self._driver.shell(*argv)

    async def open_url(self, url: str, package: str | None = None) -> None:
        self._steps.add(f"opened {url}" + (f" in {package}" if package else ""))
        await self._driver.open_url(url, package)

    async def share_files(self, package: str, paths: Sequence[str], mime: str,
                          text: str | None = None) -> None:
        self._steps.add(f"shared {len(paths)} file(s) ({mime}) with {package}")
        await self._driver.share_files(package, paths, mime, text)

    async def start_app(self, package: str) -> None:
        self._steps.add(f"started {package}")
        await self._driver.start_app(package)

    async def stop_app(self, package: str) -> None:
        self._steps.add(f"stopped {package}")
        await self._driver.stop_app(package)

    async def dump_ui(self) -> UiTree:
        self._steps.add("read the screen")
        return await self._driver.dump_ui()

    async def screenshot(self) -> bytes:
        self._steps.add("took a screenshot")
        return await self._driver.screenshot()

    async def tap(self, x: int, y: int) -> None:
        self._steps.add(f"tapped at {x},{y}")
        await self._driver.tap(x, y)

    async def tap_element(self, element: UiElement) -> None:
        x, y = element.bounds.center
        self._steps.add(f"tapped {_named(element)} at {x},{y}")
        await self._driver.tap_element(element)

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration: float = 0.3) -> None:
        self._steps.add(f"swiped from {x1},{y1} to {x2},{y2}")
        await self._driver.swipe(x1, y1, x2, y2, duration)

    async def key(self, code: int | str) -> None:
        self._steps.add(f"pressed key {code}")
        await self._driver.key(code)

    async def type_text(self, text: str) -> None:
        self._steps.add(f"typed {len(text)} character(s)")
        await self._driver.type_text(text)

    async def push(self, source: Path | bytes, remote_path: str) -> None:
        self._steps.add(f"copied a file to {remote_path}")
        await self._driver.push(source, remote_path)

    async def pull(self, remote_path: str) -> bytes:
        self._steps.add(f"read {remote_path}")
        return await self._driver.pull(remote_path)

    async def wait_for(self, selector: Selector, timeout: float) -> UiElement:  # noqa: ASYNC109
        self._steps.add(f"waited up to {timeout:g} s for {selector}")
        return await self._driver.wait_for(selector, timeout)
