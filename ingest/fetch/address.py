"""Refuse private, loopback and link-local addresses at connect time.

The check runs inside the connection itself, on the addresses the connection will use,
so every redirect hop, the robots.txt fetch and a DNS answer that changes between two
look-ups (DNS rebinding) are all covered by one place.
"""

from __future__ import annotations

import ipaddress
import socket
import typing

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class PrivateAddressError(Exception):
    """A host resolved to an address the crawler must not reach."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, a private, loopback or link-local address")
        self.host = host
        self.address = address


def is_public(address: IPAddress) -> bool:
    # An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 host it embeds.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class AddressPolicy:
    """Which resolved addresses a connection may use."""

    def __init__(self, *, allow_private: bool, allowlist: typing.Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allowlist: list[IPNetwork] = [ipaddress.ip_network(net, strict=False) for net in allowlist]

    def permits(self, address: IPAddress) -> bool:
        return self.allow_private or is_public(address) or any(address in net for net in self.allowlist)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve the host once, vet every address, then connect to a vetted address (never re-resolving)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        for address in addresses:
            if not self.policy.permits(address):
                # Refuse the host outright if any answer is private: a mixed answer is a rebinding tell.
                raise PrivateAddressError(host, str(address))
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(str(address), port, timeout=timeout,
                                                     local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc  # try the next address, as browsers do
        assert last_error is not None
        raise last_error

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        seen: list[IPAddress] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone id
            if address not in seen:
                seen.append(address)
        if not seen:
            raise httpcore.ConnectError(f"{host} has no address")
        return seen

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the crawler")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded backend under its connection pool.

    httpx does not expose the network backend, so the pool is rebuilt here with the same
    options; this ties us to httpx's transport layout (stable since 0.18, checked by the tests).
    """

    def __init__(self, policy: AddressPolicy, *, limits: httpx.Limits, verify: bool = True) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )
