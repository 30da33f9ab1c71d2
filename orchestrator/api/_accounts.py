"""The `/accounts` routes: list (as the product), one, create, update, delete, import.

Passwords go in and are never answered. `device_online` is whether the scheduler has
the bound phone online now. An import writes every row or none.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs
from quart import Blueprint, Response, request

from ..accounts import Account, AccountExists, AccountFilter, AccountStatus, LoginState, Platform
from ..errors import InvalidParams, NotFound, Unavailable
from ._account_input import AccountBody, BadAccount, RowError, parse_import, updated
from ._facade import Facade
from ._idempotency import Idempotency
from ._openapi import Doc
from ._render import local_time
from ._wire import Paging, envelope, read_body, read_object, read_query

__all__ = ["AccountView", "account_routes"]


@attrs.frozen(kw_only=True)
class AccountView:
    """The API's account object (`created_at` is ours)."""

    id: int
    username: str
    email: str
    platform: str
    packagename: str
    device: str | None
    device_online: bool
    logined: int
    logined_text: str
    status: int
    status_text: str
    tags: Sequence[str]
    created_at: str

    @classmethod
    def of(cls, account: Account, online: Collection[str]) -> AccountView:
        return cls(id=account.id, username=account.username, email=account.email,
                   platform=account.platform.value, packagename=account.packagename,
                   device=account.device, device_online=account.device in online,
                   logined=int(account.logined), logined_text=account.logined.text,
                   status=int(account.status), status_text=account.status.text,
                   tags=account.tags, created_at=local_time(account.created_at))


@attrs.frozen(kw_only=True)
class AccountPage:
    accounts: Sequence[AccountView]
    total: int
    page: int
    page_size: int


@attrs.frozen(kw_only=True)
class AccountsDeleted:
    deleted_count: int
    account_ids: Sequence[int]


@attrs.frozen(kw_only=True)
class Imported:
    imported_count: int
    account_ids: Sequence[int]


@attrs.frozen(kw_only=True)
class AccountQuery(Paging):
    """The query of `GET /accounts`."""

    platform: Platform | None = None
    device: str | None = None
    logined: LoginState | None = None
    status: AccountStatus | None = None
    tag: str | None = None


def _exists(exc: AccountExists) -> InvalidParams:
    return InvalidParams(f"$.username: {exc}")


def account_routes(facade: Facade, idempotent: Idempotency) -> Blueprint:
    """The `/accounts` routes, served by `facade`; creating and importing take an
    `Idempotency-Key`."""
    routes = Blueprint("accounts", __name__)

    async def online() -> set[str]:
        """The phones of the farm online. Asked before a change is made, never after: the
        scheduler may be too busy to answer (50301), and then nothing must have been done."""
        return {device.serial for _, device in await facade.farm_devices()
                if device.state == "device"}

    def view(account: Account | None, account_id: int, online: set[str]) -> Response:
        if account is None:
            raise NotFound(f"account {account_id} not found")
        return envelope(AccountView.of(account, online))

    @routes.get("/accounts")
    @Doc(summary="List accounts (filtered, paged)", query=AccountQuery,
         answer=AccountPage, errors=(Unavailable,))
    async def list_accounts() -> Response:
        query = read_query(AccountQuery)
        where = AccountFilter(platform=query.platform, device=query.device,
                              logined=query.logined, status=query.status, tag=query.tag)
        serials = await online()
        accounts, total = await facade.store.accounts.list_accounts(
            where, offset=query.offset, limit=query.page_size)
        return envelope(AccountPage(accounts=[AccountView.of(a, serials) for a in accounts],
                                    total=total, page=query.page, page_size=query.page_size))

    @routes.get("/accounts/<id(account):account_id>")
    @Doc(summary="One account", answer=AccountView, errors=(Unavailable,))
    async def get_account(account_id: int) -> Response:
        serials = await online()
        return view(await facade.store.accounts.get_account(account_id), account_id, serials)

    @routes.post("/accounts")
    @Doc(summary="Create an account", body=AccountBody, answer=AccountView,
         errors=(Unavailable,))
    @idempotent
    async def create_account() -> Response:
        body = await read_body(AccountBody)
        serials = await online()
        try:
            [account] = await facade.store.accounts.create_accounts(
                [body.to_new()], created_at=facade.clock.now())
        except BadAccount as exc:
            raise InvalidParams(str(exc)) from exc
        except AccountExists as exc:
            raise _exists(exc) from exc
        return view(account, account.id, serials)

    @routes.put("/accounts/<id(account):account_id>")
    @Doc(summary="Change some of an account's fields", body=AccountBody, partial=True,
         answer=AccountView, errors=(Unavailable,))
    async def update_account(account_id: int) -> Response:
        changes = await read_object()
        serials = await online()
        try:
            account = await facade.store.accounts.update_account(
                account_id, lambda account: updated(account, changes))
        except BadAccount as exc:
            raise InvalidParams(str(exc)) from exc
        except AccountExists as exc:
            raise _exists(exc) from exc
        return view(account, account_id, serials)

    @routes.delete("/accounts/<id(account):account_id>")
    @Doc(summary="Delete an account", answer=AccountsDeleted)
    async def delete_account(account_id: int) -> Response:
        if not await facade.store.accounts.delete_account(account_id):
            raise NotFound(f"account {account_id} not found")
        return envelope(AccountsDeleted(deleted_count=1, account_ids=[account_id]))

    @routes.post("/accounts/import")
    @Doc(summary="Import accounts, all or none: a JSON array, or CSV with a header",
         body=list[AccountBody], csv=True, answer=Imported)
    @idempotent
    async def import_accounts() -> Response:
        body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
        try:
            rows, errors = parse_import(body, csv_text=request.mimetype == "text/csv")
        except BadAccount as exc:
            raise InvalidParams(str(exc)) from exc
        if not rows and not errors:
            raise InvalidParams("$: the import has no accounts")
        if not errors:
            try:
                created = await facade.store.accounts.create_accounts(
                    [new for _, new in rows], created_at=facade.clock.now())
            except AccountExists as exc:
                errors = [RowError(line=rows[index][0], field="username",
                                   message=f"@{held.username} already exists on"
                                           f" {held.platform} (account {held.id})")
                          for index, held in exc.taken]
            else:
                return envelope(Imported(imported_count=len(created),
                                         account_ids=[a.id for a in created]))
        first = errors[0]
        raise InvalidParams(
            f"{len(errors)} problem(s), nothing imported; line {first.line}"
            f"{f' {first.field}' if first.field else ''}: {first.message}",
            data={"errors": errors})

    return routes
