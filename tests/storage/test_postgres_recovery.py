"""A long-running worker outlives a dropped connection, and loads a large window a batch at a time."""

from __future__ import annotations

import psycopg
import pytest

from storage import StorageUnavailable
from storage.postgres import PostgresDatabase
from tests.storage.test_store import add, new_doc


def drop_connections(url: str) -> None:
    """What a server restart or failover does to every client of the database."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def test_a_dropped_connection_fails_one_statement_then_reconnects(postgres_url: str) -> None:
    db = PostgresDatabase(postgres_url)
    with db.transaction():
        add(db, new_doc("a"), None, "s-a")
    drop_connections(postgres_url)
    with pytest.raises(StorageUnavailable, match="is PostgreSQL running at"):
        db.documents.counts()
    assert db.documents.counts().documents == 1  # connected again
    with db.transaction():
        add(db, new_doc("b", "h2"), None, "s-b")
    assert db.documents.counts().documents == 2
    db.close()


def test_a_connection_dropped_inside_a_write_loses_that_write_only(postgres_url: str) -> None:
    db = PostgresDatabase(postgres_url)
    with pytest.raises(StorageUnavailable), db.transaction():
        add(db, new_doc("a"), None, "s-a")
        drop_connections(postgres_url)
        add(db, new_doc("b", "h2"), None, "s-b")  # must not land outside the transaction
    assert db.documents.counts().documents == 0
    db.close()


def test_the_window_is_read_a_batch_at_a_time_inside_a_snapshot(postgres_url: str) -> None:
    db = PostgresDatabase(postgres_url)
    with db.transaction():
        for i in range(5):
            add(db, new_doc(f"k{i}", f"h{i}"), None, f"s-{i}")
    with db.snapshot():
        signatures = list(db.documents.signatures_since(0.0))
        again = list(db.documents.signatures_since(0.0))  # a second cursor on the same connection
    assert [s.document_id for s in signatures] == [s.document_id for s in again] == [1, 2, 3, 4, 5]
    db.close()
