"""The matching section: how fingerprints are made and when two documents are one story.

Every threshold the matcher uses is here, with its default and meaning, so a deployment can
tune it without touching code and a reader can find it. The fingerprint settings (the first
group) are recorded in the database: signatures made one way cannot be compared with
signatures made another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.sections import FRACTION, NOT_NEGATIVE, POSITIVE, Section, setting


@dataclass(frozen=True)
class MatchSettings(Section):
    NAME = "matching"

    # -- fingerprints (recorded in the database)
    num_perm: int = setting(128, "MinHash permutations of the lexical view", check=POSITIVE)
    anchor_num_perm: int = setting(
        128, "MinHash permutations of the anchor view (a few dozen tokens: candidates only)", check=POSITIVE)
    lexical_shingle: int = setting(5, "character n-gram size for alphabetic scripts", check=POSITIVE)
    lexical_shingle_cjk: int = setting(2, "character n-gram size for Chinese and Japanese", check=POSITIVE)
    anchor_prefix: int = setting(5, "language-neutral tokens are cut to this many characters", check=POSITIVE)
    # -- which capitalised words are names
    anchor_rare_zipf: float = setting(
        3.3, "a capitalised word rarer than this (wordfreq Zipf) in the document's language is a name ...",
        check=NOT_NEGATIVE)
    anchor_crosslingual_gap: float = setting(
        1.5, "... and so is a frequent one that other languages use within this many Zipf points as often",
        check=NOT_NEGATIVE)
    # -- candidates and verification
    lexical_lsh_threshold: float = setting(0.25, "LSH threshold for character-shingle candidates", check=FRACTION)
    anchor_lsh_threshold: float = setting(0.15, "LSH threshold for language-neutral candidates", check=FRACTION)
    near_duplicate: float = setting(
        0.6, "lexical Jaccard at or above which two texts are one story ...", check=FRACTION)
    near_duplicate_anchor: float = setting(
        0.3, "... if their anchors (when both have some) agree this much", check=FRACTION)
    anchorless_lexical_link: float = setting(
        0.4, "lexical Jaccard that links same-language texts too short for anchors", check=FRACTION)
    lexical_link: float = setting(0.25, "lexical Jaccard that links when the anchors agree too ...", check=FRACTION)
    lexical_anchor_link: float = setting(0.35, "... at or above this anchor similarity", check=FRACTION)
    translation_link: float = setting(
        0.3, "anchor similarity that links documents in different languages", check=FRACTION)
    order_agreement: float = setting(
        0.7, "below the near-duplicate level, two texts link only when this share of their shared anchors "
             "comes in the same order in both (a translation follows its source; another report of the "
             "event tells the names and numbers in its own order)",
        check=FRACTION)
    min_shared_anchors: int = setting(
        3, "documents with fewer anchors are not in the anchor index", check=NOT_NEGATIVE)
    min_anchor_evidence: float = setting(
        15.0, "a cross-language link needs shared anchors whose IDF weights (ln N/df: ~9 for a name seen "
              "once in 10k documents) add up to this", check=NOT_NEGATIVE)
    story_link: float = setting(
        0.5, "a document joins the story with the best mean link over the story's members when that mean "
             "reaches this share of the link threshold", check=POSITIVE)
    story_sample: int = setting(
        50, "a story's mean link is taken over at most this many of its most recent members (bounds the "
            "work per document however large a story grows)", check=POSITIVE)
    idf_prior_documents: int = setting(
        1000, "anchor IDF counts start as if this many documents lacked every token", check=NOT_NEGATIVE)
    window_days: float = setting(7.0, "the live index holds documents published this recently", check=POSITIVE)

    def fingerprint_key(self) -> str:
        """The settings a stored signature depends on, as recorded in the database."""
        return json.dumps({"num_perm": self.num_perm, "anchor_num_perm": self.anchor_num_perm,
                           "lexical_shingle": self.lexical_shingle, "lexical_shingle_cjk": self.lexical_shingle_cjk,
                           "anchor_prefix": self.anchor_prefix}, sort_keys=True)
