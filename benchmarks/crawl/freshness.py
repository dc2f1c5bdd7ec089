#!/usr/bin/env python3
"""Crawl freshness: how many edits of already-crawled articles reach the change log, how late,
and what the revisits cost.

A local site (tests/crawl/living_site.py, on 127.0.0.1) lists N articles in an RSS feed. The
crawler polls it every simulated `--poll` minutes for `--days` simulated days, on an injected
clock (no sleeping). Over the first two days a share of the articles is edited at random
moments: half body-only (the listing does not change: only a revisit can see it), half with a
moved pubDate (the listing says so). An edit "reaches the feed" when a `changed` row for its
article appears in the change log; its delay is the simulated time from the edit to that run.

    .venv/bin/python benchmarks/crawl/freshness.py                  # 300 articles, 4 days
    .venv/bin/python benchmarks/crawl/freshness.py --quick          # 40 articles, 1 day (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.crawl import Crawler  # noqa: E402
from ingest.pipeline import Pipeline  # noqa: E402
from newsdedup.config import Settings  # noqa: E402
from storage import Store  # noqa: E402
from tests.crawl.living_site import LivingSite, paragraphs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--edited", type=float, default=0.2, help="share of the articles edited once")
    parser.add_argument("--days", type=float, default=4.0)
    parser.add_argument("--poll", type=float, default=15.0, help="minutes between two polls of the feed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="40 articles, 1 simulated day (CI)")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.days, args.poll = 40, 1.0, 30.0
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp, LivingSite(articles=args.articles) as site:
        settings = Settings(db=str(Path(tmp) / "fresh.db"), allow_private_addresses=True, per_host_delay=0.0,
                            per_host_concurrency=4, adaptive_intervals=False)
        store = Store(settings.storage.db)
        now = [1_800_000_000.0]
        pipeline = Pipeline(store, settings.matching, clock=lambda: now[0])
        crawler = Crawler(store, pipeline, settings.crawl, replace(settings.fetch, retries=0),
                          clock=lambda: now[0])
        store.sources.add(site.feed_url, interval_seconds=int(args.poll * 60))
        start = now[0]
        slugs = list(site.state.articles)
        edits = {}  # slug -> (simulated time of the edit, moves pubDate?)
        for slug in rng.sample(slugs, int(len(slugs) * args.edited)):
            edits[slug] = (start + rng.uniform(600, min(2, args.days / 2) * 86400), rng.random() < 0.5)
        applied: set[str] = set()
        reached: dict[str, float] = {}
        before_first = len(site.state.hits)
        first_run_hits = 0
        step = args.poll * 60
        runs = 0
        while now[0] - start <= args.days * 86400:
            for slug, (when, moves) in edits.items():
                if slug not in applied and when <= now[0]:
                    article = site.state.articles[slug]
                    article.paragraphs = paragraphs(10_000 + slugs.index(slug))
                    if moves:
                        article.published += timedelta(hours=1)
                    applied.add(slug)
            asyncio.run(crawler.run_sources(store.sources.all(enabled_only=True)))
            runs += 1
            if runs == 1:
                first_run_hits = len(site.state.hits) - before_first
            rows = store.conn.all("SELECT d.key FROM changes c JOIN documents d ON d.id = c.document_id "
                                  "WHERE c.kind = 'changed'")
            for (key,) in rows:
                reached.setdefault(str(key).rsplit("/", 1)[-1], now[0])
            now[0] += step
        store.close()
        hits = site.state.hits[before_first:]
        article_hits = [(p, s, c) for p, s, c in hits if p.startswith("/news/")]
        revisits = [h for h in article_hits if h[2]]
        not_modified = sum(1 for h in revisits if h[1] == 304)
        article_bytes = sum(v for k, v in site.state.sent_bytes.items() if k.startswith("/news/"))
        first_bytes = sum(len(a.html().encode()) for a in site.state.articles.values())
        delays = {slug: (reached[slug] - when) / 3600 for slug, (when, _) in edits.items() if slug in reached}
        listed = [s for s, (_, moves) in edits.items() if moves]
        body_only = [s for s, (_, moves) in edits.items() if not moves]

        def share(group: list[str]) -> str:
            got = [delays[s] for s in group if s in delays]
            if not group:
                return "-"
            median = f", median delay {statistics.median(got):.1f} h, max {max(got):.1f} h" if got else ""
            return f"{len(got)}/{len(group)} ({len(got) / len(group):.0%}){median}"

        print(f"{args.articles} articles, {len(edits)} edited, {runs} polls every {args.poll:.0f} min over "
              f"{args.days:g} simulated days")
        print(f"edits that reached the change log: all {share(list(edits))}")
        print(f"  with a moved pubDate (the listing shows it): {share(listed)}")
        print(f"  body only (a revisit must find it):          {share(body_only)}")
        print(f"requests: first crawl {first_run_hits}; article revisits {len(revisits)} "
              f"({not_modified} answered 304, {not_modified / max(1, len(revisits)):.0%}); feed polls "
              f"{sum(1 for p, _, _ in hits if p == '/feed.xml')} "
              f"({sum(1 for p, s, _ in hits if p == '/feed.xml' and s == 304)} answered 304)")
        print(f"article bytes: {article_bytes:,} in all, of which {max(0, article_bytes - first_bytes):,} after the "
              f"first crawl (the first crawl: {first_bytes:,})")


if __name__ == "__main__":
    main()
