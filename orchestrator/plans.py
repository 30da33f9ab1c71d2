"""Plans: which API access and how many concurrently working devices a configuration allows.

The product sold Starter (no API), Pro, Team and Business. This project has no licence
server: the plan is configuration, so that clients branching on `license/check` can be
exercised. The default, Unlimited, limits nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

__all__ = ["PLANS", "Plan", "default_plan", "plan_named"]


@attrs.frozen(kw_only=True)
class Plan:
    """`device_limit` caps how many devices run tasks at the same time."""

    name: str
    api_enabled: bool
    device_limit: int

    @property
    def message(self) -> str:
        """`license/check`'s sentence for this plan."""
        if self.api_enabled:
            return "API access enabled"
        return f"API access requires a Pro, Team or Business plan; this is {self.name}"


PLANS: Mapping[str, Plan] = MappingProxyType({
    plan.name: plan
    for plan in (
        Plan(name="Starter", api_enabled=False, device_limit=5),
        Plan(name="Pro", api_enabled=True, device_limit=20),
        Plan(name="Team", api_enabled=True, device_limit=50),
        Plan(name="Business", api_enabled=True, device_limit=100),
        # An int, not null, so that clients comparing counts with it keep working.
        Plan(name="Unlimited", api_enabled=True, device_limit=1_000_000),
    )
})


def default_plan() -> Plan:
    """Unlimited: the API enabled and no practical device limit."""
    return PLANS["Unlimited"]


def plan_named(name: str) -> Plan:
    """The plan called `name`, in any case (an argparse `type=`).

    Raises:
        ValueError: no such plan (the message lists them).
    """
    for plan in PLANS.values():
        if plan.name.lower() == name.lower():
            return plan
    raise ValueError(f"unknown plan {name!r}; choose one of {', '.join(PLANS)}")
