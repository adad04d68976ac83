"""Plain: the base of the hook's small record classes, instead of dataclasses on the hot path.

`dataclasses` costs a hook run ~10 ms to import (it pulls in inspect) plus ~1 ms per class it
generates code for at import time; the hook runs after every Claude response. A Plain subclass lists
its fields in `__slots__` and writes its `__init__` by hand; equality and repr go by those fields, in
order, as a dataclass's do. Records with a dict field are unhashable, like a dataclass with eq.
"""

from __future__ import annotations


class Plain:
    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__name__}({fields})"
