"""Housekeeping of the detection cache: stale entries go, without walking the folder for
every session (each CLI call is one)."""

from __future__ import annotations

import os
import time

from share_guard.core.analysis import detect_cache


def _entry(name: str, age: float) -> str:
    folder = detect_cache.cache_dir() / "detections"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("{}")
    then = time.time() - age
    os.utime(path, (then, then))
    return str(path)


def test_a_new_session_purges_stale_entries_at_most_every_few_minutes(monkeypatch):
    stale = _entry("a" * 64 + ".json", detect_cache.STALE_SECONDS + 60)
    fresh = _entry("b" * 64 + ".json", 60)
    monkeypatch.setenv(detect_cache.SESSION_ENV, "")
    detect_cache.ensure_session_key()  # a new session
    assert not os.path.exists(stale) and os.path.exists(fresh)

    walks: list[float] = []
    monkeypatch.setattr(detect_cache, "purge", lambda older_than=0.0: walks.append(older_than))
    monkeypatch.setenv(detect_cache.SESSION_ENV, "")
    detect_cache.ensure_session_key()  # another session a moment later: no walk
    assert walks == []

    marker = detect_cache.cache_dir() / "detections" / detect_cache._PURGED
    then = time.time() - detect_cache.PURGE_EVERY - 1
    os.utime(marker, (then, then))
    monkeypatch.setenv(detect_cache.SESSION_ENV, "")
    detect_cache.ensure_session_key()  # long enough after: walked again
    assert walks == [detect_cache.STALE_SECONDS]


def test_purging_everything_keeps_the_marker_out_of_the_count():
    _entry("c" * 64 + ".json", 10)
    (detect_cache.cache_dir() / "detections" / detect_cache._PURGED).touch()
    assert detect_cache.purge() == 1  # the entry, not the marker
