"""What the routes work with: the scheduler's address, the store, the plan and the clock.

The facade holds no state of its own: changes are requests to the scheduler (answered
under a deadline), reads query the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import attrs

from actors import ActorError, Address, Reply, WallClock
from actors.messages import SchedulerMsg
from scripts import HostFiles

from ..errors import InternalError, InvalidParams, NotFound
from ..plans import Plan
from ..store import Store

__all__ = ["Facade"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Facade:
    #: None in an API process, which forwards every request that asks (`_forward`).
    scheduler: Address[SchedulerMsg] | None
    store: Store
    plan: Plan
    clock: WallClock
    reply_timeout: float
    #: The host files a new task may name (`POST /task`); the device actors check again.
    host_files: HostFiles

    async def ask(self, make_msg: Callable[[Reply[T]], SchedulerMsg]) -> T:
        """The scheduler's answer to `make_msg(reply)`.

        Raises:
            NotFound: the scheduler answered LookupError (no such task).
            InvalidParams: it answered ValueError (the task is in the wrong state).
            InternalError: it did not answer in time, or is gone, or is not here.
        """
        if self.scheduler is None:
            raise InternalError("internal error: the scheduler is not in this process")
        try:
            return await self.scheduler.request(make_msg, timeout=self.reply_timeout)
        except LookupError as exc:
            raise NotFound(str(exc)) from exc
        except ValueError as exc:
            raise InvalidParams(str(exc)) from exc
        except ActorError as exc:
            log.error("no answer from the scheduler: %s", exc)
            raise InternalError(f"internal error: {exc}") from exc
