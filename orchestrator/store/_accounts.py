"""The SQL store's `AccountStore`: its statements, rows, and methods, run on the lanes of
the task store it shares a database with.

Usernames are compared as `lower(username)`, which the unique index on
(platform, lower(username)) serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ..accounts import (
    Account,
    AccountExists,
    AccountFilter,
    AccountStatus,
    LoginState,
    NewAccount,
    Platform,
)
from ._sql import Cursor, Dialect, Lane

ACCOUNT_COLUMNS = ("id", "username", "email", "password", "platform", "packagename",
                   "device", "logined", "status", "tags", "created_at")
_FIELDS = ACCOUNT_COLUMNS[1:-1]
"""What a new account brings besides its creation time; what an update rewrites."""
_COLUMNS = ", ".join(ACCOUNT_COLUMNS)


@attrs.frozen
class AccountQueries:
    """Every fixed account statement, in one dialect."""

    insert: str
    get: str
    get_locked: str
    by_name: str
    by_names: str
    on_devices: str
    update: str
    delete: str

    @classmethod
    def for_dialect(cls, d: Dialect) -> AccountQueries:
        returning = f" RETURNING {_COLUMNS}"
        select = f"SELECT {_COLUMNS} FROM accounts"
        return cls(
            insert=d.sql(f"INSERT INTO accounts ({', '.join(_FIELDS)}, created_at)"
                         f" VALUES ({', '.join('?' * (len(_FIELDS) + 1))}){returning}"),
            get=d.sql(f"{select} WHERE id = ?"),
            get_locked=d.sql(f"{select} WHERE id = ?{d.lock_row}"),
            by_name=d.sql(f"{select} WHERE platform = ? AND lower(username) = lower(?)"),
            by_names=d.sql(f"{select} WHERE platform = ? AND lower(username) IN"
                           f" ({d.json_strings.format('?')})"),
            on_devices=d.sql(f"{select} WHERE platform = ? AND device IN"
                             f" ({d.json_strings.format('?')}) ORDER BY id"),
            update=d.sql(f"UPDATE accounts SET {', '.join(f'{c} = ?' for c in _FIELDS)}"
                         f" WHERE id = ?{returning}"),
            delete=d.sql("DELETE FROM accounts WHERE id = ? RETURNING id"),
        )


def select_accounts(d: Dialect, where: AccountFilter) -> tuple[str, str, list[Any]]:
    """The page query (its last two parameters: limit, offset), the count query, and the
    filter parameters they share."""
    terms = [(sql, value) for sql, value in (
        ("platform = ?", None if where.platform is None else where.platform.value),
        ("device = ?", where.device),
        ("logined = ?", None if where.logined is None else int(where.logined)),
        ("status = ?", None if where.status is None else int(where.status)),
        (f"? IN ({d.json_strings.format('tags')})", where.tag),
    ) if value is not None]
    clause = " AND ".join(sql for sql, _ in terms)
    clause = f" WHERE {clause}" if clause else ""
    page = f"SELECT {_COLUMNS} FROM accounts{clause} ORDER BY id LIMIT ? OFFSET ?"
    return d.sql(page), d.sql(f"SELECT count(*) FROM accounts{clause}"), [v for _, v in terms]


def _fields_row(new: NewAccount) -> list[Any]:
    """The `_FIELDS` values of `new`."""
    return [new.username, new.email, new.password, new.platform.value, new.packagename,
            new.device, int(new.logined), int(new.status), json.dumps(list(new.tags))]


def account_from_row(row: Sequence[Any]) -> Account:
    """An `Account` from a row of `ACCOUNT_COLUMNS`, in that order."""
    (id_, username, email, password, platform, packagename, device, logined, status, tags,
     created_at) = row
    return Account(id=int(id_), username=username, email=email, password=password,
                   platform=Platform(platform), packagename=packagename, device=device,
                   logined=LoginState(logined), status=AccountStatus(status),
                   tags=tuple(json.loads(tags)), created_at=float(created_at))


class SqlAccountStore:
    """The accounts, on the lanes of the task store they share a database with: its write
    lane is the database's one writer, so an account's write joins its group commits."""

    def __init__(self, dialect: Dialect, *, read: Lane, write: Lane) -> None:
        self._dialect = dialect
        self._read = read
        self._write = write
        self._q = AccountQueries.for_dialect(dialect)

    async def create_accounts(self, accounts: Sequence[NewAccount], *,
                              created_at: float) -> list[Account]:
        def create(cur: Cursor) -> list[Account]:
            taken = [(index, held) for index, new in enumerate(accounts)
                     if (held := self._holder(cur, new)) is not None]
            if taken:
                raise AccountExists(taken)
            created = []
            for new in accounts:
                cur.execute(self._q.insert, [*_fields_row(new), created_at])
                created.append(account_from_row(cur.fetchone()))
            return created

        return await self._write(create)

    async def get_account(self, account_id: int) -> Account | None:
        return await self._read(lambda cur: self._get(cur, account_id))

    async def list_accounts(self, where: AccountFilter, *, offset: int,
                            limit: int) -> tuple[list[Account], int]:
        page_sql, count_sql, params = select_accounts(self._dialect, where)

        def page(cur: Cursor) -> tuple[list[Account], int]:
            cur.execute(page_sql, [*params, limit, offset])
            accounts = [account_from_row(row) for row in cur.fetchall()]
            cur.execute(count_sql, params)
            return accounts, int(cur.fetchone()[0])

        if offset < 0 or limit < 0:
            raise ValueError(f"offset and limit must not be negative, not {offset}, {limit}")
        return await self._read(page)

    async def find_accounts(self, platform: Platform,
                            usernames: Sequence[str]) -> list[Account]:
        names = json.dumps([name.lower() for name in usernames])
        return await self._read(lambda cur: self._all(cur, self._q.by_names,
                                                      [platform.value, names]))

    async def accounts_on(self, platform: Platform, serials: Sequence[str]) -> list[Account]:
        return await self._read(lambda cur: self._all(cur, self._q.on_devices,
                                                      [platform.value, json.dumps(serials)]))

    async def update_account(self, account_id: int,
                             change: Callable[[Account], NewAccount]) -> Account | None:
        def update(cur: Cursor) -> Account | None:
            account = self._get(cur, account_id, lock=True)
            if account is None:
                return None
            new = change(account)
            held = self._holder(cur, new)
            if held is not None and held.id != account_id:
                raise AccountExists([(0, held)])
            cur.execute(self._q.update, [*_fields_row(new), account_id])
            return account_from_row(cur.fetchone())

        return await self._write(update)

    async def delete_account(self, account_id: int) -> bool:
        def delete(cur: Cursor) -> bool:
            cur.execute(self._q.delete, [account_id])
            return cur.fetchone() is not None

        return await self._write(delete)

    def _get(self, cur: Cursor, account_id: int, *, lock: bool = False) -> Account | None:
        cur.execute(self._q.get_locked if lock else self._q.get, [account_id])
        row = cur.fetchone()
        return None if row is None else account_from_row(row)

    def _holder(self, cur: Cursor, new: NewAccount) -> Account | None:
        """The stored account with `new`'s platform and username, if any."""
        cur.execute(self._q.by_name, [new.platform.value, new.username])
        row = cur.fetchone()
        return None if row is None else account_from_row(row)

    @staticmethod
    def _all(cur: Cursor, sql: str, params: Sequence[Any]) -> list[Account]:
        cur.execute(sql, params)
        return [account_from_row(row) for row in cur.fetchall()]
