"""The device watcher: follows the ADB server's device list, starts and retires device actors.

It reports started once the phones present at that moment have their actors.

adbutils' `track_devices` blocks, so it runs in one worker thread that hands each
event to the trio side through `trio.from_thread.run`. Each phone in state `device`
gets a supervised device actor in the watcher's nursery; when it leaves, its actor is
stopped (a running task fails with a disconnect remark) and the scheduler is told.
If the ADB server goes away, every phone is treated as gone and the watcher tries again,
with a pause that doubles (up to 5 s), logging only when it is lost and when it answers
again. A phone's own line is for a phone that comes or goes: those the server lists at
start, or lists again after an outage, are one line.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable

import adbutils
import trio

from scripts.driver import AdbDriver, DriverError

from ._backoff import Backoff
from ._errors import ActorClosed
from ._mailbox import Address, Inbox
from ._supervise import supervise
from .messages import DeviceDown, DeviceMsg, DevicesListed, DeviceUp, SchedulerMsg

__all__ = ["DeviceActorFactory", "phone_driver", "run_watcher"]

log = logging.getLogger(__name__)

#: Builds the run function of one phone's device actor, given its serial.
DeviceActorFactory = Callable[[str], Callable[[Inbox[DeviceMsg]], Awaitable[None]]]

#: Seconds between tries to reach an ADB server that does not answer (`Backoff`).
RECONNECT_PAUSE = (0.5, 5.0)
ADB_TIMEOUT = 10.0


async def _read_model(adb_host: str, adb_port: int, serial: str) -> str:
    """The phone's model, or "" if it cannot say (the driver closes what a failure leaves)."""
    try:
        return (await phone_driver(adb_host, adb_port, serial).shell(
            "getprop", "ro.product.model")).stdout.strip()
    except DriverError:
        return ""


def phone_driver(adb_host: str, adb_port: int, serial: str) -> AdbDriver:
    """A driver of its own for what the core asks a phone besides its tasks."""
    return AdbDriver(adb_host, adb_port, serial, limiter=trio.CapacityLimiter(1),
                     timeout=ADB_TIMEOUT)


def _follow(client: adbutils.AdbClient,
            events: trio.MemorySendChannel[adbutils.DeviceEvent | list[str] | None]) -> None:
    """Blocking: hand every track-devices event to the trio side until the server goes;
    a full channel holds this thread back (backpressure), never drops an event."""
    for event in client.track_devices():
        trio.from_thread.run(events.send, event)


async def run_watcher(*, adb_host: str, adb_port: int, scheduler: Address[SchedulerMsg],
                      device_actor: DeviceActorFactory, last: bool = True,
                      task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Watch the ADB server at `adb_host:adb_port` forever (reconnecting as needed); the
    `last` of a host's watchers to start says `DevicesListed` once it has listed its
    phones (the others have listed theirs before it starts)."""
    # The tracking connection is quiet while nothing changes: no read timeout on it
    # (adbutils sets TCP keepalive, so a dead server is still noticed).
    tracker = adbutils.AdbClient(host=adb_host, port=adb_port)
    probe = adbutils.AdbClient(host=adb_host, port=adb_port, socket_timeout=ADB_TIMEOUT)
    actors: dict[str, Address[DeviceMsg]] = {}
    # A phone's event; or the phones the server lists as it answers again (their events
    # follow: quiet ones); or None: the server is gone. One channel, so that they are
    # handled in the order they happened.
    events_send, events_receive = trio.open_memory_channel[
        adbutils.DeviceEvent | list[str] | None](1000)

    async with trio.open_nursery() as nursery:

        async def phone_up(serial: str, *, quiet: bool = False) -> None:
            if serial in actors:
                return
            actors[serial] = address = await nursery.start(
                functools.partial(supervise, f"device {serial}", device_actor(serial)))
            log.log(logging.DEBUG if quiet else logging.INFO, "device %s connected", serial)
            await scheduler.send(DeviceUp(serial=serial, address=address.clone()))
            nursery.start_soon(learn_model, serial, address)

        async def learn_model(serial: str, address: Address[DeviceMsg]) -> None:
            """Ask the phone its model off the event path (1,000 phones plug in at once)."""
            model = await _read_model(adb_host, adb_port, serial)
            if model and actors.get(serial) is address:
                # closed: the core stops (its read, on a thread, outlived the scheduler)
                with contextlib.suppress(ActorClosed):
                    await scheduler.send(DeviceUp(serial=serial, model=model,
                                                  address=address.clone()))

        async def phone_down(serial: str, state: str, *, quiet: bool = False) -> None:
            address = actors.pop(serial, None)
            if address is not None:
                address.stop()
                address.close()
                log.log(logging.DEBUG if quiet else logging.INFO, "device %s %s", serial,
                        "disconnected" if state == "absent" else f"is {state}")
            await scheduler.send(DeviceDown(serial=serial, state=state, address=address))

        async def handle_events() -> None:
            listed_again: set[str] = set()  # the line saying it answers again named them
            async for event in events_receive:
                match event:
                    case None:  # the ADB server is gone: the warning said so
                        for serial in list(actors):
                            await phone_down(serial, "absent", quiet=True)
                    case list():
                        listed_again = set(event)
                    case _ if event.present and event.status == "device":
                        await phone_up(event.serial, quiet=event.serial in listed_again)
                        listed_again.discard(event.serial)
                    case _:
                        await phone_down(event.serial,
                                         event.status if event.present else "absent")

        async def listed() -> list[str]:
            """The phones ready for work that the server lists now."""
            return [device.serial for device in
                    await trio.to_thread.run_sync(probe.device_list)]

        # The phones already there get their actors before the watcher reports started
        # (their owner then knows the farm it starts with); the events that follow are
        # for phones it has seen already, or new ones.
        try:
            present = await listed()
        except (adbutils.AdbError, OSError):
            present = []  # following retries until the server is there
        for serial in present:
            await phone_up(serial, quiet=True)
        log.info("%d phone(s) on the ADB server at %s:%d", len(present), adb_host, adb_port)
        if last:
            await scheduler.send(DevicesListed())
        nursery.start_soon(handle_events)
        task_status.started()
        pauses, lost = Backoff(*RECONNECT_PAUSE), False
        while True:
            try:
                if lost:  # quietly, until it answers
                    present = await listed()
                    log.info("the ADB server at %s:%d answers again, with %d phone(s)",
                             adb_host, adb_port, len(present))
                    await events_send.send(present)
                    pauses.succeeded()
                    lost = False
                await trio.to_thread.run_sync(_follow, tracker, events_send,
                                              abandon_on_cancel=True)
                why: object = "it ended the device list"
            except (adbutils.AdbError, OSError) as exc:
                why = exc
            if not lost:
                log.warning("no answer from the ADB server at %s:%d (%s): its phones are "
                            "gone until it answers again", adb_host, adb_port, why)
                await events_send.send(None)
                lost = True
            await trio.sleep(pauses.failed())

