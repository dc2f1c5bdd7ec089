"""The settings the feeds read, taken from the project's Settings object by name.

Read with defaults, so the feeds work with a Settings object that does not (yet) define
them. Names (add them to ingest/config.py to make them configurable):
  feed_page_size       changes per archive page; fixed for the life of a deployment,
                       because archive URLs name page numbers
  feed_stories         stories in per-language and per-source feeds and on the home page
  feed_max_age         seconds the live feeds may be cached (Cache-Control max-age)
  feed_title           the feeds' title
  websub_hub           WebSub hub URL; empty turns WebSub off
  websub_poll_seconds  how often the server looks for new changes to announce to the hub
  base_url, host, port the public URL for links (default: from the request's Host), the bind address
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedSettings:
    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    page_size: int = 50
    stories: int = 50
    max_age: int = 60
    title: str = "newsdedup stories"
    websub_hub: str = ""
    websub_poll_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: object | None) -> FeedSettings:
        """FeedSettings from the project's Settings (or any object with such attributes; None: defaults)."""
        default = cls()

        def get(name: str, fallback: object) -> object:
            value = getattr(settings, name, None) if settings is not None else None
            return fallback if value is None else value

        page_size = int(get("feed_page_size", default.page_size))  # type: ignore[call-overload]
        stories = int(get("feed_stories", default.stories))  # type: ignore[call-overload]
        if page_size < 1 or stories < 1:
            raise ValueError("feed_page_size and feed_stories must be at least 1")
        return cls(
            base_url=str(get("base_url", "")).rstrip("/"),
            host=str(get("host", default.host)),
            port=int(get("port", default.port)),  # type: ignore[call-overload]
            page_size=page_size,
            stories=stories,
            max_age=int(get("feed_max_age", default.max_age)),  # type: ignore[call-overload]
            title=str(get("feed_title", default.title)),
            websub_hub=str(get("websub_hub", "")).strip(),
            websub_poll_seconds=float(get("websub_poll_seconds", default.websub_poll_seconds)),  # type: ignore[arg-type]
        )

    def public_base_url(self) -> str:
        """The base URL for links made outside a request (WebSub topics, the CLI)."""
        return self.base_url or f"http://{self.host}:{self.port}"
