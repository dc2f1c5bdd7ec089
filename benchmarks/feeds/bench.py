#!/usr/bin/env python3
"""Serving the live feed: newsdedup's server next to nginx serving the same bytes, same run.

Replays a bounded slice of a corpus into a fresh database (the real pipeline), starts the
feed server (uvicorn, a separate process) and nginx (a temp config on 127.0.0.1, serving the
feed's bytes as a static file, gzip_static for the compressed copy), then drives both with
wrk: full responses (Accept-Encoding: gzip, as feed readers send) and 304s (If-None-Match
with the ETag each server gave). Every run is bounded: --duration seconds per measurement.
The feed server is the one `newsdedup serve` runs (feeds.server.build_server: uvicorn with
httptools and uvloop, one process), answering from its hot path (feeds.hot).

A busy machine moves every figure, nginx's too, so the table says the load average at the start,
and --rounds repeats the four measurements, interleaved, and reports each row's median and the
median of the rounds' ratios (each round's two servers saw about the same load).

    python benchmarks/feeds/bench.py                    # 330 documents of wmt22-news, 5 s per run
    python benchmarks/feeds/bench.py --rounds 3 --write # ... three rounds, and the table in README.md

Needs wrk and nginx (apt-get install wrk nginx). Reads ../shared/bench/dedup/ beside the checkout.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared" / "bench" / "dedup" / "wmt22-news.jsonl"
README = Path(__file__).resolve().parent / "README.md"
MARK_BEGIN, MARK_END = "<!-- results:begin -->", "<!-- results:end -->"

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    types {{ application/atom+xml atom; }}
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/www;
        gzip_static on;
        etag on;
        location / {{ add_header Cache-Control "public, max-age=60"; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process, its threads and its child processes so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = " ".join(p.read_text() for p in Path(f"/proc/{pid}/task").glob("*/children")).split()
    except OSError:
        return None
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    for child in children:
        seconds = cpu_seconds(int(child))
        total += seconds or 0.0
    return total


def wrk(url: str, headers: dict[str, str], *, duration: int, connections: int, server_pid: int) -> dict[str, float]:
    """wrk's figures, and the server's CPU microseconds per request (load on the machine moves this less)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    cpu_before = cpu_seconds(server_pid)
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True, timeout=duration + 30).stdout
    cpu_after = cpu_seconds(server_pid)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"^\s+(\d+) requests in", out, re.M).group(1))  # type: ignore[union-attr]
    cpu = (cpu_after - cpu_before) * 1e6 / max(1, requests) if cpu_before is not None and cpu_after else float("nan")
    return {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50": to_ms(latency["50"]), "p99": to_ms(latency["99"]), "cpu_us": cpu,
            "errors": float(non_2xx.group(1)) if non_2xx else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=330, help="documents replayed (default 330)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement (default 5)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="times the four measurements are repeated (default 1)")
    parser.add_argument("--write", action="store_true", help="write the results table into README.md")
    parser.add_argument("--quick", action="store_true",
                        help="a small run that only shows the benchmark still works (CI): 50 documents, 1 s each")
    args = parser.parse_args()
    if args.quick:
        args.docs, args.duration, args.connections, args.rounds = 50, 1, 4, 1
    load = os.getloadavg()[0]
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install wrk nginx)")

    tmp = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    tmp.chmod(0o755)  # nginx workers run as an unprivileged user
    procs: list[subprocess.Popen[bytes]] = []
    try:
        corpus = tmp / "corpus.jsonl"
        with args.corpus.open(encoding="utf-8") as src:
            corpus.write_text("".join(line for _, line in zip(range(args.docs), src, strict=False)), encoding="utf-8")
        db = tmp / "bench.db"
        settings = tmp / "empty.toml"  # no developer's newsdedup.toml applies
        settings.write_text("")
        subprocess.run([sys.executable, "-m", "newsdedup", "replay", str(corpus), "--db", str(db), "-q"], check=True,
                       cwd=ROOT, env={**os.environ, "NEWSDEDUP_CONFIG": str(settings)})

        port = free_port()
        server_code = ("import sys; from feeds.server import build_server; from newsdedup.config import Settings; "
                       f"build_server({str(db)!r}, Settings(port={port}).feeds, log_level='warning').run()")
        server = subprocess.Popen([sys.executable, "-c", server_code], cwd=ROOT)
        procs.append(server)
        feed_url = f"http://127.0.0.1:{port}/feed.atom"
        wait_for(feed_url)
        plain = httpx.get(feed_url, headers={"Accept-Encoding": "identity"})
        zipped = httpx.get(feed_url, headers={"Accept-Encoding": "gzip"})
        body = plain.content

        www = tmp / "www"
        www.mkdir()
        (www / "feed.atom").write_bytes(body)
        gz_body = gzip.compress(body, compresslevel=6, mtime=0)  # as the server compresses it
        (www / "feed.atom.gz").write_bytes(gz_body)
        for path in (www, www / "feed.atom", www / "feed.atom.gz"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        nginx_port = free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=nginx_port))
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)])
        procs.append(nginx)
        nginx_url = f"http://127.0.0.1:{nginx_port}/feed.atom"
        wait_for(nginx_url)
        nginx_etag = httpx.get(nginx_url, headers={"Accept-Encoding": "gzip"}).headers["etag"]

        gz = {"Accept-Encoding": "gzip"}
        runs = [
            ("newsdedup", "full feed (gzip)", feed_url, gz, server.pid),
            ("nginx", "full feed (gzip)", nginx_url, gz, nginx.pid),
            ("newsdedup", "304 Not Modified", feed_url, {**gz, "If-None-Match": zipped.headers["etag"]}, server.pid),
            ("nginx", "304 Not Modified", nginx_url, {**gz, "If-None-Match": nginx_etag}, nginx.pid),
        ]
        results: list[list[dict[str, float]]] = [[] for _ in runs]
        for round_ in range(1, args.rounds + 1):
            for i, (name, what, url, headers, pid) in enumerate(runs):
                result = wrk(url, headers, duration=args.duration, connections=args.connections, server_pid=pid)
                results[i].append(result)
                print(f"round {round_}  {name:10} {what:18} {result['rps']:9.0f} req/s  p50 {result['p50']:6.2f} ms  "
                      f"p99 {result['p99']:6.2f} ms  CPU {result['cpu_us']:6.1f} us/request  "
                      f"non-2xx/3xx {result['errors']:.0f}", flush=True)
        rows = [(name, what, {k: statistics.median(r[k] for r in results[i]) for k in results[i][0]})
                for i, (name, what, *_) in enumerate(runs)]
        # newsdedup's requests/s as a share of nginx's, per round (rows 0,1: full; 2,3: 304).
        shares = {runs[i][1]: statistics.median(ours["rps"] / theirs["rps"]
                                                for ours, theirs in zip(results[i], results[i + 1], strict=True))
                  for i in (0, 2)}

        table = render_table(rows, shares, args, len(body), len(gz_body), load)
        print(table)
        if args.write:
            text = README.read_text(encoding="utf-8")
            start, end = text.index(MARK_BEGIN) + len(MARK_BEGIN), text.index(MARK_END)
            README.write_text(text[:start] + "\n" + table + "\n" + text[end:], encoding="utf-8")
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def render_table(rows: list[tuple[str, str, dict[str, float]]], shares: dict[str, float], args: argparse.Namespace,
                 size: int, gz_size: int, load: float) -> str:
    cpu = os.cpu_count()
    rounds = f", median of {args.rounds} interleaved rounds" if args.rounds > 1 else ""
    lines = [
        f"Run: {time.strftime('%Y-%m-%d')}, {cpu} cores (load average {load:.2f} at the start), "
        f"wrk -t1 -c{args.connections} -d{args.duration}s{rounds}, {args.docs} documents of {args.corpus.name} "
        f"replayed; the feed is {size:,} bytes ({gz_size:,} gzipped).",
        "",
        "| server | response | requests/s | median | p99 | server CPU per request | newsdedup / nginx (req/s) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for server, what, r in rows:
        share = f"{shares[what]:.2f} (1/{1 / shares[what]:.1f})" if server == "newsdedup" else ""
        lines.append(f"| {server} | {what} | {r['rps']:,.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | "
                     f"{r['cpu_us']:.0f} µs | {share} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
