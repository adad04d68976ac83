"""`ccotel prices`, `prices refresh` and `prices render` as real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ccotel.collector.pricing.catalogue import OVERRIDES_FILE, PRICES_FILE, package_file
from ccotel.collector.pricing.render import cost_module_path

CCOTEL = [sys.executable, "-m", "ccotel.commands"]


def ccotel(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CCOTEL, *args], capture_output=True, text=True, timeout=60, check=False)


def test_prices_lists_the_merged_table() -> None:
    result = ccotel("prices", "--at", "2026-03-10")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("prices in force on 2026-03-10")
    opus = next(line.split() for line in lines if line.startswith("claude-opus-4-6 "))
    # in, out, read, 5m, 1h, then the long-context tier in force before 2026-03-13, fast (override), US x1.1
    assert opus[1:8] == ["5", "25", "0.5", "6.25", "10", ">200k:", "10/37.5"]
    assert "30/150" in opus and "x1.1" in opus
    sonnet4 = next(line for line in lines if line.startswith("claude-sonnet-4-0 "))
    assert ">200k: 6/22.5" in sonnet4 and "long_context" in sonnet4  # from price_overrides.yaml
    assert any(line.startswith("claude-mythos-5 ") and "added in overrides" in line for line in lines)


def test_prices_model_shows_the_matching_entry_or_fails_in_one_line() -> None:
    found = ccotel("prices", "--model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert found.returncode == 0
    assert found.stdout.splitlines()[0] == (
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0 -> claude-sonnet-4-5-20250929 -> claude-sonnet-4-5")
    missing = ccotel("prices", "--model", "<synthetic>")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        "ccotel prices: '<synthetic>' (normalised '<synthetic>') matches no price entry: it would be unpriced"]


def test_refresh_rewrites_a_stale_table_and_says_what_changed(tmp_path: Path) -> None:
    committed = package_file(PRICES_FILE).read_text(encoding="utf-8")
    stale = tmp_path / "prices.yaml"
    stale.write_text(committed.replace("cache_write_1h: 1.6}", "cache_write_1h: 1.7}", 1), encoding="utf-8")
    check = ccotel("prices", "refresh", "--output", str(stale), "--check")
    assert check.returncode == 1
    assert "claude-3-5-haiku-latest: prices[0].standard.cache_write_1h: 1.7 -> 1.6" in check.stdout
    assert stale.read_text(encoding="utf-8") != committed  # --check writes nothing
    result = ccotel("prices", "refresh", "--output", str(stale))
    assert result.returncode == 0, result.stderr
    assert "claude-3-5-haiku-latest: prices[0].standard.cache_write_1h: 1.7 -> 1.6" in result.stdout
    assert stale.read_text(encoding="utf-8") == committed
    again = ccotel("prices", "refresh", "--output", str(stale), "--check")
    assert again.returncode == 0 and again.stdout.strip().endswith("up to date")


def test_refresh_reports_an_override_that_upstream_made_redundant(tmp_path: Path) -> None:
    overrides = tmp_path / "price_overrides.yaml"
    text = package_file(OVERRIDES_FILE).read_text(encoding="utf-8")
    overrides.write_text(text.replace("claude-opus-4-7:\n    fast: {input: 30, output: 150, cache_read: 3, "
                                      "cache_write_5m: 37.5, cache_write_1h: 60}",
                                      "claude-opus-4-7:\n    web_search: 10", 1), encoding="utf-8")
    result = ccotel("prices", "refresh", "--output", str(tmp_path / "prices.yaml"), "--overrides", str(overrides))
    assert result.returncode == 1
    assert (tmp_path / "prices.yaml").read_text() == package_file(PRICES_FILE).read_text()  # still written
    assert result.stderr.strip().splitlines() == [
        "ccotel prices: price_overrides.yaml: models.claude-opus-4-7: identical to prices.yaml "
        "(genai-prices has it now): delete this override"]


def test_render_writes_the_module_and_check_detects_staleness(tmp_path: Path) -> None:
    target = tmp_path / "cost.alloy"
    assert ccotel("prices", "render", "--output", str(target), "--check").returncode == 1
    written = ccotel("prices", "render", "--output", str(target))
    assert written.returncode == 0, written.stderr
    assert target.read_text(encoding="utf-8") == cost_module_path().read_text(encoding="utf-8")
    assert ccotel("prices", "render", "--check").returncode == 0  # the committed module is current


def test_broken_prices_file_is_one_readable_line(tmp_path: Path) -> None:
    broken = tmp_path / "prices.yaml"
    broken.write_text("source: {package: genai-prices, version: '0.2.3'}\nmodels: {}\n", encoding="utf-8")
    result = ccotel("prices", "--prices", str(broken))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["ccotel prices: prices.yaml: models: expected a list, got dict"]
