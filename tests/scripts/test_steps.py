"""A task's step log: repeats are one line with a count, and a run's log is bounded."""

from __future__ import annotations

import itertools

from scripts import Step, StepLog
from scripts._steps import MAX_MESSAGE, MAX_STEPS


def test_a_repeated_step_is_one_line_with_a_count() -> None:
    ticks = itertools.count(1.0)
    log = StepLog(lambda: next(ticks))
    for message in ["read the screen"] * 3 + ["tapped", "read the screen"]:
        log.add(message)
    log.add("failed: gone", "ERROR")
    assert log.steps == (Step(1.0, "INFO", "read the screen (3 times)"),
                         Step(2.0, "INFO", "tapped"), Step(3.0, "INFO", "read the screen"),
                         Step(4.0, "ERROR", "failed: gone"))


def test_a_run_keeps_at_most_so_many_steps_and_always_its_end() -> None:
    log = StepLog(lambda: 0.0)
    for n in range(MAX_STEPS * 2):
        log.add(f"step {n}")
    log.add("x" * (MAX_MESSAGE * 2), "ERROR")
    steps = log.steps
    assert len(steps) == MAX_STEPS + 1
    assert steps[-2] == Step(0.0, "WARNING", f"{MAX_STEPS + 1} more step(s) not kept "
                                             f"(at most {MAX_STEPS} a run)")
    assert steps[-1].message == "x" * (MAX_MESSAGE - 1) + "…"
    assert steps[MAX_STEPS - 2].message == f"step {MAX_STEPS - 2}"
