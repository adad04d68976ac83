from __future__ import annotations

from ccotel.hook.cli import main

raise SystemExit(main())
