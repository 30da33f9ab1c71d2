"""One thread that owns one database connection and runs every call on it, in order.

sqlite3 connections refuse, by default, to be used from a thread other than the one
that created them, and psycopg's are not safe to share between threads. Rather than
turn that check off and rely on a CapacityLimiter (trio's thread cache may hand each
call to a different thread), the connection lives and dies on a single thread: opened
there, used there, closed there. The thread is started by trio (`to_thread.run_sync`)
inside the store's nursery, so it has a parent like every other task.
"""

from __future__ import annotations

import logging
import queue
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any, Generic, Protocol, TypeVar

import attrs
import outcome
import trio

log = logging.getLogger(__name__)

T = TypeVar("T")
ConnT = TypeVar("ConnT", bound="Closable")


class Closable(Protocol):
    """A database connection, as far as the worker cares."""

    def close(self) -> None: ...


#: How many queued calls one group may take, at most: each is a savepoint, and
#: PostgreSQL keeps 64 subtransactions per session in memory before it slows down.
GROUP_LIMIT = 64

#: Opens the unit a group of calls runs in (a transaction) on the connection.
Group = Callable[[ConnT], AbstractContextManager[object]]


@attrs.define(eq=False)
class _Call(Generic[ConnT, T]):
    fn: Callable[[ConnT], T]
    group: Group[ConnT] | None = None
    done: trio.Event = attrs.field(factory=trio.Event)
    result: outcome.Outcome[T] | None = None


class Worker(Generic[ConnT]):
    """Runs `fn(connection)` on the worker thread; see `open_worker`."""

    def __init__(self, after: Callable[[ConnT], object] | None = None) -> None:
        self._after = after
        self._calls: queue.SimpleQueue[_Call[ConnT, Any] | None] = queue.SimpleQueue()
        self._token = trio.lowlevel.current_trio_token()
        self._closed = False
        self._stopped = trio.Event()

    @property
    def closed(self) -> bool:
        """Whether the worker takes no more calls."""
        return self._closed

    async def run(self, fn: Callable[[ConnT], T], *, group: Group[ConnT] | None = None) -> T:
        """Run `fn` on the connection's thread and return what it returns (or raise).

        With `group`, calls queued back to back with an equal `group` run together
        inside one `group(connection)` (a group commit: one transaction for many
        writes, each `fn` then in a savepoint of its own). If that unit fails as a
        whole (its commit), each of them is run again alone, so every caller gets
        its own answer.

        Cancellation: only before `fn` starts. Once it is queued the caller waits for
        it, so it always learns whether its transaction committed.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._closed:
            raise trio.ClosedResourceError("the store is closed")
        call: _Call[ConnT, T] = _Call(fn, group)
        await self._carry_out(call)
        assert call.result is not None
        return call.result.unwrap()

    async def _carry_out(self, call: _Call[ConnT, Any]) -> None:
        """Have the thread run `call`, and wait until it has (uncancellable)."""
        self._calls.put(call)
        with trio.CancelScope(shield=True):
            await call.done.wait()

    async def aclose(self) -> None:
        """Finish the calls already queued, close the connection, end the thread."""
        if not self._closed:
            self._closed = True
            self._calls.put(None)
        await self._stopped.wait()

    async def _serve(self, connect: Callable[[], ConnT], *,
                     task_status: trio.TaskStatus[None]) -> None:
        try:
            await trio.to_thread.run_sync(self._thread, connect, task_status)
        finally:
            self._stopped.set()

    def _thread(self, connect: Callable[[], ConnT], task_status: trio.TaskStatus[None]) -> None:
        connection = connect()
        try:
            trio.from_thread.run_sync(task_status.started)
            held: deque[_Call[ConnT, Any] | None] = deque()  # taken, not of the group
            while (call := held.popleft() if held else self._calls.get()) is not None:
                calls = [call]
                if call.group is not None:
                    while len(calls) < GROUP_LIMIT and not held:
                        try:
                            more = self._calls.get_nowait()
                        except queue.Empty:
                            break
                        if more is not None and more.group == call.group:
                            calls.append(more)
                        else:
                            held.append(more)
                try:
                    _run_calls(connection, calls)
                    if self._after is not None:
                        self._after(connection)
                finally:  # never leave a caller waiting
                    self._token.run_sync_soon(_set_done, calls)
        finally:
            connection.close()


class _InlineWorker(Worker[ConnT]):
    """A worker that runs each call on the trio thread itself (`open_worker(inline=True)`).

    A call then holds the event loop for as long as it takes, so a mock clock never moves
    while it runs: tests in virtual time get a store that answers in virtual time (with a
    worker thread, a call slower than the autojump threshold let virtual time jump past
    it, and timings the scheduler tests check came out wrong on a loaded machine).
    """

    def __init__(self, connection: ConnT, after: Callable[[ConnT], object] | None) -> None:
        super().__init__(after)
        self._connection = connection

    async def _carry_out(self, call: _Call[ConnT, Any]) -> None:
        """Run `call` here and now, on the trio thread."""
        _run_calls(self._connection, [call])
        if self._after is not None:
            self._after(self._connection)
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._connection.close()


def _run_calls(connection: ConnT, calls: Sequence[_Call[ConnT, Any]]) -> None:
    """Run `calls` (one, or a group), setting each one's result."""
    group = calls[0].group
    if group is not None and len(calls) > 1:
        try:
            with group(connection):
                for call in calls:
                    call.result = outcome.capture(call.fn, connection)
            return
        except Exception:  # the unit as a whole failed (begin, commit): nothing of it holds
            log.warning("a group of %d writes failed; each runs again alone", len(calls),
                        exc_info=True)
    for call in calls:
        call.result = outcome.capture(call.fn, connection)


def _set_done(calls: Sequence[_Call[Any, Any]]) -> None:
    for call in calls:
        call.done.set()


@asynccontextmanager
async def open_worker(connect: Callable[[], ConnT], *,
                      after: Callable[[ConnT], object] | None = None,
                      inline: bool = False) -> AsyncIterator[Worker[ConnT]]:
    """A worker whose thread opens its connection with `connect` (errors raise here).

    `after(connection)` runs on the thread after each call (or group), before its
    callers are told it returned: what it publishes, they see. `inline`: no thread,
    every call on the trio thread (`_InlineWorker`: for tests in virtual time).
    """
    if inline:
        here = _InlineWorker(connect(), after)
        try:
            yield here
        finally:
            await here.aclose()
        return
    try:
        async with trio.open_nursery() as nursery:
            worker: Worker[ConnT] = Worker(after)
            await nursery.start(worker._serve, connect)
            try:
                yield worker
            finally:
                with trio.CancelScope(shield=True):
                    await worker.aclose()
    except BaseExceptionGroup as group:
        # Once started, the thread cannot fail: the one error is `connect`'s or the
        # caller's own, and the caller should get it as raised, not wrapped in a group.
        if len(group.exceptions) != 1:
            raise
        raise group.exceptions[0] from None
