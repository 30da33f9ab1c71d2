"""The actor runtime, driven through a tiny example actor that records numbers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial

import attrs
import pytest
import trio
import trio.testing

from actors._errors import ActorBusy, ActorClosed, ActorCrashed
from actors._mailbox import Address, Inbox, Reply
from actors._supervise import supervise

DEADLINE = 60  # virtual seconds: a hang fails fast under the autojump clock


@attrs.frozen(kw_only=True)
class Add:
    n: int


@attrs.frozen(kw_only=True)
class Items:
    reply: Reply[tuple[int, ...]]


@attrs.frozen(kw_only=True)
class Pop:
    reply: Reply[int]


@attrs.frozen(kw_only=True)
class Crash:
    reply: Reply[None] | None = None


@attrs.frozen(kw_only=True)
class Hold:
    release: trio.Event


@attrs.frozen(kw_only=True)
class SlowItems:
    """Items, answered only once `release` is set (the actor has taken it meanwhile)."""

    release: trio.Event
    reply: Reply[tuple[int, ...]]


Msg = Add | Items | Pop | Crash | Hold | SlowItems


async def recorder(inbox: Inbox[Msg]) -> None:
    """Keeps the numbers it is sent; its state is this run's alone."""
    items: list[int] = []
    async for msg in inbox:
        match msg:
            case Add(n=n):
                items.append(n)
            case Items(reply=reply):
                reply.answer(tuple(items))
            case Pop(reply=reply):
                try:
                    reply.answer(items.pop())
                except IndexError as exc:
                    reply.fail(exc)
            case Crash():
                raise RuntimeError("asked to crash")
            case Hold(release=release):
                await release.wait()
            case SlowItems(release=release, reply=reply):
                await release.wait()
                reply.answer(tuple(items))


def start_recorder(*, max_restarts: int = 5, window: float = 60) -> Callable[..., Awaitable[None]]:
    """`supervise` the recorder: 4 messages' mailbox, 1 s first backoff."""
    return partial(
        supervise,
        "recorder",
        recorder,
        capacity=4,
        backoff=1.0,
        max_restarts=max_restarts,
        window=window,
    )


async def items(address: Address[Msg]) -> tuple[int, ...]:
    return await address.request(lambda reply: Items(reply=reply), timeout=5)


@pytest.fixture
async def address(nursery: trio.Nursery) -> Address[Msg]:
    started: Address[Msg] = await nursery.start(start_recorder())
    return started


class TestMessages:
    async def test_handled_in_order(self, address: Address[Msg], autojump_clock: object) -> None:
        """Messages are handled one at a time, in the order they were sent."""
        with trio.fail_after(DEADLINE):
            for n in (3, 1, 2):
                await address.send(Add(n=n))
            assert await items(address) == (3, 1, 2)

    async def test_request_reply(self, address: Address[Msg], autojump_clock: object) -> None:
        """A request returns what the actor answers on the reply it carries."""
        with trio.fail_after(DEADLINE):
            await address.send(Add(n=7))
            assert await address.request(lambda reply: Pop(reply=reply), timeout=5) == 7

    async def test_handler_error_reaches_caller(
        self, address: Address[Msg], autojump_clock: object
    ) -> None:
        """`reply.fail(exc)` raises exc in the caller, noting the actor; the actor lives on."""
        with trio.fail_after(DEADLINE):
            with pytest.raises(IndexError) as excinfo:
                await address.request(lambda reply: Pop(reply=reply), timeout=5)
            assert "raised by actor 'recorder'" in (excinfo.value.__notes__ or [])
            await address.send(Add(n=1))
            assert await items(address) == (1,)

    async def test_a_request_not_taken_in_time_is_withdrawn(
            self, address: Address[Msg], autojump_clock: object) -> None:
        """A request the actor has not taken within its timeout raises ActorBusy, and the
        actor skips it when it gets there: nothing was done."""
        with trio.fail_after(DEADLINE):
            release = trio.Event()
            await address.send(Add(n=1))
            await address.send(Hold(release=release))
            start = trio.current_time()
            with pytest.raises(ActorBusy) as excinfo:
                await address.request(lambda reply: Pop(reply=reply), timeout=2)
            assert excinfo.value.name == "recorder"
            assert "within 2 s" in str(excinfo.value)
            assert trio.current_time() - start == pytest.approx(2)
            release.set()
            assert await items(address) == (1,)  # the Pop was never handled

    async def test_a_taken_request_is_answered_however_long_it_takes(
            self, address: Address[Msg], autojump_clock: object) -> None:
        """Once the actor has taken a request, its answer is awaited past the timeout:
        what the caller gets is what was done."""
        with trio.fail_after(DEADLINE):
            release = trio.Event()
            await address.send(Add(n=5))
            async def release_later() -> None:
                await trio.sleep(30)
                release.set()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(release_later)
                answer = await address.request(
                    lambda reply: SlowItems(release=release, reply=reply), timeout=2)
            assert answer == (5,)
            assert trio.current_time() >= 30

    async def test_full_mailbox_pushes_back(
        self, address: Address[Msg], autojump_clock: object
    ) -> None:
        """A full mailbox makes `send` wait, `send_nowait` raise WouldBlock, and a request
        raise ActorBusy at once (not queued: nothing will be done of it)."""
        with trio.fail_after(DEADLINE):
            release = trio.Event()
            await address.send(Hold(release=release))
            await trio.testing.wait_all_tasks_blocked()
            for n in range(4):
                address.send_nowait(Add(n=n))
            with pytest.raises(trio.WouldBlock):
                address.send_nowait(Add(n=4))
            start = trio.current_time()
            with pytest.raises(ActorBusy, match="mailbox is full"):
                await address.request(lambda reply: Pop(reply=reply), timeout=2)
            assert trio.current_time() == start
            sent = trio.Event()

            async def send_one_more() -> None:
                await address.send(Add(n=4))
                sent.set()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(send_one_more)
                await trio.testing.wait_all_tasks_blocked()
                assert not sent.is_set()
                release.set()
            assert await items(address) == (0, 1, 2, 3, 4)


class TestSupervision:
    async def test_crash_restarts_with_fresh_state(
        self, address: Address[Msg], autojump_clock: object, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A crash is logged in one line, and after a backoff the actor runs again, with
        fresh state, behind the same mailbox: addresses taken before still work."""
        with trio.fail_after(DEADLINE):
            clone = address.clone()
            await address.send(Add(n=1))
            start = trio.current_time()
            await address.send(Crash())
            assert await items(clone) == ()
            assert trio.current_time() - start == pytest.approx(1.0)
            [record] = caplog.records
            assert record.levelno == logging.WARNING
            assert record.getMessage() == (
                "actor 'recorder' crashed: RuntimeError('asked to crash'); restarting in 1 s"
            )

    async def test_request_held_by_crashed_actor(
        self, address: Address[Msg], autojump_clock: object
    ) -> None:
        """A request whose handler crashed the actor raises ActorClosed at once."""
        with trio.fail_after(DEADLINE):
            start = trio.current_time()
            with pytest.raises(ActorClosed):
                await address.request(lambda reply: Crash(reply=reply), timeout=5)
            assert trio.current_time() == start

    async def test_gives_up_after_max_restarts(
        self, autojump_clock: object, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Backoff doubles per recent crash; one crash past max_restarts raises ActorCrashed."""
        with trio.fail_after(DEADLINE), pytest.RaisesGroup(ActorCrashed) as excinfo:
            async with trio.open_nursery() as nursery:
                address = await nursery.start(start_recorder(max_restarts=2))
                start = trio.current_time()
                for _ in range(3):
                    address.send_nowait(Crash())
        [crashed] = excinfo.value.exceptions
        assert isinstance(crashed, ActorCrashed)
        assert crashed.name == "recorder"
        assert isinstance(crashed.cause, RuntimeError)
        assert trio.current_time() - start == pytest.approx(1 + 2)
        assert [r.getMessage().rsplit(";", 1)[1] for r in caplog.records] == [
            " restarting in 1 s",
            " restarting in 2 s",
            " giving up",
        ]

    async def test_old_crashes_are_forgiven(self, autojump_clock: object) -> None:
        """Crashes older than the window count neither toward the limit nor the backoff."""
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as nursery:
                address = await nursery.start(start_recorder(max_restarts=1, window=10))
                for _ in range(2):
                    await address.send(Crash())
                    await trio.sleep(20)
                assert await items(address) == ()
                nursery.cancel_scope.cancel()


class TestShutdown:
    async def test_stop_drains_then_ends(self, autojump_clock: object) -> None:
        """`stop()` refuses new messages; the actor handles what is queued, then ends."""
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as nursery:
                address = await nursery.start(start_recorder())
                release = trio.Event()
                await address.send(Hold(release=release))
                await address.send(Add(n=1))
                answer: list[tuple[int, ...]] = []

                async def ask() -> None:
                    answer.append(await items(address))

                nursery.start_soon(ask)
                await trio.testing.wait_all_tasks_blocked()
                address.stop()
                with pytest.raises(ActorClosed):
                    await address.send(Add(n=2))
                with pytest.raises(ActorClosed):
                    address.send_nowait(Add(n=2))
                release.set()
            assert answer == [(1,)]

    async def test_stop_ends_idle_actor(self, autojump_clock: object) -> None:
        """`stop()` wakes an actor waiting on an empty mailbox, and it ends."""
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as nursery:
                address = await nursery.start(start_recorder())
                await trio.testing.wait_all_tasks_blocked()
                address.stop()

    async def test_closing_every_address_ends_actor(self, autojump_clock: object) -> None:
        """Once every producer has closed its address, the actor's inbox ends."""
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as nursery:
                address = await nursery.start(start_recorder())
                with address, address.clone() as clone:
                    await clone.send(Add(n=1))
            with pytest.raises(ActorClosed):
                await address.send(Add(n=2))

    async def test_a_cancelled_sender_is_cancelled_not_told_the_actor_closed(
            self, autojump_clock: object) -> None:
        """A task stopping with the actor (both cancelled: the service's shutdown) learns
        it is cancelled when it sends, not that the actor is gone: nothing to report."""
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as nursery:
                address = await nursery.start(start_recorder())
                address.stop()
            with trio.CancelScope() as scope:
                scope.cancel()
                await address.send(Add(n=1))
            assert scope.cancelled_caught

    async def test_cancel_ends_actor_and_queued_requests(self, autojump_clock: object) -> None:
        """Cancelling the actor's scope stops it; requests still queued raise ActorClosed."""
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as callers:
                async with trio.open_nursery() as actors:
                    address = await actors.start(start_recorder())
                    await address.send(Hold(release=trio.Event()))
                    outcome: list[BaseException] = []

                    async def ask() -> None:
                        with pytest.raises(ActorClosed) as excinfo:
                            await items(address)
                        outcome.append(excinfo.value)

                    callers.start_soon(ask)
                    await trio.testing.wait_all_tasks_blocked()
                    actors.cancel_scope.cancel()
            assert len(outcome) == 1
            with pytest.raises(ActorClosed):
                address.send_nowait(Add(n=1))
