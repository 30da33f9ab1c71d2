"""Device groups: named sets of phones, a third way (beside serials and accounts) to say
which phones a request means. The API's group routes and task creation use them; no
actor does: a group is resolved into serials when tasks are created.

A group's name is unique, compared case-insensitively; its serials are kept in the order
given, each once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import attrs

__all__ = ["Group", "GroupExists", "GroupStore", "NewGroup"]


@attrs.frozen(kw_only=True)
class NewGroup:
    """A group before the store gives it an id (also what an update writes)."""

    name: str
    serials: tuple[str, ...] = ()
    description: str = ""


@attrs.frozen(kw_only=True)
class Group(NewGroup):
    id: int
    created_at: float


class GroupExists(Exception):
    """Another group has that name (`held`)."""

    def __init__(self, held: Group) -> None:
        super().__init__(f"a group named {held.name!r} exists already (group {held.id})")
        self.held = held


class GroupStore(Protocol):
    """The groups, in the database of the tasks. Every method is one transaction."""

    async def list_groups(self) -> list[Group]:
        """Every group, by id."""

    async def get_group(self, group_id: int) -> Group | None: ...

    async def groups_named(self, names: Sequence[str]) -> list[Group]:
        """The groups of `names` that exist (case-insensitively), by id."""

    async def create_group(self, group: NewGroup, *, created_at: float) -> Group:
        """Raises GroupExists: the name is taken."""

    async def update_group(self, group_id: int,
                           change: Callable[[Group], NewGroup]) -> Group | None:
        """The group as `change` makes it of the stored one (None: no such group).

        Raises GroupExists: the new name is another group's."""

    async def delete_group(self, group_id: int) -> bool: ...
