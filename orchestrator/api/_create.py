"""`POST /task`: validate a request, in the API's order, and fan it out into new tasks.

Order of the checks: the body's types; `script_name` missing (40002), unknown (40001),
not API-enabled (40003); `serials` xor `usernames`, each resolved to its device slots;
the intervals; `start_time`; `script_config` and its fan-out; zero tasks (40001).
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

import attrs

from actors import NewTask, TaskSource
from scripts import SCRIPTS, InvalidConfig, plan_tasks

from ..converter import Range
from ..errors import InvalidParams, ScriptNameMissing, ScriptNotApiEnabled

__all__ = ["CreateTasks", "due_at", "plan_request"]

Slot = tuple[str, str | None]
"""Where one fan-out slot runs: a device serial, and the account it runs as (or None)."""

_HH_MM = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@attrs.frozen(kw_only=True)
class CreateTasks:
    """The body of `POST /task`. `script_config` stays raw: its script validates it."""

    script_name: str | None = None
    script_config: Any = None
    serials: list[str] | None = None
    usernames: list[str] | None = None
    enable_multi_account: bool = False
    start_time: str | None = None
    min_interval: Annotated[int, Range(0)] = 0
    max_interval: Annotated[int, Range(0)] = 0


def _check_script(name: str | None) -> str:
    if not name:
        raise ScriptNameMissing
    spec = SCRIPTS.get(name)
    if spec is None:
        known = ", ".join(n for n, s in SCRIPTS.items() if s.api_enabled)
        raise InvalidParams(f"$.script_name: unknown script {name!r} (API scripts: {known})")
    if not spec.api_enabled:
        raise ScriptNotApiEnabled(f"script {name!r} is not available through the API yet")
    return name


def _check_names(field: str, names: Sequence[str]) -> None:
    for index, name in enumerate(names):
        if not name.strip().lstrip("@"):
            raise InvalidParams(f"$.{field}[{index}]: must not be empty")


# The two lookups below need the accounts store (a later issue); until it exists, no
# account is known and no device has accounts bound to it.
def _account_slots(usernames: Sequence[str]) -> list[Slot]:
    """Each account's bound device, running as that account."""
    if usernames:
        raise InvalidParams(f"$.usernames[0]: account @{usernames[0].lstrip('@')} not found")
    return []


def _multi_account_slots(serials: Sequence[str]) -> list[Slot]:
    """One slot per enabled account bound to each device, device by device."""
    if serials:
        raise InvalidParams(f"$.enable_multi_account: no enabled accounts are bound to "
                            f"device {serials[0]}")
    return []


def _slots(req: CreateTasks) -> list[Slot]:
    if req.usernames is not None:
        if req.serials is not None:
            raise InvalidParams("$.serials, $.usernames: give one of them, not both")
        if req.enable_multi_account:
            raise InvalidParams("$.enable_multi_account: only with serials (device mode)")
        _check_names("usernames", req.usernames)
        return _account_slots(req.usernames)
    if req.serials is None:
        raise InvalidParams("$.serials: required unless usernames is given")
    _check_names("serials", req.serials)
    if req.enable_multi_account:
        return _multi_account_slots(req.serials)
    return [(serial, None) for serial in req.serials]


def due_at(start_time: str | None, now: float) -> float:
    """When a request's tasks are due: `HH:MM` local time today; passed already, or
    absent (or empty): now."""
    if not start_time:
        return now
    match = _HH_MM.fullmatch(start_time.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidParams(f"$.start_time: expected HH:MM (local time today), "
                            f"got {start_time!r}")
    today = datetime.datetime.fromtimestamp(now)
    due = today.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    return max(due.timestamp(), now)


def plan_request(req: CreateTasks, *, now: float) -> list[NewTask]:
    """The new tasks of one request, device-major, sharing one `request_id`; `position`
    numbers each device's tasks in order.

    Raises:
        ScriptNameMissing, ScriptNotApiEnabled, InvalidParams: as the module says.
    """
    script_name = _check_script(req.script_name)
    slots = _slots(req)
    if req.min_interval > req.max_interval:
        raise InvalidParams(f"$.min_interval: must not exceed max_interval "
                            f"({req.min_interval} > {req.max_interval})")
    due = due_at(req.start_time, now)
    try:
        planned = plan_tasks(script_name, req.script_config, slots)
    except InvalidConfig as exc:
        raise InvalidParams(str(exc)) from exc
    if not planned:
        raise InvalidParams("the request makes no tasks: no devices (or accounts), "
                            "or no targets in script_config")
    request_id = uuid.uuid4().hex
    positions: Counter[str] = Counter()
    tasks = []
    for (serial, username), config in planned:
        tasks.append(NewTask(
            serial=serial, username=username, script_name=script_name, script_config=config,
            source=TaskSource.API, due_at=due, request_id=request_id,
            position=positions[serial], min_interval=req.min_interval,
            max_interval=req.max_interval,
        ))
        positions[serial] += 1
    return tasks
