"""Small building blocks shared by the panels: plain-text labels, badges, banners.

Every label that may show text from a file is forced to ``Qt.PlainText``: the
core already neutralises control and bidi characters, and plain text keeps any
markup in a tag from being rendered.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QStyle, QToolButton, QWidget

from share_guard.gui.status import TONE_RGB


def plain_label(text: str = "", parent: QWidget | None = None, *, wrap: bool = False,
                selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    label.setOpenExternalLinks(False)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


class ElidedLabel(QLabel):
    """One line of plain text elided with "…" when it does not fit (full text in the tooltip):
    at the end, or in the middle for file names (their start and their number both show)."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
        super().__init__(parent)
        self.mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self._full = ""
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._elide()

    def _elide(self) -> None:
        width = max(self.width(), 40)
        super().setText(self.fontMetrics().elidedText(self._full, self.mode, width))

    def elided(self) -> bool:
        """True when the text on show is shorter than the full text (on purpose)."""
        return self.text() != self._full


def set_font(widget: QWidget, *, scale: float = 1.0, bold: bool = False) -> None:
    font = QFont(widget.font())
    if scale != 1.0:
        size = font.pointSizeF()
        if size > 0:
            font.setPointSizeF(size * scale)
    font.setBold(bold)
    widget.setFont(font)


def muted(widget: QWidget) -> None:
    """Secondary text: the palette's placeholder colour (works in light and dark)."""
    palette = widget.palette()
    color = palette.color(QPalette.ColorRole.PlaceholderText)
    palette.setColor(QPalette.ColorRole.WindowText, color)
    palette.setColor(QPalette.ColorRole.Text, color)
    widget.setPalette(palette)


def tone_color(tone: str, alpha: int = 255) -> QColor:
    r, g, b = TONE_RGB.get(tone, TONE_RGB["muted"])
    return QColor(r, g, b, alpha)


class Badge(QLabel):
    """A rounded status pill: tinted accent background, text in the palette's text colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.tone = "muted"
        set_font(self, scale=0.9, bold=True)

    def set_status(self, text: str, tone: str) -> None:
        self.setText(text)
        self.tone = tone
        self.setAccessibleName(text)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self.text()) + 22, fm.height() + 8)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return self.sizeHint()

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(0, 0, -1, -1)
        radius = rect.height() / 2
        # an opaque base first, so the pill reads the same on a selected (highlighted) row
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(tone_color(self.tone, 150))
        painter.setBrush(tone_color(self.tone, 48))
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text())
        painter.end()


class Banner(QFrame):
    """A tinted strip with one message (errors, warnings, reminders)."""

    ICONS = {
        "danger": QStyle.StandardPixmap.SP_MessageBoxCritical,
        "warn": QStyle.StandardPixmap.SP_MessageBoxWarning,
        "ok": QStyle.StandardPixmap.SP_DialogApplyButton,
        "busy": QStyle.StandardPixmap.SP_MessageBoxInformation,
        "muted": QStyle.StandardPixmap.SP_MessageBoxInformation,
    }

    def __init__(self, text: str = "", tone: str = "warn", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel(self)
        self.label = plain_label(text, self, wrap=True, selectable=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(10)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self.tone = tone
        self.set_message(text, tone)

    def set_message(self, text: str, tone: str) -> None:
        self.tone = tone
        self.label.setText(text)
        icon = self.style().standardIcon(self.ICONS.get(tone, self.ICONS["muted"]))
        self.icon.setPixmap(icon.pixmap(20, 20))
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(tone_color(self.tone, 120))
        painter.setBrush(tone_color(self.tone, 36))
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 6, 6)
        painter.end()


def icon_button(icon: QStyle.StandardPixmap, accessible_name: str, parent: QWidget | None = None,
                tooltip: str = "") -> QToolButton:
    """An icon-only button that still has a name for screen readers."""
    button = QToolButton(parent)
    button.setIcon(button.style().standardIcon(icon))
    button.setAccessibleName(accessible_name)
    button.setToolTip(tooltip or accessible_name)
    button.setAutoRaise(True)
    return button


def hline(parent: QWidget | None = None) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
