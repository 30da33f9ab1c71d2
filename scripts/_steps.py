"""What a task's run did, step by step, in words a person reads: the task's log
(`GET /task/{id}/log`), and the screen when it failed.

A log is bounded: at most `MAX_STEPS` lines a run (the last kept for how it ended), each
at most `MAX_MESSAGE` characters, and a step repeated at once (a screen read while
waiting) is one line with a count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs

__all__ = ["MAX_STEPS", "RunningSteps", "Step", "StepLog"]

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
        """One step; past `MAX_STEPS - 2` lines, only counted (room is kept for saying
        so and for the end)."""
        message = _kept(message)
        if self._last == (level, message) and self._steps:
            self._repeats += 1
            self._steps[-1] = attrs.evolve(self._steps[-1],
                                           message=f"{message} ({self._repeats} times)")
            return
        if len(self._steps) >= MAX_STEPS - 2:
            self._dropped += 1
            self._last = None
            return
        self._last, self._repeats = (level, message), 1
        self._steps.append(Step(self._clock(), level, message))

    @property
    def so_far(self) -> tuple[Step, ...]:
        """The steps of the run while it goes on."""
        return tuple(self._steps)

    def end(self, message: str, level: str) -> tuple[Step, ...]:
        """The run's steps, ending with how it ended (`message`), always kept."""
        last = Step(self._clock(), level, _kept(message))
        if not self._dropped:
            return (*self._steps, last)
        note = Step(last.at, "WARNING",
                    f"{self._dropped} more step(s) not kept (at most {MAX_STEPS} a run)")
        return (*self._steps, note, last)


class RunningSteps:
    """The step logs of the runs going on now, by task id: what a task's log shows while
    it runs, before the run's steps are stored with its end."""

    def __init__(self) -> None:
        self._logs: dict[int, StepLog] = {}

    @contextmanager
    def showing(self, task_id: int, steps: StepLog) -> Iterator[None]:
        """`steps` are the running task's, for the block."""
        self._logs[task_id] = steps
        try:
            yield
        finally:
            if self._logs.get(task_id) is steps:
                del self._logs[task_id]

    def of(self, task_id: int) -> tuple[Step, ...]:
        """The running task's steps so far (none if it does not run here)."""
        steps = self._logs.get(task_id)
        return () if steps is None else steps.so_far


def _kept(message: str) -> str:
    """`message` as it can be stored: at most `MAX_MESSAGE` characters, valid UTF-8 (a
    lone surrogate from a phone's text would make the whole end unstorable)."""
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 1] + "…"
    return message.encode("utf-8", "replace").decode("utf-8")
