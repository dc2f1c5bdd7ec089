"""Knobs of the fetching layer, with safe defaults for the open web."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.config import Settings

DEFAULT_USER_AGENT = "newsdedup/0.1 (+https://github.com/newsdedup/newsdedup)"


@dataclass(frozen=True)
class FetchSettings:
    # Sites block anonymous clients; a product name and a contact URL let an operator reach us instead.
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0       # seconds to open the TCP (and TLS) connection
    read_timeout: float = 20.0          # seconds of silence tolerated between two reads
    total_timeout: float = 60.0         # seconds for one request from send to last byte (beats slow drips)
    max_bytes: int = 10_000_000         # body cap after decompression
    max_redirects: int = 5
    per_host_concurrency: int = 2       # requests in flight to one host name
    per_host_delay: float = 1.0         # minimum seconds between two request starts to one host
    retries: int = 2                    # extra attempts after a timeout, 5xx or 429
    backoff_base: float = 1.0           # first retry waits about this long; doubles each time, with jitter
    backoff_max: float = 30.0           # ceiling of one backoff wait
    max_retry_after: float = 120.0      # a longer Retry-After (or Crawl-delay) fails fast instead of waiting
    allow_private_addresses: bool = False
    # Networks (CIDR) reachable even when private addresses are refused, e.g. one intranet news host.
    private_address_allowlist: tuple[str, ...] = ()
    respect_robots: bool = True
    robots_ttl: float = 24 * 3600.0     # RFC 9309: a cached robots.txt should not be used for longer
    robots_error_ttl: float = 300.0     # how long an unreachable robots.txt keeps the host disallowed
    robots_max_bytes: int = 500_000     # RFC 9309 asks crawlers to parse at least 500 KiB

    def __post_init__(self) -> None:
        if self.per_host_concurrency < 1:
            raise ValueError("per_host_concurrency must be at least 1")
        if self.max_redirects < 0 or self.retries < 0 or self.max_bytes < 1:
            raise ValueError("max_redirects and retries must be >= 0 and max_bytes >= 1")

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against ("newsdedup")."""
        return self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else "*"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> FetchSettings:
        """Fetch settings from the service settings; `overrides` win."""
        values: dict[str, object] = {
            "user_agent": settings.user_agent,
            "allow_private_addresses": settings.allow_private_addresses,
            "max_bytes": settings.max_document_bytes,
            "connect_timeout": settings.fetch_connect_timeout,
            "read_timeout": settings.fetch_read_timeout,
            "total_timeout": settings.fetch_total_timeout,
            "retries": settings.fetch_retries,
            "max_redirects": settings.max_redirects,
            "per_host_concurrency": settings.per_host_concurrency,
            "per_host_delay": settings.per_host_delay,
            "respect_robots": settings.respect_robots,
            "private_address_allowlist": tuple(n.strip() for n in settings.private_address_allowlist.split(",")
                                               if n.strip()),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
