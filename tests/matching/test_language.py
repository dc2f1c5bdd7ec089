from __future__ import annotations

import pytest

from ingest.language import UNKNOWN, detect, normalise_tag

SAMPLES = {
    "en": "The minister said on Tuesday that the new bridge would open to traffic next spring.",
    "vi": "Thứ trưởng Bộ Ngoại giao đã đại diện Việt Nam tham dự diễn đàn về hợp tác khu vực.",
    "de": "Der Minister sagte am Dienstag, die neue Brücke werde im nächsten Frühjahr eröffnet.",
    "fr": "Le ministre a déclaré mardi que le nouveau pont serait ouvert à la circulation au printemps.",
    "ru": "Министр заявил во вторник, что новый мост откроется для движения следующей весной.",
    "uk": "Міністр заявив у вівторок, що новий міст відкриють для руху наступної весни.",
    "hr": "Ministar je u utorak rekao da će novi most biti otvoren za promet sljedećeg proljeća.",
    "ja": "大臣は火曜日、新しい橋が来年の春に開通すると述べた。",
    "zh": "部长周二表示，新大桥将于明年春天通车。",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_detects_the_languages_of_the_corpora(lang: str) -> None:
    assert detect(SAMPLES[lang]) == lang


def test_declared_language_is_kept_unless_clearly_wrong() -> None:
    assert detect(SAMPLES["hr"], declared="bs") == "bs"
    assert detect(SAMPLES["de"], declared="en") == "de"


def test_no_letters_means_undetermined() -> None:
    assert detect("12 34 56 — 2025") == UNKNOWN
    assert normalise_tag("en-US") == "en" and normalise_tag("") is None


def test_a_few_kana_in_another_language_do_not_make_it_japanese() -> None:
    assert detect("Fans lined up for the new Pokémon game (ポケモン) in Tokyo, the company said.") == "en"
    assert detect("欧盟・东盟会议在雅加达举行，双方签署了合作协议。") == "zh"
    assert detect("ファイザーは2021年12月11日に発表した。") == "ja"


def test_a_declared_language_the_model_does_not_know_is_kept() -> None:
    sakha = "Саха Өрөспүүбүлүкэтин бырабыыталыстыбата дойдубут экэниэмикэтин сайыннарыыга болҕомтону уурар."
    assert detect(sakha, declared="sah") == "sah"  # the model would say Kyrgyz


def test_three_letter_and_regional_tags_are_the_same_language() -> None:
    assert [normalise_tag(t) for t in ("eng", "ger", "rus", "EN", "en-US", "zh_Hant", "sah")] == [
        "en", "de", "ru", "en", "en", "zh", "sah"]
    assert detect(SAMPLES["ru"], declared="eng") == "ru"
    assert detect(SAMPLES["en"], declared="eng") == "en"
