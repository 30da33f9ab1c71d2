"""A host's lease on its name, and the watch on the others' leases.

Each host renews its lease every `BEAT` seconds, by the database's clock. Every host
also looks, as often, for hosts whose lease is older than `LEASE`: one of them (the
rows are locked, `fail_dead_hosts`) fails their running tasks and has them retried,
shows their phones offline, and frees their names. A host is so noticed within
`LEASE + BEAT` seconds of its last beat, whether it was killed or cut off.
"""

from __future__ import annotations

import logging

import trio

from actors import (
    Address,
    SchedulerSettings,
    WallClock,
    recover_dead_hosts,
)
from actors.messages import PlacesLost, SchedulerMsg, TasksPending, TasksTaken

from ..store import DATABASE_ERRORS, HostNameTaken, Store

__all__ = ["BEAT", "LEASE", "keep_lease"]

log = logging.getLogger(__name__)

#: Seconds between two renewals of a host's lease (and two looks at the others').
BEAT = 5.0
#: Seconds without a renewal after which the other hosts take a host for dead.
LEASE = 15.0


async def keep_lease(*, store: Store, clock: WallClock, settings: SchedulerSettings,
                     scheduler: Address[SchedulerMsg]) -> None:
    """Renew this host's lease and take over from dead hosts, every `BEAT` seconds, until
    cancelled; then let the lease go, so that the others take over at once."""
    refusing = False
    try:
        while True:
            await trio.sleep(BEAT)
            try:
                await _beat(store, scheduler)
                await _take_over(store, clock, settings, scheduler)
            except (*DATABASE_ERRORS, HostNameTaken) as exc:
                if not refusing:
                    log.warning("could not renew this host's lease (%s): past %.0f s the "
                                "other hosts take it for dead, and it starts no task until "
                                "it holds its name again", exc, LEASE)
                refusing = True
            else:
                if refusing:
                    log.info("this host's lease is renewed again")
                refusing = False
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(2):
            try:
                await store.hosts.leave()
            except DATABASE_ERRORS:
                pass  # the lease ends by itself


async def _beat(store: Store, scheduler: Address[SchedulerMsg]) -> None:
    if not await store.hosts.beat():
        log.error("the other hosts took this host (%s) for dead, and failed the tasks it "
                  "ran; it takes its name back", store.host_id)
        await store.hosts.take_name(lease=LEASE)
        await scheduler.send(PlacesLost())  # they show its phones offline


async def _take_over(store: Store, clock: WallClock, settings: SchedulerSettings,
                     scheduler: Address[SchedulerMsg]) -> None:
    """Fail and retry the running tasks of the hosts found dead; this host's scheduler
    learns of them as the others do of any host's news."""
    failed = await recover_dead_hosts(store, clock, settings, lease=LEASE)
    if failed:
        ids = [task.id for task in failed]
        await scheduler.send(TasksTaken(task_ids=ids, ended=True))
        if again := await store.pending_here_among(ids):
            await scheduler.send(TasksPending(tasks=again))
