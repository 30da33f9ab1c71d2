"""Supervision: run an actor, and restart it with the same mailbox when it crashes.

Like trio's `serve_listeners` riding out overload errors: only `Exception`s are caught
(never `Cancelled` or `KeyboardInterrupt`); anything else, and a crash past the restart
budget, propagates to the parent nursery.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
import trio

from ._errors import ActorCrashed
from ._mailbox import Address, Inbox, Mailbox

__all__ = ["supervise"]

logger = logging.getLogger(__name__)

M = TypeVar("M")


@attrs.define
class _Restarts:
    """Exponential backoff, capped, and a limit on restarts within a sliding window."""

    backoff: float
    max_backoff: float
    max_restarts: int
    window: float
    recent: collections.deque[float] = attrs.field(factory=collections.deque)

    def next_delay(self, now: float) -> float | None:
        """The wait before the next restart, or None once the budget is spent."""
        while self.recent and self.recent[0] <= now - self.window:
            self.recent.popleft()
        if len(self.recent) >= self.max_restarts:
            return None
        delay = min(self.max_backoff, self.backoff * 2.0 ** len(self.recent))
        self.recent.append(now)
        return delay


async def supervise(
    name: str,
    actor: Callable[[Inbox[M]], Awaitable[None]],
    *,
    capacity: int = 16,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
    max_restarts: int = 5,
    window: float = 60.0,
    task_status: trio.TaskStatus[Address[M]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run `actor` on a new mailbox of `capacity` messages until it returns.

    Started with the mailbox's first `Address` (the starter owns it). When the actor
    raises an `Exception`, logs one line naming it and the error, waits `backoff`
    seconds (doubled for each other crash within `window`, at most `max_backoff`) and
    calls `actor` again on the same mailbox: fresh state, same addresses. A crash after
    `max_restarts` restarts within `window` seconds raises `ActorCrashed` (so
    `max_restarts=0` never restarts).

    An actor iterating its inbox returns once it ends: see `Address.stop`.

    Cancellation: cancels the actor. On any exit the mailbox closes: later sends raise
    `ActorClosed`, and so do requests still queued.
    """
    mailbox: Mailbox[M] = Mailbox(name, capacity=capacity)
    restarts = _Restarts(backoff, max_backoff, max_restarts, window)
    try:
        task_status.started(mailbox.address)
        while True:
            try:
                with mailbox.inbox() as inbox:
                    await actor(inbox)
                return
            except Exception as exc:
                delay = restarts.next_delay(trio.current_time())
                if delay is None:
                    logger.error("actor %r crashed: %r; giving up", name, exc)
                    raise ActorCrashed(name, exc) from exc
                logger.warning("actor %r crashed: %r; restarting in %g s", name, exc, delay)
            await trio.sleep(delay)
    finally:
        mailbox.close()
