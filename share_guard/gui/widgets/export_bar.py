"""The strip at the bottom: where clean copies go, how they are named, and an export's
progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QProgressBar, QPushButton, QStyle, QWidget

from share_guard.core.i18n import _, isolate, translated
from share_guard.core.textsafe import display_path
from share_guard.gui.widgets.common import ElidedLabel, muted, plain_label


class ExportBar(QWidget):
    change_clicked = Signal()
    stop_clicked = Signal()
    neutral_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.forced = False  # the protection settings name copies neutrally
        self.folder_label = ElidedLabel("", self, Qt.TextElideMode.ElideMiddle)
        muted(self.folder_label)
        self.change_button = QPushButton(_("Change…"), self)
        self.change_button.setAccessibleName(_("Change where clean copies go"))
        self.change_button.clicked.connect(self.change_clicked)
        self.neutral = QCheckBox(_("Neutral names"), self)
        self.neutral.setObjectName("neutral_names")
        self.neutral.setToolTip(_(
            "Name clean copies photo_clean.jpg or video_clean.mp4. Names like "
            "IMG_20240312_142210.jpg tell the date and the device."))
        self.neutral.toggled.connect(self.neutral_toggled)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.step = plain_label("", self)
        muted(self.step)
        self.stop_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserStop),
                                       _("Stop"), self)
        self.stop_button.setAccessibleName(_("Stop saving"))
        self.stop_button.clicked.connect(self.stop_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.addWidget(self.folder_label, 1)
        layout.addWidget(self.change_button)
        layout.addSpacing(12)
        layout.addWidget(self.neutral)
        layout.addSpacing(16)
        layout.addWidget(self.step)
        layout.addWidget(self.progress)
        layout.addWidget(self.stop_button)
        self.set_folder(None)
        self.set_busy(False)

    def set_folder(self, folder: Path | None) -> None:
        if folder is None:
            self.folder_label.set_full_text(_("Clean copies go to a folder you choose the "
                                                    "first time."))
        else:
            self.folder_label.set_full_text(_("Clean copies go to: {folder}").format(
                folder=isolate(display_path(folder))))
            self.folder_label.setToolTip(display_path(folder))

    def set_neutral(self, on: bool) -> None:
        self.neutral.setChecked(on)

    def set_forced(self, forced: bool, own: bool) -> None:
        """Under protection settings that name copies neutrally the box is ticked and fixed;
        otherwise it shows the person's own choice ``own``."""
        self.forced = forced
        self.neutral.blockSignals(True)
        self.neutral.setChecked(forced or own)
        self.neutral.blockSignals(False)
        self.neutral.setEnabled(not forced)
        if forced:
            self.neutral.setToolTip(_("Your protection settings name clean copies "
                                            "photo_clean.jpg or video_clean.mp4."))

    def set_busy(self, busy: bool) -> None:
        for w in (self.progress, self.stop_button, self.step):
            w.setVisible(busy)
        self.change_button.setEnabled(not busy)
        self.neutral.setEnabled(not busy and not self.forced)
        if not busy:
            self.progress.setValue(0)
            self.step.setText("")

    def set_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.step.setText(translated(text))
