"""The PostgreSQL backend: SQLite's schema, its own migrations, storage's errors, one writer at a time.

Against a real server of the tests' own (tests/postgres/server.py); skipped without PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from storage import SchemaMismatch, StorageLocked, StorageUnavailable, open_database
from storage.postgres import PostgresDatabase
from storage.postgres.migrations import SCHEMA_VERSION
from tests.postgres.server import Server
from tests.storage.test_store import add, new_doc

# SQLite's full-text index has no PostgreSQL counterpart yet (the reader side is SQLite-only).
SQLITE_ONLY_TABLES = {"sqlite_sequence"}


def test_the_tables_and_columns_are_sqlites(postgres_url: str, tmp_path: Path) -> None:
    open_database(str(tmp_path / "test.db")).close()
    lite = sqlite3.connect(tmp_path / "test.db")
    sqlite_tables = {name for (name,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                     if not name.startswith("documents_fts")} - SQLITE_ONLY_TABLES
    with PostgresDatabase(postgres_url) as db:
        pg_columns: dict[str, list[str]] = {}
        for table, column in db.conn.all("SELECT table_name, column_name FROM information_schema.columns "
                                         "WHERE table_schema = current_schema() ORDER BY table_name, column_name"):
            pg_columns.setdefault(table, []).append(column)
    assert set(pg_columns) == sqlite_tables
    for table in sqlite_tables:
        assert sorted(r[1] for r in lite.execute(f"PRAGMA table_info({table})")) == pg_columns[table], table


def test_a_database_is_migrated_once_and_reopened_as_it_is(postgres_url: str) -> None:
    with open_database(postgres_url) as db:
        assert db.meta("schema_version") == str(SCHEMA_VERSION)
        db.set_meta("fingerprint_settings", "x")
    with open_database(postgres_url) as db:
        assert db.meta("fingerprint_settings") == "x"


def test_workers_starting_together_migrate_it_once(postgres_url: str) -> None:
    failures: list[BaseException] = []

    def open_one() -> None:
        try:
            open_database(postgres_url).close()
        except BaseException as exc:  # noqa: B036 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []


def test_a_database_from_a_newer_release_is_refused(postgres_url: str) -> None:
    with PostgresDatabase(postgres_url) as db:
        db.set_meta("schema_version", str(SCHEMA_VERSION + 5))
    with pytest.raises(SchemaMismatch, match=f"version {SCHEMA_VERSION + 5}.*up to {SCHEMA_VERSION}"):
        open_database(postgres_url)


def test_a_database_of_other_tables_is_refused(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as other:
        other.execute("CREATE TABLE notes (text text)")
    with pytest.raises(SchemaMismatch, match="not a newsdedup database"):
        open_database(postgres_url)


def test_no_server_is_one_line_that_says_where_it_looked(postgres_server: Server) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StorageUnavailable, match=f"is PostgreSQL running at 127.0.0.1:{port}") as raised:
        open_database(f"postgresql://postgres:secret@127.0.0.1:{port}/news")
    assert "\n" not in raised.value.message and "secret" not in raised.value.message


def test_a_missing_database_is_unavailable(postgres_server: Server) -> None:
    with pytest.raises(StorageUnavailable, match="does not exist"):
        open_database(postgres_server.url("no_such_database"))


def test_a_write_waits_for_another_workers_write_and_sees_it(postgres_url: str) -> None:
    first, second = PostgresDatabase(postgres_url), PostgresDatabase(postgres_url)
    inside = threading.Event()
    seen: list[int] = []

    def second_writer() -> None:
        inside.wait(10)
        with second.transaction():  # waits for the first's commit
            seen.append(len(second.documents.changes_since(0)))
            add(second, new_doc("b", "h2"), None, "s-b")

    thread = threading.Thread(target=second_writer)
    thread.start()
    with first.transaction():
        inside.set()
        time.sleep(0.5)  # the second writer is waiting for the lock now
        add(first, new_doc("a"), None, "s-a")
    thread.join(timeout=30)
    assert seen == [1]
    assert [seq for seq, _, _ in first.documents.changes_since(0)] == sorted(
        seq for seq, _, _ in first.documents.changes_since(0))
    assert first.documents.counts().changes == 2
    first.close()
    second.close()


def test_a_write_lock_held_too_long_is_storage_locked(postgres_url: str) -> None:
    holder, waiter = PostgresDatabase(postgres_url), PostgresDatabase(postgres_url)
    waiter.conn.execute("SET lock_timeout = '200ms'")
    with holder.transaction():
        with pytest.raises(StorageLocked, match="another worker held the write lock"), waiter.transaction():
            pass
    with waiter.transaction():  # and the next write goes through
        add(waiter, new_doc("a"), None, "s-a")
    holder.close()
    waiter.close()


def test_the_password_is_not_in_the_path(postgres_server: Server) -> None:
    url = postgres_server.url().replace("postgres@", "postgres:hunter2@")
    with open_database(url) as db:
        assert "hunter2" not in db.path and db.path == postgres_server.url()
