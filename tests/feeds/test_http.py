"""Cheap to poll and hard to break: validators, 304s, gzip, HEAD, errors, health, metrics, pages, load."""

from __future__ import annotations

import gzip
import threading
import time
from email.utils import formatdate
from pathlib import Path

import feedparser
import httpx
from lxml import html as lxml_html

from tests.feeds.support import Corpus, FeedConfig, FeedServer


def seeded(corpus: Corpus) -> None:
    story = corpus.add("a", title="Quake", text="A quake struck.", url="https://news.example/q")
    corpus.add("b", story=story, title="Động đất", text="Một trận động đất.", lang="vi")
    corpus.add("c", title="Harvest", text="A good harvest.")


def test_conditional_get_etag_wins_over_last_modified(corpus: Corpus) -> None:
    seeded(corpus)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        full = client.get("/feed.atom")
        assert full.status_code == 200
        etag, last_modified = full.headers["etag"], full.headers["last-modified"]
        assert full.headers["cache-control"] == "public, max-age=60"
        assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
        assert client.get("/feed.atom", headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
        assert client.get("/feed.atom", headers={"If-Modified-Since": last_modified}).status_code == 304
        earlier = formatdate(time.time() - 10 * 365 * 86400, usegmt=True)
        assert client.get("/feed.atom", headers={"If-Modified-Since": earlier}).status_code == 200
        # If-None-Match wins: a stale ETag gets the body even with a current If-Modified-Since.
        both = client.get("/feed.atom", headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified})
        assert both.status_code == 200
        not_modified = client.get("/feed.atom", headers={"If-None-Match": etag})
        assert not_modified.headers["etag"] == etag and not not_modified.content
        # A change to the log changes the validator.
        corpus.add("d", title="Storm", text="A storm came.")
        changed = client.get("/feed.atom", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert "Storm" in changed.text


def test_gzip_head_and_content_types(corpus: Corpus) -> None:
    seeded(corpus)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        plain = client.get("/feed.atom", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
        zipped = httpx.get(server.url + "/feed.atom", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.content == plain.content  # httpx decoded it
        assert zipped.headers["etag"] != plain.headers["etag"]  # different bytes, different strong ETag
        # Either validator revalidates: both name the same content.
        assert client.get("/feed.atom", headers={"If-None-Match": zipped.headers["etag"],
                                                 "Accept-Encoding": "identity"}).status_code == 304
        raw = client.build_request("GET", "/feed.atom", headers={"Accept-Encoding": "gzip"})
        body = client.send(raw, stream=True)
        assert gzip.decompress(body.read_raw() if hasattr(body, "read_raw") else b"".join(body.iter_raw())) == \
            plain.content
        head = client.head("/feed.atom", headers={"Accept-Encoding": "identity"})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == plain.headers["etag"]
        assert head.headers["content-length"] == str(len(plain.content))
        assert plain.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert client.get("/").headers["content-type"] == "text/html; charset=utf-8"
        assert client.get("/archive/1.atom").status_code == 307  # first page still open: it is the live feed


def test_bad_paths_and_values_answer_4xx_without_a_traceback(corpus: Corpus) -> None:
    seeded(corpus)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        for path, status in [("/nope", 404), ("/feed.atom/x", 404), ("/archive/x.atom", 404),
                             ("/archive/-1.atom", 404), ("/archive/99999999999999999999.atom", 404),
                             ("/lang/%00.atom", 400), ("/lang/e<n.atom", 400), ("/source/1.atom", 404),
                             ("/documents/0", 404), ("/documents/abc", 404), ("/?limit=-3", 400),
                             ("/?limit=1000", 400), ("/lang/en.atom?limit=%ff", 400)]:
            response = client.get(path)
            assert response.status_code == status, path
            assert "Traceback" not in response.text and "File \"" not in response.text
        assert client.post("/feed.atom").status_code == 405
        # A hostile Host header does not end up in the links.
        odd = client.get("/feed.atom", headers={"Host": 'evil"><x'})
        assert odd.status_code == 200 and b"evil" not in odd.content


def test_health_metrics_home_and_documents(corpus: Corpus, tmp_path: Path) -> None:
    seeded(corpus)
    with FeedServer(corpus.path) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/healthz").json() == {"status": "ok", "changes": 3}
        home = client.get("/")
        page = lxml_html.fromstring(home.content)
        feeds = {link.get("href") for link in page.xpath('//link[@rel="alternate"]')}
        assert {"/feed.atom", "/feed.json", "/lang/en.atom", "/lang/vi.atom"} <= feeds
        quake = page.get_element_by_id("s-a")
        assert [v.get("lang") for v in quake.find_class("version")] == ["en", "vi"]  # side by side
        assert "translation (vi)" in quake.text_content()
        assert "script-src" not in home.headers["content-security-policy"]
        document = client.get("/documents/2")
        assert document.status_code == 200 and "Một trận động đất." in document.text
        metrics = client.get("/metrics").text
        assert 'newsdedup_http_requests_total{route="home",status="200"}' in metrics
        assert "newsdedup_change_log_head 3.0" in metrics
    with FeedServer(tmp_path / "missing.db") as server:
        assert httpx.get(server.url + "/healthz").status_code == 503
        response = httpx.get(server.url + "/feed.atom")
        assert response.status_code == 503 and "Traceback" not in response.text


def test_concurrent_conditional_polls_while_the_pipeline_writes(corpus: Corpus) -> None:
    """A bounded load test: 8 clients x 40 conditional GETs, and a writer adding stories meanwhile."""
    seeded(corpus)
    with FeedServer(corpus.path, FeedConfig(feed_page_size=5)) as server:
        etag = httpx.get(server.url + "/feed.atom").headers["etag"]
        statuses: list[int] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def poll() -> None:
            known = etag
            try:
                with httpx.Client(base_url=server.url, timeout=10) as client:
                    for _ in range(40):
                        response = client.get("/feed.atom", headers={"If-None-Match": known})
                        if response.status_code == 200:  # as a reader does: parse, remember the validator
                            assert not feedparser.parse(response.content).bozo
                            known = response.headers["etag"]
                        with lock:
                            statuses.append(response.status_code)
            except BaseException as exc:  # reported below, with the others
                errors.append(exc)

        clients = [threading.Thread(target=poll) for _ in range(8)]
        started = time.monotonic()
        for thread in clients:
            thread.start()
        for i in range(10):  # the ingest side, another connection, writing while the server reads
            corpus.add(f"load{i}", title=f"Story {i}", text=f"Text {i}.")
        for thread in clients:
            thread.join(timeout=30)
        elapsed = time.monotonic() - started
        assert not errors, errors
        assert len(statuses) == 320 and set(statuses) <= {200, 304}
        assert elapsed < 30  # bounded, not a speed claim: the benchmark measures speed
        final = httpx.get(server.url + "/feed.atom")
        assert len(feedparser.parse(final.content).entries) >= 5
