"""Accounts as clients write them: one body (`POST`, `PUT /accounts`), or the rows of
an import, a JSON array or CSV text whose header names the fields.

Rules: a username is letters, digits, `_` and `.` (a leading `@` is dropped); an empty
`packagename` is the platform's own app; tags are trimmed, empty ones dropped,
repeats kept once; an empty `device` is none. In CSV, tags are separated by `|`, and a
field is at most 128 KiB (the csv module's limit, which is process-wide: left as it is).
What is sent is checked first as every body is (`_body`): JSON nesting, and text the
stores can keep, for a CSV row each of its fields.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import cattrs

from scripts import Mark, marked
from scripts.apps import load_app
from scripts.convert import problems

from ..accounts import Account, AccountStatus, LoginState, NewAccount, Platform
from ..converter import make_converter
from ._body import BadInput, check_value, parse_json

__all__ = ["AccountBody", "BadAccount", "RowError", "parse_account", "parse_import",
           "updated"]

_USERNAME = re.compile(r"[A-Za-z0-9._]{1,64}")
_JSON = make_converter()
_TEXT = make_converter(from_text=True)  # CSV cells are text: `logined` may be "1"
CSV_TAGS = "|"
_ENCODING = "utf-8-sig"  # UTF-8; a spreadsheet's byte order mark goes too


@attrs.frozen(kw_only=True)
class AccountBody:
    """The fields of one account on the wire (`password` goes in, never out)."""

    username: str
    email: str = ""
    password: str = attrs.field(default="", metadata=marked(Mark.SECRET))
    platform: Platform = Platform.TIKTOK
    packagename: str = ""
    device: str | None = None
    logined: LoginState = LoginState.NOT_LOGGED_IN
    status: AccountStatus = AccountStatus.ENABLED
    tags: list[str] = attrs.Factory(list)

    @classmethod
    def of(cls, account: Account) -> AccountBody:
        return cls(username=account.username, email=account.email, password=account.password,
                   platform=account.platform, packagename=account.packagename,
                   device=account.device, logined=account.logined, status=account.status,
                   tags=list(account.tags))

    def to_new(self) -> NewAccount:
        """The account, normalized as the module says.

        Raises:
            BadAccount: the username breaks the rule.
        """
        username = self.username.strip().removeprefix("@")
        if not _USERNAME.fullmatch(username):
            raise BadAccount([("$.username", f"expected 1-64 letters, digits, '_' or '.',"
                                             f" got {self.username!r}")])
        tags = dict.fromkeys(tag.strip() for tag in self.tags)
        return NewAccount(
            username=username, email=self.email.strip(), password=self.password,
            platform=self.platform,
            packagename=self.packagename.strip() or load_app(self.platform).package,
            device=(self.device or "").strip() or None, logined=self.logined,
            status=self.status, tags=tuple(tag for tag in tags if tag))


class BadAccount(ValueError):
    """An account body at fault: its `(path, problem)` pairs, paths like `$.username`."""

    def __init__(self, faults: Sequence[tuple[str, str]]) -> None:
        self.faults = list(faults)
        super().__init__("; ".join(f"{path}: {problem}" for path, problem in self.faults))


def parse_account(raw: object, converter: cattrs.Converter = _JSON) -> NewAccount:
    """One account from a JSON value (or a CSV row, with the text converter).

    Raises:
        BadAccount: not an object, or fields at fault (each named).
    """
    if not isinstance(raw, Mapping):
        raise BadAccount([("$", "expected an object")])
    try:
        body = converter.structure(raw, AccountBody)
    except (cattrs.BaseValidationError, ValueError) as exc:
        raise BadAccount(problems(exc)) from exc
    return body.to_new()


def updated(account: Account, changes: Mapping[str, Any]) -> NewAccount:
    """`account` with the fields in `changes` replaced (a `PUT` body); a new platform
    without a `packagename` gets its own app's.

    Raises:
        BadAccount: as `parse_account`.
    """
    base = _JSON.unstructure(AccountBody.of(account))
    if "platform" in changes and "packagename" not in changes:
        base["packagename"] = ""
    return parse_account({**base, **changes})


@attrs.frozen(kw_only=True)
class RowError:
    """One fault of an import: its line (CSV: of the text; JSON: the array's item, from 1),
    the field (None: the whole row), and what is wrong."""

    line: int
    field: str | None
    message: str


def _field(path: str) -> str | None:
    return path.removeprefix("$").removeprefix(".") or None


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    """`(line, cells)` of each data row; empty cells are absent, `tags` a list.

    Raises:
        BadAccount: a line the csv module cannot read (a field over its limit).
    """
    reader = csv.reader(io.StringIO(text))
    rows = []
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            row: dict[str, Any] = {name: cell for name, cell
                                   in zip(header, cells, strict=False) if cell.strip()}
            if "tags" in row:
                row["tags"] = row["tags"].split(CSV_TAGS)
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise BadAccount([("$", f"line {reader.line_num}: {exc}")]) from None
    return rows


def _json_rows(body: bytes) -> list[tuple[int, object]]:
    try:
        items = parse_json(body, encoding=_ENCODING)
    except BadInput as exc:
        raise BadAccount([(exc.path or "$", exc.problem)]) from None
    if not isinstance(items, list):
        raise BadAccount([("$", "expected a JSON array of accounts (or text/csv)")])
    return list(enumerate(items, start=1))


def parse_import(body: bytes, *, csv_text: bool) -> tuple[list[tuple[int, NewAccount]],
                                                          list[RowError]]:
    """The accounts of an import body (UTF-8) with their lines, and every fault found: a
    bad field, or a username the body already had on that platform.

    Raises:
        BadAccount: the body as a whole is unreadable (not UTF-8, not JSON, not an array).
    """
    if csv_text:
        try:
            rows: list[tuple[int, Any]] = _csv_rows(body.decode(_ENCODING))
        except UnicodeDecodeError as exc:
            raise BadAccount([("$", f"the body is not UTF-8 text: {exc}")]) from None
    else:
        rows = _json_rows(body)
    converter = _TEXT if csv_text else _JSON
    accounts: list[tuple[int, NewAccount]] = []
    errors: list[RowError] = []
    seen: dict[tuple[Platform, str], int] = {}
    for line, raw in rows:
        try:
            check_value(raw)  # a CSV row's cells (a JSON body was checked whole)
            new = parse_account(raw, converter)
        except BadInput as exc:
            errors.append(RowError(line=line, field=_field(exc.path or "$"),
                                   message=exc.problem))
            continue
        except BadAccount as exc:
            errors += [RowError(line=line, field=_field(path), message=problem)
                       for path, problem in exc.faults]
            continue
        key = (new.platform, new.username.lower())
        if key in seen:
            errors.append(RowError(line=line, field="username", message=(
                f"@{new.username} on {new.platform} is also on line {seen[key]}")))
            continue
        seen[key] = line
        accounts.append((line, new))
    return accounts, errors
