"""wordfreq's Zipf frequencies from its "small" lists, held as hashes instead of dictionaries.

wordfreq answers from a dictionary of every word of a language's list: ~40,000 strings and
floats per language, 5 MB each, ~60 MB for the languages a multilingual stream asks about,
read from gzip and msgpack (~0.1 s per language) on the first question. Here each list is
one sorted array of 64-bit numbers, the top 52 bits a hash of the word and the low 12 its
frequency bucket (wordfreq's cBpack index: the word is 10^(-index/100) of all words), 8 bytes
a word, mapped from the cache (`ingest.cache`). Everything else — tokenising, number
smashing, combining the tokens of a phrase, rounding — is wordfreq's own arithmetic, so
`zipf(word, lang)` equals `wordfreq.zipf_frequency(word, lang, wordlist="small")`
(tests/matching/test_wordlists.py compares them on the lists' words and on other text).
"""

from __future__ import annotations

import functools
import hashlib
import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import langcodes
import numpy as np
import wordfreq
from wordfreq.language_info import get_language_info
from wordfreq.numbers import digit_freq, smash_numbers
from wordfreq.tokens import lossy_tokenize

from ingest import cache
from ingest.cache import Arrays

# The "small" lists hold every word at or above Zipf ~3, all the anchor rules ask about, in a
# seventh of the memory of the "best" ones (80 MB against 560 MB as dictionaries).
_WORDLIST = "small"
_FORMAT = 1             # bump when the table's layout changes
_BUCKET_BITS = 12       # cBpack indexes of "small" lists end at 600, of "large" ones at 800
_BUCKET_MASK = (1 << _BUCKET_BITS) - 1
_HASH_MASK = ~_BUCKET_MASK & 0xFFFFFFFFFFFFFFFF
_MINIMUM = wordfreq.zipf_to_freq(0.0)  # zipf_frequency's default floor, as a frequency
_ZIPF_OF_ABSENT = 0.0  # a word not in the list: the floor


def _hash(token: str) -> int:
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & _HASH_MASK


class _List:
    def __init__(self, keys: np.ndarray) -> None:
        # Python arrays, not numpy's: a look-up is a bisection of plain ints (~0.4 µs, against
        # ~2 µs of numpy scalar calls). 10 bytes a word, copied from the mapped table.
        self._hashes = array("Q", (keys & np.uint64(_HASH_MASK)).tobytes())
        self._buckets = array("H", (keys & np.uint64(_BUCKET_MASK)).astype(np.uint16).tobytes())

    def frequency(self, token: str) -> float | None:
        """wordfreq's frequency of `token` (a float equal to its dictionary's), or None."""
        bucket = self.bucket(_hash(token))
        return None if bucket is None else _FREQUENCY_OF_BUCKET[bucket]

    def bucket(self, wanted: int) -> int | None:
        """The frequency bucket of the token whose `_hash` is `wanted`, or None."""
        at = bisect_left(self._hashes, wanted)
        if at == len(self._hashes) or self._hashes[at] != wanted:
            return None
        return self._buckets[at]


# wordfreq's own float for each bucket, computed as its get_frequency_dict does: cB_to_freq(-index).
_FREQUENCY_OF_BUCKET = tuple(float(wordfreq.cB_to_freq(-index)) for index in range(_BUCKET_MASK + 1))


class _Unsupported(ValueError):
    """A list these tables do not reproduce: wordfreq answers for it itself."""


def _derive(path: Path, lang: str) -> dict[str, np.ndarray]:
    buckets = wordfreq.read_cBpack(str(path))
    if len(buckets) > _BUCKET_MASK + 1:
        raise _Unsupported(f"{path.name}: more frequency buckets than {_BUCKET_BITS} bits hold")
    words = [word for bucket in buckets for word in bucket]
    table = np.array(sorted(_hash(word) | index for index, bucket in enumerate(buckets) for word in bucket),
                     dtype=np.uint64)
    hashes = table & np.uint64(_HASH_MASK)
    if len(hashes) > 1 and not (hashes[1:] != hashes[:-1]).all():
        raise _Unsupported(f"{path.name}: two words share a hash")  # ~1 list in 10^7
    # The arithmetic here is wordfreq's, copied: a later wordfreq that changed it would answer
    # otherwise, so the table is checked against wordfreq itself once, as it is made.
    compact = _List(table)
    sample = words[::97] + [word.title() for word in words[::991]] + ["2024", "covid-19", "new york", "qzxv"]
    if any(_zipf(w, lang, compact) != wordfreq.zipf_frequency(w, lang, wordlist=_WORDLIST) for w in sample):
        raise _Unsupported(f"{path.name}: the table's frequencies are not wordfreq's")
    wordfreq.get_frequency_dict.cache_clear()  # the check's dictionaries: not kept for the process
    return {"keys": table}


def _valid(arrays: Arrays) -> bool:
    keys = arrays.get("keys")
    return keys is not None and keys.dtype == np.uint64 and keys.ndim == 1 and len(keys) > 0


@functools.cache
def _list(lang: str) -> _List | None:
    """The list wordfreq would use for `lang` (its nearest match, as wordfreq chooses), or None
    where this module leaves the answer to wordfreq itself."""
    available = wordfreq.available_languages(_WORDLIST)
    best, _distance = langcodes.closest_match(lang, list(available), max_distance=60)
    if best == "und" or get_language_info(lang)["tokenizer"] != "regex":
        return None  # (Chinese, Japanese and Korean need jieba or MeCab, which wordfreq loads itself)
    path = Path(available[best])
    try:
        arrays = cache.table(cache.name_for(path, f"wordfreq-{_FORMAT}"), lambda: _derive(path, best), _valid)
    except _Unsupported:
        return None
    return _List(arrays["keys"])


def zipf(word: str, lang: str) -> float:
    """`wordfreq.zipf_frequency(word, lang, wordlist="small")`, from the compact list."""
    words = _list(lang)
    if words is None:
        return float(wordfreq.zipf_frequency(word, lang, wordlist=_WORDLIST))
    return _zipf(word, lang, words)


def zipfs(word: str, langs: Iterable[str]) -> Iterator[float]:
    """`zipf(word, lang)` for each of `langs` in turn. A plain word (see `_word_frequency`) is
    its own only token in every list: it is hashed once, and its bucket's value read from each."""
    if not _is_plain(word):
        yield from (zipf(word, lang) for lang in langs)
        return
    wanted, zipf_of_bucket = _hash(word), _zipf_of_buckets()
    for lang in langs:
        words = _list(lang)
        if words is None:
            yield zipf(word, lang)
            continue
        bucket = words.bucket(wanted)
        yield _ZIPF_OF_ABSENT if bucket is None else zipf_of_bucket[bucket]


def _zipf(word: str, lang: str, words: _List) -> float:
    """wordfreq's `zipf_frequency`: the frequency on the Zipf scale, to two decimals."""
    return _zipf_of_frequency(_word_frequency(word, lang, words))


def _zipf_of_frequency(frequency: float) -> float:
    return round(float(wordfreq.freq_to_zipf(frequency)), 2)


@functools.cache
def _zipf_of_buckets() -> tuple[float, ...]:
    """The Zipf value of a word that is one token, found in a list in each bucket: what
    `_word_frequency`'s arithmetic makes of that bucket's frequency."""
    return tuple(_zipf_of_frequency(_rounded(1.0 / frequency)) for frequency in _FREQUENCY_OF_BUCKET)


def _is_plain(word: str) -> bool:
    return word.isascii() and word.isalpha() and word.islower()


def _word_frequency(word: str, lang: str, words: _List) -> float:
    """wordfreq's `_word_frequency`, step for step, with the list's lookup in place of its dict."""
    # wordfreq's tokeniser (its slowest step) gives a word of plain lower-case ASCII letters back
    # as itself, in every language these lists serve (tests/matching/test_wordlists.py checks),
    # and most of the anchor rules' questions are such words: spellings folded to ASCII.
    tokens: Sequence[str] = [word] if _is_plain(word) else _lossy_tokens(word, lang)
    if not tokens:
        return _MINIMUM
    one_over_result = 0.0
    for token in tokens:
        # (wordfreq's number smashing rewrites runs of digits: a word of letters has none)
        smashed: str = token if token.isalpha() else smash_numbers(token)
        freq = words.frequency(smashed)
        if freq is None:
            return _MINIMUM
        if smashed != token:
            freq *= float(digit_freq(token))
        one_over_result += 1.0 / freq
    return _rounded(one_over_result)


def _lossy_tokens(word: str, lang: str) -> tuple[str, ...]:
    """wordfreq's `lossy_tokenize(word, lang)`. It reads of the language only its language info,
    which the Latin-script languages share (so do the Cyrillic ones): a word asked of each is
    tokenised once per info."""
    info = _tokenizing_info(lang)
    return _lossy_tokens_by_info(word, info, _LANGUAGE_OF_INFO.setdefault(info, lang))


_LANGUAGE_OF_INFO: dict[tuple[tuple[str, object], ...], str] = {}  # the first language asked with each info


@functools.lru_cache(maxsize=256)
def _tokenizing_info(lang: str) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(get_language_info(lang).items()))


@functools.lru_cache(maxsize=1024)  # (a word is asked of every reference list in turn: few need keeping)
def _lossy_tokens_by_info(word: str, info: tuple[tuple[str, object], ...], lang: str) -> tuple[str, ...]:
    return tuple(lossy_tokenize(word, lang))


def _rounded(one_over_result: float) -> float:
    """wordfreq's frequency of a phrase from the sum of its tokens' reciprocal frequencies."""
    unrounded = max(1.0 / one_over_result, _MINIMUM)
    leading_zeroes = math.floor(-math.log(unrounded, 10))
    return round(unrounded, leading_zeroes + 3)


def prepare() -> None:
    """Derive every list's table into the cache now (a container image does this once, as it
    is built, so its processes map them instead of deriving them at their first question)."""
    for lang in sorted(wordfreq.available_languages(_WORDLIST)):
        if get_language_info(lang)["tokenizer"] == "regex":
            _list(lang)
