"""The fetcher: one URL in, one FetchResult or one IngestError out.

Each concern lives in its own small type (address guard, host limits, robots cache,
response handler); this module only sequences them per hop:
robots -> host slot -> request -> response checks -> redirect, retry or result.
It knows nothing of storage: validators come in as arguments and go out in the result.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass

import httpx

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import content
from ingest.fetch.address import AddressPolicy, GuardedTransport, PrivateAddressError
from ingest.fetch.body import ACCEPT_ENCODING
from ingest.fetch.failures import STAGE, from_exception
from ingest.fetch.hosts import HostLimits, SharedStarts, host_key
from ingest.fetch.response import Reply, ResponseHandler, StatusError
from ingest.fetch.result import FetchResult
from ingest.fetch.retry import backoff_delay
from ingest.fetch.robots import RobotsCache, RobotsRules
from ingest.fetch.settings import FetchSettings

log = logging.getLogger("ingest.fetch")

# Kinds worth another attempt: the next one may well succeed.
_RETRYABLE = {ErrorKind.TIMEOUT, ErrorKind.SERVER_ERROR, ErrorKind.TOO_MANY_REQUESTS}
# robots.txt outcomes that mean "no rules" (RFC 9309 "unavailable"); others mean "unreachable".
_ROBOTS_UNAVAILABLE = {ErrorKind.NOT_FOUND, ErrorKind.GONE, ErrorKind.FORBIDDEN, ErrorKind.CLIENT_ERROR,
                       ErrorKind.TOO_MANY_REDIRECTS, ErrorKind.BINARY, ErrorKind.UNSUPPORTED,
                       ErrorKind.MALFORMED}


@dataclass(frozen=True)
class _Request:
    """What stays the same across the hops and attempts of one fetch."""

    headers: dict[str, str]
    accept: tuple[str, ...]
    max_bytes: int
    respect_robots: bool
    etag: str | None = None
    last_modified: str | None = None
    truncate: bool = False          # a body over max_bytes is cut there instead of refused (robots.txt)


class Fetcher:
    """Polite, bounded HTTP fetching. Use one per event loop, as `async with Fetcher(settings) as f`."""

    def __init__(self, settings: FetchSettings | None = None, *, shared_starts: SharedStarts | None = None) -> None:
        """`shared_starts`: where request starts are reserved across workers, so the per-host
        delay holds for all of them together (None: this process's own limits only)."""
        self.settings = s = settings or FetchSettings()
        policy = AddressPolicy(allow_private=s.allow_private_addresses, allowlist=s.private_address_allowlist)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(policy, limits=limits),
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=s.total_timeout),
            follow_redirects=False,  # each hop is checked (robots, limits) by _follow
            trust_env=False,         # a proxy from the environment would bypass the address guard
            headers={"User-Agent": s.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self._hosts = HostLimits(concurrency=s.per_host_concurrency, delay=s.per_host_delay,
                                 max_wait=s.max_retry_after, shared=shared_starts)
        self._robots = RobotsCache(self._load_robots)
        self._refused_hosts: set[str] = set()   # private-address refusals are logged once per host

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    accept: tuple[str, ...] = content.DOCUMENT_TYPES, max_bytes: int | None = None,
                    probe: bool = False) -> FetchResult:
        """GET `url`. Validators from the last fetch are sent back verbatim; on 304 the result
        has not_modified=True and an empty body. `accept` lists the media types the caller can
        use; `max_bytes` overrides the settings' cap (sitemaps may be 50 MB). A `probe` (does
        the site have /feed?) that fails is logged at debug level: nothing went wrong.
        Raises IngestError with the failure's kind."""
        headers = {"Accept": content.accept_header(accept)}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        request = _Request(headers, accept, max_bytes or self.settings.max_bytes, self.settings.respect_robots,
                           etag, last_modified)
        return await self._logged(url, request, probe=probe)

    def retry_after(self, url: str) -> float:
        """Seconds until the URL's host accepts requests again after a Retry-After (0 if it does now)."""
        return self._hosts.blocked_for(host_key(httpx.URL(url)))

    async def _logged(self, url: str, request: _Request, *, missing_is_normal: bool = False,
                      probe: bool = False) -> FetchResult:
        started = time.monotonic()
        try:
            try:
                async with asyncio.timeout(self.settings.deadline):
                    result = await self._follow(url, request, started)
            except TimeoutError:
                raise IngestError(ErrorKind.TIMEOUT, STAGE,
                                  f"{url} was not fetched within {self.settings.deadline:.0f} s (every attempt, "
                                  "redirect and wait counted); the server is too slow, try later or raise "
                                  "fetch_deadline") from None
        except IngestError as exc:
            if missing_is_normal and exc.kind in _ROBOTS_UNAVAILABLE:
                log.info("no %s (%s): everything is allowed", url, exc.kind.value)
            elif probe:
                log.debug("probe %s: %s", url, exc.kind.value)
            elif exc.kind is ErrorKind.PRIVATE_ADDRESS:
                host = httpx.URL(url).host
                if host not in self._refused_hosts:
                    self._refused_hosts.add(host)
                    log.warning("fetch refused %s: %s", url, exc.message)
            else:
                log.warning("fetch failed %s after %.2f s: %s: %s", url, time.monotonic() - started,
                            exc.kind.value, exc.message)
            raise
        if result.not_modified:
            log.info("fetch not modified %s (%.2f s)", url, result.elapsed)
        else:
            moved = f" -> {result.url}" if result.url != url else ""
            log.info("fetch ok %s%s: %d, %s, %d bytes, %.2f s, %d attempt(s)", url, moved, result.status,
                     result.content_type or "no type", len(result.body), result.elapsed, result.attempts)
        return result

    async def _follow(self, url: str, request: _Request, started: float) -> FetchResult:
        current = _parse_url(url)
        visited: list[str] = []
        while True:
            if request.respect_robots:
                await self._check_robots(current)
            reply, attempts = await self._with_retries(current, request)
            if not reply.is_redirect:
                return _result(url, current, reply, request, visited, attempts, started)
            assert reply.location is not None
            visited.append(str(current))
            try:
                target = _parse_url(str(current.join(reply.location)))
            except (IngestError, httpx.InvalidURL) as exc:
                kind = exc.kind if isinstance(exc, IngestError) else ErrorKind.MALFORMED
                raise IngestError(kind, STAGE, f"{current} redirects to {reply.location!r}, which cannot "
                                  "be followed: only http and https URLs can be fetched") from None
            if str(target) in visited:
                raise IngestError(ErrorKind.TOO_MANY_REDIRECTS, STAGE,
                                  f"{url} redirects in a loop ({' -> '.join(visited)} -> {target}); "
                                  "the site is misconfigured, try later or remove the source")
            if len(visited) > self.settings.max_redirects:
                raise IngestError(ErrorKind.TOO_MANY_REDIRECTS, STAGE,
                                  f"{url} redirected more than {self.settings.max_redirects} times; "
                                  "use the final URL as the source or raise max_redirects")
            current = target

    async def _with_retries(self, url: httpx.URL, request: _Request) -> tuple[Reply, int]:
        key = host_key(url)
        for attempt in range(self.settings.retries + 1):
            try:
                return await self._once(url, key, request), attempt + 1
            except IngestError as exc:
                if exc.kind not in _RETRYABLE:
                    raise
                if attempt == self.settings.retries:
                    if attempt == 0:
                        raise
                    raise IngestError(exc.kind, exc.stage,
                                      f"{exc.message} (gave up after {attempt + 1} attempts)") from exc
                retry_after = exc.retry_after if isinstance(exc, StatusError) else None
                if retry_after is not None:
                    if retry_after > self.settings.max_retry_after:
                        raise
                    continue  # _once blocked the host: its slot holds the retry until then
                wait = backoff_delay(attempt, base=self.settings.backoff_base, cap=self.settings.backoff_max)
                log.debug("fetch retry %s in %.2f s: %s", url, wait, exc.kind.value)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _once(self, url: httpx.URL, key: str, request: _Request) -> Reply:
        async with self._hosts.slot(key, str(url)):
            try:
                async with asyncio.timeout(self.settings.total_timeout):
                    response = await self._client.send(
                        self._client.build_request("GET", url, headers=request.headers), stream=True)
                    try:
                        handler = ResponseHandler(response, str(url), accept=request.accept,
                                                  max_bytes=request.max_bytes, truncate=request.truncate)
                        return await handler.handle()
                    finally:
                        await response.aclose()
            except StatusError as exc:
                if exc.retry_after is not None:
                    self._hosts.block(key, exc.retry_after)
                raise
            except IngestError:
                raise
            except (httpx.HTTPError, PrivateAddressError, TimeoutError) as exc:
                raise from_exception(exc, str(url)) from exc

    async def _check_robots(self, url: httpx.URL) -> None:
        if url.path == "/robots.txt":
            return  # robots.txt itself is always fetchable
        rules = await self._robots.rules_for(url)
        if not rules.allows(str(url), self.settings.robots_token):
            why = ("robots.txt disallows it" if not rules.disallow_all
                   else f"{rules.reason}, so the whole site is off limits for now (RFC 9309)")
            raise IngestError(ErrorKind.ROBOTS_DISALLOWED, STAGE,
                              f"{url}: {why}; respect it, or ask the site, or try later")
        delay = rules.crawl_delay(self.settings.robots_token)
        if delay:
            if delay > self.settings.max_retry_after:
                log.warning("robots.txt of %s asks for Crawl-delay %s s; capped at %s s", url.host, delay,
                            self.settings.max_retry_after)
            self._hosts.set_crawl_delay(host_key(url), min(float(delay), self.settings.max_retry_after))

    async def _load_robots(self, robots_url: str) -> RobotsRules:
        s = self.settings
        # RFC 9309 2.5: parse at least the first 500 KiB; a longer file is cut there, not refused.
        request = _Request({"Accept": "text/plain, */*;q=0.1"}, ("*/*",), s.robots_max_bytes, False, truncate=True)
        try:
            result = await self._logged(robots_url, request, missing_is_normal=True)
        except IngestError as exc:
            if exc.kind == ErrorKind.PRIVATE_ADDRESS:
                raise
            if exc.kind in _ROBOTS_UNAVAILABLE:
                return RobotsRules.allow_all(f"no robots.txt ({exc.kind.value})", s.robots_ttl)
            return RobotsRules.unreachable(f"robots.txt is unreachable ({exc.kind.value})", s.robots_error_ttl)
        return RobotsRules.parse(result.body.decode("utf-8", errors="replace"), s.robots_ttl)


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise IngestError(ErrorKind.MALFORMED, STAGE, f"{url!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise IngestError(ErrorKind.UNSUPPORTED, STAGE,
                          f"{url}: only http and https URLs can be fetched, not {parsed.scheme or 'relative'}")
    if not parsed.host:
        raise IngestError(ErrorKind.MALFORMED, STAGE, f"{url!r} has no host")
    return parsed.copy_with(fragment=None)


def _result(requested: str, url: httpx.URL, reply: Reply, request: _Request, visited: list[str],
            attempts: int, started: float) -> FetchResult:
    media_type, charset = content.parse_content_type(reply.headers.get("content-type"))
    etag, last_modified = reply.headers.get("etag"), reply.headers.get("last-modified")
    if reply.not_modified:
        # A 304 may omit the validators; the ones sent are still the current ones.
        etag, last_modified = etag or request.etag, last_modified or request.last_modified
    return FetchResult(
        url=str(url),
        requested_url=requested,
        status=reply.status,
        headers=reply.headers,
        body=reply.body,
        content_type=media_type,
        charset=charset,
        etag=etag,
        last_modified=last_modified,
        body_sha256=None if reply.not_modified else hashlib.sha256(reply.body).hexdigest(),
        not_modified=reply.not_modified,
        elapsed=time.monotonic() - started,
        redirects=visited,
        attempts=attempts,
    )


def fetch_once(url: str, settings: FetchSettings | None = None, *, etag: str | None = None,
               last_modified: str | None = None, accept: tuple[str, ...] = content.DOCUMENT_TYPES,
               max_bytes: int | None = None) -> FetchResult:
    """Fetch one URL from synchronous code (a fresh event loop and client; not for bulk crawling)."""

    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, etag=etag, last_modified=last_modified, accept=accept,
                                       max_bytes=max_bytes)

    return asyncio.run(run())
