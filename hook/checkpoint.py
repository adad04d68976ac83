"""A session's checkpoint as bytes and back: one JSON object, with the mapping's long lists written last.

The mapping remembers up to ~4,000 closed prompts and ~20,000 emitted-call keys (ccotel.hook._emission): on a
long session that is most of a ~440 KB checkpoint written after every Claude response. Between trims those
lists only grow at their end, so a codec that read or wrote them re-encodes only what a run added to them and
splices it onto the text it already has. The file stays one JSON object:

    {"v":2, ...everything else..., "memory_bytes":[n1,n2,n3], "memory":{"closed":[…],"chats":[…],"tools":[…]}}

the three lists last, their byte lengths before them, so a reader finds their texts from the file's end.
Version 1 (the lists inside "mapper") is read as well, and written again as version 2.
"""

from __future__ import annotations

import json

from ccotel.hook._plain import Plain
from ccotel.hook._typing import Any

STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)
MEMORY = ("closed", "chats", "tools")  # the mapper state's lists that only grow at their end between trims
_END = b"}}"


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def _label(name: str) -> bytes:
    return (b'"memory":{"' if name == MEMORY[0] else b',"') + name.encode() + b'":'


class _Text(Plain):
    """The JSON text of a list as it was when written or read: its object, its length and last item then."""

    __slots__ = ("items", "last", "length", "text")

    def __init__(self, items: list[Any], text: bytes) -> None:
        self.items, self.length, self.text = items, len(items), text
        self.last = items[-1] if items else None

    def extended_to(self, items: list[Any]) -> bytes | None:
        """The text of `items` if it is this list with items appended since (else None: encode it anew)."""
        seen = self.length
        if items is not self.items or len(items) < seen or (seen and items[seen - 1] is not self.last):
            return None  # another list, or items before the old end were removed (a trim)
        if len(items) == seen:
            return self.text
        return dumps(items) if not seen else self.text[:-1] + b"," + dumps(items[seen:])[1:]


class CheckpointCodec:
    """Decodes and encodes one session's checkpoint, keeping the long lists' texts in between."""

    def __init__(self) -> None:
        self._texts: dict[str, _Text] = {}

    def decode(self, raw: bytes) -> dict[str, Any]:
        """The checkpoint object, its lists back inside "mapper". ValueError if it is not one."""
        state = json.loads(raw)
        if not isinstance(state, dict) or state.get("v") not in READABLE_VERSIONS:
            raise ValueError(f"not a ccotel state object of version {' or '.join(map(str, READABLE_VERSIONS))}")
        memory, sizes = state.pop("memory", None), state.pop("memory_bytes", None)
        mapper = state.get("mapper")
        self._texts = {}
        if isinstance(memory, dict) and isinstance(mapper, dict):
            mapper.update(memory)
            self._texts = _texts_at_end(raw, memory, sizes)
        state["v"] = STATE_VERSION
        return state

    def encode(self, state: dict[str, Any]) -> bytes:
        mapper = state.get("mapper")
        if not isinstance(mapper, dict) or not all(isinstance(mapper.get(name), list) for name in MEMORY):
            self._texts = {}
            return dumps(state)
        head = dumps({**state, "mapper": {key: value for key, value in mapper.items() if key not in MEMORY}})
        texts: list[bytes] = []
        for name in MEMORY:
            known = self._texts.get(name)
            text = known.extended_to(mapper[name]) if known is not None else None
            text = dumps(mapper[name]) if text is None else text
            self._texts[name] = _Text(mapper[name], text)
            texts.append(text)
        sizes = b",".join(str(len(text)).encode() for text in texts)
        return b"".join([head[:-1], b',"memory_bytes":[', sizes, b"],",
                         *(_label(name) + text for name, text in zip(MEMORY, texts, strict=True)), _END])


def _texts_at_end(raw: bytes, memory: dict[str, Any], sizes: Any) -> dict[str, _Text]:
    """The lists' texts, found from the end of the file by their byte lengths; none if the layout is not
    exactly the one encode() writes (then the next encode writes them anew)."""
    if not isinstance(sizes, list) or len(sizes) != len(MEMORY) or not raw.endswith(_END) \
            or not all(isinstance(memory.get(name), list) for name in MEMORY):
        return {}
    end = len(raw) - len(_END)
    found: dict[str, _Text] = {}
    for name, size in zip(reversed(MEMORY), reversed(sizes), strict=True):
        label = _label(name)
        start = end - size if isinstance(size, int) and not isinstance(size, bool) and size >= 2 else -1
        if start < len(label) or raw[start - len(label) : start] != label or raw[start : start + 1] != b"[" \
                or raw[end - 1 : end] != b"]":
            return {}
        found[name] = _Text(memory[name], raw[start:end])
        end = start - len(label)
    return found
