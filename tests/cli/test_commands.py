"""The command line as a user meets it: a first run that ends with where to look, summaries for
scripts, status, readable listings, gzipped inputs, log options, the example settings file."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from storage import Store
from tests.conftest import ROOT, SEEDS, run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_replay_json_summarises_for_scripts(db_path: Path) -> None:
    result = run_cli("replay", SEEDS, "--db", db_path, "--json")
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert summary["documents"] == 5 and summary["new_stories"] == 4 and summary["errors"] == 0
    assert summary["outcomes"] == {"created": 4, "version": 0, "translation": 1, "changed": 0, "unchanged": 0}
    again = json.loads(run_cli("replay", SEEDS, "--db", db_path, "--json").output)
    assert again["outcomes"]["unchanged"] == 5


def test_clusters_text_puts_a_blank_line_between_stories_and_cuts_titles(db_path: Path) -> None:
    run_cli("replay", SEEDS, "--db", db_path)
    lines = run_cli("clusters", "--db", db_path, "--format", "text").output.splitlines()
    blocks = "\n".join(lines).split("\n\n")
    assert len(blocks) == 4  # four stories
    assert any("(2 documents)" in block and " vi " in block and " en " in block for block in blocks)
    assert all(len(line) < 160 for line in lines)
    jsonl = run_cli("clusters", "--db", db_path).output.splitlines()  # the benchmark's format is unchanged
    assert len(jsonl) == 5 and set(json.loads(jsonl[0])) == {"id", "cluster", "lang", "title"}


def test_status_reports_stories_sources_and_health(db_path: Path) -> None:
    run_cli("replay", SEEDS, "--db", db_path)
    text = run_cli("status", "--db", db_path)
    assert text.exit_code == 0
    assert "4 from 5 documents" in text.output and "none: add one" in text.output
    with Store(str(db_path)) as store:
        good = store.sources.add("https://good.example/feed.xml", title="Good News", interval_seconds=900)
        bad = store.sources.add("https://bad.example/feed.xml", interval_seconds=900)
        store.sources.record_run(good.id, kind="feed", next_due=time.time() + 900)
        store.sources.record_run(bad.id, kind="feed", next_due=time.time() + 900, error_kind="timeout", error="slow")
    result = run_cli("status", "--db", db_path, "--json")
    assert result.exit_code == 1  # a failing source: monitoring can tell
    status = json.loads(result.output)
    assert status["stories"] == 4 and status["documents"] == 5 and status["languages"] == {"en": 4, "vi": 1}
    assert {s["url"]: s["health"] for s in status["sources"]} == {
        "https://good.example/feed.xml": "ok", "https://bad.example/feed.xml": "failing: timeout"}
    assert status["unhealthy_sources"] == [bad.id] and status["last_run"]
    missing = run_cli("status", "--db", db_path.parent / "nothing.db")
    assert missing.exit_code == 1 and "replay or crawl first" in missing.output and "Traceback" not in missing.output


def test_sources_list_has_a_header_and_title_and_health_columns(db_path: Path) -> None:
    assert "no sources yet" in run_cli("sources", "list", "--db", db_path).output
    with Store(str(db_path)) as store:
        source = store.sources.add("https://news.example/feed.xml", title="Example News " + "x" * 80,
                                   interval_seconds=600)
        store.sources.record_run(source.id, kind="feed", next_due=time.time(), error_kind="not_found", error="404")
        store.sources.record_run(source.id, kind="feed", next_due=time.time(), error_kind="not_found", error="404")
    header, row = run_cli("sources", "list", "--db", db_path).output.splitlines()
    assert header.split() == ["ID", "HEALTH", "EVERY", "KIND", "LAST", "SUCCESS", "TITLE", "URL"]
    assert "failing: not_found x2" in row and "Example News" in row and row.endswith("https://news.example/feed.xml")
    assert "x" * 60 not in row  # the title is cut
    assert json.loads(run_cli("sources", "list", "--db", db_path, "--format", "jsonl").output)["id"] == source.id


def test_gzipped_pages_and_dumps_are_replayed_and_extracted(tmp_path: Path, db_path: Path) -> None:
    inputs = tmp_path / "saved"
    inputs.mkdir()
    (inputs / "a.txt.gz").write_bytes(gzip.compress((SEEDS / sorted(os.listdir(SEEDS))[0]).read_bytes()))
    (inputs / "b.html.gz").write_bytes(gzip.compress(
        b"<html><head><title>Harvest</title></head><body><article><h1>Harvest</h1>"
        + b"<p>The harvest was the best in ten years, farmers said on Monday.</p>" * 5 + b"</article></body></html>"))
    extracted = [json.loads(line) for line in run_cli("extract", inputs, "--format", "jsonl").output.splitlines()]
    assert [e["title"] for e in extracted][1] == "Harvest" and all("error" not in e for e in extracted)
    summary = json.loads(run_cli("replay", inputs, "--db", db_path, "--json").output)
    assert summary["documents"] == 2 and summary["errors"] == 0
    (inputs / "c.html.gz").write_bytes(b"not gzip at all")
    result = run_cli("replay", inputs, "--db", db_path)
    assert result.exit_code == 1 and "c.html.gz: malformed (read): not a readable gzip file" in result.output


def test_the_example_settings_file_is_in_sync_with_the_settings() -> None:
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "example_config.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    from newsdedup.config import Settings

    loaded = Settings.load(str(ROOT / "newsdedup.example.toml"))
    assert loaded.describe() == Settings().describe() and not loaded.warnings


def test_feed_still_prints_atom(db_path: Path) -> None:
    run_cli("replay", SEEDS, "--db", db_path)
    assert run_cli("feed", "--db", db_path).output.startswith("<?xml")


def serve_until_ready(*args: str, env: dict[str, str] | None = None) -> tuple[list[str], str, int]:
    """Run `newsdedup serve ARGS` until /healthz answers and its home page renders, then SIGTERM it:
    (stdout lines, stderr, exit status)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "newsdedup", "serve", "--port", str(port), *args], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    return [line.replace(str(port), "PORT") for line in out.splitlines()], err, process.returncode


def test_the_first_run_ends_with_the_url_and_logs_json_when_asked(tmp_path: Path) -> None:
    """`newsdedup serve --replay seeds/`: the replay's summary, then the URL, as the last lines."""
    db = tmp_path / "first.db"
    lines, err, status = serve_until_ready("--replay", str(SEEDS), "--db", str(db), "--log-format", "json",
                                           env={"NEWSDEDUP_ACCESS_LOG": "1"})
    assert lines[0].startswith(f"replayed {SEEDS}: 5 documents: 4 new stories")
    assert lines[1] == ("serving http://127.0.0.1:PORT/ (stories; feeds at http://127.0.0.1:PORT/feed.atom "
                        "and http://127.0.0.1:PORT/feed.json); Ctrl-C to stop")
    assert len(lines) == 2
    records = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any("no sources to crawl yet" in r["message"] for r in records)
    assert any(r["logger"] == "uvicorn.access" and "GET / HTTP" in r["message"] for r in records)
    assert not any("Uvicorn running" in r["message"] for r in records)
    assert status == 0
    # Started again on that database, as compose.yaml starts it, the seeds are not replayed again.
    lines, err, status = serve_until_ready("--replay", str(SEEDS), "--replay-if-empty", "--db", str(db))
    assert lines[0] == f"not replaying {SEEDS}: the database already has documents"
    assert lines[-1].startswith("serving http://127.0.0.1:PORT/") and status == 0


def test_crawl_leaves_a_source_being_polled_to_its_poller_and_takes_over_a_dead_ones(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-shot crawl beside a running `serve` must not poll a source twice at once: it leases
    each source it runs, as the daemon's workers do, and gives the leases back when it is done."""
    from newsdedup.leases import lease_host
    from tests.site.server import NewsSite

    monkeypatch.setenv("NEWSDEDUP_ALLOW_PRIVATE_ADDRESSES", "1")
    monkeypatch.setenv("NEWSDEDUP_PER_HOST_DELAY", "0")
    with NewsSite() as polled, NewsSite() as orphaned:
        for site in (polled, orphaned):
            run_cli("sources", "add", site.url + "/feed.xml", "--db", db_path)
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout.strip()
        with Store(str(db_path)) as store:
            first, second = store.sources.all()
            # One held by a worker on another host (alive as far as anyone here can tell), one by a
            # process of this host that is gone (a crawl or daemon killed mid-run).
            assert store.sources.lease(first.id, "elsewhere:4242", time.time(), 600, due_only=False)
            assert store.sources.lease(second.id, f"{lease_host()}:{dead}", time.time(), 600, due_only=False)
        result = run_cli("crawl", "--db", db_path, "--json", "--log-level", "warning")
        assert polled.state.requests_to("/feed.xml") == []
        assert len(orphaned.state.requests_to("/feed.xml")) == 1
    summary = json.loads(result.output.splitlines()[-1])
    assert [run["url"] for run in summary["runs"]] == [orphaned.url + "/feed.xml"]
    assert summary["left_to_others"] == [{"source": first.id, "url": polled.url + "/feed.xml",
                                          "held_by": "elsewhere:4242"}]
    assert "being polled by elsewhere:4242; left to it" in result.output and result.exit_code == 0
    with Store(str(db_path)) as store:
        assert store.sources.lease_holder(second.id, time.time()) is None  # given back
        assert store.sources.lease_holder(first.id, time.time()).worker == "elsewhere:4242"  # not its own


def test_crawl_json_summarises_each_source_and_status_shows_it_healthy(db_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.site.server import NewsSite

    monkeypatch.setenv("NEWSDEDUP_ALLOW_PRIVATE_ADDRESSES", "1")
    monkeypatch.setenv("NEWSDEDUP_PER_HOST_DELAY", "0")
    with NewsSite() as site:
        run_cli("sources", "add", site.url + "/feed.xml", "--title", "The Test Times", "--db", db_path)
        result = run_cli("crawl", "--db", db_path, "--json", "--log-level", "warning")
    summary = json.loads(result.output.splitlines()[-1])
    assert summary["sources"] == 1 and summary["failed_sources"] == 0 and summary["documents"] >= 1
    [run] = summary["runs"]
    assert run["url"] == site.url + "/feed.xml" and run["kind"] == "feed" and run["error"] is None
    status = json.loads(run_cli("status", "--db", db_path, "--json").output)
    assert [s["health"] for s in status["sources"]] == ["ok"] and status["documents"] == summary["documents"]
    listing = run_cli("sources", "list", "--db", db_path).output
    assert "The Test Times" in listing and " ok " in listing
