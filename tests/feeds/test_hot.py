"""The hot path (feeds.hot): the same bytes and headers as the app, no database read within the
interval, and a new change in the hot feeds once the interval has passed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from lxml import etree
from starlette.applications import Starlette

from feeds.hot import HeadMemo
from feeds.server import create_app
from storage import StorageUnavailable
from tests.feeds.support import Corpus, FeedConfig
from tests.site.server import AppServer

HOT_PATHS = ("/feed.atom", "/feed.json", "/api/stories")
# Request headers a poller may send, each answered by the hot path and by the app alike.
VARIANTS: list[dict[str, str]] = [
    {}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "gzip;q=0"}, {"Accept-Encoding": "identity"},
    {"Accept-Encoding": "br, *"}, {"If-None-Match": "*"}, {"If-None-Match": '"stale"'},
    {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    {"If-Modified-Since": "not a date"},
    {"If-None-Match": '"stale"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
]


class NoReaders:
    """Stands in for the server's per-thread readers: any database read fails."""

    def get(self) -> None:
        raise StorageUnavailable("the test took the database away")

    def close(self) -> None:
        pass


def seeded(corpus: Corpus) -> None:
    story = corpus.add("a", title="Quake", text="A quake struck.", url="https://news.example/q")
    corpus.add("b", story=story, title="Động đất", text="Một trận động đất.", lang="vi")
    corpus.add("c", title="Harvest", text="A good harvest.")


@contextmanager
def serving(corpus: Corpus, **flat: object) -> Iterator[tuple[Starlette, httpx.Client]]:
    """The feed server on a real socket (uvicorn), its app, and a client of it."""
    app = create_app(str(corpus.path), FeedConfig(**flat))
    with AppServer(app) as server, httpx.Client(base_url=server.url) as client:
        yield app, client


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted((name.lower(), value) for name, value in response.headers.multi_items() if name.lower() != "date")
    return response.status_code, headers, response.content


def test_hot_answers_are_the_apps_and_read_no_database(corpus: Corpus) -> None:
    seeded(corpus)
    # Links and WebSub headers alike from both servers (the hub: a closed port here, nothing leaves the machine).
    same_links = {"base_url": "http://feeds.example", "websub_hub": "http://127.0.0.1:9/hub"}
    with serving(corpus, head_check_interval=60, **same_links) as (hot, hot_client), \
            serving(corpus, head_check_interval=0, **same_links) as (_, app_client):
        etags = {path: hot_client.get(path).headers["etag"] for path in HOT_PATHS}  # rendered, head read
        hot.state.service.readers = NoReaders()
        for path in HOT_PATHS:
            for variant in [*VARIANTS, {"If-None-Match": etags[path]}, {"If-None-Match": f'"x", W/{etags[path]}'},
                            {"If-None-Match": etags[path].replace("-gz", ""), "Accept-Encoding": "gzip"}]:
                want, got = app_client.get(path, headers=variant), hot_client.get(path, headers=variant)
                assert comparable(got) == comparable(want), (path, variant)
                assert got.status_code in (200, 304)
        # Beyond the hot path the app answers, and it needs the database it no longer has.
        assert hot_client.get("/api/stories?limit=5").status_code == 503
        assert hot_client.get("/feed.atom?x=1").status_code == 503
        assert hot_client.head("/feed.atom").status_code == 503
        assert hot_client.get("/lang/en.atom").status_code == 503
        metrics = app_client.get("/metrics").text  # one registry per process: both servers count into it
        assert 'newsdedup_http_requests_total{route="feed_atom",status="304"}' in metrics


def test_a_new_change_reaches_the_hot_documents_within_the_interval(corpus: Corpus) -> None:
    seeded(corpus)
    interval = 0.5
    with serving(corpus, head_check_interval=interval) as (_, client):
        before = {path: client.get(path, headers={"Accept-Encoding": "gzip"}) for path in HOT_PATHS}
        assert all(response.status_code == 200 for response in before.values())
        corpus.add("d", title="Storm", text="A storm came.")
        written = time.monotonic()
        for path in HOT_PATHS:  # within the interval the memo may still answer: either document is whole
            early = client.get(path)
            assert early.status_code == 200 and early.content
        time.sleep(max(0.0, written + interval + 0.05 - time.monotonic()))
        for path, old in before.items():
            new = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": old.headers["etag"]})
            assert new.status_code == 200 and new.headers["etag"] != old.headers["etag"], path
            assert "Storm" in new.text, path
            again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": new.headers["etag"]})
            assert again.status_code == 304 and again.content == b"", path
        etree.fromstring(client.get("/feed.atom").content)  # well-formed XML, hot or not


def test_the_interval_bounds_how_long_memory_answers(corpus: Corpus) -> None:
    seeded(corpus)
    with serving(corpus, head_check_interval=0.3) as (app, client):
        assert client.get("/feed.atom").status_code == 200
        app.state.service.readers = NoReaders()
        assert client.get("/feed.atom").status_code == 200  # from memory
        time.sleep(0.35)
        assert client.get("/feed.atom").status_code == 503  # the head is read again, and cannot be
    with serving(corpus, head_check_interval=0) as (app, client):
        assert client.get("/feed.atom").status_code == 200
        app.state.service.readers = NoReaders()
        assert client.get("/feed.atom").status_code == 503  # 0: every request reads the head


def test_the_host_header_makes_the_links_on_the_hot_path_too(corpus: Corpus) -> None:
    seeded(corpus)
    with serving(corpus, head_check_interval=60) as (_, client):
        for _ in range(2):  # rendered, then from memory
            named = client.get("/feed.atom", headers={"Host": "news.example:8080"})
            assert b'href="http://news.example:8080/feed.atom"' in named.content
            odd = client.get("/feed.atom", headers={"Host": 'evil"><x'})
            assert odd.status_code == 200 and b"evil" not in odd.content
            assert client.get("/feed.atom").headers["etag"] not in (named.headers["etag"], odd.headers["etag"])


def test_head_memo() -> None:
    memo = HeadMemo(10.0)
    assert memo.fresh() is None  # never read
    now = time.monotonic()
    memo.record(5, now)
    assert memo.fresh() == 5
    memo.record(4, now - 1)  # a read that began earlier finished later: it does not win
    assert memo.fresh() == 5
    memo.record(6, now + 0.001)
    assert memo.fresh() == 6
    memo.record(7, now - 20)
    assert memo.fresh() == 6
    stale = HeadMemo(10.0)
    stale.record(3, now - 11)
    assert stale.fresh() is None
    never = HeadMemo(0.0)
    never.record(3, time.monotonic())
    assert never.fresh() is None
