"""One error taxonomy for the command line: every expected failure is a CcotelError.

The CLI turns it into one readable line on stderr and a non-zero exit code; the hook
never lets it (or anything else) escape.
"""

from __future__ import annotations


class CcotelError(Exception):
    """An expected failure with a message meant for a person. exit_code is what the CLI returns."""

    exit_code = 1
