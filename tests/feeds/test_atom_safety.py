"""Whatever text a source held, the feed is well-formed XML that feedparser reads."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from feeds import render, views
from feeds.atom import render_atom
from feeds.settings import FeedSettings
from feeds.xmltext import xml_safe
from storage.reader import DocumentRow, RevisionRow, SqliteReader, connect
from tests.feeds.support import Corpus

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)


def feed_of(title: str, text: str, url: str | None = None, author: str = "agency") -> bytes:
    """Raw text (lone surrogates included, which no database would hand back) through the same
    row-to-version conversion the server uses, rendered as Atom."""
    doc = DocumentRow(id=1, key="k", story_id="s1", url=url, lang="en", published=None, authors=(author,),
                      description=None, source_id=None)
    version = views._version(doc, RevisionRow(1, 1, title, text), None, role="original",
                             added_at="2025-01-01T00:00:00Z")
    entry = views.Entry(story_id="s1", main=version, versions=(version,), published="2025-01-01T00:00:00Z",
                        updated="2025-01-02T00:00:00Z", changes=())
    feed = views.Feed(path="/feed.atom", feed_id=views.feed_tag("/feed.atom"), title="t", entries=(entry,),
                      updated=entry.updated)
    return render_atom(feed, base_url="http://127.0.0.1:8080")


@settings(max_examples=300, deadline=None)
@given(title=any_text, text=any_text, author=any_text)
def test_any_text_gives_well_formed_xml(title: str, text: str, author: str) -> None:
    xml = feed_of(title, text, author=author)
    etree.fromstring(xml)  # raises on ill-formed XML
    assert not feedparser.parse(xml).bozo


def test_forbidden_characters_are_removed_and_markup_escaped() -> None:
    nasty = "a\x00b\x1b\ud800c]]><script>alert(1)</script>\ufffe"
    assert xml_safe(nasty) == "abc]]><script>alert(1)</script>"
    xml = feed_of(nasty, nasty)
    parsed = etree.fromstring(xml)
    assert b"<script>" not in xml
    content = parsed.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content").text
    assert "<script>" not in content  # removed from the HTML content, never live markup


# -- the whole path: text stored by the pipeline's Store, rendered into every format the server sends

NASTY = ["<script>alert(1)</script>", "]]>", "<![CDATA[", "\x00", "\x1b", "\ud800", "\udfff", "\ufffe", "&amp;",
         '<img src=x onerror="alert(1)">', '<a href="javascript:alert(1)">x</a>', "\u202e", "\r\n\r\n", "\n\n",
         '"><svg onload=alert(1)>', "<style>*{}</style>", "<iframe src=//x>"]
# Python's sqlite3 cannot store lone surrogates, so none reach the database this way (invalid
# UTF-8 written by other tools is tested below).
nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), any_text), max_size=6).map("".join).map(
    lambda s: s.encode("utf-8", "replace").decode("utf-8"))
nasty_url = st.one_of(st.none(), any_text, st.sampled_from([
    "javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:x", "http://ok.example/a?b=<c>&d=\"e\"", 'https://x.example/"onmouseover="alert(1)', "//evil.example/",
    "http://ok.example/\x00", "https://fine.example/path"])).map(
    lambda s: s.encode("utf-8", "replace").decode("utf-8") if s else s)


def assert_inert_html(markup: str) -> None:
    """No element or attribute that could run anything, once a browser parses `markup`."""
    if not markup.strip():
        return
    tree = lxml_html.fragment_fromstring(markup, create_parent="div")
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag not in ("script", "iframe", "object", "embed", "style", "svg", "img"), el.tag
        if el.tag == "form":  # only the pages' own search and filter forms: a GET to this service
            assert el.get("method") == "get" and el.get("action") in ("/", "/search"), el.attrib
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), name
            if name in ("href", "src"):
                assert value.startswith(("http://", "https://", "/")) and not value.startswith("//"), value


@pytest.fixture(scope="module")
def safety_corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    corpus = Corpus(tmp_path_factory.mktemp("safety") / "safety.db")
    yield corpus
    corpus.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=nasty_text, text=nasty_text, url=nasty_url, author=nasty_text, lang=st.one_of(
    st.sampled_from(["en", "vi", "de"]), st.text(max_size=8)), second_title=nasty_text)
def test_any_stored_text_gives_safe_feeds_and_pages(safety_corpus: Corpus, title: str, text: str, url: str | None,
                                                    author: str, lang: str, second_title: str) -> None:
    corpus = safety_corpus
    key = f"k{len(corpus.changes())}"
    story = corpus.add(key, title=title, text=text, url=url, authors=[author], lang=lang)
    corpus.add(key + "-2", story=story, title=second_title, text=text, url=url, lang="xx")
    reader = SqliteReader(connect(str(corpus.path)))
    try:
        with reader.snapshot():
            head = reader.head_seq()
            fs = FeedSettings(page_size=2)
            base = "http://127.0.0.1:8080"
            atom = render.live_atom(reader, head, fs, base).body
            archive = render.archive_atom(reader, head, fs, base, views.full_pages(head, 2))
            json_feed = render.live_json(reader, head, fs, base).body
            home = render.home(reader, head, fs, limit=3).body
            document = render.document(reader, head, head)
            story_page = render.story(reader, head, story)
            search_page = render.search(reader, head, title or "x", 1, 10, None).body
            api = json.loads(render.api_story(reader, head, base, story).body)  # type: ignore[union-attr]
    finally:
        reader.close()
    for xml in (atom, archive.body if archive else atom):
        root = etree.fromstring(xml)
        assert not feedparser.parse(xml).bozo
        for content in root.iter("{http://www.w3.org/2005/Atom}content"):
            assert_inert_html(content.text or "")
        for link in root.iter("{http://www.w3.org/2005/Atom}link"):
            assert link.get("href", "").startswith(("http://", "https://"))
    items = json.loads(json_feed)["items"]
    assert items and all(isinstance(item["title"], str) for item in items)
    for item in items:
        assert_inert_html(item["content_html"])
    assert story_page is not None and len(api["versions"]) == 2
    for page in (home, document.body if document else home, story_page.body, search_page):
        page_text = page.decode("utf-8")
        assert_inert_html(page_text[page_text.index("<body>") + 6:page_text.rindex("</body>")])


def test_invalid_utf8_in_the_database_still_renders(corpus: Corpus) -> None:
    corpus.add("bad", title="placeholder", text="placeholder")
    db = sqlite3.connect(corpus.path)
    # Another tool wrote bytes that are not UTF-8: a CESU-8 surrogate, a stray 0xff, a NUL.
    db.execute("UPDATE revisions SET title = CAST(? AS TEXT), text = CAST(? AS TEXT)",
               (b"T\xed\xa0\x80itle\xff", b"Te\x00xt <b>\xc3"))
    db.commit()
    db.close()
    reader = SqliteReader(connect(str(corpus.path)))
    try:
        with reader.snapshot():
            xml = render.live_atom(reader, reader.head_seq(), FeedSettings(), "http://x.example").body
    finally:
        reader.close()
    entry = feedparser.parse(xml).entries[0]
    assert entry.title.startswith("T") and "itle" in entry.title
