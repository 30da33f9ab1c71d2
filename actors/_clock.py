"""Wall-clock time on trio's clock, so that due times work under trio's MockClock too."""

from __future__ import annotations

import time

import trio

__all__ = ["WallClock"]


class WallClock:
    """Maps POSIX timestamps to trio deadlines by a fixed offset taken at creation.

    Under `trio.testing.MockClock` (autojump) `now()` advances with virtual time, so
    tests of due times and intervals run instantly. `epoch` pins the wall time that
    corresponds to trio's time at creation (tests); by default it is `time.time()`.
    Must be created inside `trio.run`.
    """

    def __init__(self, epoch: float | None = None) -> None:
        self._offset = (time.time() if epoch is None else epoch) - trio.current_time()

    def now(self) -> float:
        """The current wall time, as a POSIX timestamp."""
        return trio.current_time() + self._offset

    @staticmethod
    def time_of_day(wall: float) -> str:
        """Wall time `wall` as this host's clock shows it, `HH:MM:SS` (for remarks)."""
        return time.strftime("%H:%M:%S", time.localtime(wall))

    @staticmethod
    def moment(wall: float) -> str:
        """Wall time `wall` as this host's clock shows it, `YYYY-MM-DD HH:MM` (for logs
        of what runs at set times)."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(wall))

    def deadline(self, wall: float) -> float:
        """The trio deadline for wall time `wall`."""
        return wall - self._offset
