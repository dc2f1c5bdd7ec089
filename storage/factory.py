"""`open_database` and `open_reader`: the backend the database setting names, behind
`storage.interfaces.Database` (writers) and `storage.interfaces.FeedReader` (the read side).

    newsdedup.db, /var/lib/newsdedup/news.db     an SQLite file (the embedded default)
    postgresql://USER@HOST:PORT/DB               a PostgreSQL database (several workers)
"""

from __future__ import annotations

from typing import Protocol, Self

from storage.interfaces import Database, FeedReader

POSTGRES_URL_PREFIXES = ("postgresql://", "postgres://")


def is_postgres_url(db: str) -> bool:
    """Whether a database setting names a PostgreSQL server (anything else is an SQLite file)."""
    return db.startswith(POSTGRES_URL_PREFIXES)


class OpenDatabase(Database, Protocol):
    """A `Database` the caller owns: `with open_database(...) as db:` closes it at the end."""

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...


def open_database(db: str, *, must_exist: bool = False) -> OpenDatabase:
    """Open (and migrate) the database the setting `db` names. `must_exist`: an SQLite file that is
    not there yet is an error instead of a new database (a PostgreSQL database always exists
    before it is opened: `createdb`)."""
    if is_postgres_url(db):
        # Imported here: psycopg is needed only by those who use PostgreSQL.
        from storage.postgres import PostgresDatabase

        return PostgresDatabase(db)
    from storage.store import Store

    return Store(db, must_exist=must_exist)


def open_reader(db: str) -> FeedReader:
    """A read-only reader of the existing database the setting `db` names; never creates or
    migrates one. Use it as `with open_reader(db) as reader:` (it closes at the end), one per
    thread. An SQLite file that is not there, or a PostgreSQL database no worker has set up
    yet, is a StorageUnavailable that says so."""
    if is_postgres_url(db):
        from storage.postgres.reader import connect_reader

        return connect_reader(db)
    from storage.reader import SqliteReader, connect

    return SqliteReader(connect(db))
