"""Family protection in the window: its two menu entries, the warning before sharing
a photo that may show nudity, and "A parent is here" when the export asks for it.

The rules themselves are the core's (the engine's gates run inside every export); this
only shows them at the right moment. Even if the warning were skipped, the export would
still refuse a gated file without the passphrase. It knows the window only as a
``QMainWindow`` (no import of ``main_window``: the window imports this).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QStyle, QWidget

from share_guard.core.export.consent import ConsentFlag
from share_guard.core.i18n import _
from share_guard.gui.dialogs import DialogService
from share_guard.gui.dialogs.sensitive_warning import SensitiveWarning
from share_guard.gui.entry import Entry
from share_guard.gui.session import Session


class FamilyControls(QObject):
    #: the rules in force changed (the window shows what they decide, e.g. neutral names)
    rules_changed = Signal()

    def __init__(self, window: QMainWindow, session: Session, dialogs: DialogService,
                 show_help: Callable[[], None]) -> None:
        super().__init__(window)
        self.window, self.session, self.dialogs, self.show_help = window, session, dialogs, show_help
        self.warning: SensitiveWarning | None = None  # the warning on screen, if any
        sp = QStyle.StandardPixmap
        self.policy_action = self._action(
            _("Protection settings"), sp.SP_VistaShield, self.show_policy,
            _("Family protection: rules and the parent passphrase"))
        self.records_action = self._action(
            _("Consent records"), sp.SP_FileDialogContentsView, self.show_records,
            _("What was confirmed each time something was shared (kept on this computer)"))
        if self.policy_action.icon().isNull():  # the style has no shield (Fusion, most of Linux)
            from share_guard.gui.resources import app_icon

            self.policy_action.setIcon(app_icon())
        session.parent_needed.connect(self._on_parent_needed)

    def _action(self, text: str, icon: QStyle.StandardPixmap, slot: Callable[[], object],
                tip: str) -> QAction:
        action = QAction(self.window.style().standardIcon(icon), text, self.window)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    def show_policy(self) -> QWidget:
        dialog = self.dialogs.show_policy(self.window, self.session.service)
        dialog.policy_changed.connect(self.session.reassess)  # the verdicts follow the rules
        dialog.policy_changed.connect(self.rules_changed)
        return dialog

    def show_records(self) -> QWidget:
        return self.dialogs.show_consent_records(self.window, self.session.service)

    def _on_parent_needed(self, message: str, reply: Callable[[str | None], None]) -> None:
        self.dialogs.ask_parent(self.window, message, reply)

    def before_export(self, batch: Sequence[Entry], go: Callable[[], bool]) -> bool:
        """Start the export with ``go``, after the warning when a file may show nudity.

        Returns what ``go`` returned, or False while the warning waits for an answer.
        """
        flagged = [e for e in batch if e.assessment is not None
                   and ConsentFlag.SENSITIVE in e.assessment.flags]
        if not flagged:
            return go()
        mode = self.session.service.policy_state().policy.sensitive
        if mode == "allow":
            return go()
        warning = self.dialogs.show_sensitive_warning(self.window, mode, len(flagged))
        self.warning = warning
        warning.help_requested.connect(self.show_help)

        def chosen(choice: str) -> None:
            self.warning = None
            if choice in ("parent", "share_anyway"):
                go()
            else:
                self.window.statusBar().showMessage(_("Nothing was shared."), 6000)
        warning.chosen.connect(chosen)
        return False
