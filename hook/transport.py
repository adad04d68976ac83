"""POST one gzip'd OTLP/HTTP body (OTLP/JSON, or protobuf spooled by older versions) within a deadline. Never raises.

What a result means for the spool (aesthetics.md §1; the OTLP/HTTP spec):
- 2xx                       delivered: the batch may be deleted.
- 408, 429, 5xx, no answer  retryable: keep the batch; `retry_after_seconds` from Retry-After if sent.
- 401, 403, 404, 405, 407   the endpoint or its credentials are wrong, not the batch: keep it and retry.
- any other 4xx             poison: this body will never be accepted; the spool sets it aside.
One connection is kept for the whole run; the caller passes the run's deadline to every post.
"""

from __future__ import annotations

import _socket
import contextlib
import time

from ccotel.hook._plain import Plain
from ccotel.hook._typing import Any
from ccotel.hook.config import VERSION, split_endpoint

CONFIG_ERROR_CODES = frozenset({401, 403, 404, 405, 407})
RETRYABLE_4XX = frozenset({408, 429})
MAX_RETRY_AFTER_SECONDS = 300.0
MIN_ATTEMPT_SECONDS = 0.05
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024  # below this, do not even try: the answer could not arrive in time
JSON_CONTENT_TYPE = "application/json"  # what ccotel.hook.otlp writes


class PostResult(Plain):
    """ok; status: HTTP status, 0 when there was no HTTP answer; poison: the body itself was refused (never
    resend it); reason: one readable line; timed_out: the collector took the connection but did not answer."""

    __slots__ = ("ok", "poison", "reason", "retry_after_seconds", "seconds", "status", "timed_out")

    def __init__(self, ok: bool, status: int, poison: bool, reason: str, retry_after_seconds: float | None = None,
                 seconds: float = 0.0, timed_out: bool = False) -> None:
        self.ok, self.status, self.poison, self.reason = ok, status, poison, reason
        self.retry_after_seconds, self.seconds, self.timed_out = retry_after_seconds, seconds, timed_out


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP-date), capped; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime  # rare: only for the HTTP-date form

        try:
            seconds = parsedate_to_datetime(value).timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def classify(status: int, body: bytes, retry_after: str | None) -> PostResult:
    if 200 <= status < 300:
        return PostResult(True, status, False, f"HTTP {status}")
    text = body[:300].decode("utf-8", "replace").strip().replace("\n", " ")
    reason = f"HTTP {status}" + (f": {text}" if text else "")
    poison = 400 <= status < 500 and status not in RETRYABLE_4XX and status not in CONFIG_ERROR_CODES
    return PostResult(False, status, poison, reason, parse_retry_after(retry_after))


def _open_connection(host: str, port: int, timeout: float) -> Any:
    """socket.create_connection with _socket: each address getaddrinfo gives, in order, until one connects."""
    # an ASCII host as bytes: getaddrinfo would encode a str with the idna codec (unicodedata, ~2 ms)
    name: str | bytes = host.encode("ascii") if host.isascii() else host
    error: OSError | None = None
    for family, kind, proto, _, address in _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            return sock
        except OSError as failed:
            error = failed
            sock.close()
    raise error or OSError(f"getaddrinfo returned no address for {host}")


class Transport:
    """One OTLP/HTTP traces endpoint; `post` sends a gzip'd body before `deadline` (time.monotonic).

    A minimal HTTP/1.1 client over one kept-alive socket: the hook runs after every Claude response and
    http.client (with the email and ssl packages it imports) costs it ~15 ms; even the socket module costs a
    few (it turns its constants into enums at import), so a plain http endpoint gets a bare _socket, and
    socket and ssl are imported only for an https one.
    """

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        scheme, host, port, path = split_endpoint(url)
        self._https = scheme == "https"
        self._host = host or "127.0.0.1"
        self._port = port or (443 if self._https else 80)
        path = path if path.startswith("/") else "/" + path
        host_header = self._host if ":" not in self._host else f"[{self._host}]"
        if port:
            host_header += f":{port}"
        fixed = {
            "Host": host_header,
            "Content-Encoding": "gzip",
            "User-Agent": f"ccotel/{VERSION}",
        }
        for key, value in (headers or {}).items():
            if key.lower() not in ("host", "content-type", "content-encoding", "content-length", "connection"):
                fixed[key] = value
        self._head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._socket: Any = None  # a _socket.socket, or an ssl.SSLSocket for https

    def post(self, gzip_body: bytes, deadline: float, content_type: str = JSON_CONTENT_TYPE) -> PostResult:
        started = time.monotonic()
        fresh = self._socket is None
        result = self._post_once(gzip_body, deadline, content_type)
        if result.status == 0 and not fresh and deadline - time.monotonic() > MIN_ATTEMPT_SECONDS:
            # A kept-alive connection the server closed meanwhile: one immediate retry on a new one.
            result = self._post_once(gzip_body, deadline, content_type)
        return PostResult(
            result.ok, result.status, result.poison, result.reason, result.retry_after_seconds,
            time.monotonic() - started, result.timed_out,
        )

    def _connect(self, timeout: float) -> Any:
        if self._socket is None:
            if self._https:
                import socket
                import ssl

                sock = socket.create_connection((self._host, self._port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self._host)
            else:
                sock = _open_connection(self._host, self._port, timeout)
            self._socket = sock
        self._socket.settimeout(timeout)
        return self._socket

    def _post_once(self, gzip_body: bytes, deadline: float, content_type: str) -> PostResult:
        remaining = deadline - time.monotonic()
        if remaining < MIN_ATTEMPT_SECONDS:
            return PostResult(False, 0, False, "no time left in this run")
        try:
            sock = self._connect(remaining)
            head = self._head + f"Content-Type: {content_type}\r\nContent-Length: {len(gzip_body)}\r\n\r\n"
            sock.sendall(head.encode("latin-1") + gzip_body)
            status, headers, body, reusable = self._read_response(sock, deadline)
            if not reusable:
                self.close()
            return classify(status, body, headers.get("retry-after"))
        except TimeoutError:
            self.close()
            return PostResult(False, 0, False, f"no answer from {self.url} within the deadline", timed_out=True)
        except (OSError, ValueError) as error:
            self.close()
            return PostResult(False, 0, False, f"cannot reach {self.url}: {type(error).__name__}: {error}")
        except Exception as error:  # never raise into the hook
            self.close()
            return PostResult(False, 0, False, f"unexpected {type(error).__name__}: {error}")

    @staticmethod
    def _read_response(sock: Any, deadline: float) -> tuple[int, dict[str, str], bytes, bool]:
        """Status, lower-cased headers, up to 64 KiB of body, and whether the connection can be reused."""
        data = b""
        while b"\r\n\r\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before a complete answer")
            data += chunk
            if len(data) > MAX_HEAD_BYTES:
                raise ValueError("answer headers too long")
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/"):
            raise ValueError(f"not an HTTP answer: {lines[0][:60]!r}")
        status = int(rest.split(" ", 1)[0])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        length = headers.get("content-length")
        reusable = headers.get("connection", "").lower() != "close" and version != "HTTP/1.0"
        if length is None or "chunked" in headers.get("transfer-encoding", "").lower():
            return status, headers, body[:MAX_BODY_BYTES], False  # read what came; do not reuse
        wanted = int(length)
        while len(body) < min(wanted, MAX_BODY_BYTES):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body[:MAX_BODY_BYTES], reusable and len(body) == wanted

    def close(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None
