"""Turn one HTTP response into a reply the fetcher can act on: a body, a redirect, 304, or an error."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import httpx

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import content
from ingest.fetch.body import TooLarge, read_capped
from ingest.fetch.failures import STAGE, from_status
from ingest.fetch.retry import parse_retry_after

REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    location: str | None = None       # set for a redirect

    @property
    def is_redirect(self) -> bool:
        return self.location is not None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class ResponseHandler:
    """Checks on one response, in the order that reads the least data: status, type, length, body."""

    def __init__(self, response: httpx.Response, url: str, *, accept: tuple[str, ...], max_bytes: int,
                 truncate: bool = False) -> None:
        self.response = response
        self.url = url
        self.accept = accept
        self.max_bytes = max_bytes
        self.truncate = truncate
        self.headers = {k.lower(): v for k, v in response.headers.items()}

    async def handle(self) -> Reply:
        status = self.response.status_code
        if status in REDIRECT_STATUSES:
            return self._redirect()
        if status == 304:
            return Reply(status, self.headers)
        if status >= 400:
            # Retry-After means "come back then" only with a 429 or 503 (RFC 9110 §10.2.3).
            retry_after = parse_retry_after(self.headers.get("retry-after")) if status in (429, 503) else None
            raise StatusError(from_status(status, self.url, retry_after), status, retry_after)
        if not 200 <= status < 300:
            raise IngestError(ErrorKind.UNSUPPORTED, STAGE,
                              f"{self.url} answered {status}, which the crawler does not handle")
        media_type, _ = content.parse_content_type(self.headers.get("content-type"))
        content.check_declared_type(media_type, self.accept, self.url)
        self._check_length()
        body = await self._read_body()
        content.check_body_is_text(body, media_type, self.accept, self.url)
        return Reply(status, self.headers, body)

    def _redirect(self) -> Reply:
        location = self.headers.get("location", "").strip()
        if not location:
            raise IngestError(ErrorKind.MALFORMED, STAGE,
                              f"{self.url} redirects ({self.response.status_code}) without a Location; "
                              "the site is misconfigured, use the target URL directly")
        return Reply(self.response.status_code, self.headers, location=location)

    def _check_length(self) -> None:
        declared = self.headers.get("content-length", "")
        # A compressed length over the cap means the decompressed body is over it too.
        if declared.isdigit() and int(declared) > self.max_bytes and not self.truncate:
            raise self._too_large(f"declares {int(declared):,} bytes")

    async def _read_body(self) -> bytes:
        try:
            return await read_capped(self.response.aiter_raw(), self.headers.get("content-encoding"),
                                     self.max_bytes, truncate=self.truncate)
        except TooLarge:
            raise self._too_large("grew past the limit while streaming (decompressed size counted)") from None
        except ValueError as exc:  # an encoding we did not ask for
            raise IngestError(ErrorKind.UNSUPPORTED, STAGE, f"{self.url}: {exc}") from None
        except zlib.error as exc:
            raise IngestError(ErrorKind.MALFORMED, STAGE,
                              f"{self.url} sent a corrupt compressed body ({exc}); try later") from None

    def _too_large(self, what: str) -> IngestError:
        return IngestError(ErrorKind.TOO_LARGE, STAGE,
                           f"{self.url}: the body {what}; the limit is {self.max_bytes:,} bytes "
                           "(max_bytes): raise it if the source is genuine")


class StatusError(IngestError):
    """An error status, carrying what the retry loop needs to decide."""

    def __init__(self, error: IngestError, status: int, retry_after: float | None) -> None:
        super().__init__(error.kind, error.stage, error.message)
        self.status = status
        self.retry_after = retry_after
