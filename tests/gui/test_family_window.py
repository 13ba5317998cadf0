"""Family protection in the real window: warning, "A parent is here", menu entries."""

from __future__ import annotations

import pytest
from gui_helpers import consent_dialog, gps_jpeg, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from share_guard.core.analysis.sensitive import CHECKED_PROPERTY, EXPLANATION
from share_guard.core.family import lock
from share_guard.core.family.lock import lock_policy
from share_guard.core.family.policy import PRESETS, Policy
from share_guard.core.family.records import ConsentLog
from share_guard.core.report import Category, Finding
from share_guard.gui.dialogs.consent_records_dialog import ConsentRecordsDialog
from share_guard.gui.dialogs.parent_prompt import ParentPrompt
from share_guard.gui.dialogs.policy_dialog import PolicyDialog
from share_guard.gui.dialogs.sensitive_warning import SensitiveWarning

PASS = "correct horse battery"


class Flagger:
    """Stands in for the nudity model: files named *flagged* are flagged (deterministic)."""

    name = "sensitive content"

    def analyze(self, src, report, progress, cancel):
        flagged = "flagged" in src.path.name
        report.properties[CHECKED_PROPERTY] = 0.99 if flagged else 0.01
        if not flagged:
            return []
        return [Finding(Category.SENSITIVE, "picture", "May show nudity", "score 0.99", EXPLANATION,
                        removable=False)]


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setattr(lock, "SCRYPT_N", 2**10)


def _visible(window, kind):
    return next((w for w in window.findChildren(kind) if w.isVisible()), None)


def _open(qtbot, window, dialogs, *paths):
    dialogs.files = list(paths)
    qtbot.mouseClick(window.empty.open_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, len(paths))


def _confirm_all(qtbot, window):
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.setChecked(True)
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)


def test_dont_share_stops_before_anything_is_asked(qtbot, make_window, dialogs, tmp_path):
    lock_policy(PRESETS["family"], PASS)
    window = make_window(analyzers=[Flagger()])
    _open(qtbot, window, dialogs, gps_jpeg(tmp_path / "flagged.jpg"))
    assert window.export_selected() is False  # waiting for the person
    warning = _visible(window, SensitiveWarning)
    assert warning is not None and warning.geometry() == window.rect()
    assert warning.way_on.text() == "A parent is here"
    qtbot.mouseClick(warning.dont_share, Qt.MouseButton.LeftButton)
    assert window.session.export_run is None and consent_dialog(window) is None
    assert "Nothing was shared" in window.statusBar().currentMessage()
    assert list(dialogs.folder.iterdir()) == []


def test_get_help_opens_the_help_page(qtbot, make_window, dialogs, tmp_path):
    lock_policy(PRESETS["family"], PASS)
    window = make_window(analyzers=[Flagger()])
    _open(qtbot, window, dialogs, gps_jpeg(tmp_path / "flagged.jpg"))
    window.export_selected()
    warning = _visible(window, SensitiveWarning)
    qtbot.mouseClick(warning.help, Qt.MouseButton.LeftButton)
    from share_guard.gui.dialogs.help_page import HelpPage

    assert any(isinstance(d, HelpPage) and d.isVisible() for d in dialogs.open_dialogs)


def test_a_parent_lets_a_flagged_photo_through(qtbot, make_window, dialogs, tmp_path):
    lock_policy(PRESETS["family"], PASS)
    window = make_window(analyzers=[Flagger()])
    _open(qtbot, window, dialogs, gps_jpeg(tmp_path / "flagged.jpg"))
    window.export_selected()
    qtbot.mouseClick(_visible(window, SensitiveWarning).way_on, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _visible(window, ParentPrompt) is not None, timeout=5000)
    prompt = _visible(window, ParentPrompt)
    assert "without clothes" in prompt.reason.text()
    assert list(dialogs.folder.iterdir()) == []  # nothing before the parent and consent
    qtbot.keyClicks(prompt.field, PASS)
    qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    _confirm_all(qtbot, window)
    # (the family rules name copies neutrally)
    assert [p.name for p in dialogs.folder.iterdir()] == ["photo_clean.jpg"]
    [record] = ConsentLog(tmp_path / "data").list()
    assert record.parent_approved and record.via == "dialog"


def test_without_the_passphrase_the_flagged_photo_is_not_saved(qtbot, make_window, dialogs, tmp_path):
    lock_policy(PRESETS["family"], PASS)
    window = make_window(analyzers=[Flagger()])
    _open(qtbot, window, dialogs, gps_jpeg(tmp_path / "flagged.jpg"))
    window.export_selected()
    qtbot.mouseClick(_visible(window, SensitiveWarning).way_on, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        for attempt in range(3):
            qtbot.waitUntil(lambda: _visible(window, ParentPrompt) is not None, timeout=5000)
            prompt = _visible(window, ParentPrompt)
            if attempt:
                assert "not right" in prompt.note.text()
            qtbot.keyClicks(prompt.field, f"guess {attempt}!")
            qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda p=prompt: not p.isVisible(), timeout=5000)
    assert list(dialogs.folder.iterdir()) == []
    entry = window.session.entries[0]
    assert entry.result is not None and entry.result.status == "refused"


def test_share_anyway_under_warn_goes_to_consent(qtbot, make_window, dialogs, tmp_path):
    lock_policy(Policy(sensitive="warn"), PASS)
    window = make_window(analyzers=[Flagger()])
    _open(qtbot, window, dialogs, gps_jpeg(tmp_path / "flagged.jpg"))
    window.export_selected()
    warning = _visible(window, SensitiveWarning)
    assert warning.way_on.text() == "Share anyway"
    qtbot.mouseClick(warning.way_on, Qt.MouseButton.LeftButton)
    _confirm_all(qtbot, window)
    assert [p.name for p in dialogs.folder.iterdir()] == ["flagged_clean.jpg"]


def test_unflagged_photo_shows_no_warning(qtbot, make_window, dialogs, tmp_path):
    lock_policy(PRESETS["family"], PASS)
    window = make_window(analyzers=[Flagger()])
    _open(qtbot, window, dialogs, gps_jpeg(tmp_path / "beach.jpg"))
    window.export_selected()
    assert _visible(window, SensitiveWarning) is None
    _confirm_all(qtbot, window)
    # the family rules name copies neutrally (and the window shows the box fixed)
    assert [p.name for p in dialogs.folder.iterdir()] == ["photo_clean.jpg"]
    assert window.export_bar.neutral.isChecked() and not window.export_bar.neutral.isEnabled()


def test_menu_entries_open_settings_and_records(qtbot, window):
    assert window.family.policy_action in window.settings_menu.actions()
    window.family.policy_action.trigger()
    assert _visible(window, PolicyDialog) is not None
    window.family.records_action.trigger()
    records = _visible(window, ConsentRecordsDialog)
    assert records is not None and records.list.count() == 0


def test_the_verdicts_on_screen_follow_a_change_of_rules(qtbot, make_window, dialogs, tmp_path):
    from share_guard.core.family.lock import save_policy

    window = make_window(analyzers=[Flagger()])
    _open(qtbot, window, dialogs, gps_jpeg(tmp_path / "flagged.jpg"))
    window.file_list.set_current_row(0)
    qtbot.waitUntil(window.actions_settled)
    assert window.inspector.export_button.isEnabled() and window.export_action.isEnabled()
    dialog = window.family.show_policy()
    save_policy(Policy(sensitive="block"))  # as the dialog's save does, on its worker
    dialog.policy_changed.emit()
    qtbot.waitUntil(window.actions_settled)
    entry = window.session.entries[0]
    assert entry.assessment is not None and entry.assessment.blocked
    assert not window.inspector.export_button.isEnabled() and not window.export_action.isEnabled()
    assert "No clean copy can be made" in window.inspector.banner.label.text()
