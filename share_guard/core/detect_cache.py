"""Detections cached per file content (SHA-256) in the data folder.

Scanning a 1-minute video takes tens of seconds; the GUI re-inspects the same
file when the person toggles boxes or exports. The cache holds only boxes,
scores and times (never pixels) and is keyed by the file's hash plus the
detector version, so a changed file or model is scanned again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from share_guard.core.paths import cache_dir
from share_guard.core.report import Region

#: bump when thresholds, tiling or tracking change what a scan returns
VERSION = "2"
MAX_CACHE_BYTES = 8 * 1024 * 1024
_CHUNK = 1 << 20


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


def _path(digest: str, kind: str) -> Path:
    if not all(c in "0123456789abcdef" for c in digest) or len(digest) != 64:
        raise ValueError("not a SHA-256 hex digest")
    if not kind.replace("-", "").isalnum():
        raise ValueError("bad cache kind")
    return cache_dir() / "detections" / f"{digest}.{kind}.json"


def load(digest: str, kind: str, key: str = "") -> Any | None:
    """The payload stored for ``digest``/``kind`` under the same ``key``, else None."""
    path = _path(digest, kind)
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
    path = _path(digest, kind)
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
