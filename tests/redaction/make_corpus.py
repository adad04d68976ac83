"""Write the secret corpus and its benign look-alikes: tests/fixtures/redaction/{secrets,benign}/*.jsonl.

    .venv/bin/python tests/redaction/make_corpus.py          (deterministic: fixed seeds; needs the scanners)

secrets/corpus.jsonl: one secret per line {kind, context, text, secret}: for each of the project's own rules
its catalogue examples, and for each rule of betterleaks and kingfisher that the catalogue keeps, a token
generated from the rule's pattern set in a realistic context where the scanner's own pattern finds it.
benign/lookalikes.jsonl: {kind, text} texts without secrets that look like them: hashes, git SHAs, UUIDs,
base64, lockfile lines, diffs, digests, ids, placeholders, prose about tokens, transcript rows.
Every token is random from a fixed seed: none is, or was, a real credential.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sys
import uuid
from importlib import util
from pathlib import Path

import re2

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "redaction"


def _helper(name: str):  # type: ignore[no-untyped-def]
    spec = util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec and spec.loader
    module = util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def secret_items() -> list[dict[str, str]]:
    from ccotel.redaction.catalogue import default_catalogue
    from ccotel.redaction.outside import scanner_rules

    strings_for = _helper("regex_strings").strings_for
    contexts = _helper("secret_contexts").contexts
    scanner = {rule.source: rule for rule in scanner_rules()}
    items: list[dict[str, str]] = []
    for index, rule in enumerate(default_catalogue().rules):
        if rule.source == "ccotel":
            items += [{"kind": rule.id, "context": "catalogue-example", "text": e.text, "secret": ""}
                      for e in rule.examples if e.redacted is not None]
            continue
        source = scanner[rule.source]
        regex = re2.compile(source.pattern)
        word = next((w for w in source.keywords if w.isalpha() and len(w) > 2), source.id.split("-")[0])
        placed = 0
        for secret in strings_for(rule.secret, 100 + index, count=3):
            placed_in = sorted(contexts(secret, word).items())
            for context, text in placed_in[index % len(placed_in):] + placed_in[: index % len(placed_in)]:
                found = [m.group(source.secret_group) if source.secret_group else
                         next((g for g in m.groups() if g), m.group(0)) for m in regex.finditer(text)]
                if any(value and (secret in value or value in secret) and len(value) >= 4 for value in found):
                    items.append({"kind": rule.id, "context": context, "text": text, "secret": secret})
                    placed += 1
                    break
            if placed >= 2:
                break
    return items


def _b64(rng: random.Random, size: int) -> str:
    return base64.b64encode(rng.randbytes(size)).decode()


def benign_items(seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    items: list[dict[str, str]] = []

    def add(kind: str, text: str) -> None:
        items.append({"kind": kind, "text": text})

    for n in range(60):
        data = rng.randbytes(32)
        add("md5", f"{hashlib.md5(data).hexdigest()}  dist/app-{n}.tar.gz")
        add("sha1", f"commit {hashlib.sha1(data).hexdigest()}\nAuthor: Dev <dev@example.com>")
        add("sha256", f"sha256:{hashlib.sha256(data).hexdigest()}")
        add("sha512", f'"checksum": "{hashlib.sha512(data).hexdigest()}"')
        add("uuid", f'{{"request_id": "{uuid.UUID(int=rng.getrandbits(128), version=4)}", "status": 200}}')
        add("base64", f"data:image/png;base64,{_b64(rng, 96)}")
        add("npm-integrity", f'"integrity": "sha512-{_b64(rng, 64)}",')
        add("yarn-lock", f'  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.{n}.0.tgz#'
            f'{hashlib.sha1(data).hexdigest()}"')
        digest = hashlib.sha256(data).hexdigest()
        add("poetry-lock", f'    {{file = "pkg-{n}.0-py3-none-any.whl", hash = "sha256:{digest}"}},')
        add("go-sum", f"github.com/example/mod{n} v1.{n}.0 h1:{_b64(rng, 32)}")
        add("cargo-lock", f'checksum = "{hashlib.sha256(data + b"c").hexdigest()}"')
        add("git-diff", f"diff --git a/src/m{n}.py b/src/m{n}.py\nindex {hashlib.sha1(data).hexdigest()[:7]}.."
            f"{hashlib.sha1(data + b'x').hexdigest()[:7]} 100644\n--- a/src/m{n}.py\n+++ b/src/m{n}.py\n"
            f"@@ -1,3 +1,3 @@\n-token_count = {n}\n+token_count = {n + 1}")
        add("docker-digest", f"image: ghcr.io/example/api@sha256:{hashlib.sha256(data + b'd').hexdigest()}")
        add("ulid", f"event_id=01H{''.join(rng.choice('0123456789ABCDEFGHJKMNPQRSTVWXYZ') for _ in range(23))}")
        add("aws-arn", f"arn:aws:iam::{rng.randint(10**11, 10**12 - 1)}:role/deploy-{n}")
        add("k8s-pod", f"pod/api-{hashlib.md5(data).hexdigest()[:10]}-{hashlib.md5(data).hexdigest()[10:15]} Running")
        add("placeholder", rng.choice(["API_KEY=${API_KEY}", "token: <your-token-here>", "password: ****",
                                       "export GITHUB_TOKEN=$GITHUB_TOKEN", "OPENAI_API_KEY=your-api-key",
                                       "secret: {{ .Values.secret }}", "Authorization: Bearer $TOKEN"]))
        add("prose", rng.choice([
            "Rotate the API key every 90 days and store the token in the vault, never in the repository.",
            "The access token expires after one hour; the refresh token lasts thirty days.",
            "Set max_tokens to 4096 and read the password from the keyring.",
            "Use `gh auth token` to print the current token for scripts.",
        ]))
        add("version", f'"jsonwebtoken": "^9.0.{n}", "typescript": "~5.{n % 9}.2"')
        add("color-css", f".btn-{n} {{ color: #{rng.getrandbits(24):06x}; background: #{rng.getrandbits(24):06x}; }}")
        add("transcript", json.dumps({"type": "assistant", "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                                      "message": {"id": f"msg_01{_b64(rng, 16)[:22]}", "usage": {
                                          "input_tokens": rng.randint(1, 9000), "output_tokens": n}}}))
        add("public-key", f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{_b64(rng, 32)[:43]} dev@laptop")
    return items


def main() -> None:
    (FIXTURES / "secrets").mkdir(exist_ok=True)
    (FIXTURES / "benign").mkdir(exist_ok=True)
    for path, items in ((FIXTURES / "secrets" / "corpus.jsonl", secret_items()),
                        (FIXTURES / "benign" / "lookalikes.jsonl", benign_items())):
        path.write_text("".join(json.dumps(item, sort_keys=True) + "\n" for item in items), encoding="utf-8")
        print(f"wrote {path} ({len(items)} items)")


if __name__ == "__main__":
    main()
