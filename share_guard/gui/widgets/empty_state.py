"""What the window shows before any file is open: what to do, and the promise."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

from share_guard.core.i18n import _
from share_guard.gui.resources import icon_pixmap
from share_guard.gui.widgets.common import muted, plain_label, set_font


class EmptyState(QWidget):
    open_clicked = Signal()
    help_clicked = Signal()

    def __init__(self, formats: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel(self)
        self.icon.setPixmap(icon_pixmap(112))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = plain_label(_("Drop photos or videos to check them before you share"), self,
                                 wrap=True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_font(self.title, scale=1.6, bold=True)
        self.subtitle = plain_label(_(
            "See what a file gives away (location, names, device, dates, hidden pictures) and "
            "save a clean copy. Everything happens on this computer; nothing is uploaded."), self,
            wrap=True)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        muted(self.subtitle)
        self.open_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton),
                                       _("Open files…"), self)
        self.open_button.setDefault(True)
        self.open_button.setMinimumHeight(36)
        self.open_button.clicked.connect(self.open_clicked)
        self.help_button = QPushButton(_("If this is happening to you"), self)
        self.help_button.setFlat(True)
        # a link, not a second button competing with "Open files…" (plain flat text read as a label)
        self.help_button.setCursor(Qt.CursorShape.PointingHandCursor)
        link_font = self.help_button.font()
        link_font.setUnderline(True)
        self.help_button.setFont(link_font)
        link = self.help_button.palette()
        link.setColor(QPalette.ColorRole.ButtonText, link.color(QPalette.ColorRole.Link))
        self.help_button.setPalette(link)
        self.help_button.clicked.connect(self.help_clicked)
        self.formats = plain_label(formats, self, wrap=True)
        self.formats.setAlignment(Qt.AlignmentFlag.AlignCenter)
        muted(self.formats)
        set_font(self.formats, scale=0.9)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 40, 48, 40)
        layout.setSpacing(14)
        layout.addStretch(2)
        layout.addWidget(self.icon)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addSpacing(6)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.help_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        layout.addWidget(self.formats)

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        """A dashed drop zone in the palette's mid colour."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().color(QPalette.ColorRole.Mid), 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(self.rect().adjusted(16, 16, -16, -16), 16, 16)
        painter.end()
