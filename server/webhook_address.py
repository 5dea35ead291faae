"""Where a household's alert webhook may point: a public http(s) address, never this server's own network.

The webhook URL is typed by a caregiver, and the server POSTs to it. Left open,
it would let any household's caregiver make the server knock on services only
it can reach (its own API on loopback, a database, a cloud metadata endpoint at
169.254.169.254). So the address is checked twice: when it is set (a literal
address, "localhost" and the like are refused with a clear 422), and again
before every delivery, on what the name resolves to at that moment.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".internal", ".local", ".lan", ".home.arpa")


class NotPublic(ValueError):
    pass


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names by itself, however it is written ("127.1", "2130706433", "0x7f.0.0.1", "[::1]")."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # the legacy forms every resolver still accepts
    except (OSError, ValueError):
        return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_url(url: str, *, private_ok: bool = False) -> str:
    """The URL if alerts may go there; ``NotPublic`` with a plain reason otherwise.

    ``private_ok`` (the operator's ``allow_private_webhooks``) lets loopback and private
    addresses through; link-local (cloud metadata), multicast and unspecified ones never are."""
    try:
        parts = urlsplit(url)  # "http://[x/": a bracket that never closes
        httpx.URL(url)  # what the alerts are sent with: control characters, a name IDNA cannot write
    except (ValueError, httpx.InvalidURL):
        raise NotPublic(NOT_VALID) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise NotPublic("The webhook must be an http:// or https:// address.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise NotPublic("The webhook address has no host name.")
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise NotPublic("The webhook address has a port that is not a number.") from None
    literal = _literal_address(host)
    if literal is not None and not allowed(literal, private_ok=private_ok):
        raise NotPublic(NOT_PUBLIC)
    if not private_ok and (host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES) or "." not in host and literal is None):
        raise NotPublic(NOT_PUBLIC)
    return url


NOT_VALID = "The webhook is not a valid web address. Copy it again, e.g. https://example.com/alerts."
NOT_PUBLIC = (
    "The webhook must be a public address: this server's operator does not allow "
    "addresses on its own network (KEEPSAKE_ALLOW_PRIVATE_WEBHOOKS)."
)


def allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, private_ok: bool = False) -> bool:
    if is_public(address):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    never = address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved
    return private_ok and not never and (address.is_loopback or address.is_private)


async def resolves_publicly(url: str, *, private_ok: bool = False) -> bool:
    """Just before sending: does the name still lead only to public addresses?

    A name that does not resolve at all is let through: the HTTP client will
    fail on it just the same (and tests answer such names with a fake transport).
    """
    try:
        check_url(url, private_ok=private_ok)
    except NotPublic:
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _literal_address(host) is not None:
        return True
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return True
    return all(allowed(ipaddress.ip_address(str(info[4][0]).split("%")[0]), private_ok=private_ok) for info in infos)


class PublicOnlyResolver(AbstractResolver):
    """The webhook client's resolver: a name is connected to only if every address it gives is allowed.

    The addresses checked are the ones the connection then uses, so no second lookup
    can slip a private one in between. A refused name fails like one that does not
    resolve (``OSError``), which the HTTP client reports as a connection error.
    """

    def __init__(self, *, private_ok: bool = False):
        self.private_ok = private_ok
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results or not all(allowed(ipaddress.ip_address(r["host"].split("%")[0]), private_ok=self.private_ok) for r in results):
            raise OSError(f"{host} leads into this server's own network: the alert is not sent there")
        return results

    async def close(self) -> None:
        await self._inner.close()
