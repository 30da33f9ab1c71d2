"""Durable task state: the `TaskStore` of `actors`, on SQLite (embedded) or PostgreSQL."""

from ._postgres import open_postgres_store
from ._schema import SchemaTooNew
from ._sqlite import open_sqlite_store

__all__ = ["SchemaTooNew", "open_postgres_store", "open_sqlite_store"]
