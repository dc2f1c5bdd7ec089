"""What one successful fetch hands to the next stage."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FetchResult:
    url: str                          # final URL, after redirects
    requested_url: str                # the URL the caller asked for
    status: int                       # 200-class, or 304 when not_modified
    headers: dict[str, str]           # response headers, names lower-cased
    body: bytes                       # decompressed; empty when not_modified
    content_type: str | None          # media type only, lower-cased ("text/html")
    charset: str | None               # from the Content-Type header, only if Python knows the codec
    etag: str | None                  # validators to pass back next time, verbatim
    last_modified: str | None
    body_sha256: str | None           # None when not_modified; compare to tell "unchanged" when
                                      # the server ignores validators
    not_modified: bool
    elapsed: float                    # seconds, including redirects, retries and politeness waits
    redirects: list[str] = field(default_factory=list)  # every URL visited before `url`
    attempts: int = 1                 # requests sent for the final hop (1 + retries used)

    def unchanged_since(self, previous_sha256: str | None) -> bool:
        """True when the server said 304 or sent the same bytes as last time."""
        return self.not_modified or (previous_sha256 is not None and self.body_sha256 == previous_sha256)
