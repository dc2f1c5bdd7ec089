"""The reader's side over HTTP: story pages, the original rule, why-grouped evidence, revisions as word
diffs, paging to the first story, filters, full-text search in every script, the JSON API, empty states."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import feedparser
import httpx
import pytest

from feeds.views import word_diff
from storage import Store
from storage.model import GroupingEvidence
from tests.feeds.support import Corpus, FeedServer, replay

FIXTURES = Path(__file__).resolve().parent.parent / "storage" / "fixtures"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def translated_first(corpus: Corpus) -> str:
    """A machine translation (ru, no date) stored before the English source (published)."""
    story = corpus.add("mt-ru", title="Наводнение на севере", text="Реки поднялись.", lang="ru",
                       url="https://mt.example/ru")
    corpus.add("src-en", story=story, title="Floods in the north", text="Rivers rose.", lang="en",
               url="https://news.example/floods", published="2025-08-05T03:00:00Z",
               grouping=GroupingEvidence(1, "translation", 2.5, ("42", "m8", "nord"), 0.02))
    corpus.add("copy-en", story=story, title="Floods in the north", text="Rivers rose.", lang="en",
               url="https://wire.example/floods", published="2025-08-05T05:00:00Z",
               grouping=GroupingEvidence(2, "exact-copy", 1.0, ("42", "m8", "nord"), 1.0))
    return story


def test_the_original_is_the_earliest_published_version_not_the_first_stored(corpus: Corpus) -> None:
    story = translated_first(corpus)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        [entry] = feedparser.parse(client.get("/feed.atom").content).entries
        titles = {link.href: link.title for link in entry.links}
        api = client.get(f"/api/stories/{story}").json()
    assert titles["https://news.example/floods"].startswith("original (en)")
    assert titles["https://mt.example/ru"].startswith("translation (ru)")
    assert titles["https://wire.example/floods"].startswith("version (en)")
    assert entry.published == "2025-08-05T03:00:00Z"  # when the original was published
    roles = {v["url"]: v["role"] for v in api["versions"]}
    assert roles == {"https://news.example/floods": "original", "https://mt.example/ru": "translation",
                     "https://wire.example/floods": "version"}
    assert api["title"] == "Floods in the north" and api["original"] == 2


def test_without_any_date_the_first_seen_version_is_the_original(corpus: Corpus) -> None:
    story = corpus.add("a", title="Quake", text="A quake.", lang="en")
    corpus.add("b", story=story, title="Terremoto", text="Un terremoto.", lang="es")
    with FeedServer(corpus.path) as server:
        versions = httpx.get(f"{server.url}/api/stories/{story}").json()["versions"]
    assert [(v["lang"], v["role"]) for v in versions] == [("en", "original"), ("es", "translation")]


def test_the_story_page_shows_every_version_and_why_it_was_grouped(corpus: Corpus) -> None:
    story = translated_first(corpus)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        page = client.get(f"/stories/{story}")
        api = client.get(f"/api/stories/{story}").json()
        assert client.get("/stories/no-such-story").status_code == 404
        assert client.get("/api/stories/no-such-story").status_code == 404
        assert client.get("/stories/%3Cscript%3E").status_code == 404
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.count('class="version ') == 3
    assert 'id="why-grouped"' in html and "started the story" in html
    assert "rule <code>translation</code>, score 2.50" in html and "text similarity 0.02" in html
    assert "an exact copy of" in html
    grouped = {v["lang"] + v["url"]: v["grouped_by"] for v in api["versions"]}
    assert grouped["ruhttps://mt.example/ru"] is None
    assert grouped["enhttps://news.example/floods"] == {
        "rule": "translation", "score": 2.5, "matched_document": 1, "shared_anchors": ["42", "m8", "nord"],
        "lexical_similarity": 0.02}


def test_the_real_pipeline_records_why_the_seed_translation_joined(tmp_path: Path) -> None:
    db = tmp_path / "seeds.db"
    replay(db, SEEDS)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT l.rule, l.score, l.evidence, d.lang, m.lang FROM story_links l "
                            "JOIN documents d ON d.id = l.document_id "
                            "JOIN documents m ON m.id = l.matched_document_id").fetchall()
    [(rule, score, evidence, lang, matched_lang)] = rows
    assert (rule, lang, matched_lang) == ("translation", "vi", "en") and score >= 1.0
    assert '"shared_anchors": [' in evidence and "asean" in evidence


def test_a_revision_shows_what_changed_word_by_word(corpus: Corpus) -> None:
    story = corpus.add("a", title="Quake", text="A quake struck the coast at dawn.")
    corpus.change("a", title="Quake: 12 dead", text="A strong quake struck the coast at dawn. Twelve died.")
    with FeedServer(corpus.path) as server:
        html = httpx.get(f"{server.url}/stories/{story}").text
        diff = httpx.get(f"{server.url}/api/stories/{story}").json()["revisions"]
    assert "A <ins>strong</ins> quake struck the coast at dawn. <ins>Twelve died.</ins>" in html
    assert "<del>Quake</del> <ins>Quake: 12 dead</ins>" in html
    [change] = diff
    assert change["revision"] == 2 and {"op": "added", "text": "strong"} in change["diff"]


def test_word_diff_keeps_a_little_context_around_each_change() -> None:
    before = " ".join(f"w{i}" for i in range(100))
    after = before.replace("w50", "CHANGED")
    parts = word_diff(before, after, context=3)
    assert [p.op for p in parts] == ["same", "removed", "added", "same"]
    assert parts[0].text == "… w47 w48 w49" and parts[-1].text == "w51 w52 w53 …"
    assert word_diff("same", "same") == (type(parts[0])("same", "same"),)


def test_pages_reach_the_first_story_and_filters_narrow_them(corpus: Corpus) -> None:
    source = corpus.store.sources.add("https://news.example/feed.xml", title="Example News", interval_seconds=900)
    for number in range(7):
        corpus.add(f"k{number}", title=f"Story {number}", text=f"Text {number}.", lang="de" if number % 2 else "en",
                   source_id=source.id if number == 3 else None)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        first = client.get("/", params={"limit": "3"}).text
        last = client.get("/", params={"limit": "3", "page": "3"}).text
        german = client.get("/", params={"lang": "DE"}).text
        from_source = client.get("/", params={"source": str(source.id)}).text
        api = client.get("/api/stories", params={"limit": "3", "page": "3"}).json()
        assert client.get("/", params={"page": "0"}).status_code == 400
        assert client.get("/", params={"page": "x"}).status_code == 400
        assert client.get("/", params={"source": "-1"}).status_code == 400
        assert client.get("/", params={"page": "99"}).status_code == 200  # past the end: an empty page
    assert "7 stories, page 1 of 3" in first
    assert "Story 6" in first and 'rel="next" href="/?page=2&amp;limit=3"' not in first
    assert 'rel="next"' in first and 'rel="last"' in first
    assert "Story 0" in last and 'rel="next"' not in last
    assert "Story 1" in german and "Story 3" in german and "Story 0" not in german
    assert "Story 3" in from_source and "Story 1" not in from_source and "from Example News" in from_source
    assert api["page"] == 3 and api["pages"] == 3 and api["total"] == 7
    assert [s["title"] for s in api["stories"]] == ["Story 0"]


def test_search_finds_titles_and_texts_in_every_script(corpus: Corpus) -> None:
    corpus.add("en", title="Floods in the north", text="Rivers rose after record rain.")
    corpus.add("zh", title="北方洪水", text="创纪录的降雨后河水上涨。", lang="zh")
    corpus.add("ja", title="北部で洪水", text="記録的な大雨で川が増水した。", lang="ja")
    corpus.add("ru", title="Наводнение", text="Реки поднялись после рекордных дождей.", lang="ru")
    corpus.add("vi", title="Lũ lụt", text="Nước sông dâng cao.", lang="vi")
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        def found(q: str, **params: str) -> list[str]:
            return [s["title"] for s in client.get("/api/stories", params={"q": q, **params}).json()["stories"]]

        assert found("record rain") == ["Floods in the north"]
        assert found("RIVERS") == ["Floods in the north"]       # any case
        assert found("降雨") == ["北方洪水"]                     # shorter than a trigram: matched by LIKE
        assert found("降雨后") == ["北方洪水"]                   # a trigram or longer: the FTS5 index
        assert found("記録的") == ["北部で洪水"]
        assert found("洪水") == ["北方洪水", "北部で洪水"] or found("洪水") == ["北部で洪水", "北方洪水"]
        assert found("рекордных") == ["Наводнение"]
        assert found("sông") == ["Lũ lụt"]
        assert found('"quoted" OR x*') == []                    # FTS syntax is text, never an error
        assert found("record\x00 rain\x1b") == ["Floods in the north"]  # control characters separate words
        assert found("north", lang="zh") == []
        page = client.get("/search", params={"q": "Rivers"})
        assert page.status_code == 200 and "Floods in the north" in page.text and "1 story holds" in page.text
        assert "No story holds" in client.get("/search", params={"q": "nothing-like-this"}).text
        assert client.get("/search", params={"q": "x" * 201}).status_code == 400
        assert client.get("/search").status_code == 200


def test_an_empty_database_explains_itself_and_its_feed_is_not_from_1970(tmp_path: Path) -> None:
    Store(str(tmp_path / "empty.db")).close()
    with FeedServer(tmp_path / "empty.db") as server, httpx.Client(base_url=server.url) as client:
        home = client.get("/").text
        feed = feedparser.parse(client.get("/feed.atom").content)
        api = client.get("/api/stories").json()
    assert "No stories yet" in home and "newsdedup sources add" in home and "newsdedup replay" in home
    assert not feed.bozo and not feed.entries
    assert not feed.feed.updated.startswith("1970") and feed.feed.updated[:2] == "20"
    assert api == {"page": 1, "pages": 1, "total": 0, "filters": {"lang": None, "source": None, "q": None},
                   "stories": []}


def test_migration_4_indexes_the_documents_an_older_database_holds(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    old = sqlite3.connect(db)
    old.executescript((FIXTURES / "release-1.sql").read_text(encoding="utf-8"))
    old.close()
    Store(str(db)).close()
    with FeedServer(db) as server:
        api = httpx.get(f"{server.url}/api/stories", params={"q": "ASEAN"}).json()
        assert api["total"] >= 1
        home = httpx.get(server.url + "/")
    assert home.status_code == 200
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM documents_fts").fetchone()[0] == 5
        assert conn.execute("SELECT value FROM meta WHERE key = 'created'").fetchone()[0][:2] == "20"


@pytest.mark.parametrize("path", ["/stories/x", "/api/stories/x", "/search?q=x", "/api/stories?q=x"])
def test_new_routes_of_a_database_that_is_not_there_yet_say_503(tmp_path: Path, path: str) -> None:
    with FeedServer(tmp_path / "missing.db") as server:
        assert httpx.get(server.url + path).status_code == 503
