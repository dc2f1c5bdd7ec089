"""The feeds section: what the feeds show, how they are cached, and where the server listens."""

from __future__ import annotations

from dataclasses import dataclass

from storage.sections import NOT_NEGATIVE, PORT, POSITIVE, Section, setting


@dataclass(frozen=True)
class FeedSettings(Section):
    NAME = "feeds"

    host: str = setting("127.0.0.1", "the address the feed server binds")
    port: int = setting(8080, "the port the feed server binds", check=PORT)
    base_url: str = setting("", "public URL of the service, for feed links; default from host:port")
    page_size: int = setting(50, "changes per RFC 5005 archive page; archive URLs name page numbers, so keep it "
                                 "for the life of a deployment", check=POSITIVE, key="feed_page_size")
    stories: int = setting(50, "stories in per-language and per-source feeds and on the home page",
                           check=POSITIVE, key="feed_stories")
    max_age: int = setting(60, "seconds the live feeds may be cached (Cache-Control max-age)", check=NOT_NEGATIVE,
                           key="feed_max_age")
    title: str = setting("newsdedup stories", "the feeds' title", key="feed_title")
    head_check_interval: float = setting(1.0, "seconds the server answers /feed.atom, /feed.json and the first "
                                              "page of /api/stories from memory before it reads the change log's "
                                              "head again: a new change reaches them within this (0: read it on "
                                              "every request)", check=NOT_NEGATIVE)
    header_timeout: float = setting(10.0, "seconds a client has to send a request's headers before the server "
                                          "closes the connection (slow or stalled clients)", check=POSITIVE)
    keep_alive_timeout: float = setting(5.0, "seconds an idle kept-alive connection stays open", check=POSITIVE)
    access_log: bool = setting(False, "log one line per HTTP request (method, path, status), as the "
                                      "logger uvicorn.access")
    websub_hub: str = setting("", "WebSub hub URL to advertise and notify; empty: off")
    websub_poll_seconds: float = setting(5.0, "how often the server looks for new changes to announce",
                                         check=POSITIVE)

    def public_base_url(self) -> str:
        """The base URL for links made outside a request (WebSub topics, the CLI)."""
        return self.base_url.rstrip("/") or f"http://{self.host}:{self.port}"
