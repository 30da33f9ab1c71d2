"""The store's worker thread: calls in order, and group commits of queued writes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import trio
import trio.testing

from orchestrator.store._worker import GROUP_LIMIT, Worker, open_worker


class Connection:
    """A stand-in connection: it logs what runs on it, and on which threads."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.threads: set[int] = set()
        self.fail_commit = False

    def close(self) -> None:
        self.log.append("close")


@contextmanager
def group_of(conn: Connection) -> Iterator[None]:
    """The unit a group runs in, as a transaction would be: begin, then commit (or fail)."""
    conn.log.append("begin")
    yield
    if conn.fail_commit:
        conn.log.append("commit failed")
        raise RuntimeError("commit failed")
    conn.log.append("commit")


def write(name: str, *, fail: bool = False) -> Callable[[Connection], str]:
    def fn(conn: Connection) -> str:
        conn.threads.add(threading.get_ident())
        conn.log.append(name)
        if fail:
            raise ValueError(f"{name} failed")
        return name.upper()

    return fn


async def run_queued(worker: Worker[Connection],
                     calls: list[tuple[Callable[[Connection], str], bool]]) -> list[object]:
    """Queue `calls` (fn, grouped) while the thread is busy, then let it go: what each got."""
    entered, release = threading.Event(), threading.Event()

    def hold(conn: Connection) -> None:
        entered.set()
        assert release.wait(10)

    results: list[object] = [None] * len(calls)

    async def call(k: int, fn: Callable[[Connection], str], grouped: bool) -> None:
        try:
            results[k] = await worker.run(fn, group=group_of if grouped else None)
        except ValueError as exc:
            results[k] = exc

    async with trio.open_nursery() as nursery:
        nursery.start_soon(worker.run, hold)
        assert await trio.to_thread.run_sync(entered.wait, 10)
        for k, (fn, grouped) in enumerate(calls):
            nursery.start_soon(call, k, fn, grouped)
            await trio.testing.wait_all_tasks_blocked()  # queued, in this order
        release.set()
    return results


async def test_queued_writes_share_one_commit_and_fail_alone() -> None:
    """Writes queued back to back run in one group; one that raises gets its own error,
    the others their own results; a call without a group runs alone, in order."""
    conn = Connection()
    async with open_worker(lambda: conn) as worker:
        results = await run_queued(worker, [
            (write("a"), True), (write("b", fail=True), True), (write("c"), True),
            (write("alone"), False), (write("d"), True), (write("e"), True)])
    error = results[1]
    assert isinstance(error, ValueError)
    assert str(error) == "b failed"
    assert results[:1] + results[2:] == ["A", "C", "ALONE", "D", "E"]
    assert conn.log == ["begin", "a", "b", "c", "commit", "alone",
                        "begin", "d", "e", "commit", "close"]
    assert len(conn.threads) == 1
    assert threading.get_ident() not in conn.threads


async def test_a_group_that_fails_to_commit_runs_each_write_again_alone() -> None:
    conn = Connection()
    conn.fail_commit = True
    async with open_worker(lambda: conn) as worker:
        results = await run_queued(worker, [(write("a"), True), (write("b"), True)])
    assert results == ["A", "B"]
    assert conn.log == ["begin", "a", "b", "commit failed", "a", "b", "close"]


async def test_a_group_is_bounded() -> None:
    conn = Connection()
    async with open_worker(lambda: conn) as worker:
        count = GROUP_LIMIT + 3
        results = await run_queued(worker, [(write(f"w{k}"), True) for k in range(count)])
    assert results == [f"W{k}" for k in range(count)]
    assert (conn.log.count("begin"), conn.log.count("commit")) == (2, 2)
    assert conn.log.index("commit") == GROUP_LIMIT + 1
