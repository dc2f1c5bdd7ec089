"""Documents and stories on PostgreSQL: the queries of `storage.documents`, in PostgreSQL's SQL.

Writes run inside the front's `transaction()`, which holds the write lock until it commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from storage.clock import utcnow
from storage.documents import _SIGNATURE_COLUMNS, _authors, _signature
from storage.model import ChangeKind, Counts, GroupingEvidence, NewDocument, StoredDocument, StoredSignature
from storage.postgres.connection import PgConnection


class PgDocuments:
    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    # -- reading

    def find(self, key: str) -> StoredDocument | None:
        row = self.conn.one("SELECT id, story_id, content_hash, revision, lang FROM documents WHERE key = %s", (key,))
        return StoredDocument(*row) if row else None

    def copy_of(self, content_hash: str) -> StoredSignature | None:
        """The stored signature (and story) of the earliest document with exactly this content."""
        row = self.conn.one(
            f"SELECT {_SIGNATURE_COLUMNS} FROM documents d JOIN signatures s ON s.document_id = d.id "
            "WHERE d.content_hash = %s ORDER BY d.id LIMIT 1", (content_hash,))
        return _signature(row) if row else None

    def story_languages(self, story_id: str) -> set[str]:
        return {r[0] for r in self.conn.all("SELECT DISTINCT lang FROM documents WHERE story_id = %s", (story_id,))}

    def anchors_of(self, document_id: int) -> tuple[str, ...]:
        row = self.conn.one("SELECT anchors FROM signatures WHERE document_id = %s", (document_id,))
        return tuple(row[0].split()) if row and row[0] else ()

    def signatures_since(self, window_start: float) -> Iterator[StoredSignature]:
        """Stored signatures of the documents in the live window, oldest first."""
        for row in self.conn.rows(
                f"SELECT {_SIGNATURE_COLUMNS} FROM documents d JOIN signatures s ON s.document_id = d.id "
                "WHERE d.window_time >= %s ORDER BY d.id", (window_start,)):
            yield _signature(row)

    def head_seq(self) -> int:
        """The newest change's sequence number (0 before the first)."""
        return int(self.conn.one("SELECT coalesce(max(seq), 0) FROM changes")[0])

    def changes_since(self, seq: int) -> list[tuple[int, ChangeKind, StoredSignature]]:
        """Every change after `seq`, oldest first, with the changed document's signature as it is
        now. Sequence numbers may have gaps (a rolled-back write used one), never a late commit:
        every write holds the write lock from its first statement to its commit."""
        rows = self.conn.all(
            f"SELECT c.seq, c.kind, {_SIGNATURE_COLUMNS} FROM changes c "
            "JOIN documents d ON d.id = c.document_id JOIN signatures s ON s.document_id = d.id "
            "WHERE c.seq > %s ORDER BY c.seq", (seq,))
        return [(int(r[0]), ChangeKind(r[1]), _signature(r[2:])) for r in rows]

    def anchor_document_frequencies(self) -> tuple[dict[str, int], int]:
        df = {str(t): int(n) for t, n in self.conn.all("SELECT token, df FROM anchor_df WHERE df > 0")}
        return df, int(self.conn.one("SELECT count(*) FROM documents")[0])

    def counts(self) -> Counts:
        row = self.conn.one("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stories), "
                            "(SELECT count(*) FROM changes), (SELECT count(*) FROM ingest_errors)")
        return Counts(documents=int(row[0]), stories=int(row[1]), changes=int(row[2]), errors=int(row[3]))

    # -- writing (inside the front's transaction)

    def add(self, doc: NewDocument, story_id: str, kind: ChangeKind) -> int:
        """Insert a document into story `story_id` (a new story when `kind` is CREATED) with its
        change-log row, and `doc.grouping` (why it joined an existing story); return its id."""
        now = utcnow()
        row = self.conn.one(
            """INSERT INTO documents (key, story_id, url, title, text, lang, published, updated, authors,
                   description, image, content_hash, revision, source_id, first_seen, last_changed, window_time)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s, %s, %s) RETURNING id""",
            (doc.key, story_id, doc.url, doc.title, doc.text, doc.lang, doc.published, doc.updated,
             _authors(doc.authors), doc.description, doc.image, doc.content_hash,
             doc.source_id, now, now, doc.window_time),
        )
        document_id = int(row[0])
        if kind is ChangeKind.CREATED:
            self.conn.execute("INSERT INTO stories (id, representative_id, first_seen, updated) "
                              "VALUES (%s, %s, %s, %s)", (story_id, document_id, now, now))
        else:
            self.conn.execute("UPDATE stories SET updated = %s WHERE id = %s", (now, story_id))
        self._record_revision(document_id, 1, doc, now)
        self._write_signature(document_id, doc)
        self._count_anchors(doc.anchors)
        self._log_change(story_id, document_id, kind, now)
        if doc.grouping is not None:
            self._record_grouping(document_id, doc.grouping)
        return document_id

    def _record_grouping(self, document_id: int, evidence: GroupingEvidence) -> None:
        self.conn.execute(
            "INSERT INTO story_links (document_id, matched_document_id, rule, score, evidence) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (document_id) DO UPDATE SET "
            "matched_document_id = excluded.matched_document_id, rule = excluded.rule, score = excluded.score, "
            "evidence = excluded.evidence",
            (document_id, evidence.matched_document_id, evidence.rule, evidence.score,
             json.dumps(evidence.evidence_json(), ensure_ascii=False)))

    def index_written_so_far(self) -> None:
        """Nothing waits here: PostgreSQL's search index follows each row as it is written."""

    def change(self, document_id: int, story_id: str, doc: NewDocument, revision: int,
               old_anchors: Iterable[str]) -> None:
        """Record a new text for an existing document."""
        now = utcnow()
        self.conn.execute(
            """UPDATE documents SET url = %s, title = %s, text = %s, lang = %s, published = %s, updated = %s,
                   authors = %s, description = %s, image = %s, content_hash = %s, revision = %s,
                   last_changed = %s, window_time = %s WHERE id = %s""",
            (doc.url, doc.title, doc.text, doc.lang, doc.published, doc.updated, _authors(doc.authors),
             doc.description, doc.image, doc.content_hash, revision, now, doc.window_time, document_id),
        )
        self._record_revision(document_id, revision, doc, now)
        self._count_anchors(old_anchors, -1)
        self._write_signature(document_id, doc)
        self._count_anchors(doc.anchors)
        self.conn.execute("UPDATE stories SET updated = %s WHERE id = %s", (now, story_id))
        self._log_change(story_id, document_id, ChangeKind.CHANGED, now)

    def _log_change(self, story_id: str, document_id: int, kind: ChangeKind, now: str) -> None:
        self.conn.execute("INSERT INTO changes (story_id, document_id, kind, at) VALUES (%s, %s, %s, %s)",
                          (story_id, document_id, kind.value, now))

    def _record_revision(self, document_id: int, revision: int, doc: NewDocument, now: str) -> None:
        self.conn.execute(
            """INSERT INTO revisions (document_id, revision, content_hash, title, text, seen_at, url, lang,
                   published, authors, description, meta_kept) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,1)""",
            (document_id, revision, doc.content_hash, doc.title, doc.text, now, doc.url, doc.lang, doc.published,
             _authors(doc.authors), doc.description),
        )

    def _write_signature(self, document_id: int, doc: NewDocument) -> None:
        self.conn.execute(
            "INSERT INTO signatures (document_id, lexical, anchor_minhash, anchors) VALUES (%s,%s,%s,%s) "
            "ON CONFLICT (document_id) DO UPDATE SET lexical = excluded.lexical, "
            "anchor_minhash = excluded.anchor_minhash, anchors = excluded.anchors",
            (document_id, doc.lexical, doc.anchor_minhash, " ".join(doc.anchors)),
        )

    def _count_anchors(self, anchors: Iterable[str], delta: int = 1) -> None:
        """Add `delta` to each token's document frequency, once per occurrence (as SQLite does), in one
        statement: a round trip saved is time the write lock is not held."""
        occurrences: dict[str, int] = {}
        for token in anchors:
            occurrences[token] = occurrences.get(token, 0) + 1
        if not occurrences:
            return
        tokens, counts = list(occurrences), list(occurrences.values())
        if delta > 0:
            self.conn.execute(
                "INSERT INTO anchor_df (token, df) SELECT t, n * %s FROM unnest(%s::text[], %s::int[]) AS u(t, n) "
                "ON CONFLICT (token) DO UPDATE SET df = anchor_df.df + excluded.df", (delta, tokens, counts))
        else:  # the tokens of a stored document: counted when it was stored
            self.conn.execute(
                "UPDATE anchor_df SET df = df + u.n * %s FROM unnest(%s::text[], %s::int[]) AS u(t, n) "
                "WHERE anchor_df.token = u.t", (delta, tokens, counts))
