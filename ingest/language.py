"""Language identification: py3langid's naive Bayes model, loaded once, on the text's opening."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

import langcodes

from ingest import language_model
from ingest.language_model import Identifier

UNKNOWN = "und"  # BCP 47 "undetermined"
# A page's opening says its language; classifying all of a 5 MB text says no more. 1,000
# characters gave the same answer as 3,000 on every text of the dev sets (14,481 documents and
# pages, with and without their declared language), at a third of the cost on long texts.
_SAMPLE_CHARS = 1000
_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff]")  # hiragana, katakana; not the "・" dot
# Serbian, Bosnian and Croatian in Latin script are one written standard to a character
# model; py3langid's answer among them on short texts is close to a coin toss.
_CONFUSABLE = {"bs": "hr", "sr": "hr"}


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _identifier() -> Identifier:
    with _loading:  # one load, whichever thread asks first
        return language_model.load()


def wait_until_loaded() -> None:
    """Load the model now, or wait for `preload`'s thread to finish it. Call it before forking:
    a child forked while that thread held the loading lock would wait for it forever."""
    _identifier()


def preload() -> None:
    """Start loading the model in a background thread, so a command's first document does not
    wait for it (~30 ms from the cache; ~1.5 s the first time, when the tables are derived)."""
    threading.Thread(target=_identifier, name="language-model", daemon=True).start()


@lru_cache(maxsize=1)
def _known_labels() -> frozenset[str]:
    return frozenset(_identifier().labels) | frozenset(_CONFUSABLE.values())


def normalise_tag(tag: str | None) -> str | None:
    """'en-US' → 'en', 'zh_Hant' → 'zh', 'eng' and 'ger' → 'en' and 'de' (ISO 639-2/3 codes to
    639-1 where one exists, via langcodes), '' or not a language code → None."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip())[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", primary):
        return None
    try:
        return langcodes.Language.get(langcodes.standardize_tag(primary)).language or primary
    except ValueError:
        return primary


def detect(text: str, *, declared: str | None = None, min_confidence: float = 0.5) -> str:
    """The ISO 639-1 code of `text`'s language.

    A declared language (a corpus field, the page's `lang`) is kept unless the model is
    confident of another; with no letters to go on the answer is "und".
    """
    return detect_many([(text, declared)], min_confidence=min_confidence)[0]


def detect_many(texts: Sequence[tuple[str, str | None]], *, min_confidence: float = 0.5) -> list[str]:
    """`detect` of each (text, declared language) of `texts`: the same answers, with the model
    run over all the texts it is asked about at once (cheaper than once per text)."""
    answers: list[str | None] = []
    asked: list[tuple[int, str, str | None]] = []  # (answer's index, sample, declared)
    for text, declared_tag in texts:
        declared = normalise_tag(declared_tag)
        answer = _without_the_model(text[:_SAMPLE_CHARS], declared)
        if answer is None:
            asked.append((len(answers), text[:_SAMPLE_CHARS], declared))
        answers.append(answer)
    scores = language_model.classify_many(_identifier(), [sample for _, sample, _ in asked]) if asked else []
    for (at, _, declared), (lang, confidence) in zip(asked, scores, strict=True):
        lang = _CONFUSABLE.get(lang, lang)
        if declared and (declared == lang or confidence < 0.9):
            answers[at] = declared
        else:
            answers[at] = lang if confidence >= min_confidence or not declared else declared
    return [answer or UNKNOWN for answer in answers]


def _without_the_model(sample: str, declared: str | None) -> str | None:
    """The answer for texts the model is not asked about (None: ask it)."""
    if not any(map(str.isalpha, sample)):
        return declared or UNKNOWN
    # (Letters are counted only for a text with kana: most have none, and counting is a pass.)
    if _KANA.search(sample) and len(_KANA.findall(sample)) >= max(3, sum(map(str.isalpha, sample)) // 10):
        # Kana are Japanese only; the model sometimes says zh for kanji-heavy Japanese. A few
        # kana in another language's text (a quoted name, a "・") are not enough.
        return "ja"
    if declared and declared not in _known_labels():
        return declared  # the model cannot recognise it (Sakha, Livonian, ...): it would name a neighbour
    return None
