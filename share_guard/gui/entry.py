"""A file in the window's list and a batch export under way (plain data, no work)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from PySide6.QtGui import QImage

from share_guard.core.engine.verdict import Assessment
from share_guard.core.export.pipeline import ExportResult
from share_guard.core.report import FileKind, Report
from share_guard.gui.redaction import Redaction
from share_guard.gui.workers import ConsentBridge, Job, ParentBridge

_ids = itertools.count(1)


class RowState(StrEnum):
    """Where a file in the list is: being checked, checked, or being saved."""

    WAITING = "waiting"  # in the queue
    CHECKING = "checking"  # its metadata is being read
    SCANNING = "scanning"  # metadata shown; faces and codes still being looked for
    CHECKED = "checked"
    CANCELLED = "cancelled"  # checking was stopped
    FAILED = "failed"  # the check itself failed (a worker error)
    EXPORTING = "exporting"

    @property
    def busy(self) -> bool:
        return self in (RowState.WAITING, RowState.CHECKING, RowState.SCANNING, RowState.EXPORTING)

    @property
    def stoppable(self) -> bool:
        """A check under way, which the row's stop button cancels."""
        return self in (RowState.WAITING, RowState.CHECKING, RowState.SCANNING)


@dataclass(eq=False)
class Entry:
    """One file in the list."""

    path: Path
    id: int = field(default_factory=lambda: next(_ids))
    state: RowState = RowState.WAITING
    report: Report | None = None
    #: the core's verdict on ``report`` (what the buttons and the banner show)
    assessment: Assessment | None = None
    thumbnail: QImage | None = None
    progress: float = 0.0
    step: str = ""
    message: str = ""  # failure reason (worker error)
    #: a neutral word about the last export ("Not saved: you cancelled"); findings stay
    note: str = ""
    result: ExportResult | None = None
    job: Job | None = None
    #: what the clean copy covers in the picture (checked photos and videos)
    redaction: Redaction | None = None
    #: the clean copy of this video leaves the sound out (voices identify people)
    remove_sound: bool = False

    def __post_init__(self) -> None:
        self.state = RowState(self.state)

    @property
    def busy(self) -> bool:
        return self.state.busy

    @property
    def kind(self) -> FileKind | None:
        return self.report.kind if self.report is not None else None

    @property
    def saveable(self) -> bool:
        """Checked, and the core's verdict does not block it outright."""
        return (self.state is RowState.CHECKED and self.assessment is not None
                and not self.assessment.blocked)


@dataclass
class ExportRun:
    """One batch export under way."""

    entries: list[Entry]
    job: Job
    bridge: ConsentBridge
    parent: ParentBridge | None = None  # asks for the parent passphrase (family policy)
