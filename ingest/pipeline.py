"""One document through every stage after fetching: extract → language → fingerprint → match → store.

The live crawler and `replay` both call `Pipeline.ingest`, so replaying saved files
exercises the real pipeline. Each document is written in one transaction (its row, its
story, its change-log entry, its signature), so a crash loses at most the document in
flight and a rerun skips what is already stored: nothing is stored twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ingest.document import Document, build_document
from ingest.errors import ErrorKind, IngestError
from ingest.matching import (
    Fingerprint,
    MatchSettings,
    StoryIndex,
    change_kind,
    fingerprint,
    minhash_from_bytes,
    signature_bytes,
)
from ingest.readers import RawDocument
from ingest.times import epoch_seconds
from storage import AlreadyStored, ChangeKind, NewDocument, StorageError, Store

log = logging.getLogger("newsdedup.pipeline")

# The live index drops documents older than the window every this many documents.
EVICT_EVERY_DOCUMENTS = 256
# A publication date up to this far ahead keeps a document in the window that long; a date
# further in the future is a typo and counts as now.
MAX_FUTURE_SECONDS = 86400
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Outcome:
    key: str
    kind: ChangeKind | None        # None: unchanged (already stored with this content)
    story_id: str
    lang: str

    @property
    def label(self) -> str:
        """The outcome's name in summaries and metrics: a change kind, or "unchanged"."""
        return self.kind.value if self.kind else UNCHANGED


UNCHANGED = "unchanged"


def story_id_for(key: str) -> str:
    """A story's id derives from its first document's key: the same input gives the same id."""
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


class Pipeline:
    """Ingests raw documents into the store, keeping the live matching index in step."""

    def __init__(self, store: Store, settings: MatchSettings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._check_fingerprint_settings()
        self.index = StoryIndex(settings)
        self.index.load(store.documents.signatures_since(self._window_start()),
                        store.documents.anchor_document_frequencies())
        self._since_eviction = 0

    def _check_fingerprint_settings(self) -> None:
        """Stored signatures are only comparable with new ones made the same way."""
        wanted = self.settings.fingerprint_key()
        stored = self.store.meta("fingerprint_settings")
        if stored is None:
            self.store.set_meta("fingerprint_settings", wanted)
        elif stored != wanted:
            raise ValueError(f"the database {self.store.path!r} holds fingerprints made with {stored}; these "
                             f"settings make {wanted}. Use the same settings, or a new database.")

    def _window_start(self) -> float:
        return self.clock() - self.settings.window_days * SECONDS_PER_DAY

    def ingest(self, raw: RawDocument) -> Outcome:
        """Take one raw document through the pipeline. Raises IngestError when it cannot."""
        try:
            doc = build_document(raw)
            return self._ingest_document(doc)
        except (IngestError, StorageError):
            raise
        except Exception as exc:  # a bug, not bad input: report it as one and go on
            log.debug("internal error on %s", raw.origin, exc_info=True)
            raise IngestError(ErrorKind.INTERNAL, "pipeline", f"{type(exc).__name__}: {exc}") from exc

    def _ingest_document(self, doc: Document) -> Outcome:
        documents = self.store.documents
        existing = documents.find(doc.key)
        if existing and existing.content_hash == doc.content_hash:
            return Outcome(doc.key, None, existing.story_id, existing.lang)
        copy_of = None if existing else documents.copy_of(doc.content_hash)
        if copy_of:
            # An exact copy (wire copy on another site): its fingerprints are the original's.
            fp = Fingerprint(minhash_from_bytes(copy_of.lexical), copy_of.anchors,
                             minhash_from_bytes(copy_of.anchor_minhash))
        else:
            fp = fingerprint(doc.title, doc.text, doc.lang, self.settings)
        new = self._new_document(doc, fp)
        if existing:
            old_anchors = documents.anchors_of(existing.id)
            with self.store.transaction():
                documents.change(existing.id, existing.story_id, new, existing.revision + 1, old_anchors)
            self.index.remove(existing.id)
            self.index.count(old_anchors, -1)
            self._index(existing.id, existing.story_id, new, fp)
            return Outcome(doc.key, ChangeKind.CHANGED, existing.story_id, doc.lang)
        joined = copy_of.story_id if copy_of else self.index.decide(fp, doc.lang).story_id
        try:
            with self.store.transaction():
                languages = documents.story_languages(joined) if joined else set()
                kind = change_kind(joined, doc.lang, languages)
                story_id = joined or story_id_for(doc.key)
                document_id = documents.add(new, story_id, kind)
        except AlreadyStored:
            # Another process stored this key between our check and our write: it is stored once.
            stored = documents.find(doc.key)
            if stored is None:
                raise
            return Outcome(doc.key, None, stored.story_id, stored.lang)
        self._index(document_id, story_id, new, fp)
        return Outcome(doc.key, kind, story_id, doc.lang)

    def _new_document(self, doc: Document, fp: Fingerprint) -> NewDocument:
        now = self.clock()
        published = epoch_seconds(doc.published)
        return NewDocument(
            key=doc.key, title=doc.title, text=doc.text, lang=doc.lang, url=doc.url, published=doc.published,
            updated=doc.updated, authors=tuple(doc.authors), description=doc.description, image=doc.image,
            content_hash=doc.content_hash, source_id=doc.source_id,
            # A document stays matchable for the window after it was seen (or published, if later).
            window_time=max(now, min(published or now, now + MAX_FUTURE_SECONDS)),
            lexical=signature_bytes(fp.lexical), anchor_minhash=signature_bytes(fp.anchor_minhash),
            anchors=fp.anchors,
        )

    def _index(self, document_id: int, story_id: str, new: NewDocument, fp: Fingerprint) -> None:
        self.index.count(fp.anchors)
        self.index.add(document_id, story_id, new.lang, new.window_time, fp.lexical, fp.anchors,
                       fp.anchor_minhash)
        self._since_eviction += 1
        if self._since_eviction >= EVICT_EVERY_DOCUMENTS:
            self._since_eviction = 0
            self.index.evict_before(self._window_start())

    def record_failure(self, origin: str, error: IngestError, source_id: int | None = None) -> None:
        self.store.errors.record(origin, error.kind.value, error.stage, error.message, source_id)
