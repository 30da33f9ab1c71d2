"""What the routes work with: the scheduler's address, the store, the plan and the clock.

The facade holds no state of its own: changes are requests to the scheduler (taken
within a deadline or refused, 50301), reads query the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import attrs
import httpx

from actors import (
    ActorBusy,
    ActorError,
    Address,
    Refused,
    Reply,
    ScheduleNameTaken,
    ScheduleNotFound,
    TaskNotFound,
    WallClock,
    WrongTaskState,
)
from actors.messages import DeviceSnapshot, GetDevice, ListDevices, SchedulerMsg
from scripts import HostFiles

from ..errors import InternalError, InvalidParams, NotFound, OrchestratorError, Unavailable
from ..plans import Plan
from ..store import Store, machine_name
from ._access import is_loopback
from ._forward import Where

__all__ = ["REFUSALS", "Facade"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The one place an actor's refusal becomes an API answer: its class here, its message
#: the refusal's. A refusal not listed, like any other exception a request raises, is a
#: fault the app logs and answers 50001 (`_app._as_error`).
REFUSALS: Mapping[type[Refused], type[OrchestratorError]] = {
    TaskNotFound: NotFound,
    WrongTaskState: InvalidParams,
    ScheduleNotFound: NotFound,
    ScheduleNameTaken: InvalidParams,
}


def _answer_to(refusal: Refused) -> OrchestratorError | None:
    """The API error `REFUSALS` makes of `refusal` (its closest listed class), or None."""
    for cls in type(refusal).__mro__:
        if cls in REFUSALS:
            return REFUSALS[cls](str(refusal))
    return None


@attrs.frozen(kw_only=True)
class Facade:
    scheduler: Address[SchedulerMsg]
    store: Store
    plan: Plan
    clock: WallClock
    queue_timeout: float
    #: The host files a new task may name (`POST /task`); the device actors check again.
    host_files: HostFiles

    @property
    def host_id(self) -> str:
        """The name of this host, as device objects show it."""
        return self.store.host_id

    async def ask(self, make_msg: Callable[[Reply[T]], SchedulerMsg]) -> T:
        """The scheduler's answer to `make_msg(reply)`: the truth about what was done.

        The request is taken by the scheduler within `queue_timeout` seconds or withdrawn
        (`Address.request`); once taken, its answer is awaited however long it takes.
        Only a refusal (`actors.Refused`) is the client's fault; any other exception the
        scheduler answers with (a bug's `KeyError`, a store's error) propagates as it is,
        for the app to log and answer 50001.

        Raises:
            OrchestratorError: the scheduler refused, as `REFUSALS` maps it (`NotFound`:
                no such task; `InvalidParams`: the task is in the wrong state).
            Unavailable: it could not take the request in time; nothing was done.
            InternalError: it is gone.
        """
        try:
            return await self.scheduler.request(make_msg, timeout=self.queue_timeout)
        except Refused as exc:
            answer = _answer_to(exc)
            if answer is None:
                raise
            raise answer from exc
        except ActorBusy as exc:
            log.warning("a request was refused: %s", exc)
            raise Unavailable("the orchestrator is too busy to take this request now, "
                              "and did nothing: send it again in a moment") from exc
        except ActorError as exc:
            log.error("no answer from the scheduler: %s", exc)
            raise InternalError(f"internal error: {exc}") from exc

    async def devices(self) -> dict[str, DeviceSnapshot]:
        """Every phone the scheduler lists, by serial (`ask`'s errors)."""
        found: list[DeviceSnapshot] = await self.ask(lambda reply: ListDevices(reply=reply))
        return {device.serial: device for device in found}

    async def farm_devices(self) -> list[tuple[str, DeviceSnapshot]]:
        """Every phone of the farm with the host it is on: this host's, as the scheduler
        lists them, and the other hosts' (the store's rows), by serial."""
        here = await self.devices()
        farm = [(self.host_id, device) for device in here.values()]
        farm += [(host, device) for host, device in await self.store.phones.others()
                 if device.serial not in here]
        return sorted(farm, key=lambda found: found[1].serial)

    async def farm_device(self, serial: str) -> tuple[str, DeviceSnapshot]:
        """One phone of the farm, with the host it is on: this host's, asked alone, else
        another host's row.

        Raises:
            NotFound: no host has seen it; or as `ask`.
        """
        try:
            return self.host_id, await self.device(serial)
        except NotFound:
            found = await self.store.phones.others(serial)
            if not found:
                raise
            return found[0]

    async def api_of(self, serial: str) -> Where | None:
        """The host that sees `serial` and the root URL of its API, if it is another
        host's phone that this host can reach (None: it is ready here, or as `apis_of`)."""
        try:
            here: DeviceSnapshot | None = await self.ask(
                lambda reply: GetDevice(serial=serial, reply=reply))
        except Exception as exc:
            log.debug("whether phone %s is here could not be told (%s)", serial, exc)
            return None
        ready = here is not None and here.state == "device"
        return None if ready else (await self.apis_of([serial])).get(serial)

    async def apis_of(self, serials: Sequence[str]) -> dict[str, Where]:
        """Of `serials`, those another host sees, each with that host and the root URL
        of its API, if this host can reach it: not one that listens on a loopback address
        of another machine, nor at what is no URL. Any that the store cannot tell about
        are left out (answered here)."""
        try:
            found = await self.store.phones.apis_of(serials)
        except Exception as exc:
            log.debug("where %d phone(s) are could not be told (%s)", len(serials), exc)
            return {}
        return {serial: (api.host, api.url) for serial, api in found.items()
                if _reachable(api.url, api.machine)}

    async def device(self, serial: str) -> DeviceSnapshot:
        """One phone's row, asked alone (a wall of screens asks for one each second per
        tile).

        Raises:
            NotFound: the scheduler knows no such phone; or as `ask`.
        """
        device: DeviceSnapshot | None = await self.ask(
            lambda reply: GetDevice(serial=serial, reply=reply))
        if device is None:
            raise NotFound(f"no phone {serial}")
        return device

    async def online(self, serial: str) -> DeviceSnapshot:
        """One phone's row, if it is ready for work.

        Raises:
            InvalidParams: it is offline or unauthorized; or as `device`.
        """
        device = await self.device(serial)
        if device.state != "device":
            raise InvalidParams(f"phone {serial} is {device.state}")
        return device


def _reachable(url: str, machine: str) -> bool:
    """Whether this host reaches an API at `url`, on `machine`: a loopback address only
    from that machine."""
    try:
        address = httpx.URL(url).host
    except httpx.InvalidURL:
        log.warning("another host's API is at %r, which is no URL", url)
        return False
    return machine == machine_name() or not is_loopback(address)
