"""Typing names for the hook without importing `typing` at run time (it costs every hook run ~3 ms).

The hook's modules use `from __future__ import annotations`, so their annotations are never evaluated;
only a few module-level aliases (`Record = dict[str, Any]`) are. Type checkers take the `TYPE_CHECKING`
branch and see the real `typing.Any`; at run time `Any` is `object`, which such aliases accept.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
else:
    Any = object

__all__ = ["TYPE_CHECKING", "Any"]
