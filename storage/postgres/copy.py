"""Copy an SQLite database's rows into an empty PostgreSQL database, in one transaction
(`newsdedup migrate-db --to postgresql://...`).

Both are migrated to their newest schema first, so every column SQLite has is a column of
PostgreSQL's (but SQLite's full-text index: PostgreSQL's trigram indexes on `documents` are
filled as the rows go in).
Ids are kept, so story ids, change sequence numbers and the feeds' entry ids stay what they
were; the identities then continue after the largest copied id.
"""

from __future__ import annotations

from storage.errors import StorageError
from storage.postgres.database import PostgresDatabase
from storage.postgres.migrations import WRITE_LOCK
from storage.store import Store

# In an order the foreign keys accept (documents -> stories is checked at commit).
TABLES = ("stories", "documents", "revisions", "changes", "signatures", "anchor_df", "story_links",
          "sources", "fetch_state", "frontier", "ingest_errors")
# Tables whose ids PostgreSQL generates: after the copy, it continues after the largest.
IDENTITIES = {"documents": "id", "changes": "seq", "sources": "id", "ingest_errors": "id"}
# Meta keys the target keeps its own of: its schema version belongs to its own migrations.
TARGET_META = frozenset({"schema_version"})


def copy_sqlite_to_postgres(sqlite_path: str, url: str) -> dict[str, int]:
    """Copy every row of the SQLite database at `sqlite_path` into the empty PostgreSQL database at
    `url`; the rows copied per table. Nothing is written unless everything is."""
    with Store(sqlite_path, must_exist=True) as source, PostgresDatabase(url) as target:
        copied: dict[str, int] = {}
        with source.snapshot(), target.conn.transaction():
            target.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))  # no worker writes meanwhile
            _refuse_unless_empty(target)
            for table in TABLES:
                columns = _shared_columns(source, target, table)
                copied[table] = _copy_table(source, target, table, columns)
            for key, value in source.conn.all("SELECT key, value FROM meta"):
                if key not in TARGET_META:
                    target.set_meta(str(key), str(value))
            for table, column in IDENTITIES.items():
                target.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                                    f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)")
            for table in TABLES:  # what was read is what was written
                stored = int(target.conn.one(f"SELECT count(*) FROM {table}")[0])
                if stored != copied[table]:
                    raise StorageError(f"{target.path}: {table} has {stored} rows after copying {copied[table]}; "
                                       "nothing was kept")
        return copied


def _refuse_unless_empty(target: PostgresDatabase) -> None:
    for table in TABLES:
        if target.conn.one(f"SELECT EXISTS (SELECT 1 FROM {table})")[0]:
            raise StorageError(f"{target.path}: the database is not empty ({table} has rows); copy into a new "
                               "database (createdb), so that nothing is mixed or doubled")


def _shared_columns(source: Store, target: PostgresDatabase, table: str) -> list[str]:
    """The table's SQLite columns, in SQLite's order; each must exist in PostgreSQL."""
    sqlite_columns = [str(row[1]) for row in source.conn.all(f"PRAGMA table_info({table})")]
    target_columns = {str(row[0]) for row in target.conn.all(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s", (table,))}
    missing = [c for c in sqlite_columns if c not in target_columns]
    if missing:
        raise StorageError(f"{target.path}: {table} lacks the columns {', '.join(missing)} the SQLite database "
                           "has; upgrade newsdedup")
    return sqlite_columns


def _copy_table(source: Store, target: PostgresDatabase, table: str, columns: list[str]) -> int:
    """COPY the table's rows in (PostgreSQL's fastest way in); how many."""
    names = ", ".join(columns)
    rows = 0
    with target.conn.errors(), target.conn.raw.cursor() as cursor, \
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in source.conn.rows(f"SELECT {names} FROM {table}"):
            copy.write_row(row)
            rows += 1
    return rows

