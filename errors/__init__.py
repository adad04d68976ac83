"""ccotel.errors: the one error type every package shares: an expected failure, told to a person in one line."""

# The CLI turns a CcotelError into one readable line on stderr and a non-zero exit code; the hook never lets it
# (or anything else) escape.

from __future__ import annotations


class CcotelError(Exception):
    """An expected failure with a message meant for a person. exit_code is what the CLI returns."""

    exit_code = 1
