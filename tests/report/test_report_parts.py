"""The small pure pieces: the category table's validation, argument and prompt extraction, compaction counting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccotel.collector.report.analytics import count_compactions
from ccotel.collector.report.records import file_path_argument, normalise_prompt, prompt_text
from ccotel.collector.report.tool_categories import CategoryTableError, load_tool_categories, parse_categories
from ccotel.hook.content import truncated_json


def test_shipped_category_table() -> None:
    table = load_tool_categories()
    assert table.category_of("Read") == "read/search"
    assert table.category_of("MultiEdit") == "edit/write"
    assert table.category_of("Bash") == "execute"
    assert table.category_of("WebFetch") == "web"
    assert table.category_of("Agent") == "agent/task" and table.category_of("Task") == "agent/task"
    assert table.category_of("mcp__github__create_issue") == "mcp"
    assert table.category_of("SomethingNew") == "other"
    assert table.names[-1] == "other"
    assert "Read" in table.file_reads and "Write" in table.file_edits


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "t.yaml: expected a mapping at the top level"),
        ({"categories": []}, "t.yaml: categories: expected a non-empty list"),
        ({"categories": [{"tools": ["Read"]}]}, "t.yaml: categories[0].name: expected a non-empty string"),
        ({"categories": [{"name": "x", "tools": "Read"}]}, "t.yaml: categories[0].tools: expected a list"),
        ({"categories": [{"name": "x"}]}, "t.yaml: categories[0]: needs tools or prefixes"),
        ({"categories": [{"name": "other", "tools": ["A"]}]}, "t.yaml: categories[0].name: 'other' is reserved"),
        ({"categories": [{"name": "x", "tools": ["A"], "colour": 1}]}, "t.yaml: categories[0]: unknown key 'colour'"),
        ({"categories": [{"name": "x", "tools": ["A"]}], "file_reads": [1]}, "t.yaml: file_reads: expected a list"),
        ({"categories": [{"name": "x", "tools": ["A"]}], "extra": 1}, "t.yaml: unknown key 'extra'"),
    ],
)
def test_category_table_errors_name_file_and_key(document: object, message: str) -> None:
    with pytest.raises(CategoryTableError) as raised:
        parse_categories(document, "t.yaml")
    assert str(raised.value).startswith(message)


def test_unreadable_category_file(tmp_path: Path) -> None:
    broken = tmp_path / "cats.yaml"
    broken.write_text("categories: [\n", encoding="utf-8")
    with pytest.raises(CategoryTableError, match=str(broken)):
        load_tool_categories.__wrapped__(broken)


def test_file_path_survives_the_content_cut() -> None:
    arguments = {"file_path": "/src/app.py", "old_string": "x" * 5000, "new_string": "y" * 5000}
    cut, original, _ = truncated_json(arguments, 300)
    assert original is not None and len(cut) <= 300
    assert file_path_argument(cut) == "/src/app.py"
    assert file_path_argument(json.dumps({"notebook_path": "/n.ipynb"})) == "/n.ipynb"
    assert file_path_argument('{"file_path": "/a \\"b\\".py", "old_string": "unterminated') == '/a "b".py'
    assert file_path_argument(json.dumps({"command": "ls"})) == ""
    assert file_path_argument("") == "" and file_path_argument("[1, 2]") == ""


def test_prompt_text_and_normalisation() -> None:
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Fix  the BUG, please!"}]}])
    assert prompt_text(messages) == "Fix  the BUG, please!"
    assert normalise_prompt(prompt_text(messages)) == "fix the bug please"
    assert normalise_prompt("  Run ./tests/run.sh --fast  ") == "run ./tests/run.sh --fast"
    assert prompt_text(json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "no"}]}])) == ""
    assert prompt_text("not json at all") == "not json at all"


def test_compactions() -> None:
    assert count_compactions([20_000, 40_000, 9_000, 30_000, 5_000]) == 2
    assert count_compactions([8_000, 1_000]) == 0  # too small to be a compaction
    assert count_compactions([50_000, 30_000]) == 0  # not under half
    # the marked compaction call and the drop right after it are one compaction, not two
    assert count_compactions([100_000, 120_000, 15_000], [False, True, False]) == 1
