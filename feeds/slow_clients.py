"""Slow clients are timed out: a request's headers must arrive within `header_timeout` seconds.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) but waits for ever on a
client that sends its headers a byte at a time (slowloris); each such socket holds a file
descriptor. These protocols start a timer when a connection opens (and when the next request
on a kept-alive connection begins) and close the connection if no complete request head has
come. The server uses httptools' parser (C, several times faster than h11's pure Python); the
h11 one stays for a Python without httptools.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

Parser = Literal["httptools", "h11"]


def with_header_timeout(seconds: float, parser: Parser = "httptools") -> type[asyncio.Protocol]:
    """uvicorn's protocol for `parser`, closing connections whose request head takes over `seconds`."""
    return _httptools(seconds) if parser == "httptools" else _h11(seconds)


class _HeaderTimer:
    """The timer both protocols share; `loop` and `transport` are the protocol's."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _header_timeout: float
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self._header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def _httptools(seconds: float) -> type[HttpToolsProtocol]:
    class HeaderTimeoutProtocol(_HeaderTimer, HttpToolsProtocol):
        _header_timeout = seconds

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            # The parser saw the first byte of a request: on a kept-alive connection, the next one.
            if self._header_timer is None:
                self._arm()
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol


def _h11(seconds: float) -> type[H11Protocol]:
    class HeaderTimeoutProtocol(_HeaderTimer, H11Protocol):
        _header_timeout = seconds

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the first bytes of the next request on a kept-alive connection
            started = self.cycle
            super().data_received(data)
            if self.cycle is not started:  # a complete request head arrived
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol
