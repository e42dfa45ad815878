"""Forwarding to a real upstream (proxy mode).

The caller's headers, auth included, go upstream untouched (except hop-by-hop
headers and ``accept-encoding``: the answer must come back uncompressed so the
server can cut it at event boundaries). Nothing here logs a header.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 7.6.1) and the ones recomputed for the new connection.
_DROP_REQUEST = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
}
_DROP_RESPONSE = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


class UpstreamError(Exception):
    """The upstream could not be reached or broke the connection."""


class Upstream:
    def __init__(self, base_url: str, timeout: float = 600.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream {base_url!r} must be an http:// or https:// URL")
        self.base_url = base_url
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.host = parts.hostname
        self.port = parts.port
        self.base_path = parts.path.rstrip("/")
        self.timeout = timeout

    def open(
        self, method: str, path: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send one request; the caller reads the response and closes the connection."""
        conn: http.client.HTTPConnection
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        out_headers = {name: value for name, value in headers if name.lower() not in _DROP_REQUEST}
        out_headers["Host"] = self.netloc
        out_headers["Accept-Encoding"] = "identity"
        if body or method in ("POST", "PUT", "PATCH"):
            out_headers["Content-Length"] = str(len(body))
        try:
            conn.request(method, self.base_path + path, body=body or None, headers=out_headers)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from None
        return conn, response


def response_headers(response: http.client.HTTPResponse) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.getheaders() if k.lower() not in _DROP_RESPONSE]
