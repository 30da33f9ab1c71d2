"""Start-up recovery: the scheduler's rules, applied to what a dead process left running."""

from __future__ import annotations

import random
from pathlib import Path

from actors import (
    INTERRUPTED_REMARK,
    NewTask,
    Requeue,
    SchedulerSettings,
    TaskEnd,
    TaskStatus,
    WallClock,
    recover_interrupted,
)
from orchestrator.store import open_sqlite_store


def _new(request_id: str) -> NewTask:
    return NewTask(serial="p1", script_name="follow", request_id=request_id, due_at=0,
                   script_config={"target_user": "ann"})


async def test_interrupted_tasks_are_retried_as_any_failure(tmp_path: Path) -> None:
    """A task left running fails 'interrupted' and, with retries left, is due again after
    a delay drawn from `retry_delay` as for any failure (it took the range's low end); one
    without retries left stays failed."""
    settings = SchedulerSettings(max_retries=1, retry_delay=(30.0, 40.0))
    async with open_sqlite_store(tmp_path / "tasks.db") as store:
        first, spent = await store.create_tasks([_new("a"), _new("b")], created_at=0)
        await store.mark_running({first.id: 1, spent.id: 1})
        [again] = await store.finish_tasks({spent.id: TaskEnd(
            status=TaskStatus.FAILED, remark="x", finished_at=2)},
            retries={spent.id: Requeue(due_at=0)})
        await store.mark_running({spent.id: 3})
        clock = WallClock()
        before = clock.now()
        await recover_interrupted(store, clock, settings, rng=random.Random(7))
        retried, exhausted = await store.get_task(first.id), await store.get_task(spent.id)
    assert retried is not None
    assert exhausted is not None
    assert (retried.status, retried.retry_count) == (TaskStatus.PENDING, 1)
    drawn = random.Random(7).uniform(30.0, 40.0)
    assert before + drawn <= retried.due_at <= clock.now() + drawn
    assert (exhausted.status, exhausted.remark) == (TaskStatus.FAILED, INTERRUPTED_REMARK)
    assert again.retry_count == exhausted.retry_count == 1
