"""Article links on an HTML section or home page.

A news page links to far more than articles: navigation, sections, tags, authors,
pagination, legal pages. What tells an article URL apart is its shape: a date in the
path, a numeric id, or a long slug; what tells a chrome link apart is where it sits
(nav, footer, the page header) and well-known path words (tag, category, author, ...).

Home and section pages are read with Beautiful Soup and a strainer that keeps only what
link and feed discovery look at (`parse_page`). The article extractor, which walks every
element of a page, stays on lxml trees: there a soup would cost more than the extraction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import NamedTuple, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.builder._lxml import LXMLTreeBuilder
from bs4.dammit import EncodingDetector
from bs4.exceptions import ParserRejectedMarkup
from bs4.filter import SoupStrainer

from ingest.sources.links import ArticleLink, absolute_url

# Path words of listing and service pages, never of articles.
_NON_ARTICLE_WORDS = {
    "tag", "tags", "topic", "topics", "category", "categories", "author", "authors", "section", "sections",
    "search", "login", "signin", "sign-in", "logout", "register", "signup", "subscribe", "subscription",
    "account", "profile", "about", "about-us", "contact", "contact-us", "impressum", "privacy",
    "privacy-policy", "terms", "terms-of-service", "cookies", "cookie-policy", "feed", "feeds", "rss",
    "page", "archive", "archives", "newsletter", "newsletters", "help", "faq", "shop", "jobs", "careers",
    "advertise", "podcasts", "video", "videos", "gallery", "galleries", "cdn-cgi", "wp-admin", "wp-login.php",
}
_NON_ARTICLE_QUERY = {"page", "p_page", "q", "query", "s", "search", "sort", "filter", "utm_source"}
_ARTICLE_QUERY = {"id", "p", "story", "article", "articleid", "newsid", "storyid", "aid"}
_FILE_EXTENSIONS = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|pdf|zip|mp[34]|mov|avi|css|js|json|xml|rss|"
                              r"atom|txt|woff2?|ttf)$", re.IGNORECASE)
_PAGE_EXTENSIONS = re.compile(r"\.(s?html?|php|aspx?|jsp|cms)$", re.IGNORECASE)
_DATE_IN_PATH = re.compile(r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-](?:0?[1-9]|[12]\d|3[01]))?(?=[/-])")
_COMPACT_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)")
_LONG_ID = re.compile(r"(?<![a-z\d])[a-z]?\d{5,}(?!\d)", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")  # letters of any script
_CHROME_TAGS = {"nav", "footer"}
_CHROME_ROLES = {"navigation", "contentinfo", "banner", "search"}
# A <header> inside one of these is an article's or a teaser's, not the page's.
_HEADER_OWNERS = {"article", "main", "section"}
_SKIPPED_RELS = {"tag", "author", "category", "nofollow"}
_MIN_SLUG_WORDS = 3


def looks_like_article(url: str) -> bool:
    """True when the URL has the shape of an article: a dated path, an id, or a long slug."""
    parts = urlsplit(url)
    return _has_article_shape(parts.path, parts.query)


# Cached: `parse_page` asks while parsing, `discover_article_links` again for the links it keeps.
@functools.lru_cache(maxsize=8192)
def _has_article_shape(raw_path: str, raw_query: str) -> bool:
    path = unquote(raw_path)
    segments = [s for s in path.lower().split("/") if s]
    if not segments or _FILE_EXTENSIONS.search(path):
        return False
    if any(seg in _NON_ARTICLE_WORDS for seg in segments):
        return False
    query = {k.lower(): v for k, v in parse_qsl(raw_query)}
    if query.keys() & _NON_ARTICLE_QUERY:
        return False
    if any(query.get(k, "").isdigit() for k in _ARTICLE_QUERY):
        return True
    last = _PAGE_EXTENSIONS.sub("", segments[-1])
    words = _WORD.findall(last)
    if _DATE_IN_PATH.search(path) or _COMPACT_DATE.search(path):
        return bool(words)  # "/2024/05/" alone is a date archive, not an article
    if _LONG_ID.search(last) or (len(segments) > 1 and _LONG_ID.fullmatch(segments[-2] or "")):
        return True
    return len(words) >= _MIN_SLUG_WORDS and len(last) >= 12


def same_site(url: str, site: str) -> bool:
    """True when the hosts are equal or one is a subdomain of the other ("www." ignored)."""
    return _same_host(_site_host(url), _site_host(site))


def discover_article_links(html: str | bytes, base_url: str, *, charset: str | None = None) -> list[ArticleLink]:
    """Same-site links on the page that look like articles, in page order, with their link text.

    Links in navigation, footers and the page header are skipped, as are tags, categories,
    authors, pagination, service pages and the page itself.
    """
    soup = parse_page(html, _LINK_PAGE_PARTS, charset)
    if soup is None:
        return []
    base = _document_base(soup, base_url)
    page = absolute_url(base_url, None)
    site_host = _site_host(base_url)
    # Pages link to one story several times (image, headline, "comments"): judge each href once.
    article_url_of: dict[str, str | None] = {}
    found: dict[str, str | None] = {}
    for anchor in soup.find_all("a"):
        if _in_chrome(anchor) or _rel_words(anchor) & _SKIPPED_RELS:
            continue
        href = attribute(anchor, "href")
        if href not in article_url_of:
            article_url_of[href] = _article_url(href, base, page, site_host)
        url = article_url_of[href]
        if url is None:
            continue
        title = _anchor_text(anchor)
        # Of several links to one story, keep the longest text (the headline, not "Comments").
        if url not in found or len(title or "") > len(found[url] or ""):
            found[url] = title
    return [ArticleLink(url, title=title) for url, title in found.items()]


ElementTest = Callable[[str, Mapping[str, str]], bool]  # (tag name, attributes) -> yes/no


class ElementStrainer(SoupStrainer):
    """Which parts of a page `parse_page` builds.

    - elements `keep(tag name, attributes)` accepts, wherever they are;
    - text only inside `text_in` elements, and within those also the `keep_in_text` elements;
    - neither the elements `skip_inside` accepts nor anything inside them, but the
      `keep_in_skipped` elements (outside text only: inside a link, everything is its text).

    Beautiful Soup itself asks a `parse_only` strainer only about elements outside every kept
    one: a kept element comes with its whole subtree. Link discovery must keep `<main>`,
    `<article>` and `<section>` (the chrome test reads an anchor's ancestors), and on a news
    page their subtrees are nearly the whole page. So `parse_page` applies the strainer at
    every depth (`_StrainingLxmlBuilder`): an element it does not keep is left out, and its
    kept descendants take its place under its nearest kept ancestor. (A stock SoupStrainer
    also could not say "these tags, or any tag with a chrome role": it ANDs name and
    attribute rules.)
    """

    def __init__(self, keep: ElementTest, *, text_in: frozenset[str], keep_in_text: frozenset[str] = frozenset(),
                 skip_inside: ElementTest | None = None, keep_in_skipped: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.keep = keep
        self.text_in = text_in
        self.keep_in_text = keep_in_text
        self.skip_inside = skip_inside
        self.keep_in_skipped = keep_in_skipped

    def allow_tag_creation(self, nsprefix: str | None, name: str, attrs: Mapping[str, str] | None) -> bool:
        return self.keep(name, attrs or {})


def _is_link_page_part(name: str, attrs: Mapping[str, str]) -> bool:
    # The links that may go to an article, <base>, and every container the chrome test
    # (`_in_chrome`) reads. (Navigation and footers are skipped whole, see _LINK_PAGE_PARTS,
    # but inside a link's text they are kept like the rest.)
    if name == "a":
        return _may_link_to_article(attrs.get("href") or "")
    return name in _HEADER_OWNERS or name in ("base", "header") or _is_chrome(name, attrs)


def _may_link_to_article(href: str) -> bool:
    """False when `href` cannot resolve to an article URL, whatever the page's base URL.

    An href that names its host, or starts with "/" and has no dot segments, resolves to
    its own path and query against any base, and `looks_like_article` reads no more. Most
    links of a page (sections, tags, service pages) are such, and their anchors need not be
    built. Any other href depends on the base, which may come later in the page: kept.
    """
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return True  # absolute_url will judge it
    if not parts.netloc and not (parts.path.startswith("/") and "/." not in parts.path):
        return True
    return _has_article_shape(parts.path, parts.query)


def _is_chrome(name: str, attrs: Mapping[str, str]) -> bool:
    return name in _CHROME_TAGS or (attrs.get("role") or "").lower() in _CHROME_ROLES


_LINK_PAGE_PARTS = ElementStrainer(
    _is_link_page_part,
    # Link texts, and images: an empty link's first image's alt text stands in.
    text_in=frozenset({"a"}), keep_in_text=frozenset({"img"}),
    # Links in navigation and footers are never taken (`_in_chrome`): only a <base> there counts.
    skip_inside=_is_chrome, keep_in_skipped=frozenset({"base"}),
)


def parse_page(html: str | bytes, parts: ElementStrainer, charset: str | None = None) -> BeautifulSoup | None:
    """A soup of the `parts` of `html` (see `ElementStrainer`), or None for a blank page.

    Bytes are decoded by `decode_page`. Attribute values are plain strings (rel="tag nofollow"
    is one string), and so is every text, a <script>'s or <style>'s too, so `get_text()` reads
    what lxml's `text_content()` read.
    """
    text = decode_page(html, charset) if isinstance(html, bytes) else html
    if not text.strip():
        return None
    builder = _StrainingLxmlBuilder(parts, multi_valued_attributes=None, string_containers={})
    try:
        return BeautifulSoup(text, builder=builder, parse_only=parts)
    except ParserRejectedMarkup:
        return None


def decode_page(body: bytes, charset: str | None = None) -> str:
    """`body` decoded by `charset`, else as UTF-8, else by its byte-order mark or `<meta charset>`,
    else as Latin-1 (what libxml2, which read these pages before, assumes when nothing is declared)."""
    for encoding in (charset, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    body, bom_encoding = EncodingDetector.strip_byte_order_mark(body)
    declared = bom_encoding or EncodingDetector.find_declared_encoding(body, is_html=True,
                                                                      search_entire_document=True)
    if declared:
        try:
            return body.decode(declared, errors="replace")  # as libxml2 did: a bad byte does not lose the page
        except LookupError:
            pass
    return body.decode("latin-1")


def attribute(tag: Tag, name: str) -> str:
    """The attribute's value, "" when absent. (Soups of `parse_page` hold no list values.)"""
    value = tag.get(name)
    return value if isinstance(value, str) else ""


class _StrainingLxmlBuilder(LXMLTreeBuilder):
    """Beautiful Soup's lxml tree builder, passing on only the parts an `ElementStrainer` keeps.

    Besides applying the strainer at every depth (see `ElementStrainer`), this is what makes a
    strained soup cheap: Beautiful Soup applies `parse_only` only after the builder has copied
    an element's attributes and done its bookkeeping, most of the cost of an element it then
    drops (on a 100 KB page ~7 ms for a soup that keeps nothing; lxml builds its whole tree in
    ~1 ms). Here a dropped element costs one call of the strainer. lxml reports the start and
    the end of every element, properly nested, so a stack tells what each end closes.
    """

    def __init__(self, parts: ElementStrainer, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # TreeBuilder's keyword arguments
        self._parts = parts
        self._open: list[_OpenElement] = []
        self._text_depth = 0  # open kept `text_in` elements
        self._skipped_depth = 0  # open `skip_inside` elements

    def reset(self) -> None:
        super().reset()
        self._open, self._text_depth, self._skipped_depth = [], 0, 0

    def start(self, tag: str | bytes, attrib: dict[str | bytes, str | bytes],
              nsmap: dict[str, str] | None = None) -> None:
        name, attrs = str(tag), cast(Mapping[str, str], attrib)  # HTML: str names and values
        parts = self._parts
        opens_skipped = False
        if self._text_depth:
            kept = parts.keep(name, attrs) or name in parts.keep_in_text
        elif self._skipped_depth:
            kept = name in parts.keep_in_skipped
        elif parts.skip_inside is not None and parts.skip_inside(name, attrs):
            kept, opens_skipped = False, True  # nothing in it is read, so neither is it
        else:
            kept = parts.keep(name, attrs)
        element = _OpenElement(kept=kept, opens_text=kept and name in parts.text_in, opens_skipped=opens_skipped)
        self._open.append(element)
        self._text_depth += element.opens_text
        self._skipped_depth += element.opens_skipped
        if kept:
            super().start(tag, attrib, nsmap or {})

    def end(self, tag: str | bytes) -> None:
        element = self._open.pop()
        self._text_depth -= element.opens_text
        self._skipped_depth -= element.opens_skipped
        if element.kept:
            super().end(tag)

    def data(self, data: str | bytes) -> None:
        if self._text_depth:
            super().data(data)

    def comment(self, text: str | bytes) -> None:
        pass  # never read; lxml's text_content() skipped comments too


class _OpenElement(NamedTuple):
    kept: bool  # passed on to Beautiful Soup
    opens_text: bool
    opens_skipped: bool


def _article_url(href: str, base: str, page: str | None, site_host: str) -> str | None:
    url = absolute_url(href, base)
    if url is None or url == page or not _same_host(_site_host(url), site_host) or not looks_like_article(url):
        return None
    return url


def _site_host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _same_host(a: str, b: str) -> bool:
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def _document_base(soup: BeautifulSoup, page_url: str) -> str:
    for base in soup.find_all("base"):
        href = absolute_url(attribute(base, "href"), page_url)
        if href:
            return href
    return page_url


def _in_chrome(element: Tag) -> bool:
    for ancestor in element.parents:
        if _is_chrome(ancestor.name, cast(Mapping[str, str], ancestor.attrs)):  # plain strings (parse_page)
            return True
        # A page's <header> is chrome; an article's or a teaser's <header> holds its headline.
        if ancestor.name == "header" and not any(a.name in _HEADER_OWNERS for a in ancestor.parents):
            return True
    return False


def _rel_words(anchor: Tag) -> set[str]:
    return set(attribute(anchor, "rel").lower().split())


def _anchor_text(anchor: Tag) -> str | None:
    text = " ".join(anchor.get_text().split())
    if not text:
        image = anchor.find("img")
        text = attribute(anchor, "title") or (attribute(image, "alt") if isinstance(image, Tag) else "")
        text = " ".join(text.split())
    return text or None
