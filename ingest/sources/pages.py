"""Article links on an HTML section or home page.

A news page links to far more than articles: navigation, sections, tags, authors,
pagination, legal pages. What tells an article URL apart is its shape: a date in the
path, a numeric id, or a long slug; what tells a chrome link apart is where it sits
(nav, footer, the page header) and well-known path words (tag, category, author, ...).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

import lxml.html
from lxml import etree

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
_CONTENT_TAGS = {"article", "main"}
_MIN_SLUG_WORDS = 3


def looks_like_article(url: str) -> bool:
    """True when the URL has the shape of an article: a dated path, an id, or a long slug."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    segments = [s for s in path.lower().split("/") if s]
    if not segments or _FILE_EXTENSIONS.search(path):
        return False
    if any(seg in _NON_ARTICLE_WORDS for seg in segments):
        return False
    query = {k.lower(): v for k, v in parse_qsl(parts.query)}
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
    a = (urlsplit(url).hostname or "").removeprefix("www.")
    b = (urlsplit(site).hostname or "").removeprefix("www.")
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def discover_article_links(html: str | bytes, base_url: str, *, charset: str | None = None) -> list[ArticleLink]:
    """Same-site links on the page that look like articles, in page order, with their link text.

    Links in navigation, footers and the page header are skipped, as are tags, categories,
    authors, pagination, service pages and the page itself.
    """
    root = parse_html(html, charset)
    if root is None:
        return []
    base = _document_base(root, base_url)
    page = absolute_url(base_url, None)
    found: dict[str, str | None] = {}
    for anchor in root.iter("a"):
        if _in_chrome(anchor) or _rel_words(anchor) & {"tag", "author", "category", "nofollow"}:
            continue
        url = absolute_url(anchor.get("href"), base)
        if url is None or url == page or not same_site(url, base_url) or not looks_like_article(url):
            continue
        title = _anchor_text(anchor)
        # Several links often point at one story (image, headline, "comments"): keep the longest text.
        if url not in found or len(title or "") > len(found[url] or ""):
            found[url] = title
    return [ArticleLink(url, title=title) for url, title in found.items()]


def parse_html(html: str | bytes, charset: str | None = None) -> etree._Element | None:
    """An lxml tree of `html`; bytes are decoded by `charset`, else as UTF-8, else by <meta charset>."""
    if isinstance(html, bytes):
        html = _decode(html, charset)
    if not html.strip():
        return None
    if isinstance(html, str):
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input with an encoding declaration
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _decode(body: bytes, charset: str | None) -> str | bytes:
    for encoding in (charset, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    return body  # lxml reads <meta charset> from the bytes


def _document_base(root: etree._Element, page_url: str) -> str:
    for base in root.iter("base"):
        href = absolute_url(base.get("href"), page_url)
        if href:
            return href
    return page_url


def _in_chrome(element: etree._Element) -> bool:
    for ancestor in element.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in _CHROME_TAGS or (ancestor.get("role") or "").lower() in _CHROME_ROLES:
            return True
        # A page's <header> is chrome; an article's or a teaser's <header> holds its headline.
        if tag == "header" and not any(a.tag in _CONTENT_TAGS | {"section"} for a in ancestor.iterancestors()):
            return True
    return False


def _rel_words(anchor: etree._Element) -> set[str]:
    return set((anchor.get("rel") or "").lower().split())


def _anchor_text(anchor: etree._Element) -> str | None:
    text = " ".join(anchor.text_content().split())
    if not text:
        text = anchor.get("title") or next((img.get("alt") or "" for img in anchor.iter("img")), "")
        text = " ".join(text.split())
    return text or None
