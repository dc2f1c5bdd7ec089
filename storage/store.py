"""The front of the SQLite database: it owns the connection, the transaction and the schema.

Open it yourself with `sqlite3 newsdedup.db` or `sqlite-utils tables newsdedup.db`:
- `documents`: one row per article key (corpus id, file path or URL), its latest text;
- `revisions`: every text a document has had;
- `stories`: clusters of documents that tell the same news, with a stable id;
- `changes`: the append-only change log the feeds are views of;
- `signatures`: stored MinHash views, so a restart does not re-hash the corpus;
- `anchor_df`: how many documents hold each language-neutral token (IDF weights);
- `sources`: what the crawler polls, how often, and how its last run went;
- `fetch_state`: per URL, the validators (ETag, Last-Modified) and body hash of the last fetch;
- `ingest_errors`: what could not be ingested, and why;
- `meta`: the schema version and the fingerprint settings the signatures were made with.

The table groups (`Documents`, `Sources`, `IngestErrors`) share this front's connection;
every write the pipeline makes for one document runs in one `transaction()`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.checkpoint import WRITER_AUTOCHECKPOINT_PAGES, Checkpointer
from storage.connection import BUSY_TIMEOUT_SECONDS, Connection
from storage.documents import Documents
from storage.errors import StorageLocked, StorageUnavailable
from storage.ingest_errors import IngestErrors
from storage.migrations import migrate
from storage.sources import Sources

# Lookups by key, content hash and anchor token touch random pages of a growing file; a
# 64 MB page cache (SQLite's default is 2 MB) keeps per-document cost flat as it grows.
PAGE_CACHE_KIB = 65536


# First pause between tries to switch a new database to WAL, doubled up to the longest.
_WAL_RETRY_FIRST_SECONDS = 0.01
_WAL_RETRY_LONGEST_SECONDS = 0.5


def _use_write_ahead_log(conn: Connection) -> None:
    """Put the database in WAL mode, waiting for other processes as the busy timeout would.

    Two processes that open a new database together each hold a read lock while asking for the
    exclusive lock the switch needs; SQLite sees a deadlock and answers SQLITE_BUSY at once,
    without calling the busy handler. So the switch is retried here until the same deadline.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = _WAL_RETRY_FIRST_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except StorageLocked:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(2 * pause, _WAL_RETRY_LONGEST_SECONDS)


class Store:
    """All reads and writes of the newsdedup database, by table group."""

    def __init__(self, path: str, *, must_exist: bool = False) -> None:
        self.path = path
        if must_exist and not Path(path).is_file():
            raise StorageUnavailable(f"there is no database {path!r} yet: replay or crawl first, or give --db")
        try:
            # The daemon reads from the HTTP server's threads while the scheduler writes.
            raw = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        except sqlite3.Error as exc:
            raise StorageUnavailable(f"{path}: cannot open the database ({exc}); check the path and its "
                                     "permissions") from None
        self.conn = Connection(raw, path)
        self._checkpointer = Checkpointer(path)
        try:
            _use_write_ahead_log(self.conn)
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
            self.conn.execute("PRAGMA foreign_keys=ON")
            # (Checkpoints run beside the writer, in `Checkpointer`'s thread; this is the fallback.)
            self.conn.execute(f"PRAGMA wal_autocheckpoint={WRITER_AUTOCHECKPOINT_PAGES}")
            migrate(self.conn)
            self.documents = Documents(self.conn)
            with self.transaction():
                self.documents.index_missed()
        except BaseException:
            self._checkpointer.close()
            raw.close()
            raise
        self.sources = Sources(self.conn)
        self.errors = IngestErrors(self.conn)

    def close(self) -> None:
        self._checkpointer.close()
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: everything inside commits together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.documents.begin_writing()
        changes_before = self.conn.raw.total_changes
        try:
            yield
            self.documents.write_pending()
            self.conn.execute("COMMIT")
            if self.conn.raw.total_changes != changes_before:
                self._checkpointer.nudge()
        except BaseException:
            self.documents.forget_added()
            self.conn.rollback()  # (a failed COMMIT, too, must not leave the transaction open)
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One consistent read of several queries (a WAL snapshot); writers are not blocked."""
        self.conn.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    # -- meta

    def meta(self, key: str) -> str | None:
        row = self.conn.one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                          (key, value, value))
