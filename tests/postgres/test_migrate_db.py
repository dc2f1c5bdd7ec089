"""`newsdedup migrate-db --to postgresql://...`: an SQLite database's rows, ids kept, in an empty
PostgreSQL database; the workers then go on from where the SQLite database was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_cli

TABLES = ("stories", "documents", "revisions", "changes", "signatures", "anchor_df", "story_links", "sources",
          "ingest_errors")


def rows(sqlite_db: Path, url: str, table: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    lite = sqlite3.connect(sqlite_db)
    columns = [r[1] for r in lite.execute(f"PRAGMA table_info({table})")]
    query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {columns[0]}, {columns[1]}"
    with psycopg.connect(url) as pg:
        return sorted(lite.execute(query).fetchall()), sorted(tuple(r) for r in pg.execute(query).fetchall())


@pytest.fixture
def replayed(seeds_dir: Path, db_path: Path) -> Path:
    assert run_cli("replay", seeds_dir, "--db", db_path).exit_code == 0
    assert run_cli("sources", "add", "https://example.org/feed.xml", "--db", db_path).exit_code == 0
    return db_path


def test_every_row_is_copied_with_its_ids(replayed: Path, postgres_url: str) -> None:
    result = run_cli("migrate-db", "--db", replayed, "--to", postgres_url)
    assert result.exit_code == 0, result.output
    assert "5 documents" in result.output
    for table in TABLES:
        lite, pg = rows(replayed, postgres_url, table)
        assert lite == pg, table


def test_workers_go_on_from_the_copy(replayed: Path, postgres_url: str, seeds_dir: Path, tmp_path: Path) -> None:
    assert run_cli("migrate-db", "--db", replayed, "--to", postgres_url).exit_code == 0
    again = run_cli("replay", seeds_dir, "--db", postgres_url)
    assert again.exit_code == 0 and "0 new stories" in again.output, again.output
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "new.txt").write_text("A new story\n\nSomething else happened today in a town by the sea.\n")
    assert run_cli("replay", extra, "--db", postgres_url).exit_code == 0
    with psycopg.connect(postgres_url) as pg:
        ids = [r[0] for r in pg.execute("SELECT id FROM documents ORDER BY id")]
        seqs = [r[0] for r in pg.execute("SELECT seq FROM changes ORDER BY seq")]
    assert ids == list(range(1, 7)) and seqs == list(range(1, 7))  # the identities continue after the copy


def test_a_database_that_is_not_empty_is_refused(replayed: Path, postgres_url: str) -> None:
    assert run_cli("migrate-db", "--db", replayed, "--to", postgres_url).exit_code == 0
    second = run_cli("migrate-db", "--db", replayed, "--to", postgres_url)
    assert second.exit_code == 1 and "not empty" in second.output and "Traceback" not in second.output
