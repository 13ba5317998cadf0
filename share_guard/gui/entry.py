"""A file in the window's list and a batch export under way (plain data, no work)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtGui import QImage

from share_guard.core.export.pipeline import ExportResult
from share_guard.core.report import Report
from share_guard.gui.redaction import Redaction
from share_guard.gui.workers import ConsentBridge, Job, ParentBridge

_ids = itertools.count(1)


@dataclass(eq=False)
class Entry:
    """One file in the list."""

    path: Path
    id: int = field(default_factory=lambda: next(_ids))
    #: waiting | checking | scanning (metadata shown, faces and codes still being looked
    #: for) | checked | cancelled | failed | exporting
    state: str = "waiting"
    report: Report | None = None
    thumbnail: QImage | None = None
    progress: float = 0.0
    step: str = ""
    message: str = ""  # failure reason (worker error)
    result: ExportResult | None = None
    job: Job | None = None
    #: what the safe copy covers in the picture (checked photos and videos)
    redaction: Redaction | None = None

    @property
    def busy(self) -> bool:
        return self.state in ("waiting", "checking", "scanning", "exporting")

    @property
    def kind(self) -> str | None:
        return self.report.kind if self.report is not None else None


@dataclass
class ExportRun:
    """One batch export under way."""

    entries: list[Entry]
    job: Job
    bridge: ConsentBridge
    parent: ParentBridge | None = None  # asks for the parent passphrase (family policy)
