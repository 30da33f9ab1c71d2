"""The schedule store, on both backends: every field back as written, names unique
whatever their case, and a slot run once, its tasks created in the same transaction."""

from __future__ import annotations

import attrs
import pytest

from actors import NewSchedule, NewTask, ScheduleNameTaken, ScheduleStore, TaskSource
from orchestrator.store import Store

NOW = 1_700_000_000.0
NIGHT = NewSchedule(name="Night", weekdays=(1, 5), times=("01:30", "23:00"),
                    serials=("s1", "ü-2"), groups=("shelf",), script_name="follow",
                    script_config={"target_users": ["alice"]}, min_interval=1,
                    max_interval=3, timeout=600)


@pytest.fixture
def schedules(store: Store) -> ScheduleStore:
    return store.schedules


async def test_round_trip_names_update_delete(schedules: ScheduleStore) -> None:
    night = await schedules.create_schedule(NIGHT, created_at=NOW, next_run_at=NOW + 60)
    assert attrs.asdict(night) == {**attrs.asdict(NIGHT), "id": night.id, "created_at": NOW,
                                   "next_run_at": NOW + 60, "last_run_at": None,
                                   "last_outcome": ""}
    assert await schedules.get_schedule(night.id) == night
    with pytest.raises(ScheduleNameTaken, match="'NIGHT' exists already"):
        await schedules.create_schedule(attrs.evolve(NIGHT, name="NIGHT"), created_at=NOW,
                                        next_run_at=None)
    day = await schedules.create_schedule(attrs.evolve(NIGHT, name="day", enabled=False),
                                          created_at=NOW, next_run_at=None)
    assert await schedules.list_schedules() == [night, day]
    with pytest.raises(ScheduleNameTaken):
        await schedules.update_schedule(day.id, attrs.evolve(NIGHT, name="night"),
                                        next_run_at=None)
    changed = await schedules.update_schedule(night.id, attrs.evolve(NIGHT, timeout=None),
                                              next_run_at=NOW + 120)
    assert changed == attrs.evolve(night, timeout=None, next_run_at=NOW + 120)
    moved = await schedules.move_next_run(night.id, next_run_at=NOW + 7)
    assert moved == attrs.evolve(changed, next_run_at=NOW + 7)
    assert await schedules.update_schedule(999, NIGHT, next_run_at=None) is None
    assert await schedules.delete_schedule(night.id)
    assert not await schedules.delete_schedule(night.id)
    assert await schedules.list_schedules() == [day]


async def test_a_slot_runs_once_with_its_tasks(store: Store) -> None:
    """The slot, the next one, the outcome and the tasks are one write; the same slot
    (or an earlier one) again writes nothing, as a schedule that is gone does."""
    night = await store.schedules.create_schedule(NIGHT, created_at=NOW, next_run_at=NOW)
    tasks = [NewTask(serial=serial, script_name="follow", script_config={"target_user": "a"},
                     source=TaskSource.SCHEDULE, schedule_id=night.id, due_at=NOW,
                     request_id="r", timeout=600) for serial in ("s1", "s2")]
    fired = await store.schedules.fire_schedule(night.id, slot=NOW, next_run_at=NOW + 86_400,
                                                tasks=tasks, outcome="created 2 task(s)",
                                                created_at=NOW + 0.5)
    assert fired is not None
    schedule, made = fired
    assert (schedule.last_run_at, schedule.next_run_at, schedule.last_outcome) == (
        NOW, NOW + 86_400, "created 2 task(s)")
    assert [await store.get_task(task.id) for task in made] == made
    assert {(t.source, t.schedule_id, t.timeout) for t in made} == {
        (TaskSource.SCHEDULE, night.id, 600)}
    assert (await store.task_stats()).pending == 2
    for slot in (NOW, NOW - 60):
        assert await store.schedules.fire_schedule(
            night.id, slot=slot, next_run_at=None, tasks=tasks, outcome="again",
            created_at=NOW + 1) is None
    assert await store.schedules.fire_schedule(
        999, slot=NOW, next_run_at=None, tasks=tasks, outcome="", created_at=NOW) is None
    assert (await store.task_stats()).total == 2
    assert await store.schedules.get_schedule(night.id) == schedule
