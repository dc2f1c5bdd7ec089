"""PostgreSQL's numbered migrations: the schema version is the length of `MIGRATIONS`.

The tables and columns are SQLite's (`storage/migrations.py`), in PostgreSQL's types: ids are
identities, epoch seconds `double precision`, MinHash signatures `bytea`; text timestamps and
0/1 flags stay as SQLite has them, so every query reads the same rows. SQLite's full-text
index (documents_fts, FTS5 trigrams) is, here, pg_trgm's trigram indexes on the titles and
texts (the migration `search_trigrams`), which the reader's ILIKE search uses.

As for SQLite: append a function to change the schema, never edit one that has shipped; an older
database is migrated in one transaction on open, a newer one is refused. Workers starting
together take a lock first, so one migrates and the others find it done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from storage.errors import SchemaMismatch, StorageError
from storage.postgres.connection import PgConnection

log = logging.getLogger("newsdedup.storage")

# pg_advisory_xact_lock keys: arbitrary constants, the same in every newsdedup process.
MIGRATION_LOCK = 0x6E65_7773_0001   # "news" 1
WRITE_LOCK = 0x6E65_7773_0002       # "news" 2: the match-and-write step (Database.transaction)


def _v1_schema(conn: PgConnection) -> None:
    """SQLite's schema at its version 4 (first release, later columns, frontier, reader side)."""
    for statement in _SCHEMA:
        conn.execute(statement)


def _v2_source_leases(conn: PgConnection) -> None:
    """Workers lease due sources (`Sources.lease_due`), so no source is polled by two at once; a
    lease expires, so a dead worker's sources are taken over."""
    conn.execute("ALTER TABLE sources ADD COLUMN leased_until double precision")
    conn.execute("ALTER TABLE sources ADD COLUMN leased_by text")
    conn.execute("CREATE INDEX sources_due ON sources(next_due)")


def _v3_host_politeness(conn: PgConnection) -> None:
    """Workers share each host's politeness delay (`Sources.reserve_host`): the next moment a
    request to the host may start, whoever sends it. Not copied by migrate-db: it is only
    seconds ahead of now."""
    conn.execute("CREATE TABLE host_politeness (host text PRIMARY KEY, next_start double precision NOT NULL)")


def _v4_search_trigrams(conn: PgConnection) -> None:
    """Trigram indexes for the reader's search (substrings of titles and texts, any script, as
    SQLite's FTS5 trigram index): pg_trgm, in PostgreSQL's contrib (Debian's `postgresql` package
    and the postgres images have it; a database owner may create it). Where it cannot be created
    the migration goes on without the indexes: search then reads every document, and the log
    says how to add them later."""
    try:
        with conn.transaction():  # a savepoint: a failure here leaves the migration's transaction usable
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except StorageError as exc:
        log.warning("%s: search without trigram indexes, pg_trgm is not available (%s). To add them: "
                    "CREATE EXTENSION pg_trgm; CREATE INDEX documents_title_trgm ON documents USING gin "
                    "(title gin_trgm_ops); CREATE INDEX documents_text_trgm ON documents USING gin "
                    "(text gin_trgm_ops)", conn.path, exc.message)
        return
    conn.execute("CREATE INDEX documents_title_trgm ON documents USING gin (title gin_trgm_ops)")
    conn.execute("CREATE INDEX documents_text_trgm ON documents USING gin (text gin_trgm_ops)")


MIGRATIONS: list[Callable[[PgConnection], None]] = [
    _v1_schema,
    _v2_source_leases,
    _v3_host_politeness,
    _v4_search_trigrams,
]
SCHEMA_VERSION = len(MIGRATIONS)


def stored_version(conn: PgConnection) -> int:
    """The schema version a database records: 0 for an empty one; SchemaMismatch for one that
    holds tables but is not a newsdedup database."""
    tables = {row[0] for row in conn.all(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    if not tables:
        return 0
    if "meta" not in tables:
        raise SchemaMismatch(f"{conn.path}: not a newsdedup database (it has tables "
                             f"{', '.join(sorted(tables)[:5])} but no meta table); give another --db")
    row = conn.one("SELECT value FROM meta WHERE key = 'schema_version'")
    try:
        return int(row[0]) if row else 0
    except ValueError:
        raise SchemaMismatch(f"{conn.path}: its schema version {row[0]!r} is not a number; "
                             "is it a newsdedup database?") from None


def migrate(conn: PgConnection) -> int:
    """Bring the database to SCHEMA_VERSION in one transaction; return the version it had."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        version = stored_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaMismatch(
                f"{conn.path}: the database has schema version {version}, made by a newer newsdedup; this one "
                f"knows versions up to {SCHEMA_VERSION}. Upgrade newsdedup, or use another --db")
        for step in MIGRATIONS[version:]:
            step(conn)
        if version < SCHEMA_VERSION:
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
    return version


_SCHEMA = [
    """CREATE TABLE meta (
        key text PRIMARY KEY,
        value text NOT NULL
    )""",
    """CREATE TABLE stories (
        id text PRIMARY KEY,
        representative_id bigint NOT NULL,
        first_seen text NOT NULL,
        updated text NOT NULL
    )""",
    "CREATE INDEX stories_updated ON stories(updated)",
    # a story and its first document are inserted in one transaction, in either order
    """CREATE TABLE documents (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        key text NOT NULL UNIQUE,
        story_id text NOT NULL REFERENCES stories(id) DEFERRABLE INITIALLY DEFERRED,
        url text,
        title text NOT NULL,
        text text NOT NULL,
        lang text NOT NULL,
        published text,
        updated text,
        authors text NOT NULL DEFAULT '[]',
        description text,
        image text,
        content_hash text NOT NULL,
        revision integer NOT NULL DEFAULT 1,
        source_id bigint,
        first_seen text NOT NULL,
        last_changed text NOT NULL,
        window_time double precision NOT NULL
    )""",
    "CREATE INDEX documents_story ON documents(story_id)",
    "CREATE INDEX documents_hash ON documents(content_hash)",
    "CREATE INDEX documents_window ON documents(window_time)",
    "CREATE INDEX documents_lang ON documents(lang)",
    "CREATE INDEX documents_source ON documents(source_id)",
    """CREATE TABLE revisions (
        document_id bigint NOT NULL REFERENCES documents(id),
        revision integer NOT NULL,
        content_hash text NOT NULL,
        title text NOT NULL,
        text text NOT NULL,
        seen_at text NOT NULL,
        url text,
        lang text,
        published text,
        authors text,
        description text,
        meta_kept integer NOT NULL DEFAULT 0,
        PRIMARY KEY (document_id, revision)
    )""",
    # seq: commits are in seq order, because every write holds WRITE_LOCK until it commits
    """CREATE TABLE changes (
        seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        story_id text NOT NULL REFERENCES stories(id),
        document_id bigint NOT NULL REFERENCES documents(id),
        kind text NOT NULL CHECK (kind IN ('created', 'version', 'translation', 'changed')),
        at text NOT NULL
    )""",
    "CREATE INDEX changes_story ON changes(story_id, seq)",
    "CREATE INDEX changes_document ON changes(document_id, seq)",
    """CREATE TABLE signatures (
        document_id bigint PRIMARY KEY REFERENCES documents(id),
        lexical bytea NOT NULL,
        anchor_minhash bytea NOT NULL,
        anchors text NOT NULL
    )""",
    """CREATE TABLE anchor_df (
        token text PRIMARY KEY,
        df integer NOT NULL
    )""",
    """CREATE TABLE story_links (
        document_id bigint PRIMARY KEY REFERENCES documents(id),
        matched_document_id bigint,
        rule text NOT NULL,
        score double precision NOT NULL,
        evidence text NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX story_links_matched ON story_links(matched_document_id)",
    """CREATE TABLE sources (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        url text NOT NULL UNIQUE,
        title text,
        kind text,
        lang text,
        interval_seconds integer NOT NULL DEFAULT 900,
        poll_interval integer,
        enabled integer NOT NULL DEFAULT 1,
        added text NOT NULL,
        next_due double precision,
        last_run text,
        last_success text,
        last_error_kind text,
        last_error text,
        consecutive_failures integer NOT NULL DEFAULT 0,
        failing_since text,
        paused_reason text
    )""",
    """CREATE TABLE fetch_state (
        url text PRIMARY KEY,
        etag text,
        last_modified text,
        body_sha256 text,
        status integer,
        fetched_at text NOT NULL
    )""",
    """CREATE TABLE frontier (
        url text PRIMARY KEY,
        source_id bigint,
        state text NOT NULL CHECK (state IN ('retry', 'revisit', 'done', 'given_up')),
        attempts integer NOT NULL DEFAULT 0,
        next_at double precision,
        first_seen double precision NOT NULL,
        listed_as text,
        last_error_kind text,
        last_error text
    )""",
    "CREATE INDEX frontier_due ON frontier(source_id, next_at)",
    """CREATE TABLE ingest_errors (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        source_id bigint,
        origin text NOT NULL,
        kind text NOT NULL,
        stage text NOT NULL,
        message text NOT NULL,
        at text NOT NULL
    )""",
    # When the database was made: an empty feed's updated time, instead of 1970.
    "INSERT INTO meta (key, value) VALUES ('created', to_char(now() AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
]
