"""HTML pages to `Article`: published metadata first, then the main text by DOM scoring.

The page is decoded the way a browser decides (ingest.extract.encoding), parsed once with
lxml's HTML parser, read for the metadata it publishes (ingest.extract.metadata), and cut
into scored text blocks to find the article (ingest.extract.content). lxml is used
directly rather than through BeautifulSoup: building a soup costs as much as the whole
extraction, and every step here is one pass over the tree or a libxml2 call.

Bad input gives a result with a note, never a crash: the bytes parsed are capped, every
walk is iterative (libxml2 itself stops nesting at 255 levels), and binary bodies raise
IngestError(BINARY) before parsing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from lxml import etree

from ingest.extract.article import Article
from ingest.extract.boilerplate import agency_byline, clean_paragraphs, normalise_space
from ingest.extract.content import (
    STRIP_TAGS,
    choose_node,
    cut_teasers,
    fallback_blocks,
    paragraphs,
    segment,
    select_blocks,
)
from ingest.extract.encoding import check_not_binary, decode
from ingest.extract.metadata import (
    PageMeta,
    date_from_url,
    marked_elements,
    parse_time,
    read_metadata,
    time_elements,
)
from ingest.extract.text import title_from_text
from ingest.language import normalise_tag

# Pages past this size are cut: real articles are well under it, and parsing time and
# memory grow with the bytes (a 20 MB page would otherwise take a second and 300 MB).
MAX_PARSE_BYTES = 4_000_000
# Paragraphs this long printed twice are a duplicated lead or caption; shorter repeats
# ("Eat every 2-3 hours" in each part of a meal plan) are the article's own.
DEDUPE_MIN_CHARS = 100
# <noscript> is read when it holds more than this share of the body's text: it is then
# the page's content, not a fallback image or pixel beside it.
NOSCRIPT_SHARE = 0.5
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_LINK_CANONICAL = re.compile(r"<([^>]+)>\s*;[^,]*\brel\s*=\s*\"?canonical\b", re.IGNORECASE)
_TITLE_SEPARATORS = re.compile(r"\s+[|–—:·»-]\s+|\s+[-:]{2}\s+|\s*[｜]\s*")
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|tr)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|di|door|av|af|tác giả|автор)\s*:?\s+", re.IGNORECASE)


def extract_html(body: bytes | str, *, url: str | None = None,
                 headers: Mapping[str, str] | None = None) -> Article:
    """Extract title, text and metadata from an HTML page given as bytes (or decoded text).

    Raises IngestError(BINARY) for a body that is an image, PDF or archive; anything else
    gives an Article, with `notes` saying why when the text is empty.
    """
    header = {k.lower(): v for k, v in (headers or {}).items()}
    article = Article(url=url)
    text = _decode(body, header, article.notes)
    root = _parse(text, article.notes)
    if root is None:
        return article
    meta = read_metadata(root, url)
    marked = marked_elements(root)
    published, updated = time_elements(root, marked)
    title_tag = normalise_space(root.findtext(".//title") or "")
    _apply_metadata(article, meta, header, title_tag)
    article.published = article.published or published or date_from_url(article.url or url)
    article.updated = article.updated or updated or parse_time(header.get("last-modified"))
    # The same name often comes twice: "Jane Doe" in JSON-LD, "By JANE DOE" in the byline.
    known = {a.casefold() for a in article.authors}
    for author in _markup_authors(marked):
        if author.casefold() not in known and len(article.authors) < 10:
            known.add(author.casefold())
            article.authors.append(author)

    _main_text(root, article, title_tag, live_blog=meta.live_blog)
    if meta.article_body and len(article.text) < 0.5 * len(meta.article_body):
        # Pages rendered by scripts, or cut by a paywall, often carry the whole text in
        # their JSON-LD for search engines: what the page itself says its article is.
        article.text = _json_ld_text(meta.article_body)
        article.notes = [n for n in article.notes if "text" not in n]
        article.notes.append("text taken from the page's JSON-LD articleBody")
    if not article.title and article.text:
        article.title = title_from_text(article.text.split("\n\n", 1)[0])
    if not article.text and not article.notes:
        article.notes.append("no article text found in the page")
    return article


def _main_text(root: etree._Element, article: Article, title_tag: str, *, live_blog: bool = False) -> None:
    """Set `article.text` from the page body, and notes when there is none."""
    body_el = root.find("body")
    if body_el is None:
        frameset = root.find("frameset") is not None
        article.notes.append("the page is a frameset: its text is in the framed pages" if frameset
                             else "the page has no <body>")
        return
    _strip_invisible(body_el)
    page_chars = len(body_el.xpath("string()"))
    seg = segment(body_el, page_chars, live_blog=live_blog)
    node, use_names = choose_node(seg)
    if node is None:
        article.notes.append("the page has no text (script-only or empty body)")
        return
    blocks = cut_teasers(seg, select_blocks(seg, node, use_names=use_names))
    if not blocks and use_names:
        # Page builders name every wrapper ("elementor-widget"): a weak name on each
        # block drops them all. The same container, names ignored.
        blocks = cut_teasers(seg, select_blocks(seg, node, use_names=False))
    if not blocks:
        # A page of repeated items only (a forum thread, a list of posts) looks like teasers.
        blocks = select_blocks(seg, node, use_names=False, keep_teasers=True)
    if not blocks:
        blocks = fallback_blocks(seg, node)
    title_key = normalise_space(article.title or title_tag).casefold()
    # The headline is the title, not the text: an h1 before the first paragraph and any
    # line repeating the title go. An h1 further down is a section heading (wikis, forums
    # and page builders use h1 for every heading).
    first_prose = next((b.index for b in blocks if not b.in_heading), None)
    blocks = [b for b in blocks if b.tag != "h1" or first_prose is not None and b.index > first_prose]
    lines = [p for p in paragraphs(blocks) if normalise_space(p).casefold() != title_key]
    # Agency bylines ("TTXVN", "(AFP)") stand on their own line after the last paragraph,
    # where the short line itself was dropped; read them as authors.
    last = blocks[-1].index if blocks else node.first
    lines += [b.text for b in seg.blocks[last + 1:min(node.end, last + 4)] if agency_byline(b.text)]
    kept, found = clean_paragraphs(lines, dedupe_min_chars=DEDUPE_MIN_CHARS)
    article.text = "\n\n".join(kept)
    for agency in found["authors"]:  # type: ignore[attr-defined]
        if agency not in article.authors:
            article.authors.append(agency)
    article.url = article.url or found.get("url")  # type: ignore[assignment]


def _strip_invisible(body: etree._Element) -> None:
    """Remove scripts, styles, media and other markup that is never read as text.

    <noscript> goes too (it repeats images and tracking pixels), unless the page has no
    text without it: some pages print their only copy of the article there, for readers
    without scripts.
    """
    etree.strip_elements(body, *(t for t in STRIP_TAGS if t != "noscript"), with_tail=False)
    noscripts = list(body.iter("noscript"))
    if not noscripts:
        return
    hidden_chars = sum(len(el.xpath("string()")) for el in noscripts)
    if hidden_chars > NOSCRIPT_SHARE * len(body.xpath("string()")):
        etree.strip_tags(body, "noscript")  # keep the content, drop the wrapper
    else:
        etree.strip_elements(body, "noscript", with_tail=False)


def _json_ld_text(body: str) -> str:
    """JSON-LD articleBody as paragraphs: some sites put HTML in it, most plain lines."""
    if "<" in body and ">" in body:
        body = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", body)))
    lines = (normalise_space(line) for line in body.splitlines())
    return "\n\n".join(line for line in lines if line)


def _decode(body: bytes | str, header: Mapping[str, str], notes: list[str]) -> str:
    if isinstance(body, str):
        text = body
    else:
        check_not_binary(body, "extract")
        if len(body) > MAX_PARSE_BYTES:
            # Cut at a tag start: '<' is never part of a multi-byte character in the
            # encodings pages use, so the cut cannot split one.
            cut = body.rfind(b"<", 0, MAX_PARSE_BYTES)
            body = body[:cut if cut > 0 else MAX_PARSE_BYTES]
            notes.append(f"the page is over {MAX_PARSE_BYTES:,} bytes; only its start was read")
        m = _HTTP_CHARSET.search(header.get("content-type", ""))
        text, _ = decode(body, http_charset=m.group(1) if m else None, html=True, stage="extract")
    if len(text) > MAX_PARSE_BYTES:
        cut = text.rfind("<", 0, MAX_PARSE_BYTES)
        text = text[:cut if cut > 0 else MAX_PARSE_BYTES]
        if not any("only its start" in n for n in notes):
            notes.append(f"the page is over {MAX_PARSE_BYTES:,} characters; only its start was read")
    return text


def _parse(text: str, notes: list[str]) -> etree._Element | None:
    if not text.strip():
        notes.append("the page is empty")
        return None
    # libxml2 is given UTF-8 bytes with the encoding named, so that an XML declaration
    # or a <meta charset> in the text cannot make it decode a second time.
    data = text.encode("utf-8", "replace").replace(b"\x00", b"")
    # etree's parser, not lxml.html's: the tree is the same, without a Python class
    # lookup for every element the walk touches.
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                              no_network=True, default_doctype=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        notes.append("the page does not parse as HTML (no elements)")
        return None
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        notes.append("the page nests tags deeper than 255 levels; the parser stopped there")
    return root


def _apply_metadata(article: Article, meta: PageMeta, header: Mapping[str, str], title_tag: str) -> None:
    article.title = meta.title or _clean_title(title_tag, meta.site_name)
    article.lang = meta.lang or normalise_tag(header.get("content-language", "").split(",")[0])
    article.published = meta.published
    article.updated = meta.updated
    article.authors = list(meta.authors)
    link = _LINK_CANONICAL.search(header.get("link", ""))
    canonical = meta.url or (link.group(1).strip() if link else None)
    # A canonical pointing at the site's home page is a template default, not this page.
    if canonical and not (urlsplit(canonical).path in ("", "/") and article.url
                          and urlsplit(article.url).path not in ("", "/")):
        article.url = canonical
    article.description = meta.description
    article.image = meta.image


def _clean_title(title: str, site_name: str | None) -> str:
    """The <title> without the site name sites append ("Story – Site", "Site | Story")."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if site_name:
        key = site_name.casefold()
        rest = [p for p in parts if p.casefold() != key]
        if rest and len(rest) < len(parts):
            return " - ".join(rest)
    # Otherwise the longest part: site names are short, headlines long.
    return max(parts, key=len)


def _markup_authors(marked: list[etree._Element]) -> list[str]:
    """Author names marked up in the body: itemprop="author" and rel="author" links.

    `marked` is metadata.marked_elements() of the page.
    """
    names = []
    authors = [el for el in marked if el.get("itemprop") == "author" or el.tag == "a" and el.get("rel") == "author"]
    for el in authors[:10]:
        inner = el.xpath('.//*[@itemprop="name"]')
        value = inner[0].get("content") or inner[0].xpath("string()") if inner else el.get("content")
        value = normalise_space(value or el.xpath("string()"))
        value = _BYLINE_PREFIX.sub("", value)
        if value and len(value) <= 80 and not value.startswith("http"):
            names.append(value)
    return list(dict.fromkeys(names))
