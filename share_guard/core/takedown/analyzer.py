"""The takedown check as an ``inspect`` analyzer: a match is a finding of its own."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from share_guard.core.containers import Source
from share_guard.core.errors import ShareGuardError
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import Category, Finding, Report, Severity, TakedownVerdict
from share_guard.core.takedown.location import default_path

if TYPE_CHECKING:  # the matcher loads numpy, the store SQLite: only where a list is checked
    from share_guard.core.takedown.match import Match, Matcher
    from share_guard.core.takedown.store import TakedownStore

_MATCH_TEXT = N_(
    "This file looks like an item on the takedown list (hash type {type}, distance {dist}). "
    "A hash match is strong evidence, not proof: check the entry's label, source and date."
)
_POSSIBLE_TEXT = N_(
    "This file resembles an item on the takedown list (hash type {type}, distance {dist}), "
    "but not closely enough to be sure. Look at it before sharing."
)


def match_finding(m: Match) -> Finding:
    """A report finding for one match (never removable by cleaning metadata)."""
    e = m.entry
    detail: dict[str, Any] = {
        "match": TakedownVerdict(m.strength),
        "hash_type": m.hash_type.value,
        "distance": m.distance,
        "how": m.how,
        "entry_id": e.id,
        "list": e.list,
        "label": e.label,
        "source": e.source,
        "added": e.added,
    }
    text = _MATCH_TEXT if m.is_match else _POSSIBLE_TEXT
    return Finding(
        category=Category.TAKEDOWN,
        where=f"takedown list '{e.list}'",
        name=N_("Takedown-list match") if m.is_match else N_("Possible takedown-list match"),
        value=e.label or f"entry {e.id}",
        explanation=message(text, type=m.hash_type.value, dist=m.distance),
        identifying=True,
        removable=False,
        severity=Severity.CRITICAL if m.is_match else Severity.HIGH,
        detail=detail,
    )


_matchers: dict[str, Matcher] = {}


def _store_errors() -> tuple[type[Exception], ...]:
    """SQLite's errors, once a store has loaded it (none can happen before: a check with no
    list does not load SQLite)."""
    sqlite3 = sys.modules.get("sqlite3")
    return (sqlite3.Error,) if sqlite3 is not None else ()


def check_file_at(list_path: str, path: str | os.PathLike[str]) -> list[Match]:
    """Every match of ``path`` on the list stored at ``list_path``: plain arguments, so a
    runner's sandbox worker can do it (it keeps the matcher for the next file)."""
    matcher = _matchers.get(list_path)
    if matcher is None:
        from share_guard.core.takedown.match import Matcher
        from share_guard.core.takedown.store import TakedownStore

        matcher = _matchers[list_path] = Matcher(TakedownStore(list_path))
    return matcher.check_file(path)


class TakedownAnalyzer:
    """Checks each inspected file against the local takedown list.

    Opening is cheap: the database is opened on first use and the matching
    index is mapped (or built, once per list change) only when a file needs it;
    an empty list costs a few index lookups per file.

    Sent to sandboxed workers by pickling: the sending process first makes sure
    the index files are current (building them there, outside the workers'
    memory cap), and the copy carries only the database path, so each worker
    maps the same files read-only instead of reading the list.
    """

    name = "takedown"

    def __init__(
        self,
        store: TakedownStore | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        name: str = "takedown",
    ) -> None:
        self.name = name  # as listed in Report.checked (a second list needs its own)
        self._store = store
        self._path = path
        self._data_dir = data_dir
        self._matcher: Matcher | None = None

    @property
    def matcher(self) -> Matcher | None:
        """The matcher, or None when no takedown list was ever created (nothing to match)."""
        if self._matcher is None:
            store = self._store
            if store is None:
                path = self._path or default_path(self._data_dir)
                if not os.path.exists(path):
                    return None
                from share_guard.core.takedown.store import TakedownStore

                store = TakedownStore(path)
            from share_guard.core.takedown.match import Matcher

            self._matcher = Matcher(store)
        return self._matcher

    def _db_path(self) -> Path:
        if self._store is not None:
            return self._store.path
        return Path(self._path) if self._path is not None else default_path(self._data_dir)

    def prepare(self) -> None:
        """Build or refresh the index files the list needs (once per list change)."""
        try:
            matcher = self.matcher
            if matcher is not None:
                matcher.warm()
        except (ShareGuardError, OSError):
            pass  # a worker will try again, and report a failure for the file it checks
        except Exception as exc:  # SQLite's errors likewise
            if not isinstance(exc, _store_errors()):
                raise

    def ready(self, kind: str) -> None:
        """Open the list and map its indexes now (``engine.deferred.get_ready``: a worker
        getting ready for the app's first file); nothing without a list."""
        del kind
        self.prepare()

    def __getstate__(self) -> dict[str, Any]:
        self.prepare()
        return {"_store": None, "_path": os.fspath(self._db_path()), "_data_dir": None,
                "_matcher": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def analyze(
        self, src: Source, report: Report, progress: ProgressFn, cancel: CancelToken | None
    ) -> Iterable[Finding]:
        kind = report.kind if report.kind in ("image", "video") else None
        matcher = self.matcher
        if matcher is None:
            return []
        try:
            matches = matcher.check_file(src.path, kind, progress=progress, cancel=cancel)
        except ShareGuardError:
            raise
        except (OSError, ValueError) as exc:
            raise ShareGuardError(message(N_("could not hash the file: {exc}"), exc=exc))
        return [match_finding(m) for m in matches]
