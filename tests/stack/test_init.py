"""`ccotel init`: .env from .env.example with fresh, well-formed secrets; mode 0600; --force semantics.

The rendering is checked as a pure function with a scripted byte source, and the command as a real
process (exit codes and messages as a person sees them).
"""

from __future__ import annotations

import re
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from ccotel.commands._envfile import GENERATORS, marked_variables, parse_env, render_env
from ccotel.errors import CcotelError

TEMPLATE = (REPO / ".env.example").read_text(encoding="utf-8")
EXPECTED_KINDS = {
    "LANGFUSE_ENCRYPTION_KEY": "hex32", "LANGFUSE_SALT": "secret", "LANGFUSE_NEXTAUTH_SECRET": "secret",
    "LANGFUSE_INIT_PROJECT_PUBLIC_KEY": "pk-lf", "LANGFUSE_INIT_PROJECT_SECRET_KEY": "sk-lf",
    "LANGFUSE_INIT_USER_PASSWORD": "password", "POSTGRES_PASSWORD": "password", "CLICKHOUSE_PASSWORD": "password",
    "REDIS_PASSWORD": "password", "MINIO_ROOT_PASSWORD": "password", "GRAFANA_ADMIN_PASSWORD": "password",
}
FORMATS = {
    "hex32": re.compile(r"[0-9a-f]{64}"),
    "secret": re.compile(r"[A-Za-z0-9_-]{43}"),
    "password": re.compile(r"[A-Za-z0-9]{24}"),
    "pk-lf": re.compile(r"pk-lf-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    "sk-lf": re.compile(r"sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
}


def ccotel(*arguments: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ccotel.commands", *arguments], capture_output=True, text=True,
                          cwd=cwd, check=False)


def read_env(path: Path) -> dict[str, str]:
    """NAME=value lines, read without ccotel's own parser."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            pairs[name] = value
    return pairs


def counting_bytes() -> Iterator[int]:
    value = 0
    while True:
        yield value % 256
        value += 7


def scripted(source: Iterator[int]) -> Callable[[int], bytes]:
    """A token_bytes stand-in that hands out the given byte values in order."""
    return lambda count: bytes(next(source) for _ in range(count))


def test_the_template_marks_exactly_the_secrets() -> None:
    assert marked_variables(TEMPLATE) == EXPECTED_KINDS


def test_render_fills_marked_lines_and_keeps_every_other_line() -> None:
    rendered = render_env(TEMPLATE, scripted(counting_bytes()))
    assert sorted(rendered.generated) == sorted(EXPECTED_KINDS)
    template_lines, output_lines = TEMPLATE.splitlines(), rendered.text.splitlines()
    assert len(template_lines) == len(output_lines)
    for before, after in zip(template_lines, output_lines, strict=True):
        name = before.split("=", 1)[0]
        if name in EXPECTED_KINDS:
            value = after.split("=", 1)[1]
            assert FORMATS[EXPECTED_KINDS[name]].fullmatch(value), f"{name}={value}"
        else:
            assert before == after


def test_hex32_is_the_bytes_in_hex() -> None:
    assert GENERATORS["hex32"](lambda count: bytes(range(count))) == bytes(range(32)).hex()


def test_password_rejects_biased_bytes() -> None:
    # 62 symbols: bytes >= 248 (= 4 * 62) would favour the first symbols, so they are skipped.
    source = iter([255, 250, 248] + [0] * 21 + [61] * 24)
    password = GENERATORS["password"](lambda count: bytes(next(source) for _ in range(count)))
    assert password == "a" * 21 + "9" * 3


@given(st.binary(min_size=16, max_size=16))
def test_langfuse_keys_are_version_4_uuids(raw: bytes) -> None:
    key = GENERATORS["pk-lf"](lambda count: raw[:count])
    parsed = uuid.UUID(key.removeprefix("pk-lf-"))
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


@pytest.mark.parametrize(("template", "message"), [
    ("# generate: hex64\nKEY=\n", r"x:1: unknown `# generate:` kind 'hex64'"),
    ("# generate: hex32\nKEY=already\n", r"x:2: KEY is marked `# generate: hex32` but has a value"),
    ("# generate: hex32\n\nKEY=\n", r"x:1: `# generate: hex32` is not followed by NAME="),
    ("A=1\n# generate: password\n", r"x:2: `# generate: password` is not followed by NAME="),
    ("A=1\nA=2\n", r"x:2: A is assigned twice"),
    ("A=1\nthis is not an assignment\n", r"x:2: not a comment nor NAME=value"),
])
def test_template_errors_name_file_and_line(template: str, message: str) -> None:
    with pytest.raises(CcotelError, match=message):
        render_env(template, source="x")


def test_parse_env_reads_what_compose_reads() -> None:
    text = "# c\nA=1\nexport B=two words\nC='quoted # not a comment'\nD=value # comment\nE=\n"
    assert parse_env(text) == {"A": "1", "B": "two words", "C": "quoted # not a comment", "D": "value", "E": ""}


def test_init_writes_a_private_env_with_fresh_values(tmp_path: Path) -> None:
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    for target in (first, second):
        done = ccotel("init", "--env-file", str(target))
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    one, two = read_env(first), read_env(second)
    for name, kind in EXPECTED_KINDS.items():
        assert FORMATS[kind].fullmatch(one[name]), f"{name}={one[name]!r}"
        assert one[name] != two[name], f"{name} is the same in two runs"
    assert len({one[name] for name in EXPECTED_KINDS}) == len(EXPECTED_KINDS)
    assert one["LANGFUSE_PORT"] == "3000" and one["GRAFANA_PORT"] == "3001"
    done = ccotel("init", "--env-file", str(tmp_path / "three.env"))
    assert "http://localhost:3000" in done.stdout and "admin@ccotel.localhost" in done.stdout
    assert "http://localhost:3001" in done.stdout and "user admin" in done.stdout
    assert one["LANGFUSE_INIT_USER_PASSWORD"] not in done.stdout


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    assert ccotel("init", "--env-file", str(target)).returncode == 0
    before = target.read_bytes()
    refused = ccotel("init", "--env-file", str(target))
    assert refused.returncode == 1
    assert refused.stderr.strip() == (f"ccotel init: {target} exists; keeping it "
                                      "(--force writes new secrets, then wipe the volumes)")
    assert target.read_bytes() == before


def test_init_force_replaces_and_keeps_the_file_private(tmp_path: Path) -> None:
    target = tmp_path / "stack" / ".env"
    target.parent.mkdir()
    target.write_text("OLD=1\n", encoding="utf-8")
    target.chmod(0o644)
    done = ccotel("init", "--force", "--env-file", str(target))
    assert done.returncode == 0, done.stderr
    assert "replaced" in done.stdout and "docker compose down -v" in done.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "OLD" not in read_env(target) and set(EXPECTED_KINDS) <= set(read_env(target))
    assert [path.name for path in target.parent.iterdir()] == [".env"], "a temporary file was left behind"


def test_init_finds_the_stack_from_a_subfolder_and_writes_beside_the_compose_file(tmp_path: Path) -> None:
    stack = tmp_path / "checkout"
    (stack / "sub" / "dir").mkdir(parents=True)
    (stack / "docker-compose.yml").write_text("name: ccotel\n", encoding="utf-8")
    (stack / ".env.example").write_text("# generate: hex32\nKEY=\nPLAIN=1\n", encoding="utf-8")
    done = ccotel("init", cwd=stack / "sub" / "dir")
    assert done.returncode == 0, done.stderr
    values = read_env(stack / ".env")
    assert re.fullmatch(r"[0-9a-f]{64}", values["KEY"]) and values["PLAIN"] == "1"


def test_init_reports_a_bad_stack_dir_and_a_bad_template(tmp_path: Path) -> None:
    missing = ccotel("init", "--stack-dir", str(tmp_path), "--env-file", str(tmp_path / ".env"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"ccotel init: {tmp_path} has no ccotel docker-compose.yml and .env.example"
    (tmp_path / "docker-compose.yml").write_text("name: ccotel\n", encoding="utf-8")
    (tmp_path / ".env.example").write_text("# generate: nonsense\nKEY=\n", encoding="utf-8")
    bad = ccotel("init", "--stack-dir", str(tmp_path))
    assert bad.returncode == 1
    assert "unknown `# generate:` kind 'nonsense'" in bad.stderr and ".env.example:1" in bad.stderr
    assert not (tmp_path / ".env").exists()
