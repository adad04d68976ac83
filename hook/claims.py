"""Cross-session claims on turns: a turn is exported by the first session that commits it, never twice.

Claude Code's `--fork-session` and `/branch` (and, in older versions, `--resume` / `-c`) start a NEW session
id and file holding a copy of the earlier transcript: the same line uuids, the same message.id/requestId.
Without a check the hook would export every copied turn again under the new session's trace ids, and
Langfuse/Prometheus would count its tokens and cost twice.

    <state dir>/claims/<first 2 chars>/<prompt uuid>  ->  <session key>    (0700 dirs; symlinks)

A claim is a symbolic link whose target is the claiming session's key: symlink() fails when the name
exists, so it is atomic across processes with no global lock, one system call for a new turn (usually one
per hook run), and the owner is written in the same step (a crash cannot leave a claim without its owner).
A short target lives in the inode itself, so a claim costs no data block (a regular file costs 4 KiB).

The session's commit step (ccotel.hook.ingest) claims the prompt uuid of each root span before it writes
the batch; a claim that another session holds marks the turn as a copy, and every span of its trace is
left out. Claims are not fsync'd: one lost to a power cut costs at most a duplicate later, never a turn.
Any OSError is the caller's to log and ignore (fail-open).
"""

from __future__ import annotations

import os

from ccotel.hook.state import ensure_private_dir, session_key

KEEP_COPIED_TRACES = 64  # trace ids (hex) of skipped copies kept in a session's checkpoint


def claim_path(claims_dir: str, prompt_uuid: str) -> str:
    """claims/<shard>/<name>: the uuid itself when it is file-name safe (else a hash of it), sharded by 2 chars."""
    name = session_key(prompt_uuid)
    shard = name[2:4] if name.startswith("h-") else name[:2]
    return os.path.join(claims_dir, shard, name)


def claim(claims_dir: str, prompt_uuid: str, key: str) -> str | None:
    """Claim the turn for session `key`. Returns the key of the session that claimed it first when that is
    ANOTHER session (the turn is a copy), else None (claimed now, or by this session in an earlier run).

    Raises OSError when the registry cannot be used (the caller logs it and exports the turn anyway).
    """
    path = claim_path(claims_dir, prompt_uuid)
    try:
        try:
            os.symlink(key, path)
        except FileNotFoundError:  # the first claim in this shard
            ensure_private_dir(claims_dir)
            ensure_private_dir(os.path.dirname(path))
            os.symlink(key, path)
    except FileExistsError:
        owner = os.readlink(path)
        return owner if owner != key else None
    return None
