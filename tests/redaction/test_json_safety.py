"""Redaction keeps JSON valid: content attributes (gen_ai.input.messages, tool results) are JSON text.

A secret inside a JSON string is replaced without eating the closing quote, a backslash escape or
any structure, also when the secret itself is written with JSON escapes (\\n inside a PEM block,
\\" around a value). Checked on every catalogue example embedded once and twice in JSON, on
hand-written documents, and on random documents (hypothesis).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccotel.redaction.catalogue import default_catalogue
from ccotel.redaction.engine import default_redactor

TEXTS = [example.text for rule in default_catalogue().rules for example in rule.examples] + [
    text for rule in default_catalogue().rules for text in rule.lookalikes
]
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "hYgCfrL1spNxnyVmihA/2O76UMFxFkM/R5Kjp1vRt+1fjORS/6ilI8ihN5KXSc7T\n"
    "vo/hBKqFYY/kv5ZJr3J1TWDtkwtDDb+xHKas1VOqg6YYZYn9ZhyiA4uoRgnatmUd\n"
    "-----END RSA PRIVATE KEY-----\n"
)
GHP = "ghp_jgez1ZZtAK6U6XrNsl5PTApdj7tJ2gGcLFpC"


def redact(text: str) -> str:
    return default_redactor().redact(text)


@pytest.mark.parametrize("text", TEXTS)
def test_redacting_json_text_equals_redacting_the_decoded_text(text: str) -> None:
    once = json.dumps({"role": "user", "content": text}, ensure_ascii=False)
    assert json.loads(redact(once))["content"] == redact(text)
    twice = json.dumps([{"type": "tool_call_response", "response": once}], ensure_ascii=False)
    assert json.loads(json.loads(redact(twice))[0]["response"])["content"] == redact(text)


def test_pem_block_written_with_json_escapes() -> None:
    document = json.dumps({"type": "tool_result", "content": "$ cat id_rsa\n" + PEM + "$ ls\n"})
    assert "\\n-----END RSA PRIVATE KEY-----\\n" in document  # the key really is in escaped form
    decoded = json.loads(redact(document))
    assert decoded == {"type": "tool_result", "content": "$ cat id_rsa\n[REDACTED:private-key]\n$ ls\n"}


def test_values_between_escaped_quotes() -> None:
    inner = json.dumps({"password": "Tr0ub4dor&3", "token": GHP, "url": "https://ada:pw42x@example.com/"})
    document = json.dumps({"content": inner})
    assert '\\"password\\": \\"Tr0ub4dor&3\\"' in document
    decoded = json.loads(json.loads(redact(document))["content"])
    assert decoded == {
        "password": "[REDACTED:secret-assignment-quoted]",
        "token": "[REDACTED:github-pat]",
        "url": "https://ada:[REDACTED:url-password]@example.com/",
    }


def test_secret_after_an_escaped_newline_at_line_start() -> None:
    text = f"line one\n{GHP}\nDB_PASSWORD=hunter2hunter\nAKIAQ3EXAMPLELRWFVEA\n"
    document = json.dumps({"stdout": text})
    assert json.loads(redact(document)) == {
        "stdout": "line one\n[REDACTED:github-pat]\nDB_PASSWORD=[REDACTED:secret-assignment-env]\n"
        "[REDACTED:aws-access-key-id]\n"
    }


def test_a_value_that_ends_in_an_escaped_backslash_keeps_its_quote() -> None:
    document = json.dumps({"content": 'API_KEY=abc123\\ password = "p4ss\\" end'})
    decoded = json.loads(redact(document))
    assert decoded == {
        "content": 'API_KEY=[REDACTED:secret-assignment-env]\\ password = "[REDACTED:secret-assignment-quoted]\\" end'
    }


SECRETS = [example.text for rule in default_catalogue().rules for example in rule.examples]
NOISE = st.text(alphabet=st.sampled_from([*'ab =:"\'\\\n\t{}[],/@-_', "é", "\u2192", "\x00"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NOISE, st.sampled_from(SECRETS)), min_size=1, max_size=4), NOISE)
def test_random_documents_stay_valid_json(pieces: list[tuple[str, str]], tail: str) -> None:
    text = "".join(noise + secret for noise, secret in pieces) + tail
    for document in (json.dumps(text), json.dumps(text, ensure_ascii=False), json.dumps([{"k": text}])):
        json.loads(redact(document))  # raises if redaction broke the structure
    if not any(ord(char) < 32 and char not in "\n\t" for char in text):
        # JSON escapes other control characters as \u00XX, where an unquoted value ends; elsewhere the
        # escaped and the plain text must redact alike
        assert json.loads(redact(json.dumps({"k": text}, ensure_ascii=False)))["k"] == redact(text)
