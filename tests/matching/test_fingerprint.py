from __future__ import annotations

import pytest

from ingest.matching import MatchSettings
from ingest.matching.fingerprint import anchor_tokens, fingerprint, fingerprints, minhash_from_bytes, signature_bytes

S = MatchSettings()


def test_names_fold_to_ascii_and_inflections_meet() -> None:
    ru = anchor_tokens("Встреча с Давидом Ламми прошла в Брюсселе.", "ru", S)
    en = anchor_tokens("The meeting with David Lammy took place in Brussels.", "en", S)
    assert {"david", "lami", "bruse"} <= set(en)
    assert {"david", "lami"} <= set(ru)
    assert set(anchor_tokens("Sergei Lammy", "en", S)) & set(anchor_tokens("Сергей Ламми", "ru", S)) == {"lami"}


def test_common_capitalised_words_are_not_anchors() -> None:
    de = anchor_tokens("Die Regierung beschloss am Montag ein Gesetz für Schulen in Bayern.", "de", S)
    en = anchor_tokens("On Monday The Government Announced A Plan for Kent.", "en", S)
    assert "regie" not in de and "geset" not in de and "baier" in de
    assert "monda" not in en and "gover" not in en and "kent" in en


def test_numbers_are_anchors_with_separators_normalised() -> None:
    assert anchor_tokens("Trade reached 1,500 units, up 94.48% on 20–21/11/2025 as trade grew.", "en", S) == (
        "1500", "94.48", "20", "21", "11", "2025")
    assert "1500" in anchor_tokens("Der Handel erreichte 1.500 Einheiten.", "de", S)


def test_chinese_and_japanese_keep_only_latin_script_tokens_and_numbers() -> None:
    assert anchor_tokens("欧盟（EU）在2025年与ASEAN举行会议", "zh", S) == ("eu", "2025", "asean")


def test_documents_fingerprinted_together_get_their_own_fingerprints() -> None:
    documents = [("Title", "Some text about the harbour in Split reopening.", "en"),
                 ("", "", "en"), ("", "ab", "en"), ("", "Ab", "zh"),  # shorter than one n-gram
                 ("欧盟", "欧盟（EU）在2025年与ASEAN举行会议，讨论贸易。", "zh"),
                 ("Встреча", "Встреча с Давидом Ламми прошла в Брюсселе 12 мая.", "ru"),
                 ("", "Der Handel erreichte 1.500 Einheiten. " * 400, "de")]  # more than one pass
    together = fingerprints(documents, S)
    for document, made in zip(documents, together, strict=True):
        alone = fingerprint(*document, S)
        assert made.anchors == alone.anchors
        assert (made.lexical.hashvalues == alone.lexical.hashvalues).all()
        assert (made.anchor_minhash.hashvalues == alone.anchor_minhash.hashvalues).all()
    assert fingerprints([], S) == []


def test_signatures_round_trip_through_bytes() -> None:
    fp = fingerprint("Title", "Some text about the harbour in Split reopening.", "en", S)
    assert minhash_from_bytes(signature_bytes(fp.lexical)).jaccard(fp.lexical) == 1.0


def test_capitalised_words_inside_a_sentence_are_names_where_only_names_are_capitalised() -> None:
    ru = anchor_tokens("Такое заявление сделал иммунолог Николай Крючков, который назвал срок.", "ru", S)
    assert ru == ("nikol", "kruch")  # "Такое" opens the sentence and is a common word


def test_a_word_opens_a_sentence_by_the_gap_before_it_whatever_token_ends_there() -> None:
    """A sentence end between the previous token and a word (a number's own decimal point is no
    gap), or no token before it at all."""
    assert "takoe" not in anchor_tokens("Он сказал 5. Такое", "ru", S)
    assert "takoe" not in anchor_tokens(" – Такое", "ru", S)
    assert "takoe" in anchor_tokens("Он сказал 5, Такое", "ru", S)
    assert "takoe" in anchor_tokens("Он сказал 4.5 Такое", "ru", S)
    assert "takoe" not in anchor_tokens("Он сказал 4.5!) Такое", "ru", S)


def test_a_cjk_mark_is_a_token_not_a_gap() -> None:
    """"・" (and "゛") are no word characters, but CJK runs: a word after one is not the text's
    first token, and opens no sentence."""
    assert anchor_tokens("・Сегодня в Москве прошёл митинг", "ru", S) == ("segod", "moskv")
    assert anchor_tokens("Řekl.・Dnes v Praze", "cs", S) == ("dnes", "praze")


def test_a_long_run_without_tokens_is_read_once() -> None:
    """A page that ends in (or holds) tens of thousands of separators, underscores or newlines:
    each gap is read once, not again from each of its characters."""
    for filler in ("\n", "_", "-", "・"):
        text = "Moskau meldet 12 Tote." + filler * 50_000 + "Berlin auch." + filler * 50_000
        assert anchor_tokens(text, "de", S) == ("12", "tote", "berli")


_TILING_TEXTS = ["", "Hello", "  a_b 1 000,5 x2y 欧盟EU 12月 ... Ünïcode\u0301 ²½ 𐐀\n", "__9__", "・Сегодня\u309b_x",
                 "a" + "\n" * 1000, "the end. Then 2_199 janvier Mars décembre, iPhone ǅemal ⅰⅱ ß ẞ", "dernier mot"]


@pytest.mark.parametrize("lang", ["en", "de", "fr", "ru", "hr", "zh", "ja", "xx"])
@pytest.mark.parametrize("text", _TILING_TEXTS)
def test_the_matches_tile_the_text_and_pass_over_only_words_no_rule_reads(text: str, lang: str) -> None:
    """Each match is the words passed over, the gap before a token and the token: together they
    are the text (its "_" read as gaps). A word passed over is one `anchor_tokens` would pass over
    at once: not capitalised, and where months are lower case, no letter a month begins with."""
    from ingest.matching.fingerprint import _LETTERS, _tokens_to_read
    from ingest.matching.months import month_initials, months_capitalised

    read = text.replace("_", "\x1f")
    matches = _tokens_to_read(lang).findall(read)
    assert "".join("".join(parts) for parts in matches) == read
    maybe_month = month_initials(lang)
    for passed_over, *_ in matches:
        for word in _LETTERS.findall(passed_over):
            assert not word[0].isupper() and lang not in ("zh", "ja")
            assert months_capitalised(lang) is not False or not maybe_month[word[0]]


def test_a_capitalised_word_also_written_in_lower_case_is_no_name_only_when_it_is_a_whole_word() -> None:
    # "Stand" opens a sentence; "stand" is in the text only inside "Standort": a name-like token.
    assert "stand" in anchor_tokens("Der Standort wurde geschlossen. Stand heute ist Tesla vorn.", "en", S)
    assert "stand" not in anchor_tokens("Wir stand dort. Stand heute ist Tesla vorn.", "en", S)


def test_thousands_grouped_with_spaces_and_round_thousands_meet() -> None:
    ru = anchor_tokens("Привито 181 037 человек, около 145 тысяч подростков.", "ru", S)
    en = anchor_tokens("181,037 people were vaccinated, about 145,000 teenagers.", "en", S)
    assert {"181037", "145"} <= set(ru) & set(en)


@pytest.mark.parametrize(("latin", "cyrillic"), [("Europe", "Европе"), ("Barcelona", "Барселона"),
                                                 ("Luxembourg", "Люксембург"), ("Brussels", "Брюсселе"),
                                                 ("Canada", "Канаде"), ("Chernobyl", "Чернобыль")])
def test_transliteration_conventions_meet(latin: str, cyrillic: str) -> None:
    assert anchor_tokens(f"Officials in {latin} said so.", "en", S)[-1:] == \
        anchor_tokens(f"Так заявили в {cyrillic} официальные лица.", "ru", S)[-1:]



def test_a_number_too_long_to_read_is_an_anchor_not_a_failure() -> None:
    """Python's int() refuses strings of over 4,300 digits: such a number (a table dumped as one
    run of digits, grouped or not) is fingerprinted and decided like any other token."""
    from ingest.matching.index import StoryIndex

    settings = MatchSettings()
    index = StoryIndex(settings)
    for run in ("7" * 5000, ",".join(["123"] * 1700)):
        text = f"Moody's said on Monday {run} that Lisbon would"
        fp = fingerprint("Lisbon", text, "en", settings)
        assert any(len(token) > 4300 for token in fp.anchors)
        index.decide(fp, "en")
        index.add(len(index) + 1, f"s{len(index)}", "en", 0.0, fp.lexical, fp.anchors, fp.anchor_minhash)
    assert index.decide(fp, "de").story_id is not None  # a copy, read as German: it meets the English one


def test_a_capitalised_word_s_twin_is_searched_for_once_and_a_long_text_s_words_are_read_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The searches for lower-case twins cost the text's length for every name asked: each name
    is asked once, and a long text (where one page of repeated names would cost minutes) gives
    its words as one set instead, with the same anchors."""
    from ingest.matching import fingerprint

    searched: list[str] = []
    search = fingerprint._is_a_word_of
    monkeypatch.setattr(fingerprint, "_is_a_word_of", lambda word, text: searched.append(word) or search(word, text))
    short = "Zorblax sagt. " * 20 + "Abc abcd."
    assert anchor_tokens(short, "pl", S) == ("zorbl", "abc")
    assert sorted(searched) == ["abc", "zorblax"]
    searched.clear()
    long = "Abc abcd " * 16_000
    assert len(long) > fingerprint._TWINS_SEARCHED_UP_TO
    assert anchor_tokens(long, "pl", S) == ("abc",) and searched == []
