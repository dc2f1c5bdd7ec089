"""The ingest sections: reading saved inputs, and the crawler's schedule."""

from __future__ import annotations

from dataclasses import dataclass

from storage.sections import POSITIVE, Section, one_of, setting

# Larger files, records and response bodies are reported and skipped (also the fetcher's body cap).
DOCUMENT_BYTES_LIMIT = 10_000_000


@dataclass(frozen=True)
class ReadSettings(Section):
    NAME = "reading"

    max_document_bytes: int = setting(DOCUMENT_BYTES_LIMIT, "larger files or records are reported and skipped",
                                      check=POSITIVE)
    replay_order: str = setting(
        "sorted", '"sorted": by published time, then id (the same stories however a corpus is shuffled); '
                  '"input": as the files list them', check=one_of("sorted", "input"))


@dataclass(frozen=True)
class CrawlSettings(Section):
    NAME = "crawl"

    default_interval: int = setting(900, "seconds between two runs of a source, unless set per source",
                                    check=POSITIVE)
    min_source_interval: int = setting(30, "the shortest interval a source may be given (sources add --interval)",
                                       check=POSITIVE)
    max_articles_per_run: int = setting(200, "articles one run of one source fetches at most", check=POSITIVE)
    adaptive_intervals: bool = setting(
        True, "poll busy sources more often, quiet ones less: a run that stored new documents halves the "
              "source's interval, a run that found nothing new doubles it ...")
    min_interval: int = setting(300, "... never below this (or the source's own interval, if lower)",
                                check=POSITIVE)
    max_interval: int = setting(6 * 3600, "... nor above this (or the source's own interval, if higher)",
                                check=POSITIVE)
    max_child_sitemaps: int = setting(5, "sitemaps of a sitemap index one run reads (indexes can list "
                                         "thousands)", check=POSITIVE)
