"""Find what a site offers to crawl: its feeds and sitemaps, by fetching a few well-known places.

The parsing is the pure functions of this package; this module only decides what to fetch,
politely (the fetcher's limits apply) and stopping at the first feed that answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ingest.errors import IngestError
from ingest.fetch import FEED_TYPES, HTML_TYPES, ROBOTS_TYPES, SITEMAP_TYPES, Fetcher
from ingest.sources.detect import SourceKind, detect_kind
from ingest.sources.discovery import (
    common_feed_urls,
    common_sitemap_urls,
    discover_feeds,
    robots_url,
    sitemaps_from_robots,
)
from ingest.sources.links import FeedLink

log = logging.getLogger("ingest.sources")


@dataclass
class SiteSources:
    home_url: str                                        # after redirects
    feeds: list[FeedLink] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)  # what failed on the way, for the report


async def probe_site(fetcher: Fetcher, url: str) -> SiteSources:
    """Feeds announced by the home page (else the first common feed path that serves a feed)
    and sitemaps from robots.txt (else the first common sitemap path that serves one).
    Raises IngestError only if the home page itself cannot be fetched."""
    home = await fetcher.fetch(url, accept=HTML_TYPES)
    found = SiteSources(home.url, feeds=discover_feeds(home.body, home.url, charset=home.charset))
    if not found.feeds:
        feed = await _first_of_kind(fetcher, common_feed_urls(home.url), SourceKind.FEED, FEED_TYPES, found)
        found.feeds = [FeedLink(feed)] if feed else []
    try:
        robots = await fetcher.fetch(robots_url(home.url), accept=ROBOTS_TYPES + ("*/*",), probe=True)
        found.sitemaps = sitemaps_from_robots(robots.body.decode("utf-8", errors="replace"), home.url)
    except IngestError as exc:
        found.errors.append(exc)
    if not found.sitemaps:
        sitemap = await _first_of_kind(fetcher, common_sitemap_urls(home.url), SourceKind.SITEMAP,
                                       SITEMAP_TYPES, found)
        found.sitemaps = [sitemap] if sitemap else []
    log.info("probed %s: %d feed(s), %d sitemap(s)", url, len(found.feeds), len(found.sitemaps))
    return found


async def _first_of_kind(fetcher: Fetcher, urls: list[str], kind: SourceKind, accept: tuple[str, ...],
                         found: SiteSources) -> str | None:
    for candidate in urls:
        try:
            result = await fetcher.fetch(candidate, accept=accept, probe=True)
            if detect_kind(result.body, content_type=result.content_type, url=result.url) == kind:
                return result.url
        except IngestError as exc:
            found.errors.append(exc)
    return None
