"""WebSub: with a hub configured, feeds advertise it and the server announces new changes to it."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qsl

import feedparser
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.feeds.support import AppServer, Corpus, FeedConfig, FeedServer


class Hub:
    """A hub's publish endpoint: records each notification it receives."""

    def __init__(self) -> None:
        self.topics: list[str] = []
        self.received = threading.Event()
        self.app = Starlette(routes=[Route("/", self.publish, methods=["POST"])])

    async def publish(self, request: Request) -> Response:
        # Parsed by hand: Starlette's form parser needs python-multipart, which the project does not use.
        form = parse_qsl((await request.body()).decode("ascii"))
        if ("hub.mode", "publish") not in form:
            return Response(status_code=400)
        self.topics.extend(value for name, value in form if name == "hub.url")
        self.received.set()
        return Response(status_code=204)


def test_hub_is_advertised_and_told_about_new_changes(corpus: Corpus) -> None:
    corpus.add("a", title="Quake", text="A quake struck.", source_id=3)
    hub = Hub()
    with AppServer(hub.app) as hub_server:
        config = FeedConfig(websub_hub=hub_server.url + "/", websub_poll_seconds=0.05,
                            base_url="http://feeds.example")
        with FeedServer(corpus.path, config) as server:
            response = httpx.get(server.url + "/feed.atom")
            assert f'<{hub_server.url}/>; rel="hub"' in response.headers["link"]
            assert '<http://feeds.example/feed.atom>; rel="self"' in response.headers["link"]
            links = {(link.rel, link.href) for link in feedparser.parse(response.content).feed.links}
            assert ("hub", hub_server.url + "/") in links
            assert hub.received.wait(timeout=10)
            time.sleep(0.3)
            # at start the live feeds are announced once: the hub may have missed changes while we were down
            assert sorted(hub.topics) == ["http://feeds.example/feed.atom", "http://feeds.example/feed.json"]
            hub.topics.clear()
            hub.received.clear()
            corpus.add("b", title="Động đất", text="Một trận động đất.", lang="vi", story="s-a", source_id=4)
            assert hub.received.wait(timeout=10)
            deadline = time.monotonic() + 5
            while len(hub.topics) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
    assert sorted(hub.topics) == sorted([
        "http://feeds.example/feed.atom", "http://feeds.example/feed.json", "http://feeds.example/lang/vi.atom",
        "http://feeds.example/source/4.atom"])


def test_without_a_hub_nothing_is_advertised(corpus: Corpus) -> None:
    corpus.add("a", title="Quake", text="A quake struck.")
    with FeedServer(corpus.path) as server:
        response = httpx.get(server.url + "/feed.atom")
    assert "link" not in response.headers and b'rel="hub"' not in response.content
