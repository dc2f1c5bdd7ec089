#!/usr/bin/env python3
"""Crawl throughput end to end, and the idle cost of the daemon. Loopback only, bounded in time.

1. throughput: `newsdedup crawl` (a separate process) against benchmarks/crawl/site.py serving a
   sitemap of N distinct articles in six languages (another process, so its CPU is not counted),
   per-host limits lifted (per_host_delay 0, per_host_concurrency 8). Every page goes fetch ->
   extract -> fingerprint -> match -> store. Reports pages/s over the source run (from its log
   line) and over the whole process, and CPU seconds per page (the process's user+sys, minus
   the CPU of the same command on an empty database: imports and start-up).
2. idle: `newsdedup serve` with S sources (RSS feeds of one article, answering 304 to their
   ETag) polled every I seconds (adaptive intervals off, so the rate stays fixed); once every
   source has run once, samples the daemon's CPU time and RSS from /proc for D seconds.

    python benchmarks/crawl/bench.py                      # 2000 articles; 500 sources, 30 s, 60 s window
    python benchmarks/crawl/bench.py --articles 500 --sources 100 --idle-seconds 20   # quicker
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(__file__).resolve().parent / "site.py"
sys.path.insert(0, str(ROOT))

from storage import Store  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_site(articles: int, feeds: int) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    site = subprocess.Popen([sys.executable, str(SITE), "--articles", str(articles), "--feeds", str(feeds),
                             "--port", str(port)], stdout=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/robots.txt", timeout=2).status_code == 200:
                return site, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or site.poll() is not None:
            raise RuntimeError("the benchmark site did not start")
        time.sleep(0.1)


# No developer's newsdedup.toml applies to a benchmark: an empty settings file does.
EMPTY_SETTINGS = Path(tempfile.gettempdir()) / "newsdedup-bench-empty.toml"


def env(**settings: object) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDEDUP_")}
    EMPTY_SETTINGS.write_text("")
    values["NEWSDEDUP_CONFIG"] = str(EMPTY_SETTINGS)
    values.update({f"NEWSDEDUP_{k.upper()}": str(v) for k, v in settings.items()})
    return values


def crawl_cpu(db: Path, environment: dict[str, str], timeout: float) -> tuple[float, float, str]:
    before = os.times()
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "newsdedup", "crawl", "--db", str(db)], env=environment, cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, out.stdout + out.stderr


def throughput(articles: int, concurrency: int) -> dict[str, float]:
    site, url = start_site(articles, 1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = {"allow_private_addresses": 1, "per_host_delay": 0, "per_host_concurrency": concurrency,
                        "max_articles_per_run": articles}
            _, base_cpu, _ = crawl_cpu(Path(tmp) / "empty.db", env(**settings), 120)
            db = Path(tmp) / "crawl.db"
            store = Store(str(db))
            store.sources.add(url + "/sitemap.xml", interval_seconds=900)
            store.close()
            wall, cpu, out = crawl_cpu(db, env(**settings), 1800)
            with Store(str(db)) as done:
                stored = done.documents.counts()
    finally:
        site.terminate()
        site.wait(10)
    match = re.search(r"^source \d+ .*\(([0-9.]+)s\)$", out, re.M)
    run_seconds = float(match.group(1)) if match else float("nan")
    return {"articles": articles, "documents": stored.documents, "stories": stored.stories,
            "errors": stored.errors, "wall": wall, "run_seconds": run_seconds, "cpu": cpu,
            "base_cpu": base_cpu, "pages_per_s_run": articles / run_seconds, "pages_per_s_wall": articles / wall,
            "cpu_ms_per_page": (cpu - base_cpu) / articles * 1000}


def proc_sample(pid: int) -> tuple[float, int]:
    """CPU seconds (user+sys) and RSS bytes of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    return cpu, rss


def idle(sources: int, interval: int, seconds: float) -> dict[str, float]:
    site, url = start_site(max(sources, 1), sources)
    daemon = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "idle.db"
            store = Store(str(db))
            for i in range(sources):
                store.sources.add(f"{url}/feed/{i}.xml", interval_seconds=interval)
            store.close()
            port = free_port()
            started = time.monotonic()
            daemon = subprocess.Popen(
                [sys.executable, "-m", "newsdedup", "serve", "--db", str(db), "--port", str(port)], cwd=ROOT,
                env=env(allow_private_addresses=1, per_host_delay=0, per_host_concurrency=8,
                        adaptive_intervals=0), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            probe = Store(str(db))
            while any(s.last_success is None for s in probe.sources.all()):
                if time.monotonic() - started > 600 or daemon.poll() is not None:
                    raise RuntimeError("the first round of the daemon did not finish")
                time.sleep(0.5)
            first_round = time.monotonic() - started
            cpu_first, rss_first = proc_sample(daemon.pid)
            metrics_url = f"http://127.0.0.1:{port}/metrics"
            not_modified_before = _not_modified(metrics_url)
            t0, (cpu0, _) = time.monotonic(), proc_sample(daemon.pid)
            peak = 0
            while time.monotonic() - t0 < seconds:
                time.sleep(1)
                peak = max(peak, proc_sample(daemon.pid)[1])
            t1, (cpu1, rss1) = time.monotonic(), proc_sample(daemon.pid)
            not_modified = _not_modified(metrics_url) - not_modified_before
            probe.close()
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(60)
        site.terminate()
        site.wait(10)
    window = t1 - t0
    return {"sources": sources, "interval": interval, "first_round_s": first_round, "cpu_first_round": cpu_first,
            "rss_after_first_round_mb": rss_first / 2**20, "window_s": window, "cpu_window": cpu1 - cpu0,
            "cpu_share": (cpu1 - cpu0) / window, "rss_end_mb": rss1 / 2**20, "rss_peak_mb": peak / 2**20,
            "polls_304": not_modified, "cpu_ms_per_poll": (cpu1 - cpu0) / max(not_modified, 1) * 1000}


def _not_modified(metrics_url: str) -> float:
    text = httpx.get(metrics_url, timeout=10).text
    match = re.search(r'^newsdedup_crawl_fetches_total\{outcome="not_modified"\} ([0-9.e+]+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="per_host_concurrency")
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--interval", type=int, default=30, help="seconds between two polls of a source (idle)")
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--skip", choices=["throughput", "idle"], action="append", default=[])
    parser.add_argument("--quick", action="store_true",
                        help="a small run that only shows the benchmark still works (CI): 100 articles, 20 sources")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.sources, args.interval, args.idle_seconds = 100, 20, 5, 8
    if "throughput" not in args.skip:
        t = throughput(args.articles, args.concurrency)
        print(f"throughput: {t['documents']} of {t['articles']} articles stored ({t['stories']} stories, "
              f"{t['errors']} errors); source run {t['run_seconds']:.1f} s = {t['pages_per_s_run']:.1f} pages/s; "
              f"process {t['wall']:.1f} s wall = {t['pages_per_s_wall']:.1f} pages/s; CPU {t['cpu']:.1f} s "
              f"(start-up {t['base_cpu']:.1f} s) = {t['cpu_ms_per_page']:.1f} ms CPU per page", flush=True)
    if "idle" not in args.skip:
        i = idle(args.sources, args.interval, args.idle_seconds)
        print(f"idle: {i['sources']} sources every {i['interval']} s; first round {i['first_round_s']:.1f} s "
              f"({i['cpu_first_round']:.1f} s CPU, RSS {i['rss_after_first_round_mb']:.0f} MB); then "
              f"{i['window_s']:.0f} s: {i['polls_304']:.0f} polls answered 304, CPU {i['cpu_window']:.2f} s = "
              f"{i['cpu_share'] * 100:.1f}% of a core, {i['cpu_ms_per_poll']:.2f} ms per poll; RSS "
              f"{i['rss_end_mb']:.0f} MB (peak {i['rss_peak_mb']:.0f} MB)", flush=True)


if __name__ == "__main__":
    main()
