"""Matching: which story does a new document belong to?

Candidates come from two MinHash LSH indexes (datasketch), one per fingerprint view.
Each candidate is verified into a link whose strength is its measure divided by the
threshold of the rule that admitted it (so rules are comparable; 0 means no link):

- near-duplicate: lexical Jaccard >= `near_duplicate` (any languages), unless both texts
  have anchors and they agree less than `near_duplicate_anchor` (a template filled with
  other names and numbers);
- same-language paraphrase: lexical Jaccard >= `lexical_link` and anchor similarity
  >= `lexical_anchor_link` (the anchors keep same-topic stories apart: two different
  agency stories about one summit share many character runs but few names and numbers);
  texts too short to have anchors need lexical Jaccard >= `anchorless_lexical_link`;
- translation: different languages, anchor similarity >= `translation_link`, and shared
  anchors whose IDF weights add up to `min_anchor_evidence` (two short texts that share
  "5" and "2021" are similar, but that is no evidence of one story).

Below the near-duplicate level, no rule links two texts that both state numbers and share
none of them.

Anchor similarity is IDF-weighted overlap normalised by the geometric mean of the two
documents' weights, so common tokens ("EU", "2025") count for little and rare names for
much. Document frequencies are learned from the stream and stored.

A document then joins the story with the best mean link over that story's recent
members (not the best single link: under single links, short documents sharing one token
chain unrelated stories together), when that mean reaches `story_link`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from datasketch import LeanMinHash, MinHashLSH

from ingest.config import Settings
from ingest.fingerprint import CJK_LANGS, Fingerprint, minhash_from_bytes

# A story's mean link is taken over at most this many of its most recent members, which
# bounds the work per document however large a story grows.
STORY_SAMPLE = 50


@dataclass
class IndexedDocument:
    id: int
    story_id: str
    lang: str
    window_time: float
    lexical: LeanMinHash
    anchors: frozenset[str]


@dataclass
class Link:
    document_id: int
    story_id: str
    rule: str
    strength: float


@dataclass
class Decision:
    story_id: str | None
    score: float = 0.0
    links: list[Link] = field(default_factory=list)


def _expressible(a: frozenset[str], lang_a: str, b: frozenset[str], lang_b: str
                 ) -> tuple[frozenset[str], frozenset[str]]:
    """Both anchor sets cut to what a Chinese or Japanese text can share with an alphabetic one.

    Such a text writes names in its own script, so its anchors are numbers, months and the
    Latin words it quotes; the other text's names it cannot share are left out of the
    comparison rather than counted against it.
    """
    def portable(tokens: frozenset[str], others: frozenset[str]) -> frozenset[str]:
        return frozenset(t for t in tokens if t[0].isdigit() or (t[0] == "m" and t[1:].isdigit()) or t in others)

    if lang_a in CJK_LANGS:
        return a, portable(b, a)
    return portable(a, b), b


def _is_date_part(token: str) -> bool:
    """A day, a month or a year: every text of that day shares them."""
    if token[0] == "m" and token[1:].isdigit():
        return True
    return token.isdigit() and (int(token) <= 31 or 1900 <= int(token) <= 2100)


def _numbers_disagree(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when both texts state numbers and share none: a score of 3-1 is not one of 2-0,
    4.5 percent in March is not 3.9 percent in April. Versions and translations of one story
    keep its numbers."""
    numbers_a = {t for t in a if t[0].isdigit()}
    numbers_b = {t for t in b if t[0].isdigit()}
    return bool(numbers_a) and bool(numbers_b) and numbers_a.isdisjoint(numbers_b)


class StoryIndex:
    """The live window of documents, searchable by both fingerprint views."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lexical_lsh = MinHashLSH(threshold=settings.lexical_lsh_threshold, num_perm=settings.num_perm)
        self.anchor_lsh = MinHashLSH(threshold=settings.anchor_lsh_threshold, num_perm=settings.anchor_num_perm)
        self.documents: dict[int, IndexedDocument] = {}
        self.story_members: dict[str, list[int]] = {}
        self.document_frequency: dict[str, int] = {}
        self.total_documents = 0
        self._by_time: deque[tuple[float, int]] = deque()

    def __len__(self) -> int:
        return len(self.documents)

    # -- contents

    def add(self, document_id: int, story_id: str, lang: str, window_time: float,
            lexical: LeanMinHash, anchors: Iterable[str], anchor_minhash: LeanMinHash) -> None:
        anchors = frozenset(anchors)
        self.documents[document_id] = IndexedDocument(document_id, story_id, lang, window_time, lexical, anchors)
        self.story_members.setdefault(story_id, []).append(document_id)
        self.lexical_lsh.insert(document_id, lexical, check_duplication=False)
        # A document with too few anchors would collide with every other such document.
        if len(anchors) >= self.settings.min_shared_anchors:
            self.anchor_lsh.insert(document_id, anchor_minhash, check_duplication=False)
        self._by_time.append((window_time, document_id))

    def count(self, anchors: Iterable[str], delta: int = 1) -> None:
        """Update document frequencies (the stream's IDF statistics) for one document."""
        for token in anchors:
            self.document_frequency[token] = self.document_frequency.get(token, 0) + delta
        self.total_documents += delta

    def remove(self, document_id: int) -> None:
        doc = self.documents.pop(document_id, None)
        if doc is None:
            return
        members = self.story_members.get(doc.story_id, [])
        if document_id in members:
            members.remove(document_id)
        if not members:
            self.story_members.pop(doc.story_id, None)
        self.lexical_lsh.remove(document_id)
        if document_id in self.anchor_lsh.keys:
            self.anchor_lsh.remove(document_id)

    def evict_before(self, window_start: float) -> int:
        """Drop documents whose window time is before `window_start`; return how many."""
        evicted = 0
        while self._by_time and self._by_time[0][0] < window_start:
            _, document_id = self._by_time.popleft()
            doc = self.documents.get(document_id)
            if doc is not None and doc.window_time < window_start:
                self.remove(document_id)
                evicted += 1
        return evicted

    def load(self, signatures: Iterable[object], frequencies: tuple[dict[str, int], int]) -> None:
        """Fill the index from stored signatures, without re-hashing any text."""
        self.document_frequency, self.total_documents = dict(frequencies[0]), frequencies[1]
        for sig in signatures:
            self.add(sig.document_id, sig.story_id, sig.lang, sig.window_time,  # type: ignore[attr-defined]
                     minhash_from_bytes(sig.lexical), sig.anchors,  # type: ignore[attr-defined]
                     minhash_from_bytes(sig.anchor_minhash))  # type: ignore[attr-defined]

    # -- similarity

    def weight(self, token: str) -> float:
        """IDF of `token`. A young stream knows little, so the counts start from a prior of
        `idf_prior_documents` documents that lack every token: at first all anchors weigh
        about the same, and the stream's own statistics take over as it grows."""
        df = self.document_frequency.get(token, 0) + 1  # the document being matched holds it too
        return math.log((self.total_documents + self.settings.idf_prior_documents + 2) / df)

    def anchor_similarity(self, a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
        """(IDF-weighted overlap over the geometric mean of the weights, the shared weight itself)."""
        shared = a & b
        if not shared:
            return 0.0, 0.0
        weight = self.weight
        total_a = sum(weight(t) for t in a)
        total_b = sum(weight(t) for t in b)
        evidence = sum(weight(t) for t in shared)
        if total_a <= 0 or total_b <= 0:
            return 0.0, evidence
        return evidence / math.sqrt(total_a * total_b), evidence

    def link(self, lang: str, lexical: LeanMinHash, anchors: frozenset[str], other: IndexedDocument) -> Link:
        s = self.settings
        lexical_jaccard = lexical.jaccard(other.lexical)
        anchor_sim, evidence = self.anchor_similarity(anchors, other.anchors)
        # Too few anchors on either side to say whether names and numbers agree.
        anchorless = min(len(anchors), len(other.anchors)) < s.min_shared_anchors
        if lexical_jaccard >= s.near_duplicate and (anchorless or anchor_sim >= s.near_duplicate_anchor):
            # A correction changes a number and stays the same story; a template filled with
            # other names and numbers (results, earnings) does not.
            return Link(other.id, other.story_id, "near-duplicate", lexical_jaccard / s.near_duplicate)
        if _numbers_disagree(anchors, other.anchors):
            return Link(other.id, other.story_id, "none", 0.0)
        if other.lang == lang:
            if anchorless:
                if lexical_jaccard >= s.anchorless_lexical_link:
                    return Link(other.id, other.story_id, "paraphrase", lexical_jaccard / s.anchorless_lexical_link)
            elif lexical_jaccard >= s.lexical_link and anchor_sim >= s.lexical_anchor_link:
                strength = min(lexical_jaccard / s.lexical_link, anchor_sim / s.lexical_anchor_link)
                return Link(other.id, other.story_id, "paraphrase", strength)
        else:
            if (lang in CJK_LANGS) != (other.lang in CJK_LANGS):
                mine, theirs = _expressible(anchors, lang, other.anchors, other.lang)
                anchor_sim, evidence = self.anchor_similarity(mine, theirs)
            if anchor_sim >= s.translation_link and evidence >= s.min_anchor_evidence \
                    and not all(_is_date_part(t) for t in anchors & other.anchors):  # a date alone is no story
                return Link(other.id, other.story_id, "translation", anchor_sim / s.translation_link)
        return Link(other.id, other.story_id, "none", 0.0)

    # -- decisions

    def candidates(self, fp: Fingerprint) -> set[int]:
        found = set(self.lexical_lsh.query(fp.lexical))
        if len(fp.anchors) >= self.settings.min_shared_anchors:
            found.update(self.anchor_lsh.query(fp.anchor_minhash))
        return found

    def decide(self, fp: Fingerprint, lang: str) -> Decision:
        """The story `fp` belongs to (None: a new story), with the links that decided it."""
        anchors = frozenset(fp.anchors)
        sums: dict[str, float] = {}
        links: list[Link] = []
        recent: dict[str, set[int]] = {}
        for document_id in sorted(self.candidates(fp)):
            other = self.documents.get(document_id)
            if other is None:
                continue
            if other.story_id not in recent:
                recent[other.story_id] = set(self.story_members[other.story_id][-STORY_SAMPLE:])
            if document_id not in recent[other.story_id]:
                continue
            link = self.link(lang, fp.lexical, anchors, other)
            if link.strength > 0:
                links.append(link)
                sums[link.story_id] = sums.get(link.story_id, 0.0) + min(link.strength, 2.0)
        best: tuple[float, str] | None = None
        for story_id, total in sums.items():
            members = min(len(self.story_members[story_id]), STORY_SAMPLE)
            mean = total / members
            # Ties go to the older story, so the answer does not depend on dict order.
            key = (mean, -self.story_members[story_id][0])
            if best is None or key > (best[0], -self.story_members[best[1]][0]):
                best = (mean, story_id)
        if best is None or best[0] < self.settings.story_link:
            return Decision(None, best[0] if best else 0.0, links)
        return Decision(best[1], best[0], links)
