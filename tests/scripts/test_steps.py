"""A task's step log: repeats are one line with a count, and a run's log is bounded, its
end always kept."""

from __future__ import annotations

import itertools

from scripts import Step, StepLog
from scripts._steps import MAX_MESSAGE, MAX_STEPS


def test_a_repeated_step_is_one_line_with_a_count() -> None:
    ticks = itertools.count(1.0)
    log = StepLog(lambda: next(ticks))
    for message in ["read the screen"] * 3 + ["tapped", "read the screen"]:
        log.add(message)
    assert log.end("failed: gone", "ERROR") == (
        Step(1.0, "INFO", "read the screen (3 times)"), Step(2.0, "INFO", "tapped"),
        Step(3.0, "INFO", "read the screen"), Step(4.0, "ERROR", "failed: gone"))


def test_a_run_keeps_at_most_so_many_steps_and_always_its_end() -> None:
    log = StepLog(lambda: 0.0)
    for n in range(MAX_STEPS * 2):
        log.add(f"step {n}")
    steps = log.end("completed: " + "x" * MAX_MESSAGE, "INFO")
    assert len(steps) == MAX_STEPS
    assert steps[-3].message == f"step {MAX_STEPS - 3}"
    assert steps[-2] == Step(0.0, "WARNING", f"{MAX_STEPS + 2} more step(s) not kept "
                                             f"(at most {MAX_STEPS} a run)")
    assert steps[-1].message == ("completed: " + "x" * MAX_MESSAGE)[:MAX_MESSAGE - 1] + "…"


def test_a_step_is_stored_as_valid_text() -> None:
    """A lone surrogate (a phone's text read back) is replaced, not left to make the
    whole end unstorable."""
    log = StepLog(lambda: 0.0)
    log.add("typed \ud800 here")
    [step, _] = log.end("completed: ok", "INFO")
    assert step.message.encode("utf-8") == b"typed ? here"
