"""Sources: turn feeds, sitemaps, section pages and OPML lists into URLs to fetch.

Pure functions over bytes already fetched (no storage, no network), plus `probe_site`,
which uses a Fetcher to find a site's feeds and sitemaps.
"""

from ingest.sources.detect import SourceKind, detect_kind
from ingest.sources.discovery import (
    COMMON_FEED_PATHS,
    common_feed_urls,
    common_sitemap_urls,
    discover_feeds,
    sitemaps_from_robots,
)
from ingest.sources.feeds import ParsedFeed, parse_feed
from ingest.sources.links import ArticleLink, FeedLink
from ingest.sources.opml import OpmlDocument, OpmlFeed, parse_opml, render_opml
from ingest.sources.pages import discover_article_links, looks_like_article, same_site
from ingest.sources.probe import SiteSources, probe_site
from ingest.sources.sitemaps import ParsedSitemap, parse_sitemap

__all__ = [
    "COMMON_FEED_PATHS",
    "ArticleLink",
    "FeedLink",
    "OpmlDocument",
    "OpmlFeed",
    "ParsedFeed",
    "ParsedSitemap",
    "SiteSources",
    "SourceKind",
    "common_feed_urls",
    "common_sitemap_urls",
    "detect_kind",
    "discover_article_links",
    "discover_feeds",
    "looks_like_article",
    "parse_feed",
    "parse_opml",
    "parse_sitemap",
    "probe_site",
    "render_opml",
    "same_site",
    "sitemaps_from_robots",
]
