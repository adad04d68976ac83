"""`ccotel redact` as a real process: secrets replaced, every other byte unchanged, exit codes.

The input is ~1 MB: the secret-free corpus, text in Latin-1 and other invalid UTF-8, and every
catalogue example on a line of its own. The expected output is built from the same pieces with each
example replaced by the `redacted` text written by hand in the catalogue, and compared byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

from ccotel.redaction.catalogue import default_catalogue
from ccotel.redaction.render import module_path

CORPUS = FIXTURES / "redaction" / "corpus"
INVALID_UTF8 = [
    b"caf\xe9 cr\xe8me (latin-1)\n",
    b"\xff\xfe\x00h\x00i\n",  # a UTF-16 byte order mark and NULs
    b"lone continuation \x80\xbf and truncated \xe2\x82 and overlong \xc0\xaf\n",
    b"surrogate half \xed\xa0\x80 then UTF-8 \xe2\x86\x92 ok\n",
]


def _ccotel(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ccotel.commands", "redact", *args], input=stdin, capture_output=True, timeout=120
    )


def _mixed_input() -> tuple[bytes, bytes]:
    benign = [p.read_bytes() for p in sorted(CORPUS.iterdir()) if p.name != "url-docs.md"]
    examples = [e for rule in default_catalogue().rules for e in rule.examples if e.redacted is not None]
    source, expected = [], []
    for round_number in range(7):
        for index, chunk in enumerate(benign):
            source.append(chunk)
            expected.append(chunk)
            junk = INVALID_UTF8[(index + round_number) % len(INVALID_UTF8)]
            example = examples[(index + round_number * len(benign)) % len(examples)]
            source += [junk, b"\n", example.text.encode(), b"\n"]
            expected += [junk, b"\n", example.redacted.encode(), b"\n"]  # type: ignore[union-attr]
    for example in examples:  # every example at least once
        source += [b"\n", example.text.encode(), b"\n"]
        expected += [b"\n", example.redacted.encode(), b"\n"]  # type: ignore[union-attr]
    return b"".join(source), b"".join(expected)


def test_secrets_replaced_and_every_other_byte_unchanged() -> None:
    source, expected = _mixed_input()
    assert len(source) > 1_000_000
    for junk in INVALID_UTF8:
        assert junk in source
    result = _ccotel([], source)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert result.stdout == expected


def test_text_without_secrets_comes_back_identical() -> None:
    data = b"".join(p.read_bytes() for p in sorted(CORPUS.iterdir()) if p.name != "url-docs.md")
    data += b"".join(INVALID_UTF8) + b"no newline at the end \xff"
    result = _ccotel([], data)
    assert (result.returncode, result.stdout) == (0, data)
    assert _ccotel([], b"").stdout == b""


def test_check_exit_codes() -> None:
    clean = (CORPUS / "python_module.py").read_bytes()
    result = _ccotel(["--check"], clean)
    assert (result.returncode, result.stdout) == (0, b"")
    ghp = b"ghp_jgez1ZZtAK6U6XrNsl5PTApdj7tJ2gGcLF"
    secrets = b"x " + ghp + b"pC\nAKIAQ3EXAMPLELRWFVEA \xff " + ghp + b"pD\n"
    result = _ccotel(["--check"], secrets)
    assert result.returncode == 1
    assert result.stdout.decode().splitlines() == ["aws-access-key-id 1", "github-pat 2"]


def test_list_render_and_usage_errors() -> None:
    listed = _ccotel(["--list"], b"")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.decode().splitlines()] == [
        rule.id for rule in default_catalogue().rules
    ]
    rendered = _ccotel(["--render"], b"")
    assert (rendered.returncode, rendered.stdout) == (0, Path(module_path()).read_bytes())
    wrong = _ccotel(["--check", "--list"], b"")
    assert wrong.returncode == 2 and b"not allowed with" in wrong.stderr
