"""`ccotel redact`: replace secrets in text on stdin with [REDACTED:<kind>], every other byte unchanged.

    ccotel redact < in.txt > out.txt     redacted text on stdout (exit 0)
    ccotel redact --check < in.txt       one `<kind> <count>` line per kind found, instead of the text;
                                          exit 1 if anything would be redacted, else 0
    ccotel redact --list                 the catalogue: every kind, in the order it is applied
    ccotel redact --render               the generated Alloy module (alloy/modules/redaction.alloy)
    ccotel redact --refresh              regenerate redaction/outside_rules.yaml from the pinned scanners
                                          (betterleaks, kingfisher; pip install -e '.[test]') + what changed

Input is read as bytes, so any encoding and any invalid UTF-8 passes through untouched.
The rules are redaction/rules.yaml; the same rules run in the Alloy pipeline.
"""

from __future__ import annotations

import argparse
import os
import sys

from ccotel.errors import CcotelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "\n".join(__doc__.splitlines()[2:10])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report what would be redacted; exit 1 if anything")
    mode.add_argument("--list", action="store_true", help="list the kinds of secret, in the order applied")
    mode.add_argument("--render", action="store_true", help="print the Alloy module rendered from the catalogue")
    mode.add_argument("--refresh", action="store_true",
                      help="regenerate the rules taken from the secret scanners' rule sets, print what changed")


def run(args: argparse.Namespace) -> int:
    from ccotel.redaction.catalogue import CatalogueError

    try:
        return _run(args)
    except CatalogueError as error:
        raise CcotelError(str(error)) from error
    except BrokenPipeError:  # the reader went away (`ccotel redact --list | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _refresh() -> int:
    from pathlib import Path

    from ccotel.redaction.catalogue import default_path
    from ccotel.redaction.outside import OUTSIDE_FILE, diff_summary, generate_outside_yaml, own_ids, scanner_rules
    from ccotel.redaction.render import REGENERATE_COMMAND

    own = own_ids(Path(default_path()))
    target = Path(default_path()).parent / OUTSIDE_FILE
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    new = generate_outside_yaml(scanner_rules(), own)
    changes = diff_summary(old, new) if old != new else []
    for line in changes:
        print(line)
    if old == new:
        print(f"{target}: up to date")
        return 0
    target.write_text(new, encoding="utf-8")
    print(f"{target}: written ({len(changes)} changes); review the diff, then run {REGENERATE_COMMAND}, "
          "python -m ccotel.redaction.render_hook and tests/redaction/make_corpus.py")
    return 0


def _run(args: argparse.Namespace) -> int:
    from ccotel.redaction.engine import default_redactor

    if args.refresh:
        return _refresh()

    redactor = default_redactor()
    if args.list:
        width = max(len(rule.id) for rule in redactor.catalogue.rules)
        for rule in redactor.catalogue.rules:
            print(f"{rule.id:<{width}}  {rule.description}")
        return 0
    if args.render:
        from ccotel.redaction.render import render_module

        sys.stdout.write(render_module(redactor.catalogue))
        return 0
    data = sys.stdin.buffer.read()
    redacted, counts = redactor.redact_counted(data)
    if args.check:
        for rule_id, count in counts.items():
            print(f"{rule_id} {count}")
        return 1 if counts else 0
    sys.stdout.buffer.write(redacted)
    sys.stdout.buffer.flush()
    return 0
