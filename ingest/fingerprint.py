"""Fingerprints: two MinHash views of a document.

- The lexical view: character n-grams of the normalised text. It finds repeats in one
  language (wire copy, re-posts, edits) and paraphrases such as two translations of one
  text into the same language, which share many short character runs but few long word runs.
- The anchor view: language-neutral tokens that survive translation — numbers, acronyms
  and names, folded to ASCII and cut to a prefix so that inflected and transliterated
  forms meet (Давидом → davidom → david; Sergey/Sergei → serge). A capitalised word counts
  as a name only when the word-frequency list of the document's language does not know
  it as a common word: this drops German nouns, English months and Title Case headings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from anyascii import anyascii
from datasketch import LeanMinHash, MinHash
from wordfreq import available_languages, zipf_frequency

from ingest.config import Settings

CJK_LANGS = frozenset({"zh", "ja", "ko", "th", "lo", "km", "my"})
_WORD = re.compile(r"\w+", re.UNICODE)
# Numbers with their separators: "1,000", "94.48", "20–21/11/2025" gives 20, 21, 11, 2025.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_LATIN = re.compile(r"[A-Za-z]")
_MASK64 = (1 << 64) - 1
_MIX = np.uint64(0x9E3779B97F4A7C15)
# datasketch 2 names its permutation scheme; stored signatures must be read back with the same one.
_SCHEME = MinHash(num_perm=1, hashfunc=int).scheme


@dataclass
class Fingerprint:
    lexical: LeanMinHash
    anchors: tuple[str, ...]          # distinct anchor tokens in order of first appearance
    anchor_minhash: LeanMinHash


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def _hash_ngrams(text: str, n: int) -> np.ndarray:
    """32-bit hashes of every character n-gram of `text`, computed with numpy in one pass."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < n:
        codes = np.pad(codes, (0, n - len(codes)))
    with np.errstate(over="ignore"):
        h = np.zeros(len(codes) - n + 1, dtype=np.uint64)
        for i in range(n):
            h = h * _MIX + codes[i: len(codes) - n + 1 + i] + np.uint64(i + 1)
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
    return np.unique(h & np.uint64(0xFFFFFFFF))


def _minhash(hashes: np.ndarray | list[int], num_perm: int) -> LeanMinHash:
    m = MinHash(num_perm=num_perm, hashfunc=int)
    values = hashes.tolist() if isinstance(hashes, np.ndarray) else hashes
    if values:
        m.update_batch(values)
    return LeanMinHash(m)


def lexical_minhash(text: str, lang: str, settings: Settings) -> LeanMinHash:
    normal = normalise(text)
    if lang in CJK_LANGS:
        # Chinese and Japanese do not separate words with spaces; their characters carry
        # more information each, so shorter n-grams match paraphrases as well.
        return _minhash(_hash_ngrams(normal.replace(" ", ""), settings.lexical_shingle_cjk), settings.num_perm)
    return _minhash(_hash_ngrams(normal, settings.lexical_shingle), settings.num_perm)


@lru_cache(maxsize=1)
def _wordfreq_languages() -> frozenset[str]:
    return frozenset(available_languages())


@lru_cache(maxsize=200_000)
def _is_common_word(word: str, lang: str, common_zipf: float) -> bool:
    if lang not in _wordfreq_languages() or lang in CJK_LANGS:
        return False  # (wordfreq needs extra tokenisers for CJK, and their words are not cased anyway)
    return zipf_frequency(word, lang) >= common_zipf


def _fold(token: str) -> str:
    return "".join(ch for ch in anyascii(token).lower() if ch.isalnum())


def _number_token(raw: str) -> str:
    if _THOUSANDS.match(raw):
        return raw.replace(",", "").replace(".", "")
    return raw.replace(",", ".")


def anchor_tokens(text: str, lang: str, settings: Settings) -> tuple[str, ...]:
    """The language-neutral tokens of `text`, distinct, in order of first appearance."""
    seen: dict[str, None] = {}
    caseless_script = lang in CJK_LANGS
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isdigit() or word[0].isdigit():
            for number in _NUMBER.findall(word):
                seen.setdefault(_number_token(number), None)
            continue
        if caseless_script:
            # Names in Chinese or Japanese script are written differently in every other
            # language; only the Latin-script words they contain (acronyms, brands) travel.
            if not _LATIN.match(word):
                continue
            is_acronym = True  # a Latin-script word in such a text is a name or brand whatever its case
        elif not word[0].isupper():
            continue
        else:
            is_acronym = len(word) >= 2 and word.isupper()
        if not is_acronym and _is_common_word(word.lower(), lang, settings.anchor_common_zipf):
            continue
        folded = _fold(word)
        if len(folded) < 2:
            continue
        seen.setdefault(folded if is_acronym else folded[: settings.anchor_prefix], None)
    return tuple(seen)


def _token_hash(token: str) -> int:
    h = 1469598103934665603
    for byte in token.encode("utf-8"):
        h = ((h ^ byte) * 1099511628211) & _MASK64
    return (h ^ (h >> 32)) & 0xFFFFFFFF


def fingerprint(title: str, text: str, lang: str, settings: Settings) -> Fingerprint:
    body = f"{title}\n{text}" if title and not text.startswith(title) else text
    anchors = anchor_tokens(body, lang, settings)
    return Fingerprint(
        lexical=lexical_minhash(body, lang, settings),
        anchors=anchors,
        anchor_minhash=_minhash([_token_hash(t) for t in anchors], settings.num_perm),
    )


def signature_bytes(minhash: LeanMinHash) -> bytes:
    return minhash.hashvalues.astype(np.uint32).tobytes()


def minhash_from_bytes(data: bytes) -> LeanMinHash:
    values = np.frombuffer(data, dtype=np.uint32)
    return LeanMinHash(seed=1, hashvalues=values, scheme=_SCHEME)
