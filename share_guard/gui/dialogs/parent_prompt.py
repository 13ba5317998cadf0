""""A parent is here": the passphrase prompt for what the protection policy gates.

The dialog only collects the passphrase; the core checks it (rate-limited) and
asks again with a note when it was wrong. ``workers.ParentBridge`` carries the
core's ``ask_parent(message)`` call from the export worker to the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.i18n import N_, _, translated
from share_guard.gui.widgets.common import plain_label, set_font


def _label(text: str, parent: QWidget, *, bold: bool = False, scale: float = 1.0) -> QLabel:
    label = plain_label(text, parent, wrap=True)
    set_font(label, scale=scale, bold=bold)
    return label


class ParentPrompt(QDialog):
    """Asks for the parent passphrase. :meth:`passphrase` is None unless a parent typed one."""

    def __init__(self, message: str, parent: QWidget | None = None, *,
                 action: str = N_("Allow")) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("A parent is here"))
        self.setModal(True)
        self.setMinimumWidth(420)
        first, _sep, rest = message.partition("\n")
        first, rest = translated(first), translated(rest)
        self.heading = _label(_("A parent is here"), self, bold=True, scale=1.3)
        self.reason = _label(first, self, )
        self.note = _label(rest, self)
        self.note.setObjectName("note")
        self.note.setVisible(bool(rest))
        self.field = QLineEdit(self)
        self.field.setObjectName("passphrase")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText(_("Parent passphrase"))
        self.field.setAccessibleName(_("Parent passphrase"))
        self.field.textChanged.connect(self._update)
        self.buttons = QDialogButtonBox(self)
        self.cancel_button = self.buttons.addButton(_("Cancel"),
                                                    QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button = self.buttons.addButton(translated(action), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("allow")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        for widget in (self.heading, self.reason, self.note, self.field, self.buttons):
            layout.addWidget(widget)
        self._update()

    def _update(self) -> None:
        self.ok_button.setEnabled(bool(self.field.text()))

    def accept(self) -> None:
        if self.field.text():
            super().accept()

    def passphrase(self) -> str | None:
        if self.result() != QDialog.DialogCode.Accepted or not self.field.text():
            return None
        return self.field.text()

    def done(self, code: int) -> None:
        if code != QDialog.DialogCode.Accepted:
            self.field.clear()  # nothing typed lingers in a rejected dialog
        super().done(code)

    def launch(self) -> ParentPrompt:
        """Show window-modal without blocking; read :meth:`passphrase` on ``finished``."""
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.open()
        self.field.setFocus()
        return self


def ask_parent_dialog(parent: QWidget, message: str,
                      reply: Callable[[str | None], None]) -> ParentPrompt:
    """Open the prompt for a ``ParentBridge`` request; ``reply`` gets the answer."""
    dialog = ParentPrompt(message, parent)
    dialog.finished.connect(lambda _code: reply(dialog.passphrase()))
    return dialog.launch()
