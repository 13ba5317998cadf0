"""Detections cached per file content (SHA-256) in the data folder, for one session.

Scanning a 1-minute video takes tens of seconds; the GUI re-inspects the same
file when the person toggles boxes or exports. The cache holds only boxes,
scores and times (never pixels) and is keyed by the file's hash plus the
detector version, so a changed file or model is scanned again.

A file named by a picture's SHA-256 would be a lasting record that this
picture was checked here (the very hash takedown lists exchange). So entries
are named by an HMAC of that hash under a random key that lives only in the
environment of the running app (inherited by its worker processes): once the
app exits, no entry can be tied to a file, and leftovers are purged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from share_guard.core.paths import cache_dir
from share_guard.core.report import Region

#: bump when thresholds, tiling or tracking change what a scan returns
VERSION = "4"
MAX_CACHE_BYTES = 8 * 1024 * 1024
_CHUNK = 1 << 20
SESSION_ENV = "SHARE_GUARD_SESSION_KEY"
#: entries older than this belong to sessions that are over: removed when a session starts,
#: at most every PURGE_EVERY seconds (each CLI call is a session of its own, and a folder
#: of a thousand entries took 0.14 s to walk)
STALE_SECONDS = 6 * 3600
PURGE_EVERY = 600
_PURGED = ".purged"  # its modification time: when the folder was last walked


def ensure_session_key() -> None:
    """Create this session's key now, in the parent, so every worker process shares it."""
    _session_key()


def _session_key() -> bytes:
    key = os.environ.get(SESSION_ENV, "")
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        key = secrets.token_hex(32)
        os.environ[SESSION_ENV] = key  # worker processes inherit it
        _purge_now_and_then()
    return bytes.fromhex(key)


def _purge_now_and_then() -> None:
    """:func:`purge` stale entries, unless that was done less than PURGE_EVERY ago."""
    marker = cache_dir() / "detections" / _PURGED
    try:
        if time.time() - marker.stat().st_mtime < PURGE_EVERY:
            return
    except OSError:
        pass  # never purged (or no folder yet)
    purge(STALE_SECONDS)
    try:
        marker.touch()
    except OSError:
        return


def purge(older_than: float = 0.0) -> int:
    """Remove cache entries older than ``older_than`` seconds (all with 0). Returns the count."""
    folder = cache_dir() / "detections"
    limit = time.time() - older_than
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.name != _PURGED and entry.is_file() and entry.stat().st_mtime <= limit:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def file_sha256(path: str | os.PathLike[str], cache: dict[str, Any] | None = None) -> str:
    """SHA-256 of the file (memoised in ``cache``, e.g. ``Source.cache``)."""
    if cache is not None and "sha256" in cache:
        return str(cache["sha256"])
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    if cache is not None:
        cache["sha256"] = value
    return value


def entry_path(digest: str, kind: str) -> Path:
    if not all(c in "0123456789abcdef" for c in digest) or len(digest) != 64:
        raise ValueError("not a SHA-256 hex digest")
    if not kind.replace("-", "").isalnum():
        raise ValueError("bad cache kind")
    name = hmac.new(_session_key(), f"{digest}:{kind}".encode(), hashlib.sha256).hexdigest()
    return cache_dir() / "detections" / f"{name}.json"


def load(digest: str, kind: str, key: str = "") -> Any | None:
    """The payload stored for ``digest``/``kind`` under the same ``key``, else None."""
    path = entry_path(digest, kind)
    try:
        if path.stat().st_size > MAX_CACHE_BYTES:
            return None
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION or data.get("key") != key:
        return None
    return data.get("payload")


def store(digest: str, kind: str, payload: Any, key: str = "") -> None:
    """Write the payload atomically; a cache that cannot be written is simply skipped."""
    path = entry_path(digest, kind)
    text = json.dumps({"version": VERSION, "key": key, "payload": payload})
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return


def region_to_json(region: Region) -> dict[str, Any]:
    return {
        "box": region.as_list(), "score": region.score, "label": region.label,
        "shape": region.shape, "t_start": region.t_start, "t_end": region.t_end,
    }


def region_from_json(data: dict[str, Any]) -> Region:
    x, y, w, h = (int(v) for v in data["box"])
    t0, t1 = data.get("t_start"), data.get("t_end")
    return Region(
        x, y, w, h, score=float(data.get("score", 1.0)), label=str(data.get("label", "")),
        shape=str(data.get("shape", "rect")),
        t_start=None if t0 is None else float(t0), t_end=None if t1 is None else float(t1),
    )


T = TypeVar("T")


def memo(path: str | os.PathLike[str], src_cache: dict[str, Any] | None, kind: str, key: str,
         compute: Callable[[], list[T]], dump: Callable[[T], Any], parse: Callable[[Any], T],
         *, use_cache: bool = True) -> list[T]:
    """``compute()``, or what this session stored for the same file, kind and key."""
    digest = file_sha256(path, src_cache)
    if use_cache and (hit := load(digest, kind, key)) is not None:
        try:
            return [parse(item) for item in hit]
        except (KeyError, TypeError, ValueError):
            pass
    items = compute()
    store(digest, kind, [dump(item) for item in items], key)
    return items
