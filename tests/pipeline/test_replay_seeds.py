"""The seeds, end to end: replay → stories → feed, and a second replay that changes nothing."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import feedparser

from tests.conftest import run_cli

BOILERPLATE = ["Comment (0)", "Leave your comment", "See more", ".jpg", " |", "Source:", "-VNA", "./."]


def clusters(db: Path) -> dict[str, dict]:
    result = run_cli("clusters", "--db", db, "--format", "jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    return {Path(r["id"]).name[:3]: r for r in rows}


def test_seeds_make_four_stories_with_000_and_001_joined(seeds_dir: Path, db_path: Path) -> None:
    result = run_cli("replay", seeds_dir, "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "5 documents: 4 new stories, 1 new versions (1 translations)" in result.output
    docs = clusters(db_path)
    assert docs["000"]["cluster"] == docs["001"]["cluster"]
    assert len({d["cluster"] for d in docs.values()}) == 4
    assert (docs["000"]["lang"], docs["001"]["lang"]) == ("en", "vi")
    assert {docs[k]["lang"] for k in ("002", "003", "004")} == {"en"}


def test_feed_has_one_entry_per_story_with_versions_linked(seeds_dir: Path, db_path: Path) -> None:
    run_cli("replay", seeds_dir, "--db", db_path)
    xml = run_cli("feed", "--db", db_path).stdout_bytes
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 4
    assert len({e.id for e in parsed.entries}) == 4
    joined = next(e for e in parsed.entries if len(e.links) == 2)
    assert sorted(link.hreflang for link in joined.links) == ["en", "vi"]
    assert all(link.rel == "alternate" for link in joined.links)
    for entry in parsed.entries:
        assert entry.title and entry.updated and entry.published
        text = entry.content[0].value
        for phrase in BOILERPLATE:
            assert phrase not in text, (entry.title, phrase)


def test_second_replay_appends_nothing_and_feed_is_unchanged(seeds_dir: Path, db_path: Path) -> None:
    run_cli("replay", seeds_dir, "--db", db_path)
    first_feed = run_cli("feed", "--db", db_path).stdout_bytes
    changes_before = sqlite3.connect(db_path).execute("SELECT count(*) FROM changes").fetchone()[0]
    again = run_cli("replay", seeds_dir, "--db", db_path)
    assert again.exit_code == 0
    assert "0 new stories, 0 new versions" in again.output and "5 skipped" in again.output
    changes_after = sqlite3.connect(db_path).execute("SELECT count(*) FROM changes").fetchone()[0]
    assert changes_after == changes_before == 5
    second_feed = run_cli("feed", "--db", db_path).stdout_bytes
    strip_feed_updated = re.compile(rb"<updated>[^<]*</updated>", re.M)
    assert strip_feed_updated.sub(b"", first_feed, count=1) == strip_feed_updated.sub(b"", second_feed, count=1)
    assert first_feed == second_feed  # the feed's own timestamp follows the stories, so even it is equal


def test_changed_text_becomes_a_change_of_the_same_story(tmp_path: Path, db_path: Path) -> None:
    article = tmp_path / "story.txt"
    article.write_text("Harbour reopens after storm\nThe harbour in Split reopened on Monday after the storm.\n"
                       "Ferries to Hvar and Brač resumed at noon.\n", encoding="utf-8")
    run_cli("replay", article, "--db", db_path)
    article.write_text("Harbour reopens after storm\nThe harbour in Split reopened on Monday after the storm.\n"
                       "Ferries to Hvar and Brač resumed at noon, the port authority said.\n", encoding="utf-8")
    result = run_cli("replay", article, "--db", db_path)
    assert "1 changed" in result.output
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT kind FROM changes ORDER BY seq").fetchall() == [("created",), ("changed",)]
    assert db.execute("SELECT count(*) FROM revisions").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == 1
