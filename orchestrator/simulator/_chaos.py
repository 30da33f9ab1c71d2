"""Faults applied to a farm from the command line: which phones, which knobs, churn."""

from __future__ import annotations

import logging
import random

import attrs
import trio

from ._farm import Farm
from ._phone import Phone

__all__ = ["FaultPlan", "run_churn"]

log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class FaultPlan:
    """Fault settings for the first `faulty` phones of a farm (all when None)."""

    faulty: int | None = None
    latency: float = 0.0
    hang: str | None = None
    dump_delay: float = 0.0
    dump_fails: bool = False
    disconnect_on: str | None = None
    crash_on: str | None = None
    offline: int = 0
    unauthorized: int = 0

    def apply(self, farm: Farm) -> None:
        """Set the knobs on the chosen phones; the last phones get offline/unauthorized."""
        phones = list(farm)
        chosen = phones if self.faulty is None else phones[: self.faulty]
        for phone in chosen:
            phone.faults = attrs.evolve(phone.faults, latency=self.latency, hang=self.hang,
                                        dump_delay=self.dump_delay, dump_fails=self.dump_fails,
                                        disconnect_on=self.disconnect_on,
                                        crash_on=self.crash_on)
        tail = phones[len(phones) - self.offline - self.unauthorized:] \
            if self.offline + self.unauthorized else []
        for i, phone in enumerate(tail):
            phone.state = "offline" if i < self.offline else "unauthorized"


async def run_churn(farm: Farm, period: float, *, rng: random.Random | None = None) -> None:
    """Every `period` seconds unplug a random phone, and plug it back in the next period.

    So `track-devices` users see phones come and go while the server runs.
    """
    pick = rng or random.Random()
    away: Phone | None = None
    while True:
        await trio.sleep(period)
        if away is not None:
            farm.plug(away)
            log.info("phone %s plugged back in", away.serial)
            away = None
        elif len(farm):
            away = farm.unplug(pick.choice([p.serial for p in farm]))
            log.info("phone %s unplugged", away.serial)
