"""The fetcher's small parts on their own: Retry-After, backoff, bounded decoding, types, addresses."""

from __future__ import annotations

import gzip
import ipaddress
import random
import zlib
from email.utils import formatdate

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import FetchSettings, parse_content_type
from ingest.fetch.address import AddressPolicy, is_public
from ingest.fetch.body import BoundedDecoder, TooLarge, decompress
from ingest.fetch.content import HTML_TYPES, SITEMAP_TYPES, check_body_is_text, check_declared_type
from ingest.fetch.retry import backoff_delay, parse_retry_after


def test_retry_after_forms() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0  # in the past: now
    for bad in (None, "", "soon", "-5", "1.5"):
        assert parse_retry_after(bad, now=now) is None


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    for attempt in range(8):
        ceiling = min(10.0, 0.5 * 2 ** attempt)
        waits = {backoff_delay(attempt, base=0.5, cap=10.0, rng=rng) for _ in range(20)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered


def test_bounded_decoder_stops_a_bomb_without_inflating_it() -> None:
    bomb = gzip.compress(bytes(50_000_000))  # ~50 KB on the wire
    decoder = BoundedDecoder("gzip", 1_000_000)
    with pytest.raises(TooLarge):
        decoder.feed(bomb)  # one big chunk, the worst case for an unbounded decoder
    assert decoder.produced <= 1_000_001


def test_bounded_decoder_passes_what_fits() -> None:
    page = b"<p>hello</p>" * 1000
    assert BoundedDecoder("gzip", len(page)).feed(gzip.compress(page)) == page
    assert BoundedDecoder(None, len(page)).feed(page) == page
    assert BoundedDecoder("identity", len(page)).feed(page) == page
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert BoundedDecoder("deflate", len(page)).feed(raw.compress(page) + raw.flush()) == page
    with pytest.raises(TooLarge):
        BoundedDecoder(None, 10).feed(b"x" * 11)
    with pytest.raises(ValueError):
        BoundedDecoder("br", 10)


def test_concatenated_gzip_members_all_count() -> None:
    member = gzip.compress(b"a" * 600)
    assert BoundedDecoder("gzip", 1200).feed(member + member) == b"a" * 1200
    with pytest.raises(TooLarge):
        BoundedDecoder("gzip", 1000).feed(member + member)
    decoder = BoundedDecoder("gzip", 10_000)  # a member split across network chunks
    body = member + member
    assert b"".join(decoder.feed(body[i:i + 7]) for i in range(0, len(body), 7)) == b"a" * 1200
    decoder.finish()
    assert BoundedDecoder("gzip", 1000).feed(member + b"\x00\x00junk") == b"a" * 600  # trailing junk ignored


def test_decompress_whole_buffer_maps_errors() -> None:
    assert decompress(gzip.compress(b"abc"), "gzip", 10) == b"abc"
    with pytest.raises(IngestError) as too_large:
        decompress(gzip.compress(bytes(1000)), "gzip", 10)
    assert too_large.value.kind == ErrorKind.TOO_LARGE
    for broken in (gzip.compress(b"abc" * 100)[:-12], b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 9):
        with pytest.raises(IngestError) as corrupt:
            decompress(broken, "gzip", 1000)
        assert corrupt.value.kind == ErrorKind.MALFORMED


def test_content_type_parsing() -> None:
    assert parse_content_type('text/html; charset="UTF-8"') == ("text/html", "utf-8")
    assert parse_content_type("Text/HTML") == ("text/html", None)
    assert parse_content_type("text/html; charset=x-klingon") == ("text/html", None)
    assert parse_content_type(None) == (None, None)


def test_declared_type_checks() -> None:
    check_declared_type("text/html", HTML_TYPES, "u")
    check_declared_type(None, HTML_TYPES, "u")                        # unknown: sniffed later
    check_declared_type("application/octet-stream", HTML_TYPES, "u")  # says nothing: sniffed later
    with pytest.raises(IngestError) as binary:
        check_declared_type("image/jpeg", HTML_TYPES, "u")
    assert binary.value.kind == ErrorKind.BINARY
    with pytest.raises(IngestError) as other:
        check_declared_type("application/rss+xml", HTML_TYPES, "u")
    assert other.value.kind == ErrorKind.UNSUPPORTED


def test_body_sniffing() -> None:
    check_body_is_text(b"<html>", "text/html", HTML_TYPES, "u")
    check_body_is_text(b"\xff\xfe<\x00h\x00", "text/html", HTML_TYPES, "u")  # UTF-16 has NULs
    check_body_is_text(gzip.compress(b"<urlset/>"), "application/gzip", SITEMAP_TYPES, "u")
    for body in (b"%PDF-1.7", b"\x89PNG\r\n", b"ab\x00cd", gzip.compress(b"x")):
        with pytest.raises(IngestError) as caught:
            check_body_is_text(body, "text/html", HTML_TYPES, "u")
        assert caught.value.kind == ErrorKind.BINARY


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("::1", False), ("fe80::1", False), ("fc00::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:93.184.216.34", True),
])
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_address_policy_allowlist() -> None:
    policy = AddressPolicy(allow_private=False, allowlist=["10.8.0.0/16"])
    assert policy.permits(ipaddress.ip_address("10.8.3.4"))
    assert not policy.permits(ipaddress.ip_address("10.9.3.4"))
    assert AddressPolicy(allow_private=True).permits(ipaddress.ip_address("127.0.0.1"))


def test_settings() -> None:
    from newsdedup.config import Settings
    settings = Settings(allow_private_addresses=True, user_agent="x/1 (+u)", fetch_retries=0).fetch
    assert settings.allow_private_addresses and settings.user_agent == "x/1 (+u)" and settings.retries == 0
    assert settings.robots_token == "x"
    assert FetchSettings().robots_token == "newsdedup"
    with pytest.raises(ValueError):
        FetchSettings(per_host_concurrency=0)
