"""The compact word lists give wordfreq's own Zipf frequencies."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import wordfreq

from ingest.matching import wordlists

LANGS = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "cs", "hr", "vi", "tr", "fi"]


@pytest.mark.parametrize("lang", LANGS)
def test_same_zipf_frequency_as_wordfreq(lang: str) -> None:
    words = list(wordfreq.iter_wordlist(lang, "small"))
    rng = random.Random(lang)
    sample = words[::40] + [w.capitalize() for w in words[::400]] + [w.upper() for w in words[::400]]
    sample += [words[i] + words[j] for i, j in zip(range(0, 2000, 50), range(7, 2007, 50), strict=True)]
    sample += ["", " ", "2021", "covid-19", "new york", "don't", "l'état", "über", "сергей", "İstanbul",
               "3,5", "x" * 40, "qzxv", "Ⅻ", "ﬁnance", "straße", "\ud800"]
    sample += ["".join(chr(rng.randint(0x61, 0x24F)) for _ in range(rng.randint(1, 9))) for _ in range(300)]
    differing = [(w, wordlists.zipf(w, lang), wordfreq.zipf_frequency(w, lang, wordlist="small"))
                 for w in sample if wordlists.zipf(w, lang) != wordfreq.zipf_frequency(w, lang, wordlist="small")]
    assert differing == []


def test_one_word_asked_of_many_languages_gets_each_language_s_zipf() -> None:
    """`zipfs` (one hash for a plain word; one tokenisation per language info otherwise) answers
    as `zipf` does, language by language, including where wordfreq answers itself."""
    words = list(wordfreq.iter_wordlist("en", "small"))[::97] + list(wordfreq.iter_wordlist("ru", "small"))[::97]
    words += ["", "über", "l'état", "сергей", "straße", "2021", "new york", "Paris", "ǆemal"]
    asked = [*LANGS, "sr", "bg", "el"]
    assert [w for w in words if list(wordlists.zipfs(w, asked)) != [wordlists.zipf(w, lang) for lang in asked]] == []


def test_plain_ascii_words_are_their_own_tokens_in_every_language() -> None:
    """What the quick path of `_word_frequency` takes for granted, in every language with a list."""
    from wordfreq.language_info import get_language_info
    from wordfreq.tokens import lossy_tokenize

    langs = [lang for lang in wordfreq.available_languages("small") if get_language_info(lang)["tokenizer"] == "regex"]
    rng = random.Random(5)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 14))) for _ in range(500)]
    words += ["i", "ii", "ij", "istanbul", "llorar", "oe", "ss"]
    assert len(langs) > 30
    assert [(w, lang) for lang in langs for w in words if lossy_tokenize(w, lang) != [w]] == []


def test_a_language_without_a_list_is_left_to_wordfreq() -> None:
    # (Chinese, which needs jieba, is never asked: the anchor rules skip CJK languages.)
    for lang in ("liv", "sah"):
        with pytest.raises(LookupError):
            wordfreq.zipf_frequency("word", lang, wordlist="small")
        with pytest.raises(LookupError):
            wordlists.zipf("word", lang)


def test_every_list_is_prepared_without_the_cjk_tokenisers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As the Docker image is built: jieba and MeCab are not installed, and are not needed.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    wordlists._list.cache_clear()
    wordlists.prepare()
    prepared = list((tmp_path / "newsdedup").glob("wordfreq-*"))
    assert len(prepared) >= 35 and not any("small_ja" in p.name or "small_zh" in p.name for p in prepared)
    wordlists._list.cache_clear()


def test_a_damaged_list_is_derived_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    wordlists._list.cache_clear()
    expected = wordlists.zipf("regierung", "de")
    (table,) = (tmp_path / "newsdedup").glob("wordfreq-*small_de*")
    (table / "keys.npy").write_bytes(b"\x93NUMPY garbage")
    wordlists._list.cache_clear()
    assert wordlists.zipf("regierung", "de") == expected == wordfreq.zipf_frequency("regierung", "de", wordlist="small")
    assert np.load(table / "keys.npy").dtype == np.uint64
    wordlists._list.cache_clear()


def test_a_list_the_table_does_not_reproduce_is_left_to_wordfreq(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(wordlists, "_BUCKET_MASK", 0xFF)  # as if wordfreq's lists grew past the bits
    wordlists._list.cache_clear()
    assert wordlists._list("fr") is None
    assert wordlists.zipf("gouvernement", "fr") == wordfreq.zipf_frequency("gouvernement", "fr", wordlist="small")
    wordlists._list.cache_clear()
