"""Documents and stories: `documents`, `revisions`, `stories`, `changes`, `signatures`, `anchor_df`.

Writes run inside the front's `transaction()`; the pipeline decides which story a document
joins and what kind of change that is, this table group only records it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from storage.clock import utcnow
from storage.connection import Connection
from storage.model import ChangeKind, Counts, GroupingEvidence, NewDocument, StoredDocument, StoredSignature

_SIGNATURE_COLUMNS = ("d.id, d.story_id, d.lang, d.content_hash, d.window_time, "
                      "s.lexical, s.anchor_minhash, s.anchors")


def _signature(row: tuple[Any, ...]) -> StoredSignature:
    anchors = str(row[7] or "")
    return StoredSignature(int(row[0]), str(row[1]), str(row[2]), str(row[3]), float(row[4]),
                           bytes(row[5]), bytes(row[6]), tuple(anchors.split()))


class Documents:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Documents added in the open transaction, not yet in the search index (see `index_added`).
        self._unindexed: list[int] = []
        # The open transaction's changes to anchor document frequencies, written at its end.
        self._anchor_deltas: dict[str, int] = {}
        # The rows of the documents added in the open transaction and not yet written, by
        # statement, in the order the statements run (see `add`), and the next document's id.
        self._deferred: tuple[list[tuple[Any, ...]], ...] = tuple([] for _ in _DEFERRED_STATEMENTS)
        self._next_id: int | None = None
        self._writing = False  # inside the front's `transaction()` (or `add`'s own): rows may wait

    # -- reading

    def find(self, key: str) -> StoredDocument | None:
        self._write_deferred()
        row = self.conn.one("SELECT id, story_id, content_hash, revision, lang FROM documents WHERE key = ?", (key,))
        return StoredDocument(*row) if row else None

    def copy_of(self, content_hash: str) -> StoredSignature | None:
        """The stored signature (and story) of the earliest document with exactly this content."""
        self._write_deferred()
        row = self.conn.one(
            f"SELECT {_SIGNATURE_COLUMNS} FROM documents d JOIN signatures s ON s.document_id = d.id "
            "WHERE d.content_hash = ? ORDER BY d.id LIMIT 1", (content_hash,))
        return _signature(row) if row else None

    def story_languages(self, story_id: str) -> set[str]:
        self._write_deferred()
        return {r[0] for r in self.conn.all("SELECT DISTINCT lang FROM documents WHERE story_id = ?", (story_id,))}

    def anchors_of(self, document_id: int) -> tuple[str, ...]:
        self._write_deferred()
        row = self.conn.one("SELECT anchors FROM signatures WHERE document_id = ?", (document_id,))
        return tuple(row[0].split()) if row and row[0] else ()

    def signatures_since(self, window_start: float) -> Iterator[StoredSignature]:
        """Stored signatures of the documents in the live window, oldest first."""
        self._write_deferred()
        for row in self.conn.rows(
                f"SELECT {_SIGNATURE_COLUMNS} FROM documents d JOIN signatures s ON s.document_id = d.id "
                "WHERE d.window_time >= ? ORDER BY d.id", (window_start,)):
            yield _signature(row)

    def head_seq(self) -> int:
        """The newest change's sequence number (0 before the first)."""
        self._write_deferred()
        return int(self.conn.one("SELECT coalesce(max(seq), 0) FROM changes")[0])

    def changes_since(self, seq: int) -> list[tuple[int, ChangeKind, StoredSignature]]:
        """Every change after `seq`, oldest first, with the changed document's signature as it is
        now: what another writer stored since this one last looked."""
        self._write_deferred()
        rows = self.conn.all(
            f"SELECT c.seq, c.kind, {_SIGNATURE_COLUMNS} FROM changes c "
            "JOIN documents d ON d.id = c.document_id JOIN signatures s ON s.document_id = d.id "
            "WHERE c.seq > ? ORDER BY c.seq", (seq,))
        return [(int(r[0]), ChangeKind(r[1]), _signature(r[2:])) for r in rows]

    def anchor_document_frequencies(self) -> tuple[dict[str, int], int]:
        self._write_deferred()
        df = {str(t): int(n) for t, n in self.conn.all("SELECT token, df FROM anchor_df WHERE df > 0")}
        return df, int(self.conn.one("SELECT count(*) FROM documents")[0])

    def counts(self) -> Counts:
        self._write_deferred()
        one = self.conn.one
        return Counts(
            documents=int(one("SELECT count(*) FROM documents")[0]),
            stories=int(one("SELECT count(*) FROM stories")[0]),
            changes=int(one("SELECT count(*) FROM changes")[0]),
            errors=int(one("SELECT count(*) FROM ingest_errors")[0]),
        )

    # -- writing (inside the front's transaction)

    def add(self, doc: NewDocument, story_id: str, kind: ChangeKind) -> int:
        """Insert a document into story `story_id` (a new story when `kind` is CREATED) with its
        change-log row, and `doc.grouping` (why it joined an existing story); return its id.

        Inside a transaction the rows wait, and are written together (`_write_deferred`) before
        anything reads these tables and at the transaction's end: one statement a table instead
        of half a dozen a document. The write lock is held, so the ids are the ones SQLite would
        give (the largest + 1). The search index (documents_fts) follows in the same transaction
        (`index_added`, which the front's `transaction()` calls before it commits, or
        `index_written_so_far`)."""
        if not self._writing:
            return self._in_own_transaction(lambda: self.add(doc, story_id, kind))
        if self._next_id is None:
            self._write_deferred()
            self._next_id = int(self.conn.one("SELECT coalesce(max(id), 0) + 1 FROM documents")[0])
        document_id, self._next_id = self._next_id, self._next_id + 1
        now = utcnow()
        authors = _authors(doc.authors)
        documents, new_stories, touched_stories, revisions, signatures, changes, groupings = self._deferred
        documents.append((document_id, doc.key, story_id, doc.url, doc.title, doc.text, doc.lang, doc.published,
                          doc.updated, authors, doc.description, doc.image, doc.content_hash, doc.source_id,
                          now, now, doc.window_time))
        if kind is ChangeKind.CREATED:
            new_stories.append((story_id, document_id, now, now))
        else:
            touched_stories.append((now, story_id))
        revisions.append((document_id, 1, doc.content_hash, doc.title, doc.text, now, doc.url, doc.lang,
                          doc.published, authors, doc.description))
        signatures.append(_signature_row(document_id, doc))
        self._count_anchors(doc.anchors)
        changes.append((story_id, document_id, kind.value, now))
        if doc.grouping is not None:
            groupings.append(_grouping_row(document_id, doc.grouping))
        self._unindexed.append(document_id)
        return document_id

    def begin_writing(self) -> None:
        """The front's `transaction()` has taken the write lock: `add` may defer its rows, which
        `write_pending` writes before the commit (or `forget_added` drops)."""
        self._writing, self._next_id = True, None

    def _in_own_transaction(self, write: Callable[[], int]) -> int:
        """`write` as one transaction of its own (a caller outside one: all of it or nothing;
        inside another kind, a snapshot's, SQLite refuses the BEGIN: nothing is lost)."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.begin_writing()
        try:
            written = write()
            self.write_pending()
            self.conn.execute("COMMIT")
        except BaseException:
            self.forget_added()
            self.conn.rollback()
            raise
        return written

    def _write_deferred(self) -> None:
        """Write the rows `add` left waiting, a statement per table (in the order of the
        statements: a story before its change-log rows, a document before its signature)."""
        if not any(self._deferred):
            return
        for sql, rows in zip(_DEFERRED_STATEMENTS, self._deferred, strict=True):
            if rows:
                self.conn.executemany(sql, rows)
                rows.clear()

    def index_written_so_far(self) -> None:
        """Write what the open transaction added so far, and put it in the search index on the
        connection's helper thread while the caller decides the next documents (the index's
        insertion is most of a write's cost, and SQLite runs it without the GIL). The
        transaction's next statement waits for it."""
        self._write_deferred()
        if self._unindexed:
            ids, self._unindexed = self._unindexed, []
            self.conn.execute_in_background(_INDEX_ADDED, (json.dumps(ids),))

    def write_pending(self) -> None:
        """What the open transaction's writes leave for its end (the front's `transaction()` calls
        it before it commits): the anchors' document frequencies, one row per token however many
        documents counted it, then the search index."""
        self._write_deferred()
        self._writing, self._next_id = False, None
        if self._anchor_deltas:
            deltas, self._anchor_deltas = self._anchor_deltas, {}
            self.conn.executemany(
                "INSERT INTO anchor_df (token, df) VALUES (?, ?) ON CONFLICT(token) DO UPDATE SET df = df + ?",
                [(token, max(delta, 0), delta) for token, delta in sorted(deltas.items())])
        self.index_added()

    def index_added(self) -> None:
        """Put the documents added since the last call in the search index, in one statement.

        Last in the transaction, not by trigger as each is inserted: FTS5 writes what it has
        gathered to disk at every statement savepoint, and most writes here open one (a
        trigger, an upsert, a foreign key), so a trigger made one small index segment per
        document, to be merged again and again: twice the work (0.27 against 0.13 ms of CPU
        per wmt22 document)."""
        if not self._unindexed:
            return
        ids, self._unindexed = self._unindexed, []
        self.conn.execute(_INDEX_ADDED, (json.dumps(ids),))

    def index_missed(self) -> int:
        """Put in the search index the documents stored after its last one; how many. A process
        of an older version (which indexed by trigger) may have gone on writing after a newer
        one migrated the file and dropped the trigger: their documents are found again from the
        next open on. (Two cheap look-ups when nothing was missed.)"""
        last_stored = self.conn.one("SELECT coalesce(max(id), 0) FROM documents")[0]
        last_indexed = self.conn.one("SELECT coalesce(max(id), 0) FROM documents_fts_docsize")[0]
        if last_stored <= last_indexed:
            return 0
        cursor = self.conn.execute("INSERT INTO documents_fts (rowid, title, text) SELECT id, title, text "
                                   "FROM documents WHERE id > ? ORDER BY id", (last_indexed,))
        return int(cursor.rowcount)

    def forget_added(self) -> None:
        """The transaction rolled back: its documents are gone, and so are their counts and indexing."""
        self._unindexed = []
        self._anchor_deltas = {}
        for rows in self._deferred:
            rows.clear()
        self._writing, self._next_id = False, None

    def change(self, document_id: int, story_id: str, doc: NewDocument, revision: int,
               old_anchors: Iterable[str]) -> None:
        """Record a new text for an existing document."""
        self._write_deferred()
        if document_id in self._unindexed:
            self.index_added()  # the update trigger takes its old text out of the index
        now = utcnow()
        authors = _authors(doc.authors)
        self.conn.execute(
            """UPDATE documents SET url = ?, title = ?, text = ?, lang = ?, published = ?, updated = ?,
                   authors = ?, description = ?, image = ?, content_hash = ?, revision = ?, last_changed = ?,
                   window_time = ? WHERE id = ?""",
            (doc.url, doc.title, doc.text, doc.lang, doc.published, doc.updated, authors,
             doc.description, doc.image, doc.content_hash, revision, now, doc.window_time, document_id),
        )
        self.conn.execute(_INSERT_REVISION, (document_id, revision, doc.content_hash, doc.title, doc.text, now,
                                             doc.url, doc.lang, doc.published, authors, doc.description))
        self._count_anchors(old_anchors, -1)
        self.conn.execute(_WRITE_SIGNATURE, _signature_row(document_id, doc))
        self._count_anchors(doc.anchors)
        self.conn.execute(_TOUCH_STORY, (now, story_id))
        self.conn.execute(_LOG_CHANGE, (story_id, document_id, ChangeKind.CHANGED.value, now))

    def _count_anchors(self, anchors: Iterable[str], delta: int = 1) -> None:
        if self._writing or self.conn.in_transaction:
            # Summed, and written once at the transaction's end (`write_pending`): the same counts.
            # (A negative delta is an existing document's old anchor, so its row exists.)
            pending = self._anchor_deltas
            for token in anchors:
                pending[token] = pending.get(token, 0) + delta
            return
        self.conn.executemany(
            "INSERT INTO anchor_df (token, df) VALUES (?, ?) ON CONFLICT(token) DO UPDATE SET df = df + ?",
            [(t, max(delta, 0), delta) for t in anchors],
        )


def _authors(authors: Iterable[str]) -> str:
    listed = list(authors)
    return json.dumps(listed, ensure_ascii=False) if listed else "[]"  # (most texts name none)


def _signature_row(document_id: int, doc: NewDocument) -> tuple[Any, ...]:
    return document_id, doc.lexical, doc.anchor_minhash, " ".join(doc.anchors)


def _grouping_row(document_id: int, evidence: GroupingEvidence) -> tuple[Any, ...]:
    return (document_id, evidence.matched_document_id, evidence.rule, evidence.score,
            json.dumps(evidence.evidence_json(), ensure_ascii=False))


_INSERT_DOCUMENT = """INSERT INTO documents (id, key, story_id, url, title, text, lang, published, updated, authors,
    description, image, content_hash, revision, source_id, first_seen, last_changed, window_time)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)"""
_INSERT_STORY = "INSERT INTO stories (id, representative_id, first_seen, updated) VALUES (?, ?, ?, ?)"
_TOUCH_STORY = "UPDATE stories SET updated = ? WHERE id = ?"
_INSERT_REVISION = """INSERT INTO revisions (document_id, revision, content_hash, title, text, seen_at, url, lang,
    published, authors, description, meta_kept) VALUES (?,?,?,?,?,?,?,?,?,?,?,1)"""
_WRITE_SIGNATURE = "INSERT OR REPLACE INTO signatures (document_id, lexical, anchor_minhash, anchors) VALUES (?,?,?,?)"
_LOG_CHANGE = "INSERT INTO changes (story_id, document_id, kind, at) VALUES (?, ?, ?, ?)"
_RECORD_GROUPING = """INSERT OR REPLACE INTO story_links (document_id, matched_document_id, rule, score, evidence)
    VALUES (?, ?, ?, ?, ?)"""
# What `add` defers, in the order `_write_deferred` writes it: documents before the rows that
# refer to them; new stories before the updates and change-log rows of their later documents.
_DEFERRED_STATEMENTS = (_INSERT_DOCUMENT, _INSERT_STORY, _TOUCH_STORY, _INSERT_REVISION, _WRITE_SIGNATURE,
                        _LOG_CHANGE, _RECORD_GROUPING)
_INDEX_ADDED = ("INSERT INTO documents_fts (rowid, title, text) SELECT id, title, text FROM documents "
                "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id")
