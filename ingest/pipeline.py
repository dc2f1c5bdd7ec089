"""One document through every stage after fetching: extract → language → fingerprint → match → store.

The live crawler and `replay` both call `Pipeline.ingest`, so replaying saved files
exercises the real pipeline. Each document is written in one transaction (its row, its
story, its change-log entry, its signature), or a replay's batch of documents in one, so a
crash loses at most what was in flight and a rerun skips what is already stored: nothing is
stored twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar, cast

from ingest.document import Document, build_document, document_from, extract_article, languages_of
from ingest.errors import ErrorKind, IngestError
from ingest.extract import Article
from ingest.matching import (
    Decision,
    Fingerprint,
    MatchSettings,
    StoryIndex,
    change_kind,
    minhash_from_bytes,
    signature_bytes,
)
from ingest.matching.fingerprint import fingerprint, fingerprints
from ingest.readers import RawDocument
from ingest.times import epoch_seconds
from storage import AlreadyStored, ChangeKind, NewDocument, StorageError, StoredDocument, StoredSignature
from storage.interfaces import Database
from storage.model import GroupingEvidence

log = logging.getLogger("newsdedup.pipeline")

# The live index drops documents older than the window every this many documents.
EVICT_EVERY_DOCUMENTS = 256
# A publication date up to this far ahead keeps a document in the window that long; a date
# further in the future is a typo and counts as now.
MAX_FUTURE_SECONDS = 86400
SECONDS_PER_DAY = 86400
# Inside a batch's transaction, the documents decided so far are written, and put in the search
# index beside the next ones' decisions, every this many documents (SQLite indexes them on a
# helper thread while this one decides: the index's insertion is a third of a write's cost).
SEARCH_INDEX_EVERY_DOCUMENTS = 128
# ... and when this many are left: the last ones, which the commit waits for, are few (wmt22: the
# writer's CPU at the commits 0.39 -> 0.14 s).
SEARCH_INDEX_LAST_DOCUMENTS = 32
# The rule named in a document's grouping evidence when it is byte-for-byte another's text.
EXACT_COPY = "exact-copy"


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


@dataclass(frozen=True)
class _Written:
    """What one write transaction did, for the index to follow once it committed."""

    outcome: Outcome
    document_id: int
    new: NewDocument
    fp: Fingerprint
    replaced: tuple[str, ...] | None = None    # a changed document's previous anchors


@dataclass(frozen=True)
class _LookedUp:
    """What `_ready` found stored of a document, before the write lock: the document of its key,
    and the earliest of its content. Still so inside the lock while no other writer has committed
    since this one's last look and its own transaction wrote no document of that content."""

    existing: StoredDocument | None
    copy_of: StoredSignature | None


_Ready = tuple[Document, Fingerprint | None, _LookedUp]


@dataclass(frozen=True)
class Prepared:
    """A raw document extracted and fingerprinted, ready for the decision: what `prepare` makes.
    It holds no storage, so worker processes can make it while one process decides and writes."""

    document: Document | None
    fingerprint: Fingerprint | None
    error: IngestError | None = None


def prepare(raw: RawDocument, settings: MatchSettings, *, with_fingerprint: bool = True) -> Prepared:
    """Extract, identify the language and fingerprint `raw`: the pipeline's work that needs no
    database. Failures come back as values (they cross process boundaries). Without the
    fingerprint, `ingest_batch` makes it only for a document that is not already stored."""
    return prepare_many([raw], settings, with_fingerprint=with_fingerprint)[0]


def prepare_many(raws: Sequence[RawDocument], settings: MatchSettings, *,
                 with_fingerprint: bool = True) -> list[Prepared]:
    """`prepare` of each of `raws`, the same results, with their languages identified together
    and their MinHash signatures computed together (numpy's passes cost about as much for
    thirty short texts as for one)."""
    extracted = [_guarded(raw.origin, partial(_extracted, raw)) for raw in raws]
    articles = [item for item in extracted if isinstance(item, tuple)]
    langs = iter(_together(languages_of, articles))
    documents: list[Document | Prepared] = []
    for item in extracted:
        if isinstance(item, Prepared):
            documents.append(item)  # its failure
        else:
            documents.append(_guarded(item[0].origin, partial(document_from, *item, next(langs))))
    if not with_fingerprint:
        return [doc if isinstance(doc, Prepared) else Prepared(doc, None) for doc in documents]
    made = iter(_fingerprinted_together([doc for doc in documents if isinstance(doc, Document)], settings))
    return [doc if isinstance(doc, Prepared) else next(made) for doc in documents]


def _fingerprinted_together(docs: list[Document], settings: MatchSettings) -> list[Prepared]:
    """Each of `docs` with its fingerprint, the signatures computed together (`fingerprints`);
    a document whose fingerprint fails gets that failure alone."""
    made = _together(lambda docs: fingerprints([(d.title, d.text, d.lang) for d in docs], settings), docs)
    return [_guarded(doc.key, partial(_fingerprinted, doc, fp, settings)) for doc, fp in zip(docs, made, strict=True)]


_T = TypeVar("_T")
_R = TypeVar("_R")


def _together(step: Callable[[list[_T]], list[_R]], items: list[_T]) -> list[_R] | list[None]:
    """`step` over all of `items` at once; on a bug, None for each, so that each is done again
    alone and fails alone."""
    try:
        results = step(items)
        if len(results) != len(items):
            raise ValueError(f"{len(results)} results for {len(items)} documents")
        return results
    except Exception:
        log.debug("internal error on %d documents together; each is done alone", len(items), exc_info=True)
        return [None] * len(items)


def _extracted(raw: RawDocument) -> tuple[RawDocument, Article]:
    return raw, extract_article(raw)


def _fingerprinted(doc: Document, made: Fingerprint | None, settings: MatchSettings) -> Prepared:
    return Prepared(doc, made or fingerprint(doc.title, doc.text, doc.lang, settings))


def _guarded(origin: str, step: Callable[[], _T]) -> _T | Prepared:
    """`step()`, or its failure as a Prepared that carries it."""
    try:
        return step()
    except IngestError as exc:
        return Prepared(None, None, exc)
    except Exception as exc:  # a bug, not bad input
        log.debug("internal error on %s", origin, exc_info=True)
        return Prepared(None, None, IngestError(ErrorKind.INTERNAL, "pipeline", f"{type(exc).__name__}: {exc}"))


def _runs_of_distinct_keys(batch: Sequence[Prepared]) -> list[Sequence[Prepared]]:
    """`batch` cut wherever a document's key repeats an earlier one's in the same run."""
    runs: list[Sequence[Prepared]] = []
    start, keys = 0, set[str]()
    for i, prepared in enumerate(batch):
        key = prepared.document.key if prepared.document is not None else None
        if key is not None and key in keys:
            runs.append(batch[start:i])
            start, keys = i, set[str]()
        if key is not None:
            keys.add(key)
    runs.append(batch[start:])
    return [run for run in runs if run]


def _stored_signature(written: _Written) -> StoredSignature:
    """What `copy_of` reads back of a document this transaction added (its anchors split from
    the one string they are stored as)."""
    new = written.new
    return StoredSignature(written.document_id, written.outcome.story_id, new.lang, new.content_hash,
                           new.window_time, new.lexical, new.anchor_minhash, tuple(" ".join(new.anchors).split()))


def _fingerprint_of(stored: StoredSignature) -> Fingerprint:
    return Fingerprint(minhash_from_bytes(stored.lexical), stored.anchors, minhash_from_bytes(stored.anchor_minhash))


def story_id_for(key: str) -> str:
    """A story's id derives from its first document's key: the same input gives the same id."""
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


class Pipeline:
    """Ingests raw documents into the store, keeping the live matching index in step.

    Any number of pipelines, in any number of processes, may write to one database and give
    the stories one would: the decision which story a document joins is made inside the write
    transaction (the database's write lock), after the index has caught up with every change
    other writers committed since this one last looked (the change log, by sequence number).
    """

    def __init__(self, store: Database, settings: MatchSettings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._check_fingerprint_settings()
        self.index = self._load_index()
        self._index_stale = False
        self._since_eviction = 0

    def _load_index(self) -> StoryIndex:
        """The live index as the database holds it: the window's signatures and the IDF counts."""
        index = StoryIndex(self.settings)
        with self.store.snapshot():
            index.load(self.store.documents.signatures_since(self._window_start()),
                       self.store.documents.anchor_document_frequencies())
            self._seen_seq = self.store.documents.head_seq()
        return index

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

    def ingest_prepared(self, prepared: Prepared) -> Outcome:
        """`ingest` for a document already extracted and fingerprinted (by `prepare`, perhaps in
        another process): the same outcome, as the same decisions are made in the same order."""
        if prepared.error is not None:
            raise prepared.error
        assert prepared.document is not None
        try:
            return self._ingest_document(prepared.document, prepared.fingerprint)
        except (IngestError, StorageError):
            raise
        except Exception as exc:  # a bug, not bad input: report it as one and go on
            log.debug("internal error on %s", prepared.document.key, exc_info=True)
            raise IngestError(ErrorKind.INTERNAL, "pipeline", f"{type(exc).__name__}: {exc}") from exc

    def _ingest_document(self, doc: Document, made: Fingerprint | None = None) -> Outcome:
        self._reload_if_stale()
        ready = self._ready(doc, made)
        if isinstance(ready, Outcome):
            return ready
        fp = ready[1] or fingerprint(doc.title, doc.text, doc.lang, self.settings)
        try:
            with self.store.transaction():
                self._catch_up()
                written = self._decide_and_write(doc, fp)
                self._seen_seq = self.store.documents.head_seq()
        except AlreadyStored:
            # Another writer stored this key between our check and our write: it is stored once.
            stored = self.store.documents.find(doc.key)
            if stored is None:
                raise
            return Outcome(doc.key, None, stored.story_id, stored.lang)
        # The index follows what was committed, never a write that rolled back.
        self._follow(written)
        return written.outcome

    def ingest_batch(self, batch: Sequence[Prepared]) -> list[Outcome | IngestError]:
        """`ingest_prepared` for each of `batch`, in order, written in one transaction: the same
        outcomes, for one commit instead of one per document (a commit, and the search index's
        flush of its new segment, cost more than a short document's whole write). All or nothing:
        after a crash a rerun redoes the batch and skips what was stored before it. A `Prepared`
        without a fingerprint is fingerprinted here, outside the lock, unless it is unchanged."""
        results: list[Outcome | IngestError] = []
        for run in _runs_of_distinct_keys(batch):
            results.extend(self._ingest_run(run))
        return results

    def _ingest_run(self, batch: Sequence[Prepared]) -> list[Outcome | IngestError]:
        """`ingest_batch` for documents whose keys are all different: each one's "unchanged" check
        before the transaction cannot depend on another's write in it."""
        self._reload_if_stale()
        results: list[Outcome | IngestError | _Ready] = []
        for prepared in batch:
            if prepared.error is not None:
                results.append(prepared.error)
                continue
            assert prepared.document is not None
            try:
                results.append(self._ready(prepared.document, prepared.fingerprint))
            except (IngestError, StorageError) as exc:
                if isinstance(exc, StorageError):
                    raise
                results.append(exc)
            except Exception as exc:  # a bug, not bad input: that document's failure alone, as in `ingest`
                log.debug("internal error on %s", prepared.document.key, exc_info=True)
                results.append(IngestError(ErrorKind.INTERNAL, "pipeline", f"{type(exc).__name__}: {exc}"))
        self._fingerprint_together(results)
        ready = [(doc, fp, looked_up) for doc, fp, looked_up in (item for item in results if isinstance(item, tuple))
                 if fp is not None]
        if not ready:
            return [item for item in results if not isinstance(item, tuple)]
        written: list[_Written] = []
        try:
            with self.store.transaction():
                # `_ready`'s look-ups still hold while no other writer has committed since this
                # one's last look and this transaction has changed no text (whose old content is
                # no longer stored); else they are made again (two look-ups a document: 0.2 s of a
                # wmt22 replay's writer). A document of a content this transaction added first
                # copies that one (no earlier one was stored: the look-up found none).
                looks_hold = not self._catch_up()
                added: dict[str, StoredSignature] = {}  # the first document of each content added here
                for doc, fp, looked_up in ready:
                    if (looks_hold and doc.content_hash in added and looked_up.existing is None
                            and looked_up.copy_of is None):
                        looked_up = _LookedUp(None, added[doc.content_hash])
                    written.append(self._decide_and_write(doc, fp, looked_up if looks_hold else None))
                    if written[-1].replaced is None and written[-1].outcome.kind is not None:
                        added.setdefault(doc.content_hash, _stored_signature(written[-1]))
                    looks_hold = looks_hold and written[-1].replaced is None
                    # The next decision in this batch must see this document: the index follows
                    # it before the commit, and is reloaded if the batch rolls back.
                    self._follow(written[-1])
                    left = len(ready) - len(written)
                    if left and (left == SEARCH_INDEX_LAST_DOCUMENTS
                                 or len(written) % SEARCH_INDEX_EVERY_DOCUMENTS == 0):
                        self.store.documents.index_written_so_far()
                self._seen_seq = self.store.documents.head_seq()
        except BaseException as exc:
            if written:
                self._index_stale = True  # it followed writes that rolled back
            if not isinstance(exc, Exception) or (isinstance(exc, StorageError) and not isinstance(exc, AlreadyStored)):
                raise
            # Another writer stored one of these keys meanwhile, or one document met a bug: one
            # transaction each instead, where each outcome or failure is that document's alone.
            return [self._one_by_one(prepared) for prepared in batch]
        outcomes = iter(w.outcome for w in written)
        return [next(outcomes) if isinstance(item, tuple) else item for item in results]

    def _reload_if_stale(self) -> None:
        """After a batch rolled back, the index is loaded again from what the database holds
        (here, not in the error handler: a reload that fails there would hide the first error)."""
        if self._index_stale:
            self.index = self._load_index()
            self._index_stale = False

    def _one_by_one(self, prepared: Prepared) -> Outcome | IngestError:
        try:
            return self.ingest_prepared(prepared)
        except IngestError as exc:
            return exc

    def _ready(self, doc: Document, made: Fingerprint | None) -> Outcome | _Ready:
        """Outside the lock: the cheap check most re-reads end with (an Outcome: unchanged), or the
        document with its fingerprint (the costly part), ready for the decision; None: it is
        still to be made (`_fingerprint_together`)."""
        documents = self.store.documents
        existing = documents.find(doc.key)
        if existing and existing.content_hash == doc.content_hash:
            return Outcome(doc.key, None, existing.story_id, existing.lang)
        copy_of = None if existing else documents.copy_of(doc.content_hash)
        looked_up = _LookedUp(existing, copy_of)
        if copy_of:
            return doc, _fingerprint_of(copy_of), looked_up
        return doc, made, looked_up

    def _fingerprint_together(self, results: list[Outcome | IngestError | _Ready]) -> None:
        """Make in place, together, the fingerprints `_ready` left to make."""
        unmade = [i for i, item in enumerate(results) if isinstance(item, tuple) and item[1] is None]
        if not unmade:
            return
        waiting = [cast(_Ready, results[i]) for i in unmade]
        made_all = _fingerprinted_together([doc for doc, _, _ in waiting], self.settings)
        for i, (doc, _, looked_up), made in zip(unmade, waiting, made_all, strict=True):
            results[i] = made.error if made.error is not None else (doc, made.fingerprint, looked_up)

    def _follow(self, written: _Written) -> None:
        """Bring the index in step with one write."""
        if written.replaced is not None:
            self.index.remove(written.document_id)
            self.index.count(written.replaced, -1)
        if written.outcome.kind is not None:
            self._index(written.document_id, written.outcome.story_id, written.new, written.fp)
        if written.outcome.kind is ChangeKind.CREATED:
            self.index.hold_whole_story(written.outcome.story_id)

    def _decide_and_write(self, doc: Document, fp: Fingerprint, looked_up: _LookedUp | None = None) -> _Written:
        """Inside the write transaction: what the document is, and its write (`looked_up`: what is
        stored of it, when the caller knows it still holds)."""
        documents = self.store.documents
        # Looked up again (unless known): another writer may have stored it meanwhile.
        existing = looked_up.existing if looked_up else documents.find(doc.key)
        if existing and existing.content_hash == doc.content_hash:
            unchanged = Outcome(doc.key, None, existing.story_id, existing.lang)
            return _Written(unchanged, existing.id, self._new_document(doc, fp), fp)
        if existing:
            new = self._new_document(doc, fp)
            old_anchors = documents.anchors_of(existing.id)
            documents.change(existing.id, existing.story_id, new, existing.revision + 1, old_anchors)
            changed = Outcome(doc.key, ChangeKind.CHANGED, existing.story_id, doc.lang)
            return _Written(changed, existing.id, new, fp, replaced=old_anchors)
        copy_of = looked_up.copy_of if looked_up else documents.copy_of(doc.content_hash)
        grouping: GroupingEvidence | None = None
        if copy_of:
            # An exact copy (wire copy on another site) is the original's story, with its fingerprints.
            fp = _fingerprint_of(copy_of)
            joined: str | None = copy_of.story_id
            grouping = GroupingEvidence(copy_of.document_id, EXACT_COPY, 1.0, tuple(sorted(set(fp.anchors))), 1.0)
        else:
            decision = self.index.decide(fp, doc.lang)
            joined = decision.story_id
            grouping = self._grouping_evidence(fp, decision)
        if joined is not None and self.index.story_has_language(joined, doc.lang):
            kind = ChangeKind.VERSION  # (what the index holds of a story is stored: no need to ask)
        else:
            kind = change_kind(joined, doc.lang, self._story_languages(joined) if joined else set())
        story_id = joined or story_id_for(doc.key)
        new = self._new_document(doc, fp, grouping if joined else None)
        document_id = documents.add(new, story_id, kind)
        return _Written(Outcome(doc.key, kind, story_id, doc.lang), document_id, new, fp)

    def _story_languages(self, story_id: str) -> set[str]:
        """The story's languages: the index's when it holds the whole story, else the database's
        (whose query would wait for the search index's insertion running beside the decisions)."""
        held = self.index.languages_of_whole_story(story_id)
        return held if held is not None else self.store.documents.story_languages(story_id)

    def _grouping_evidence(self, fp: Fingerprint, decision: Decision) -> GroupingEvidence | None:
        """Why the document joins `decision`'s story: its strongest link into that story, with the
        anchors both documents hold and the estimated similarity of their texts."""
        into_story = [link for link in decision.links if link.story_id == decision.story_id]
        if decision.story_id is None or not into_story:
            return None
        best = max(into_story, key=lambda link: link.strength)
        held = self.index.documents.get(best.document_id)  # (a link's document is in the index)
        theirs = held.candidate.anchors if held is not None else self.store.documents.anchors_of(best.document_id)
        shared = sorted(set(fp.anchors) & set(theirs))
        lexical = round(float(fp.lexical.jaccard(held.candidate.lexical)), 3) if held is not None else None
        return GroupingEvidence(best.document_id, str(best.rule), round(best.strength, 3), tuple(shared), lexical)

    def _catch_up(self) -> bool:
        """Bring the index up to date with what other writers committed since we last looked;
        whether they committed anything."""
        window_start = self._window_start()
        others_wrote = False
        for seq, kind, sig in self.store.documents.changes_since(self._seen_seq):
            self._seen_seq = seq
            others_wrote = True
            held = self.index.documents.get(sig.document_id)
            if kind is ChangeKind.CHANGED and held is not None:
                self.index.remove(sig.document_id)
                self.index.count(held.candidate.anchors, -1)
            elif held is not None:
                continue  # already indexed (loaded at start, or our own)
            self.index.count(sig.anchors)
            if sig.window_time >= window_start:
                self.index.add(sig.document_id, sig.story_id, sig.lang, sig.window_time,
                               minhash_from_bytes(sig.lexical), sig.anchors, minhash_from_bytes(sig.anchor_minhash))
            else:
                self.index.partly_held(sig.story_id)
        return others_wrote

    def _new_document(self, doc: Document, fp: Fingerprint, grouping: GroupingEvidence | None = None) -> NewDocument:
        now = self.clock()
        published = epoch_seconds(doc.published)
        return NewDocument(
            key=doc.key, title=doc.title, text=doc.text, lang=doc.lang, url=doc.url, published=doc.published,
            updated=doc.updated, authors=tuple(doc.authors), description=doc.description, image=doc.image,
            content_hash=doc.content_hash, source_id=doc.source_id,
            # A document stays matchable for the window after it was seen (or published, if later).
            window_time=max(now, min(published or now, now + MAX_FUTURE_SECONDS)),
            lexical=signature_bytes(fp.lexical), anchor_minhash=signature_bytes(fp.anchor_minhash),
            anchors=fp.anchors, grouping=grouping,
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
