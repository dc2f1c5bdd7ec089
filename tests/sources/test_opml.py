"""OPML import and export, as feed readers write and read it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import ErrorKind, IngestError
from ingest.sources import OpmlFeed, parse_opml, render_opml

# Shaped like an export from a typical feed reader: folders, a feed outside them, odd attribute case.
READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="News" title="News">
      <outline text="World">
        <outline type="rss" text="Courier" title="Rhine Valley Courier"
                 xmlUrl="https://courier.example/feed.xml" htmlUrl="https://courier.example/"/>
      </outline>
      <outline type="rss" text="Tagesblatt" xmlUrl="https://tagesblatt.example/rss"/>
    </outline>
    <outline type="rss" text="Loose" xmlurl="https://loose.example/atom.xml" category="/Tech/Web,/Other"/>
    <outline text="Duplicate" xmlUrl="https://courier.example/feed.xml"/>
    <outline text="Not a feed" htmlUrl="https://nofeed.example/"/>
    <outline text="Empty folder"/>
  </body>
</opml>"""


def test_parse_reader_export() -> None:
    doc = parse_opml(READER_EXPORT)
    assert doc.title == "My subscriptions"
    assert doc.feeds == [
        OpmlFeed("https://courier.example/feed.xml", "Rhine Valley Courier", "https://courier.example/",
                 ("News", "World")),
        OpmlFeed("https://tagesblatt.example/rss", "Tagesblatt", None, ("News",)),
        OpmlFeed("https://loose.example/atom.xml", "Loose", None, ("Tech", "Web")),
    ]


def test_render_nests_categories() -> None:
    feeds = [OpmlFeed("https://a.example/feed", "A", "https://a.example/", ("News", "World")),
             OpmlFeed("https://b.example/rss", None, None, ()),
             OpmlFeed("https://c.example/rss", "C", None, ("News",)),
             OpmlFeed("https://d.example/rss", "D", None, ("News", "World"))]
    rendered = render_opml(feeds, title="Export", created=datetime(2024, 5, 14, tzinfo=UTC))
    assert rendered.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b"<dateCreated>Tue, 14 May 2024 00:00:00 GMT</dateCreated>" in rendered
    assert rendered.count(b'text="News"') == 1 and rendered.count(b'text="World"') == 1
    doc = parse_opml(rendered)
    assert doc.title == "Export"
    # Folders are written where first seen, so D joins A inside News/World, and C follows them in News.
    assert [f.xml_url for f in doc.feeds] == ["https://a.example/feed", "https://d.example/rss",
                                              "https://c.example/rss", "https://b.example/rss"]
    assert doc.feeds[3].title is None  # text falls back to the URL, title stays absent


@pytest.mark.parametrize("body", [
    b"",
    b"<rss/>",
    b"<opml version='2.0'><head/></opml>",
    b'<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body>&x;</body></opml>',
])
def test_not_opml(body: bytes) -> None:
    with pytest.raises(IngestError) as caught:
        parse_opml(body)
    assert caught.value.kind == ErrorKind.MALFORMED


_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12) \
    .map(lambda s: " ".join(s.replace("/", " ").replace(",", " ").split())).filter(bool)
_feeds = st.builds(
    OpmlFeed,
    xml_url=st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9]{0,8}", fullmatch=True),
    title=st.none() | _names,
    html_url=st.none() | st.just("https://home.example/"),
    category=st.lists(_names, max_size=3).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_feeds, max_size=8, unique_by=lambda f: f.xml_url.rstrip("/") or f.xml_url))
def test_render_then_parse_round_trips(feeds: list[OpmlFeed]) -> None:
    parsed = parse_opml(render_opml(feeds)).feeds
    normal = [OpmlFeed(f.xml_url if f.xml_url.count("/") > 2 else f.xml_url + "/", f.title, f.html_url,
                       f.category) for f in feeds]
    assert sorted(parsed, key=lambda f: f.xml_url) == sorted(normal, key=lambda f: f.xml_url)
