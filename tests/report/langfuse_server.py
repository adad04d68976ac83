"""A real HTTP server on 127.0.0.1 that answers like Langfuse's public API (reference/langfuse-otlp.md §3).

- GET /api/public/health -> {"status": "OK", "version": <version>} (no auth, as Langfuse).
- GET /api/public/v2/observations -> {"data": [...], "meta": {"cursor": "..."}}; `pages` is served in order,
  the cursor naming the next page; the meta has no cursor on the last page.
- GET /api/public/v2/metrics?query=<json> -> {"data": metrics_rows}.
- POST /api/public/scores with a JSON list of scores -> 202 {"message": "Accepted"}; each score must carry
  the fields the public API requires (name, a numeric value for NUMERIC, a target such as sessionId) or the
  batch answers 207 {"accepted", "rejected", "errors": [{"message"}]}. Scores are kept by `id`, as Langfuse
  upserts them: posting the same id again replaces the score.
- mode "v3": the v2 endpoints answer 404 with Langfuse v3's message; mode "auth": 401 for every API call.
Every request is recorded (path, query, Authorization header, JSON body) for the tests to inspect.
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
    body: Any = None


@dataclass
class FakeLangfuse:
    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    metrics_rows: list[dict[str, Any]] = field(default_factory=list)
    version: str = "4.16.0"
    mode: str = "v4"  # v4 | v3 | auth
    expected_authorization: str = ""
    requests: list[Recorded] = field(default_factory=list)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id, as Langfuse keeps them
    reject_scores: str = ""  # when set, every score is rejected (207) with this message

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

            def do_POST(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                authorization = self.headers.get("Authorization", "")
                fake.requests.append(Recorded(parsed.path, {}, authorization, body))
                status, answer = fake.post(parsed.path, body, authorization)
                payload = json.dumps(answer).encode()
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

    def post(self, path: str, body: Any, authorization: str) -> tuple[int, Any]:
        if self.mode == "auth" or authorization != self.expected_authorization:
            return 401, {"message": "Invalid credentials. Confirm that you've configured the correct host."}
        if path != "/api/public/scores":
            return 404, {"message": "not found"}
        if not isinstance(body, list):
            return 400, {"message": "Invalid request data: expected an array of scores"}
        errors = [problem for score in body if (problem := self.reject_scores or score_problem(score))]
        for score in body:
            if not (self.reject_scores or score_problem(score)):
                self.scores[score.get("id") or f"generated-{len(self.scores)}"] = score
        if errors:
            return 207, {"accepted": len(body) - len(errors), "rejected": len(errors),
                         "errors": [{"message": message} for message in errors]}
        return 202, {"message": "Accepted"}


def score_problem(score: Any) -> str:
    """Why Langfuse's public API would reject this score ("" when it would not)."""
    if not isinstance(score, dict) or not isinstance(score.get("name"), str) or not score["name"]:
        return "name: Required"
    if not any(score.get(key) for key in ("traceId", "sessionId", "datasetRunId")):
        return "a score needs traceId, sessionId or datasetRunId"
    kind = score.get("dataType", "NUMERIC")
    value = score.get("value")
    if kind == "NUMERIC" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        return "value: a NUMERIC score needs a number"
    if kind not in ("NUMERIC", "BOOLEAN", "CATEGORICAL", "TEXT", "CORRECTION"):
        return f"dataType: invalid value {kind!r}"
    return ""
