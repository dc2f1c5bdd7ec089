"""The fetch section: the fetching layer's knobs, with safe defaults for the open web."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.settings import DOCUMENT_BYTES_LIMIT
from storage.sections import NOT_NEGATIVE, POSITIVE, Section, setting

# Sites block anonymous clients; a product name and a contact URL let an operator reach us instead.
DEFAULT_USER_AGENT = "newsdedup/0.1 (+https://github.com/newsdedup/newsdedup)"


@dataclass(frozen=True)
class FetchSettings(Section):
    NAME = "fetch"

    user_agent: str = setting(DEFAULT_USER_AGENT, "the User-Agent sent with every request")
    connect_timeout: float = setting(10.0, "seconds to open the TCP (and TLS) connection", check=POSITIVE,
                                     key="fetch_connect_timeout")
    read_timeout: float = setting(20.0, "seconds of silence tolerated between two reads", check=POSITIVE,
                                  key="fetch_read_timeout")
    total_timeout: float = setting(60.0, "seconds for one request, first byte sent to last received (beats "
                                         "slow drips)", check=POSITIVE, key="fetch_total_timeout")
    deadline: float = setting(90.0, "seconds for a whole fetch: every attempt, redirect and politeness wait",
                              check=POSITIVE, key="fetch_deadline")
    max_bytes: int = setting(DOCUMENT_BYTES_LIMIT, "body cap after decompression", check=POSITIVE,
                             key="max_document_bytes")
    max_redirects: int = setting(5, "redirects one fetch follows", check=NOT_NEGATIVE)
    per_host_concurrency: int = setting(2, "requests in flight to one host name", check=POSITIVE)
    per_host_delay: float = setting(1.0, "minimum seconds between two request starts to one host (robots.txt "
                                         "Crawl-delay, when longer, wins)", check=NOT_NEGATIVE)
    retries: int = setting(2, "extra attempts after a timeout, 5xx or 429 (with backoff)", check=NOT_NEGATIVE,
                           key="fetch_retries")
    backoff_base: float = setting(1.0, "the first retry waits about this long; doubles each time, with jitter",
                                  check=NOT_NEGATIVE, key="fetch_backoff_base")
    backoff_max: float = setting(30.0, "ceiling of one backoff wait", check=NOT_NEGATIVE, key="fetch_backoff_max")
    max_retry_after: float = setting(120.0, "a longer Retry-After (or Crawl-delay) fails fast instead of waiting",
                                     check=NOT_NEGATIVE)
    allow_private_addresses: bool = setting(False, "the crawler refuses private and loopback addresses unless on")
    private_address_allowlist: tuple[str, ...] = setting(
        (), "... or they are in these networks (comma-separated CIDR, e.g. 10.1.2.0/24 for one intranet news host)")
    respect_robots: bool = setting(True, "obey robots.txt (RFC 9309); off only for your own sites")
    robots_ttl: float = setting(24 * 3600.0, "RFC 9309: a cached robots.txt should not be used for longer",
                                check=POSITIVE)
    robots_error_ttl: float = setting(300.0, "how long an unreachable robots.txt keeps the host disallowed",
                                      check=NOT_NEGATIVE)
    robots_max_bytes: int = setting(500_000, "RFC 9309 asks crawlers to parse at least 500 KiB", check=POSITIVE)

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against ("newsdedup")."""
        return self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else "*"
