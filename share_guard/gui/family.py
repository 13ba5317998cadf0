"""Family protection in the window: its two menu entries, the warning before sharing
a photo that may show nudity, and "A parent is here" when the export asks for it.

The rules themselves are the core's (``core.policy_gates`` runs them inside every
export); this only shows them at the right moment. Even if the warning were
skipped, the export would still refuse a gated file without the passphrase.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStyle

from share_guard.core.report import Category

if TYPE_CHECKING:
    from share_guard.gui.main_window import MainWindow
    from share_guard.gui.session import Entry


class FamilyControls(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.warning: Any = None  # the warning on screen, if any
        sp = QStyle.StandardPixmap
        self.policy_action: QAction = window._action(
            window.tr("Protection settings"), sp.SP_VistaShield, [], self.show_policy,
            window.tr("Family protection: rules and the parent passphrase"))
        self.records_action: QAction = window._action(
            window.tr("Consent records"), sp.SP_FileDialogContentsView, [], self.show_records,
            window.tr("What was confirmed each time something was shared (kept on this computer)"))
        if self.policy_action.icon().isNull():  # the style has no shield (Fusion, most of Linux)
            from share_guard.gui.resources import app_icon

            self.policy_action.setIcon(app_icon())
        window.toolbar.insertAction(window.help_action, self.policy_action)
        window.toolbar.insertAction(window.help_action, self.records_action)
        window.session.parent_needed.connect(self._on_parent_needed)

    def show_policy(self) -> Any:
        return self.window.dialogs.show_policy(self.window, self.window.session.service)

    def show_records(self) -> Any:
        return self.window.dialogs.show_consent_records(self.window, self.window.session.service)

    def _on_parent_needed(self, message: str, reply: Callable[[str | None], None]) -> None:
        self.window.dialogs.ask_parent(self.window, message, reply)

    def before_export(self, batch: Sequence[Entry], go: Callable[[], bool]) -> bool:
        """Start the export with ``go``, after the warning when a file may show nudity.

        Returns what ``go`` returned, or False while the warning waits for an answer.
        """
        flagged = [e for e in batch if e.report is not None and e.report.has(Category.SENSITIVE)]
        if not flagged:
            return go()
        mode = self.window.session.service.policy_state().policy.sensitive
        if mode == "allow":
            return go()
        warning = self.window.dialogs.show_sensitive_warning(self.window, mode, len(flagged))
        self.warning = warning
        warning.help_requested.connect(self.window.show_help)

        def chosen(choice: str) -> None:
            self.warning = None
            if choice in ("parent", "share_anyway"):
                go()
            else:
                self.window.statusBar().showMessage(self.window.tr("Nothing was shared."), 6000)
        warning.chosen.connect(chosen)
        return False
