"""The read side on PostgreSQL: `PgReader`, the `storage.interfaces.FeedReader` of a server database.

The queries are `storage.reader.SqliteReader`'s in PostgreSQL's SQL, over the same tables, so
a feed, a page or a read command shows the same stories from either backend. A reader's
connection is read-only (every transaction READ ONLY) and `snapshot()` is one REPEATABLE READ
transaction: a page rendered while workers write shows the database as of one committed state
of the change log. Nothing is kept between requests but the connection, so any number of feed
servers may read one database.

Search matches every word as a substring of a document's title or text, ignoring case (ILIKE),
as SQLite's trigram index does; pg_trgm's GIN indexes (the migration `search_trigrams`), where
the server has pg_trgm, let PostgreSQL find the candidates without reading every document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing, contextmanager

from storage.errors import SchemaMismatch, StorageError, StorageUnavailable
from storage.model import (
    ChangeKind,
    ChangeRow,
    ClusterRow,
    DocumentRow,
    GroupingRow,
    Overview,
    RevisionRow,
    SearchHit,
    SourceRow,
    StoryRow,
)
from storage.postgres.connection import PgConnection, Row, connect, redacted
from storage.postgres.migrations import SCHEMA_VERSION, stored_version
from storage.reader import _document, _grouping, _revision, _str_or_none

# Rows of the change log fetched at a time while walking it backwards (recent_story_heads).
HEADS_PER_BATCH = 500
_CONTROLS = re.compile("[\x00-\x1f\x7f]")
_LIMIT = 2**63  # bigint: ids beyond it name nothing
_SOURCE_COLUMNS = ("id", "url", "title", "kind", "enabled", "last_run", "last_success", "last_error_kind",
                   "last_error", "consecutive_failures", "paused_reason")


def connect_reader(url: str) -> PgReader:
    """A reader of the existing newsdedup database at `url`; never creates or migrates tables.
    A database no worker has set up yet, or one made by a newer newsdedup, is refused."""
    path = redacted(url)
    conn = PgConnection(connect(url, read_only=True), path, url, read_only=True)
    try:
        version = stored_version(conn)
        if version == 0:
            raise StorageUnavailable(f"{path}: there is no newsdedup database there yet: start a worker on it "
                                     "(newsdedup serve, replay or migrate-db --to) first, or give another --db")
        if version > SCHEMA_VERSION:
            raise SchemaMismatch(f"{path}: the database has schema version {version}, made by a newer newsdedup; "
                                 f"this one knows versions up to {SCHEMA_VERSION}. Upgrade newsdedup")
    except StorageError:
        conn.close()
        raise
    return PgReader(conn)


def _like_pattern(term: str) -> str:
    """`term` as an ILIKE pattern matching it anywhere, its wildcards taken literally."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class PgReader:
    """The feed queries over one PostgreSQL connection. Use one reader per thread."""

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    @property
    def path(self) -> str:
        return self.conn.path

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PgReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def snapshot(self) -> Iterator[PgReader]:
        """One read-only REPEATABLE READ transaction: every query inside sees the same committed state."""
        if self.conn.in_transaction:  # already inside one: its view is the snapshot
            yield self
            return
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield self

    def ping(self) -> int:
        return self.head_seq()

    def head_seq(self) -> int:
        row = self.conn.one("SELECT max(seq) FROM changes")
        return int(row[0] or 0)

    def changes_between(self, first_seq: int, last_seq: int) -> list[ChangeRow]:
        rows = self.conn.all(
            "SELECT seq, story_id, document_id, kind, at FROM changes WHERE seq BETWEEN %s AND %s ORDER BY seq",
            (first_seq, last_seq))
        return [_change(r) for r in rows]

    def recent_story_heads(self, limit: int, *, lang: str | None = None,
                           source_id: int | None = None) -> list[tuple[str, int]]:
        """(story id, newest matching seq) for the `limit` stories changed last, newest first; the
        change log read backwards, a batch at a time, until enough stories are found."""
        if lang is not None:
            sql = ("SELECT c.seq, c.story_id FROM changes c JOIN documents d ON d.id = c.document_id "
                   "WHERE lower(d.lang) = lower(%s) ORDER BY c.seq DESC")  # BCP 47 tags ignore case
            params: tuple[object, ...] = (lang,)
        elif source_id is not None:
            sql = ("SELECT c.seq, c.story_id FROM changes c JOIN documents d ON d.id = c.document_id "
                   "WHERE d.source_id = %s ORDER BY c.seq DESC")
            params = (source_id,)
        else:
            sql, params = "SELECT seq, story_id FROM changes ORDER BY seq DESC", ()
        heads: dict[str, int] = {}
        with self.snapshot(), closing(self.conn.rows(sql, params, batch=HEADS_PER_BATCH)) as rows:
            for seq, story_id in rows:
                if story_id not in heads:
                    heads[str(story_id)] = int(seq)
                    if len(heads) >= limit:
                        break
        return list(heads.items())

    def story_changes(self, story_ids: list[str], up_to_seq: int) -> list[ChangeRow]:
        if not story_ids:
            return []
        rows = self.conn.all(
            "SELECT seq, story_id, document_id, kind, at FROM changes WHERE story_id = ANY(%s) AND seq <= %s "
            "ORDER BY seq", (story_ids, up_to_seq))
        return [_change(r) for r in rows]

    def stories(self, story_ids: list[str]) -> dict[str, StoryRow]:
        if not story_ids:
            return {}
        rows = self.conn.all("SELECT id, representative_id, first_seen FROM stories WHERE id = ANY(%s)",
                             (story_ids,))
        return {str(r[0]): StoryRow(str(r[0]), int(r[1]), str(r[2])) for r in rows}

    def documents(self, document_ids: list[int]) -> dict[int, DocumentRow]:
        wanted = [i for i in document_ids if -_LIMIT <= i < _LIMIT]
        if not wanted:
            return {}
        rows = self.conn.all(
            "SELECT id, key, story_id, url, lang, published, authors, description, source_id "
            "FROM documents WHERE id = ANY(%s)", (wanted,))
        return {int(r[0]): _document(r) for r in rows}

    def revisions(self, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], RevisionRow]:
        """The stored texts for (document id, revision) pairs: a document as it read at that revision."""
        if not wanted:
            return {}
        rows = self.conn.all(
            "SELECT r.document_id, r.revision, r.title, r.text, r.url, r.lang, r.published, r.authors, "
            "r.description, r.meta_kept FROM revisions r "
            "JOIN unnest(%s::bigint[], %s::integer[]) AS w(document_id, revision) "
            "ON r.document_id = w.document_id AND r.revision = w.revision",
            ([pair[0] for pair in wanted], [pair[1] for pair in wanted]))
        return {(int(r[0]), int(r[1])): _revision(r) for r in rows}

    def document(self, document_id: int) -> tuple[DocumentRow, RevisionRow] | None:
        if not -_LIMIT <= document_id < _LIMIT:
            return None
        row = self.conn.one(
            "SELECT id, key, story_id, url, lang, published, authors, description, source_id, revision, title, text "
            "FROM documents WHERE id = %s", (document_id,))
        if row is None:
            return None
        return _document(row[:9]), RevisionRow(int(row[0]), int(row[9]), str(row[10]), str(row[11]))

    def clusters(self) -> Iterator[ClusterRow]:
        """One row per document, in ingest order, streamed from one snapshot."""
        with self.snapshot():
            for key, story, lang, title in self.conn.rows("SELECT key, story_id, lang, title FROM documents "
                                                          "ORDER BY id"):
                yield ClusterRow(str(key), str(story), str(lang), str(title))

    def languages(self) -> list[tuple[str, int]]:
        rows = self.conn.all("SELECT lang, count(*) FROM documents GROUP BY lang ORDER BY 2 DESC, 1")
        return [(str(r[0]), int(r[1])) for r in rows]

    def source_known(self, source_id: int) -> bool:
        if not -_LIMIT <= source_id < _LIMIT:
            return False
        if self.conn.one("SELECT 1 FROM sources WHERE id = %s", (source_id,)):
            return True
        return self.conn.one("SELECT 1 FROM documents WHERE source_id = %s LIMIT 1", (source_id,)) is not None

    def sources(self, source_ids: list[int]) -> dict[int, SourceRow]:
        wanted = [i for i in source_ids if -_LIMIT <= i < _LIMIT]
        if not wanted:
            return {}
        rows = self.conn.all("SELECT id, title, url FROM sources WHERE id = ANY(%s)", (wanted,))
        return {int(r[0]): SourceRow(int(r[0]), _str_or_none(r[1]), _str_or_none(r[2])) for r in rows}

    # -- the reader's side: story pages, paging, search, grouping evidence

    def created(self) -> str | None:
        row = self.conn.one("SELECT value FROM meta WHERE key = 'created'")
        return str(row[0]) if row else None

    def source_choices(self) -> list[tuple[int, str]]:
        rows = self.conn.all("SELECT id, coalesce(nullif(title, ''), url) FROM sources ORDER BY 2, 1")
        return [(int(r[0]), str(r[1])) for r in rows]

    def story_exists(self, story_id: str) -> bool:
        return self.conn.one("SELECT 1 FROM stories WHERE id = %s", (story_id,)) is not None

    def story_page(self, limit: int, offset: int, *, lang: str | None = None,
                   source_id: int | None = None) -> tuple[list[str], int]:
        where, params = _story_filter(lang, source_id)
        total = int(self.conn.one(f"SELECT count(*) FROM stories s {where}", params)[0])
        rows = self.conn.all(
            f"SELECT s.id FROM stories s {where} ORDER BY s.updated DESC, s.id DESC LIMIT %s OFFSET %s",
            (*params, limit, offset))
        return [str(r[0]) for r in rows], total

    def search(self, query: str, limit: int, offset: int, *, lang: str | None = None) -> tuple[list[SearchHit], int]:
        """Stories whose documents' titles or texts hold every word of `query` (substrings, ignoring
        case), stories whose titles hold them all first, then the newest; and how many there are."""
        terms = _CONTROLS.sub(" ", query).split()
        if not terms:
            return [], 0
        clauses: list[str] = []
        params: list[object] = []
        title_clauses: list[str] = []
        title_params: list[object] = []
        for term in terms:
            pattern = _like_pattern(term)
            clauses.append("(d.title ILIKE %s OR d.text ILIKE %s)")
            params += [pattern, pattern]
            title_clauses.append("d.title ILIKE %s")
            title_params.append(pattern)
        if lang is not None:
            clauses.append("lower(d.lang) = lower(%s)")
            params.append(lang)
        where = " AND ".join(clauses)
        in_title = " AND ".join(title_clauses)
        total = int(self.conn.one(f"SELECT count(DISTINCT d.story_id) FROM documents d WHERE {where}", params)[0])
        rows = self.conn.all(
            f"SELECT d.story_id, min(d.id), bool_or({in_title}) AS in_title FROM documents d WHERE {where} "
            "GROUP BY d.story_id ORDER BY in_title DESC, max(d.id) DESC LIMIT %s OFFSET %s",
            (*title_params, *params, limit, offset))
        return [SearchHit(str(r[0]), int(r[1])) for r in rows], total

    def groupings(self, document_ids: list[int]) -> dict[int, GroupingRow]:
        wanted = [i for i in document_ids if -_LIMIT <= i < _LIMIT]
        if not wanted:
            return {}
        rows = self.conn.all("SELECT document_id, matched_document_id, rule, score, evidence FROM story_links "
                             "WHERE document_id = ANY(%s)", (wanted,))
        return {int(r[0]): _grouping(r) for r in rows}

    def revision_history(self, document_ids: list[int]) -> dict[int, list[RevisionRow]]:
        wanted = [i for i in document_ids if -_LIMIT <= i < _LIMIT]
        if not wanted:
            return {}
        rows = self.conn.all(
            "SELECT document_id, revision, title, text, url, lang, published, authors, description, meta_kept "
            "FROM revisions WHERE document_id = ANY(%s) ORDER BY document_id, revision", (wanted,))
        history: dict[int, list[RevisionRow]] = {}
        for r in rows:
            history.setdefault(int(r[0]), []).append(_revision(r))
        return history

    def revision_times(self, document_ids: list[int]) -> dict[tuple[int, int], str]:
        wanted = [i for i in document_ids if -_LIMIT <= i < _LIMIT]
        if not wanted:
            return {}
        rows = self.conn.all("SELECT document_id, revision, seen_at FROM revisions WHERE document_id = ANY(%s)",
                             (wanted,))
        return {(int(r[0]), int(r[1])): str(r[2]) for r in rows}

    def overview(self) -> Overview:
        one = self.conn.one
        sources = [dict(zip(_SOURCE_COLUMNS, row, strict=True)) for row in
                   self.conn.all(f"SELECT {', '.join(_SOURCE_COLUMNS)} FROM sources ORDER BY id")]
        return Overview(
            documents=int(one("SELECT count(*) FROM documents")[0]),
            stories=int(one("SELECT count(*) FROM stories")[0]),
            changes=int(one("SELECT count(*) FROM changes")[0]),
            errors=int(one("SELECT count(*) FROM ingest_errors")[0]),
            languages=self.languages(),
            created=self.created(),
            last_change=_str_or_none(one("SELECT max(at) FROM changes")[0]),
            sources=sources,
        )

    def scopes_changed_after(self, seq: int) -> tuple[int, set[str], set[int]]:
        rows = self.conn.all(
            "SELECT c.seq, d.lang, d.source_id FROM changes c JOIN documents d ON d.id = c.document_id "
            "WHERE c.seq > %s ORDER BY c.seq", (seq,))
        head = max((int(r[0]) for r in rows), default=seq)
        return head, {str(r[1]) for r in rows}, {int(r[2]) for r in rows if r[2] is not None}


def _story_filter(lang: str | None, source_id: int | None) -> tuple[str, tuple[object, ...]]:
    if lang is not None:
        return ("WHERE EXISTS (SELECT 1 FROM documents d WHERE d.story_id = s.id AND lower(d.lang) = lower(%s))",
                (lang,))
    if source_id is not None:
        return "WHERE EXISTS (SELECT 1 FROM documents d WHERE d.story_id = s.id AND d.source_id = %s)", (source_id,)
    return "", ()


def _change(r: Row) -> ChangeRow:
    return ChangeRow(int(r[0]), str(r[1]), int(r[2]), ChangeKind(r[3]), str(r[4]))
