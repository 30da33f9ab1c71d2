"""Durable state: the `TaskStore` of `actors`, the `AccountStore` of
`orchestrator.accounts`, and the API's kept answers (`AnswerStore`), on SQLite or
PostgreSQL; and the task reads alone (`TaskReads`), for a process beside the one that
writes them."""

from ._hosts import HostNameLost, HostNameTaken, machine_name
from ._idempotency import AnswerStore, KeptAnswer
from ._news import CHANNEL, News, NewsKind
from ._open import DATABASE_ERRORS, open_reads, open_store
from ._postgres import open_postgres_reads, open_postgres_store
from ._schema import SchemaTooNew
from ._sqlite import open_sqlite_reads, open_sqlite_store
from ._store import Store

__all__ = [
    "CHANNEL",
    "DATABASE_ERRORS",
    "AnswerStore",
    "HostNameLost",
    "HostNameTaken",
    "KeptAnswer",
    "News",
    "NewsKind",
    "SchemaTooNew",
    "Store",
    "machine_name",
    "open_postgres_reads",
    "open_postgres_store",
    "open_reads",
    "open_sqlite_reads",
    "open_sqlite_store",
    "open_store",
]
