"""HTTP to a strata server: one keep-alive connection per thread, JSON errors."""

from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
import threading
import urllib.parse
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from .errors import Error, Unavailable, error_for

Body = Union[None, bytes, Iterable[bytes], Any]
Query = Union[None, Dict[str, Any], List[Tuple[str, Any]]]

# Connection-level failures after which a request may not have reached the server,
# or its answer was lost.
_DROPPED = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    http.client.IncompleteRead,
    ConnectionError,
    BrokenPipeError,
    TimeoutError,
    OSError,
)


class _Connection(http.client.HTTPConnection):
    """HTTPConnection with TCP_NODELAY, sending a small request in one write.

    http.client writes the head and the body separately; with Nagle's algorithm the
    body then waits for the server's delayed ACK of the head (tens of ms).
    """

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if isinstance(message_body, bytes) and len(message_body) <= 65536:
            self._buffer.extend((b"", message_body))
            msg = b"\r\n".join(self._buffer)
            del self._buffer[:]
            self.send(msg)
            return
        super()._send_output(message_body, encode_chunked=encode_chunked)


class _TlsConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def encode_query(query: Query) -> str:
    """`?a=1&b=x` from a dict or (key, value) pairs; None values are left out."""
    if not query:
        return ""
    items = query.items() if isinstance(query, dict) else query
    pairs = []
    for k, v in items:
        if v is None:
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        pairs.append((k, str(v)))
    return "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote) if pairs else ""


def quote_ref(ref: str) -> str:
    return urllib.parse.quote(ref, safe="/@")


class Transport:
    """Requests to one server. Thread-safe: each thread has its own connection."""

    def __init__(self, url: str, token: Optional[str], timeout: float,
                 creator: Optional[str], ca_file: Optional[str] = None) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"server URL {url!r}: expected http://HOST:PORT or https://HOST:PORT")
        self.url = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._tls = ssl.create_default_context(cafile=ca_file) if self._https else None
        self._headers: Dict[str, str] = {}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        if creator:
            self._headers["X-Strata-Creator"] = creator
        self._local = threading.local()
        self._all: List[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and (fresh or _closed_by_peer(conn)):
            conn.close()
            conn = None
        if conn is None:
            if self._https:
                conn = _TlsConnection(self._host, self._port, timeout=self._timeout,
                                      context=self._tls)
            else:
                conn = _Connection(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def request(self, method: str, path: str, *, query: Query = None, body: Body = None,
                headers: Optional[Dict[str, str]] = None, safe: bool = False,
                stream: bool = False) -> http.client.HTTPResponse:
        """Sends a request and returns the answer's response, raising on a non-2xx.

        With `stream`, the body is left unread: read it whole before the thread's
        next request. `safe` requests are retried once on a dropped connection
        (`body` must then be bytes or None).
        """
        target = self._prefix + path + encode_query(query)
        all_headers = dict(self._headers)
        if headers:
            all_headers.update(headers)
        if body is None and method in ("POST", "PUT"):
            body = b""
        attempts = 2 if safe else 1
        for attempt in range(attempts):
            conn = self._connection(fresh=attempt > 0)
            try:
                conn.request(method, target, body=body, headers=all_headers)
                resp = conn.getresponse()
                if not stream or resp.status >= 300:
                    data = resp.read()
                    resp.close()
                    resp.data = data  # type: ignore[attr-defined]
            except _DROPPED as e:
                conn.close()
                self._local.conn = None
                if attempt + 1 < attempts:
                    continue
                raise Unavailable(f"{method} {path}: connection to {self.url} failed: {e}",
                                  "UNAVAILABLE", 0) from None
            break
        if resp.status >= 300 and resp.status != 304:
            raise _error(resp)
        return resp

    def json(self, method: str, path: str, *, query: Query = None, body: Any = None,
             json_body: Any = None, headers: Optional[Dict[str, str]] = None,
             safe: bool = False) -> Any:
        """A request whose answer is JSON (None for an empty answer)."""
        h = {"Accept": "application/json"}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        resp = self.request(method, path, query=query, body=body, headers=h, safe=safe)
        data = resp.data  # type: ignore[attr-defined]
        return json.loads(data) if data else None


def _closed_by_peer(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection was closed by the server (it is readable)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _error(resp: http.client.HTTPResponse) -> Error:
    data = getattr(resp, "data", b"")
    code, message = None, None
    try:
        err = json.loads(data)["error"]
        code, message = err.get("code"), err.get("message")
    except (ValueError, KeyError, TypeError):
        pass
    if message is None:
        message = data.decode("utf-8", "replace").strip() or resp.reason
    if code is None:
        code = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 409: "FAILED_PRECONDITION", 412: "FAILED_PRECONDITION",
                503: "UNAVAILABLE"}.get(resp.status, "UNKNOWN")
    return error_for(code, message, resp.status)
