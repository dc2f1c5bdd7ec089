"""Numbered migrations, in Miniflux's manner: the schema version is the length of `MIGRATIONS`.

To change the schema, append a function; never edit one that has shipped. On open, a database
at an older version runs the missing migrations in one transaction; one at a newer version
(made by a newer newsdedup) is refused, because this code would misread it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.connection import Connection
from storage.errors import SchemaMismatch

if TYPE_CHECKING:
    import sqlite_utils


def _v1_first_release(conn: Connection, db: sqlite_utils.Database) -> None:
    """The schema of the first release."""
    for statement in _FIRST_RELEASE:
        conn.execute(statement)


def _v2_columns_of_later_builds(conn: Connection, db: sqlite_utils.Database) -> None:
    """Builds of the first release added columns without a new version: the adaptive interval and
    the metadata a revision keeps. Databases made before them get them now."""
    if "poll_interval" not in db["sources"].columns_dict:
        conn.execute("ALTER TABLE sources ADD COLUMN poll_interval INTEGER")
    revision_columns = db["revisions"].columns_dict
    for column in ("url", "lang", "published", "authors", "description"):
        if column not in revision_columns:
            conn.execute(f"ALTER TABLE revisions ADD COLUMN {column} TEXT")
    if "meta_kept" not in revision_columns:
        conn.execute("ALTER TABLE revisions ADD COLUMN meta_kept INTEGER NOT NULL DEFAULT 0")


def _v3_crawl_frontier(conn: Connection, db: sqlite_utils.Database) -> None:
    """The crawler's memory of articles (retries with backoff, revisits of recent articles) and
    each source's health."""
    conn.execute("""CREATE TABLE frontier (
        url TEXT PRIMARY KEY,
        source_id INTEGER,
        state TEXT NOT NULL CHECK (state IN ('retry', 'revisit', 'done', 'given_up')),
        attempts INTEGER NOT NULL DEFAULT 0,    -- failed fetches in a row (retry) or revisits made
        next_at REAL,                           -- epoch seconds of the next try or revisit; NULL: none
        first_seen REAL NOT NULL,               -- when the crawler first met the URL
        listed_as TEXT,                         -- the listing's item as last seen (pubDate, updated, title, guid)
        last_error_kind TEXT,
        last_error TEXT
    ) WITHOUT ROWID""")
    conn.execute("CREATE INDEX frontier_due ON frontier(source_id, next_at)")
    for column, definition in (("consecutive_failures", "INTEGER NOT NULL DEFAULT 0"), ("failing_since", "TEXT"),
                               ("paused_reason", "TEXT")):
        conn.execute(f"ALTER TABLE sources ADD COLUMN {column} {definition}")


def _v4_reader_side(conn: Connection, db: sqlite_utils.Database) -> None:
    """What readers need: why each document joined its story, full-text search, and paging.

    `story_links` records the link that decided a document's story when it was added (none
    for a story's first document). `documents_fts` is an external-content FTS5 index over
    `documents` (title, text), kept by triggers, so it is written by the same transaction that
    writes a document. The trigram tokenizer indexes every script alike: Chinese and Japanese
    have no spaces to split words at, and one index for every language keeps search one query.
    """
    conn.execute("""CREATE TABLE story_links (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        matched_document_id INTEGER,
        rule TEXT NOT NULL,            -- exact-copy, near-duplicate, paraphrase, translation
        score REAL NOT NULL,           -- the link's strength (1.0: the rule's threshold exactly)
        evidence TEXT NOT NULL DEFAULT '{}'   -- JSON: shared_anchors, lexical_similarity
    )""")
    conn.execute("CREATE INDEX story_links_matched ON story_links(matched_document_id)")
    conn.execute("CREATE INDEX stories_updated ON stories(updated)")
    conn.execute("CREATE VIRTUAL TABLE documents_fts USING fts5(title, text, content='documents', "
                 "content_rowid='id', tokenize='trigram')")
    conn.execute("""CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END""")
    conn.execute("""CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts (documents_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END""")
    conn.execute("""CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, text ON documents BEGIN
        INSERT INTO documents_fts (documents_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO documents_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END""")
    conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('rebuild')")
    # When the database was made (or, for an older one, first opened by this version): an empty
    # feed's updated time, instead of 1970.
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('created', coalesce("
                 "(SELECT min(first_seen) FROM stories), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))")


def _v5_source_leases(conn: Connection, db: sqlite_utils.Database) -> None:
    """Workers lease due sources (`Sources.lease_due`), so no source is polled by two at once; a
    lease expires, so a dead worker's sources are taken over."""
    conn.execute("ALTER TABLE sources ADD COLUMN leased_until REAL")
    conn.execute("ALTER TABLE sources ADD COLUMN leased_by TEXT")


def _v6_host_politeness(conn: Connection, db: sqlite_utils.Database) -> None:
    """Workers share each host's politeness delay (`Sources.reserve_host`): the next moment a
    request to the host may start, whoever sends it. Not copied by migrate-db: it is only
    seconds ahead of now."""
    conn.execute("CREATE TABLE host_politeness (host TEXT PRIMARY KEY, next_start REAL NOT NULL)")


def _v7_search_index_by_the_writer(conn: Connection, db: sqlite_utils.Database) -> None:
    """New documents join the search index at the end of their transaction, in one statement
    (`Documents.index_added`), instead of by trigger one by one: half the indexing work.
    Changed texts still follow by trigger (the old text must leave the index)."""
    conn.execute("DROP TRIGGER IF EXISTS documents_fts_insert")


# FTS5 merges a level's index segments when it holds this many (its default: 4). Each batch's
# statement writes one segment, and merges rewrite them again and again: at 8, a wmt22 replay's
# search index costs a fifth less CPU (0.95 against 1.17 s with its commits), for at most twice
# the segments a search reads (FTS5 allows 2 to 16).
SEARCH_AUTOMERGE = 8


def _v8_search_index_merges_less(conn: Connection, db: sqlite_utils.Database) -> None:
    """The search index merges its segments later (`SEARCH_AUTOMERGE`): less rewriting per document."""
    conn.execute("INSERT INTO documents_fts (documents_fts, rank) VALUES ('automerge', ?)", (SEARCH_AUTOMERGE,))


MIGRATIONS: list[Callable[[Connection, sqlite_utils.Database], None]] = [
    _v1_first_release,
    _v2_columns_of_later_builds,
    _v3_crawl_frontier,
    _v4_reader_side,
    _v5_source_leases,
    _v6_host_politeness,
    _v7_search_index_by_the_writer,
    _v8_search_index_merges_less,
]
SCHEMA_VERSION = len(MIGRATIONS)


def stored_version(conn: Connection) -> int:
    """The schema version a database records: 0 for an empty file; SchemaMismatch for a file
    that holds tables but is not a newsdedup database."""
    tables = {row[0] for row in conn.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return 0
    if "meta" not in tables:
        raise SchemaMismatch(f"{conn.path}: not a newsdedup database (it has tables {', '.join(sorted(tables)[:5])}"
                             "but no meta table); give another --db")
    row = conn.one("SELECT value FROM meta WHERE key = 'schema_version'")
    try:
        return int(row[0]) if row else 0
    except ValueError:
        raise SchemaMismatch(f"{conn.path}: its schema version {row[0]!r} is not a number; "
                             "is it a newsdedup database?") from None


def check_readable(conn: Connection) -> int:
    """The version of a database to read without migrating; refuses one newer than this code."""
    version = stored_version(conn)
    if version > SCHEMA_VERSION:
        raise _too_new(conn.path, version)
    return version


def migrate(conn: Connection) -> int:
    """Bring the database to SCHEMA_VERSION in one transaction; return the version it had."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = stored_version(conn)
        if version > SCHEMA_VERSION:
            raise _too_new(conn.path, version)
        if version < SCHEMA_VERSION:
            import sqlite_utils  # here, not at the top: its import is 0.13 s of every command's start

            db = sqlite_utils.Database(conn.raw)
            for step in MIGRATIONS[version:]:
                step(conn, db)
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
    except BaseException:
        conn.rollback()
        raise
    conn.execute("COMMIT")
    return version


def _too_new(path: str, version: int) -> SchemaMismatch:
    return SchemaMismatch(f"{path}: the database has schema version {version}, made by a newer newsdedup; this "
                          f"one knows versions up to {SCHEMA_VERSION}. Upgrade newsdedup, or use another --db")


_FIRST_RELEASE = [
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS stories (
        id TEXT PRIMARY KEY,
        representative_id INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        updated TEXT NOT NULL
    )""",
    # a story and its first document are inserted in one transaction, in either order
    """CREATE TABLE IF NOT EXISTS documents (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
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
    )""",
    "CREATE INDEX IF NOT EXISTS documents_story ON documents(story_id)",
    "CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash)",
    "CREATE INDEX IF NOT EXISTS documents_window ON documents(window_time)",
    "CREATE INDEX IF NOT EXISTS documents_lang ON documents(lang)",
    "CREATE INDEX IF NOT EXISTS documents_source ON documents(source_id)",
    # what a feed shows of a version, as it was at this revision (full archive pages never change);
    # meta_kept 1: url..description are this revision's (0: older rows, the document's)
    """CREATE TABLE IF NOT EXISTS revisions (
        document_id INTEGER NOT NULL REFERENCES documents(id),
        revision INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        url TEXT,
        lang TEXT,
        published TEXT,
        authors TEXT,
        description TEXT,
        meta_kept INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (document_id, revision)
    )""",
    """CREATE TABLE IF NOT EXISTS changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        story_id TEXT NOT NULL REFERENCES stories(id),
        document_id INTEGER NOT NULL REFERENCES documents(id),
        kind TEXT NOT NULL CHECK (kind IN ('created', 'version', 'translation', 'changed')),
        at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS changes_story ON changes(story_id, seq)",
    "CREATE INDEX IF NOT EXISTS changes_document ON changes(document_id, seq)",
    """CREATE TABLE IF NOT EXISTS signatures (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        lexical BLOB NOT NULL,
        anchor_minhash BLOB NOT NULL,
        anchors TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS anchor_df (
        token TEXT PRIMARY KEY,
        df INTEGER NOT NULL
    ) WITHOUT ROWID""",
    # kind: feed, sitemap or html (learned at the first fetch); lang: a hint for its articles;
    # poll_interval: the crawler's adaptive interval (NULL: interval_seconds); next_due: epoch seconds
    """CREATE TABLE IF NOT EXISTS sources (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT,
        kind TEXT,
        lang TEXT,
        interval_seconds INTEGER NOT NULL DEFAULT 900,
        poll_interval INTEGER,
        enabled INTEGER NOT NULL DEFAULT 1,
        added TEXT NOT NULL,
        next_due REAL,
        last_run TEXT,
        last_success TEXT,
        last_error_kind TEXT,
        last_error TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS fetch_state (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        body_sha256 TEXT,
        status INTEGER,
        fetched_at TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS ingest_errors (
        id INTEGER PRIMARY KEY,
        source_id INTEGER,
        origin TEXT NOT NULL,
        kind TEXT NOT NULL,
        stage TEXT NOT NULL,
        message TEXT NOT NULL,
        at TEXT NOT NULL
    )""",
]
