"""Write session scores to Langfuse through its Python SDK (`ccotel analyze --langfuse --write-scores`).

The SDK's scores resource posts a list of scores to POST /api/public/scores; Langfuse answers 202 (all
accepted) or 207 (counts and the rejected ones' messages). Score ids are derived from session and name
(ccotel.collector.report.scores), so a rerun updates the same scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ccotel.errors import CcotelError

BATCH = 100


def write_scores(host: str, public_key: str, secret_key: str, scores: Sequence[dict[str, Any]], timeout: float) -> int:
    """Send the scores in batches; the number written. One readable CcotelError on any failure."""
    try:
        from langfuse.api.client import LangfuseAPI
        from langfuse.api.scores.types import CreateScoreBatchResults, CreateScoreRequest
    except ImportError:
        raise CcotelError(
            "--write-scores needs the langfuse Python SDK 5.2 or later 5.x (pip install 'ccotel[langfuse]')"
        ) from None
    api = LangfuseAPI(
        base_url=host.rstrip("/"),
        username=public_key,
        password=secret_key,
        x_langfuse_sdk_name="ccotel",
        x_langfuse_public_key=public_key,
        timeout=timeout,
    )
    written = 0
    for start in range(0, len(scores), BATCH):
        batch = [
            CreateScoreRequest(
                id=score["id"],
                session_id=score["sessionId"],
                name=score["name"],
                value=score["value"],
                data_type=score["dataType"],
                comment=score["comment"],
            )
            for score in scores[start : start + BATCH]
        ]
        try:
            answer = api.scores.create(request=batch)
        except Exception as error:  # the SDK raises ApiError subclasses and httpx errors
            status = getattr(error, "status_code", None)
            detail = f"HTTP {status}" if status else f"{type(error).__name__}: {error}"
            raise CcotelError(f"writing scores to Langfuse at {host} failed ({detail})") from None
        if isinstance(answer, CreateScoreBatchResults) and answer.rejected:
            first = answer.errors[0].message if answer.errors else "no reason given"
            raise CcotelError(
                f"Langfuse at {host} rejected {answer.rejected} of {len(batch)} scores (first: {first})"
            )
        written += len(batch)
    return written
