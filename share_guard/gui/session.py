"""The files open in the window and the work running on them (no widgets here).

A :class:`Session` owns one :class:`Entry` per file, runs inspections, previews
and exports on its own thread pools through the :class:`~share_guard.gui.service.Service`,
and tells the widgets what changed through signals. Widgets observe it; they
never start threads themselves.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from share_guard.core.engine.outcome import ExportOutcome
from share_guard.core.export.consent import ConsentAnswer, ConsentRequest
from share_guard.core.export.pipeline import ExportResult, ExportStatus
from share_guard.core.family.lock import PolicyState
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import FileKind, Report
from share_guard.gui.entry import Entry, ExportRun, RowState
from share_guard.gui.redaction import Redaction
from share_guard.gui.service import THUMB_SIZE, Preview, Service
from share_guard.gui.workers import ConsentBridge, Job, ParentBridge

__all__ = ["ADD_BATCH", "Entry", "ExportRun", "RowState", "Session"]

#: files added to the list per turn of the event loop
ADD_BATCH = 20


class Session(QObject):
    added = Signal(object)  # Entry
    changed = Signal(object)  # Entry
    removed = Signal(object)  # Entry
    preview_ready = Signal(object, object)  # Entry, Preview | None
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
        self.export_run: ExportRun | None = None
        #: the answer to the last export's consent question, as the engine took it
        #: (None: it was never asked)
        self.last_consent: ConsentAnswer | None = None
        #: the rules the verdicts on screen follow (read once, again when they change; an
        #: export reads them afresh anyway)
        self._policy: PolicyState | None = None

    # -- adding and removing files --------------------------------------------------------
    def add_paths(self, paths: Iterable[str | Path]) -> Job:
        """Expand folders on a worker, then add one entry per new file."""
        wanted = [Path(p) for p in paths]
        job = Job(lambda _p, cancel: self.service.expand(wanted, cancel))
        job.signals.done.connect(self._on_expanded)
        self._start(job, self.side_pool)
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

        def work(progress: ProgressFn, cancel: CancelToken) -> tuple[Report, QImage | None, bool]:
            progress(0.0, "checking" if not entry.report else "looking for faces and codes")
            report = service.inspect(entry.path, progress=progress, cancel=cancel, content=full)
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
        self._start(job, self.pool)

    def recheck(self, entry: Entry) -> None:
        if entry in self.entries and not entry.busy:
            entry.report, entry.result, entry.message = None, None, ""
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
        self.changed.emit(entry)

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
    def request_preview(self, entry: Entry, at: float | None = None) -> None:
        """Decode a large picture of ``entry`` (the latest request wins)."""
        if self._preview_job is not None:
            self._preview_job.cancel()
        kind = entry.kind
        service = self.service
        job = Job(lambda _p, cancel: service.preview(entry.path, kind, at=at, cancel=cancel),
                  tag=entry)
        self._preview_job = job
        job.signals.done.connect(self._on_preview)
        self._start(job, self.side_pool)

    @Slot(object, object)
    def _on_preview(self, job: Job, preview: Preview | None) -> None:
        if job is self._preview_job:
            self._preview_job = None
            self.preview_ready.emit(job.tag, preview)

    # -- export ---------------------------------------------------------------------------
    def exportable(self, entries: Sequence[Entry]) -> list[Entry]:
        """Checked files: a batch export takes them all (the engine refuses what it must,
        and the results say why)."""
        return [e for e in entries if e.state is RowState.CHECKED and e.report is not None]

    def saveable(self, entries: Sequence[Entry]) -> list[Entry]:
        """Checked files the core's verdict does not block: the save actions stay off for a
        batch of blocked files alone (a batch still lists them among the refusals)."""
        return [e for e in entries if e.saveable]

    def export(self, entries: Sequence[Entry], folder: Path, *, rebuild: bool = False) -> bool:
        """Start exporting ``entries`` to ``folder``; consent is asked via ``consent_needed``."""
        batch = self.exportable(entries)
        if not batch or self.export_run is not None:
            return False
        service = self.service
        reports = [e.report for e in batch if e.report is not None]
        redactions = {e.path: e.redaction for e in batch if e.redaction is not None}
        options = service.export_options(folder, rebuild=rebuild, redactions=redactions)
        token = CancelToken()
        bridge = ConsentBridge(token, self)
        bridge.requested.connect(self._on_consent_requested)
        parents = ParentBridge(token, self)
        parents.requested.connect(self.parent_needed)
        paths = [e.path for e in batch]

        def work(progress: ProgressFn, cancel: CancelToken) -> ExportOutcome:
            return service.export(paths, options, bridge.hook, progress, cancel, reports,
                                  ask_parent=parents.ask)

        job = Job(work, token=token, tag=batch)
        job.signals.progress.connect(self._on_export_progress)
        job.signals.done.connect(self._on_exported)
        job.signals.failed.connect(self._on_export_failed)
        job.signals.cancelled.connect(self._on_export_cancelled)
        self.export_run = ExportRun(batch, job, bridge, parents)
        for entry in batch:
            entry.state, entry.progress, entry.result = RowState.EXPORTING, 0.0, None
            entry.step = self.tr("asking for consent")  # not the check's last "done"
            self.changed.emit(entry)
        self.busy_changed.emit(True)
        self._start(job, self.side_pool)
        return True

    def cancel_export(self) -> None:
        if self.export_run is not None:
            self.export_run.job.cancel()

    @Slot(object, object)
    def _on_consent_requested(self, request: ConsentRequest,
                              reply: Callable[[ConsentAnswer], None]) -> None:
        thumbs: dict[str, QImage] = {}
        if self.export_run is not None:
            from share_guard.core.textsafe import display_path

            for entry in self.export_run.entries:
                if entry.thumbnail is not None:
                    thumbs[display_path(entry.path.name)] = entry.thumbnail
        self.consent_needed.emit(request, reply, thumbs)

    @Slot(object, float, str)
    def _on_export_progress(self, _job: Job, fraction: float, text: str) -> None:
        self.export_progress.emit(fraction, text)
        if self.export_run is not None:
            for entry in self.export_run.entries:
                entry.progress, entry.step = fraction, self.tr("saving")
                self.changed.emit(entry)

    @Slot(object, object)
    def _on_exported(self, _job: Job, outcome: ExportOutcome) -> None:
        self._end_export(outcome)

    @Slot(object, str)
    def _on_export_failed(self, _job: Job, reason: str) -> None:
        self._end_export(None, reason)

    @Slot(object)
    def _on_export_cancelled(self, _job: Job) -> None:
        self._end_export(None, "cancelled")

    def _end_export(self, outcome: ExportOutcome | None, reason: str = "") -> None:
        run, self.export_run = self.export_run, None
        if run is None:
            return
        self.last_consent = outcome.answer if outcome is not None else None
        self._policy = None  # read again for the next verdicts (the export read it afresh)
        results = outcome.results if outcome is not None else []
        run.bridge.deleteLater()
        for i, entry in enumerate(run.entries):
            entry.state = RowState.CHECKED
            if i < len(results):
                entry.result = results[i]
            else:
                status = ExportStatus.CANCELLED if reason == "cancelled" else ExportStatus.ERROR
                entry.result = ExportResult(entry.path, status, reason=reason, before=entry.report)
            self.changed.emit(entry)
        self.busy_changed.emit(False)
        self.export_finished.emit(run.entries)

    # -- lifetime -------------------------------------------------------------------------
    def _start(self, job: Job, pool: QThreadPool) -> None:
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
