"""Text-dump cleaning: general rules, checked on the seeds and on texts written for each rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract import extract_text_dump

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# Furniture found in the seed dumps; none of it may survive cleaning.
BOILERPLATE = ["Comment (0)", "Leave your comment", "See more", ".jpg", " |", "date 2025-11-22", "Source:",
               "-VNA", "./.", "(Photo:", "Tay Ninh fosters partnership",
               "Đoàn đại biểu Đảng Cộng sản Việt Nam thăm và làm việc tại Tây Ban Nha"]


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_dumps_lose_all_boilerplate(prefix: str) -> None:
    article = extract_text_dump(seed(prefix))
    for phrase in BOILERPLATE:
        assert phrase not in article.text, phrase
    assert article.text.count("\n\n") >= 5
    assert article.title


def test_seed_metadata_is_kept() -> None:
    assert extract_text_dump(seed("001")).published == "2025-11-22"
    assert extract_text_dump(seed("000")).url.startswith("https://baotintuc.vn/")
    assert extract_text_dump(seed("000")).published == "2025-11-22"  # from the timestamp in its URL
    assert extract_text_dump(seed("004")).authors == ["VNA"]
    assert extract_text_dump(seed("003")).title == "Vietnam attends ASEAN Foreign Ministers’ Retreat in Philippines"


def test_captions_printed_twice_appear_at_most_once() -> None:
    article = extract_text_dump(seed("003"))
    assert "Vietnamese Minister of Foreign Affairs Le Hoai Trung (fifth, left)" not in article.text
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == len(set(paragraphs))


def test_article_text_is_kept_intact() -> None:
    article = extract_text_dump(seed("004"))
    assert article.text.startswith("Minister of National Defence Gen. Ngo Xuan Lich on August 5 met")
    assert article.text.endswith("the cooperativepartnership in this field.")


def test_rules_are_general_not_per_file() -> None:
    dump = "\n".join([
        "Flood waters recede in the north",
        "Rescue teams reached the last cut-off villages on Tuesday, officials said.",
        "Residents cleaned homes as the river fell below the alarm level.",
        "flood-village-2024.webp",
        "Volunteers hand out water in a village. (Photo: AFP)",
        "The weather service expects dry days ahead./.",
        "AFP",
        "Related articles",
        "Another story about something else entirely",
        "Comments (12)",
    ])
    article = extract_text_dump(dump)
    assert article.title == "Flood waters recede in the north"
    assert article.text.split("\n\n") == [
        "Rescue teams reached the last cut-off villages on Tuesday, officials said.",
        "Residents cleaned homes as the river fell below the alarm level.",
        "The weather service expects dry days ahead.",
    ]
    assert article.authors == ["AFP"]


def test_untitled_dump_gets_a_title_from_its_first_sentence() -> None:
    article = extract_text_dump("The council approved the budget on Monday. It takes effect in May.\n")
    assert article.title == "The council approved the budget on Monday."


def test_boilerplate_only_dump_leaves_no_text_and_says_why() -> None:
    article = extract_text_dump("Comment (0)\nLeave your comment on an article\n")
    assert article.text == ""
    assert article.notes


def test_furniture_lines_of_many_sites_are_dropped() -> None:
    dump = "\n".join([
        "Harbour reopens after storm",
        "The harbour in Split reopened on Monday after the storm, the port authority said.",
        "Photo: Getty Images",
        "Story continues below advertisement",
        "Ferries to Hvar and Brač resumed at noon, with extra sailings in the evening.",
        "Follow us on Twitter and Facebook",
        "Updated: 11/19/2019 4:52 PM EST",
        "Have a news tip? Email us at tips@example.org or call 555-0134.",
    ])
    assert extract_text_dump(dump).text.split("\n\n") == [
        "The harbour in Split reopened on Monday after the storm, the port authority said.",
        "Ferries to Hvar and Brač resumed at noon, with extra sailings in the evening.",
    ]


def test_an_acronym_line_is_a_byline_at_the_end_and_a_subheading_inside() -> None:
    article = extract_text_dump("Storm season starts\nThe first storm reached the coast on Monday.\nFAQ\n"
                                "What should residents do? Stay indoors.\nThe storm weakened overnight.\nAFP\n")
    assert article.text.split("\n\n") == ["The first storm reached the coast on Monday.", "FAQ",
                                          "What should residents do? Stay indoors.", "The storm weakened overnight."]
    assert article.authors == ["AFP"]
