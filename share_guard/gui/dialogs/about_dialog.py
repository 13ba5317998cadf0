"""About: what the app does, where it runs, and what it cannot promise."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from share_guard import __version__
from share_guard.gui.resources import icon_pixmap
from share_guard.gui.widgets.common import muted, plain_label, set_font


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About share_guard"))
        self.setMinimumWidth(520)
        icon = QLabel(self)
        icon.setPixmap(icon_pixmap(80))
        name = plain_label("share_guard", self)
        set_font(name, scale=1.6, bold=True)
        version = plain_label(self.tr("Version %1").replace("%1", __version__), self)
        muted(version)
        head_text = QVBoxLayout()
        head_text.addWidget(name)
        head_text.addWidget(version)
        head = QHBoxLayout()
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addSpacing(10)
        head.addLayout(head_text, 1)
        head.setAlignment(head_text, Qt.AlignmentFlag.AlignVCenter)

        sections = [
            (self.tr("Everything runs on this computer"), self.tr(
                "share_guard checks photos and videos here, on this computer. Nothing is uploaded, "
                "nothing is sent anywhere, and it never connects to the internet.")),
            (self.tr("What it does"), self.tr(
                "It shows what a file gives away (where and when it was taken, names, the device, "
                "hidden pictures and other data) and saves a copy without it. Removing these details "
                "does not re-encode the picture.")),
            (self.tr("What it cannot promise"), self.tr(
                "It can miss a face or other things that identify someone in the picture itself. "
                "\"Nothing found\" is not a guarantee that a file is safe to share: look at the "
                "picture, the background and any reflections before you share it.")),
        ]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(8)
        layout.addLayout(head)
        self.texts = []
        for title, body in sections:
            t = plain_label(title, self)
            set_font(t, bold=True)
            b = plain_label(body, self, wrap=True)
            self.texts.append(body)
            layout.addSpacing(6)
            layout.addWidget(t)
            layout.addWidget(b)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addStretch(1)
        layout.addSpacing(8)
        layout.addWidget(buttons)

    def launch(self) -> AboutDialog:
        self.open()
        return self
