"""Durable state: the `TaskStore` of `actors` and the `AccountStore` of
`orchestrator.accounts`, on SQLite or PostgreSQL."""

from ._open import DATABASE_ERRORS, open_store
from ._postgres import open_postgres_store
from ._schema import SchemaTooNew
from ._sqlite import open_sqlite_store
from ._store import Store

__all__ = [
    "DATABASE_ERRORS",
    "SchemaTooNew",
    "Store",
    "open_postgres_store",
    "open_sqlite_store",
    "open_store",
]
