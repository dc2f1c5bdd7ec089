"""A real feed reader subscribes over HTTP: newsboat lists every story once and picks up new and updated ones.

newsboat runs non-interactively (`-x reload`) with its own urls, config and cache files;
what it stored is read from its SQLite cache, as newsboat itself would show it.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import feedparser
import httpx
import pytest

from feeds.views import story_tag
from tests.feeds.support import FeedServer, replay, write_jsonl

pytestmark = pytest.mark.skipif(shutil.which("newsboat") is None,
                                reason="newsboat is not installed (apt-get install newsboat)")

HARVEST = ("Farmers in the Mekong Delta reported a record rice harvest this season, with yields up "
           "twelve percent on last year. The agriculture ministry credited new seed varieties and better "
           "irrigation, while exporters said prices at the port of Ho Chi Minh City held steady. Traders "
           "expect shipments to the Philippines and Indonesia to rise before the end of the year.")
HARVEST_EDITED = HARVEST + (" The ministry later revised its estimate, saying the harvest reached "
                            "forty-three million tonnes, the most since records began in 1976.")
BRIDGE = ("Engineers opened a new cable-stayed bridge across the Red River in Hanoi on Saturday, cutting "
          "travel time between the city centre and the northern districts by half. The structure, built "
          "over four years at a cost of nine trillion dong, carries six lanes of traffic and a light rail "
          "line scheduled to open next spring, city officials said at the ceremony.")


def newsboat(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["newsboat", "-u", str(home / "urls"), "-c", str(home / "cache.db"),
                           "-C", str(home / "config"), *args],
                          env={"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                          capture_output=True, text=True, timeout=30, check=True)


def items(home: Path) -> list[tuple[str, str, str, int]]:
    db = sqlite3.connect(home / "cache.db")
    try:
        return db.execute("SELECT guid, title, content, unread FROM rss_item WHERE deleted = 0").fetchall()
    finally:
        db.close()


def test_newsboat_sees_each_story_once_then_the_new_and_updated_ones(tmp_path: Path, seeds_dir: Path) -> None:
    db = tmp_path / "news.db"
    replay(db, seeds_dir, write_jsonl(tmp_path / "round1.jsonl", [
        {"id": "wire-1", "title": "Record rice harvest in the Mekong Delta", "text": HARVEST, "lang": "en"}]))
    home = tmp_path / "newsboat"
    home.mkdir()
    with FeedServer(db) as server:
        feed_url = server.url + "/feed.atom"
        (home / "urls").write_text(feed_url + "\n")
        # Mark an item unread again when the service updates it (same id, new updated time).
        (home / "config").write_text(f'reset-unread-on-update "{feed_url}"\n')
        stories = {e.id: e.title for e in feedparser.parse(httpx.get(feed_url).content).entries}
        assert len(stories) == 5  # seeds: 4 stories (000 and 001 are one), and the harvest

        newsboat(home, "-x", "reload")
        first = items(home)
        assert sorted(guid for guid, *_ in first) == sorted(stories)
        db_nb = sqlite3.connect(home / "cache.db")
        db_nb.execute("UPDATE rss_item SET unread = 0")  # the subscriber reads everything
        db_nb.commit()
        db_nb.close()

        # More arrives: the harvest story is corrected, a new story, and another site's copy of seed 002.
        seed_002 = (seeds_dir / "002_c68e8246998bbcaa.txt").read_text(encoding="utf-8")
        replay(db, write_jsonl(tmp_path / "round2.jsonl", [
            {"id": "wire-1", "title": "Record rice harvest in the Mekong Delta", "text": HARVEST_EDITED,
             "lang": "en"},
            {"id": "wire-2", "title": "New bridge opens over the Red River", "text": BRIDGE, "lang": "en"},
            {"id": "copy-002", "text": seed_002.replace("Kuala Lumpur", "Kuala Lumpur (Malaysia)"), "lang": "en"},
        ]))
        newsboat(home, "-x", "reload")
        second = items(home)
        unread_count = newsboat(home, "-x", "print-unread").stdout

    guids = [guid for guid, *_ in second]
    assert len(guids) == len(set(guids)) == 6  # one new story, no duplicates
    unread = {guid: title for guid, title, _, flag in second if flag}
    harvest = next(guid for guid, title in stories.items() if title.startswith("Record rice"))
    with sqlite3.connect(db) as conn:
        [(copy_story, copy_kind)] = conn.execute(
            "SELECT d.story_id, c.kind FROM documents d JOIN changes c ON c.document_id = d.id "
            "WHERE d.key = 'copy-002'")
    assert copy_kind == "version"  # the pipeline put the copy into seed 002's story
    seed_story = story_tag(copy_story)
    assert seed_story in {guid for guid, *_ in first}
    assert harvest in unread and seed_story in unread
    assert "New bridge opens over the Red River" in unread.values()
    assert len(unread) == 3
    assert unread_count.split()[0] == "3"
    content = next(content for guid, _, content, _ in second if guid == harvest)
    assert "forty-three million tonnes" in content
