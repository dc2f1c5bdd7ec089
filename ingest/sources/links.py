"""What sources yield: links to articles and feeds, with whatever hints the source gave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from ingest.language import normalise_tag


@dataclass(frozen=True)
class ArticleLink:
    url: str                            # absolute http(s) URL, fragment removed
    title: str | None = None
    published: datetime | None = None   # timezone-aware (UTC when the source gave no zone)
    updated: datetime | None = None
    lang: str | None = None             # ISO 639-1 hint from the source ("en"), not a verdict
    guid: str | None = None             # the item's own id (RSS guid, Atom id), when the listing has one

    def listed_as(self) -> str:
        """The item as the listing shows it: when this changes (a moved pubDate, a new `updated`,
        an edited title, a new guid), the article changed and is fetched again."""
        stamp = [self.published.isoformat() if self.published else "",
                 self.updated.isoformat() if self.updated else "", self.title or "", self.guid or ""]
        return "\x1f".join(stamp)


@dataclass(frozen=True)
class FeedLink:
    url: str
    title: str | None = None
    type: str | None = None             # media type the page declared, if any


def absolute_url(href: str | None, base: str | None) -> str | None:
    """`href` resolved against `base`, without fragment; None unless it is an http(s) URL."""
    if not href:
        return None
    href = href.strip()
    try:
        joined = urljoin(base, href) if base else href
        parts = urlsplit(joined)
    except ValueError:
        return None  # e.g. an invalid IPv6 literal
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def language_hint(*tags: str | None) -> str | None:
    """The first usable language tag among `tags`, as its primary subtag."""
    for tag in tags:
        primary = normalise_tag(tag)
        if primary:
            return primary
    return None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 / W3C datetime ("2024-05-14", "2024-05-14T10:00:00Z", "...+02:00") to an aware datetime."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if len(text) == 7 and text[4] == "-":  # "2024-05", allowed by W3C datetime
        text += "-01"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
