"""The front of a PostgreSQL database: one connection, its transactions and its schema.

Several workers (processes, machines) may open one database. Every write transaction takes
one advisory lock (`WRITE_LOCK`) as its first statement and holds it until it commits, so the
match-and-write steps of all workers run one at a time, each seeing every change committed
before it: the stories are those one writer would find. Reads (`snapshot()`, lookups outside a
transaction) do not take it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from storage.postgres.connection import PgConnection, connect, redacted
from storage.postgres.documents import PgDocuments
from storage.postgres.ingest_errors import PgIngestErrors
from storage.postgres.migrations import WRITE_LOCK, migrate
from storage.postgres.sources import PgSources


class PostgresDatabase:
    """All reads and writes of a newsdedup database on a PostgreSQL server, by table group."""

    def __init__(self, url: str) -> None:
        self.path = redacted(url)
        raw = connect(url)
        self.conn = PgConnection(raw, self.path, url)
        try:
            migrate(self.conn)
        except BaseException:
            raw.close()
            raise
        self.documents = PgDocuments(self.conn)
        self.sources = PgSources(self.conn)
        self.errors = PgIngestErrors(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgresDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write, holding the workers' write lock from its first statement to its commit."""
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One consistent read of several queries (REPEATABLE READ); writers are not blocked."""
        if self.conn.in_transaction:  # already inside one: its view is the snapshot
            yield
            return
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    # -- meta

    def meta(self, key: str) -> str | None:
        row = self.conn.one("SELECT value FROM meta WHERE key = %s", (key,))
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (%s, %s) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
