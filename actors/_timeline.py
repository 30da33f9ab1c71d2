"""Moments in time order, each of a key whose moment may change: what the scheduler
sleeps until (phones' next due tasks, schedules' next slots)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Timeline"]

K = TypeVar("K")


class Timeline(Generic[K]):
    """A heap of (moment, key). A key's moment is changed by pushing the new one: an
    entry whose moment is no longer its key's (`current`: None when the key is gone) is
    stale, and dropped when it comes to the top, so no change costs more than a push."""

    def __init__(self, current: Callable[[K], float | None]) -> None:
        self._heap: list[tuple[float, K]] = []
        self._current = current

    def push(self, moment: float, key: K) -> None:
        heapq.heappush(self._heap, (moment, key))

    def first(self) -> float:
        """The earliest moment that is still its key's (inf: none is)."""
        while self._heap:
            moment, key = self._heap[0]
            if self._current(key) == moment:
                return moment
            heapq.heappop(self._heap)
        return math.inf

    def pop(self) -> K:
        """The key of the earliest moment, taken off (after `first` has said it)."""
        return heapq.heappop(self._heap)[1]
