"""Local consent records: what the person confirmed at each export (SQLite, data folder).

A log of what was shared must not itself become a leak, so by default a record
holds no file name, path or hash: only when, how consent was given, what was
confirmed, what kinds of things were removed or changed, and which warnings
were shown and gone past. The policy's ``audit`` rule (for newsrooms) adds a
detailed part: source and output paths and the SHA-256 of each clean copy.
Records never leave the machine; the person can list and delete them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from share_guard.core.export.consent import (
    ConsentAnswer,
    ConsentChannel,
    ConsentFlag,
    ConsentRequest,
    statement,
)
from share_guard.core.i18n import N_
from share_guard.core.paths import data_dir as default_data_dir
from share_guard.core.textsafe import display_path, display_text

if TYPE_CHECKING:
    from share_guard.core.export.pipeline import ExportResult

DB_FILE = "consent-records.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    via TEXT NOT NULL,
    confirmed TEXT NOT NULL,
    files INTEGER NOT NULL,
    exported INTEGER NOT NULL,
    removed TEXT NOT NULL,
    changed TEXT NOT NULL,
    warnings_shown TEXT NOT NULL,
    warnings_overridden TEXT NOT NULL,
    parent_approved INTEGER NOT NULL,
    detail TEXT
);
"""

#: plain words for the structured warning flags (no file names in them); stored in English,
#: translated where shown
WARNING_WORDS = {
    ConsentFlag.FACES_UNCOVERED: N_("people could be recognised and were not covered"),
    ConsentFlag.SENSITIVE: N_("may show someone without clothes"),
    ConsentFlag.TAKEDOWN: N_("matched the takedown list"),
}


@dataclass(frozen=True)
class ConsentRecord:
    id: int
    at: str  # ISO 8601, UTC, to the second
    outcome: str  # "exported" | "declined" | "failed"
    via: str  # a ConsentChannel value: "dialog" | "terminal" | "flag" | "none"
    confirmed: tuple[str, ...]  # the statements, in words
    files: int  # how many files consent was asked for
    exported: int  # how many clean copies were written
    removed: tuple[str, ...]  # kinds of things removed: "Location", "When", ...
    changed: tuple[str, ...]  # pixel changes: redaction, rebuild
    warnings_shown: tuple[str, ...]  # "may show someone without clothes", ...
    warnings_overridden: tuple[str, ...]  # shown, and exported anyway
    parent_approved: bool  # a parent's passphrase let a gated file through
    detail: tuple[dict[str, Any], ...] | None = None  # audit only: paths and hashes

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
        return out


class ConsentLog:
    """The records in one data folder."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.path = (data_dir or default_data_dir()) / DB_FILE

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        new = not self.path.exists()
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            if new:
                with contextlib.suppress(OSError):
                    os.chmod(self.path, 0o600)
            conn.execute("PRAGMA secure_delete = ON")  # deleted records are overwritten
            conn.executescript(_SCHEMA)
            with conn:
                yield conn
        finally:
            conn.close()

    def add(self, record: ConsentRecord) -> int:
        row = (record.at, record.outcome, record.via, _j(record.confirmed), record.files,
               record.exported, _j(record.removed), _j(record.changed), _j(record.warnings_shown),
               _j(record.warnings_overridden), int(record.parent_approved),
               _j(record.detail) if record.detail is not None else None)
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO records (at, outcome, via, confirmed, files, exported, removed, changed,"
                " warnings_shown, warnings_overridden, parent_approved, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid or 0)

    def list(self, limit: int | None = None) -> list[ConsentRecord]:
        """Newest first."""
        if not self.path.exists():
            return []
        sql = "SELECT * FROM records ORDER BY id DESC"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with self._db() as db:
            rows = db.execute(sql, params).fetchall()
        return [_from_row(r) for r in rows]

    def delete(self, ids: Sequence[int]) -> int:
        if not ids or not self.path.exists():
            return 0
        with self._db() as db:
            cur = db.executemany("DELETE FROM records WHERE id = ?", [(int(i),) for i in ids])
            count = cur.rowcount
        self._vacuum()
        return count

    def clear(self) -> int:
        if not self.path.exists():
            return 0
        with self._db() as db:
            count = db.execute("DELETE FROM records").rowcount
        self._vacuum()
        return count

    def _vacuum(self) -> None:
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute("VACUUM")  # free pages of deleted records are not left in the file
        finally:
            conn.close()


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _from_row(row: tuple[Any, ...]) -> ConsentRecord:
    (id_, at, outcome, via, confirmed, files, exported, removed, changed, shown, overridden,
     parent, detail) = row
    return ConsentRecord(int(id_), at, outcome, via, tuple(json.loads(confirmed)), int(files),
                         int(exported), tuple(json.loads(removed)), tuple(json.loads(changed)),
                         tuple(json.loads(shown)), tuple(json.loads(overridden)), bool(parent),
                         tuple(json.loads(detail)) if detail is not None else None)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_record(request: ConsentRequest, answer: ConsentAnswer, results: Sequence[ExportResult],
                 *, parent_approved: bool = False, audit: bool = False,
                 removed: Iterable[str] | None = None) -> ConsentRecord:
    """Describe one export for the log. Without ``audit`` nothing names or fingerprints a file.
    ``removed``: the kinds of detail the copies lost, when the results no longer hold the
    reports they were read from (a big batch keeps none)."""
    exported = [r for r in results if r.ok]
    lost: set[str] = set(removed or ())
    changed: list[str] = []
    for r in exported:
        if r.before is not None and removed is None:
            lost.update(f.category.label for f in r.before.leaks())
        changed.extend(display_text(c) for c in r.changed)
    shown = [WARNING_WORDS.get(flag, flag) for item in request.items for flag in item.flags]
    shown_unique = tuple(dict.fromkeys(shown))
    if not answer.granted:
        outcome = "declined"
    elif exported:
        outcome = "exported"
    else:
        outcome = "failed"
    overridden = shown_unique if exported else ()
    detail: tuple[dict[str, Any], ...] | None = None
    if audit:
        detail = tuple(
            {"source": display_path(r.source), "status": r.status,
             "output": display_path(r.output) if r.output else None,
             "sha256": _sha256(r.output) if r.ok and r.output else None,
             "removed": [display_text(x) for x in r.removed], "reason": display_text(r.reason)}
            for r in results)
    return ConsentRecord(
        id=0,
        at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        outcome=outcome,
        via=ConsentChannel(answer.via).value,
        confirmed=tuple(statement(k) for k in answer.confirmed) if answer.granted else (),
        files=len(request.items),
        exported=len(exported),
        removed=tuple(sorted(lost)),
        changed=tuple(dict.fromkeys(changed)),
        warnings_shown=shown_unique,
        warnings_overridden=overridden,
        parent_approved=parent_approved,
        detail=detail,
    )
