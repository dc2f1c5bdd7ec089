"""One document through every stage after fetching: extract → fingerprint → match → store.

The live crawler and `replay` both call `Pipeline.ingest`, so replaying saved files
exercises the real pipeline. Each document is written in one SQLite transaction (its row,
its story, its change-log entry, its signature), so a crash loses at most the document in
flight and a rerun skips what is already stored: nothing is stored twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ingest.config import Settings
from ingest.document import Document, build_document
from ingest.errors import ErrorKind, IngestError
from ingest.fingerprint import Fingerprint, fingerprint, minhash_from_bytes, signature_bytes
from ingest.match import StoryIndex
from ingest.readers import RawDocument
from storage.store import NewDocument, Store

log = logging.getLogger("newsdedup.pipeline")

# What `ingest` can report for one document.
CREATED, VERSION, TRANSLATION, CHANGED, UNCHANGED = "created", "version", "translation", "changed", "unchanged"
_EVICT_EVERY = 256


@dataclass
class Outcome:
    key: str
    kind: str                      # created / version / translation / changed / unchanged
    story_id: str
    lang: str


def story_id_for(key: str) -> str:
    """A story's id derives from its first document's key: the same input gives the same id."""
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def parse_time(value: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 time, or None when it does not parse."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


class Pipeline:
    """Ingests raw documents into the store, keeping the live matching index in step."""

    def __init__(self, store: Store, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._check_fingerprint_settings()
        self.index = StoryIndex(settings)
        self.index.load(store.signatures_since(self._window_start()), store.anchor_document_frequencies())
        self._since_eviction = 0

    def _check_fingerprint_settings(self) -> None:
        """Stored signatures are only comparable with new ones made the same way."""
        s = self.settings
        wanted = json.dumps({"num_perm": s.num_perm, "anchor_num_perm": s.anchor_num_perm,
                             "lexical_shingle": s.lexical_shingle, "lexical_shingle_cjk": s.lexical_shingle_cjk,
                             "anchor_prefix": s.anchor_prefix}, sort_keys=True)
        stored = self.store.meta("fingerprint_settings")
        if stored is None:
            self.store.set_meta("fingerprint_settings", wanted)
        elif stored != wanted:
            raise ValueError(f"the database {self.store.path!r} holds fingerprints made with {stored}; these "
                             f"settings make {wanted}. Use the same settings, or a new database.")

    def _window_start(self) -> float:
        return self.clock() - self.settings.window_days * 86400

    def ingest(self, raw: RawDocument) -> Outcome:
        """Take one raw document through the pipeline. Raises IngestError when it cannot."""
        try:
            doc = build_document(raw)
            return self._ingest_document(doc)
        except IngestError:
            raise
        except Exception as exc:  # a bug, not bad input: report it as one and go on
            log.debug("internal error on %s", raw.origin, exc_info=True)
            raise IngestError(ErrorKind.INTERNAL, "pipeline", f"{type(exc).__name__}: {exc}") from exc

    def _ingest_document(self, doc: Document) -> Outcome:
        existing = self.store.find_document(doc.key)
        if existing and existing["content_hash"] == doc.content_hash:
            return Outcome(doc.key, UNCHANGED, existing["story_id"], existing["lang"])
        copy_of = None if existing else self.store.copy_of(doc.content_hash)
        if copy_of:
            # An exact copy (wire copy on another site): its fingerprints are the original's.
            story_id, stored = copy_of
            fp = Fingerprint(minhash_from_bytes(stored.lexical), stored.anchors,
                             minhash_from_bytes(stored.anchor_minhash))
        else:
            fp = fingerprint(doc.title, doc.text, doc.lang, self.settings)
        new = self._new_document(doc, fp)
        if existing:
            old_anchors = self.store.signature_of(existing["id"])
            with self.store.transaction():
                self.store.change_document(existing["id"], existing["story_id"], new,
                                           existing["revision"] + 1, old_anchors)
            self.index.remove(existing["id"])
            self.index.count(old_anchors, -1)
            self._index(existing["id"], existing["story_id"], new, fp)
            return Outcome(doc.key, CHANGED, existing["story_id"], doc.lang)
        if not copy_of:
            story_id = self.index.decide(fp, doc.lang).story_id
        try:
            with self.store.transaction():
                document_id, story_id, kind = self.store.add_document(new, story_id, story_id_for(doc.key))
        except sqlite3.IntegrityError:
            # Another process stored this key between our check and our write: it is stored once.
            stored = self.store.find_document(doc.key)
            if stored is None:
                raise
            return Outcome(doc.key, UNCHANGED, stored["story_id"], stored["lang"])
        self._index(document_id, story_id, new, fp)
        return Outcome(doc.key, kind, story_id, doc.lang)

    def _new_document(self, doc: Document, fp: Fingerprint) -> NewDocument:
        now = self.clock()
        published = parse_time(doc.published)
        return NewDocument(
            key=doc.key, title=doc.title, text=doc.text, lang=doc.lang, url=doc.url, published=doc.published,
            updated=doc.updated, authors=doc.authors, description=doc.description, image=doc.image,
            content_hash=doc.content_hash, source_id=doc.source_id,
            # A document stays matchable for the window after it was seen (or published, if later,
            # up to a day ahead: a date further in the future is a typo).
            window_time=max(now, min(published or now, now + 86400)),
            lexical=signature_bytes(fp.lexical), anchor_minhash=signature_bytes(fp.anchor_minhash),
            anchors=fp.anchors,
        )

    def _index(self, document_id: int, story_id: str, new: NewDocument, fp: Fingerprint) -> None:
        self.index.count(fp.anchors)
        self.index.add(document_id, story_id, new.lang, new.window_time, fp.lexical, fp.anchors,
                       fp.anchor_minhash)
        self._since_eviction += 1
        if self._since_eviction >= _EVICT_EVERY:
            self._since_eviction = 0
            self.index.evict_before(self._window_start())

    def record_failure(self, origin: str, error: IngestError, source_id: int | None = None) -> None:
        self.store.record_error(origin, error.kind.value, error.stage, error.message, source_id)
