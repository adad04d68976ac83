"""The team breakdown of `ccotel analyze --langfuse`: the report's usage and analyses per person. Pure.

A session belongs to the Langfuse user id its observations carry (the hook's `user.id`, CCOTEL_USER_ID);
sessions without one are grouped under "(no user)". Each person gets the same sections as the whole
report: totals, cache, models, projects, analyses and tips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ccotel.collector.pricing.table import PriceTable
from ccotel.collector.report.analytics import SessionFacts
from ccotel.collector.report.builder import ReportBuilder
from ccotel.collector.report.records import SpanRecord
from ccotel.collector.report.tips import SessionTipFacts, TipsBuilder
from ccotel.collector.report.tool_categories import ToolCategories

NO_USER = "(no user)"
PERSON_SECTIONS = ("totals", "cache", "models", "projects", "analyses")


def user_of(records: Sequence[SpanRecord]) -> str:
    return next((record.user_id for record in records if record.user_id), NO_USER)


@dataclass
class TeamBuilder:
    categories: ToolCategories
    table: PriceTable
    min_repeats: int = 2
    people: dict[str, tuple[ReportBuilder, TipsBuilder]] = field(default_factory=dict)

    def add(self, user: str, facts: SessionFacts, tip_facts: SessionTipFacts | None) -> None:
        if user not in self.people:
            self.people[user] = (
                ReportBuilder(self.categories, min_repeats=self.min_repeats),
                TipsBuilder(self.table, self.min_repeats),
            )
        report, tips = self.people[user]
        report.add(facts)
        if tip_facts is not None:
            tips.add(tip_facts)

    def build(self) -> list[dict[str, Any]]:
        people = []
        for user, (report, tips) in self.people.items():
            built = report.build({})
            people.append({"user_id": user} | {key: built[key] for key in PERSON_SECTIONS} | {"tips": tips.build()})
        return sorted(people, key=lambda person: (-(person["totals"]["cost_usd"] or 0), person["user_id"]))
