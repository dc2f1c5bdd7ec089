"""The crawler's Prometheus metrics, defined once, here.

They are created unregistered, so importing the crawler (tests, `newsdedup crawl`) costs
nothing and never clashes; the daemon, the composition root, adds them to the registry
that `/metrics` serves:

    from feeds.metrics import REGISTRY
    ingest.metrics.register(REGISTRY)

ingest does not import feeds: the registry comes in as an argument.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

FETCHES = Counter("newsdedup_crawl_fetches", "Fetches by outcome: ok, not_modified (304) or the error kind",
                  ["outcome"], registry=None)
FETCHED_BYTES = Counter("newsdedup_crawl_fetched_bytes", "Body bytes fetched (after decompression)",
                        registry=None)
DOCUMENTS = Counter("newsdedup_crawl_documents", "Crawled documents ingested, by outcome: created (a new "
                    "story), version, translation, changed, unchanged", ["outcome"], registry=None)
ERRORS = Counter("newsdedup_crawl_errors", "Sources and articles that could not be read, by error kind",
                 ["kind"], registry=None)
SOURCE_RUNS = Counter("newsdedup_crawl_source_runs", "Runs of a source, by outcome: ok, error, interrupted",
                      ["outcome"], registry=None)
REVISITS = Counter("newsdedup_crawl_revisits", "Re-checks of stored articles, by outcome: not_modified (304 or "
                   "the same bytes), unchanged (same text), changed (a new revision), failed", ["outcome"],
                   registry=None)
RETRIES = Counter("newsdedup_crawl_article_retries", "Articles that failed transiently, by what followed: "
                  "scheduled (tried again later) or given_up", ["outcome"], registry=None)
SOURCE_FAILURES = Gauge("newsdedup_source_consecutive_failures", "Runs in a row whose listing could not be read",
                        ["source"], registry=None)
STORIES = Gauge("newsdedup_stories", "Stories in the database", registry=None)
LAST_SUCCESS = Gauge("newsdedup_source_last_success_timestamp_seconds",
                     "When the source last ran without a source-level error (Unix time)", ["source"],
                     registry=None)
QUEUE = Gauge("newsdedup_crawl_queue_jobs", "Source runs of the daemon: due (waiting for a run slot) "
              "and running", ["state"], registry=None)

ALL = (FETCHES, FETCHED_BYTES, DOCUMENTS, ERRORS, SOURCE_RUNS, REVISITS, RETRIES, SOURCE_FAILURES, STORIES,
       LAST_SUCCESS, QUEUE)
_registered: list[CollectorRegistry] = []


def register(registry: CollectorRegistry) -> None:
    """Add every crawl metric to `registry` (idempotent)."""
    if any(r is registry for r in _registered):
        return
    for metric in ALL:
        registry.register(metric)
    _registered.append(registry)
