"""Read a Langfuse v4 project through its public v2 APIs (plain HTTP, standard library only).

- GET /api/public/health: {status, version}; a 3.x version is refused up front.
- GET /api/public/v2/observations: cursor pagination (meta.cursor), up to 1000 per page; a v3 server
  answers 404 there ("only available in a Langfuse v4 write mode"), which is refused too.
- GET /api/public/v2/metrics?query=...: server-side totals per model. v4 does not merge re-sent spans
  on read, so these can count duplicates; the report's own figures come from the observations,
  de-duplicated by observation id, and the server totals are shown beside them as a cross-check.
Facts: reference/langfuse-otlp.md §2.8, §3.2.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PAGE_SIZE = 1000
FIELDS = "core,basic,io,model,usage,metadata"
MAX_PAGES = 100_000


class LangfuseError(Exception):
    """Reading Langfuse failed; the message is one line meant for a person."""


@dataclass
class LangfuseClient:
    host: str
    public_key: str
    secret_key: str
    timeout: float = 30.0

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = self.host.rstrip("/") + path + ("?" + urllib.parse.urlencode(params) if params else "")
        token = base64.b64encode(f"{self.public_key}:{self.secret_key}".encode()).decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise _http_error(self.host, path, error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise LangfuseError(f"cannot reach Langfuse at {self.host}: {reason}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise LangfuseError(f"Langfuse at {self.host} answered {path} with something that is not JSON") from None


def _http_error(host: str, path: str, error: urllib.error.HTTPError) -> LangfuseError:
    try:
        detail = json.loads(error.read() or b"{}").get("message", "")
    except (ValueError, AttributeError, OSError):
        detail = ""
    if error.code in (401, 403):
        return LangfuseError(
            f"Langfuse at {host} rejected the API keys (HTTP {error.code}): check "
            "LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY"
        )
    if error.code == 404 and "/v2/" in path:
        return LangfuseError(
            f"Langfuse at {host} has no {path} (HTTP 404{': ' + detail if detail else ''}): "
            "ccotel analyze needs Langfuse v4 (a v3 server only serves the v1 APIs)"
        )
    return LangfuseError(
        f"Langfuse at {host} answered {path} with HTTP {error.code}{': ' + str(detail)[:200] if detail else ''}"
    )


@dataclass
class Fetched:
    observations: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    duplicates: int = 0
    version: str = ""
    server_totals: list[dict[str, Any]] | None = None
    server_totals_error: str = ""


def check_version(client: LangfuseClient) -> str:
    health = client.get("/api/public/health")
    version = str(health.get("version", "")) if isinstance(health, dict) else ""
    major = version.lstrip("v").split(".", 1)[0]
    if major.isdigit() and int(major) < 4:
        raise LangfuseError(
            f"Langfuse at {client.host} is version {version}: ccotel analyze needs Langfuse v4 "
            "(it reads the v2 observations API, which v3 does not serve)"
        )
    return version


def fetch_observations(client: LangfuseClient, since: datetime, until: datetime) -> Fetched:
    """Every observation started in [since, until), de-duplicated by id (the first copy wins)."""
    fetched = Fetched(version=check_version(client))
    seen: set[str] = set()
    cursors: set[str] = set()
    cursor: str | None = None
    while fetched.pages < MAX_PAGES:
        params = {
            "fields": FIELDS,
            "limit": str(PAGE_SIZE),
            "fromStartTime": _iso(since),
            "toStartTime": _iso(until),
        }
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/public/v2/observations", params)
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise LangfuseError(f"Langfuse at {client.host}: unexpected observations page (no data list)")
        fetched.pages += 1
        for observation in page["data"]:
            identifier = observation.get("id") if isinstance(observation, dict) else None
            if not isinstance(identifier, str) or not identifier:
                continue
            if identifier in seen:
                fetched.duplicates += 1
                continue
            seen.add(identifier)
            fetched.observations.append(observation)
        raw_meta = page.get("meta")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        cursor = meta.get("cursor") or None
        if not cursor:
            break
        if cursor in cursors:
            raise LangfuseError(f"Langfuse at {client.host} repeated a pagination cursor; stopping")
        cursors.add(cursor)
    try:
        fetched.server_totals = model_totals(client, since, until)
    except LangfuseError as error:
        fetched.server_totals_error = str(error)
    return fetched


def model_totals(client: LangfuseClient, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Server-side sums per model over GENERATION observations (metrics v2; not de-duplicated)."""
    query = {
        "view": "observations",
        "dimensions": [{"field": "providedModelName"}],
        "metrics": [
            {"measure": "count", "aggregation": "count"},
            {"measure": "totalCost", "aggregation": "sum"},
            {"measure": "inputTokens", "aggregation": "sum"},
            {"measure": "outputTokens", "aggregation": "sum"},
        ],
        "filters": [{"column": "type", "operator": "=", "value": "GENERATION", "type": "string"}],
        "fromTimestamp": _iso(since),
        "toTimestamp": _iso(until),
    }
    answer = client.get("/api/public/v2/metrics", {"query": json.dumps(query)})
    rows = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(rows, list):
        raise LangfuseError(f"Langfuse at {client.host}: unexpected metrics answer (no data list)")
    return [
        {
            "model": row.get("providedModelName"),
            "calls": row.get("count_count"),
            "cost_usd": row.get("sum_totalCost"),
            "input_tokens": row.get("sum_inputTokens"),
            "output_tokens": row.get("sum_outputTokens"),
        }
        for row in rows
        if isinstance(row, dict)
    ]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
