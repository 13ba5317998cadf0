"""The calm, full-window warning before a photo that may show nudity is shared.

It covers the whole window with an opaque screen (not a small alert box, and the
picture behind it does not show through), speaks to the person without blame, and
puts "Don't share" first. The words and choices are the core's
(``core.family.sensitive_words``): the terminal offers the same. "Talk to someone you trust"
opens a short panel right here; "Get help" asks the window for the offline
help page. Under a policy that gates sensitive content the way on is
"A parent is here" (the passphrase is asked by the export itself); under
"warn" it is "Share anyway", which still goes through the consent questions.
Nothing is reported to anyone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from share_guard.core.family.sensitive_words import (
    BODY,
    CHOICE_WORDS,
    DONT_SHARE,
    GET_HELP,
    PARENT,
    PRIVATE,
    SHARE_ANYWAY,
    TALK,
    TALK_TO_SOMEONE,
)
from share_guard.core.i18n import ngettext, translated
from share_guard.gui.widgets.common import plain_label, set_font

__all__ = ["DONT_SHARE", "GET_HELP", "PARENT", "SHARE_ANYWAY", "TALK_TO_SOMEONE",
           "SensitiveWarning"]


def _label(text: str, parent: QWidget, *, bold: bool = False, scale: float = 1.0) -> QLabel:
    label = plain_label(text, parent, wrap=True)
    label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    set_font(label, scale=scale, bold=bold)
    return label


class SensitiveWarning(QWidget):
    """An overlay that fills its parent window. ``chosen(str)`` says what the person picked.

    ``mode`` is the policy's ``sensitive`` rule: "gate" offers "A parent is here",
    "warn" offers "Share anyway", "block" offers no way on.
    """

    chosen = Signal(str)
    help_requested = Signal()

    def __init__(self, parent: QWidget, mode: str = "gate", count: int = 1) -> None:
        super().__init__(parent)
        self.setObjectName("sensitive_warning")
        self.setAutoFillBackground(True)  # opaque: the picture does not show through
        self.mode = mode
        self.choice: str | None = None
        # the core's HEADING / HEADING_MANY, with every plural form the language has
        heading = ngettext("This may show someone without clothes.",
                           "{n} of these may show someone without clothes.", count)
        self.heading = _label(heading, self, bold=True, scale=1.8)
        self.body = _label(translated(BODY), self, scale=1.15)
        self.private = _label(translated(PRIVATE), self)
        self.talk_text = _label(translated(TALK), self, scale=1.1)
        self.talk_text.setObjectName("talk_text")
        self.talk_text.setVisible(False)

        self.dont_share = QPushButton(translated(CHOICE_WORDS[DONT_SHARE]), self)
        self.dont_share.setObjectName("dont_share")
        self.dont_share.setDefault(True)
        self.dont_share.setAutoDefault(True)
        self.talk = QPushButton(translated(CHOICE_WORDS[TALK_TO_SOMEONE]), self)
        self.talk.setObjectName("talk")
        self.help = QPushButton(translated(CHOICE_WORDS[GET_HELP]), self)
        self.help.setObjectName("help")
        self.way_on: QPushButton | None = None
        if mode == "gate":
            self.way_on = QPushButton(translated(CHOICE_WORDS[PARENT]), self)
        elif mode == "warn":
            self.way_on = QPushButton(translated(CHOICE_WORDS[SHARE_ANYWAY]), self)
        if self.way_on is not None:
            self.way_on.setObjectName("way_on")
            self.way_on.setFlat(True)

        self.dont_share.clicked.connect(lambda: self._choose(DONT_SHARE))
        self.talk.clicked.connect(self._show_talk)
        self.help.clicked.connect(self._ask_help)
        if self.way_on is not None:
            self.way_on.clicked.connect(
                lambda: self._choose(PARENT if self.mode == "gate" else SHARE_ANYWAY))

        for button in (self.dont_share, self.talk, self.help):
            button.setMinimumHeight(40)
            button.setMinimumWidth(240)
        column = QVBoxLayout()
        column.setSpacing(14)
        column.addStretch(2)
        for widget in (self.heading, self.body, self.private, self.talk_text):
            column.addWidget(widget)
        column.addSpacing(12)
        for button in (self.dont_share, self.talk, self.help):
            column.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        if self.way_on is not None:
            column.addSpacing(18)
            column.addWidget(self.way_on, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(3)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 4)
        outer.addStretch(1)
        parent.installEventFilter(self)
        self._fit()

    def _fit(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        base = self.palette().color(QPalette.ColorRole.Window)
        painter.fillRect(self.rect(), QColor(base.red(), base.green(), base.blue(), 255))
        painter.end()

    def launch(self) -> SensitiveWarning:
        self._fit()
        self.show()
        self.raise_()
        self.dont_share.setFocus()
        return self

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        from PySide6.QtGui import QKeyEvent

        if isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            self._choose(DONT_SHARE)  # Escape is the safe choice
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]

    def _show_talk(self) -> None:
        self.talk_text.setVisible(True)

    def _ask_help(self) -> None:
        self.help_requested.emit()

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.chosen.emit(choice)
        self.hide()
        self.deleteLater()
