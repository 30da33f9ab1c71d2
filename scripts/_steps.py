"""What a task's run did, step by step, in words a person reads: the task's log
(`GET /task/{id}/log`), and the screen when it failed.

A log is bounded: at most `MAX_STEPS` lines a run, each at most `MAX_MESSAGE` characters,
and a step repeated at once (a screen read while waiting) is one line with a count.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

__all__ = ["MAX_STEPS", "Step", "StepLog"]

MAX_STEPS = 300
MAX_MESSAGE = 300


@attrs.frozen
class Step:
    at: float
    level: str  # "INFO", "WARNING" or "ERROR"
    message: str


class StepLog:
    """The steps of one run, as they happen; `screenshot` is the screen (PNG) when it
    failed, if one was taken."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._steps: list[Step] = []
        self._last: tuple[str, str] | None = None  # the last step as added: level, message
        self._repeats = 1
        self._dropped = 0
        self.screenshot: bytes | None = None

    def add(self, message: str, level: str = "INFO") -> None:
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE - 1] + "…"
        if self._last == (level, message) and self._steps:
            self._repeats += 1
            self._steps[-1] = attrs.evolve(self._steps[-1],
                                           message=f"{message} ({self._repeats} times)")
            return
        if len(self._steps) >= MAX_STEPS - 1 and level == "INFO":
            self._dropped += 1  # room is kept for how the run ended
            self._last = None
            return
        self._last, self._repeats = (level, message), 1
        self._steps.append(Step(self._clock(), level, message))

    @property
    def steps(self) -> tuple[Step, ...]:
        if not self._dropped:
            return tuple(self._steps)
        note = Step(self._steps[-1].at, "WARNING",
                    f"{self._dropped} more step(s) not kept (at most {MAX_STEPS} a run)")
        return (*self._steps[:-1], note, self._steps[-1])
