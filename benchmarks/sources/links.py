#!/usr/bin/env python3
"""Link and feed discovery per page: Beautiful Soup (the code) against lxml (the code before it), same run.

Times `discover_article_links` and `discover_feeds` of `ingest.sources` ("new": Beautiful Soup,
a strainer, and the straining lxml builder of `ingest/sources/pages.py`) against the same
functions on lxml trees ("old", kept in `lxml_baseline.py`), page by page, interleaved, on

  site        the test site's home and section pages (tests/site/)
  synthetic   a large home page: 300 teasers in sections, header/nav/mega-menu, aside, footer (~300 KB)
  scrapinghub the 181 real pages of ../shared/bench/extraction/scrapinghub/ (with their URLs)
  readability the 130 real pages of ../shared/bench/extraction/readability/ (their canonical URL,
              else Readability's own test URL http://fakehost/test/page.html)

Pages go in as the crawler passes them: bytes, with the charset a header would give (none for
the real pages). Times are CPU time of the process (the machine may be shared); a page's time
is the fastest of --repeats runs, each with cold caches. The table gives the median and p90 of
those over the pages, and how many pages give exactly the same result old and new (URLs,
titles, order; for feeds also the type). Every difference is listed.

--variants adds the new code on other tree builders (bs4's stock lxml builder, html.parser),
to show why the straining builder.

    .venv/bin/python benchmarks/sources/links.py              # all 317 pages, ~2 minutes
    .venv/bin/python benchmarks/sources/links.py --variants   # ... and the other builders, ~5 minutes
    .venv/bin/python benchmarks/sources/links.py --quick      # a handful of pages, a few seconds (CI)
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from bs4.builder import HTMLParserTreeBuilder
from bs4.builder._lxml import LXMLTreeBuilder

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import lxml_baseline  # noqa: E402

from ingest.sources import discover_article_links, discover_feeds, pages  # noqa: E402
from tests.site import content  # noqa: E402

BENCH_DATA = ROOT.parent / "shared" / "bench" / "extraction"
READABILITY_TEST_URL = "http://fakehost/test/page.html"
SITE_URL = "http://127.0.0.1:8000"

Discover = Callable[..., list]


@dataclass(frozen=True)
class Page:
    name: str
    body: bytes
    url: str
    charset: str | None


# ------------------------------------------------------------------------------------------ pages

def site_pages() -> list[Page]:
    pages_ = [Page("home", content.home_html(SITE_URL).encode(), SITE_URL + "/", "utf-8")]
    for section in content.SECTIONS:
        pages_.append(Page(section, content.section_html(section, SITE_URL).encode(), SITE_URL + section, "utf-8"))
    return pages_


def synthetic_home_page(teasers: int = 300, seed: int = 1) -> Page:
    """A big news home page, deterministic: what a portal's front page carries around its teasers."""
    rng = random.Random(seed)
    words = ("bridge council election budget storm market court school rail energy health police "
             "football climate harbour museum festival strike vote minister border water housing").split()
    sections = ["world", "politics", "business", "sport", "culture", "science", "local", "opinion"]

    def slug(n: int) -> str:
        return "-".join(rng.choice(words) for _ in range(n))

    def headline() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(5, 10))).capitalize()

    menu = "".join(f'<li><a href="/{s}/">{s.title()}</a><ul>'
                   + "".join(f'<li><a href="/{s}/{slug(1)}/">{slug(2)}</a></li>' for _ in range(8))
                   + "</ul></li>" for s in sections)
    header = (f'<header class="site-header"><a href="/" class="logo"><img src="/logo.svg" alt="The Daily"></a>'
              f'<nav class="mega-menu"><ul>{menu}</ul></nav>'
              f'<div role="search"><form action="/search"><input name="q"></form></div>'
              f'<a href="/2024/05/14/{slug(4)}">Breaking: {headline()}</a></header>')
    blocks = []
    per_section = teasers // len(sections)
    for i, section in enumerate(sections):
        items = []
        for j in range(per_section):
            path = f"/{section}/2024/05/{rng.randint(1, 28):02d}/{slug(rng.randint(3, 7))}-{100000 + i * 1000 + j}"
            items.append(
                f'<article class="teaser teaser--{rng.choice(["large", "small", "list"])}">'
                f'<a href="{path}" class="teaser__image"><picture><source srcset="/img/{i}-{j}.webp 2x">'
                f'<img src="/img/{i}-{j}.jpg" alt="{headline()}" loading="lazy"></picture></a>'
                f'<header><span class="kicker">{rng.choice(words).title()}</span>'
                f'<h3><a href="{path}"><span>{headline()}</span></a></h3></header>'
                f'<p class="teaser__summary">{" ".join(headline() for _ in range(3))}.</p>'
                f'<footer class="teaser__meta"><a href="/author/{slug(2)}" rel="author">{slug(2)}</a> '
                f'<time datetime="2024-05-14T10:00:00Z">14 May</time> '
                f'<a href="{path}#comments">{rng.randint(0, 300)} comments</a> '
                f'<a href="/tag/{rng.choice(words)}" rel="tag">#{rng.choice(words)}</a></footer></article>')
        blocks.append(f'<section class="block block--{section}"><header><h2><a href="/{section}/">'
                      f'{section.title()}</a></h2></header><div class="grid">{"".join(items)}</div>'
                      f'<a href="/{section}/?page=2">More {section}</a></section>'
                      f'<div class="ad-slot" data-slot="{i}"><script>window.ads=window.ads||[];'
                      f'window.ads.push({{slot:{i}}});</script></div>')
    most_read = "".join(f'<li><a href="/2024/05/13/{slug(5)}">{headline()}</a></li>' for _ in range(10))
    footer = ('<footer class="site-footer"><nav>'
              + "".join(f'<a href="/{p}">{p}</a> ' for p in ("about", "contact", "privacy-policy", "terms",
                                                             "jobs", "advertise", "newsletter", "rss"))
              + "</nav><p>© 2024 The Daily</p></footer>")
    head = ('<head><meta charset="utf-8"><title>The Daily</title>'
            '<link rel="alternate" type="application/rss+xml" title="The Daily" href="/rss.xml">'
            '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
            '<link rel="stylesheet" href="/main.css"><script>' + "var config = {};" * 200 + "</script></head>")
    html = (f'<!DOCTYPE html><html lang="en">{head}<body><div class="page">{header}'
            f'<main>{"".join(blocks)}</main><aside><h2>Most read</h2><ol>{most_read}</ol>'
            f'<a href="/feeds/sport">Sport feed</a></aside>{footer}</div></body></html>')
    return Page("synthetic home", html.encode(), "https://www.daily.example/", "utf-8")


def real_pages(dataset: str) -> list[Page]:
    data = BENCH_DATA / dataset
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    found = []
    for key in sorted(truth):
        body = gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes())
        url = truth[key].get("url") or _page_url(body) or READABILITY_TEST_URL
        found.append(Page(f"{dataset}/{key}", body, url, None))
    return found


def _page_url(body: bytes) -> str | None:
    """The page's own URL, as its canonical link or og:url say (the Readability set has no URLs)."""
    root = lxml.html.document_fromstring(body)
    for url in root.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        if str(url).startswith("http"):
            return str(url)
    return None


# ---------------------------------------------------------------------------------------- variants

@contextmanager
def tree_builder(name: str) -> Iterator[None]:
    """The new code with another bs4 tree builder in place of the straining one (same strainer)."""
    if name == "straining lxml":
        yield
        return
    stock = {"stock lxml": LXMLTreeBuilder, "html.parser": HTMLParserTreeBuilder}[name]
    shipped = pages._StrainingLxmlBuilder

    def replacement(keep: object, **kwargs: object) -> object:
        return stock(**kwargs)

    pages._StrainingLxmlBuilder = replacement  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        pages._StrainingLxmlBuilder = shipped  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ timing

def best_ms(function: Discover, page: Page, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        clear_caches()
        start = time.process_time()
        function(page.body, page.url, charset=page.charset)
        best = min(best, time.process_time() - start)
    return best * 1000


def clear_caches() -> None:
    """Every run starts cold: the new code caches URL verdicts (a site's links repeat across its
    pages), and a repeat of one page would find all of its own."""
    pages._has_article_shape.cache_clear()


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def comparable(results: list) -> list[tuple]:
    return [tuple(vars(r).values()) for r in results]


def run_set(label: str, set_pages: list[Page], repeats: int, variants: list[str]) -> list[dict]:
    rows = []
    for what, old, new in (("article links", lxml_baseline.discover_article_links, discover_article_links),
                           ("feeds", lxml_baseline.discover_feeds, discover_feeds)):
        times: dict[str, list[float]] = {"old lxml": [], **{v: [] for v in variants}}
        same = dict.fromkeys(variants, 0)
        differences: list[tuple[str, str, list, list]] = []
        old_found = 0
        for page in set_pages:
            # Interleaved, page by page: old and new see the same machine load.
            times["old lxml"].append(best_ms(old, page, repeats))
            before = comparable(old(page.body, page.url, charset=page.charset))
            old_found += len(before)
            for variant in variants:
                with tree_builder(variant):
                    times[variant].append(best_ms(new, page, repeats))
                    after = comparable(new(page.body, page.url, charset=page.charset))
                if before == after:
                    same[variant] += 1
                else:
                    differences.append((variant, page.name, [r for r in before if r not in after],
                                        [r for r in after if r not in before]))
        rows.append({"set": label, "what": what, "pages": len(set_pages), "found": old_found, "same": same,
                     "differences": differences,
                     "times": {k: (statistics.median(v), p90(v)) for k, v in times.items()}})
    return rows


def print_table(rows: list[dict], variants: list[str]) -> None:
    print("| pages | function | results (old) | old lxml median / p90 ms | "
          + " | ".join(f"{v}: median / p90 ms, same as old" for v in variants) + " | new/old (median) |")
    print("|---|---|---|---|" + "---|" * len(variants) + "---|")
    for row in rows:
        old_median, old_p90 = row["times"]["old lxml"]
        cells = [f"{row['times'][v][0]:.2f} / {row['times'][v][1]:.2f}, {row['same'][v]}/{row['pages']}"
                 for v in variants]
        ratio = row["times"]["straining lxml"][0] / old_median
        print(f"| {row['set']} ({row['pages']}) | {row['what']} | {row['found']} | {old_median:.2f} / {old_p90:.2f} | "
              + " | ".join(cells) + f" | {ratio:.2f} |")
    for row in rows:
        for variant, name, only_old, only_new in row["differences"]:
            print(f"\n{row['what']}, {variant}: {name} differs\n  old only: {only_old[:3]}\n  new only: {only_new[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a handful of pages, one repeat (CI)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per page and function; the fastest counts")
    parser.add_argument("--variants", action="store_true", help="also time bs4's stock lxml builder and html.parser")
    args = parser.parse_args()
    variants = ["straining lxml"] + (["stock lxml", "html.parser"] if args.variants else [])
    sets = [("site", site_pages()), ("synthetic", [synthetic_home_page()])]
    for dataset in ("scrapinghub", "readability"):
        if (BENCH_DATA / dataset).is_dir():
            sets.append((dataset, real_pages(dataset)))
        else:
            print(f"{BENCH_DATA / dataset} not found: skipped", file=sys.stderr)
    repeats = args.repeats
    if args.quick:
        sets = [(label, set_pages[:3]) for label, set_pages in sets]
        repeats = 1
    print(f"synthetic home page: {len(sets[1][1][0].body) / 1000:.0f} KB; fastest of {repeats} runs per page\n")
    rows = [row for label, set_pages in sets for row in run_set(label, set_pages, repeats, variants)]
    print_table(rows, variants)


if __name__ == "__main__":
    main()
