"""Fingerprints: two MinHash views of a document.

- The lexical view: character n-grams of the normalised text. It finds repeats in one
  language (wire copy, re-posts, edits) and paraphrases such as two translations of one
  text into the same language, which share many short character runs but few long word runs.
- The anchor view: language-neutral tokens that survive translation — numbers, acronyms
  and names, folded to ASCII and cut to a prefix so that inflected and transliterated
  forms meet (Давидом → davidom → david; Sergey/Sergei → serge). A capitalised word counts
  as a name when it is rare in the document's language, or when other languages use it
  about as often as this one does: names travel between languages, common words do not.
  "Regierung" is frequent in German and nowhere else, "Monday" in English; "Bayern",
  "David" and "Portland" are frequent everywhere. This drops German nouns, English
  weekdays and Title Case headings, and keeps the names.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from anyascii import anyascii
from wordfreq import available_languages

from ingest.matching.minhash import Signature, minhash_many
from ingest.matching.months import month_initials, month_token, months_capitalised, numeric_month
from ingest.matching.settings import MatchSettings
from ingest.matching.wordlists import zipf, zipfs
from ingest.runs import runs_within

CJK_LANGS = frozenset({"zh", "ja", "ko", "th", "lo", "km", "my"})
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# Numbers with their separators ("1,000", "94.48"; "20–21/11/2025" gives 20, 21, 11, 2025),
# runs of CJK characters, and runs of letters of any other script, each its own token.
# Thousands may also be grouped with spaces ("181 037" in Russian and French) or apostrophes.
_NUMBER = r"\d{1,3}(?:[ \u00a0\u202f\u2009']\d{3})+(?!\d)|\d+(?:[.,]\d+)*"
# Every character that is not a token's is a gap's: each token comes with the gap before it, so
# `findall` tiles a text. A token's characters are \w but "_", the CJK block (which holds some
# \W, such as "・") and a number's separators. The text is read with its "_" as another gap
# character, \x1f (one class is several times faster than a class or "_"; no token holds one,
# gaps are only searched for sentence ends, and a space would join "2_199" into one number). A
# gap is taken whole (possessive): a long run without tokens is read once, not once per character.
_GAP = rf"[^\w{_CJK}]"
_LETTER = rf"[^\W\d_{_CJK}]"
_LETTERS = re.compile(rf"{_LETTER}+")
_CJK_START = "\u3040"
# Most words are not capitalised, and the anchor rules pass over most of those at once (they are
# not names): `_tokens_to_read` steps over them, with their gaps, inside the match of the next
# token that is read. A match is (the words passed over, the gap before the token, number, CJK run,
# word); the last one may hold no token. Passed over are words whose first letter lies below
# this code point and is one no rule reads; a word opening with any other letter is read.
_SKIPPABLE_BELOW = 0x2000
# Languages whose word lists say whether a word travels: the large Latin and Cyrillic ones.
_REFERENCE_LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk")
_SISTER_GROUPS = (("ru", "uk", "be", "bg"), ("hr", "sr", "bs", "sl", "sh"), ("es", "pt", "ca", "gl"),
                  ("cs", "sk"), ("da", "no", "nb", "sv"))
_SISTERS = {lang: frozenset(group) - {lang} for group in _SISTER_GROUPS for lang in group}
# Languages that capitalise more than names in mid-sentence: German nouns, English months,
# weekdays and titles, Vietnamese institutions and honorifics. Elsewhere a capitalised word
# inside a sentence is a name whatever its frequency (Николай, Крючков, Paris).
_CAPITALISES_COMMON_WORDS = frozenset({"de", "lb", "en", "vi", "fr"})
_SENTENCE_END = frozenset(".!?:\n")
# Words this frequent are function words ("On", "Die", "La" opening a sentence), whatever
# other languages say: their spellings recur across languages by accident.
_FUNCTION_WORD_ZIPF = 6.0
logging.getLogger("wordfreq").setLevel(logging.ERROR)  # "using 'sh' for 'hr'" is expected, not news
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,' \u00a0\u202f\u2009]\d{3})+$")
_SEPARATORS = re.compile(r"[.,' \u00a0\u202f\u2009]")
_LATIN = re.compile(r"[A-Za-z]")
# Chinese and Japanese count large numbers in myriads: 2300万 is 23 million, 1万2000 is 12,000.
_MYRIADS = re.compile(r"(\d+(?:\.\d+)?)([万萬億亿])(\d{1,4}(?!\d))?")
_MYRIAD_VALUE = {"万": 10**4, "萬": 10**4, "億": 10**8, "亿": 10**8}
_MASK64 = (1 << 64) - 1
_CHARS_TOGETHER = 65_536  # characters `lexical_minhashes` hashes in one pass (a longer text alone)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class Fingerprint:
    lexical: Signature
    anchors: tuple[str, ...]          # distinct anchor tokens in order of first appearance
    anchor_minhash: Signature


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def _hash_ngrams(text: str, n: int) -> np.ndarray:
    """32-bit hashes of every character n-gram of `text`, computed with numpy in one pass.
    A repeated n-gram repeats its hash: MinHash takes minimums, which repeats do not change,
    and removing them (a sort) cost more than the minimums over them (two thirds of this)."""
    return _hash_ngrams_many([text], n)[0]


def _hash_ngrams_many(texts: Sequence[str], n: int) -> list[np.ndarray]:
    """`_hash_ngrams` of each of `texts`, hashed in one pass over all of them (a text shorter
    than n is padded with NULs to one n-gram)."""
    padded = [text + "\0" * (n - len(text)) if len(text) < n else text for text in texts]
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = len(codes) - n + 1
    with np.errstate(over="ignore"):
        h = np.zeros(max(windows, 0), dtype=np.uint64)
        for i in range(n):
            h = h * _MIX + codes[i: windows + i] + np.uint64(i + 1)
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
    h &= np.uint64(0xFFFFFFFF)
    # Each text's own n-grams: those that start in it and end in it.
    hashes, start = [], 0
    for text in padded:
        hashes.append(h[start: start + len(text) - n + 1])
        start += len(text)
    return hashes


def lexical_minhash(text: str, lang: str, settings: MatchSettings) -> Signature:
    return lexical_minhashes([(text, lang)], settings)[0]


def lexical_minhashes(texts: Sequence[tuple[str, str]], settings: MatchSettings) -> list[Signature]:
    """The lexical view of each (text, language) of `texts`: MinHash over character n-grams
    of the normalised text."""
    # Chinese and Japanese do not separate words with spaces; their characters carry more
    # information each, so shorter n-grams match paraphrases as well.
    shingled = [(normalise(text).replace(" ", ""), settings.lexical_shingle_cjk) if lang in CJK_LANGS
                else (normalise(text), settings.lexical_shingle) for text, lang in texts]
    # Together up to _CHARS_TOGETHER characters at a time (a longer text alone): the working
    # arrays are ~25 bytes per character, so a batch of long pages stays a few megabytes.
    runs = runs_within([len(text) for text, _ in shingled], _CHARS_TOGETHER)
    return [signature for run in runs for signature in _lexical_group(shingled[run.start:run.stop], settings.num_perm)]


def _lexical_group(shingled: list[tuple[str, int]], num_perm: int) -> list[Signature]:
    hashes: list[np.ndarray | None] = [None] * len(shingled)
    for n in {n for _, n in shingled}:
        at = [i for i, (_, size) in enumerate(shingled) if size == n]
        for i, values in zip(at, _hash_ngrams_many([shingled[i][0] for i in at], n), strict=True):
            hashes[i] = values
    return minhash_many([values for values in hashes if values is not None], num_perm)


@lru_cache(maxsize=1)
def _wordfreq_languages() -> frozenset[str]:
    return frozenset(available_languages())


@lru_cache(maxsize=200_000)
def _is_common_word(word: str, lang: str, rare_zipf: float, gap: float) -> bool:
    """True for a frequent word of `lang` that other languages do not share (not a name)."""
    if lang not in _wordfreq_languages() or lang in CJK_LANGS:
        return False  # (wordfreq needs extra tokenisers for CJK, and their words are not cased anyway)
    own = zipf(word, lang)
    if own < rare_zipf:
        return False
    if own >= _FUNCTION_WORD_ZIPF:
        return True
    # Other scripts' lists are asked for the word as they would spell it (сергей → sergei).
    # A sister language shares too much vocabulary to tell a name from a word.
    spellings = {word, anyascii(word).lower()}
    sisters = _SISTERS.get(lang, frozenset()) | {lang}
    # Common here when no other language uses it within `gap` as often (the first that does ends the search).
    others = [other for other in _REFERENCE_LANGS if other not in sisters]
    return not any(other_zipf >= own - gap for spelling in spellings for other_zipf in zipfs(spelling, others))


# Transliteration conventions differ (Lammy/Ламми → lammi, Juri/Yuri, Wladimir/Vladimir,
# Khodorkovsky/Hodorkovski); folding each to one spelling lets the variants meet.
# Each rule with the letters it needs to find ("": any spelling): it is tried only on a spelling
# that holds them (a test in C, against a regex call for each of a dozen rules).
_SPELLING = [(re.compile(a), b, needs) for a, b, needs in (
    (r"kh", "h", "kh"), (r"ph", "f", "ph"), (r"w", "v", "w"), (r"y", "i", "y"), (r"j", "i", "j"),
    (r"x", "ks", "x"),
    # Latin c is s before e/i and k elsewhere (Barcelona/Барселона, Covid/ковид, Canada/Канада)
    (r"ck", "k", "ck"), (r"c(?=[ei])", "s", "c"), (r"c(?!h)", "k", "c"),
    # Cyrillic ю after a consonant is an English u (Люксембург/Luxembourg, Брюссель/Brussels),
    # and Greek-Latin eu is Cyrillic ev (Европа/Europe, Евгений/Eugene)
    (r"(?<=[bcdfgklmnprstvz])iu", "u", "iu"), (r"^eu", "ev", "eu"),
    (r"(.)\1", r"\1", ""))]


@lru_cache(maxsize=200_000)  # names recur across a stream: each is folded once
def _fold(token: str) -> str:
    folded = "".join(ch for ch in anyascii(token).lower() if ch.isalnum())
    if folded.isdigit() or len(folded) <= 3:
        return folded  # numbers and short acronyms (EU, UN, WHO) are spelled as they are
    for pattern, replacement, needs in _SPELLING:
        if needs in folded:
            folded = pattern.sub(replacement, folded)
    return folded


def _number_token(raw: str) -> str:
    if _THOUSANDS.match(raw):
        digits = _SEPARATORS.sub("", raw)
        # "145,000" is "145 тысяч" or "145 000" elsewhere: round thousands meet at their head.
        while len(digits) >= 5 and digits.endswith("000"):
            digits = digits[:-3]
        return digits
    return raw.replace(",", ".")


def _spell_out_myriads(text: str) -> str:
    """2300万 → 23,000,000: so it meets "23 million" and "23 000 000" at their head (23)."""
    def value(match: re.Match[str]) -> str:
        number = float(match.group(1)) * _MYRIAD_VALUE[match.group(2)] + int(match.group(3) or 0)
        return f"{round(number):,}"
    return _MYRIADS.sub(value, text)


def _tokens_to_read(lang: str) -> re.Pattern[str]:
    """The tokens of `lang`'s texts with the gaps before them, and the words `anchor_tokens`
    passes over at once stepped over inside the match (see _SKIPPABLE_BELOW): words whose first
    letter is not upper case (lower-case, and of caseless scripts), but where month names are
    lower case those whose first letter may open one. Texts of CJK_LANGS pass over none."""
    # One pattern serves every language whose lower-case words are all passed over; the others
    # are the CJK languages and those with lower-case months: a few dozen at most, whatever
    # languages a stream declares.
    return _tokens_pattern(lang if lang in CJK_LANGS or months_capitalised(lang) is False else "")


@cache  # (bounded: see _tokens_to_read)
def _tokens_pattern(lang: str) -> re.Pattern[str]:
    """`_tokens_to_read` for `lang` ("": a language none of whose lower-case words is read)."""
    skippable = ""
    if lang not in CJK_LANGS:
        months_lower_case = months_capitalised(lang) is False
        maybe_month = month_initials(lang)
        skippable = "".join(ch for ch in map(chr, range(_SKIPPABLE_BELOW)) if _is_letter(ch)
                            and not ch.isupper() and not (months_lower_case and maybe_month[ch]))
    passed_over = rf"(?:{_GAP}*+[{_character_class(skippable)}]{_LETTER}*+)*+" if skippable else ""
    # (The look-behind: a match begins where a token ends, so a failed match is not tried again
    # from inside its gap.)
    return re.compile(rf"(?<!{_GAP})({passed_over})({_GAP}*+)(?:({_NUMBER})|([{_CJK}]+)|({_LETTER}+)|\Z)")


# Up to this many characters a text is searched for each capitalised word's lower-case twin (a
# few searches in C, each answer kept); a longer text gives its words as a set, made once. (The
# searches' cost grows with the text's length times its names, the set's with its length only.)
_TWINS_SEARCHED_UP_TO = 2_000


class _Words:
    """Whether a word is one of a text's words (a whole run of its letters)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._known: dict[str, bool] = {}
        self._all: set[str] | None = None

    def __contains__(self, word: str) -> bool:
        if len(self._text) > _TWINS_SEARCHED_UP_TO:
            if self._all is None:
                self._all = set(_LETTERS.findall(self._text))
            return word in self._all
        answer = self._known.get(word)
        if answer is None:
            answer = self._known[word] = _is_a_word_of(word, self._text)
        return answer


def _is_a_word_of(word: str, text: str) -> bool:
    """Whether `word` is one of the words of `text`, searched for."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        # (Most places a word is found are inside a longer one, a letter below the CJK block beside it.)
        if (start == 0 or not _is_letter(text[start - 1])) and (end == len(text) or not _is_letter(text[end])):
            return _LETTERS.fullmatch(word) is not None
        start = text.find(word, start + 1)
    return False


def _is_letter(character: str) -> bool:
    if character < _CJK_START:  # (\w is alphanumeric or "_", \d decimal)
        return character.isalnum() and not character.isdecimal()
    return _LETTERS.match(character) is not None


def _character_class(characters: str) -> str:
    """The inside of a regex class of exactly `characters`: their runs of code points as ranges."""
    codes = sorted(set(map(ord, characters)))
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
                   for low, high in runs)


def anchor_tokens(text: str, lang: str, settings: MatchSettings) -> tuple[str, ...]:
    """The language-neutral tokens of `text`, distinct, in order of first appearance."""
    # Full-width digits and letters (２０２１, ＮＨＫ) are the ASCII ones other languages write.
    text = unicodedata.normalize("NFKC", text)
    if lang in CJK_LANGS:
        text = _spell_out_myriads(text)
    seen: dict[str, None] = {}
    caseless_script = lang in CJK_LANGS
    capital_months = months_capitalised(lang)  # (None: no month names known)
    maybe_month = month_initials(lang)
    # The tokens as (words passed over, gap before, number, CJK run, word) tuples: made in C, as
    # match objects are not.
    tokens = _tokens_to_read(lang).findall(text.replace("_", "\x1f"))
    words = _Words(text)
    number_from = 0  # where the next number is searched for: its position, for numeric_month
    for i, (passed_over, gap, number, _cjk_run, word) in enumerate(tokens):
        if not word:
            if number:
                # (No digit lies between the last number and this one: gaps, words and CJK runs have none.)
                start = text.find(number, number_from)
                number_from = start + len(number)
                seen.setdefault(numeric_month(number, text, start, number_from) or _number_token(number), None)
            # Names in Chinese or Japanese script are written differently in every other
            # language; only the Latin-script words such texts contain travel.
            continue
        upper = word[0].isupper()
        # (month_token refuses a word of the other case at once: most words are not asked.)
        if upper is capital_months and maybe_month[word[0]] and (month := month_token(word, lang)):
            seen.setdefault(month, None)
            continue
        if caseless_script:
            if not _LATIN.match(word):
                continue
            # A Latin-script word in such a text is a name or brand whatever its case, and is
            # cut like any name (Chinese writes "Vladimir Putin" where English has "Vladimir").
            is_acronym = len(word) >= 2 and word.isupper()
        elif not upper:
            continue
        else:
            is_acronym = len(word) >= 2 and word.isupper()
            if not is_acronym:
                lower = word.lower()
                # (the text's first token, or a sentence end in the gap before it: it opens a sentence)
                if (lang in _CAPITALISES_COMMON_WORDS or (i == 0 and not passed_over)
                        or not _SENTENCE_END.isdisjoint(gap)) and \
                        _is_common_word(lower, lang, settings.anchor_rare_zipf, settings.anchor_crosslingual_gap):
                    continue
                # A word the text also writes in lower case is a common word capitalised by position.
                # (Asked second: the common words are the ones found in many other words.)
                if lower[0].islower() and lower in words:
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


def fingerprint(title: str, text: str, lang: str, settings: MatchSettings) -> Fingerprint:
    return fingerprints([(title, text, lang)], settings)[0]


def fingerprints(documents: Sequence[tuple[str, str, str]], settings: MatchSettings) -> list[Fingerprint]:
    """Both views of each (title, text, language) of `documents`; their MinHash signatures
    are computed together (`minhash_many`), the same values as one at a time."""
    bodies = [(f"{title}\n{text}" if title and not text.startswith(title) else text, lang)
              for title, text, lang in documents]
    anchors = [anchor_tokens(body, lang, settings) for body, lang in bodies]
    anchor_minhashes = minhash_many([[_token_hash(t) for t in tokens] for tokens in anchors], settings.anchor_num_perm)
    return [Fingerprint(lexical=lexical, anchors=tokens, anchor_minhash=anchor_minhash)
            for lexical, tokens, anchor_minhash in zip(lexical_minhashes(bodies, settings), anchors,
                                                        anchor_minhashes, strict=True)]


def signature_bytes(signature: Signature) -> bytes:
    return signature.to_bytes()


def minhash_from_bytes(data: bytes) -> Signature:
    return Signature.from_bytes(data)
