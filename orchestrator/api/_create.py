"""`POST /task`: validate a request, in the API's order, and fan it out into new tasks.

Order of the checks: the body's types; `script_name` missing (40002), unknown (40001),
not API-enabled (40003); `serials` and/or `groups` (the union, each phone once, in the
order given) xor `usernames`, each resolved to its device slots (accounts of the platform
`script_config.platform`, default tiktok; a task that runs as an account gets its
`platform` and `package` in its config); the intervals; `start_at` or `start_time`;
`script_config` (the host paths it names confined to `HostFiles`) and its fan-out; zero
tasks (40001).
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
from scripts import (
    SCRIPTS,
    HostFiles,
    InvalidConfig,
    ScriptNotEnabled,
    UnknownScript,
    api_script,
    plan_tasks,
)

from ..accounts import Account, AccountStatus, AccountStore, Platform
from ..converter import Range
from ..errors import InvalidParams, ScriptNameMissing, ScriptNotApiEnabled
from ..groups import GroupStore
from ..store import Store

__all__ = ["CreateTasks", "due_at", "named_phones", "plan_request"]

#: The longest `timeout` (seconds): a week; a bound past it bounds nothing a phone does.
MAX_TIMEOUT = 7 * 24 * 3600

Slot = tuple[str, Account | None]
"""Where one fan-out slot runs: a device serial, and the account it runs as (or None)."""

_HH_MM = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@attrs.frozen(kw_only=True)
class CreateTasks:
    """The body of `POST /task`. `script_config` stays raw: its script validates it."""

    script_name: str | None = None
    script_config: Any = None
    serials: list[str] | None = None
    groups: list[str] | None = None
    usernames: list[str] | None = None
    enable_multi_account: bool = False
    start_time: str | None = None
    #: ISO 8601 with an offset, or Unix seconds (`when_due` reads it; the document says so)
    start_at: Any = None
    min_interval: Annotated[int, Range(0)] = 0
    max_interval: Annotated[int, Range(0)] = 0
    timeout: Annotated[int, Range(1, MAX_TIMEOUT)] | None = None
    #: Rotate each phone's proxy before each of these tasks (`actors._proxy`).
    rotate_proxy: bool = False


def _check_script(name: str | None) -> str:
    if not name:
        raise ScriptNameMissing
    try:
        api_script(name)
    except UnknownScript:
        known = ", ".join(n for n, s in SCRIPTS.items() if s.api_enabled)
        raise InvalidParams(
            f"$.script_name: unknown script {name!r} (API scripts: {known})") from None
    except ScriptNotEnabled:
        raise ScriptNotApiEnabled(
            f"script {name!r} is not available through the API yet") from None
    return name


def _check_names(field: str, names: Sequence[str]) -> None:
    for index, name in enumerate(names):
        if not name.strip().lstrip("@"):
            raise InvalidParams(f"$.{field}[{index}]: must not be empty")


def _platform(script_config: object) -> Platform:
    """The accounts' platform: `script_config.platform`, default tiktok."""
    raw = script_config.get("platform") if isinstance(script_config, dict) else None
    if raw is None:
        return Platform.TIKTOK
    try:
        return Platform(str(raw).lower())
    except ValueError:
        choices = ", ".join(repr(p.value) for p in Platform)
        raise InvalidParams(f"$.script_config.platform: must be one of {choices}, "
                            f"got {raw!r}") from None


async def _account_slots(usernames: Sequence[str], platform: Platform,
                         accounts: AccountStore) -> list[Slot]:
    """Each account's bound device, running as that account."""
    found = {a.username.lower(): a for a in await accounts.find_accounts(
        platform, [name.strip().removeprefix("@") for name in usernames])}
    slots: list[Slot] = []
    for index, name in enumerate(usernames):
        account = found.get(name.strip().removeprefix("@").lower())
        where = f"$.usernames[{index}]: account @{name.strip().removeprefix('@')}"
        if account is None:
            raise InvalidParams(f"{where} not found on {platform}")
        if account.status is AccountStatus.DISABLED:
            raise InvalidParams(f"{where} is disabled")
        if account.device is None:
            raise InvalidParams(f"{where} is not bound to a device")
        slots.append((account.device, account))
    return slots


async def _multi_account_slots(serials: Sequence[str], platform: Platform,
                               accounts: AccountStore) -> list[Slot]:
    """One slot per enabled account bound to each device, device by device."""
    bound = [a for a in await accounts.accounts_on(platform, serials)
             if a.status is AccountStatus.ENABLED]
    slots: list[Slot] = []
    for index, serial in enumerate(serials):
        mine: list[Slot] = [(serial, a) for a in bound if a.device == serial]
        if not mine:
            raise InvalidParams(f"$.serials[{index}]: no enabled {platform} account is "
                                f"bound to device {serial}")
        slots += mine
    return slots


async def named_phones(serials: Sequence[str] | None, names: Sequence[str] | None,
                       groups: GroupStore) -> list[str]:
    """The phones `serials` and the groups `names` name together: each once, in the
    order given.

    Raises:
        InvalidParams: a blank serial or name, or no such group (named).
    """
    serials = list(serials or [])
    _check_names("serials", serials)
    names = names or []
    _check_names("groups", names)
    found = {g.name.lower(): g for g in await groups.groups_named(
        [name.strip() for name in names])} if names else {}
    for index, name in enumerate(names):
        group = found.get(name.strip().lower())
        if group is None:
            raise InvalidParams(f"$.groups[{index}]: no group named {name.strip()!r}")
        serials += group.serials
    return list(dict.fromkeys(serials))


async def _slots(req: CreateTasks, accounts: AccountStore, groups: GroupStore) -> list[Slot]:
    if req.usernames is not None:
        if req.serials is not None or req.groups is not None:
            raise InvalidParams("$.serials, $.usernames: give phones (serials, groups) or "
                                "accounts (usernames), not both")
        if req.enable_multi_account:
            raise InvalidParams("$.enable_multi_account: only with serials (device mode)")
        _check_names("usernames", req.usernames)
        return await _account_slots(req.usernames, _platform(req.script_config), accounts)
    if req.serials is None and req.groups is None:
        raise InvalidParams("$.serials: required unless groups or usernames is given")
    serials = await named_phones(req.serials, req.groups, groups)
    if req.enable_multi_account:
        return await _multi_account_slots(serials, _platform(req.script_config), accounts)
    return [(serial, None) for serial in serials]


async def _check_rotations(serials: Sequence[str], store: Store) -> None:
    """Raises InvalidParams: some of `serials` have no proxy rotation set (named)."""
    wanted = list(dict.fromkeys(serials))
    rotated = await store.proxies.serials_with_rotation(wanted)
    unset = [serial for serial in wanted if serial not in rotated]
    if unset:
        raise InvalidParams(f"$.rotate_proxy: no proxy rotation is set for {len(unset)} "
                            f"phone(s): {', '.join(unset[:10])} (PUT /api/v1/devices/"
                            "{serial}/proxy)")


def _as_account(config: dict[str, Any], account: Account | None) -> dict[str, Any]:
    """A task's config; running as an account, its app: platform and (clone) package."""
    if account is None:
        return config
    return {**config, "platform": account.platform.value, "package": account.packagename}


#: Seconds a `start_at` may lie in the past and still mean now (clocks differ a little).
START_AT_SLACK = 60.0


def when_due(req: CreateTasks, now: float) -> float:
    """When a request's tasks are due: `start_at`, or `start_time` (`due_at`), not both.

    Raises:
        InvalidParams: both, or a moment that is not one (named).
    """
    if req.start_at is None:
        return due_at(req.start_time, now)
    if req.start_time:
        raise InvalidParams("$.start_at, $.start_time: give one of them, not both")
    moment = _moment(req.start_at)
    if moment < now - START_AT_SLACK:
        raise InvalidParams(f"$.start_at: {req.start_at!r} has passed (a moment to come, "
                            "or now)")
    return max(moment, now)


def _moment(value: object) -> float:
    """`start_at` as Unix seconds: it is a number of them, or ISO 8601 with an offset."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 <= value < 2**40:  # the year 36812: past it, a mistake (milliseconds?)
            raise InvalidParams(f"$.start_at: {value!r} is not a moment (Unix seconds)")
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.timestamp()
    raise InvalidParams(f"$.start_at: expected ISO 8601 with an offset "
                        f"(2026-12-24T18:00:00+01:00) or Unix seconds, got {value!r}")


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


async def plan_request(req: CreateTasks, *, now: float, store: Store,
                       host_files: HostFiles) -> list[NewTask]:
    """The new tasks of one request, device-major, sharing one `request_id`, all due at
    `start_at` or `start_time`; `position` numbers each device's tasks in order. Accounts
    (usernames and multi-account modes), groups and proxy rotations are looked up in
    `store`; a host path in `script_config` must resolve inside `host_files`.

    Raises:
        ScriptNameMissing, ScriptNotApiEnabled, InvalidParams: as the module says.
    """
    script_name = _check_script(req.script_name)
    slots = await _slots(req, store.accounts, store.groups)
    if req.min_interval > req.max_interval:
        raise InvalidParams(f"$.min_interval: must not exceed max_interval "
                            f"({req.min_interval} > {req.max_interval})")
    due = when_due(req, now)
    try:
        planned = plan_tasks(script_name, req.script_config, slots, host_files=host_files)
    except InvalidConfig as exc:
        raise InvalidParams(str(exc)) from exc
    if not planned:
        raise InvalidParams("the request makes no tasks: no devices (or accounts), "
                            "or no targets in script_config")
    if req.rotate_proxy:
        await _check_rotations([serial for (serial, _), _ in planned], store)
    request_id = uuid.uuid4().hex
    positions: Counter[str] = Counter()
    tasks = []
    for (serial, account), config in planned:
        tasks.append(NewTask(
            serial=serial, username=None if account is None else account.username,
            script_name=script_name, script_config=_as_account(config, account),
            source=TaskSource.API, due_at=due, request_id=request_id,
            position=positions[serial], min_interval=req.min_interval,
            max_interval=req.max_interval, timeout=req.timeout,
            rotate_proxy=req.rotate_proxy,
        ))
        positions[serial] += 1
    return tasks
