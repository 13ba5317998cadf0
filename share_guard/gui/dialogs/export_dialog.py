"""After a batch export: one result row per file, and where the copies went."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.export.pipeline import ExportResult
from share_guard.core.i18n import _, isolate, ngettext, pgettext, translated
from share_guard.core.textsafe import display_path
from share_guard.gui.widgets.common import muted, plain_label, set_font


def outcome(result: ExportResult) -> str:
    if result.ok and result.output is not None:
        return display_path(result.output.name)
    return translated(str(result.reason or result.status))


class ExportSummaryDialog(QDialog):
    """Per-file results of one export batch (non-blocking: use :meth:`launch`)."""

    def __init__(self, results: Sequence[ExportResult], folder: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results = list(results)
        self.folder = folder
        saved = sum(1 for r in results if r.ok)
        failed = len(results) - saved
        self.setWindowTitle(_("Clean copies"))
        self.setMinimumWidth(780)  # room for long camera file names and their copies
        if failed == 0:
            text = ngettext("{n} clean copy saved", "{n} clean copies saved", saved)
        else:
            text = pgettext("export summary", "{saved} saved, {failed} not saved").format(
                saved=isolate(saved), failed=isolate(failed))
        self.heading = plain_label(text, self)
        set_font(self.heading, scale=1.3, bold=True)
        where = plain_label(pgettext("export summary", "Folder: {path}").format(
            path=isolate(display_path(folder))), self, wrap=True, selectable=True)
        muted(where)

        rows = QWidget()
        grid = QGridLayout(rows)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        self.rows: list[tuple[str, str]] = []
        for i, result in enumerate(self.results):
            icon = QLabel(rows)
            kind = QStyle.StandardPixmap.SP_DialogApplyButton if result.ok else (
                QStyle.StandardPixmap.SP_MessageBoxWarning)
            icon.setPixmap(self.style().standardIcon(kind).pixmap(18, 18))
            icon.setAccessibleName(_("saved") if result.ok else _("not saved"))
            name = plain_label(display_path(result.source.name), rows)
            set_font(name, bold=True)
            detail = plain_label(outcome(result), rows, wrap=True, selectable=True)
            if result.ok:
                muted(detail)
            grid.addWidget(icon, i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(name, i, 1, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(detail, i, 2)
            self.rows.append((name.text(), detail.text()))
        grid.setColumnStretch(2, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(rows)
        scroll.setMaximumHeight(320)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        show = buttons.addButton(_("Show folder"), QDialogButtonBox.ButtonRole.ActionRole)
        show.clicked.connect(self.show_folder)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.addWidget(self.heading)
        layout.addWidget(where)
        layout.addSpacing(6)
        layout.addWidget(scroll)
        layout.addWidget(buttons)

    def show_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def launch(self) -> ExportSummaryDialog:
        self.open()
        return self
