"""The session's exports: one batch at a time, consent asked through the window, and each
file's result. An :class:`Exporter` belongs to one :class:`~share_guard.gui.session.Session`
and speaks through the session's signals; it lives on the GUI thread (its slots receive
the export job's signals there)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QImage

from share_guard.core.engine.outcome import ExportOutcome
from share_guard.core.export.consent import ConsentAnswer, ConsentRequest
from share_guard.core.export.pipeline import ExportResult, ExportStatus
from share_guard.core.i18n import _
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.gui.entry import Entry, ExportRun, RowState
from share_guard.gui.workers import ConsentBridge, Job, ParentBridge

if TYPE_CHECKING:
    from share_guard.gui.session import Session


def exportable(entries: Sequence[Entry]) -> list[Entry]:
    """Checked files: a batch export takes them all (the engine refuses what it must, and the
    results say why)."""
    return [e for e in entries if e.state is RowState.CHECKED and e.report is not None]


class Exporter(QObject):
    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.run: ExportRun | None = None
        #: the answer to the last export's consent question, as the engine took it
        #: (None: it was never asked)
        self.last_consent: ConsentAnswer | None = None

    def export(self, entries: Sequence[Entry], folder: Path, *, rebuild: bool = False,
               neutral_name: bool = False) -> bool:
        """Start exporting ``entries`` to ``folder``; consent is asked via ``consent_needed``."""
        s = self.session
        batch = exportable(entries)
        if not batch or self.run is not None:
            return False
        service = s.service
        reports = [e.report for e in batch if e.report is not None]
        redactions = {e.path: e.redaction for e in batch if e.redaction is not None}
        options = service.export_options(folder, rebuild=rebuild, redactions=redactions,
                                         neutral_name=neutral_name,
                                         mute={e.path for e in batch if e.remove_sound})
        token = CancelToken()
        bridge = ConsentBridge(token, self)
        bridge.requested.connect(self._on_consent_requested)
        parents = ParentBridge(token, self)
        parents.requested.connect(s.parent_needed)
        paths = [e.path for e in batch]

        def work(progress: ProgressFn, cancel: CancelToken) -> ExportOutcome:
            return service.export(paths, options, bridge.hook, progress, cancel, reports,
                                  ask_parent=parents.ask)

        job = Job(work, token=token, tag=batch)
        job.signals.progress.connect(self._on_export_progress)
        job.signals.done.connect(self._on_exported)
        job.signals.failed.connect(self._on_export_failed)
        job.signals.cancelled.connect(self._on_export_cancelled)
        self.run = ExportRun(batch, job, bridge, parents)
        for entry in batch:
            entry.result, entry.note = None, ""
            if entry.saveable or rebuild:  # the blocked ones are not being saved
                entry.state, entry.progress = RowState.EXPORTING, 0.0
                entry.step = _("waiting for your answer")  # not the check's last "done"
            s.changed.emit(entry)
        s.busy_changed.emit(True)
        s.start_job(job, s.side_pool)
        return True

    def cancel(self) -> None:
        if self.run is not None:
            self.run.job.cancel()

    @Slot(object, object)
    def _on_consent_requested(self, request: ConsentRequest,
                              reply: Callable[[ConsentAnswer], None]) -> None:
        thumbs: dict[str, QImage] = {}
        if self.run is not None:
            from share_guard.core.textsafe import display_path

            for entry in self.run.entries:
                if entry.thumbnail is not None:
                    thumbs[display_path(entry.path.name)] = entry.thumbnail
        self.session.consent_needed.emit(request, reply, thumbs)

    @Slot(object, float, str)
    def _on_export_progress(self, _job: Job, fraction: float, text: str) -> None:
        self.session.export_progress.emit(fraction, text)
        if self.run is not None:
            for entry in self.run.entries:
                if entry.state is RowState.EXPORTING:
                    entry.progress, entry.step = fraction, _("saving")
                    self.session.changed.emit(entry)

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
        s = self.session
        run, self.run = self.run, None
        if run is None:
            return
        self.last_consent = outcome.answer if outcome is not None else None
        s.forget_policy()  # read again for the next verdicts (the export read it afresh)
        results = outcome.results if outcome is not None else []
        declined = outcome is not None and outcome.answer is not None and not outcome.answer.granted
        run.bridge.deleteLater()
        for i, entry in enumerate(run.entries):
            entry.state = RowState.CHECKED
            if i < len(results):
                entry.result = results[i]
            else:
                status = ExportStatus.CANCELLED if reason == "cancelled" else ExportStatus.ERROR
                entry.result = ExportResult(entry.path, status, reason=reason, before=entry.report)
            # Stopping or saying no is a choice, not an error: the file keeps its findings and
            # says, calmly, that nothing was written.
            if entry.result.status is ExportStatus.CANCELLED:
                entry.result, entry.note = None, _("Not saved: you stopped it. Nothing "
                                                         "was written.")
            elif declined and not entry.result.ok and entry.saveable:
                entry.result, entry.note = None, _("Not saved: consent was not given. "
                                                         "Nothing was written.")
            s.changed.emit(entry)
        s.busy_changed.emit(False)
        s.export_finished.emit(run.entries)

