from __future__ import annotations

import pytest

from ingest.matching.months import month_token


@pytest.mark.parametrize(("word", "lang", "token"), [
    ("December", "en", "m12"), ("Dezember", "de", "m12"), ("décembre", "fr", "m12"), ("декабря", "ru", "m12"),
    ("грудня", "uk", "m12"), ("prosinca", "hr", "m12"), ("grudnia", "pl", "m12"), ("мая", "ru", "m5"),
    ("lipnja", "hr", "m6"), ("lipca", "pl", "m7"), ("août", "fr", "m8"), ("června", "cs", "m6"),
    ("července", "cs", "m7"), ("prosince", "cs", "m12"),
])
def test_every_spelling_of_a_month_is_one_token(word: str, lang: str, token: str) -> None:
    assert month_token(word, lang) == token


@pytest.mark.parametrize(("word", "lang"), [
    ("may", "en"), ("travel", "en"), ("Marco", "pt"), ("Mars", "fr"), ("lipa", "hr"), ("мартовский", "ru"),
    ("December", "ja"),
])
def test_words_that_only_look_like_months_are_not(word: str, lang: str) -> None:
    assert month_token(word, lang) is None


def test_months_written_as_numbers_meet_month_names() -> None:
    from ingest.matching import MatchSettings
    from ingest.matching.fingerprint import anchor_tokens

    en = set(anchor_tokens("Pfizer said on December 11, 2021 that", "en", MatchSettings()))
    for text, lang in [("辉瑞公司2021年12月11日表示", "zh"), ("ファイザーは2021年12月11日に", "ja"),
                       ("Ngày 11 tháng 12 năm 2021, Pfizer cho biết", "vi")]:
        assert {"m12", "11", "2021"} <= set(anchor_tokens(text, lang, MatchSettings())) & en | {"11", "2021"}


def test_the_first_letter_check_changes_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check on a word's first letter only ends early what the stems would have refused."""
    import wordfreq

    from ingest.matching import months

    words = {lang: list(wordfreq.iter_wordlist(lang, "small"))[::7] for lang in months._MONTHS}
    words = {lang: sample + [w.capitalize() for w in sample] for lang, sample in words.items()}
    quick = {(w, lang): month_token(w, lang) for lang, sample in words.items() for w in sample}
    month_token.cache_clear()
    class Everything:
        def __contains__(self, letter: object) -> bool:
            return True

    monkeypatch.setattr(months, "_INITIALS", {lang: Everything() for lang in months._MONTHS})
    try:
        assert {(w, lang): month_token(w, lang) for (w, lang) in quick} == quick
    finally:
        month_token.cache_clear()
    assert sum(token is not None for token in quick.values()) > 50  # the sample holds months


def test_month_initials_refuse_no_month() -> None:
    """`month_initials` says False only for a first letter that begins no month of the language."""
    import wordfreq

    from ingest.matching import months

    for lang in months._MONTHS:
        sample = list(wordfreq.iter_wordlist(lang, "small"))[::5]
        for word in sample + [w.capitalize() for w in sample]:
            if month_token(word, lang) is not None:
                assert months.month_initials(lang)[word[0]], (word, lang)
    assert not months.month_initials("en")["x"]
