"""The group store, on both backends: names unique whatever their case, serials in order,
update, delete, lookup by names."""

from __future__ import annotations

import attrs
import pytest

from orchestrator.groups import GroupExists, GroupStore, NewGroup
from orchestrator.store import Store

NOW = 1_700_000_000.0


@pytest.fixture
def groups(store: Store) -> GroupStore:
    return store.groups


async def test_round_trip_and_names(groups: GroupStore) -> None:
    """Every field comes back as written; a name taken in another case is refused."""
    shelf = await groups.create_group(NewGroup(name="Shelf A", serials=("s2", "s1", "ü-3"),
                                               description="top row"), created_at=NOW)
    assert (shelf.name, shelf.serials, shelf.description, shelf.created_at) == (
        "Shelf A", ("s2", "s1", "ü-3"), "top row", NOW)
    assert await groups.get_group(shelf.id) == shelf
    with pytest.raises(GroupExists, match="'Shelf A' exists already"):
        await groups.create_group(NewGroup(name="shelf a"), created_at=NOW)
    other = await groups.create_group(NewGroup(name="B"), created_at=NOW)
    assert await groups.list_groups() == [shelf, other]
    assert await groups.groups_named(["b", "SHELF A", "nope"]) == [shelf, other]
    assert await groups.groups_named([]) == []


async def test_update_and_delete(groups: GroupStore) -> None:
    a = await groups.create_group(NewGroup(name="a", serials=("s1",)), created_at=NOW)
    b = await groups.create_group(NewGroup(name="b"), created_at=NOW)
    renamed = await groups.update_group(
        a.id, lambda group: NewGroup(name="A2", serials=(*group.serials, "s2")))
    assert renamed == attrs.evolve(a, name="A2", serials=("s1", "s2"), description="")
    assert await groups.update_group(a.id, lambda group: NewGroup(name="a2")) is not None
    with pytest.raises(GroupExists):
        await groups.update_group(a.id, lambda group: NewGroup(name="B"))
    assert await groups.update_group(999, lambda group: NewGroup(name="x")) is None
    assert await groups.delete_group(b.id)
    assert not await groups.delete_group(b.id)
    assert [g.name for g in await groups.list_groups()] == ["a2"]
