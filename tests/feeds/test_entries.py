"""RFC 4287 as a subscriber reads it: one entry per story with a stable id, its versions linked."""

from __future__ import annotations

import json
from collections import Counter

import feedparser
import httpx

from tests.feeds.support import Corpus, FeedConfig, FeedServer


def story_with_versions(corpus: Corpus) -> str:
    story = corpus.add("en1", title="Floods in the north", text="Rivers rose.\n\nRoads closed.",
                       url="https://news.example/floods", source_id=7, authors=["Jane Doe"],
                       published="Tue, 05 Aug 2025 10:00:00 +0700")
    corpus.add("en2", story=story, title="Northern floods", text="Rivers rose fast.", url="https://wire.example/f",
               source_id=8)
    corpus.add("vi1", story=story, title="Lũ lụt ở miền Bắc", text="Nước sông dâng.", lang="vi",
               url="https://tin.example/lu", source_id=9)
    corpus.add("de1", story=story, title="Hochwasser im Norden", text="Flüsse stiegen.", lang="de")
    return story


def test_the_feed_is_complete_atom(corpus: Corpus) -> None:
    story_with_versions(corpus)
    with FeedServer(corpus.path) as server:
        parsed = feedparser.parse(httpx.get(server.url + "/feed.atom").content)
    assert not parsed.bozo
    feed = parsed.feed
    assert feed.id == "tag:newsdedup,2025:feed/feed.atom"
    assert feed.title and feed.updated and feed.author == "newsdedup" and feed.generator == "newsdedup"
    assert {(link.rel, link.href) for link in feed.links} >= {
        ("self", server.url + "/feed.atom"), ("alternate", server.url + "/")}
    [entry] = parsed.entries
    assert entry.id == "tag:newsdedup,2025:story:s-en1"
    assert entry.title == "Floods in the north"
    assert entry.published == "2025-08-05T03:00:00Z"
    assert entry.author == "news.example" and entry.contributors[0].name == "Jane Doe"
    assert entry.summary.startswith("Rivers rose.")
    assert "<p>Rivers rose.</p><p>Roads closed.</p>" in entry.content[0].value
    assert {t.term for t in entry.tags} == {"lang:de", "lang:en", "lang:vi", "source:7", "source:8", "source:9"}


def test_versions_are_linked_once_per_language_and_translations_say_so(corpus: Corpus) -> None:
    story_with_versions(corpus)
    with FeedServer(corpus.path) as server:
        [entry] = feedparser.parse(httpx.get(server.url + "/feed.atom").content).entries
    alternates = [link for link in entry.links if link.rel == "alternate"]
    # RFC 4287 4.2.7.2: no two alternates with the same type and hreflang.
    assert Counter((link.type, link.hreflang) for link in alternates).most_common(1)[0][1] == 1
    assert {link.hreflang for link in alternates} == {"en", "vi", "de"}
    assert entry.link == "https://news.example/floods"  # the representative is the first alternate
    related = [link for link in entry.links if link.rel == "related"]
    assert [(r.hreflang, r.href) for r in related] == [("en", "https://wire.example/f")]
    titles = {link.hreflang: link.title for link in alternates}
    assert titles["vi"] == "translation (vi): Lũ lụt ở miền Bắc"
    assert titles["en"].startswith("original (en)")
    # A version without a URL of its own links to the stored copy, which is served.
    assert titles["de"] == "translation (de): Hochwasser im Norden"
    de = next(link.href for link in alternates if link.hreflang == "de")
    assert de.startswith(server.url + "/documents/")


def test_a_story_keeps_its_id_and_moves_its_updated_time(corpus: Corpus) -> None:
    story = corpus.add("a", title="Quake", text="A quake struck.")
    corpus.add("b", title="Other", text="Other news.")
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        def entry() -> feedparser.FeedParserDict:
            entries = feedparser.parse(client.get("/feed.atom").content).entries
            assert len(entries) == 2  # collapsed: one entry per story, however many changes
            return next(e for e in entries if e.id.endswith(story))

        first = entry()
        corpus.add("c", story=story, title="Terremoto", text="Un terremoto.", lang="es")
        second = entry()
        corpus.change("a", title="Quake: 12 dead", text="A quake struck. Twelve died.")
        third = entry()
    assert first.id == second.id == third.id
    assert first.updated < second.updated < third.updated
    assert first.published == second.published == third.published
    assert third.title == "Quake: 12 dead" and "Twelve died." in third.content[0].value


def test_language_and_source_feeds(corpus: Corpus) -> None:
    story_with_versions(corpus)
    corpus.add("other", title="Elections", text="Votes counted.", source_id=7)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        vi = feedparser.parse(client.get("/lang/vi.atom").content)
        assert not vi.bozo and vi.feed.id.endswith("/lang/vi.atom")
        [entry] = vi.entries
        assert entry.title == "Lũ lụt ở miền Bắc" and entry.link == "https://tin.example/lu"
        empty = client.get("/lang/fr.atom")  # a language nothing is in yet: a valid, empty feed
        assert empty.status_code == 200 and not feedparser.parse(empty.content).entries
        assert client.get("/lang/not a code.atom").status_code == 400
        source = feedparser.parse(client.get("/source/7.atom").content)
        assert [e.title for e in source.entries] == ["Elections", "Floods in the north"]
        assert client.get("/source/12345.atom").status_code == 404
        assert client.get("/source/abc.atom").status_code == 404
        assert client.get("/lang/en.atom", params={"limit": "1"}).status_code == 200
        assert client.get("/lang/en.atom", params={"limit": "x"}).status_code == 400


def test_a_known_source_is_named_and_an_unknown_one_is_not_found(corpus: Corpus) -> None:
    named = corpus.store.sources.add("https://news.example/feed.xml", title="Example News", interval_seconds=900)
    quiet = corpus.store.sources.add("https://quiet.example/feed.xml", interval_seconds=900)
    corpus.add("n1", title="Harvest", text="A good harvest.", url="https://news.example/harvest",
               source_id=named.id)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        feed = feedparser.parse(client.get(f"/source/{named.id}.atom").content)
        assert feed.feed.title.endswith("from Example News")
        assert feed.entries[0].author == "Example News"
        assert [t.label for t in feed.entries[0].tags if t.term.startswith("source:")] == ["Example News"]
        quiet_feed = client.get(f"/source/{quiet.id}.atom")  # known, nothing from it yet
        assert quiet_feed.status_code == 200 and not feedparser.parse(quiet_feed.content).entries
        assert client.get("/source/999.atom").status_code == 404


def test_json_feed_mirrors_the_atom_feed(corpus: Corpus) -> None:
    story_with_versions(corpus)
    corpus.add("x", title="Second", text="Second story.")
    with FeedServer(corpus.path, FeedConfig(websub_hub="https://hub.example/")) as server:
        response = httpx.get(server.url + "/feed.json")
        atom = feedparser.parse(httpx.get(server.url + "/feed.atom").content)
    assert response.headers["content-type"] == "application/feed+json; charset=utf-8"
    doc = json.loads(response.content)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == server.url + "/feed.json"
    assert doc["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    assert [item["id"] for item in doc["items"]] == [e.id for e in atom.entries]
    floods = doc["items"][1]
    assert {v["role"] for v in floods["_newsdedup"]["versions"]} == {"original", "version", "translation"}
    assert floods["date_modified"] == atom.entries[1].updated
