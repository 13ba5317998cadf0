"""The files open in the window and the work running on them (no widgets here).

A :class:`Session` owns one :class:`Entry` per file, runs inspections, previews
and exports on its own thread pools through the :class:`~share_guard.gui.service.Service`,
and tells the widgets what changed through signals. Widgets observe it; they
never start threads themselves.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from share_guard.core.export.consent import ConsentAnswer
from share_guard.core.family.lock import PolicyState
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import FileKind, Report
from share_guard.gui.entry import Entry, ExportRun, RowState
from share_guard.gui.redaction import Redaction
from share_guard.gui.service import THUMB_SIZE, Preview, Service
from share_guard.gui.session_export import Exporter, exportable
from share_guard.gui.workers import Job

__all__ = ["ADD_BATCH", "Entry", "ExportRun", "RowState", "Session"]

#: files added to the list per turn of the event loop
ADD_BATCH = 20


class Session(QObject):
    added = Signal(object)  # Entry
    changed = Signal(object)  # Entry
    removed = Signal(object)  # Entry
    preview_ready = Signal(object, object, bool)  # Entry, Preview | None, of its clean copy
    #: a video's face tracks arrived (its boxes can follow the faces frame by frame)
    tracks_ready = Signal(object)  # Entry
    #: the engine asks for consent: (request, reply(ConsentAnswer), thumbnails by name)
    consent_needed = Signal(object, object, object)
    #: the protection policy gates a file: (message, reply(passphrase or None))
    parent_needed = Signal(str, object)
    export_progress = Signal(float, str)
    export_finished = Signal(object)  # list[Entry] that were in the batch
    busy_changed = Signal(bool)

    def __init__(self, service: Service, parent: QObject | None = None, *, threads: int = 2) -> None:
        super().__init__(parent)
        self.service = service
        self.entries: list[Entry] = []
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, threads))
        self.side_pool = QThreadPool(self)  # previews and exports: never stuck behind checks
        self.side_pool.setMaxThreadCount(2)
        self._jobs: set[Job] = set()
        self._incoming: deque[Path] = deque()
        self._known_keys: set[Any] | None = None
        self._feed = QTimer(self)
        self._feed.setSingleShot(True)
        self._feed.setInterval(0)
        self._feed.timeout.connect(self._add_some)
        self._retired: list[tuple[float, Job]] = []
        self._preview_job: Job | None = None
        self.exports = Exporter(self)
        #: the rules the verdicts on screen follow (read once, again when they change; an
        #: export reads them afresh anyway)
        self._policy: PolicyState | None = None

    # -- adding and removing files --------------------------------------------------------
    def add_paths(self, paths: Iterable[str | Path]) -> Job:
        """Expand folders on a worker, then add one entry per new file."""
        wanted = [Path(p) for p in paths]
        job = Job(lambda _p, cancel: self.service.expand(wanted, cancel))
        job.signals.done.connect(self._on_expanded)
        self.start_job(job, self.side_pool)
        return job

    @Slot(object, object)
    def _on_expanded(self, _job: Job, paths: list[Path]) -> None:
        self._incoming.extend(paths)
        self._feed.start()

    def _add_some(self) -> None:
        """Add queued files a few at a time, so a dropped folder never freezes the window."""
        known = self._known
        for _ in range(min(ADD_BATCH, len(self._incoming))):
            path = self._incoming.popleft()
            key = _key(path)
            if key in known:
                continue
            known.add(key)
            entry = Entry(path)
            self.entries.append(entry)
            self.added.emit(entry)
            self._check(entry)
        if self._incoming:
            self._feed.start()

    @property
    def _known(self) -> set[Any]:
        if self._known_keys is None or len(self._known_keys) < len(self.entries):
            self._known_keys = {_key(e.path) for e in self.entries}
        return self._known_keys

    def remove(self, entry: Entry) -> None:
        if entry not in self.entries:
            return
        self._known_keys = None
        if entry.job is not None and entry.state is not RowState.EXPORTING:
            entry.job.cancel()
        self.entries.remove(entry)
        self.removed.emit(entry)

    def find(self, path: str | Path) -> Entry | None:
        key = _key(Path(path))
        return next((e for e in self.entries if _key(e.path) == key), None)

    # -- checking -------------------------------------------------------------------------
    def _check(self, entry: Entry, content: bool | None = None) -> None:
        """Inspect ``entry``. With slow looks at the pixels (faces, codes) in the service this
        runs twice: metadata first (shown at once), then everything, while the row says
        "looking for faces" (RowState.SCANNING); the file can be saved once both are done."""
        service = self.service
        full = content if content is not None else not service.has_content_checks()
        base = entry.report if content else None  # the metadata's report, read on this thread

        def work(progress: ProgressFn, cancel: CancelToken) -> tuple[Report, QImage | None, bool]:
            progress(0.0, "checking" if not entry.report else "looking for faces and codes")
            if base is not None:  # the looks at the pixels, side by side
                report = service.complete(base, progress=progress, cancel=cancel)
            else:
                report = service.inspect(entry.path, progress=progress, cancel=cancel,
                                         content=full)
            cancel.check()
            thumb = entry.thumbnail
            if report.ok and thumb is None:
                thumb = service.thumbnail(entry.path, report.kind, THUMB_SIZE, cancel)
            return report, thumb, full

        if content is None:
            entry.state, entry.progress, entry.step = RowState.WAITING, 0.0, ""
        job = Job(work, tag=entry)
        entry.job = job
        job.signals.progress.connect(self._on_check_progress)
        job.signals.done.connect(self._on_checked)
        job.signals.failed.connect(self._on_check_failed)
        job.signals.cancelled.connect(self._on_check_cancelled)
        self.start_job(job, self.pool)

    def recheck(self, entry: Entry) -> None:
        if entry in self.entries and not entry.busy:
            entry.report, entry.result, entry.message, entry.note = None, None, "", ""
            entry.redaction, entry.assessment = None, None
            self._check(entry)
            self.changed.emit(entry)

    def cancel(self, entry: Entry) -> None:
        if entry.job is not None:
            entry.job.cancel()

    @Slot(object, float, str)
    def _on_check_progress(self, job: Job, fraction: float, text: str) -> None:
        entry: Entry = job.tag
        if entry.job is job and entry.state.stoppable:
            if entry.state is RowState.WAITING:
                entry.state = RowState.CHECKING
            entry.progress, entry.step = fraction, text
            self.changed.emit(entry)

    @Slot(object, object)
    def _on_checked(self, job: Job, result: tuple[Report, QImage | None, bool]) -> None:
        entry: Entry = job.tag
        if entry.job is not job:
            return
        report, entry.thumbnail, full = result
        entry.report, entry.job = report, None
        entry.assessment = self.service.assess(report, self.policy_state())
        coverable = report.ok and report.kind in (FileKind.IMAGE, FileKind.VIDEO) \
            and not report.problems
        if not full and coverable:
            entry.state, entry.progress, entry.step = RowState.SCANNING, 0.0, ""
            self._check(entry, content=True)
        else:
            entry.state, entry.progress = RowState.CHECKED, 1.0
            entry.redaction = (Redaction.from_report(report, self.service.cover_area)
                               if coverable else None)
            if entry.redaction is not None and entry.redaction.video and entry.redaction.faces:
                self._load_tracks(entry)
        self.changed.emit(entry)

    def _load_tracks(self, entry: Entry) -> None:
        """A video's face tracks (boxes per sampled frame), from the scan just made."""
        service, path = self.service, entry.path
        job = Job(lambda _p, cancel: service.face_tracks(path, cancel), tag=entry)
        job.signals.done.connect(self._on_tracks)
        self.start_job(job, self.side_pool)

    @Slot(object, object)
    def _on_tracks(self, job: Job, tracks: list[Any]) -> None:
        entry: Entry = job.tag
        if entry.redaction is not None and entry in self.entries:
            entry.redaction.attach_tracks(tracks)
            self.tracks_ready.emit(entry)

    def policy_state(self) -> PolicyState:
        if self._policy is None:
            self._policy = self.service.policy_state()
        return self._policy

    def reassess(self) -> None:
        """The rules changed: show every checked file's verdict under the new ones (the
        export judges again anyway, after running any check the new rules need)."""
        self._policy = None
        state = self.policy_state()
        for entry in self.entries:
            if entry.report is not None:
                entry.assessment = self.service.assess(entry.report, state)
                self.changed.emit(entry)

    @Slot(object, str)
    def _on_check_failed(self, job: Job, reason: str) -> None:
        entry: Entry = job.tag
        if entry.job is job:
            entry.state, entry.message, entry.job = RowState.FAILED, reason, None
            self.changed.emit(entry)

    @Slot(object)
    def _on_check_cancelled(self, job: Job) -> None:
        entry: Entry = job.tag
        if entry.job is job:
            entry.state, entry.job = RowState.CANCELLED, None
            self.changed.emit(entry)

    # -- previews -------------------------------------------------------------------------
    def wants_preview(self, entry: Entry) -> bool:
        """True when ``entry`` was read and no picture of it is being decoded: a scan reports
        progress many times before its picture comes, and each new request would start
        another decode of the whole photo."""
        pending = self._preview_job is not None and self._preview_job.tag[0] is entry
        return entry.report is not None and entry.report.ok and not pending

    def request_preview(self, entry: Entry, at: float | None = None, *, copy: bool = False) -> None:
        """Decode a large picture of ``entry`` or of its clean copy (the latest request wins)."""
        if self._preview_job is not None:
            self._preview_job.cancel()
        kind = entry.kind
        service = self.service
        output = entry.result.output if entry.result is not None else None
        path = output if copy and output is not None else entry.path
        job = Job(lambda _p, cancel: service.preview(path, kind, at=at, cancel=cancel),
                  tag=(entry, path != entry.path))
        self._preview_job = job
        job.signals.done.connect(self._on_preview)
        self.start_job(job, self.side_pool)

    @Slot(object, object)
    def _on_preview(self, job: Job, preview: Preview | None) -> None:
        if job is self._preview_job:
            self._preview_job = None
            entry, of_copy = job.tag
            self.preview_ready.emit(entry, preview, of_copy)

    # -- export (see session_export) --------------------------------------------------------
    @property
    def export_run(self) -> ExportRun | None:
        """The batch export under way, if any."""
        return self.exports.run

    @property
    def last_consent(self) -> ConsentAnswer | None:
        """The answer to the last export's consent question, as the engine took it."""
        return self.exports.last_consent

    @staticmethod
    def exportable(entries: Sequence[Entry]) -> list[Entry]:
        return exportable(entries)

    @staticmethod
    def saveable(entries: Sequence[Entry]) -> list[Entry]:
        """Checked files the core's verdict does not block: the save actions stay off for a
        batch of blocked files alone (a batch still lists them among the refusals)."""
        return [e for e in entries if e.saveable]

    def export(self, entries: Sequence[Entry], folder: Path, *, rebuild: bool = False,
               neutral_name: bool = False) -> bool:
        """Start exporting ``entries`` to ``folder``; consent is asked via ``consent_needed``."""
        return self.exports.export(entries, folder, rebuild=rebuild, neutral_name=neutral_name)

    def cancel_export(self) -> None:
        self.exports.cancel()

    def forget_policy(self) -> None:
        self._policy = None

    # -- lifetime -------------------------------------------------------------------------
    def start_job(self, job: Job, pool: QThreadPool) -> None:
        self._jobs.add(job)
        job.signals.ended.connect(self._on_ended)
        pool.start(job)

    @Slot(object)
    def _on_ended(self, job: Job) -> None:
        # ``ended`` is emitted from inside ``run()``: hold the job a little longer so the
        # pool thread has surely left it before Python frees it.
        if job in self._jobs:
            self._jobs.discard(job)
            now = time.monotonic()
            self._retired = [(t, j) for t, j in self._retired if now - t < 5.0]
            self._retired.append((now, job))

    def running(self) -> int:
        return len(self._jobs)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything, refuse an open consent question, wait for the threads."""
        self._feed.stop()
        self._incoming.clear()
        for job in list(self._jobs):
            job.cancel()
        if self.export_run is not None:
            self.export_run.bridge.abandon()
            if self.export_run.parent is not None:
                self.export_run.parent.abandon()
        a = self.pool.waitForDone(timeout_ms)
        b = self.side_pool.waitForDone(timeout_ms)
        return a and b


def _key(path: Path) -> Any:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
