"""Before/after: what the safe copy lost, what it kept, where it is."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QVBoxLayout, QWidget

from share_guard.core.sanitize import ExportResult
from share_guard.core.textsafe import display_path
from share_guard.gui.widgets.common import Banner, muted, plain_label, set_font


def _bullets(items: list[str], none: str) -> str:
    unique = list(dict.fromkeys(items))
    return "\n".join(f"\u2022 {i}" for i in unique) if unique else none


class ResultView(QFrame):
    """Shown in the inspector once a file has been exported (or refused)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner = Banner("", "ok", self)
        self.saved_to = plain_label("", self, wrap=True, selectable=True)
        self.before_title = plain_label(self.tr("Removed"), self)
        self.after_title = plain_label(self.tr("Kept"), self)
        for title in (self.before_title, self.after_title):
            set_font(title, bold=True)
        self.removed = plain_label("", self, wrap=True)
        self.kept = plain_label("", self, wrap=True)
        self.changed = plain_label("", self, wrap=True)
        self.verified = plain_label("", self, wrap=True)
        muted(self.verified)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.addWidget(self.before_title, 0, 0)
        grid.addWidget(self.after_title, 0, 1)
        grid.addWidget(self.removed, 1, 0)
        grid.addWidget(self.kept, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self.banner)
        layout.addWidget(self.saved_to)
        layout.addLayout(grid)
        layout.addWidget(self.changed)
        layout.addWidget(self.verified)
        self._details = [self.saved_to, self.before_title, self.after_title, self.removed,
                         self.kept, self.changed, self.verified]

    def set_result(self, result: ExportResult | None) -> None:
        self.setVisible(result is not None)
        if result is None:
            return
        if not result.ok:
            stopped = result.status == "cancelled"
            title = self.tr("Not saved: stopped") if stopped else self.tr("Not saved: %1").replace(
                "%1", result.reason or result.status)
            self.banner.set_message(title, "muted" if stopped else "danger")
            for w in self._details:
                w.setVisible(False)
            return
        self.banner.set_message(self.tr("Safe copy saved"), "ok")
        for w in self._details:
            w.setVisible(True)
        self.saved_to.setText(self.tr("Saved as: %1").replace("%1", display_path(result.output or "")))
        self.removed.setText(_bullets(result.removed, self.tr("Nothing identifying")))
        self.kept.setText(_bullets(result.kept, self.tr("Nothing")))
        self.changed.setVisible(bool(result.changed))
        self.changed.setText("\n".join(result.changed))
        leaks = result.after.leaks() if result.after is not None else None
        if leaks is None:
            self.verified.setText("")
        elif not leaks:
            self.verified.setText(self.tr(
                "The safe copy was checked again after saving: no location, names, device details, "
                "dates or hidden content left in its metadata."))
        else:
            self.verified.setText(self.tr("Checked again after saving: %n items remain.")
                                  .replace("%n", str(len(leaks))))
