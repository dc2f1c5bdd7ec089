"""Whatever text a source held, the feed is well-formed XML that feedparser reads."""

from __future__ import annotations

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.atom import render_feed
from feeds.xmltext import xml_safe

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)


def story(title: str, text: str, url: str | None = None, author: str = "agency") -> dict:
    version = {"id": 1, "key": "k", "url": url, "title": title, "text": text, "lang": "en",
               "published": None, "updated": None, "authors": [author], "first_seen": "2025-01-01T00:00:00Z",
               "last_changed": "2025-01-01T00:00:00Z", "revision": 1}
    return {"id": "s1", "first_seen": "2025-01-01T00:00:00Z", "updated": "2025-01-02T00:00:00Z", "last_seq": 1,
            "representative": version, "versions": [version]}


@settings(max_examples=300, deadline=None)
@given(title=any_text, text=any_text, author=any_text)
def test_any_text_gives_well_formed_xml(title: str, text: str, author: str) -> None:
    xml = render_feed([story(title, text, author=author)], base_url="http://127.0.0.1:8080")
    etree.fromstring(xml)  # raises on ill-formed XML
    assert not feedparser.parse(xml).bozo


def test_forbidden_characters_are_removed_and_markup_escaped() -> None:
    nasty = "a\x00b\x1b\ud800c]]><script>alert(1)</script>\ufffe"
    assert xml_safe(nasty) == "abc]]><script>alert(1)</script>"
    xml = render_feed([story(nasty, nasty)], base_url="http://127.0.0.1:8080")
    parsed = etree.fromstring(xml)
    assert b"<script>" not in xml
    content = parsed.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content").text
    assert "&lt;script&gt;" in content  # escaped inside the HTML content, never live markup
