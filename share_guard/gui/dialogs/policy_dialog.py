"""Protection settings: the policy's rules, presets, and the parent lock.

All rules and checks live in the core (``core.family.policy``, ``core.family.lock``),
reached through the window's service; this dialog shows them and passes the person's
choices on. While the policy is locked, every change asks for the parent
passphrase (through ``ask_passphrase``, a seam tests replace), and the core
refuses a wrong one (rate-limited). Saving, locking and unlocking derive a key from a
passphrase (scrypt, ~64 MiB and a fraction of a second): they run on a worker thread,
the dialog stays responsive, and ``action_done(ok)`` says when one has finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.errors import ShareGuardError
from share_guard.core.family.lock import PolicyState
from share_guard.core.family.policy import Policy
from share_guard.core.i18n import N_, _, ngettext, pgettext, translated
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.gui.workers import Job

if TYPE_CHECKING:
    from share_guard.gui.service import Service

BOOL_RULES = ("strip_location", "strip_all_metadata", "ask_consent",
              "faces_must_be_redacted_or_confirmed", "block_takedown_matches", "neutral_names",
              "audit")
#: the rules in the person's words (the command line's help has its own, with its options)
RULE_WORDS = {
    "strip_location": N_("Refuse a file whose location cannot be removed"),
    "strip_all_metadata": N_("Refuse a file with identifying details that cannot be removed"),
    "ask_consent": N_("Ask for consent every time, in the app or on the terminal"),
    "faces_must_be_redacted_or_confirmed": N_("Cover people who can be recognised, or "
                                              "confirm they agreed"),
    "block_takedown_matches": N_("Never share a file that matches the takedown list"),
    "neutral_names": N_("Name clean copies photo_clean or video_clean, not after the original"),
    "audit": N_("Keep detailed consent records with file names (for newsrooms)"),
}
#: the policy's ``sensitive`` values, loosest first, in the person's words
SENSITIVE_WORDS = {
    "allow": N_("No check"),
    "warn": N_("Warn before sharing"),
    "gate": N_("Warn, and a parent must agree"),
    "block": N_("Never share"),
}
STATUS_WORDS = {
    "default": N_("Not set: the default rules apply."),
    "unlocked": N_("Set, not locked: anyone using this account can change these rules."),
    "locked": N_("Locked: changing these rules needs the parent passphrase."),
    "tampered": N_("The protection settings were changed or removed outside share_guard. The "
                   "strictest rules apply until a parent saves them again."),
}


def _plain(text: str, parent: QWidget, *, bold: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(True)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


def _prompt_passphrase(parent: QWidget, message: str) -> str | None:
    from share_guard.gui.dialogs.parent_prompt import ParentPrompt

    dialog = ParentPrompt(message, parent, action=N_("OK"))
    dialog.exec()
    return dialog.passphrase()


class PolicyDialog(QDialog):
    """``service`` is the window's ``Service`` (policy_state, save/lock/unlock_policy...)."""

    #: the rules in force changed (saved, locked or unlocked)
    policy_changed = Signal()
    #: a save, lock or unlock finished: True when it was done
    action_done = Signal(bool)

    def __init__(self, service: Service, parent: QWidget | None = None, *,
                 ask_passphrase: Callable[[str], str | None] | None = None,
                 choose_folder: Callable[[], Path | None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Protection settings"))
        self.setMinimumWidth(600)
        self.ask_passphrase = ask_passphrase or (lambda message: _prompt_passphrase(self, message))
        self.choose_folder = choose_folder
        self.service = service
        self.presets: dict[str, Policy] = service.policy_presets()
        self.state: PolicyState = service.policy_state()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.job: Job | None = None  # the save, lock or unlock under way

        self.status = _plain("", self, bold=True)
        self.status.setObjectName("status")
        self.message = _plain("", self)
        self.message.setObjectName("message")

        rules = QGroupBox(_("Rules"), self)
        form = QFormLayout(rules)
        self.checks: dict[str, QCheckBox] = {}
        for rule in BOOL_RULES:
            box = QCheckBox(translated(RULE_WORDS[rule]), rules)
            box.setObjectName(rule)
            self.checks[rule] = box
            form.addRow(box)
        self.sensitive = QComboBox(rules)
        self.sensitive.setObjectName("sensitive")
        for mode in SENSITIVE_WORDS:
            self.sensitive.addItem(translated(SENSITIVE_WORDS[mode]), mode)
        form.addRow(_("Photos that may show nudity:"), self.sensitive)
        self.folders = QListWidget(rules)
        self.folders.setObjectName("folders")
        self.folders.setMaximumHeight(90)
        add, remove = QPushButton(_("Add folder…"), rules), QPushButton(_("Remove"), rules)
        add.clicked.connect(self._add_folder)
        remove.clicked.connect(lambda: [self.folders.takeItem(self.folders.row(i))
                                        for i in self.folders.selectedItems()])
        add.setEnabled(choose_folder is not None)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        form.addRow(_("Save clean copies only in (empty: anywhere):"), self.folders)
        form.addRow(row)
        presets = QHBoxLayout()
        self.family_button = QPushButton(_("Use the family rules"), rules)
        self.family_button.setObjectName("preset_family")
        self.family_button.clicked.connect(lambda: self.show_policy(self.presets["family"]))
        default = QPushButton(_("Use the default rules"), rules)
        default.clicked.connect(lambda: self.show_policy(self.presets["default"]))
        presets.addWidget(self.family_button)
        presets.addWidget(default)
        presets.addStretch(1)
        form.addRow(presets)

        lock_box = QGroupBox(_("Parent passphrase"), self)
        lock_layout = QFormLayout(lock_box)
        self.new1, self.new2 = QLineEdit(lock_box), QLineEdit(lock_box)
        for field, name in ((self.new1, "new_passphrase"), (self.new2, "new_passphrase_again")):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setObjectName(name)
        least = ngettext("At least {n} character", "At least {n} characters",
                         service.min_passphrase())
        self.new1.setPlaceholderText(least)
        lock_layout.addRow(_("New passphrase:"), self.new1)
        lock_layout.addRow(_("Again:"), self.new2)
        self.lock_button = QPushButton(_("Lock with this passphrase"), lock_box)
        self.lock_button.setObjectName("lock")
        self.lock_button.clicked.connect(self.lock)
        self.unlock_button = QPushButton(_("Unlock"), lock_box)
        self.unlock_button.setObjectName("unlock")
        self.unlock_button.clicked.connect(self.unlock)
        buttons = QHBoxLayout()
        buttons.addWidget(self.lock_button)
        buttons.addWidget(self.unlock_button)
        buttons.addStretch(1)
        lock_layout.addRow(buttons)

        self.save_button = QPushButton(_("Save"), self)
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        close = QPushButton(_("Close"), self)
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addWidget(rules)
        layout.addWidget(lock_box)
        layout.addLayout(bottom)
        self.refresh()

    # -- showing ------------------------------------------------------------------------------
    def refresh(self, message: str = "") -> None:
        self.state = self.service.policy_state()
        text = translated(STATUS_WORDS[self.state.status])
        if self.state.problem:
            text = pgettext("protection settings", "{status} ({problem})").format(status=text,
                                                    problem=translated(self.state.problem))
        self.status.setText(text)
        self.message.setText(message)
        self.message.setVisible(bool(message))
        self.show_policy(self.state.policy)
        locked = self.state.locked
        self.unlock_button.setEnabled(locked)
        self.lock_button.setText(_("Change passphrase") if locked
                                 else _("Lock with this passphrase"))

    def show_policy(self, policy: Policy) -> None:
        for rule, box in self.checks.items():
            box.setChecked(bool(getattr(policy, rule)))
        self.sensitive.setCurrentIndex(self.sensitive.findData(policy.sensitive))
        self.folders.clear()
        self.folders.addItems(list(policy.allowed_output_folders))

    def policy(self) -> Policy:
        """The rules as shown in the form (a ``core.policy.Policy``; validated by the core)."""
        values = {rule: box.isChecked() for rule, box in self.checks.items()}
        folders = tuple(self.folders.item(i).text() for i in range(self.folders.count()))
        return replace(self.state.policy, **values, sensitive=str(self.sensitive.currentData()),
                       allowed_output_folders=folders)

    def _add_folder(self) -> None:
        folder = self.choose_folder() if self.choose_folder else None
        if folder is not None and not self.folders.findItems(str(folder), Qt.MatchFlag.MatchExactly):
            self.folders.addItem(str(Path(folder).resolve()))

    # -- changing -----------------------------------------------------------------------------
    def _current_passphrase(self, why: str) -> tuple[bool, str | None]:
        """(go on, passphrase). Asks only when the policy is locked with a checkable lock."""
        if not self.state.locked or self.state.material is None:
            return True, None
        typed = self.ask_passphrase(why)
        return typed is not None, typed

    def busy(self) -> bool:
        return self.job is not None

    def _run(self, action: Callable[[], object], done: str) -> bool:
        """Start ``action`` on the worker thread (False when one is already running)."""
        if self.job is not None:
            return False

        def work(_progress: ProgressFn, _cancel: CancelToken) -> str:
            try:
                action()
            except ValueError as exc:  # a rule value the core rejected
                raise ShareGuardError(str(exc)) from exc
            return done

        job = Job(work)
        job.signals.done.connect(self._on_done)
        job.signals.failed.connect(self._on_failed)
        self.job = job
        self._set_enabled(False)
        self.message.setText(_("Working…"))
        self.message.setVisible(True)
        self.pool.start(job)
        return True

    def _set_enabled(self, on: bool) -> None:
        for button in (self.save_button, self.lock_button, self.family_button):
            button.setEnabled(on)
        self.unlock_button.setEnabled(on and self.state.locked)

    @Slot(object, object)
    def _on_done(self, _job: Job, done: str) -> None:
        self.job = None
        self.new1.clear()
        self.new2.clear()
        self.refresh(done)
        self._set_enabled(True)
        self.policy_changed.emit()
        self.action_done.emit(True)

    @Slot(object, str)
    def _on_failed(self, _job: Job, reason: str) -> None:
        self.job = None
        self.refresh()
        self.message.setText(translated(reason))
        self.message.setVisible(True)
        self._set_enabled(True)
        self.action_done.emit(False)

    def done(self, result: int) -> None:
        self.pool.waitForDone()  # a save under way finishes (a fraction of a second)
        super().done(result)

    # save, lock and unlock return True when the change was started (``action_done`` follows)
    def save(self) -> bool:
        policy = self.policy()
        go, passphrase = self._current_passphrase(_("Type the parent passphrase to save "
                                                          "these rules."))
        if not go:
            return False
        return self._run(lambda: self.service.save_policy(policy, passphrase), _("Saved."))

    def lock(self) -> bool:
        if self.new1.text() != self.new2.text():
            self.message.setText(_("The two passphrases differ."))
            self.message.setVisible(True)
            return False
        policy, new = self.policy(), self.new1.text()
        go, current = self._current_passphrase(_("Type the current parent passphrase."))
        if not go:
            return False
        # (the status line says it is locked: not said twice)
        return self._run(lambda: self.service.lock_policy(policy, new, current), "")

    def unlock(self) -> bool:
        go, passphrase = self._current_passphrase(_("Type the parent passphrase to unlock."))
        if not go:
            return False
        # (a damaged lock with nothing to check against unlocks without one)
        return self._run(lambda: self.service.unlock_policy(passphrase or ""), "")
