"""`python -m ccotel.hook hook`: the hook alone, the form `ccotel install` writes when no `ccotel` script exists."""

from __future__ import annotations

from ccotel.hook.main import run_and_exit

run_and_exit()
