"""The offline "If this is happening to you" page, with a dated table of helplines.

Nothing here goes online: addresses are shown as text to copy, never opened.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from share_guard.gui.resources import Helpline, help_text, helplines
from share_guard.gui.widgets.common import muted, plain_label, set_font


def blocks(text: str) -> list[tuple[str, str]]:
    """Split the help file into ("heading" | "para" | "bullet", text) blocks."""
    out: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("# "):
            out.append(("heading", line[2:].strip()))
        elif line.startswith("- "):
            out.append(("bullet", line[2:].strip()))
        else:
            out.append(("para", line))
    return out


class HelplineCard(QFrame):
    def __init__(self, line: Helpline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        name = plain_label(line.name, self, wrap=True, selectable=True)
        set_font(name, bold=True)
        who = plain_label(f"{line.serves} \u00b7 {line.region}", self, wrap=True)
        muted(who)
        what = plain_label(line.what, self, wrap=True)
        grid = QGridLayout()
        grid.setContentsMargins(0, 4, 0, 0)
        self.copy_buttons = []
        for row, contact in enumerate(line.contact):
            value = plain_label(contact, self, selectable=True)
            button = QToolButton(self)
            button.setText(self.tr("Copy"))
            button.setAccessibleName(self.tr("Copy %1").replace("%1", contact))
            button.setToolTip(self.tr("Copy to the clipboard"))
            button.clicked.connect(lambda _=False, text=contact: _copy(text))
            self.copy_buttons.append(button)
            grid.addWidget(value, row, 0)
            grid.addWidget(button, row, 1)
        grid.setColumnStretch(0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(3)
        layout.addWidget(name)
        layout.addWidget(who)
        layout.addWidget(what)
        layout.addLayout(grid)


def _copy(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class HelpPage(QDialog):
    """A non-modal window with the help text and the helplines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("If this is happening to you"))
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        self.resize(720, min(760, int(screen.height() * 0.9)) if screen is not None else 760)
        body = QWidget()
        content = QVBoxLayout(body)
        content.setContentsMargins(24, 20, 24, 20)
        content.setSpacing(8)
        language = QLocale().name().split("_")[0]
        for kind, text in blocks(help_text(language)):
            label = plain_label(text if kind != "bullet" else f"\u2022  {text}", body, wrap=True,
                                selectable=True)
            if kind == "heading":
                set_font(label, scale=1.3 if not content.count() else 1.15, bold=True)
                if content.count():
                    content.addSpacing(8)
            content.addWidget(label)

        table = helplines()
        content.addSpacing(10)
        title = plain_label(self.tr("Helplines"), body)
        set_font(title, scale=1.15, bold=True)
        content.addWidget(title)
        dated = plain_label(self.tr("Table last updated %1. %2").replace("%1", table.updated)
                            .replace("%2", table.note), body, wrap=True)
        muted(dated)
        content.addWidget(dated)
        self.cards = [HelplineCard(line, body) for line in table.entries]
        cards = QGridLayout()
        cards.setSpacing(8)
        for i, card in enumerate(self.cards):
            cards.addWidget(card, i // 2, i % 2)
        content.addLayout(cards)
        content.addStretch(1)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(12, 0, 12, 12)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)

    def launch(self) -> HelpPage:
        self.show()
        self.raise_()
        return self
