"""One HTTP attempt of one webhook delivery: SSRF check, POST, outcome.

The URL is resolved and checked before every attempt (``url_guard``) and the request goes to the
checked address, the host name carried in the Host header and, for https, the TLS server name
(so the certificate is verified against the name, not the address). Redirects are not followed
(a 3xx is a failed attempt). The outcome records the status code, latency and a short error; of
the receiver's answer at most 64 KiB is read (so the connection can be reused) and nothing is
stored; cookies are ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from projections.notifier.deliveries import Attempt
from projections.notifier.url_guard import Resolver, UnsafeUrl, resolve, system_resolver

USER_AGENT = "Ledgerline-Webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024
# Receivers' cookies are never kept (nor sent on to anyone).
_NO_COOKIES = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class Sender:
    def __init__(
        self,
        *,
        allow_private: bool,
        timeout_s: float = 10.0,
        max_connections: int = 64,
        resolver: Resolver = system_resolver,
        clock: Callable[[], datetime],
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._clock = clock
        self._client = httpx.Client(
            timeout=timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=32),
            headers={"user-agent": USER_AGENT},
            cookies=_NO_COOKIES,
        )

    def close(self) -> None:
        self._client.close()

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        started_at, started = self._clock(), time.monotonic()

        def outcome(status: int | None, error: str | None) -> Attempt:
            latency = round((time.monotonic() - started) * 1000)
            return Attempt(started_at, status, latency, error)

        try:
            target = resolve(url, allow_private=self._allow_private, resolver=self._resolver)
        except UnsafeUrl as refused:
            return outcome(None, f"refused: {refused}")
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self._client.build_request(
            "POST",
            target.pinned_url,
            content=body,
            headers={**headers, "host": _host_header(target.host, target.port, target.scheme)},
            extensions=extensions,
        )
        try:
            response = self._client.send(request, stream=True)
            try:
                # Read (and drop) at most a little of the answer: enough for the connection to be
                # reused, never a receiver's huge body.
                read = 0
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if read > MAX_RESPONSE_BYTES:
                        break
            finally:
                response.close()
        except httpx.TimeoutException:
            return outcome(None, "timed out")
        except httpx.HTTPError as error:
            return outcome(None, f"connection failed: {type(error).__name__}")
        if 300 <= response.status_code < 400:
            return outcome(response.status_code, "redirect not followed")
        if not 200 <= response.status_code < 300:
            return outcome(response.status_code, f"HTTP {response.status_code}")
        return outcome(response.status_code, None)


def _host_header(host: str, port: int, scheme: str) -> str:
    default = 443 if scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host
    return name if port == default else f"{name}:{port}"
