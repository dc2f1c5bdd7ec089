"""Article links on section pages: what is an article, what is chrome."""

from __future__ import annotations

import pytest

from ingest.fetch import HTML_TYPES, Fetcher, FetchSettings
from ingest.sources import discover_article_links, looks_like_article, same_site
from tests.site import NewsSite, content

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("section", list(content.SECTIONS))
async def test_site_sections(news_site: NewsSite, fast_settings: FetchSettings, section: str) -> None:
    async with Fetcher(fast_settings) as fetcher:
        result = await fetcher.fetch(news_site.url + section, accept=HTML_TYPES)
    links = discover_article_links(result.body, result.url, charset=result.charset)
    expected = [a for a in content.ARTICLES if a.section == section]
    assert [link.url for link in links] == [news_site.url + a.path for a in expected]
    assert [link.title for link in links] == [a.title for a in expected]  # headline, not "Comments"


async def test_home_page_lists_every_article_once(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        result = await fetcher.fetch(news_site.url + "/", accept=HTML_TYPES)
    urls = [link.url for link in discover_article_links(result.body, result.url)]
    assert urls == [news_site.url + a.path for a in content.ARTICLES]
    assert not any(u.endswith(p) for u in urls for p in content.NON_ARTICLE_LINKS if p != "/")


@pytest.mark.parametrize("url", [
    "https://news.example/2024/05/14/rhine-bridge-reopens",
    "https://news.example/world/2024-05-14-bridge-reopens",
    "https://news.example/news/world-europe-68571234",
    "https://news.example/vi/cau-song-rhine-mo-cua-4731902.html",
    "https://news.example/ru/news/123456-most-cherez-reyn",
    "https://news.example/de/rheinbruecke-nach-zwei-jahren-wieder-offen",
    "https://news.example/politics/20240514/budget-vote",
    "https://news.example/article.php?id=98765",
    "https://news.example/news/987654/",
    "https://news.example/ru/%D0%BC%D0%BE%D1%81%D1%82-%D1%87%D0%B5%D1%80%D0%B5%D0%B7-%D1%80%D0%B5%D0%B9%D0%BD",
])
def test_article_shapes(url: str) -> None:
    assert looks_like_article(url)


@pytest.mark.parametrize("url", [
    "https://news.example/",
    "https://news.example/world/",
    "https://news.example/vi/thoi-su/",
    "https://news.example/tag/bridges-and-tunnels-of-europe",
    "https://news.example/category/transport",
    "https://news.example/author/anna-keller-and-friends",
    "https://news.example/world/?page=2",
    "https://news.example/search?q=rhine+bridge+reopens",
    "https://news.example/2024/05/",
    "https://news.example/privacy-policy",
    "https://news.example/images/2024/05/14/bridge-photo-large.jpg",
    "https://news.example/feed/rss-latest-news-items",
    "https://news.example/about-us",
])
def test_non_article_shapes(url: str) -> None:
    assert not looks_like_article(url)


def test_chrome_and_foreign_links_are_skipped() -> None:
    html = """<html><head><base href="https://www.news.example/de/"></head><body>
    <header><a href="/2024/05/14/header-promo-for-a-story">Promo</a></header>
    <nav><a href="/2024/05/14/nav-story-link-here">Nav</a></nav>
    <div role="navigation"><a href="/2024/05/14/role-nav-story-link">Role nav</a></div>
    <main><article><header><h2><a href="2024/05/14/relative-teaser-story">Teaser <b>headline</b></a></h2>
    </header></article>
    <a href="https://sport.news.example/2024/05/14/subdomain-story-is-same-site">Sub</a>
    <a href="https://other.example/2024/05/14/foreign-story-elsewhere">Foreign</a>
    <a href="/tag/x" rel="tag">Tag</a><a href="#top">Top</a><a href="javascript:void(0)">JS</a>
    <a href="/2024/05/14/image-only-link-story"><img alt="Picture headline"></a>
    </main><footer><a href="/2024/05/14/footer-story-link">Footer</a></footer></body></html>"""
    links = discover_article_links(html, "https://www.news.example/de/")
    assert [(link.url, link.title) for link in links] == [
        ("https://www.news.example/de/2024/05/14/relative-teaser-story", "Teaser headline"),
        ("https://sport.news.example/2024/05/14/subdomain-story-is-same-site", "Sub"),
        ("https://www.news.example/2024/05/14/image-only-link-story", "Picture headline"),
    ]


def test_empty_and_odd_input() -> None:
    assert discover_article_links(b"", "https://e.org/") == []
    assert discover_article_links("   ", "https://e.org/") == []
    assert discover_article_links("<?xml version='1.0' encoding='utf-8'?><html><a href='/x'>x</a></html>",
                                  "https://e.org/") == []


def test_same_site() -> None:
    assert same_site("https://www.example.org/a", "https://example.org/")
    assert same_site("https://news.example.org/a", "https://example.org/")
    assert not same_site("https://example.org.evil.net/a", "https://example.org/")
    assert not same_site("https://badexample.org/a", "https://example.org/")


def test_titles_decode_by_charset_utf8_or_meta() -> None:
    page = '<html><head>{meta}</head><body><a href="/2024/05/14/a-long-story-slug">{title}</a></body></html>'
    title = "Мост через Рейн"
    cases = [
        (page.format(meta="", title=title).encode("utf-8"), None),
        (page.format(meta="", title=title).encode("cp1251"), "windows-1251"),
        (page.format(meta='<meta charset="windows-1251">', title=title).encode("cp1251"), None),
        (page.format(meta="", title=title).encode("utf-8"), "no-such-codec"),
    ]
    for body, charset in cases:
        (link,) = discover_article_links(body, "https://e.org/", charset=charset)
        assert link.title == title


def test_what_the_strained_parse_must_still_see() -> None:
    # The page is read in parts (ingest.sources.pages.ElementStrainer); these are the cases
    # where a part left out could change the result: a <base> after the links, or inside a
    # <nav>; dot segments; headers of sections; script text in a link; links inside links.
    html = """<html><body><main><a href="2024/05/14/relative-before-base">Before base</a>
    <a href="/x/../2024/05/14/dot-segment-story">Dots</a>
    <section><header><a href="/2024/05/14/section-header-story">Section header</a></header></section>
    <a href="/2024/05/14/script-in-text-story">Words <script>var x;</script><!-- note --><span>more</span></a>
    <a href="//news.example/2024/05/14/scheme-relative-story">Scheme relative</a>
    <a href=" /2024/05/14/spaced-href-story ">Spaced</a>
    </main><base href="https://news.example/late/"></body></html>"""
    assert [(link.url, link.title) for link in discover_article_links(html, "https://news.example/page")] == [
        ("https://news.example/late/2024/05/14/relative-before-base", "Before base"),
        ("https://news.example/2024/05/14/dot-segment-story", "Dots"),
        ("https://news.example/2024/05/14/section-header-story", "Section header"),
        ("https://news.example/2024/05/14/script-in-text-story", "Words var x;more"),
        ("https://news.example/2024/05/14/scheme-relative-story", "Scheme relative"),
        ("https://news.example/2024/05/14/spaced-href-story", "Spaced"),
    ]
    html = """<html><body><nav><base href="https://news.example/from-nav/"><a href="2024/05/14/nav-link">N</a></nav>
    <div role="Navigation"><a href="/2024/05/14/role-case-story">Role</a></div>
    <a href="2024/05/14/outer-story-link"><div><nav>inside nav</nav><a href="/2024/05/14/inner-story">Inner</a>
    </div></a>
    <header><article><a href="/2024/05/14/article-in-page-header">In header</a></article></header>
    <footer><header><a href="/2024/05/14/header-in-footer">X</a></header></footer></body></html>"""
    assert [(link.url, link.title) for link in discover_article_links(html, "https://news.example/page")] == [
        ("https://news.example/from-nav/2024/05/14/outer-story-link", "inside navInner"),
        ("https://news.example/2024/05/14/inner-story", "Inner"),
    ]


@pytest.mark.parametrize(("body", "title"), [
    (b'\xef\xbb\xbf<a href="/2024/05/14/a-long-story-slug">caf\xc3\xa9</a>', "café"),  # UTF-8 with BOM
    (b'\xff\xfe' + '<a href="/2024/05/14/a-long-story-slug">café</a>'.encode("utf-16-le"), "café"),  # BOM only
    (b'<a href="/2024/05/14/a-long-story-slug">caf\xe9</a>', "café"),  # nothing declared: Latin-1
    (b'<meta charset="utf-8"><a href="/2024/05/14/a-long-story-slug">caf\xe9 ok \xc3\xa9</a>', "caf\ufffd ok é"),
])
def test_undeclared_and_broken_encodings(body: bytes, title: str) -> None:
    (link,) = discover_article_links(body, "https://e.org/")
    assert link.title == title
