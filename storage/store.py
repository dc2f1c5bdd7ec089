"""The SQLite database: schema, migrations and every query newsdedup makes.

Open it yourself with `sqlite3 newsdedup.db` or `sqlite-utils tables newsdedup.db`:
- `documents`: one row per article key (corpus id, file path or URL), its latest text;
- `revisions`: every text a document has had;
- `stories`: clusters of documents that tell the same news, with a stable id;
- `changes`: the append-only change log the feeds are views of;
- `signatures`: stored MinHash views, so a restart does not re-hash the corpus;
- `anchor_df`: how many documents hold each language-neutral token (IDF weights);
- `sources`: what the crawler polls, how often, and how its last run went;
- `fetch_state`: per URL, the validators (ETag, Last-Modified) and body hash of the last fetch;
- `ingest_errors`: what could not be ingested, and why.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    representative_id INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    -- a story and its first document are inserted in one transaction, in either order
    story_id TEXT NOT NULL REFERENCES stories(id) DEFERRABLE INITIALLY DEFERRED,
    url TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    lang TEXT NOT NULL,
    published TEXT,
    updated TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    description TEXT,
    image TEXT,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    source_id INTEGER,
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    window_time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_story ON documents(story_id);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
CREATE INDEX IF NOT EXISTS documents_window ON documents(window_time);
CREATE INDEX IF NOT EXISTS documents_lang ON documents(lang);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source_id);
CREATE TABLE IF NOT EXISTS revisions (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    revision INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    -- what a feed shows of a version, as it was at this revision (full archive pages never change)
    url TEXT,
    lang TEXT,
    published TEXT,
    authors TEXT,
    description TEXT,
    meta_kept INTEGER NOT NULL DEFAULT 0,  -- 1: the five columns above are this revision's (0: older rows)
    PRIMARY KEY (document_id, revision)
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    story_id TEXT NOT NULL REFERENCES stories(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    kind TEXT NOT NULL CHECK (kind IN ('created', 'version', 'translation', 'changed')),
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_story ON changes(story_id, seq);
CREATE INDEX IF NOT EXISTS changes_document ON changes(document_id, seq);
CREATE TABLE IF NOT EXISTS signatures (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id),
    lexical BLOB NOT NULL,
    anchor_minhash BLOB NOT NULL,
    anchors TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS anchor_df (
    token TEXT PRIMARY KEY,
    df INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    kind TEXT,                      -- feed, sitemap or html: learned at the first fetch
    lang TEXT,                      -- language hint for its articles
    interval_seconds INTEGER NOT NULL DEFAULT 900,
    poll_interval INTEGER,          -- the crawler's current (adaptive) interval; NULL: interval_seconds
    enabled INTEGER NOT NULL DEFAULT 1,
    added TEXT NOT NULL,
    next_due REAL,                  -- epoch seconds: a restarted daemon resumes from here
    last_run TEXT,
    last_success TEXT,
    last_error_kind TEXT,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS fetch_state (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    body_sha256 TEXT,
    status INTEGER,
    fetched_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ingest_errors (
    id INTEGER PRIMARY KEY,
    source_id INTEGER,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class StoredSignature:
    document_id: int
    story_id: str
    lang: str
    content_hash: str
    window_time: float
    lexical: bytes
    anchor_minhash: bytes
    anchors: tuple[str, ...]


@dataclass
class NewDocument:
    """What the pipeline asks the store to write for one document, in one transaction."""

    key: str
    title: str
    text: str
    lang: str
    url: str | None
    published: str | None
    updated: str | None
    authors: list[str]
    description: str | None
    image: str | None
    content_hash: str
    source_id: int | None
    window_time: float
    lexical: bytes
    anchor_minhash: bytes
    anchors: tuple[str, ...]


class Store:
    """All reads and writes of the newsdedup database."""

    def __init__(self, path: str) -> None:
        self.path = path
        # The daemon reads from the HTTP server's threads while the scheduler writes.
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        # Lookups by key, content hash and anchor token touch random pages of a growing file;
        # a 64 MB page cache (the default is 2 MB) keeps per-document cost flat as it grows.
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self.conn.close()

    def _migrate(self) -> None:
        # One script, one transaction: comments may hold semicolons, so the schema is not split by hand.
        self.conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            self._migrate_sources()

    # -- meta

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                          (key, value, value))

    # -- transactions

    class _Transaction:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __enter__(self) -> sqlite3.Connection:
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn

        def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")

    def transaction(self) -> Store._Transaction:
        """One atomic write: everything inside commits together or not at all."""
        return Store._Transaction(self.conn)

    # -- documents

    def find_document(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT id, story_id, content_hash, revision, lang FROM documents WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        return {"id": row[0], "story_id": row[1], "content_hash": row[2], "revision": row[3], "lang": row[4]}

    def copy_of(self, content_hash: str) -> tuple[str, StoredSignature] | None:
        """The story and stored signature of the earliest document with exactly this content, if any."""
        row = self.conn.execute(
            """SELECT d.id, d.story_id, d.lang, d.content_hash, d.window_time, s.lexical, s.anchor_minhash, s.anchors
               FROM documents d JOIN signatures s ON s.document_id = d.id
               WHERE d.content_hash = ? ORDER BY d.id LIMIT 1""", (content_hash,)
        ).fetchone()
        if row is None:
            return None
        return row[1], StoredSignature(*row[:7], tuple(row[7].split()) if row[7] else ())

    def story_languages(self, story_id: str) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT DISTINCT lang FROM documents WHERE story_id = ?",
                                                (story_id,))}

    def add_document(self, doc: NewDocument, story_id: str | None, new_story_id: str) -> tuple[int, str, str]:
        """Insert a document into `story_id` (or a new story `new_story_id`) with its change.

        Must run inside `transaction()`. Returns (document id, story id, change kind).
        """
        now = utcnow()
        if story_id is None:
            story_id = new_story_id
            kind = "created"
        else:
            kind = "version" if doc.lang in self.story_languages(story_id) else "translation"
        cur = self.conn.execute(
            """INSERT INTO documents (key, story_id, url, title, text, lang, published, updated, authors,
                   description, image, content_hash, revision, source_id, first_seen, last_changed, window_time)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)""",
            (doc.key, story_id, doc.url, doc.title, doc.text, doc.lang, doc.published, doc.updated,
             json.dumps(doc.authors, ensure_ascii=False), doc.description, doc.image, doc.content_hash,
             doc.source_id, now, now, doc.window_time),
        )
        document_id = int(cur.lastrowid or 0)
        if kind == "created":
            self.conn.execute("INSERT INTO stories (id, representative_id, first_seen, updated) VALUES (?, ?, ?, ?)",
                              (story_id, document_id, now, now))
        else:
            self.conn.execute("UPDATE stories SET updated = ? WHERE id = ?", (now, story_id))
        self._record_revision(document_id, 1, doc, now)
        self._write_signature(document_id, doc)
        self._count_anchors(doc.anchors)
        self.conn.execute("INSERT INTO changes (story_id, document_id, kind, at) VALUES (?, ?, ?, ?)",
                          (story_id, document_id, kind, now))
        return document_id, story_id, kind

    def change_document(self, document_id: int, story_id: str, doc: NewDocument, revision: int,
                        old_anchors: Iterable[str]) -> None:
        """Record a new text for an existing document. Must run inside `transaction()`."""
        now = utcnow()
        self.conn.execute(
            """UPDATE documents SET url = ?, title = ?, text = ?, lang = ?, published = ?, updated = ?,
                   authors = ?, description = ?, image = ?, content_hash = ?, revision = ?, last_changed = ?,
                   window_time = ? WHERE id = ?""",
            (doc.url, doc.title, doc.text, doc.lang, doc.published, doc.updated,
             json.dumps(doc.authors, ensure_ascii=False), doc.description, doc.image, doc.content_hash,
             revision, now, doc.window_time, document_id),
        )
        self._record_revision(document_id, revision, doc, now)
        self._count_anchors(old_anchors, -1)
        self._write_signature(document_id, doc)
        self._count_anchors(doc.anchors)
        self.conn.execute("UPDATE stories SET updated = ? WHERE id = ?", (now, story_id))
        self.conn.execute("INSERT INTO changes (story_id, document_id, kind, at) VALUES (?, ?, 'changed', ?)",
                          (story_id, document_id, now))

    def _record_revision(self, document_id: int, revision: int, doc: NewDocument, now: str) -> None:
        self.conn.execute(
            """INSERT INTO revisions (document_id, revision, content_hash, title, text, seen_at, url, lang, published,
                   authors, description, meta_kept) VALUES (?,?,?,?,?,?,?,?,?,?,?,1)""",
            (document_id, revision, doc.content_hash, doc.title, doc.text, now, doc.url, doc.lang, doc.published,
             json.dumps(doc.authors, ensure_ascii=False), doc.description),
        )

    def _write_signature(self, document_id: int, doc: NewDocument) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO signatures (document_id, lexical, anchor_minhash, anchors) VALUES (?,?,?,?)",
            (document_id, doc.lexical, doc.anchor_minhash, " ".join(doc.anchors)),
        )

    def _count_anchors(self, anchors: Iterable[str], delta: int = 1) -> None:
        self.conn.executemany(
            "INSERT INTO anchor_df (token, df) VALUES (?, ?) ON CONFLICT(token) DO UPDATE SET df = df + ?",
            [(t, max(delta, 0), delta) for t in anchors],
        )

    def signature_of(self, document_id: int) -> tuple[str, ...]:
        row = self.conn.execute("SELECT anchors FROM signatures WHERE document_id = ?", (document_id,)).fetchone()
        return tuple(row[0].split()) if row and row[0] else ()

    def signatures_since(self, window_start: float) -> Iterator[StoredSignature]:
        """Stored signatures of the documents in the live window, oldest first."""
        rows = self.conn.execute(
            """SELECT d.id, d.story_id, d.lang, d.content_hash, d.window_time, s.lexical, s.anchor_minhash, s.anchors
               FROM documents d JOIN signatures s ON s.document_id = d.id
               WHERE d.window_time >= ? ORDER BY d.id""",
            (window_start,),
        )
        for r in rows:
            yield StoredSignature(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(r[7].split()) if r[7] else ())

    def anchor_document_frequencies(self) -> tuple[dict[str, int], int]:
        df = dict(self.conn.execute("SELECT token, df FROM anchor_df WHERE df > 0"))
        total = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        return df, int(total)

    # -- errors

    def record_error(self, origin: str, kind: str, stage: str, message: str, source_id: int | None = None) -> None:
        self.conn.execute(
            "INSERT INTO ingest_errors (source_id, origin, kind, stage, message, at) VALUES (?,?,?,?,?,?)",
            (source_id, origin, kind, stage, message, utcnow()))

    # -- sources

    _SOURCE_COLUMNS = ("id", "url", "title", "kind", "lang", "interval_seconds", "poll_interval", "enabled",
                       "added", "next_due", "last_run", "last_success", "last_error_kind", "last_error")

    def _migrate_sources(self) -> None:
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(sources)")}
        if "poll_interval" not in columns:  # databases made before adaptive scheduling
            self.conn.execute("ALTER TABLE sources ADD COLUMN poll_interval INTEGER")
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(revisions)")}
        for column in ("url", "lang", "published", "authors", "description"):
            if column not in columns:  # databases made before revisions kept their metadata
                self.conn.execute(f"ALTER TABLE revisions ADD COLUMN {column} TEXT")
        if "meta_kept" not in columns:
            self.conn.execute("ALTER TABLE revisions ADD COLUMN meta_kept INTEGER NOT NULL DEFAULT 0")

    def add_source(self, url: str, *, title: str | None = None, lang: str | None = None,
                   interval_seconds: int = 900, enabled: bool = True) -> dict[str, Any]:
        """Add a source (or update the settings of the one with this URL) and return it."""
        self.conn.execute(
            """INSERT INTO sources (url, title, lang, interval_seconds, enabled, added) VALUES (?,?,?,?,?,?)
               ON CONFLICT(url) DO UPDATE SET title = coalesce(excluded.title, title),
                   lang = coalesce(excluded.lang, lang), interval_seconds = excluded.interval_seconds,
                   poll_interval = CASE WHEN excluded.interval_seconds = interval_seconds
                                        THEN poll_interval END,
                   enabled = excluded.enabled""",
            (url, title, lang, interval_seconds, int(enabled), utcnow()))
        source = self.source(url)
        assert source is not None
        return source

    def update_source(self, source_id: int, **fields: Any) -> dict[str, Any]:
        """Change the given settings of a source (title, lang, interval_seconds, enabled); keep the rest."""
        allowed = {"title", "lang", "interval_seconds", "enabled"}
        changes = {k: v for k, v in fields.items() if v is not None}
        if not changes.keys() <= allowed:
            raise ValueError(f"cannot update {sorted(changes.keys() - allowed)} of a source")
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            if "interval_seconds" in changes:  # a new configured interval restarts the adaptive one
                assignments += ", poll_interval = NULL"
            self.conn.execute(f"UPDATE sources SET {assignments} WHERE id = ?", (*changes.values(), source_id))
        source = self.source(source_id)
        assert source is not None
        return source

    def source(self, id_or_url: int | str) -> dict[str, Any] | None:
        column = "id" if isinstance(id_or_url, int) or str(id_or_url).isdigit() else "url"
        row = self.conn.execute(f"SELECT {', '.join(self._SOURCE_COLUMNS)} FROM sources WHERE {column} = ?",
                                (id_or_url,)).fetchone()
        return dict(zip(self._SOURCE_COLUMNS, row, strict=True)) if row else None

    def sources(self, *, enabled_only: bool = False) -> list[dict[str, Any]]:
        where = "WHERE enabled = 1" if enabled_only else ""
        rows = self.conn.execute(f"SELECT {', '.join(self._SOURCE_COLUMNS)} FROM sources {where} ORDER BY id")
        return [dict(zip(self._SOURCE_COLUMNS, row, strict=True)) for row in rows]

    def remove_source(self, id_or_url: int | str) -> bool:
        source = self.source(id_or_url)
        if source is None:
            return False
        self.conn.execute("DELETE FROM sources WHERE id = ?", (source["id"],))
        return True

    def record_source_run(self, source_id: int, *, kind: str | None, next_due: float,
                          error_kind: str | None = None, error: str | None = None,
                          poll_interval: int | None = None) -> None:
        """How a run went and when the next is due; `poll_interval` (if given) becomes the current interval."""
        now = utcnow()
        self.conn.execute(
            """UPDATE sources SET kind = coalesce(?, kind), next_due = ?, last_run = ?,
                   last_success = CASE WHEN ? IS NULL THEN ? ELSE last_success END,
                   last_error_kind = ?, last_error = ?, poll_interval = coalesce(?, poll_interval)
               WHERE id = ?""",
            (kind, next_due, now, error_kind, now, error_kind, error, poll_interval, source_id))

    # -- fetch state (validators and body hashes, per URL)

    def fetch_state(self, url: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT etag, last_modified, body_sha256, status, fetched_at FROM fetch_state WHERE url = ?", (url,)
        ).fetchone()
        return dict(zip(("etag", "last_modified", "body_sha256", "status", "fetched_at"), row, strict=True)) \
            if row else None

    def save_fetch_state(self, url: str, *, etag: str | None, last_modified: str | None,
                         body_sha256: str | None, status: int) -> None:
        self.conn.execute(
            """INSERT INTO fetch_state (url, etag, last_modified, body_sha256, status, fetched_at)
               VALUES (?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag,
                   last_modified = excluded.last_modified,
                   body_sha256 = coalesce(excluded.body_sha256, body_sha256),
                   status = excluded.status, fetched_at = excluded.fetched_at""",
            (url, etag, last_modified, body_sha256, status, utcnow()))

    # -- reading for feeds and the CLI

    def counts(self) -> dict[str, int]:
        one = self.conn.execute
        return {
            "documents": one("SELECT count(*) FROM documents").fetchone()[0],
            "stories": one("SELECT count(*) FROM stories").fetchone()[0],
            "changes": one("SELECT count(*) FROM changes").fetchone()[0],
            "errors": one("SELECT count(*) FROM ingest_errors").fetchone()[0],
        }

    def clusters(self) -> Iterator[dict[str, Any]]:
        """One row per document: its key, story, language and title, in ingest order."""
        for key, story, lang, title in self.conn.execute(
            "SELECT key, story_id, lang, title FROM documents ORDER BY id"
        ):
            yield {"id": key, "cluster": story, "lang": lang, "title": title}
