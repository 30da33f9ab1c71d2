"""What an operator does to a phone by hand, beside its tasks: read its screen, touch it.

Each phone gets a driver of its own here (its own ADB connection and limiter), so a
screen read never waits for a task's device call, nor holds one up; and at most
`AT_ONCE` of these calls run on the host at a time, so that a wall of 1,000 screens
cannot take the host's threads and CPU from the tasks (encoding a thumbnail is under
the same bound).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

from scripts.driver import AdbDriver

__all__ = ["AT_ONCE", "Phones"]

T = TypeVar("T")

#: Screen reads and inputs running at once on this host, at most.
AT_ONCE = 8
#: Seconds one screen read or input may take.
CALL_TIMEOUT = 10.0


class Phones:
    """The phones of the ADB server at `adb_host:adb_port`, for screens and input."""

    def __init__(self, adb_host: str, adb_port: int) -> None:
        self._adb = (adb_host, adb_port)
        self._drivers: dict[str, AdbDriver] = {}
        self._host = trio.CapacityLimiter(AT_ONCE)

    async def call(self, serial: str, fn: Callable[[AdbDriver], Awaitable[T]]) -> T:
        """`fn` on `serial`'s driver, within the host's bound.

        Raises:
            scripts.driver.DriverError: the phone is gone or did not answer.
        """
        driver = self._drivers.get(serial)
        if driver is None:
            driver = self._drivers[serial] = AdbDriver(
                *self._adb, serial, limiter=trio.CapacityLimiter(1), timeout=CALL_TIMEOUT)
        async with self._host:
            return await fn(driver)

    async def screenshot(self, serial: str, *, jpeg: bool, max_width: int | None) -> bytes:
        """`serial`'s screen, as it is (PNG), or scaled down to `max_width` and/or as JPEG."""
        png = await self.call(serial, lambda driver: driver.screenshot())
        if not jpeg and max_width is None:
            return png
        async with self._host:
            return await trio.to_thread.run_sync(_converted, png, jpeg, max_width)


def _converted(png: bytes, jpeg: bool, max_width: int | None) -> bytes:
    from PIL import Image  # here: only a thumbnail loads it (`tests/test_layers.py`)

    image: Image.Image = Image.open(io.BytesIO(png))
    if max_width is not None and image.width > max_width:
        image = image.resize((max_width, max(1, round(image.height * max_width / image.width))))
    out = io.BytesIO()
    if jpeg:
        image.convert("RGB").save(out, format="JPEG", quality=70)
    else:
        image.save(out, format="PNG")
    return out.getvalue()
