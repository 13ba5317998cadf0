"""Voices identify people: a video's clean copy may leave its sound out (the video itself is
not re-encoded). One choice per video, listed in the consent question."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QVBoxLayout, QWidget

from share_guard.core.i18n import _
from share_guard.gui.entry import Entry
from share_guard.gui.widgets.common import muted, plain_label, set_font


class SoundPanel(QFrame):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.entry: Entry | None = None
        self.title = plain_label(_("Sound"), self)
        set_font(self.title, scale=1.1, bold=True)
        self.remove = QCheckBox(_("Remove the sound from the clean copy"), self)
        self.remove.setObjectName("remove_sound")
        self.remove.toggled.connect(self._on_toggle)
        self.hint = plain_label(_("Voices, names said aloud and background sounds can "
                                        "identify people and places. The picture is not "
                                        "re-encoded."), self, wrap=True)
        muted(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.remove)
        layout.addWidget(self.hint)
        self.setVisible(False)

    def show_entry(self, entry: Entry | None) -> None:
        """Shown for a checked video that has sound."""
        self.entry = entry
        report = entry.report if entry is not None else None
        has_sound = report is not None and report.ok and str(report.kind) == "video" \
            and bool(report.properties.get("has_audio", False))
        self.setVisible(has_sound)
        if entry is not None:
            self.remove.blockSignals(True)
            self.remove.setChecked(entry.remove_sound)
            self.remove.blockSignals(False)

    def _on_toggle(self, on: bool) -> None:
        if self.entry is not None:
            self.entry.remove_sound = on
            self.changed.emit()
