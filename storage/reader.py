"""Read-only queries the feeds make: the change log, stories as they stood at a given change, documents.

`SqliteReader` is SQLite's `storage.interfaces.FeedReader` (PostgreSQL's is
`storage.postgres.reader.PgReader`; `storage.factory.open_reader` chooses by the database
setting). `ThreadReaders` gives each thread its own reader, of either backend.

The feeds are views over the append-only `changes` table. Everything here reads inside one
snapshot (`FeedReader.snapshot()`), so a page rendered while the pipeline writes shows the
database as of one sequence number, never half of a document's transaction.

The queries use `changes` by rowid (seq) and by (story_id, seq), and the primary keys of
`documents` and `revisions`. Per-language and per-source feeds walk the change log backwards
until they have enough stories: cheap for busy languages and sources, a longer walk for rare
ones.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from storage.connection import Connection, translate
from storage.errors import StorageError, StorageUnavailable
from storage.factory import open_reader
from storage.interfaces import FeedReader
from storage.migrations import check_readable
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

# The feeds import the reader's protocol and records from here.
__all__ = ["ChangeRow", "DocumentRow", "FeedReader", "GroupingRow", "Overview", "RevisionRow", "SearchHit",
           "SourceRow", "SqliteReader", "StoryRow", "ThreadReaders", "connect"]

# A search term shorter than a trigram cannot use the index: it is matched with LIKE instead.
_TRIGRAM = 3
_CONTROLS = re.compile("[\x00-\x1f\x7f]")


def connect(path: str) -> Connection:
    """A read connection to an existing database; never creates one, never writes.

    Opened read-write at the file level where the file allows it (so SQLite can map the WAL
    index even when the writer has closed) but with query_only on, so no statement through it
    can change anything; a file the user may not write is opened read-only. A database made by
    a newer newsdedup is refused.
    """
    if not Path(path).is_file():
        raise StorageUnavailable(f"there is no database {path!r} yet: replay or crawl first, or give --db")
    uri = f"file:{quote(str(Path(path).resolve()))}"
    writable = os.access(path, os.W_OK) and os.access(Path(path).resolve().parent, os.W_OK)
    try:
        raw = sqlite3.connect(f"{uri}?mode={'rw' if writable else 'ro'}", uri=True, timeout=5,
                              isolation_level=None, check_same_thread=False)
        raw.execute("PRAGMA query_only=ON")
    except sqlite3.Error as exc:
        raise translate(exc, path) from None
    # Text another tool wrote need not be UTF-8; a feed must still render (the bad bytes become U+FFFD).
    raw.text_factory = lambda data: data.decode("utf-8", "replace")
    conn = Connection(raw, path)
    try:
        check_readable(conn)
    except StorageError:
        raw.close()
        if writable:
            raise
        # A read-only WAL database whose -shm file cannot be made: read it as an immutable file.
        raw = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
        raw.text_factory = lambda data: data.decode("utf-8", "replace")
        conn = Connection(raw, path)
        check_readable(conn)
    return conn


class SqliteReader:
    """The feed queries over one SQLite connection. Use one reader per thread."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._tables: dict[str, bool] = {}

    @property
    def path(self) -> str:
        return self.conn.path

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqliteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def snapshot(self) -> Iterator[SqliteReader]:
        """One read transaction: every query inside sees the same committed state (WAL snapshot)."""
        self.conn.execute("BEGIN")
        try:
            yield self
        finally:
            self.conn.execute("COMMIT")

    def ping(self) -> int:
        """The newest sequence number; raises when the database cannot be read."""
        return self.head_seq()

    def head_seq(self) -> int:
        """The newest change's sequence number, 0 before the first change."""
        row = self.conn.one("SELECT max(seq) FROM changes")
        return int(row[0] or 0)

    def changes_between(self, first_seq: int, last_seq: int) -> list[ChangeRow]:
        """The change log from `first_seq` to `last_seq` inclusive, oldest first (a rowid range)."""
        rows = self.conn.all(
            "SELECT seq, story_id, document_id, kind, at FROM changes WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (first_seq, last_seq),
        )
        return [ChangeRow(r[0], r[1], r[2], ChangeKind(r[3]), r[4]) for r in rows]

    def recent_story_heads(self, limit: int, *, lang: str | None = None,
                           source_id: int | None = None) -> list[tuple[str, int]]:
        """(story id, newest matching seq) for the `limit` stories changed last, newest first.

        Optionally only changes to documents in one language or from one source. The log is
        read backwards and the cursor dropped once enough stories are found; CROSS JOIN keeps
        SQLite from reordering the join into a scan of documents.
        """
        if lang is not None:
            sql = ("SELECT c.seq, c.story_id FROM changes c CROSS JOIN documents d ON d.id = c.document_id "
                   "WHERE d.lang = ? COLLATE NOCASE ORDER BY c.seq DESC")  # BCP 47 tags ignore case
            params: tuple[object, ...] = (lang,)
        elif source_id is not None:
            sql = ("SELECT c.seq, c.story_id FROM changes c CROSS JOIN documents d ON d.id = c.document_id "
                   "WHERE d.source_id = ? ORDER BY c.seq DESC")
            params = (source_id,)
        else:
            sql, params = "SELECT seq, story_id FROM changes ORDER BY seq DESC", ()
        heads: dict[str, int] = {}
        with self.conn.errors():
            cursor = self.conn.raw.execute(sql, params)
            try:
                for seq, story_id in cursor:
                    if story_id not in heads:
                        heads[story_id] = seq
                        if len(heads) >= limit:
                            break
            finally:
                cursor.close()
        return list(heads.items())

    def story_changes(self, story_ids: list[str], up_to_seq: int) -> list[ChangeRow]:
        """Every change of these stories up to `up_to_seq`, oldest first (the (story_id, seq) index)."""
        if not story_ids:
            return []
        marks = ",".join("?" * len(story_ids))
        rows = self.conn.all(
            f"SELECT seq, story_id, document_id, kind, at FROM changes WHERE story_id IN ({marks}) AND seq <= ? "
            "ORDER BY seq",
            (*story_ids, up_to_seq),
        )
        return [ChangeRow(r[0], r[1], r[2], ChangeKind(r[3]), r[4]) for r in rows]

    def stories(self, story_ids: list[str]) -> dict[str, StoryRow]:
        if not story_ids:
            return {}
        marks = ",".join("?" * len(story_ids))
        rows = self.conn.all(
            f"SELECT id, representative_id, first_seen FROM stories WHERE id IN ({marks})", story_ids
        )
        return {r[0]: StoryRow(*r) for r in rows}

    def documents(self, document_ids: list[int]) -> dict[int, DocumentRow]:
        if not document_ids:
            return {}
        marks = ",".join("?" * len(document_ids))
        rows = self.conn.all(
            "SELECT id, key, story_id, url, lang, published, authors, description, source_id "
            f"FROM documents WHERE id IN ({marks})",
            document_ids,
        )
        return {r[0]: _document(r) for r in rows}

    def revisions(self, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], RevisionRow]:
        """The stored texts for (document id, revision) pairs: a document as it read at that revision."""
        if not wanted:
            return {}
        values = ",".join("(?,?)" for _ in wanted)
        params = [x for pair in wanted for x in pair]
        rows = self.conn.all(
            "SELECT document_id, revision, title, text, url, lang, published, authors, description, meta_kept "
            "FROM revisions "
            f"WHERE (document_id, revision) IN (VALUES {values})",
            params,
        )
        return {(r[0], r[1]): _revision(r) for r in rows}

    def document(self, document_id: int) -> tuple[DocumentRow, RevisionRow] | None:
        """A stored document with its latest text."""
        if not -(2**63) <= document_id < 2**63:  # beyond SQLite's integers: no such document
            return None
        row = self.conn.one(
            "SELECT id, key, story_id, url, lang, published, authors, description, source_id, revision, title, text "
            "FROM documents WHERE id = ?",
            (document_id,),
        )
        if row is None:
            return None
        return _document(row[:9]), RevisionRow(row[0], row[9], row[10], row[11])

    def clusters(self) -> Iterator[ClusterRow]:
        """One row per document: its key, story, language and title, in ingest order."""
        for key, story, lang, title in self.conn.rows("SELECT key, story_id, lang, title FROM documents ORDER BY id"):
            yield ClusterRow(key, story, lang, title)

    def languages(self) -> list[tuple[str, int]]:
        """Languages with their number of documents, most documents first."""
        rows = self.conn.all("SELECT lang, count(*) FROM documents GROUP BY lang ORDER BY 2 DESC, 1")
        return [(r[0], r[1]) for r in rows]

    def source_known(self, source_id: int) -> bool:
        if not -(2**63) <= source_id < 2**63:  # beyond SQLite's integers: no such source
            return False
        if self.conn.one("SELECT 1 FROM sources WHERE id = ?", (source_id,)):
            return True
        return self.conn.one("SELECT 1 FROM documents WHERE source_id = ? LIMIT 1", (source_id,)) is not None

    def sources(self, source_ids: list[int]) -> dict[int, SourceRow]:
        """Title and URL of known sources."""
        if not source_ids:
            return {}
        marks = ",".join("?" * len(source_ids))
        rows = self.conn.all(f"SELECT id, title, url FROM sources WHERE id IN ({marks})", source_ids)
        return {r[0]: SourceRow(r[0], _str_or_none(r[1]), _str_or_none(r[2])) for r in rows}

    # -- the reader's side: story pages, paging, search, grouping evidence

    def has_table(self, name: str) -> bool:
        """Whether the database has `name` (a read-only database made before migration 4 has not)."""
        if name not in self._tables:
            self._tables[name] = self.conn.one("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)) is not None
        return self._tables[name]

    def created(self) -> str | None:
        """When the database was made (migration 4 records it); None for an older one."""
        row = self.conn.one("SELECT value FROM meta WHERE key = 'created'")
        return str(row[0]) if row else None

    def source_choices(self) -> list[tuple[int, str]]:
        """(id, title or URL) of every source, for a filter."""
        rows = self.conn.all("SELECT id, coalesce(nullif(title, ''), url) FROM sources ORDER BY 2, 1")
        return [(int(r[0]), str(r[1])) for r in rows]

    def story_exists(self, story_id: str) -> bool:
        return self.conn.one("SELECT 1 FROM stories WHERE id = ?", (story_id,)) is not None

    def story_page(self, limit: int, offset: int, *, lang: str | None = None,
                   source_id: int | None = None) -> tuple[list[str], int]:
        """(story ids, how many stories match): the stories changed last first, optionally only those
        with a document in `lang` or from `source_id`; `offset` stories skipped."""
        where, params = _story_filter(lang, source_id)
        total = int(self.conn.one(f"SELECT count(*) FROM stories s {where}", params)[0])
        rows = self.conn.all(f"SELECT s.id FROM stories s {where} ORDER BY s.updated DESC, s.id DESC LIMIT ? OFFSET ?",
                             (*params, limit, offset))
        return [str(r[0]) for r in rows], total

    def search(self, query: str, limit: int, offset: int, *, lang: str | None = None) -> tuple[list[SearchHit], int]:
        """Stories whose documents' titles or texts hold every word of `query` (any language, any
        script: a trigram index, substring matching), best match first; and how many there are."""
        # FTS5 strings cannot hold control characters (a NUL ends one): they separate words here.
        terms = _CONTROLS.sub(" ", query).split()
        if not terms:
            return [], 0
        long_terms = [t for t in terms if len(t) >= _TRIGRAM]
        short_terms = [t for t in terms if len(t) < _TRIGRAM]
        clauses: list[str] = []
        params: list[object] = []
        if long_terms and self.has_table("documents_fts"):
            source = "documents_fts f JOIN documents d ON d.id = f.rowid"
            clauses.append("documents_fts MATCH ?")
            params.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms))
            rank = "min(f.rank)"
        else:
            source, rank = "documents d", "0"
            short_terms = terms
        for term in short_terms:
            clauses.append("(d.title LIKE ? ESCAPE '\\' OR d.text LIKE ? ESCAPE '\\')")
            pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        if lang is not None:
            clauses.append("d.lang = ? COLLATE NOCASE")
            params.append(lang)
        where = " AND ".join(clauses)
        total = int(self.conn.one(f"SELECT count(DISTINCT d.story_id) FROM {source} WHERE {where}", params)[0])
        rows = self.conn.all(
            f"SELECT d.story_id, min(d.id), {rank} AS score FROM {source} WHERE {where} "
            "GROUP BY d.story_id ORDER BY score, max(d.id) DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        return [SearchHit(str(r[0]), int(r[1])) for r in rows], total

    def groupings(self, document_ids: list[int]) -> dict[int, GroupingRow]:
        """The recorded reason each of these documents joined its story (absent: it started it, or was
        stored before reasons were recorded)."""
        if not document_ids or not self.has_table("story_links"):
            return {}
        marks = ",".join("?" * len(document_ids))
        rows = self.conn.all("SELECT document_id, matched_document_id, rule, score, evidence FROM story_links "
                             f"WHERE document_id IN ({marks})", document_ids)
        return {int(r[0]): _grouping(r) for r in rows}

    def revision_history(self, document_ids: list[int]) -> dict[int, list[RevisionRow]]:
        """Every stored text of these documents, oldest revision first."""
        if not document_ids:
            return {}
        marks = ",".join("?" * len(document_ids))
        rows = self.conn.all(
            "SELECT document_id, revision, title, text, url, lang, published, authors, description, meta_kept "
            f"FROM revisions WHERE document_id IN ({marks}) ORDER BY document_id, revision", document_ids)
        history: dict[int, list[RevisionRow]] = {}
        for r in rows:
            history.setdefault(int(r[0]), []).append(_revision(r))
        return history

    def revision_times(self, document_ids: list[int]) -> dict[tuple[int, int], str]:
        """When each (document, revision) was seen."""
        if not document_ids:
            return {}
        marks = ",".join("?" * len(document_ids))
        rows = self.conn.all(f"SELECT document_id, revision, seen_at FROM revisions WHERE document_id IN ({marks})",
                             document_ids)
        return {(int(r[0]), int(r[1])): str(r[2]) for r in rows}

    def overview(self) -> Overview:
        one = self.conn.one
        sources = []
        if self.has_table("sources"):
            columns = {r[1] for r in self.conn.all("PRAGMA table_info(sources)")}
            wanted = [c for c in ("id", "url", "title", "kind", "enabled", "last_run", "last_success",
                                  "last_error_kind", "last_error", "consecutive_failures", "paused_reason")
                      if c in columns]
            for row in self.conn.all(f"SELECT {', '.join(wanted)} FROM sources ORDER BY id"):
                sources.append(dict(zip(wanted, row, strict=True)))
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
        """(newest seq, languages, source ids) touched by changes after `seq`: what to announce."""
        rows = self.conn.all(
            "SELECT c.seq, d.lang, d.source_id FROM changes c CROSS JOIN documents d ON d.id = c.document_id "
            "WHERE c.seq > ? ORDER BY c.seq",
            (seq,),
        )
        head = max((r[0] for r in rows), default=seq)
        return head, {r[1] for r in rows}, {r[2] for r in rows if r[2] is not None}


def _story_filter(lang: str | None, source_id: int | None) -> tuple[str, tuple[object, ...]]:
    if lang is not None:
        return ("WHERE EXISTS (SELECT 1 FROM documents d WHERE d.story_id = s.id AND d.lang = ? COLLATE NOCASE)",
                (lang,))
    if source_id is not None:
        return "WHERE EXISTS (SELECT 1 FROM documents d WHERE d.story_id = s.id AND d.source_id = ?)", (source_id,)
    return "", ()


# -- rows as both backends store them (JSON text for the authors)


def _document(r: tuple) -> DocumentRow:  # type: ignore[type-arg]
    try:
        authors = tuple(str(a) for a in json.loads(r[6] or "[]") if a)
    except (ValueError, TypeError):
        authors = ()
    return DocumentRow(r[0], r[1], r[2], r[3], r[4], r[5], authors, r[7], r[8])


def _grouping(r: tuple) -> GroupingRow:  # type: ignore[type-arg]
    """A story_links row (document_id, matched_document_id, rule, score, evidence JSON)."""
    document_id, matched, rule, score, evidence = r
    try:
        parsed = json.loads(evidence or "{}")
    except ValueError:
        parsed = {}
    parsed = parsed if isinstance(parsed, dict) else {}
    anchors = parsed.get("shared_anchors")
    similarity = parsed.get("lexical_similarity")
    return GroupingRow(int(document_id), int(matched) if matched is not None else None, str(rule), float(score),
                       tuple(str(a) for a in anchors) if isinstance(anchors, list) else (),
                       float(similarity) if isinstance(similarity, int | float) else None)


def _revision(r: tuple) -> RevisionRow:  # type: ignore[type-arg]
    authors = None
    if r[7] is not None:
        try:
            parsed = json.loads(r[7])
            authors = tuple(str(a) for a in parsed) if isinstance(parsed, list) else None
        except ValueError:
            authors = None
    return RevisionRow(r[0], r[1], r[2], r[3], bool(r[9]), _str_or_none(r[4]), _str_or_none(r[5]),
                       _str_or_none(r[6]), authors, _str_or_none(r[8]))


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


class ThreadReaders:
    """One FeedReader per thread for the database `db` names (an SQLite file or a PostgreSQL URL):
    connections are cheap to keep, sharing one between threads is not."""

    def __init__(self, db: str) -> None:
        self.path = db
        self._local = threading.local()
        self._all: list[FeedReader] = []
        self._lock = threading.Lock()

    def get(self) -> FeedReader:
        reader: FeedReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = open_reader(self.path)
            self._local.reader = reader
            with self._lock:
                self._all.append(reader)
        return reader

    def close(self) -> None:
        with self._lock:
            for reader in self._all:
                reader.close()
            self._all.clear()
