"""Mailboxes and request/reply: how actors are sent messages and answer them.

A mailbox is a bounded trio memory channel that outlives its actor's restarts. Producers
hold `Address`es (send sides); each run of the actor receives through an `Inbox`. A
message whose `reply` field is a `Reply` is a request: it is either taken by the actor
(received) and answered, or withdrawn by its caller before the actor took it, and then
skipped; so a caller that gave up knows nothing was done. If the actor's run ends while
it holds the request unanswered, or the mailbox closes with the request still queued,
the caller gets `ActorClosed` instead of waiting on a dead actor.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, final

import outcome
import trio

from ._errors import ActorBusy, ActorClosed

__all__ = ["Address", "Inbox", "Mailbox", "Reply"]

M = TypeVar("M")
T = TypeVar("T")


@final
class Reply(Generic[T]):
    """The one-shot answer channel (buffer 1) a request message carries.

    Answering never blocks, and never fails because the caller gave up (timed out or
    was cancelled): the answer is then dropped. Answering twice raises
    `trio.ClosedResourceError`.
    """

    __slots__ = ("_held_by", "_send", "_withdrawn")

    def __init__(self, send: trio.MemorySendChannel[outcome.Outcome[T]]) -> None:
        self._send = send
        self._held_by: set[Reply[Any]] | None = None  # set once the actor takes it
        self._withdrawn = False

    def answer(self, value: T) -> None:
        """Answer with `value` (never blocks: see the class)."""
        self._answer(outcome.Value(value))

    def fail(self, exc: Exception) -> None:
        """Answer with `exc`: the caller's `request` raises it, noting the actor's name."""
        self._answer(outcome.Error(exc))

    def _answer(self, result: outcome.Outcome[T]) -> None:
        with self._send:
            try:
                self._send.send_nowait(result)
            except trio.BrokenResourceError:
                pass  # the caller has given up
        self._release()

    def _hold(self, held: set[Reply[Any]]) -> None:
        """The actor takes the request: it will be answered (or dropped)."""
        self._held_by = held
        held.add(self)

    def _withdraw(self) -> bool:
        """The caller gives up on the request: if the actor has not taken it, it never
        will (True). False: taken, it is being handled."""
        if self._held_by is not None:
            return False
        self._withdrawn = True
        self._send.close()
        return True

    def _drop(self) -> None:
        """Close unanswered: the caller's `request` raises `ActorClosed`."""
        self._send.close()
        self._release()

    def _release(self) -> None:
        if self._held_by is not None:
            self._held_by.discard(self)


def _drop_reply(msg: object) -> None:
    reply = getattr(msg, "reply", None)
    if isinstance(reply, Reply):
        reply._drop()


@final
class Mailbox(Generic[M]):
    """One actor's mailbox, owned by its supervisor: the channel pair and its state.

    `address` is the first send side (its holder owns it); `inbox()` opens each run's
    receive side; `close()` ends it for good.
    """

    __slots__ = ("_receive", "_receiving", "address", "closed", "name")

    def __init__(self, name: str, *, capacity: int) -> None:
        send, self._receive = trio.open_memory_channel[M](capacity)
        self.name = name
        self.address = Address(self, send)
        self.closed = False
        self._receiving: trio.CancelScope | None = None

    def inbox(self) -> Inbox[M]:
        return Inbox(self)

    def stop(self) -> None:
        """Refuse new messages; the actor drains the queue, then its inbox ends."""
        self.closed = True
        if self._receiving is not None:
            self._receiving.cancel(reason=f"actor {self.name!r} stopped")

    def close(self) -> None:
        """Refuse new messages and answer every queued request with `ActorClosed`,
        blocked senders' included (their sends complete into the drain)."""
        self.closed = True
        while True:
            try:
                _drop_reply(self._receive.receive_nowait())
            except (trio.WouldBlock, trio.EndOfChannel):
                break
        self._receive.close()


@final
class Address(Generic[M]):
    """Where to send an actor messages: one producer's handle on its mailbox.

    Each producer holds its own `clone()` and closes it when done (`with address:`); the
    actor's inbox ends once every address is closed, or on `stop()`. Valid across the
    actor's restarts. Two addresses are equal when they reach the same mailbox.
    """

    __slots__ = ("_mailbox", "_send")

    def __init__(self, mailbox: Mailbox[M], send: trio.MemorySendChannel[M]) -> None:
        self._mailbox = mailbox
        self._send = send

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Address) and other._mailbox is self._mailbox

    def __hash__(self) -> int:
        return id(self._mailbox)

    @property
    def name(self) -> str:
        """The actor's name."""
        return self._mailbox.name

    def clone(self) -> Address[M]:
        """Another handle on the same mailbox, for another producer."""
        try:
            return Address(self._mailbox, self._send.clone())
        except trio.ClosedResourceError:
            raise ActorClosed(self.name) from None

    async def send(self, msg: M) -> None:
        """Queue `msg`, waiting while the mailbox is full (backpressure).

        Raises:
            ActorClosed: the actor is gone or stopped, or this address is closed (unless
                the sender is cancelled: stopping with it, it learns that first).
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._mailbox.closed:
            raise ActorClosed(self.name)
        try:
            await self._send.send(msg)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise ActorClosed(self.name) from None

    def send_nowait(self, msg: M) -> None:
        """Queue `msg` now.

        Raises:
            trio.WouldBlock: the mailbox is full.
            ActorClosed: the actor is gone or stopped, or this address is closed.
        """
        if self._mailbox.closed:
            raise ActorClosed(self.name)
        try:
            self._send.send_nowait(msg)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise ActorClosed(self.name) from None

    # How long a request may wait to be taken is part of its contract (ActorBusy says it).
    async def request(
        self,
        make_msg: Callable[[Reply[T]], M],
        *,
        timeout: float,  # noqa: ASYNC109
    ) -> T:
        """Send `make_msg(reply)` and return what the actor answers on `reply`.

        The request is queued now and taken by the actor within `timeout` seconds, or
        withdrawn (the actor skips it) and `ActorBusy` raised: nothing was done. Once
        taken, its answer is awaited however long the handling lasts, so that what this
        returns or raises is the truth about what was done. An exception the actor
        answers with (`reply.fail`) is raised here, with a note naming the actor.

        Raises:
            ActorBusy: the mailbox was full, or the actor did not take the request in time.
            ActorClosed: the actor is gone, or its run ended before answering.

        Cancellation: a request not taken yet is withdrawn; a taken one is abandoned
        (the actor finishes it, and its answer is dropped).
        """
        send, receive = trio.open_memory_channel[outcome.Outcome[T]](1)
        reply = Reply(send)
        with receive:
            try:
                self.send_nowait(make_msg(reply))
            except trio.WouldBlock:
                raise ActorBusy(self.name, "its mailbox is full") from None
            try:
                with trio.move_on_after(timeout):
                    return self._unwrap(await receive.receive())
                if reply._withdraw():
                    raise ActorBusy(self.name, f"it did not take the request within "
                                               f"{timeout:g} s")
                return self._unwrap(await receive.receive())
            except trio.EndOfChannel:
                raise ActorClosed(self.name) from None
            finally:
                reply._withdraw()  # if the caller is cancelled before the actor took it

    def _unwrap(self, result: outcome.Outcome[T]) -> T:
        if isinstance(result, outcome.Error):
            result.error.add_note(f"raised by actor {self.name!r}")
        return result.unwrap()

    def stop(self) -> None:
        """Stop the actor: new sends (from any address) raise `ActorClosed`; the actor
        handles what is already queued, then its inbox ends."""
        self._mailbox.stop()

    def close(self) -> None:
        """Close this handle, not the mailbox; using it again raises `ActorClosed`."""
        self._send.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@final
class Inbox(Generic[M]):
    """One run of an actor's receive side; iterate it to get messages in order.

    It ends (`trio.EndOfChannel`, or the end of `async for`) once the mailbox is stopped
    and drained, or every address is closed. One task receives at a time. Leaving its
    `with` block (the supervisor's) answers the requests this run took and left
    unanswered with `ActorClosed`.
    """

    __slots__ = ("_held", "_mailbox")

    def __init__(self, mailbox: Mailbox[M]) -> None:
        self._mailbox = mailbox
        self._held: set[Reply[Any]] = set()

    async def receive(self) -> M:
        """The next message, waiting for one (a withdrawn request is skipped).

        Raises:
            trio.EndOfChannel: the mailbox is stopped and empty, or every address closed.
        """
        mailbox = self._mailbox
        with trio.CancelScope() as mailbox._receiving:
            while not mailbox.closed:
                msg = await mailbox._receive.receive()
                if self._take(msg):
                    return msg
        await trio.lowlevel.checkpoint()
        try:
            return self.receive_nowait()
        except trio.WouldBlock:
            raise trio.EndOfChannel from None

    def receive_nowait(self) -> M:
        """The next message if one is queued (a withdrawn request is skipped).

        Raises:
            trio.WouldBlock: none is queued (also once the mailbox is stopped and empty).
            trio.EndOfChannel: every address is closed and none is queued.
        """
        while True:
            msg = self._mailbox._receive.receive_nowait()
            if self._take(msg):
                return msg

    def _take(self, msg: M) -> bool:
        """Take `msg`, unless it is a request its caller withdrew (False)."""
        reply = getattr(msg, "reply", None)
        if isinstance(reply, Reply):
            if reply._withdrawn:
                return False
            reply._hold(self._held)
        return True

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> M:
        try:
            return await self.receive()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for reply in list(self._held):
            reply._drop()
