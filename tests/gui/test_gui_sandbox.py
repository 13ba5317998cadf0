"""The window reads no untrusted file itself: checks, previews, the checks new rules need and
the export all run in the sandbox, even when the rules change while files are listed."""

from __future__ import annotations

from gui_helpers import consent_dialog, wait_idle
from PySide6.QtWidgets import QCheckBox

from share_guard.core.family.lock import save_policy
from share_guard.core.family.policy import Policy
from tests.parent_guard import forbid_decoders
from tests.test_sandbox_boundary import astronaut


def test_export_after_the_rules_change_runs_no_model_or_decoder_in_the_window(
        qtbot, make_window, dialogs, tmp_path, monkeypatch):
    photo = astronaut(tmp_path / "astronaut.jpg")
    calls = forbid_decoders(monkeypatch)  # from the start: the window never decodes
    window = make_window(isolate=True, faces=True, codes=True, takedown=True)  # as the app
    window.open_paths([photo])
    wait_idle(qtbot, window, 1, timeout=60_000)
    entry = window.session.entries[0]
    window.file_list.set_current_row(0)
    qtbot.waitUntil(lambda: window.inspector.preview.view.pixmap is not None, timeout=20_000)
    assert entry.redaction is not None and entry.redaction.covered  # the face, found
    assert "sensitive content" not in entry.report.checked

    save_policy(Policy(sensitive="warn"))  # the rules change while the file is listed
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=60_000)
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.click()
    with qtbot.waitSignal(window.session.export_finished, timeout=60_000):
        dialog.confirm_button.click()
    assert entry.result is not None and entry.result.ok, entry.result.reason
    assert "sensitive content" in entry.result.before.checked  # run for the new rules...
    assert "sensitive content" not in entry.report.checked  # ...on a copy of the report
    assert calls == []
