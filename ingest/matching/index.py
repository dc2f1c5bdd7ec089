"""The story index: the live window of documents, and the decision which story a new one joins.

Candidates come from the candidate index (both fingerprint views); each is verified by the
link rules (`links.py`). A document then joins the story with the best mean link over that
story's recent members (not the best single link: under single links, short documents
sharing one token chain unrelated stories together), when that mean reaches `story_link`.
Document frequencies of anchors (the IDF weights) are learned from the stream and stored.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ingest.matching.candidates import BandCandidates, CandidateIndex
from ingest.matching.fingerprint import Fingerprint, minhash_from_bytes
from ingest.matching.links import Candidate, Link, LinkRules, is_date_part, numbers_of
from ingest.matching.minhash import Signature
from ingest.matching.settings import MatchSettings
from storage.model import ChangeKind, StoredSignature


@dataclass
class Decision:
    story_id: str | None               # None: a new story
    score: float = 0.0
    links: list[Link] = field(default_factory=list)


def change_kind(story_id: str | None, lang: str, story_languages: Iterable[str]) -> ChangeKind:
    """What joining story `story_id` (None: a new story) makes of a new document: the story's
    first document, one more version in a language the story has, or a translation into one
    it lacks."""
    if story_id is None:
        return ChangeKind.CREATED
    return ChangeKind.VERSION if lang in set(story_languages) else ChangeKind.TRANSLATION


@dataclass
class _Indexed:
    candidate: Candidate
    window_time: float
    row: int  # of StoryIndex._lexical_rows


# Rows the matrix of lexical signatures starts with; it grows by half when full (so that its
# room to spare stays a fraction of what it holds: every row is 512 bytes).
_FIRST_ROWS = 16


class StoryIndex:
    """The live window of documents, searchable by both fingerprint views."""

    def __init__(self, settings: MatchSettings, candidates: CandidateIndex | None = None) -> None:
        self.settings = settings
        self.candidates: CandidateIndex = candidates or BandCandidates(settings)
        self.rules = LinkRules(settings, self.weight)
        self.documents: dict[int, _Indexed] = {}
        self.story_members: dict[str, list[int]] = {}
        self.document_frequency: dict[str, int] = {}
        self.total_documents = 0
        self._by_time: deque[tuple[float, int]] = deque()
        # Stories every stored document of which the index holds: made here, none of their
        # documents gone from it since (see `hold_whole_story`).
        self._whole_stories: set[str] = set()
        # Every indexed document's lexical signature, one row each (a removed one's row is reused):
        # a decision compares the candidates' rows in one numpy step instead of first gathering
        # their scattered arrays into one.
        self._lexical_rows = np.zeros((0, settings.num_perm), dtype=np.uint32)
        self._free_rows: list[int] = []
        self._rows_used = 0

    def __len__(self) -> int:
        return len(self.documents)

    # -- contents

    def add(self, document_id: int, story_id: str, lang: str, window_time: float,
            lexical: Signature, anchors: Iterable[str], anchor_minhash: Signature) -> None:
        # One string object per distinct anchor, however many documents hold it: names recur.
        sequence = tuple(sys.intern(token) for token in anchors)
        anchor_set = frozenset(sequence)
        replaced = self.documents.get(document_id)
        row = replaced.row if replaced is not None else self._free_row()
        self._lexical_rows[row] = lexical.hashvalues
        self.documents[document_id] = _Indexed(
            Candidate(document_id, story_id, lang, lexical, anchor_set, sequence), window_time, row)
        self.story_members.setdefault(story_id, []).append(document_id)
        self.candidates.insert(document_id, lexical, self._anchor_view(anchor_set, anchor_minhash))
        self._by_time.append((window_time, document_id))

    def _free_row(self) -> int:
        if self._free_rows:
            return self._free_rows.pop()
        if self._rows_used == len(self._lexical_rows):
            grown = self._matrix_with_room_for(len(self._lexical_rows))
            grown[:self._rows_used] = self._lexical_rows
            self._lexical_rows = grown
        self._rows_used += 1
        return self._rows_used - 1

    def _matrix_with_room_for(self, rows: int) -> np.ndarray:
        """An empty matrix of signatures with half as many rows again as `rows` (at least _FIRST_ROWS)."""
        return np.zeros((max(_FIRST_ROWS, rows * 3 // 2), self._lexical_rows.shape[1]), dtype=np.uint32)

    def _compact_rows(self) -> None:
        """The live documents' rows moved to the top of a matrix their number and a half."""
        live = list(self.documents.values())
        compact = self._matrix_with_room_for(len(live))
        compact[:len(live)] = self._lexical_rows[[indexed.row for indexed in live]]
        for row, indexed in enumerate(live):
            indexed.row = row
        self._lexical_rows, self._free_rows, self._rows_used = compact, [], len(live)

    def _anchor_view(self, anchors: frozenset[str] | tuple[str, ...], minhash: Signature) -> Signature | None:
        # A document with too few anchors would collide with every other such document.
        return minhash if len(anchors) >= self.settings.min_shared_anchors else None

    def story_has_language(self, story_id: str, lang: str) -> bool:
        """Whether a document of `lang` in story `story_id` is in the window. (Every document the
        index holds is a stored one, so True means the story has that language; False says
        nothing of its documents that left the window.)"""
        documents = self.documents
        return any(documents[member].candidate.lang == lang for member in self.story_members.get(story_id, ()))

    def hold_whole_story(self, story_id: str) -> None:
        """Story `story_id` was made with the document just added: until one of its documents
        leaves the index (`remove`, eviction) or is not added (`partly_held`), the index holds
        all of them, so it knows all the story's languages."""
        self._whole_stories.add(story_id)

    def partly_held(self, story_id: str) -> None:
        """A stored document of `story_id` is not in the index."""
        self._whole_stories.discard(story_id)

    def languages_of_whole_story(self, story_id: str) -> set[str] | None:
        """Every language of the story's documents, if the index holds the whole story; else None."""
        if story_id not in self._whole_stories:
            return None
        documents = self.documents
        return {documents[member].candidate.lang for member in self.story_members.get(story_id, ())}

    def count(self, anchors: Iterable[str], delta: int = 1) -> None:
        """Update document frequencies (the stream's IDF statistics) for one document."""
        for token in anchors:
            self.document_frequency[token] = self.document_frequency.get(token, 0) + delta
        self.total_documents += delta

    def remove(self, document_id: int) -> None:
        indexed = self.documents.pop(document_id, None)
        if indexed is None:
            return
        self._free_rows.append(indexed.row)
        if len(self._lexical_rows) > 4 * max(len(self.documents), _FIRST_ROWS):
            self._compact_rows()  # (the window shrank: a large load, then evictions)
        story_id = indexed.candidate.story_id
        self._whole_stories.discard(story_id)
        members = self.story_members.get(story_id, [])
        if document_id in members:
            members.remove(document_id)
        if not members:
            self.story_members.pop(story_id, None)
        self.candidates.remove(document_id)

    def evict_before(self, window_start: float) -> int:
        """Drop documents whose window time is before `window_start`; return how many."""
        evicted = 0
        while self._by_time and self._by_time[0][0] < window_start:
            _, document_id = self._by_time.popleft()
            indexed = self.documents.get(document_id)
            if indexed is not None and indexed.window_time < window_start:
                self.remove(document_id)
                evicted += 1
        return evicted

    def load(self, signatures: Iterable[StoredSignature], frequencies: tuple[dict[str, int], int]) -> None:
        """Fill the index from stored signatures, without re-hashing any text."""
        self.document_frequency, self.total_documents = dict(frequencies[0]), frequencies[1]
        for sig in signatures:
            self.add(sig.document_id, sig.story_id, sig.lang, sig.window_time, minhash_from_bytes(sig.lexical),
                     sig.anchors, minhash_from_bytes(sig.anchor_minhash))

    # -- similarity

    def weight(self, token: str) -> float:
        """IDF of `token`. A young stream knows little, so the counts start from a prior of
        `idf_prior_documents` documents that lack every token: at first all anchors weigh
        about the same, and the stream's own statistics take over as it grows."""
        df = self.document_frequency.get(token, 0) + 1  # the document being matched holds it too
        return math.log((self.total_documents + self.settings.idf_prior_documents + 2) / df)

    # -- decisions

    def decide(self, fp: Fingerprint, lang: str) -> Decision:
        """The story `fp` belongs to (None: a new story), with the links that decided it."""
        anchors = frozenset(fp.anchors)
        sample = self.settings.story_sample
        sums: dict[str, float] = {}
        links: list[Link] = []
        recent: dict[str, set[int]] = {}
        verified: list[Candidate] = []
        rows: list[int] = []
        for document_id in sorted(self.candidates.query(fp.lexical, self._anchor_view(fp.anchors,
                                                                                       fp.anchor_minhash))):
            indexed = self.documents.get(document_id)
            if indexed is None:
                continue
            other = indexed.candidate
            members = self.story_members[other.story_id]
            if len(members) > sample:  # only a story's recent members vote
                if other.story_id not in recent:
                    recent[other.story_id] = set(members[-sample:])
                if document_id not in recent[other.story_id]:
                    continue
            verified.append(other)
            rows.append(indexed.row)
        # Every candidate's lexical Jaccard in one numpy comparison: the share of equal signature
        # values, exactly as `Signature.jaccard` computes it, one candidate at a time.
        jaccards: list[float] = []
        if verified:
            equal = self._lexical_rows[rows] == fp.lexical.hashvalues
            jaccards = (np.add.reduce(equal, axis=1) / len(fp.lexical.hashvalues)).tolist()
        numbers = numbers_of(anchors)
        # Another text shares more than dates with this one when it holds one of these.
        not_dates = frozenset(token for token in anchors if not is_date_part(token))
        with self.rules.one_decision():
            for other, jaccard in zip(verified, jaccards, strict=True):
                shares_more_than_dates = not not_dates.isdisjoint(other.anchors)
                if not self.rules.worth_verifying(other.lang == lang, jaccard, shares_more_than_dates):
                    continue  # no rule can link them
                rule, strength = self.rules.judge(lang, fp.lexical, anchors, fp.anchors, other,
                                                  lexical_jaccard=jaccard, numbers=numbers,
                                                  shares_more_than_dates=shares_more_than_dates)
                if strength > 0:
                    links.append(Link(other.id, other.story_id, rule, strength))
                    sums[other.story_id] = sums.get(other.story_id, 0.0) + strength
        best: tuple[float, str] | None = None
        for story_id, total in sums.items():
            mean = total / min(len(self.story_members[story_id]), sample)
            # Ties go to the older story, so the answer does not depend on dict order.
            key = (mean, -self.story_members[story_id][0])
            if best is None or key > (best[0], -self.story_members[best[1]][0]):
                best = (mean, story_id)
        if best is None or best[0] < self.settings.story_link:
            return Decision(None, best[0] if best else 0.0, links)
        return Decision(best[1], best[0], links)
