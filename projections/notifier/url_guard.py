"""Server-side request forgery guard for webhook URLs.

A receiver's URL is checked when it is registered and again at every delivery, after DNS
resolution: every address the name resolves to must be public (not loopback, private,
link-local, multicast, reserved, unspecified, shared or cloud metadata), and the request is then
sent to the address that was checked (``Target.address``) with the original host name in the
Host header and TLS server name, so a DNS answer that changes between the check and the connect
(rebinding) cannot redirect it. Redirects are never followed.

``allow_private`` (``LEDGERLINE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``, on by default only in dev and
test) lets loopback and private receivers through, and plain ``http``; it never allows the
metadata addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Cloud instance metadata services, refused even when private addresses are allowed.
METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}
MAX_URL_LENGTH = 2048


class UnsafeUrl(ValueError):
    """The URL may not be used as a webhook receiver; the message says why, in words a user can
    act on (it never echoes addresses of our own network)."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: str  # the checked IP address the request must connect to

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.scheme}://{host}:{self.port}{path}{query}"


def system_resolver(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl("the host name does not resolve") from error
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


def check_syntax(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL, before any DNS look-up."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl("the URL is not valid") from error
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeUrl("the URL must use https")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL must not carry credentials")
    if parts.fragment:
        raise UnsafeUrl("the URL must not have a fragment")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a connection to ``address`` is refused, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "the host is a cloud metadata address"
    if address.is_multicast or address.is_unspecified:
        return "the host is not a unicast address"
    if address.is_loopback:
        kind = "loopback"
    elif address.is_link_local:
        kind = "link-local"
    elif address.is_private or not address.is_global:
        kind = "private"  # also shared (100.64/10), documentation and reserved ranges
    else:
        return None
    return None if allow_private else f"the host is a {kind} address"


def resolve(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """Check ``url`` and every address its host resolves to; the target to connect to."""
    scheme, host, port = check_syntax(url, allow_private=allow_private)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(answer) for answer in resolver(host, port)]
    if not addresses:
        raise UnsafeUrl("the host name does not resolve")
    for address in addresses:
        if reason := refusal(address, allow_private=allow_private):
            raise UnsafeUrl(reason)
    return Target(url, scheme, host, port, str(addresses[0]))
