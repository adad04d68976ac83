"""A real HTTP server on 127.0.0.1 that answers like Langfuse's public API (reference/langfuse-otlp.md §3).

- GET /api/public/health -> {"status": "OK", "version": <version>} (no auth, as Langfuse).
- GET /api/public/v2/observations -> {"data": [...], "meta": {"cursor": "..."}}; `pages` is served in order,
  the cursor naming the next page; the meta has no cursor on the last page.
- GET /api/public/v2/metrics?query=<json> -> {"data": metrics_rows}.
- mode "v3": the v2 endpoints answer 404 with Langfuse v3's message; mode "auth": 401 for every API call.
Every request is recorded (path, query, Authorization header) for the tests to inspect.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    path: str
    query: dict[str, list[str]]
    authorization: str


@dataclass
class FakeLangfuse:
    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    metrics_rows: list[dict[str, Any]] = field(default_factory=list)
    version: str = "4.16.0"
    mode: str = "v4"  # v4 | v3 | auth
    expected_authorization: str = ""
    requests: list[Recorded] = field(default_factory=list)

    def __enter__(self) -> FakeLangfuse:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query)
                fake.requests.append(Recorded(parsed.path, query, self.headers.get("Authorization", "")))
                status, body = fake.answer(parsed.path, query, self.headers.get("Authorization", ""))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, query: dict[str, list[str]], authorization: str) -> tuple[int, Any]:
        if path == "/api/public/health":
            return 200, {"status": "OK", "version": self.version}
        if self.mode == "auth" or authorization != self.expected_authorization:
            return 401, {"message": "Invalid credentials. Confirm that you've configured the correct host."}
        if self.mode == "v3" and path.startswith("/api/public/v2/"):
            return 404, {"message": "This endpoint is only available in a Langfuse v4 write mode"}
        if path == "/api/public/v2/observations":
            index = int(query.get("cursor", ["0"])[0])
            meta = {"cursor": str(index + 1)} if index + 1 < len(self.pages) else {}
            return 200, {"data": self.pages[index], "meta": meta}
        if path == "/api/public/v2/metrics":
            json.loads(query["query"][0])
            return 200, {"data": self.metrics_rows}
        return 404, {"message": "not found"}
