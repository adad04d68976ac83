"""sha256 for the hook: the interpreter's built-in implementation, not hashlib's OpenSSL binding.

Loading OpenSSL's libcrypto through hashlib costs every hook run a few milliseconds; the built-in module
gives the same digests (the hook hashes kilobytes, where its lower throughput does not show). hashlib
remains the fallback for an interpreter built without it.
"""

from __future__ import annotations

try:
    from _sha2 import sha256  # Python 3.12+
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha256 import sha256  # Python 3.11
    except ImportError:
        from hashlib import sha256

__all__ = ["sha256"]
