"""RFC 5005: from the live feed back through prev-archive, every change-log row exactly once."""

from __future__ import annotations

import feedparser
import httpx
from lxml import etree

from tests.feeds.support import Corpus, FeedConfig, FeedServer

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
ND = "{tag:newsdedup,2025:changes}"


def links(root: etree._Element) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}


def change_seqs(root: etree._Element) -> list[int]:
    return [int(c.get("seq")) for c in root.iter(f"{ND}change")]


def fill(corpus: Corpus, stories: int, start: int = 0) -> None:
    """Several kinds of change, interleaved: new stories, versions, translations, edits."""
    for i in range(start, start + stories):
        story = corpus.add(f"doc{i}", title=f"Story {i}", text=f"Text of story {i}.")
        if i % 2 == 0:
            corpus.add(f"doc{i}-vi", story=story, title=f"Tin {i}", text=f"Bài {i}.", lang="vi")
        if i % 3 == 0:
            corpus.change(f"doc{i}", title=f"Story {i}, updated", text=f"Text of story {i}, corrected.")


def walk(client: httpx.Client, url: str) -> list[etree._Element]:
    """The subscription document, then each prev-archive page, as a client reconstructing the feed does."""
    pages = []
    seen = set()
    while url:
        assert url not in seen, f"prev-archive loops back to {url}"
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        assert not feedparser.parse(response.content).bozo, url
        root = etree.fromstring(response.content)
        pages.append(root)
        url = links(root).get("prev-archive", "")
    return pages


def test_walking_back_from_the_live_feed_meets_every_change_once(corpus: Corpus) -> None:
    fill(corpus, 9)
    total = len(corpus.changes())
    assert total == 17  # 9 stories, 5 translations, 3 edits: three full pages of 5 and 2 open
    with FeedServer(corpus.path, FeedConfig(feed_page_size=5)) as server, httpx.Client() as client:
        pages = walk(client, server.url + "/feed.atom")
        seqs = [seq for page in pages for seq in change_seqs(page)]
        assert sorted(seqs) == list(range(1, total + 1))
        # The live feed: the last full page (11-15) and the open one (16-17), collapsed per story.
        live = pages[0]
        assert live.find(f"{FH}archive") is None
        assert sorted(change_seqs(live)) == list(range(11, 18))
        ids = [e.findtext(f"{ATOM}id") for e in live.findall(f"{ATOM}entry")]
        assert len(ids) == len(set(ids))
        # Archive pages: marked, linked both ways and to the live feed, holding fixed slices.
        for page, root in zip((2, 1), pages[1:], strict=True):
            assert root.find(f"{FH}archive") is not None
            assert sorted(change_seqs(root)) == list(range(page * 5 - 4, page * 5 + 1))
            rels = links(root)
            assert rels["current"] == server.url + "/feed.atom"
            assert rels["next-archive"] == f"{server.url}/archive/{page + 1}.atom"
            assert rels["self"] == f"{server.url}/archive/{page}.atom"
            assert ("prev-archive" in rels) == (page > 1)
        # The last full page is reached going forward; the open page after it is the live feed.
        assert client.get(server.url + "/archive/3.atom").status_code == 200
        redirect = client.get(server.url + "/archive/4.atom")
        assert redirect.status_code == 307 and redirect.headers["location"] == "/feed.atom"
        assert client.get(server.url + "/archive/5.atom").status_code == 404
        assert client.get(server.url + "/archive/0.atom").status_code == 404


def test_full_archive_pages_never_change(corpus: Corpus) -> None:
    fill(corpus, 6)
    # A fixed base URL: links are absolute, and the two servers below listen on different ports.
    config = FeedConfig(feed_page_size=4, base_url="http://feeds.example")
    with FeedServer(corpus.path, config) as server, httpx.Client() as client:
        first = client.get(server.url + "/archive/1.atom")
        assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
        before = {n: client.get(f"{server.url}/archive/{n}.atom").content for n in (1, 2)}
        # Later: the story on page 1 is edited (moved to another URL, its language re-detected)
        # and gains a version; more stories arrive.
        corpus.change("doc0", title="Story 0, rewritten", text="A different text.",
                      url="https://moved.example/story-0", lang="de")
        corpus.add("doc0-en2", story="s-doc0", title="Story 0 elsewhere", text="Another copy.")
        fill(corpus, 6, start=6)
    # A fresh server, so nothing is served from the old one's memory.
    with FeedServer(corpus.path, config) as server, httpx.Client() as client:
        after = {n: client.get(f"{server.url}/archive/{n}.atom").content for n in (1, 2)}
        assert after == before
        page1 = etree.fromstring(after[1])
        titles = [e.findtext(f"{ATOM}title") for e in page1.findall(f"{ATOM}entry")]
        assert "Story 0, updated" in titles and "Story 0, rewritten" not in titles
        # The story as it reads now, under the same id, in the feed of its language.
        live = feedparser.parse(client.get(server.url + "/lang/en.atom").content)
        story0 = [e for e in live.entries if e.id.endswith(":story:s-doc0")]
        assert story0  # (its new English version keeps it in the English feed)
        live = feedparser.parse(client.get(server.url + "/lang/de.atom").content)
        story0 = [e for e in live.entries if e.id.endswith(":story:s-doc0")]
        assert story0 and story0[0].title == "Story 0, rewritten"  # doc0 reads as it does now, German, moved
        assert "https://moved.example/story-0" in {link.href for link in story0[0].links}

