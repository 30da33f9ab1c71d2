"""The account domain: the app accounts logged in on the phones, and the store that keeps
them. The API's account routes and task creation use it; no actor does.

A username is unique per platform, compared case-insensitively, and kept without `@`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs

__all__ = [
    "Account",
    "AccountExists",
    "AccountFilter",
    "AccountStatus",
    "AccountStore",
    "LoginState",
    "NewAccount",
    "Platform",
]


class Platform(enum.StrEnum):
    TIKTOK = "tiktok"
    INSTAGRAM = "instagram"


class AccountStatus(enum.IntEnum):
    ENABLED = 0
    DISABLED = 1

    @property
    def text(self) -> str:
        """The API's `status_text`."""
        return self.name.lower()


class LoginState(enum.IntEnum):
    NOT_LOGGED_IN = 0
    LOGGED_IN = 1

    @property
    def text(self) -> str:
        """The API's `logined_text`."""
        return self.name.lower().replace("_", " ")


@attrs.frozen(kw_only=True)
class NewAccount:
    """An account before the store gives it an id (also what an update writes)."""

    username: str
    email: str = ""
    password: str = ""
    platform: Platform = Platform.TIKTOK
    packagename: str
    device: str | None = None
    logined: LoginState = LoginState.NOT_LOGGED_IN
    status: AccountStatus = AccountStatus.ENABLED
    tags: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Account(NewAccount):
    """A stored account. `password` is kept for the phones, never shown."""

    id: int
    created_at: float


@attrs.frozen(kw_only=True)
class AccountFilter:
    """The list filters of `GET /accounts`; None means any."""

    platform: Platform | None = None
    device: str | None = None
    logined: LoginState | None = None
    status: AccountStatus | None = None
    tag: str | None = None


class AccountExists(ValueError):
    """Usernames already taken on their platform: `taken` pairs the index of each new
    account at fault (in the batch written) with the stored account holding its name."""

    def __init__(self, taken: Sequence[tuple[int, Account]]) -> None:
        self.taken = list(taken)
        super().__init__("; ".join(f"@{held.username} already exists on {held.platform}"
                                   f" (account {held.id})" for _, held in self.taken))


class AccountStore(Protocol):
    """Durable accounts. Every method is one transaction; all run off the trio thread.

    Usernames match case-insensitively within a platform.
    """

    async def create_accounts(self, accounts: Sequence[NewAccount], *,
                              created_at: float) -> list[Account]:
        """Insert all of `accounts` (all or none), in order.

        Raises:
            AccountExists: names already stored (the batch itself must not repeat one).
        """

    async def get_account(self, account_id: int) -> Account | None: ...

    async def list_accounts(self, where: AccountFilter, *, offset: int,
                            limit: int) -> tuple[list[Account], int]:
        """One page of accounts matching `where`, oldest first, and how many match in all."""

    async def find_accounts(self, platform: Platform,
                            usernames: Sequence[str]) -> list[Account]:
        """The stored accounts among `usernames` on `platform`, in no particular order."""

    async def accounts_on(self, platform: Platform, serials: Sequence[str]) -> list[Account]:
        """The accounts of `platform` bound to any of `serials`, oldest first."""

    async def update_account(self, account_id: int,
                             change: Callable[[Account], NewAccount]) -> Account | None:
        """Replace the account's fields with `change(account)`, read and written in one
        transaction (`change` runs on the store's thread; what it raises, this raises).
        None if there is no such account.

        Raises:
            AccountExists: the new name is already another account's.
        """

    async def delete_account(self, account_id: int) -> bool:
        """Delete the account; False if there was none."""
