"""Map transport exceptions and HTTP statuses onto the fixed error kinds, with advice."""

from __future__ import annotations

import ssl

import httpx

from ingest.errors import ErrorKind, IngestError
from ingest.fetch.address import PrivateAddressError

STAGE = "fetch"


def _caused_by_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "SSL" in str(exc) or "certificate" in str(exc).lower()


def from_exception(exc: BaseException, url: str) -> IngestError:
    """The IngestError for an exception raised while sending a request or reading its body."""
    if isinstance(exc, PrivateAddressError):
        return IngestError(ErrorKind.PRIVATE_ADDRESS, STAGE,
                           f"{url} refused: {exc}. The crawler only fetches public addresses; for local "
                           "sources set NEWSDEDUP_ALLOW_PRIVATE_ADDRESSES=1 (or allow_private_addresses = true in "
                           "newsdedup.toml), or list the network in private_address_allowlist")
    if isinstance(exc, httpx.ConnectTimeout):
        return IngestError(ErrorKind.TIMEOUT, STAGE,
                           f"connecting to {url} timed out; the host is down or filtered, try later "
                           "or raise connect_timeout")
    if isinstance(exc, httpx.TimeoutException):
        return IngestError(ErrorKind.TIMEOUT, STAGE,
                           f"{url} stopped sending data (read timeout); the server is stalled or slow, "
                           "try later or raise read_timeout")
    if isinstance(exc, TimeoutError):
        return IngestError(ErrorKind.TIMEOUT, STAGE,
                           f"{url} took longer than total_timeout to send its body; the server is slow, "
                           "try later or raise total_timeout")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return IngestError(ErrorKind.UNSUPPORTED, STAGE, f"{url}: only http and https URLs can be fetched")
    if isinstance(exc, httpx.InvalidURL | httpx.LocalProtocolError):
        return IngestError(ErrorKind.MALFORMED, STAGE, f"{url} is not a valid URL: {exc}")
    if isinstance(exc, httpx.ConnectError | httpx.NetworkError | httpx.RemoteProtocolError):
        if _caused_by_tls(exc):
            return IngestError(ErrorKind.TLS, STAGE,
                               f"TLS handshake with {url} failed ({exc}); the site's certificate or "
                               "TLS setup is broken, there is nothing to fix on our side but to wait")
        return IngestError(ErrorKind.CONNECTION, STAGE,
                           f"cannot talk to {url}: {exc or type(exc).__name__}; check the host name, "
                           "or the host is down, try later")
    return IngestError(ErrorKind.INTERNAL, STAGE,
                       f"unexpected {type(exc).__name__} fetching {url}: {exc}; this is a bug, please report it")


def from_status(status: int, url: str, retry_after: float | None) -> IngestError:
    """The IngestError for an HTTP error status (>= 400)."""
    later = f"; it asked for {retry_after:.0f} s" if retry_after is not None else ""
    if status in (401, 403, 451):
        return IngestError(ErrorKind.FORBIDDEN, STAGE,
                           f"{url} refused access ({status}); the site may block crawlers: check the "
                           "User-Agent setting, ask the site, or disable the source")
    if status == 404:
        return IngestError(ErrorKind.NOT_FOUND, STAGE, f"{url} was not found (404); fix or remove the source")
    if status == 410:
        return IngestError(ErrorKind.GONE, STAGE, f"{url} is gone for good (410); remove the source")
    if status == 429:
        return IngestError(ErrorKind.TOO_MANY_REQUESTS, STAGE,
                           f"{url} asked us to slow down (429){later}; it is retried later, raise "
                           "per_host_delay if it keeps happening")
    if status >= 500:
        return IngestError(ErrorKind.SERVER_ERROR, STAGE,
                           f"{url} answered with server error {status}{later}; the site is having "
                           "trouble, try later")
    return IngestError(ErrorKind.CLIENT_ERROR, STAGE, f"{url} refused the request ({status}); check the URL")
