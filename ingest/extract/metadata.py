"""What a page says about itself: JSON-LD, OpenGraph, <meta>, <link>, <time> and <html lang>.

Published metadata is read before any heuristic: an editor typed it, a guess did not.
Every reader here takes the parsed lxml tree and never raises on odd input; a value that
does not parse is skipped, not reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ingest.language import normalise_tag

# JSON-LD types that describe the page's article (schema.org Article and its subtypes).
_ARTICLE_TYPE = re.compile(
    r"(?:^|:)(?:\w*Article|BlogPosting|LiveBlogPosting|Report|Review|SocialMediaPosting|"
    r"DiscussionForumPosting|Posting|Story)$",
    re.IGNORECASE,
)
_PAGE_TYPE = re.compile(r"(?:^|:)(?:WebPage|ItemPage|AboutPage|CollectionPage)$", re.IGNORECASE)
_JSON_LD_MAX = 2_000_000  # a larger script is a data dump, not a description of the page
# XHTML-era pages wrap script bodies in CDATA sections or HTML comments, often behind "//".
_SCRIPT_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
# "DC:creator" and "dc.creator" are the same Dublin Core term.
_DC_PREFIX = re.compile(r"^(dc|dcterms):")
_AUTHOR_KEYS = frozenset({"author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl"})
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s*:?\s+", re.IGNORECASE)
_WS = re.compile(r"\s+")
# "2019-11-19", "2019-11-19T10:00", "2019-11-19 10:00:00+0700", "2019/11/19 10:00"
_ISO_LIKE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*"
    r"(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"
)
# A date in the URL path: /2019/11/19/ or /2019-11-19-
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:[/-]|$)")
# A compact timestamp ending a slug: "...-duong-20251122184808454.htm" (yyyymmdd and a time: eight
# digits alone may be an id).
_URL_STAMP = re.compile(r"[-/_]((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{4,9}(?:\.\w+)?$")


# Every element that marks up a date or an author, in one scan of the tree (each XPath
# scan costs a fraction of a millisecond; comparing attribute values in XPath, more).
_MARKED = etree.XPath(".//*[@itemprop] | .//time[@datetime] | .//a[@rel]")
_DATE_PROPS = ("datePublished", "dateModified", "dateCreated")


@dataclass
class PageMeta:
    title: str | None = None
    site_name: str | None = None
    lang: str | None = None
    published: str | None = None
    updated: str | None = None
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    description: str | None = None
    image: str | None = None
    article_body: str | None = None   # JSON-LD articleBody, a hint for the content finder
    live_blog: bool = False           # JSON-LD says LiveBlogPosting: entries may be named comments


def clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = _WS.sub(" ", value).strip()
    return text or None


def parse_time(value: str | None) -> str | None:
    """An ISO 8601 string for a machine-readable date, in UTC when the zone is known."""
    text = clean(value)
    if not text or len(text) > 80:
        return None
    m = _ISO_LIKE.match(text)
    if m:
        year, month, day, hour, minute, second, zone = m.groups()
        try:
            if hour is None:
                return datetime(int(year), int(month), int(day)).date().isoformat()
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
        except ValueError:
            return None
        if zone:
            offset = "+00:00" if zone in ("Z", "UTC", "GMT") else zone[:3] + ":" + zone[-2:]
            try:
                aware = datetime.fromisoformat(moment.isoformat() + offset)
            except ValueError:
                return moment.isoformat()
            return _utc(aware)
        return moment.isoformat()
    if text.isdigit() and len(text) in (10, 13):
        # Unix time in seconds or milliseconds
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        if 0 < seconds < 4_102_444_800:
            return _utc(datetime.fromtimestamp(seconds, UTC))
        return None
    try:
        moment = parsedate_to_datetime(text)  # RFC 2822, as in Last-Modified and some <meta>
    except (TypeError, ValueError, IndexError):
        return None
    return _utc(moment) if moment.tzinfo else moment.isoformat()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_from_url(url: str | None) -> str | None:
    """The date many CMSs put in article paths (/2019/11/19/..., ...-20191119093000.htm), as YYYY-MM-DD."""
    if not url:
        return None
    path = urlsplit(url).path
    m = _URL_DATE.search(path) or _URL_STAMP.search(path)
    if not m:
        return None
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3))).date().isoformat()
    except ValueError:
        return None


def _json_ld_objects(root: etree._Element) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, @graph members flattened."""
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = _SCRIPT_WRAPPER.sub("", script.text or "").strip()
        if not raw or len(raw) > _JSON_LD_MAX:
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            # Some CMSs leave HTML comment markers or a trailing semicolon around the JSON.
            try:
                data = json.loads(raw.strip("<!->; \n\t"), strict=False)
            except (ValueError, RecursionError):
                continue
        # Walk without recursion: nested @graph lists are data, and data can be deep.
        pending: list[Any] = [data]
        while pending:
            item = pending.pop(0)
            if isinstance(item, list):
                pending[0:0] = item[:100]
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    pending[0:0] = item["@graph"][:100]


def _metas(root: etree._Element, head: etree._Element | None) -> Iterator[etree._Element]:
    """The <meta> elements of <head>, then those elsewhere.

    A stray element early in <head> makes the parser open <body> there, and every <meta>
    after it lands in the body: they are still the page's own, read after the real head's.
    """
    if head is not None:
        yield from head.iter("meta")
    for el in root.iter("meta"):
        if head is None or not _inside(el, head):
            yield el


def _inside(el: etree._Element, ancestor: etree._Element) -> bool:
    return any(parent is ancestor for parent in el.iterancestors())


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD author value: a string, a Person, or a list of either."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:20]:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            name = name[0] if name else None
        text = clean(name)
        if text and not _looks_like_url(text):
            names.append(text)
    return names


def _image_url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl") or value.get("@id")
    return clean(value)


def _looks_like_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "//", "/", "www."))


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def read_metadata(root: etree._Element, base_url: str | None = None) -> PageMeta:
    """The page's own metadata, JSON-LD first, then OpenGraph and <meta>, then markup."""
    meta = PageMeta()
    props: dict[str, str] = {}
    author_metas: list[str] = []
    head = root.find("head")
    scope = head if head is not None else root
    for el in _metas(root, head):
        value = clean(el.get("content"))
        if not value:
            continue
        names = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or ""
        # RDFa lets one <meta> carry several properties: property="og:title twitter:title".
        for key in names.lower().split():
            key = _DC_PREFIX.sub(r"\1.", key)
            if key in _AUTHOR_KEYS:
                author_metas.append(_BYLINE_PREFIX.sub("", value))
            props.setdefault(key, value)

    article: dict[str, Any] = {}
    page: dict[str, Any] = {}
    for obj in _json_ld_objects(root):
        types = _types(obj)
        if not article and any(_ARTICLE_TYPE.search(t) for t in types):
            article = obj
        elif not page and any(_PAGE_TYPE.search(t) for t in types):
            page = obj
    ld = article or page
    meta.live_blog = any(t.rsplit(":", 1)[-1].lower() == "liveblogposting" for t in _types(article))

    meta.title = _first(clean(article.get("headline")), props.get("og:title"), props.get("twitter:title"),
                        props.get("dc.title"))
    meta.site_name = props.get("og:site_name")
    meta.description = _first(props.get("description"), props.get("og:description"),
                              clean(ld.get("description")), props.get("twitter:description"),
                              props.get("dc.description"))
    meta.published = _first(
        parse_time(ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None),
        *(parse_time(props.get(k)) for k in (
            "article:published_time", "datepublished", "og:published_time", "published_time",
            "pubdate", "publishdate", "publish-date", "parsely-pub-date", "sailthru.date",
            "dc.date.issued", "dcterms.created", "dc.date", "date", "article.published")),
    )
    meta.updated = _first(
        parse_time(ld.get("dateModified") if isinstance(ld.get("dateModified"), str) else None),
        *(parse_time(props.get(k)) for k in (
            "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
            "last-modified", "lastmod", "article.updated")),
    )
    authors = _names(article.get("author")) if article else []
    if not authors:
        authors = [a for a in author_metas if not _looks_like_url(a)]
    by_key: dict[str, str] = {}
    for name in authors:
        if len(name) <= 100:
            by_key.setdefault(name.casefold(), name)  # "Jane Doe" and "JANE DOE" are one author
    meta.authors = list(by_key.values())[:10]

    canonical = None
    for link in scope.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = clean(link.get("href"))
        if href and "canonical" in rel and canonical is None:
            canonical = href
        elif href and "image_src" in rel:
            props.setdefault("image_src", href)
    url = _first(canonical, props.get("og:url"))
    if url is None and isinstance(ld.get("mainEntityOfPage"), str | dict):
        entity = ld["mainEntityOfPage"]
        url = clean(entity.get("@id") if isinstance(entity, dict) else entity)
    meta.url = _absolute(url, base_url)
    image = _first(props.get("og:image"), props.get("og:image:url"), props.get("og:image:secure_url"),
                   props.get("twitter:image"), props.get("twitter:image:src"),
                   _image_url(ld.get("image")) if ld else None, props.get("image_src"))
    meta.image = _absolute(image, meta.url or base_url)

    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    meta.lang = _first(normalise_tag(lang), normalise_tag(props.get("content-language")),
                       normalise_tag(props.get("og:locale")),
                       normalise_tag(ld.get("inLanguage") if isinstance(ld.get("inLanguage"), str) else None),
                       normalise_tag(props.get("language")), normalise_tag(props.get("dc.language")))
    body = article.get("articleBody")
    if isinstance(body, str) and len(body) > 200:
        meta.article_body = body
    return meta


def marked_elements(root: etree._Element) -> list[etree._Element]:
    """The elements with an itemprop, <time datetime> and <a rel>, in document order."""
    return list(_MARKED(root))


def time_elements(root: etree._Element, marked: list[etree._Element] | None = None) -> tuple[str | None, str | None]:
    """(published, updated) from itemprop dates and <time datetime> in the page.

    `marked` is marked_elements(root), when the caller has it already.
    """
    published = updated = first_time = None
    for el in marked if marked is not None else marked_elements(root):
        if not (el.get("itemprop") in _DATE_PROPS or el.tag == "time" and el.get("datetime") is not None):
            continue
        prop = (el.get("itemprop") or "").lower()
        moment = parse_time(el.get("datetime") or el.get("content"))
        if not moment:
            continue
        if prop == "datemodified":
            updated = updated or moment
        elif prop:
            published = published or moment
        else:
            first_time = first_time or moment  # a bare <time>: the first is usually the dateline
    return published or first_time, updated


def _absolute(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    if url.startswith("//"):
        scheme = urlsplit(base).scheme if base else "https"
        return f"{scheme or 'https'}:{url}"
    if base and not urlsplit(url).scheme:
        try:
            return urljoin(base, url)
        except ValueError:
            return url
    return url
