"""Consent records: what was confirmed at each export, on this computer only. View and delete.

The records come from ``core.consent_records`` (``Service.consent_log()``); by
default they name no file. Deleting asks once (``confirm``, a seam tests replace).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.family.records import ConsentLog, ConsentRecord
from share_guard.core.i18n import N_, _, isolate, ngettext, pgettext, translated

OUTCOME_WORDS = {"exported": N_("Shared"), "declined": N_("Not shared (consent not given)"),
                 "failed": N_("Nothing written")}


def summary(record: ConsentRecord) -> str:
    """One line for a consent record."""
    when = isolate(record.at.replace("T", " ").replace("+00:00", " UTC"))
    files = ngettext("{exported} of {n} file", "{exported} of {n} files", record.files).format(
        exported=record.exported)
    warn = "  \u26a0" if record.warnings_shown else ""
    # Translators: a consent record in the list ("2026-12-06 14:05 UTC  —  Shared: 1 of 1 file")
    return pgettext("a consent record", "{when}  —  {outcome}: {files}").format(
        when=when, outcome=translated(OUTCOME_WORDS.get(record.outcome, record.outcome)),
        files=files) + warn


def answered(record: ConsentRecord) -> str:
    """How consent was answered; a declined record never says it was given."""
    via = record.via
    if record.outcome == "declined":
        if via == "none":
            return _("Consent not given (nobody answered)")
        return {"dialog": _("Consent not given (asked in the app)"),
                "terminal": _("Consent not given (asked on the terminal)"),
                "flag": _("Consent not given (asked in advance, on the command line)")}.get(
            via, _("Consent not given"))
    return {"dialog": _("Consent given in the app"),
            "terminal": _("Consent given on the terminal"),
            "flag": _("Consent given in advance, on the command line"),
            "none": _("Consent given by nobody")}.get(via, _("Consent given"))


def details(record: ConsentRecord) -> str:
    lines = [summary(record), answered(record)]
    lines += [pgettext("a consent record", "Confirmed: {what}").format(what=translated(c))
              for c in record.confirmed]
    if record.removed:
        lines.append(pgettext("a consent record", "Removed: {what}").format(
            what=_(", ").join(translated(r) for r in record.removed)))
    lines += [pgettext("a consent record", "Changed: {what}").format(what=translated(c))
              for c in record.changed]
    for w in record.warnings_shown:
        lines.append(_("Warning shown: {warning} (shared anyway)").format(warning=translated(w))
                     if w in record.warnings_overridden else
                     _("Warning shown: {warning}").format(warning=translated(w)))
    if record.parent_approved:
        lines.append(_("A parent's passphrase was given."))
    for d in record.detail or ():
        lines.append(_("File: {source} → {output} ({status}); SHA-256 {sha256}").format(
            source=isolate(d.get("source")), output=isolate(d.get("output")),
            status=translated(str(d.get("status"))), sha256=d.get("sha256")))
    return "\n".join(lines)


def _confirm_box(parent: QWidget, question: str) -> bool:
    answer = QMessageBox.question(parent, _("Delete records"), question,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class ConsentRecordsDialog(QDialog):
    def __init__(self, log: ConsentLog, parent: QWidget | None = None, *,
                 confirm: Callable[[str], bool] | None = None) -> None:
        super().__init__(parent)
        self.log = log
        self.confirm = confirm or (lambda question: _confirm_box(self, question))
        self.setWindowTitle(_("Consent records"))
        self.setMinimumSize(560, 420)
        intro = QLabel(_(
            "What was confirmed each time something was shared. These records stay on this "
            "computer and are never sent anywhere. They do not name files unless detailed "
            "records are turned on in the protection settings."), self)
        intro.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("records")
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.currentItemChanged.connect(self._show)
        self.detail = QLabel(self)
        self.detail.setObjectName("detail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty = QLabel(_("No consent records."), self)
        self.delete_button = QPushButton(_("Delete selected"), self)
        self.delete_button.setObjectName("delete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.clear_button = QPushButton(_("Delete all"), self)
        self.clear_button.setObjectName("clear")
        self.clear_button.clicked.connect(self.delete_all)
        close = QPushButton(_("Close"), self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.detail, 1)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        for record in self.log.list():
            item = QListWidgetItem(summary(record))
            item.setData(Qt.ItemDataRole.UserRole, record)
            self.list.addItem(item)
        has = self.list.count() > 0
        self.empty.setVisible(not has)
        self.clear_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        if has:
            self.list.setCurrentRow(0)
        else:
            self.detail.clear()

    def records(self) -> list[ConsentRecord]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def _show(self, item: QListWidgetItem | None) -> None:
        self.detail.setText(details(item.data(Qt.ItemDataRole.UserRole)) if item else "")

    def delete_selected(self) -> int:
        ids = [item.data(Qt.ItemDataRole.UserRole).id for item in self.list.selectedItems()]
        if not ids or not self.confirm(ngettext("Delete {n} record?", "Delete {n} records?", len(ids))):
            return 0
        count = self.log.delete(ids)
        self.reload()
        return count

    def delete_all(self) -> int:
        if not self.list.count() or not self.confirm(_("Delete every consent record?")):
            return 0
        count = self.log.clear()
        self.reload()
        return count
