"""A task's end on a full disk: held by the scheduler and written once space comes back.

Real parts throughout: the SQLite store, the scheduler and a device actor running the
`follow` script on a simulated phone through adbutils. The disk fills the way SQLite
sees it: `PRAGMA max_page_count` on the store's write connection caps the database at the
pages it has, and a write that needs one more fails with SQLITE_FULL ("database or disk
is full"), as on a full disk; raising the cap is space coming back. Real time (the store
and the phone answer from threads and sockets), with a short retry backoff; every wait
is for a state, under a deadline that only catches a hang.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import attrs
import pytest
import trio

from actors import (
    Address,
    NewTask,
    SchedulerSettings,
    ScriptRunner,
    Task,
    TaskStatus,
    TaskStore,
    WallClock,
    WrongTaskState,
    phone_answers,
    run_device,
    serve_scheduler,
    supervise,
)
from actors.messages import DeviceUp, ListDevices, SchedulerMsg, StopTask, SubmitTasks
from orchestrator.simulator import Simulator, open_simulator
from orchestrator.simulator.apps import TIKTOK, SocialApp
from orchestrator.store import open_sqlite_store
from orchestrator.store._store import SqlTaskStore
from scripts import HostFiles, MaterialLibrary, RunningSteps, RunResult, StepLog
from scripts.driver import AdbDriver

DEADLINE = 60  # seconds: only a hang reaches it
SERIAL = "sim-0001"
#: Big enough to live in overflow pages: an update of its row (any end) needs new pages.
BULKY_NOTE = "n" * 20_000
UNLIMITED = 1_073_741_823  # SQLite's default max_page_count


async def fill_disk(store: TaskStore) -> None:
    """The database's disk is full: no free page left, and no new one to be had."""

    def fill(conn: sqlite3.Connection) -> None:
        conn.execute("VACUUM")  # no free pages left over from earlier writes
        [pages] = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {int(pages)}")

    await _write_lane(store).run(fill)


async def free_disk(store: TaskStore) -> None:
    """Space comes back."""
    await _write_lane(store).run(
        lambda conn: conn.execute(f"PRAGMA max_page_count = {UNLIMITED}"))


def _write_lane(store: TaskStore) -> Any:
    # The write lane's connection is the one whose writes fill the file.
    return cast(SqlTaskStore[Any, Any], store)._writer


@attrs.define
class CountingStore:
    """The real store, counting the task ends it is asked to write (so that a test can
    wait for the held end to have been refused again, not for some time to pass)."""

    inner: TaskStore
    end_writes: int = 0
    dispatches: int = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def finish_tasks(self, *args: Any, **kwargs: Any) -> list[Task]:
        self.end_writes += 1
        return await self.inner.finish_tasks(*args, **kwargs)

    async def mark_running(self, *args: Any, **kwargs: Any) -> list[Task]:
        self.dispatches += 1
        return await self.inner.mark_running(*args, **kwargs)


@attrs.define
class Gated:
    """The phone's real script runner, each run held until `go` is set: the test fills
    the disk while the task is marked running but before it ends."""

    runner: Callable[[Task, StepLog], Awaitable[RunResult]]
    go: trio.Event = attrs.Factory(trio.Event)

    async def __call__(self, task: Task, steps: StepLog) -> RunResult:
        await self.go.wait()
        return await self.runner(task, steps)


@attrs.frozen
class CoreAndPhone:
    sim: Simulator
    store: CountingStore
    scheduler: Address[SchedulerMsg]
    script: Gated

    async def submit_follow(self, user: str) -> Task:
        """A follow of `user` on the phone, due now; its config is bulky (see above)."""
        new = NewTask(serial=SERIAL, script_name="follow", request_id=f"follow-{user}",
                      script_config={"target_user": user, "note": BULKY_NOTE}, due_at=0)
        [task] = await self.scheduler.request(lambda r: SubmitTasks(tasks=[new], reply=r),
                                              timeout=DEADLINE)
        return task

    async def status_of(self, task_id: int) -> Task:
        task = await self.store.inner.get_task(task_id)
        assert task is not None
        return task

    async def wait_status(self, task_id: int, status: TaskStatus) -> Task:
        """Until the store has the task in `status` (written from another thread)."""
        while (task := await self.status_of(task_id)).status != status:  # noqa: ASYNC110
            await trio.sleep(0.01)
        return task

    async def wait_end_writes(self, count: int) -> None:
        """Until the store has been asked for `count` task ends in all."""
        while self.store.end_writes < count:  # noqa: ASYNC110
            await trio.sleep(0.01)

    async def wait_dispatches(self, count: int) -> None:
        """Until the store has been asked to mark due tasks running `count` times."""
        while self.store.dispatches < count:  # noqa: ASYNC110
            await trio.sleep(0.01)

    async def wait_phone_idle(self) -> None:
        """Until the scheduler has the phone free (it has heard how the task ended)."""
        while True:
            [row] = await self.scheduler.request(lambda r: ListDevices(reply=r),
                                                 timeout=DEADLINE)
            if row.current_task_id is None:
                return
            await trio.sleep(0.01)

    def follows(self, user: str) -> bool:
        phone = self.sim.farm.get(SERIAL)
        assert phone is not None
        app = phone.apps[TIKTOK]
        assert isinstance(app, SocialApp)
        assert app.current is not None
        return app.current.follows(user)


def open_farm(store_retry: tuple[float, float]) -> Callable[[Path], AsyncIterator[CoreAndPhone]]:
    async def farm(tmp_path: Path) -> AsyncIterator[CoreAndPhone]:
        async with open_simulator(1) as sim, \
                open_sqlite_store(tmp_path / "tasks.db") as real_store, \
                trio.open_nursery() as nursery:
            store = CountingStore(real_store)
            clock = WallClock()
            scheduler = await nursery.start(functools.partial(
                serve_scheduler, store=cast(TaskStore, store), clock=clock,
                settings=SchedulerSettings(auto_retry=False, store_retry=store_retry)))
            script = Gated(ScriptRunner(adb_host=sim.host, adb_port=sim.port, serial=SERIAL,
                                        running=RunningSteps(),
                                        data_dir=tmp_path,
                                        materials=MaterialLibrary(tmp_path / "materials"),
                                        host_files=HostFiles()))
            device = await nursery.start(functools.partial(
                supervise, f"device {SERIAL}", functools.partial(
                    run_device, serial=SERIAL, runner=script,
                    answers=functools.partial(phone_answers, AdbDriver(
                        sim.host, sim.port, SERIAL, limiter=trio.CapacityLimiter(1))),
                    scheduler=scheduler, clock=clock)))
            await scheduler.send(DeviceUp(serial=SERIAL, model="Pixel 7", address=device))
            yield CoreAndPhone(sim, store, scheduler, script)
            nursery.cancel_scope.cancel(reason="test over")

    return farm


#: Retries of the held end come quickly: a test sees several refusals in well under a second.
farm = pytest.fixture(name="farm")(open_farm(store_retry=(0.02, 0.1)))
#: The held end waits a minute before it is written again: what a user does comes first.
slow_farm = pytest.fixture(name="slow_farm")(open_farm(store_retry=(60.0, 60.0)))


async def end_refused(farm: CoreAndPhone, user: str) -> Task:
    """A follow of `user` that runs (and succeeds) on the phone while the disk is full:
    its end is refused, the phone is free again, the task shows running."""
    task = await farm.submit_follow(user)
    await farm.wait_status(task.id, TaskStatus.RUNNING)
    await fill_disk(farm.store.inner)
    farm.script.go.set()
    await farm.wait_phone_idle()
    assert farm.follows(user)
    assert (await farm.status_of(task.id)).status == TaskStatus.RUNNING
    return task


async def test_an_end_refused_is_stored_once_space_comes_back(farm: CoreAndPhone) -> None:
    """The task completed while the disk was full; its end is written again (and refused)
    until space comes back, then stored, with nobody asking: completed, with its remark."""
    with trio.fail_after(DEADLINE):
        task = await end_refused(farm, "gina")
        await farm.wait_end_writes(3)  # the first write, and two retries after it
        assert (await farm.status_of(task.id)).status == TaskStatus.RUNNING
        await free_disk(farm.store.inner)
        done = await farm.wait_status(task.id, TaskStatus.COMPLETED)
    assert done.remark.startswith("followed"), done.remark
    assert done.finished_at is not None


async def test_a_refused_end_is_logged_once_and_its_storing_once(
        farm: CoreAndPhone, caplog: pytest.LogCaptureFixture) -> None:
    """One warning when the store refuses the end, none for each refusal after it, and one
    info line when it is stored at last."""
    caplog.set_level(logging.INFO, logger="actors")
    with trio.fail_after(DEADLINE):
        task = await end_refused(farm, "hank")
        await farm.wait_end_writes(4)
        await free_disk(farm.store.inner)
        await farm.wait_status(task.id, TaskStatus.COMPLETED)
    about = [r for r in caplog.records
             if r.name == "actors._scheduler" and "task end" in r.getMessage()]
    assert [r.levelno for r in about] == [logging.WARNING, logging.INFO], \
        [r.getMessage() for r in about]
    assert "database or disk is full" in about[0].getMessage()
    assert "are stored" in about[1].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_stop_of_a_task_whose_end_was_never_stored_says_how_it_ended(
        slow_farm: CoreAndPhone) -> None:
    """Shown running, its phone idle, its end held for a minute: a stop is refused with
    how the task really ended (completed: the stop changes nothing), and has the held end
    written at once, not a minute later."""
    farm = slow_farm
    with trio.fail_after(DEADLINE):
        task = await end_refused(farm, "ivan")
        await free_disk(farm.store.inner)
        with pytest.raises(WrongTaskState, match="completed"):
            await farm.scheduler.request(lambda r: StopTask(task_id=task.id, reply=r),
                                         timeout=DEADLINE)
        done = await farm.wait_status(task.id, TaskStatus.COMPLETED)
    assert done.remark.startswith("followed"), done.remark


async def test_a_stop_on_a_full_disk_is_answered_once_it_is_stored(
        farm: CoreAndPhone) -> None:
    """A stop while the disk is full stops the phone at once; its end is written again
    until space comes back, and only then is the stop answered: with the task stored
    failed, the stop's remark (never an error for a stop that was carried out)."""
    answers: list[Task] = []

    async def stop(task_id: int) -> None:
        answers.append(await farm.scheduler.request(
            lambda r: StopTask(task_id=task_id, reply=r), timeout=DEADLINE))

    with trio.fail_after(DEADLINE):
        task = await farm.submit_follow("jane")
        await farm.wait_status(task.id, TaskStatus.RUNNING)
        await fill_disk(farm.store.inner)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(stop, task.id)
            await farm.wait_end_writes(3)
            assert answers == []
            await free_disk(farm.store.inner)
        stopped = await farm.wait_status(task.id, TaskStatus.FAILED)
    assert answers == [stopped]
    assert stopped.remark == "stopped by user"
    assert not farm.follows("jane")


async def test_a_task_due_while_the_disk_is_full_waits_then_runs(
        farm: CoreAndPhone, caplog: pytest.LogCaptureFixture) -> None:
    """The store refuses to mark a due task running: the scheduler lives on (it crashed,
    and the orchestrator with it), the task stays pending and is tried again with
    backoff, logged once; once space comes back it runs."""
    caplog.set_level(logging.INFO, logger="actors")
    with trio.fail_after(DEADLINE):
        first = await farm.submit_follow("kim")
        await farm.wait_status(first.id, TaskStatus.RUNNING)
        second = await farm.submit_follow("lee")  # due now; waits for the phone
        await fill_disk(farm.store.inner)
        farm.script.go.set()
        await farm.wait_dispatches(4)  # the first's, then the second's, refused 3 times
        assert (await farm.status_of(second.id)).status == TaskStatus.PENDING
        await free_disk(farm.store.inner)
        await farm.wait_status(second.id, TaskStatus.COMPLETED)
        await farm.wait_status(first.id, TaskStatus.COMPLETED)
    assert farm.follows("lee")
    dispatch = [r.levelno for r in caplog.records
                if r.name == "actors._scheduler" and "due task" in r.getMessage()]
    assert dispatch == [logging.WARNING, logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
