"""The account domain: the app accounts logged in on the phones, as the store keeps them.

A username is unique per platform, compared case-insensitively, and kept without `@`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

__all__ = [
    "Account",
    "AccountExists",
    "AccountFilter",
    "AccountStatus",
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
