"""`python -m ccotel.commands ...`: the `ccotel` command line without its console script."""

from __future__ import annotations

from ccotel.commands.main import main

raise SystemExit(main())
