from __future__ import annotations

import pytest

from ingest.months import month_token


@pytest.mark.parametrize(("word", "lang", "token"), [
    ("December", "en", "m12"), ("Dezember", "de", "m12"), ("décembre", "fr", "m12"), ("декабря", "ru", "m12"),
    ("грудня", "uk", "m12"), ("prosinca", "hr", "m12"), ("grudnia", "pl", "m12"), ("мая", "ru", "m5"),
    ("lipnja", "hr", "m6"), ("lipca", "pl", "m7"), ("août", "fr", "m8"),
])
def test_every_spelling_of_a_month_is_one_token(word: str, lang: str, token: str) -> None:
    assert month_token(word, lang) == token


@pytest.mark.parametrize(("word", "lang"), [
    ("may", "en"), ("travel", "en"), ("Marco", "pt"), ("Mars", "fr"), ("lipa", "hr"), ("мартовский", "ru"),
    ("December", "ja"),
])
def test_words_that_only_look_like_months_are_not(word: str, lang: str) -> None:
    assert month_token(word, lang) is None
