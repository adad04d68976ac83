"""The `ccotel` command line: a table of subcommands, each its own module, imported lazily.

Only the chosen subcommand's module is imported, so `ccotel hook` (run after every
Claude response) pays for nothing else.
"""

from __future__ import annotations

import sys

from ccotel.hook._typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

# name -> (module, one-line help): `hook` is the hook's own entry point, the rest live in ccotel.commands
COMMANDS: dict[str, tuple[str, str]] = {
    "hook": ("ccotel.hook.main", "run as the Claude Code Stop/SubagentStop/SessionEnd hook (payload on stdin)"),
    "install": ("ccotel.commands.install", "register the hook in Claude Code's settings"),
    "uninstall": ("ccotel.commands.uninstall", "remove what `ccotel install` added"),
    "doctor": ("ccotel.commands.doctor", "check the hook, state, spool and the services it sends to"),
    "backfill": ("ccotel.commands.backfill", "send existing transcripts through the same mapping and spool"),
    "report": ("ccotel.commands.report", "usage, spend and analyses from local transcripts (no services needed)"),
    "analyze": ("ccotel.commands.analyze", "the report's analyses from a Langfuse project"),
    "redact": ("ccotel.commands.redact", "replace secrets in text on stdin, every other byte unchanged"),
    "pipeline": ("ccotel.commands.pipeline", "check the Alloy pipeline statically, or translate/run it without Alloy"),
    "prices": ("ccotel.commands.prices", "show or refresh the price table"),
    "init": ("ccotel.commands.init", "write .env with fresh secrets for the local stack"),
    "up": ("ccotel.commands.up", "bring up the stack and install the hook (the local report where Docker is missing)"),
}


def _top_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="ccotel",
        description="Observability for Claude Code.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()),
    )
    parser.add_argument("command", nargs="?", help="one of the commands below")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line. `ccotel hook` (argv None: this process is the hook) ends the process itself when done."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hook"] and not {"-h", "--help"} & set(args[1:]):  # after every Claude response: no argparse
        from ccotel.hook.main import run, run_and_exit

        if argv is None:
            run_and_exit()
        return int(run())
    if not args or args[0] not in COMMANDS:
        parser = _top_parser()
        top = parser.parse_args(args[:1])
        if top.version:
            from importlib.metadata import version

            print(f"ccotel {version('ccotel')}")
            return 0
        if top.command is None:
            parser.print_help()
            return 0
        parser.error(f"unknown command {top.command!r}")
    import argparse
    import importlib

    name, rest = args[0], args[1:]
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"ccotel {name}", description=help_text)
    module.add_arguments(parser)
    parsed = parser.parse_args(rest)
    from ccotel.errors import CcotelError

    try:
        return int(module.run(parsed))
    except CcotelError as error:
        print(f"ccotel {name}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"ccotel {name}: interrupted", file=sys.stderr)
        return 130
