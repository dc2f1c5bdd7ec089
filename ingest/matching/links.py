"""The link rules: is a candidate document the same story as the new one, and how strongly?

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

Below the near-duplicate level two more tests tell a translation or a repeat from another
report of the same event, which shares its names, numbers and date:

- no link between two texts that both state numbers and share none of them;
- the shared anchors must come in the same order in both texts, for at least
  `order_agreement` of them (a translation follows its source sentence by sentence; an
  independent report tells the same names and numbers in its own order).

Anchor similarity is IDF-weighted overlap normalised by the geometric mean of the two
documents' weights, so common tokens ("EU", "2025") count for little and rare names for
much. Between a Chinese or Japanese text and an alphabetic one it is the product of the two
containments instead (see `expressible`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from ingest.matching.fingerprint import CJK_LANGS
from ingest.matching.minhash import Signature
from ingest.matching.settings import MatchSettings


class Rule(StrEnum):
    """Which rule admitted a link."""

    NEAR_DUPLICATE = "near-duplicate"
    PARAPHRASE = "paraphrase"
    TRANSLATION = "translation"
    NONE = "none"


@dataclass(frozen=True)
class Candidate:
    """What the rules need of a document already in the index."""

    id: int
    story_id: str
    lang: str
    lexical: Signature
    anchors: frozenset[str]
    sequence: tuple[str, ...]         # the same anchors in order of first appearance
    numbers: frozenset[str] = field(init=False)  # the anchors that are numbers, found once

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", numbers_of(self.anchors))


@dataclass(frozen=True)
class Link:
    document_id: int
    story_id: str
    rule: Rule
    strength: float


NO_LINK: tuple[Rule, float] = (Rule.NONE, 0.0)  # what `LinkRules.judge` says of most candidates


def expressible(a: frozenset[str], lang_a: str, b: frozenset[str], lang_b: str
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


def is_date_part(token: str) -> bool:
    """A day, a month or a year: every text of that day shares them."""
    if token[0] == "m" and token[1:].isdigit():
        return True
    if not token.isdigit():
        return False
    number = _number(token)
    return number is not None and (number <= 31 or 1900 <= number <= 2100)


def _number(digits: str) -> int | None:
    try:
        return int(digits)
    except ValueError:  # over 4,300 digits (int() refuses to read them), or digits int() does not read
        return None


def numbers_of(anchors: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in anchors if t[0].isdigit())


def numbers_disagree(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when both texts state numbers and share none: a score of 3-1 is not one of 2-0,
    4.5 percent in March is not 3.9 percent in April. Versions and translations of one story
    keep its numbers. (A stricter share of common numbers was measured and did not earn its
    place: MT outputs misread numbers, and other reports of an event share many.)"""
    return _disjoint_numbers(numbers_of(a), numbers_of(b))


def _disjoint_numbers(numbers_a: frozenset[str], numbers_b: frozenset[str]) -> bool:
    return bool(numbers_a) and bool(numbers_b) and numbers_a.isdisjoint(numbers_b)


def order_agreement(a: Sequence[str], b: Sequence[str], shared: frozenset[str]) -> float:
    """The share of the shared anchors that both texts mention in the same order (their longest
    common subsequence over their number). A translation follows its source sentence by
    sentence; two reports of one event tell its names and numbers in their own orders.

    Anchors are distinct within a text, so the longest common subsequence is the longest
    increasing run of b's positions taken in a's order: O(n log n) with bisect."""
    if len(shared) < 2:
        return 1.0
    position = {token: i for i, token in enumerate(t for t in b if t in shared)}
    tails: list[int] = []
    for token in a:
        if token in shared:
            where = bisect.bisect_left(tails, position[token])
            if where == len(tails):
                tails.append(position[token])
            else:
                tails[where] = position[token]
    return len(tails) / len(shared)


class _Weights(dict[str, float]):
    """Each token's weight, computed on its first look-up: the look-ups that find one run in C."""

    def __init__(self, weight: Callable[[str], float]) -> None:
        super().__init__()
        self._weight = weight

    def __missing__(self, token: str) -> float:
        value = self[token] = self._weight(token)
        return value


class LinkRules:
    """The rules above, with the stream's IDF weights (`weight`) to compare anchors by."""

    def __init__(self, settings: MatchSettings, weight: Callable[[str], float]) -> None:
        self.settings = settings
        self.weight = weight
        # While one document is decided the weights hold still (the stream's counts change only
        # after it is stored), so each token's weight and each set's total is computed once:
        # the same numbers, without re-summing the new document's anchors for every candidate.
        # Sums are math.fsum, exact whatever order a set yields its tokens in: with plain sums the
        # last bit depended on the process's string hashing, and a tie between two stories'
        # means could go either way from one run to the next.
        # Below this lexical Jaccard no rule links two texts of one language (see worth_verifying).
        self.same_language_floor = min(settings.anchorless_lexical_link, settings.lexical_link,
                                       settings.near_duplicate)
        self._weights: _Weights | None = None
        self._totals: dict[frozenset[str], float] = {}

    @contextmanager
    def one_decision(self) -> Iterator[None]:
        """Within the block, weights are computed once per token and set totals once per set."""
        self._weights, self._totals = _Weights(self.weight), {}
        try:
            yield
        finally:
            self._weights, self._totals = None, {}

    def _weight_of(self) -> Callable[[str], float]:
        return self.weight if self._weights is None else self._weights.__getitem__

    def _total(self, tokens: frozenset[str]) -> float:
        if self._weights is None:
            return math.fsum(map(self.weight, tokens))
        total = self._totals.get(tokens)
        if total is None:
            total = self._totals[tokens] = math.fsum(map(self._weights.__getitem__, tokens))
        return total

    def anchor_similarity(self, a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
        """(IDF-weighted overlap over the geometric mean of the weights, the shared weight itself)."""
        evidence = self.shared_weight(a, b)
        return self._overlap(a, b, evidence), evidence

    def shared_weight(self, a: frozenset[str], b: frozenset[str]) -> float:
        """The IDF weight of the anchors both hold."""
        return self._summed_weight(a & b)

    def _summed_weight(self, tokens: frozenset[str]) -> float:
        return math.fsum(map(self._weight_of(), tokens)) if tokens else 0.0

    def _overlap(self, a: frozenset[str], b: frozenset[str], evidence: float) -> float:
        if not evidence:
            return 0.0  # nothing shared (or only tokens of no weight)
        total_a = self._total(a)
        total_b = self._total(b)
        if total_a <= 0 or total_b <= 0:
            return 0.0
        return evidence / math.sqrt(total_a * total_b)

    def link(self, lang: str, lexical: Signature, anchors: frozenset[str], sequence: tuple[str, ...],
             other: Candidate, *, lexical_jaccard: float | None = None,
             numbers: frozenset[str] | None = None) -> Link:
        """Verify `other` against a new document (`sequence`: its `anchors` in order of appearance;
        `lexical_jaccard`: the two signatures' Jaccard, and `numbers`: `numbers_of(anchors)`, when
        the caller computed them already)."""
        rule, strength = self.judge(lang, lexical, anchors, sequence, other, lexical_jaccard=lexical_jaccard,
                                    numbers=numbers)
        return Link(other.id, other.story_id, rule, strength)

    def judge(self, lang: str, lexical: Signature, anchors: frozenset[str], sequence: tuple[str, ...],
              other: Candidate, *, lexical_jaccard: float | None = None,
              numbers: frozenset[str] | None = None,
              shares_more_than_dates: bool | None = None) -> tuple[Rule, float]:
        """`link`'s rule and strength, `NO_LINK` when none links them (most candidates: the story
        index makes a `Link` only of the others). `shares_more_than_dates`: whether the texts share
        an anchor that is not a date, when the caller knows (the index does, from `worth_verifying`).

        The cheap tests come first (the texts' Jaccard, the shared anchors as sets), so that the
        IDF weights are summed only for candidates that could still link."""
        s = self.settings
        if lexical_jaccard is None:
            lexical_jaccard = lexical.jaccard(other.lexical)
        # Too few anchors on either side to say whether names and numbers agree.
        anchorless = min(len(anchors), len(other.anchors)) < s.min_shared_anchors
        if lexical_jaccard >= s.near_duplicate and (
                anchorless or self.anchor_similarity(anchors, other.anchors)[0] >= s.near_duplicate_anchor):
            # A correction changes a number and stays the same story; a template filled with
            # other names and numbers (results, earnings) does not.
            return Rule.NEAR_DUPLICATE, lexical_jaccard / s.near_duplicate
        same_language = other.lang == lang
        if not self.worth_verifying(same_language, lexical_jaccard):
            return NO_LINK
        shared = anchors & other.anchors
        if not same_language:
            if shares_more_than_dates is None:
                shares_more_than_dates = not all(is_date_part(t) for t in shared)
            if not shares_more_than_dates:
                return NO_LINK  # no shared anchors, or a date alone: no story
        if _disjoint_numbers(numbers_of(anchors) if numbers is None else numbers, other.numbers):
            return NO_LINK
        if same_language:
            if anchorless:
                if lexical_jaccard >= s.anchorless_lexical_link:
                    return Rule.PARAPHRASE, lexical_jaccard / s.anchorless_lexical_link
                return NO_LINK
            if lexical_jaccard >= s.lexical_link:
                anchor_sim, _ = self.anchor_similarity(anchors, other.anchors)
                if anchor_sim >= s.lexical_anchor_link and self.same_order(sequence, other.sequence, shared):
                    strength = min(lexical_jaccard / s.lexical_link, anchor_sim / s.lexical_anchor_link)
                    return Rule.PARAPHRASE, strength
            return NO_LINK
        # The shared anchors' weight, whether or not the scripts differ: `expressible` cuts only
        # what the other text cannot share, so the two cuts share exactly `shared`.
        evidence = self._summed_weight(shared)
        if evidence < s.min_anchor_evidence:
            return NO_LINK  # (most candidates here: tested first, it spares the cuts and the totals)
        scripts_differ = (lang in CJK_LANGS) != (other.lang in CJK_LANGS)
        mine, theirs = expressible(anchors, lang, other.anchors, other.lang) if scripts_differ \
            else (anchors, other.anchors)
        anchor_sim = self._overlap(mine, theirs, evidence)
        if scripts_differ:
            # The cut leaves the alphabetic side only what the other text shares or could
            # share, so its containment is near 1 by construction: the square of the
            # geometric mean is the product of both containments, each counted in full.
            anchor_sim = anchor_sim ** 2
        if anchor_sim >= s.translation_link and self.same_order(sequence, other.sequence, shared):
            return Rule.TRANSLATION, anchor_sim / s.translation_link
        return NO_LINK

    def worth_verifying(self, same_language: bool, lexical_jaccard: float, shares_more_than_dates: bool = True) -> bool:
        """False when no rule can link: same-language texts below both same-language rules'
        Jaccard (and the near-duplicate one), whatever their anchors say; texts of two languages
        that share no anchor but a date, unless they are near-duplicates. The cheap tests most
        candidates end with, so the story index asks them before `judge`."""
        if same_language:
            return lexical_jaccard >= self.same_language_floor
        return shares_more_than_dates or lexical_jaccard >= self.settings.near_duplicate

    def same_order(self, a: tuple[str, ...], b: tuple[str, ...], shared: frozenset[str]) -> bool:
        return order_agreement(a, b, shared) >= self.settings.order_agreement
