"""The `/groups` routes: device groups (`orchestrator.groups`), named sets of phones that
`POST /task` takes as `groups` beside `serials`.

A name is 1 to 64 characters, unique whatever its case; serials are kept in the order
given, each once, at most `MAX_SERIALS`; an update (`PUT`) changes the fields it names.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from quart import Blueprint, Response

from ..errors import InvalidParams, NotFound
from ..groups import Group, GroupExists, GroupStore, NewGroup
from ._facade import Facade
from ._idempotency import Idempotency
from ._openapi import Doc
from ._wire import envelope, load_json, read_body, read_object

__all__ = ["GroupView", "GroupsOfPhones", "group_routes"]

#: The phones a group holds, at most.
MAX_SERIALS = 10_000
MAX_NAME = 64
MAX_DESCRIPTION = 1_000


@attrs.frozen(kw_only=True)
class GroupBody:
    """A group on the wire: its `name`, the `serials` of its phones, a `description`."""

    name: str
    serials: list[str] = attrs.Factory(list)
    description: str = ""

    def to_new(self) -> NewGroup:
        """The group these fields make.

        Raises:
            InvalidParams: a field at fault (named).
        """
        name = self.name.strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise InvalidParams(f"$.name: 1 to {MAX_NAME} characters, got {len(name)}")
        serials = list(dict.fromkeys(serial.strip() for serial in self.serials))
        if "" in serials:
            raise InvalidParams("$.serials: a serial is empty")
        if len(serials) > MAX_SERIALS:
            raise InvalidParams(f"$.serials: at most {MAX_SERIALS} phones, got {len(serials)}")
        if len(self.description) > MAX_DESCRIPTION:
            raise InvalidParams(f"$.description: at most {MAX_DESCRIPTION} characters")
        return NewGroup(name=name, serials=tuple(serials), description=self.description)


@attrs.frozen(kw_only=True)
class GroupView:
    """The API's group object."""

    id: int
    name: str
    serials: Sequence[str]
    description: str

    @classmethod
    def of(cls, group: Group) -> GroupView:
        return cls(id=group.id, name=group.name, serials=list(group.serials),
                   description=group.description)


@attrs.frozen(kw_only=True)
class GroupList:
    groups: Sequence[GroupView]
    total: int


@attrs.frozen(kw_only=True)
class GroupsDeleted:
    deleted_count: int
    group_ids: Sequence[int]


class GroupsOfPhones:
    """Each phone's groups, by name, in the order of the groups: read from the store the
    first time it is asked after a change of the groups (the group routes say so; every
    change of them comes through this app, an API process forwarding it), so a device
    object costs no read."""

    def __init__(self, store: GroupStore) -> None:
        self._store = store
        self._held: dict[str, list[str]] | None = None
        self._version = 0  # of the groups: a read begun before a change is not kept

    def changed(self) -> None:
        self._held = None
        self._version += 1

    async def of(self) -> dict[str, list[str]]:
        if self._held is not None:
            return self._held
        version = self._version
        held: dict[str, list[str]] = {}
        for group in await self._store.list_groups():
            for serial in group.serials:
                held.setdefault(serial, []).append(group.name)
        if version == self._version:
            self._held = held
        return held


def _view(group: Group | None, group_id: int) -> Response:
    if group is None:
        raise NotFound(f"group {group_id} not found")
    return envelope(GroupView.of(group))


def _changed(group: Group, changes: dict[str, object]) -> NewGroup:
    """`group` with the fields of a `PUT` body replaced."""
    base = {"name": group.name, "serials": list(group.serials),
            "description": group.description}
    return load_json({**base, **changes}, GroupBody).to_new()


def group_routes(facade: Facade, idempotent: Idempotency,
                 held: GroupsOfPhones) -> Blueprint:
    """The `/groups` routes, on `facade`'s store; creating takes an `Idempotency-Key`;
    `held` hears of every change."""
    routes = Blueprint("groups", __name__)
    groups = facade.store.groups

    @routes.get("/groups")
    @Doc(summary="Every device group", answer=GroupList)
    async def list_groups() -> Response:
        found = await groups.list_groups()
        return envelope(GroupList(groups=[GroupView.of(g) for g in found], total=len(found)))

    @routes.get("/groups/<id(group):group_id>")
    @Doc(summary="One device group", answer=GroupView)
    async def get_group(group_id: int) -> Response:
        return _view(await groups.get_group(group_id), group_id)

    @routes.post("/groups")
    @Doc(summary="Create a device group", body=GroupBody, answer=GroupView)
    @idempotent
    async def create_group() -> Response:
        new = (await read_body(GroupBody)).to_new()
        try:
            group = await groups.create_group(new, created_at=facade.clock.now())
        except GroupExists as exc:
            raise InvalidParams(f"$.name: {exc}") from exc
        finally:
            held.changed()
        return _view(group, group.id)

    @routes.put("/groups/<id(group):group_id>")
    @Doc(summary="Change some of a device group's fields", body=GroupBody, partial=True,
         answer=GroupView)
    async def update_group(group_id: int) -> Response:
        changes = await read_object()
        try:
            group = await groups.update_group(group_id, lambda g: _changed(g, changes))
        except GroupExists as exc:
            raise InvalidParams(f"$.name: {exc}") from exc
        finally:
            held.changed()
        return _view(group, group_id)

    @routes.delete("/groups/<id(group):group_id>")
    @Doc(summary="Delete a device group (its phones and their tasks stay)",
         answer=GroupsDeleted)
    async def delete_group(group_id: int) -> Response:
        try:
            deleted = await groups.delete_group(group_id)
        finally:
            held.changed()
        if not deleted:
            raise NotFound(f"group {group_id} not found")
        return envelope(GroupsDeleted(deleted_count=1, group_ids=[group_id]))

    return routes
