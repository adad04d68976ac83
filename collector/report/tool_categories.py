"""The tool category table (tool_categories.yaml), validated on load; errors name the file and the key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATEGORY_FILE = Path(__file__).with_name("tool_categories.yaml")
OTHER = "other"


class CategoryTableError(ValueError):
    """The category table is malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    tools: frozenset[str]
    prefixes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ToolCategories:
    categories: tuple[Category, ...]
    file_reads: frozenset[str]
    file_edits: frozenset[str]

    def category_of(self, tool_name: str) -> str:
        for category in self.categories:
            if tool_name in category.tools or tool_name.startswith(category.prefixes):
                return category.name
        return OTHER

    @property
    def names(self) -> tuple[str, ...]:
        return (*(category.name for category in self.categories), OTHER)


def _string_list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise CategoryTableError(f"{where}: expected a list of non-empty strings")
    return value


def parse_categories(document: object, source: str) -> ToolCategories:
    if not isinstance(document, dict):
        raise CategoryTableError(f"{source}: expected a mapping at the top level")
    unknown = set(document) - {"categories", "file_reads", "file_edits"}
    if unknown:
        raise CategoryTableError(f"{source}: unknown key {sorted(unknown)[0]!r}")
    raw_categories = document.get("categories")
    if not isinstance(raw_categories, list) or not raw_categories:
        raise CategoryTableError(f"{source}: categories: expected a non-empty list")
    categories: list[Category] = []
    for index, raw in enumerate(raw_categories):
        where = f"{source}: categories[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
            raise CategoryTableError(f"{where}.name: expected a non-empty string")
        extra = set(raw) - {"name", "tools", "prefixes"}
        if extra:
            raise CategoryTableError(f"{where}: unknown key {sorted(extra)[0]!r}")
        if raw["name"] == OTHER or any(category.name == raw["name"] for category in categories):
            raise CategoryTableError(f"{where}.name: {raw['name']!r} is reserved or used twice")
        tools = _string_list(raw.get("tools"), f"{where}.tools")
        prefixes = _string_list(raw.get("prefixes"), f"{where}.prefixes")
        if not tools and not prefixes:
            raise CategoryTableError(f"{where}: needs tools or prefixes")
        categories.append(Category(raw["name"], frozenset(tools), tuple(prefixes)))
    return ToolCategories(
        tuple(categories),
        frozenset(_string_list(document.get("file_reads"), f"{source}: file_reads")),
        frozenset(_string_list(document.get("file_edits"), f"{source}: file_edits")),
    )


@lru_cache(maxsize=1)
def load_tool_categories(path: Path = CATEGORY_FILE) -> ToolCategories:
    import yaml  # here, not above: a report answered from its store does not parse YAML

    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as error:
        raise CategoryTableError(f"{path}: {error}") from error
    return parse_categories(document, str(path))
