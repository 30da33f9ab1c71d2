"""What an operator does to a phone by hand, beside its tasks: read its screen, touch it.

Each phone gets a driver of its own here (its own ADB connection and limiter), so a
screen read never waits for a task's device call, nor holds one up, and a phone reads
one screen at a time; at most `AT_ONCE` of these calls run on the host at a time, so
that a wall of 1,000 screens cannot take the host's threads from the tasks; and screen
reads start at most `SCREENS_PER_SECOND` a second on the host, in the order asked, so a
wall of 200 live tiles costs the host what 40 screens a second cost (each tile is then
read every 5 s), not what 200 would. Scaling a screen down (about 25 ms of CPU for a
1080x2400 PNG) happens in one thread at a time, and a screen that did not change since
it was last scaled (an idle phone's) is answered from `_Thumbnails` without scaling it
again.
"""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import adbutils
import trio

from scripts.driver import AdbDriver, CallObserver, ignore_call

from ..errors import Unavailable

__all__ = ["AT_ONCE", "CALL_TIMEOUT", "Phones"]

T = TypeVar("T")

#: Screen reads and inputs running at once on this host, at most.
AT_ONCE = 8
#: Seconds one screen read or input may take.
CALL_TIMEOUT = 10.0
#: Scaled screens kept, the last used (a thumbnail is a few KB).
THUMBNAILS_KEPT = 1024
#: Screen reads started a second on the host, at most.
SCREENS_PER_SECOND = 40


class _Pace:
    """Starts spaced at least `1 / per_second` s apart, in the order they were asked."""

    def __init__(self, per_second: float) -> None:
        self._gap = 1 / per_second
        self._next = 0.0
        self._turn = trio.Lock()  # fair: first come, first served

    async def wait(self) -> None:
        async with self._turn:
            now = trio.current_time()
            await trio.sleep_until(max(now, self._next))
            self._next = max(now, self._next) + self._gap


_Key = tuple[bytes, bool, int | None]


class _Thumbnails:
    """The screens scaled lately, by what they were made from: an unchanged screen is
    scaled once."""

    def __init__(self) -> None:
        self._kept: OrderedDict[_Key, bytes] = OrderedDict()

    @staticmethod
    def key(png: bytes, jpeg: bool, max_width: int | None) -> _Key:
        return hashlib.blake2b(png, digest_size=16).digest(), jpeg, max_width

    def get(self, key: _Key) -> bytes | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: _Key, image: bytes) -> None:
        self._kept[key] = image
        if len(self._kept) > THUMBNAILS_KEPT:
            self._kept.popitem(last=False)


class Phones:
    """The phones of this host's ADB `servers`, for screens and input: each on the server
    `server_of` says (the watchers keep it), the first one's if none; `observe` hears of
    each adb call."""

    def __init__(self, server_of: Mapping[str, tuple[str, int]], *,
                 servers: Sequence[tuple[str, int]],
                 observe: CallObserver = ignore_call) -> None:
        self._server_of = server_of
        self._servers = servers
        self._adb = servers[0]
        self._observe = observe
        self._drivers: dict[str, tuple[tuple[str, int], AdbDriver]] = {}
        self._host = trio.CapacityLimiter(AT_ONCE)
        self._scaling = trio.CapacityLimiter(1)
        self._thumbnails = _Thumbnails()
        self._screens = _Pace(SCREENS_PER_SECOND)

    async def call(self, serial: str, fn: Callable[[AdbDriver], Awaitable[T]]) -> T:
        """`fn` on `serial`'s driver, within the host's bound.

        Raises:
            scripts.driver.DriverError: the phone is gone or did not answer.
        """
        server = self._server_of.get(serial, self._adb)
        on, driver = self._drivers.get(serial, (None, None))
        if driver is None or on != server:  # new, or moved to another server
            driver = AdbDriver(*server, serial, limiter=trio.CapacityLimiter(1),
                               timeout=CALL_TIMEOUT, observe=self._observe)
            self._drivers[serial] = (server, driver)
        async with self._host:
            return await fn(driver)

    async def check_servers(self) -> None:
        """Every ADB server answers (its version), one after the other. A caller's cancel
        scope bounds the wait (the thread is left to its socket's timeout).

        Raises:
            Unavailable: the first that does not, and why.
        """
        for host, port in self._servers:
            client = adbutils.AdbClient(host=host, port=port, socket_timeout=CALL_TIMEOUT)
            try:
                await trio.to_thread.run_sync(client.server_version, abandon_on_cancel=True)
            except (adbutils.AdbError, OSError) as exc:
                raise Unavailable(f"the ADB server at {host}:{port} does not answer: "
                                  f"{type(exc).__name__}: {exc}".partition("\n")[0]) from exc

    async def screenshot(self, serial: str, *, jpeg: bool, max_width: int | None) -> bytes:
        """`serial`'s screen, as it is (PNG), or scaled down to `max_width` and/or as JPEG."""
        await self._screens.wait()
        png = await self.call(serial, lambda driver: driver.screenshot())
        if not jpeg and max_width is None:
            return png
        # hashed in a thread: a real phone's PNG is megabytes, and this is the loop's
        key = await trio.to_thread.run_sync(self._thumbnails.key, png, jpeg, max_width)
        image = self._thumbnails.get(key)
        if image is None:
            image = await trio.to_thread.run_sync(_converted, png, jpeg, max_width,
                                                  limiter=self._scaling)
            self._thumbnails.put(key, image)
        return image


def _converted(png: bytes, jpeg: bool, max_width: int | None) -> bytes:
    from PIL import Image  # here: only a thumbnail loads it (`tests/test_layers.py`)

    image: Image.Image = Image.open(io.BytesIO(png))
    if max_width is not None and image.width > max_width:
        size = (max_width, max(1, round(image.height * max_width / image.width)))
        image = image.resize(size, reducing_gap=2.0)  # halved fast first, then filtered
    out = io.BytesIO()
    if jpeg:
        image.convert("RGB").save(out, format="JPEG", quality=70)
    else:
        image.save(out, format="PNG")
    return out.getvalue()
