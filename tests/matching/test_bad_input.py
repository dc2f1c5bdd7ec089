"""Bad input through the real pipeline (the replay CLI in-process): headline-only texts, texts of
numbers only, boilerplate-only pages, a 5 MB text, one story copied hundreds of times.
Each must give sensible stories and no crash.

Some pin down weaknesses benchmarks/dedup_variants.py found (a near-duplicate with other names and
score, a teaser block taken for an article, two stories joined by their site's furniture).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ingest.matching.fingerprint import fingerprint
from ingest.pipeline import Pipeline
from newsdedup.config import Settings
from storage import Store
from tests.conftest import run_cli


def replay(tmp_path: Path, db_path: Path, records: list[dict], name: str = "corpus") -> tuple[int, str]:
    corpus = tmp_path / f"{name}.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    result = run_cli("replay", corpus, "--db", db_path, "--quiet")
    return result.exit_code, result.output


def clusters(db_path: Path) -> dict[str, dict]:
    result = run_cli("clusters", "--db", db_path)
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in map(json.loads, result.output.splitlines())}


def stories(rows: dict[str, dict]) -> list[set[str]]:
    """The partition of document ids into stories, as a sorted list of sets."""
    by_story: dict[str, set[str]] = {}
    for doc_id, row in rows.items():
        by_story.setdefault(row["cluster"], set()).add(doc_id)
    return sorted(by_story.values(), key=lambda s: sorted(s))


# -- very short texts


def test_headline_only_texts_make_sensible_stories(tmp_path: Path, db_path: Path) -> None:
    code, output = replay(tmp_path, db_path, [
        {"id": "h1", "text": "Storm closes schools in Split"},
        {"id": "h2", "text": "Storm closes schools in Split"},          # the same headline on another site
        {"id": "h3", "text": "Storm closes schools in Split."},         # punctuation and case only
        {"id": "h4", "text": "STORM CLOSES SCHOOLS IN SPLIT"},
        {"id": "h5", "text": "Ferry strike ends after two days"},
        {"id": "h6", "text": "Storm"},                                  # one word
        {"id": "h7", "text": "Flood"},
        {"id": "h8", "title": "Storm closes schools in Split", "text": "Storm closes schools in Split"},
    ])
    assert code == 0, output
    assert "8 documents" in output and "0 errors" in output
    rows = clusters(db_path)
    assert stories(rows) == [{"h1", "h2", "h3", "h4", "h8"}, {"h5"}, {"h6"}, {"h7"}]
    assert rows["h8"]["title"] == "Storm closes schools in Split"


def test_short_texts_with_other_names_and_numbers_are_other_stories(tmp_path: Path, db_path: Path) -> None:
    code, output = replay(tmp_path, db_path, [
        {"id": "r1", "text": "Dinamo Zagreb beat Hajduk Split 3-1 on Saturday"},
        {"id": "r2", "text": "Dinamo Zagreb beat Rijeka 2-0 on Saturday"},
    ])
    assert code == 0, output
    assert stories(clusters(db_path)) == [{"r1"}, {"r2"}]


def test_short_texts_that_differ_in_numbers_and_month_are_other_stories(tmp_path: Path, db_path: Path) -> None:
    code, output = replay(tmp_path, db_path, [
        {"id": "i1", "text": "Inflation in Croatia rose to 4.5 percent in March"},
        {"id": "i2", "text": "Inflation in Croatia rose to 3.9 percent in April"},
    ])
    assert code == 0, output
    assert stories(clusters(db_path)) == [{"i1"}, {"i2"}]


# -- numbers only


def test_texts_of_numbers_only_are_stored_with_undetermined_language(tmp_path: Path, db_path: Path) -> None:
    texts = {"n1": "2024 2025 1,000 3.14 42", "n2": "2024 2025 1,000 3.14 42", "n3": "1 2 3 4 5 6 7 8 9 10",
             "n4": "11 12 13 14 15 16 17 18 19 20", "n5": "0", "n6": "12:30 14:45 16:00", "n7": "+385 1 234 5678",
             "n8": "1-0 2-1 3-3 0-2 1-1"}
    code, output = replay(tmp_path, db_path, [{"id": k, "text": v} for k, v in texts.items()])
    assert code == 0, output
    rows = clusters(db_path)
    assert set(rows) == set(texts)
    assert {row["lang"] for row in rows.values()} == {"und"}
    # Identical texts are one story; different tables of numbers are not chained together.
    assert stories(rows) == [{"n1", "n2"}, {"n3"}, {"n4"}, {"n5"}, {"n6"}, {"n7"}, {"n8"}]


# -- boilerplate only


def test_boilerplate_only_pages_are_reported_and_not_stored(tmp_path: Path, db_path: Path) -> None:
    code, output = replay(tmp_path, db_path, [
        {"id": "b1", "text": "Sign up for our newsletter to get updates in your inbox\n"
                             "We use cookies to improve your experience"},
        {"id": "b2", "text": "Comments (3)\nShare this article"},
        {"id": "b3", "html": "<html><body><nav>Home | News</nav><footer>Comments (0)</footer></body></html>"},
        {"id": "ok", "text": "Harbour reopens after storm\nThe harbour in Split reopened on Monday."},
    ])
    assert code == 1
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and all(": empty (extract):" in line for line in errors), output
    assert set(clusters(db_path)) == {"ok"}


def test_a_teaser_block_alone_is_not_an_article(tmp_path: Path, db_path: Path) -> None:
    code, output = replay(tmp_path, db_path, [
        {"id": "t1", "text": "Related articles\nStorm closes schools in Split\nFerry strike ends after two days"},
    ])
    assert code == 1 and ": empty (extract):" in output
    assert clusters(db_path) == {}


SITE_HEADER = "Breaking News\nUpdated: 11/19/2019 4:52 PM EST\n"
SITE_FOOTER = ("\nHave a news tip? Email us at tips@citynews.example or call 555-0134.\n"
               "The views expressed in the comments below are those of the readers and not of City News. "
               "Please keep the discussion civil and on topic; comments that break our rules will be removed.\n")


def test_two_short_stories_in_the_same_site_furniture_stay_apart(tmp_path: Path, db_path: Path) -> None:
    a = ("The city council approved a new budget for the harbour on Tuesday. Mayor Ivan Horvat said repairs "
         "would begin in spring and cost about 2 million euros.")
    b = ("Police closed the coastal road near Omis after a rockfall on Tuesday night. Nobody was hurt, a "
         "spokeswoman for the county police said.")
    code, output = replay(tmp_path, db_path, [{"id": "a", "text": SITE_HEADER + a + SITE_FOOTER},
                                              {"id": "b", "text": SITE_HEADER + b + SITE_FOOTER}])
    assert code == 0, output
    assert stories(clusters(db_path)) == [{"a"}, {"b"}]


# -- a very large text


def test_a_5mb_text_is_stored_whole_as_one_story(tmp_path: Path, db_path: Path) -> None:
    rng = random.Random(5)
    words = ("the council said on Monday that the new harbour would open next year after a long delay "
             "caused by storms rising costs and a dispute over the contract").split()
    paragraphs = [" ".join(rng.choice(words) for _ in range(60)) + f" Report {i} from Marko Horvat in Zagreb."
                  for i in range(14_000)]
    big = "\n\n".join(paragraphs)
    assert len(big.encode()) > 4.5 * 2**20
    code, output = replay(tmp_path, db_path, [
        {"id": "big", "title": "Harbour delay report", "text": big},
        {"id": "small", "text": "Ferry strike ends after two days. Ferries to the islands run again from Friday."},
    ])
    assert code == 0, output
    rows = clusters(db_path)
    assert stories(rows) == [{"big"}, {"small"}]
    assert rows["big"]["lang"] == "en"
    store = Store(str(db_path))
    try:
        stored = store.conn.one("SELECT length(text) FROM documents WHERE key = 'big'")[0]
    finally:
        store.close()
    assert stored == len(big)


# -- one story copied many times


@pytest.mark.parametrize("mode", ["identical", "near-identical"])
def test_300_copies_are_one_story_and_matching_work_stays_bounded(tmp_path: Path, db_path: Path, mode: str) -> None:
    text = ("Harbour in Split reopens after the storm. The harbour master Ivan Kovač said on Monday that 14 ferries "
            "resumed service and 3,200 passengers travelled.")
    records = [{"id": f"c{i:03d}", "text": text if mode == "identical" else f"{text} Update {i}."}
               for i in range(300)]
    code, output = replay(tmp_path, db_path, records)
    assert code == 0, output
    assert "300 documents: 1 new stories, 299 new versions" in output
    rows = clusters(db_path)
    assert len(rows) == 300 and len(stories(rows)) == 1
    (story_id,) = {row["cluster"] for row in rows.values()}

    # A restarted pipeline loads the 300 stored signatures; the next copy is verified against at
    # most the story's STORY_SAMPLE most recent members, however many the LSH returns.
    settings = Settings(db=str(db_path))
    store = Store(str(db_path))
    try:
        pipeline = Pipeline(store, settings.matching)
        assert len(pipeline.index) == 300
        assert len(pipeline.index.story_members[story_id]) == 300
        fp = fingerprint("", f"{text} Update 300.", "en", settings.matching)
        decision = pipeline.index.decide(fp, "en")
        assert decision.story_id == story_id
        assert 0 < len(decision.links) <= settings.matching.story_sample
    finally:
        store.close()
    # Replaying the same copies again changes nothing.
    code, output = replay(tmp_path, db_path, records)
    assert code == 0 and "300 skipped" in output


def test_chinese_translation_joins_on_what_chinese_can_share_but_a_date_alone_does_not(tmp_path: Path,
                                                                                      db_path: Path) -> None:
    en = ("NASA said on December 11, 2021 that the James Webb telescope, built with ESA and CSA, would launch "
          "on December 22 from Kourou after a delay of 3 days. The 10 billion dollar telescope carries 4 "
          "instruments and will orbit 1.5 million kilometres from Earth, NASA administrator Bill Nelson said.")
    zh = ("NASA于2021年12月11日表示，与ESA和CSA合作建造的詹姆斯·韦布望远镜将在推迟3天后于12月22日从库鲁发射。"
          "这台耗资100亿美元的望远镜携带4台仪器，将在距离地球150万公里的轨道上运行，NASA局长比尔·纳尔逊说。")
    other = "2021年12月11日，北京举行了一场马拉松比赛，数千名跑者参加。比赛在上午8点开始，天气晴朗。"
    code, output = replay(tmp_path, db_path, [{"id": "en", "lang": "en", "text": en},
                                              {"id": "zh", "lang": "zh", "text": zh},
                                              {"id": "other", "lang": "zh", "text": other}])
    assert code == 0, output
    assert stories(clusters(db_path)) == [{"en", "zh"}, {"other"}]
