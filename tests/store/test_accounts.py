"""The account store, on both backends: create (all or none), names, filters, update, delete."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orchestrator.accounts import (
    AccountExists,
    AccountFilter,
    AccountStatus,
    AccountStore,
    LoginState,
    NewAccount,
    Platform,
)
from orchestrator.store import Store

NOW = 1_700_000_000.0


@pytest.fixture
def accounts(store: Store) -> AccountStore:
    """The accounts of the store under test, on either backend."""
    return store.accounts


def new(username: str = "alice", **changes: Any) -> NewAccount:
    return attrs.evolve(NewAccount(username=username, packagename="com.zhiliaoapp.musically"),
                        **changes)


class TestCreate:
    async def test_round_trip(self, accounts: AccountStore) -> None:
        """Every field comes back as written, ids increase in order."""
        first, second = await accounts.create_accounts([
            new("alice", email="a@x.io", password="pw", device="sim-1",
                logined=LoginState.LOGGED_IN, status=AccountStatus.DISABLED, tags=("us", "ü")),
            new("Bob", platform=Platform.INSTAGRAM, packagename="com.instagram.clone")],
            created_at=NOW)
        assert second.id > first.id
        assert await accounts.get_account(first.id) == first
        assert (first.username, first.password, first.device, first.tags) == (
            "alice", "pw", "sim-1", ("us", "ü"))
        assert (first.logined, first.status, first.created_at) == (
            LoginState.LOGGED_IN, AccountStatus.DISABLED, NOW)
        assert await accounts.get_account(second.id + 100) is None

    async def test_a_taken_name_writes_nothing(self, accounts: AccountStore) -> None:
        """A name taken on the platform (any case) fails the whole batch, naming its index."""
        [held] = await accounts.create_accounts([new("Alice")], created_at=NOW)
        with pytest.raises(AccountExists) as caught:
            await accounts.create_accounts([new("carol"), new("ALICE")], created_at=NOW)
        assert caught.value.taken == [(1, held)]
        _, total = await accounts.list_accounts(AccountFilter(), offset=0, limit=10)
        assert total == 1
        # the same name on the other platform is another account
        await accounts.create_accounts([new("alice", platform=Platform.INSTAGRAM)], created_at=NOW)


class TestRead:
    async def test_filters_and_pages(self, accounts: AccountStore) -> None:
        """Each filter alone, the tag among several, and a page with the total."""
        await accounts.create_accounts([
            new("a", device="p1", tags=("us", "warm")),
            new("b", device="p1", logined=LoginState.LOGGED_IN),
            new("c", device="p2", status=AccountStatus.DISABLED, tags=("warm",)),
            new("d", platform=Platform.INSTAGRAM, packagename="x")], created_at=NOW)

        async def names(**where: Any) -> list[str]:
            found, total = await accounts.list_accounts(AccountFilter(**where), offset=0, limit=9)
            assert total == len(found)
            return [a.username for a in found]

        assert await names() == ["a", "b", "c", "d"]
        assert await names(platform=Platform.INSTAGRAM) == ["d"]
        assert await names(device="p1") == ["a", "b"]
        assert await names(logined=LoginState.LOGGED_IN) == ["b"]
        assert await names(status=AccountStatus.DISABLED) == ["c"]
        assert await names(tag="warm") == ["a", "c"]
        assert await names(tag="war") == []
        page, total = await accounts.list_accounts(AccountFilter(), offset=1, limit=2)
        assert ([a.username for a in page], total) == (["b", "c"], 4)

    async def test_lookups_by_name_and_device(self, accounts: AccountStore) -> None:
        """Names match case-insensitively on one platform; bound accounts come oldest first."""
        await accounts.create_accounts([new("Alice", device="p1"), new("bob", device="p2"),
                                        new("carl", device="p1"),
                                        new("alice", platform=Platform.INSTAGRAM, device="p1")],
                                       created_at=NOW)
        found = await accounts.find_accounts(Platform.TIKTOK, ["ALICE", "nobody", "bob"])
        assert sorted(a.username for a in found) == ["Alice", "bob"]
        on = await accounts.accounts_on(Platform.TIKTOK, ["p1", "p9"])
        assert [a.username for a in on] == ["Alice", "carl"]


class TestChange:
    async def test_update(self, accounts: AccountStore) -> None:
        """`change` sees the stored account; the result is written and returned."""
        [alice, bob] = await accounts.create_accounts([new("alice"), new("bob")], created_at=NOW)
        changed = await accounts.update_account(
            alice.id, lambda a: attrs.evolve(new(a.username), device="p7", tags=("x",)))
        assert changed is not None
        assert (changed.device, changed.tags, changed.created_at) == ("p7", ("x",), NOW)
        assert await accounts.get_account(alice.id) == changed
        # renaming to its own name in another case is fine, to another's is not
        await accounts.update_account(alice.id, lambda a: new("ALICE"))
        with pytest.raises(AccountExists):
            await accounts.update_account(alice.id, lambda a: new("Bob"))
        assert await accounts.get_account(bob.id) == bob
        assert await accounts.update_account(bob.id + 100, lambda a: new("zed")) is None

    async def test_a_failing_change_writes_nothing(self, accounts: AccountStore) -> None:
        [alice] = await accounts.create_accounts([new("alice")], created_at=NOW)

        def refuse(_: object) -> NewAccount:
            raise ValueError("no")

        with pytest.raises(ValueError, match="no"):
            await accounts.update_account(alice.id, refuse)
        assert await accounts.get_account(alice.id) == alice

    async def test_delete(self, accounts: AccountStore) -> None:
        [alice] = await accounts.create_accounts([new("alice")], created_at=NOW)
        assert await accounts.delete_account(alice.id)
        assert not await accounts.delete_account(alice.id)
        assert await accounts.get_account(alice.id) is None
