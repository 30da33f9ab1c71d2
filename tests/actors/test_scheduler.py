"""The scheduler and device actors together, in virtual time, on the real SQLite store.

The runner here stands in for a script (it sleeps and records when it started), so
that timing rules can be checked exactly; scripts against phones are tested elsewhere.
"""

from __future__ import annotations

import functools
import itertools
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import attrs
import pytest
import trio
import trio.testing

from actors import (
    Address,
    Failure,
    NewTask,
    Requeue,
    SchedulerSettings,
    Task,
    TaskEnd,
    TaskFailed,
    TaskNotFound,
    TaskStatus,
    TaskStore,
    WallClock,
    WrongTaskState,
    run_device,
    serve_scheduler,
    supervise,
)
from actors.messages import (
    DeleteTasks,
    DeviceDown,
    DeviceMsg,
    DevicesListed,
    DeviceSnapshot,
    DeviceUp,
    ListDevices,
    RetryTasks,
    SchedulerMsg,
    StopTask,
    SubmitTasks,
)
from orchestrator.store import open_sqlite_store
from scripts import RunResult, StepLog

EPOCH = 1_800_000_000.0  # a fixed wall time for trio's time 0
VIRTUAL_DEADLINE = 100_000  # virtual seconds: reached at once by autojump if a test hangs


@pytest.fixture
def clock() -> trio.testing.MockClock:
    # Jump only after 20 ms of real idleness, so store calls (a worker thread) never
    # make virtual time leap while they run.
    return trio.testing.MockClock(autojump_threshold=0.02)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[TaskStore]:
    # Inline: the store answers in virtual time, so the clock never jumps past a call.
    async with open_sqlite_store(tmp_path / "tasks.db", inline=True) as store:
        yield store


@attrs.define
class FakeScript:
    """A task runner that takes `duration` seconds and records each start."""

    wall: WallClock
    duration: float = 10.0
    finish: trio.Event | None = None  # if set: each run waits for it, not `duration`
    failing: set[str] = attrs.Factory(set)  # serials whose tasks fail
    failure: Failure = Failure.TRANSIENT  # how they fail
    gone: set[str] = attrs.Factory(set)  # serials whose phones do not answer
    quiet_after_loss: bool = False  # a phone a run lost does not answer the next question
    answer_delay: float = 0.0  # seconds a phone takes to answer a question
    quiet: set[str] = attrs.Factory(set)
    results: dict[str, dict[str, Any]] = attrs.Factory(dict)  # serial -> its tasks' data
    starts: list[tuple[int, str, float]] = attrs.Factory(list)
    active: set[str] = attrs.Factory(set)
    most_at_once: int = 0

    async def __call__(self, task: Task, steps: StepLog) -> RunResult:
        assert task.serial not in self.active, "two tasks at once on one device"
        self.starts.append((task.id, task.serial, self.wall.now()))
        self.active.add(task.serial)
        self.most_at_once = max(self.most_at_once, len(self.active))
        try:
            if self.finish is not None:
                await self.finish.wait()
            else:
                await trio.sleep(self.duration)
        finally:
            self.active.discard(task.serial)
        if task.serial in self.failing:
            if self.quiet_after_loss and self.failure is Failure.PHONE_LOST:
                self.quiet.add(task.serial)
            raise TaskFailed(f"no luck on {task.serial}", self.failure)
        return RunResult(f"did {task.script_name}", self.results.get(task.serial))

    def lose_phone(self, serial: str, *, gone: bool = True) -> None:
        """From now on, tasks on `serial` lose their phone, which answers no question
        afterwards if `gone`."""
        self.failing.add(serial)
        self.failure = Failure.PHONE_LOST
        if gone:
            self.gone.add(serial)

    async def answers(self, serial: str) -> bool:
        """The `PhoneCheck` of phone `serial`."""
        await trio.sleep(self.answer_delay)
        if serial in self.quiet:
            self.quiet.discard(serial)
            return False
        return serial not in self.gone

    def start_of(self, task_id: int) -> float:
        return next(t for i, _, t in self.starts if i == task_id)


@attrs.define
class SchedulerAndDevices:
    scheduler: Address[SchedulerMsg]
    devices: dict[str, Address[DeviceMsg]]
    nursery: trio.Nursery
    store: TaskStore
    wall: WallClock
    runner: FakeScript

    async def submit(self, tasks: Sequence[NewTask]) -> list[Task]:
        return await self.scheduler.request(lambda r: SubmitTasks(tasks=tasks, reply=r),
                                            timeout=10)

    async def plug(self, serial: str) -> None:
        self.devices[serial] = address = await self.nursery.start(functools.partial(
            supervise, f"device {serial}", functools.partial(
                run_device, serial=serial, runner=self.runner,
                answers=functools.partial(self.runner.answers, serial),
                scheduler=self.scheduler, clock=self.wall)))
        await self.scheduler.send(DeviceUp(serial=serial, model="Pixel 7", address=address))

    async def rows(self) -> list[DeviceSnapshot]:
        """`GET /devices`, as the scheduler answers it."""
        return await self.scheduler.request(lambda r: ListDevices(reply=r), timeout=5)

    async def unplug(self, serial: str) -> None:
        retired = self.devices.pop(serial)
        retired.stop()
        await self.scheduler.send(DeviceDown(serial=serial, address=retired))

    async def stop(self, task_id: int) -> Task:
        """Stop `task_id`; it ends failed, "stopped by user"."""
        stopped = await self.scheduler.request(lambda r: StopTask(task_id=task_id, reply=r),
                                               timeout=5)
        assert stopped is not None
        assert (stopped.status, stopped.remark) == (TaskStatus.FAILED, "stopped by user")
        return stopped

    async def status(self, task_id: int) -> Task:
        task = await self.store.get_task(task_id)
        assert task is not None
        return task


@attrs.define
class RefusingDeletes:
    """The real store, but a database that refuses every delete."""

    inner: TaskStore

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def delete_tasks(self, task_ids: Sequence[int]) -> list[int]:
        await trio.lowlevel.checkpoint()
        raise sqlite3.OperationalError("database is locked")


@attrs.define
class CountingEnds:
    """The real store, noting how many task ends each of its end writes carries."""

    inner: TaskStore
    writes: list[int] = attrs.Factory(list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def finish_tasks(self, ends: Mapping[int, TaskEnd], *,
                           retries: Mapping[int, Requeue]) -> list[Task]:
        self.writes.append(len(ends))
        return await self.inner.finish_tasks(ends, retries=retries)


@asynccontextmanager
async def open_farm(store: TaskStore, serials: Sequence[str], *,
                    settings: SchedulerSettings | None = None,
                    runner: FakeScript | None = None) -> AsyncIterator[SchedulerAndDevices]:
    wall = WallClock(EPOCH)
    async with trio.open_nursery() as nursery:
        scheduler = await nursery.start(functools.partial(
            serve_scheduler, store=store, clock=wall,
            settings=settings or SchedulerSettings(auto_retry=False), rng=random.Random(7)))
        farm = SchedulerAndDevices(scheduler, {}, nursery, store, wall, runner or FakeScript(wall))
        for serial in serials:
            await farm.plug(serial)
        yield farm
        nursery.cancel_scope.cancel()


def new_tasks(serials: Sequence[str], count: int, *, due_at: float = EPOCH,
              request_id: str = "r1", min_interval: int = 0,
              max_interval: int = 0) -> list[NewTask]:
    return [NewTask(serial=serial, script_name="follow", script_config={"target_user": f"u{k}"},
                    due_at=due_at, request_id=request_id, position=k,
                    min_interval=min_interval, max_interval=max_interval)
            for serial in serials for k in range(count)]


class TestTiming:
    async def test_a_task_starts_at_its_due_moment_never_before(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """A task due in 90 s starts at that moment to the millisecond, not earlier."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                [task] = await farm.submit(new_tasks(["A"], 1, due_at=EPOCH + 90))
                await trio.sleep(89)
                assert farm.runner.starts == []
                await trio.sleep(30)
                assert farm.runner.start_of(task.id) == pytest.approx(EPOCH + 90, abs=1e-3)
                assert (await farm.status(task.id)).status == TaskStatus.COMPLETED

    async def test_handed_over_ahead_started_at_the_moment(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """Within `dispatch_lead` of its moment a task is marked running (started_at: the
        moment) and handed to its phone, which starts the script at the moment exactly."""
        lead = SchedulerSettings().dispatch_lead
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                [task] = await farm.submit(new_tasks(["A"], 1, due_at=EPOCH + 90))
                await trio.sleep(90 - lead - 0.05)
                assert (await farm.status(task.id)).status == TaskStatus.PENDING
                await trio.sleep(lead / 2)
                running = await farm.status(task.id)
                assert (running.status, running.started_at) == (TaskStatus.RUNNING,
                                                                 EPOCH + 90)
                assert farm.runner.starts == []
                await trio.sleep(lead)
                assert farm.runner.start_of(task.id) == pytest.approx(EPOCH + 90, abs=1e-3)

    async def test_a_stop_before_the_moment_of_a_handed_over_task(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """A task stopped after its hand-over but before its moment never runs, and is
        not recorded as started."""
        lead = SchedulerSettings().dispatch_lead
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                [task, after] = await farm.submit(new_tasks(["A"], 2, due_at=EPOCH + 90))
                await trio.sleep(90 - lead / 2)
                assert (await farm.status(task.id)).status == TaskStatus.RUNNING
                stopped = await farm.stop(task.id)
                assert stopped.started_at is None
                assert stopped.finished_at == pytest.approx(EPOCH + 90 - lead / 2, abs=1e-3)
                await trio.sleep(100)
                assert [i for i, _, _ in farm.runner.starts] == [after.id]
                assert farm.runner.start_of(after.id) == pytest.approx(EPOCH + 90, abs=1e-3)

    async def test_one_task_at_a_time_per_device_in_order(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """Three tasks due at once on one phone run back to back, in creation order."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A", "B"]) as farm:
                tasks = await farm.submit(new_tasks(["A", "B"], 3))
                await trio.sleep(100)
                a_starts = [t for i, s, t in farm.runner.starts if s == "A"]
                assert a_starts == pytest.approx([EPOCH, EPOCH + 10, EPOCH + 20], abs=0.01)
                assert [i for i, s, _ in farm.runner.starts if s == "A"] == \
                    [t.id for t in tasks if t.serial == "A"]
                assert farm.runner.most_at_once == 2

    async def test_intervals_between_tasks_of_a_request(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """With min 1 / max 5 minutes, each gap after a task's end lies in [60, 300] s."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                await farm.submit(new_tasks(["A"], 5, min_interval=1, max_interval=5))
                await trio.sleep(3600)
                starts = [t for _, _, t in farm.runner.starts]
                assert len(starts) == 5
                gaps = [b - (a + 10) for a, b in itertools.pairwise(starts)]
                assert all(60 - 0.01 <= g <= 300 + 0.01 for g in gaps), gaps
                assert len({round(g) for g in gaps}) > 1  # random, not fixed

    async def test_device_limit_caps_busy_devices(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """With a limit of 2, five phones with work never run more than two at once."""
        serials = ["A", "B", "C", "D", "E"]
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, serials,
                                 settings=SchedulerSettings(device_limit=2,
                                                            auto_retry=False)) as farm:
                await farm.submit(new_tasks(serials, 2))
                await trio.sleep(1000)
                assert len(farm.runner.starts) == 10
                assert farm.runner.most_at_once == 2


class TestTimeout:
    async def test_a_run_past_its_timeout_fails_timed_out_and_frees_its_phone(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """A task whose run takes longer than its `timeout` is cancelled then and fails
        "timed out after N s" (retried as any failure); the next task runs at once; one
        within its bound completes."""
        settings = SchedulerSettings(retry_delay=(30.0, 30.0))
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                [slow] = await farm.submit([attrs.evolve(t, timeout=4)
                                            for t in new_tasks(["A"], 1)])
                [quick] = await farm.submit([attrs.evolve(t, timeout=11)
                                             for t in new_tasks(["A"], 1, request_id="r2")])
                await trio.sleep(4.5)
                timed_out = await farm.status(slow.id)
                assert (timed_out.status, timed_out.retry_count) == (TaskStatus.PENDING, 1)
                assert "after: timed out after 4 s" in timed_out.remark
                assert farm.runner.start_of(quick.id) == pytest.approx(EPOCH + 4, abs=0.01)
                await trio.sleep(10)
                assert (await farm.status(quick.id)).status == TaskStatus.COMPLETED
                assert farm.runner.active == set()


class TestRetries:
    async def test_auto_retry_counts_and_stops_at_the_limit(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """A failing task is retried max_retries times, 5-60 s after each failure."""
        settings = SchedulerSettings(auto_retry=True, max_retries=3)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                farm.runner.failing.add("A")
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(1000)
                starts = [t for _, _, t in farm.runner.starts]
                assert len(starts) == 4
                delays = [b - (a + 10) for a, b in itertools.pairwise(starts)]
                assert all(5 - 0.01 <= d <= 60 + 0.01 for d in delays), delays
                final = await farm.status(task.id)
                assert final.status == TaskStatus.FAILED
                assert final.retry_count == 3
                assert final.remark == "no luck on A"

    async def test_ends_together_are_one_write_retries_included(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """Ten tasks that end at one moment, half of them failed, are stored in one
        write, which also makes the failed ones pending again, due 5-60 s later."""
        serials = [f"P{k}" for k in range(10)]
        counting = CountingEnds(store)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(cast(TaskStore, counting), serials,
                                 settings=SchedulerSettings(auto_retry=True)) as farm:
                farm.runner.failing.update(serials[:5])
                tasks = await farm.submit(new_tasks(serials, 1))
                await trio.sleep(10.5)
                assert counting.writes == [10]
                after = [await farm.status(task.id) for task in tasks]
        assert [(t.status, t.retry_count) for t in after] == (
            [(TaskStatus.PENDING, 1)] * 5 + [(TaskStatus.COMPLETED, 0)] * 5)
        assert all(EPOCH + 15 - 0.01 <= t.due_at <= EPOCH + 70 + 0.01 for t in after[:5])

    async def test_an_end_the_store_cannot_take_holds_up_no_other(
            self, store: TaskStore, clock: trio.testing.MockClock,
            caplog: pytest.LogCaptureFixture) -> None:
        """A script's result the store cannot take (a bug: not JSON) fails the loop
        turn's one write; the ends are then written one by one, that one without its
        result (logged), so every task ends as it did."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A", "B"]) as farm:
                farm.runner.results["B"] = {"when": object()}
                tasks = await farm.submit(new_tasks(["A", "B"], 1))
                await trio.sleep(20)
                after = [await farm.status(task.id) for task in tasks]
        assert [(t.status, t.result) for t in after] == [(TaskStatus.COMPLETED, None)] * 2
        [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert f"task {tasks[1].id}: its result could not be stored" in logged.getMessage()

    async def test_manual_retry(self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """A failed task goes back to pending and runs again; a pending one is refused."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                farm.runner.failing.add("A")
                [task] = await farm.submit(new_tasks(["A"], 1))
                [later] = await farm.submit(new_tasks(["A"], 1, due_at=EPOCH + 10_000,
                                                      request_id="r2"))
                await trio.sleep(60)
                farm.runner.failing.clear()
                with pytest.raises(WrongTaskState) as refused:
                    await farm.scheduler.request(
                        lambda r: RetryTasks(task_ids=[later.id], reply=r), timeout=5)
                assert (refused.value.status, refused.value.wanted) == (
                    TaskStatus.PENDING, (TaskStatus.FAILED,))
                assert str(refused.value) == f"task {later.id} is pending, not failed"
                [again] = await farm.scheduler.request(
                    lambda r: RetryTasks(task_ids=[task.id], reply=r), timeout=5)
                assert again.status == TaskStatus.PENDING
                assert again.retry_count == 1
                await trio.sleep(60)
                assert (await farm.status(task.id)).status == TaskStatus.COMPLETED


class TestWhyTasksWait:
    """What a pending task shows while the scheduler holds it back, and which failures
    are worth another try (API.md, "Live and visual")."""

    async def test_a_retry_says_when_and_why(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        settings = SchedulerSettings(auto_retry=True, max_retries=3, retry_delay=(30, 30))
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                farm.runner.failing.add("A")
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(15)  # failed at 10, due again at 40
                waiting = await farm.status(task.id)
                at = WallClock.time_of_day(EPOCH + 40)
                assert (waiting.status, waiting.retry_count) == (TaskStatus.PENDING, 1)
                assert waiting.remark == f"retry 1 of 3 at {at} after: no luck on A"
                assert waiting.due_at == pytest.approx(EPOCH + 40, abs=0.01)
                await trio.sleep(30)
                running = await farm.status(task.id)
                assert (running.status, running.remark) == (TaskStatus.RUNNING, "")

    async def test_a_failure_that_would_repeat_is_not_retried(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        settings = SchedulerSettings(auto_retry=True)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                farm.runner.failing.add("A")
                farm.runner.failure = Failure.PERMANENT
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(1000)
                assert len(farm.runner.starts) == 1
                failed = await farm.status(task.id)
                assert (failed.status, failed.retry_count, failed.remark) == (
                    TaskStatus.FAILED, 0, "no luck on A")

    async def test_a_lost_phone_is_held_and_its_task_waits_without_spending_a_retry(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        settings = SchedulerSettings(auto_retry=True)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                farm.runner.lose_phone("A")
                first, second = await farm.submit(new_tasks(["A"], 2))
                await trio.sleep(100)
                assert len(farm.runner.starts) == 1  # nothing more sent to the lost phone
                [row] = await farm.rows()
                assert (row.state, row.pending_count) == ("offline", 2)
                waiting = await farm.status(first.id)
                assert (waiting.status, waiting.retry_count) == (TaskStatus.PENDING, 0)
                assert waiting.remark == ("waiting: phone A is offline; its last run "
                                          "stopped: no luck on A")
                assert (await farm.status(second.id)).remark == "waiting: phone A is offline"
                farm.runner.failing.clear()
                farm.runner.gone.clear()  # its actor asks again within 5 s
                await trio.sleep(100)
                done = [await farm.status(t.id) for t in (first, second)]
                assert [(t.status, t.retry_count) for t in done] == [
                    (TaskStatus.COMPLETED, 0), (TaskStatus.COMPLETED, 0)]
                assert farm.runner.starts[1][0] == first.id  # it went first, as before

    async def test_a_task_that_loses_its_phone_each_time_spends_its_retries_then(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        settings = SchedulerSettings(auto_retry=True, max_retries=2)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                farm.runner.lose_phone("A", gone=False)
                farm.runner.quiet_after_loss = True  # back at the second question
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(3000)
                assert len(farm.runner.starts) == 5  # 1 + 2 free runs + 2 retries
                final = await farm.status(task.id)
                assert (final.status, final.retry_count) == (TaskStatus.FAILED, 2)

    async def test_a_stop_while_the_phone_is_asked_comes_too_late(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """The run is over when its phone is asked whether it is there: a stop then is
        refused, as any stop that comes after the end."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=SchedulerSettings()) as farm:
                farm.runner.lose_phone("A")
                farm.runner.answer_delay = 5
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(12)  # the run ended at 10; the question takes until 15
                with pytest.raises(WrongTaskState):
                    await farm.scheduler.request(
                        lambda r: StopTask(task_id=task.id, reply=r), timeout=30)
                waiting = await farm.status(task.id)
                assert (waiting.status, waiting.retry_count) == (TaskStatus.PENDING, 0)

    async def test_the_model_learnt_late_does_not_bring_a_lost_phone_back(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=SchedulerSettings()) as farm:
                farm.runner.lose_phone("A")
                await farm.submit(new_tasks(["A"], 2))
                await trio.sleep(15)
                await farm.scheduler.send(DeviceUp(serial="A", model="Pixel 8",
                                                   address=farm.devices["A"].clone()))
                await trio.sleep(100)
                assert len(farm.runner.starts) == 1
                [row] = await farm.rows()
                assert (row.state, row.model) == ("offline", "Pixel 8")

    async def test_a_connection_lost_with_the_phone_still_there_is_a_retry(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        settings = SchedulerSettings(auto_retry=True, retry_delay=(30, 30))
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                farm.runner.lose_phone("A", gone=False)  # but it answers at once
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(15)
                again = await farm.status(task.id)
                assert (again.status, again.retry_count) == (TaskStatus.PENDING, 1)
                [row] = await farm.rows()
                assert row.state == "device"

    async def test_the_interval_moves_the_start_time_and_says_so(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                _, second = await farm.submit(
                    new_tasks(["A"], 2, min_interval=2, max_interval=2))
                await trio.sleep(15)  # the first ran 0-10; the second waits until 130
                held = await farm.status(second.id)
                assert held.due_at == pytest.approx(EPOCH + 130, abs=0.01)
                assert held.remark == (
                    "waiting: the 2-2 min interval between the tasks of its request, "
                    f"until {WallClock.time_of_day(EPOCH + 130)}")
                await trio.sleep(200)
                assert farm.runner.start_of(second.id) == pytest.approx(EPOCH + 130, abs=0.01)

    async def test_what_a_task_shows_survives_a_restart(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """Until the watcher has listed the phones again, a pending task keeps what it
        showed (no write of every remark to '' and back); then it shows what is true."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, []) as farm:
                await farm.scheduler.send(DevicesListed())
                [task] = await farm.submit(new_tasks(["Z"], 1))
                await trio.sleep(1)
            shown = "waiting: phone Z is not connected"
            assert (await farm.status(task.id)).remark == shown
            async with open_farm(store, []) as farm:
                await trio.sleep(10)
                assert (await farm.status(task.id)).remark == shown
                await farm.scheduler.send(DevicesListed())
                await farm.plug("Z")
                await trio.sleep(1)
                assert (await farm.status(task.id)).status == TaskStatus.RUNNING

    async def test_tasks_for_a_phone_not_connected_say_so_until_it_is(
            self, store: TaskStore, clock: trio.testing.MockClock,
            caplog: pytest.LogCaptureFixture) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                await farm.scheduler.send(DevicesListed())  # as the watcher does at start
                with caplog.at_level(logging.WARNING, logger="actors"):
                    [task] = await farm.submit(new_tasks(["Z"], 1))
                assert "1 of these phone(s) are not ready (not connected, offline or " \
                       "unauthorized); their tasks wait for them: Z" in caplog.text
                await trio.sleep(1)
                waiting = await farm.status(task.id)
                assert waiting.remark == "waiting: phone Z is not connected"
                await farm.plug("Z")
                await trio.sleep(1)
                assert (await farm.status(task.id)).status == TaskStatus.RUNNING
                await farm.unplug("A")
                [later] = await farm.submit(new_tasks(["A"], 1, request_id="r2"))
                await trio.sleep(1)
                assert (await farm.status(later.id)).remark == \
                    "waiting: phone A is not connected"
                await farm.plug("A")
                await trio.sleep(1)
                assert (await farm.status(later.id)).status == TaskStatus.RUNNING


class TestStopAndDelete:
    async def test_stop_a_running_task_frees_the_device(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """Stop cancels the script at once; the task fails 'stopped by user', never retried,
        and the phone's next task starts right away."""
        settings = SchedulerSettings(auto_retry=True)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings,
                                 runner=None) as farm:
                farm.runner.duration = 1000
                first, second = await farm.submit(new_tasks(["A"], 2))
                await trio.sleep(5)
                before = farm.wall.now()
                stopped = await farm.scheduler.request(
                    lambda r: StopTask(task_id=first.id, reply=r), timeout=5)
                assert farm.wall.now() - before < 1
                assert stopped is not None
                assert stopped.status == TaskStatus.FAILED
                assert stopped.remark == "stopped by user"
                await trio.sleep(1)
                assert farm.runner.start_of(second.id) - before < 1
                await trio.sleep(2000)
                assert [i for i, _, _ in farm.runner.starts] == [first.id, second.id]

    async def test_stop_a_pending_task(self, store: TaskStore,
                                       clock: trio.testing.MockClock) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                [task] = await farm.submit(new_tasks(["A"], 1, due_at=EPOCH + 500))
                stopped = await farm.scheduler.request(
                    lambda r: StopTask(task_id=task.id, reply=r), timeout=5)
                assert stopped is not None
                assert stopped.status == TaskStatus.FAILED
                await trio.sleep(1000)
                assert farm.runner.starts == []
                with pytest.raises(TaskNotFound) as refused:
                    await farm.scheduler.request(
                        lambda r: StopTask(task_id=9999, reply=r), timeout=5)
                assert (refused.value.task_id, str(refused.value)) == (9999, "task 9999 not found")

    async def test_a_stop_that_comes_as_the_task_completes_is_refused(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """The script completes just as the stop is sent, before the phone can cancel it:
        the stop changed nothing, and its answer says so (the task is completed)."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                farm.runner.finish = trio.Event()
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(5)
                assert farm.runner.active == {"A"}
                farm.runner.finish.set()  # the script returns before the phone hears more
                with pytest.raises(WrongTaskState, match="completed"):
                    await farm.scheduler.request(
                        lambda r: StopTask(task_id=task.id, reply=r), timeout=5)
                assert (await farm.status(task.id)).status == TaskStatus.COMPLETED

    async def test_a_stop_that_comes_as_the_task_fails_leaves_it_to_its_retry(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """The script fails by itself just as the stop is sent: the stop is refused
        (failed by itself), the task keeps its own remark, and is retried as any failure."""
        settings = SchedulerSettings(auto_retry=True)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                farm.runner.finish = trio.Event()
                farm.runner.failing.add("A")
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(5)
                farm.runner.finish.set()
                with pytest.raises(WrongTaskState, match="failed"):
                    await farm.scheduler.request(
                        lambda r: StopTask(task_id=task.id, reply=r), timeout=5)
                again = await farm.status(task.id)
        assert (again.status, again.retry_count) == (TaskStatus.PENDING, 1)

    async def test_a_delete_the_store_refuses_leaves_its_pending_tasks_queued(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """The delete fails (its answer says why) and changes nothing: its pending task
        still runs at its moment."""
        refusing = RefusingDeletes(store)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(cast(TaskStore, refusing), ["A"]) as farm:
                [task] = await farm.submit(new_tasks(["A"], 1, due_at=EPOCH + 60))
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    await farm.scheduler.request(
                        lambda r: DeleteTasks(task_ids=[task.id], reply=r), timeout=5)
                await trio.sleep(100)
                assert farm.runner.start_of(task.id) == pytest.approx(EPOCH + 60, abs=1e-3)

    async def test_delete_stops_running_tasks_first(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                farm.runner.duration = 1000
                first, second = await farm.submit(new_tasks(["A"], 2))
                await trio.sleep(5)
                deleted = await farm.scheduler.request(
                    lambda r: DeleteTasks(task_ids=[first.id, second.id, 4242], reply=r),
                    timeout=10)
                assert sorted(deleted) == [first.id, second.id]
                assert farm.runner.active == set()
                assert await store.get_task(first.id) is None
                await trio.sleep(100)
                assert [i for i, _, _ in farm.runner.starts] == [first.id]


class TestDevices:
    async def test_pending_tasks_wait_for_an_absent_phone(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, []) as farm:
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(100)
                assert farm.runner.starts == []
                await farm.plug("A")
                await trio.sleep(1)
                assert farm.runner.start_of(task.id) == pytest.approx(EPOCH + 100, abs=0.1)

    async def test_disconnect_mid_task_fails_it_and_queued_ones_wait(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                farm.runner.duration = 100
                first, second = await farm.submit(new_tasks(["A"], 2))
                await trio.sleep(5)
                await farm.unplug("A")
                await trio.sleep(1)
                failed = await farm.status(first.id)
                assert failed.status == TaskStatus.FAILED
                assert failed.remark == "device A disconnected"
                assert (await farm.status(second.id)).status == TaskStatus.PENDING
                [row] = await farm.rows()
                assert (row.serial, row.state, row.pending_count) == ("A", "absent", 1)
                await farm.plug("A")
                await trio.sleep(200)
                assert (await farm.status(second.id)).status == TaskStatus.COMPLETED

    async def test_pending_tasks_survive_a_restart(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, []) as farm:
                [task] = await farm.submit(new_tasks(["A"], 1, due_at=EPOCH + 50))
            async with open_farm(store, ["A"]) as farm:
                await trio.sleep(100)
                assert farm.runner.start_of(task.id) == pytest.approx(EPOCH + 50, abs=0.01)


class TestRaces:
    async def test_a_stop_right_behind_the_start(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """A stop queued right behind its task's start still stops it: it never completes."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                [task] = await farm.submit(new_tasks(["A"], 1))
                await farm.stop(task.id)
                await trio.sleep(100)
                assert (await farm.status(task.id)).status == TaskStatus.FAILED

    async def test_a_phone_another_server_drives_now_stays(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """A phone two of the host's ADB servers show (moved from one hub to another):
        the actor that came last drives it, and the other's going changes nothing."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"]) as farm:
                first = farm.devices["A"]
                await farm.plug("A")  # its actor through the other server
                await farm.scheduler.send(DeviceDown(serial="A", address=first))
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(farm.runner.duration + 5)
                assert (await farm.status(task.id)).status == TaskStatus.COMPLETED
                assert [(row.serial, row.state) for row in await farm.rows()] == [
                    ("A", "device")]

    async def test_stop_while_the_phone_is_being_unplugged(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """The phone's actor is already gone when the stop comes: the task ended by its
        phone leaving, not by the stop, and the stop, answered once that end is known,
        says so; the scheduler serves on."""
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A", "B"]) as farm:
                farm.runner.duration = 100
                [task] = await farm.submit(new_tasks(["A"], 1))
                await trio.sleep(5)
                retired = farm.devices.pop("A")
                retired.stop()  # what the watcher does first
                with pytest.raises(WrongTaskState, match="failed"):
                    await farm.scheduler.request(
                        lambda r: StopTask(task_id=task.id, reply=r), timeout=5)
                gone = await farm.status(task.id)
                assert (gone.status, gone.remark) == (TaskStatus.FAILED,
                                                      "device A disconnected")
                await farm.scheduler.send(DeviceDown(serial="A", address=retired))
                [later] = await farm.submit(new_tasks(["B"], 1, request_id="r2"))
                await trio.sleep(150)
                assert (await farm.status(later.id)).status == TaskStatus.COMPLETED

    async def test_random_order_shuffles_one_request(
            self, store: TaskStore, clock: trio.testing.MockClock) -> None:
        """With random order, one request's ten tasks on a phone do not run in order."""
        settings = SchedulerSettings(random_order=True, auto_retry=False)
        with trio.fail_after(VIRTUAL_DEADLINE):
            async with open_farm(store, ["A"], settings=settings) as farm:
                tasks = await farm.submit(new_tasks(["A"], 10))
                await trio.sleep(1000)
                ran = [i for i, _, _ in farm.runner.starts]
                assert sorted(ran) == [t.id for t in tasks]
                assert ran != [t.id for t in tasks]
