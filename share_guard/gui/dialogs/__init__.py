"""Dialogs, and the one seam through which the window opens them.

The window never calls ``exec()``: it asks a :class:`DialogService`, which
opens dialogs without blocking and hands back the dialog (tests click its
buttons and read ``result()``). File and folder pickers return their answer;
tests replace those two methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from share_guard.core.export.consent import ConsentAnswer, ConsentRequest
from share_guard.core.export.pipeline import ExportResult

if TYPE_CHECKING:
    from share_guard.gui.dialogs.policy_dialog import PolicyDialog
    from share_guard.gui.dialogs.sensitive_warning import SensitiveWarning
    from share_guard.gui.service import Service


class DialogService:
    def __init__(self) -> None:
        self.open_dialogs: list[QWidget] = []

    def _keep(self, dialog: QWidget) -> None:
        self.open_dialogs = [d for d in self.open_dialogs if d.isVisible()]
        self.open_dialogs.append(dialog)

    def open_files(self, parent: QWidget, start: Path | None = None) -> list[Path]:
        """The files the person picks (a picker that records nothing: :mod:`.pickers`)."""
        from share_guard.gui.dialogs import pickers

        return pickers.open_files(parent, start or Path.home())

    def choose_folder(self, parent: QWidget, start: Path | None = None) -> Path | None:
        from share_guard.gui.dialogs import pickers

        return pickers.choose_folder(parent, start or Path.home())

    def ask_consent(self, parent: QWidget, request: ConsentRequest, thumbnails: Mapping[str, QImage],
                    reply: Callable[[ConsentAnswer], None]) -> QWidget:
        """Show the consent dialog; ``reply`` gets the answer once it closes (any way)."""
        from share_guard.gui.dialogs.consent_dialog import ConsentDialog

        dialog = ConsentDialog(request, thumbnails, parent)
        dialog.finished.connect(lambda _code: reply(dialog.answer()))
        self._keep(dialog)
        return dialog.launch()

    def show_help(self, parent: QWidget) -> QWidget:
        from share_guard.gui.dialogs.help_page import HelpPage

        existing = next((d for d in self.open_dialogs if isinstance(d, HelpPage) and d.isVisible()), None)
        if existing is not None:
            return existing.launch()
        page = HelpPage(parent)
        self._keep(page)
        return page.launch()

    def show_about(self, parent: QWidget) -> QWidget:
        from share_guard.gui.dialogs.about_dialog import AboutDialog

        dialog = AboutDialog(parent)
        self._keep(dialog)
        return dialog.launch()

    def show_results(self, parent: QWidget, results: Sequence[ExportResult], folder: Path) -> QWidget:
        from share_guard.gui.dialogs.export_dialog import ExportSummaryDialog

        dialog = ExportSummaryDialog(results, folder, parent)
        self._keep(dialog)
        return dialog.launch()

    # -- family protection ---------------------------------------------------------------
    def ask_parent(self, parent: QWidget, message: str,
                   reply: Callable[[str | None], None]) -> QWidget:
        """"A parent is here": ``reply`` gets the passphrase typed, or None."""
        from share_guard.gui.dialogs.parent_prompt import ask_parent_dialog

        dialog = ask_parent_dialog(parent, message, reply)
        self._keep(dialog)
        return dialog

    def show_sensitive_warning(self, parent: QWidget, mode: str, count: int) -> SensitiveWarning:
        """The full-window warning over ``parent``; connect its ``chosen`` signal."""
        from share_guard.gui.dialogs.sensitive_warning import SensitiveWarning

        # (a child of the window that deletes itself once answered: not kept in open_dialogs)
        return SensitiveWarning(parent, mode, count).launch()

    def show_policy(self, parent: QWidget, service: Service) -> PolicyDialog:
        from share_guard.gui.dialogs.policy_dialog import PolicyDialog

        dialog = PolicyDialog(service, parent, choose_folder=lambda: self.choose_folder(parent))
        self._keep(dialog)
        dialog.open()
        return dialog

    def show_consent_records(self, parent: QWidget, service: Service) -> QWidget:
        from share_guard.gui.dialogs.consent_records_dialog import ConsentRecordsDialog

        dialog = ConsentRecordsDialog(service.consent_log(), parent)
        self._keep(dialog)
        dialog.open()
        return dialog
