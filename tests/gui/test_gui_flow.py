"""The main path, driven as a person would: open -> findings -> consent -> clean copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import consent_dialog, gps_jpeg, odd_marker_jpeg, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from share_guard.core.inspect import inspect
from share_guard.core.report import Category
from share_guard.gui.dialogs.consent_dialog import ConsentDialog
from share_guard.gui.settings import Settings


@pytest.fixture(params=[False, True], ids=["in-process", "isolated"])
def window(make_window, request):
    """The main path runs both in-process and as the app runs it: every file parsed,
    exported and decoded for preview in isolated worker processes."""
    return make_window(isolate=request.param)


def _open_one(qtbot, window, dialogs, path: Path):
    dialogs.files = [path]
    qtbot.mouseClick(window.empty.open_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 1)
    return window.session.entries[0]


def test_open_shows_row_and_location_finding(qtbot, window, dialogs, tmp_path):
    photo = gps_jpeg(tmp_path / "holiday.jpg")
    assert window.stack.currentWidget() is window.empty
    runner = window.session.service.engine.runner
    tasks_before = runner.stats.tasks if runner.isolated else 0
    entry = _open_one(qtbot, window, dialogs, photo)

    assert window.stack.currentWidget() is window.splitter
    assert window.file_list.entries() == [entry]
    assert window.file_list.status_text(entry) == "6 things found"
    assert "Location" in window.file_list.reason_text(entry)  # the why column says what
    assert window.inspector.entry is entry
    titles = window.inspector.findings.titles()
    assert titles[0] == "Location"
    assert {"Who & which device", "When"} <= set(titles)
    location = window.inspector.findings.sections[0]
    assert "GPS" in location.rows[0].text.text()
    # detail on demand: hidden until the arrow is clicked, and plain text only
    assert location.rows[0].detail.isHidden()
    qtbot.mouseClick(location.rows[0].more, Qt.MouseButton.LeftButton)
    assert not location.rows[0].detail.isHidden()
    assert location.rows[0].detail.textFormat() == Qt.TextFormat.PlainText
    assert "52.5" in location.rows[0].detail.text()
    assert "Orientation" in window.inspector.findings.kept.text()
    # the preview arrives from a worker
    qtbot.waitUntil(lambda: window.inspector.preview.view.pixmap is not None, timeout=5000)
    assert window.inspector.preview.view.full_size == (320, 240)
    if window.session.service.isolate:  # inspection and preview both ran in a worker process
        assert runner.stats.tasks >= tasks_before + 2


def _tick_and_read(qtbot, dialog: ConsentDialog) -> list[bool]:
    """Tick each confirmation in turn; report whether the confirm button was enabled after each."""
    states = [dialog.confirm_button.isEnabled()]
    for box in dialog.findChildren(QCheckBox):
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().topLeft() + box.rect().center() / 4)
        states.append(dialog.confirm_button.isEnabled())
    return states


def test_export_needs_both_confirmations_then_writes_a_clean_copy(qtbot, window, dialogs, tmp_path):
    photo = gps_jpeg(tmp_path / "holiday.jpg")
    original = photo.read_bytes()
    _open_one(qtbot, window, dialogs, photo)

    assert window.export_action.isEnabled()
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    assert dialog.isModal()
    texts = [b.text() for b in dialog.findChildren(QCheckBox)]
    assert texts == ["Everyone who can be recognised in this agreed to it being shared",
                     "I have the right to share this"]
    # no one can be recognised in it: no reminder about intimate images
    assert not dialog.reminder.isVisibleTo(dialog)
    assert any("Location" in r for r in dialog.request.items[0].will_remove)
    # nothing is written while the question is open, and the row says it waits for the person
    assert list(dialogs.folder.iterdir()) == []
    from share_guard.gui.status import detail_line

    assert detail_line(window.session.entries[0]) == "waiting for your answer"

    assert _tick_and_read(qtbot, dialog) == [False, False, True]
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)

    out = dialogs.folder / "holiday_clean.jpg"
    assert out.is_file()
    assert photo.read_bytes() == original, "the original was changed"
    after = inspect(out)
    assert after.ok and not after.leaks()
    assert not after.has(Category.LOCATION)
    entry = window.session.entries[0]
    assert entry.result is not None and entry.result.ok
    assert window.file_list.status_text(entry) == "Clean copy saved"
    view = window.inspector.result
    assert view.isVisible()
    assert view.copy_actions.name.text() == "holiday_clean.jpg"
    assert view.removed.text().strip()
    # the folder was asked once and is remembered for next time (and next start)
    assert dialogs.folder_asked == 1
    assert Settings().output_dir == dialogs.folder
    assert "out" in window.export_bar.folder_label.text()
    qtbot.waitUntil(window.export_action.isEnabled)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        consent_dialog(window).reject()
    assert dialogs.folder_asked == 1
    assert [p.name for p in dialogs.folder.iterdir()] == ["holiday_clean.jpg"]
    # saying no is a choice, not an error: the findings stay, the words are calm
    assert entry.result is None and "consent was not given" in entry.note
    assert window.file_list.status_text(entry) == "6 things found"


def test_closing_the_consent_dialog_refuses(qtbot, window, dialogs, tmp_path):
    photo = gps_jpeg(tmp_path / "a.jpg")
    _open_one(qtbot, window, dialogs, photo)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    # ticking only one box and pressing Enter must not slip through
    dialog.findChildren(QCheckBox)[0].setChecked(True)
    dialog.accept()
    assert dialog.isVisible()
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.answer().granted is False
    assert list(dialogs.folder.iterdir()) == []
    entry = window.session.entries[0]
    assert entry.result is None and "consent was not given" in entry.note
    assert entry.report is not None and entry.report.leaks()  # the findings are kept
    assert "consent was not given" in window.file_list.reason_text(entry)
    assert window.inspector.banner.tone == "muted"
    assert window.session.last_consent is not None and not window.session.last_consent.granted
    assert "consent" in window.statusBar().currentMessage()


def test_export_never_overwrites_an_existing_file(qtbot, window, dialogs, tmp_path):
    photo = gps_jpeg(tmp_path / "b.jpg")
    (dialogs.folder / "b_clean.jpg").write_bytes(b"someone else's file")
    _open_one(qtbot, window, dialogs, photo)
    window.export_all_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.setChecked(True)
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert (dialogs.folder / "b_clean.jpg").read_bytes() == b"someone else's file"
    entry = window.session.entries[0]
    assert entry.result.ok and entry.result.output == dialogs.folder / "b_clean-2.jpg"
    assert not inspect(entry.result.output).leaks()
    assert window.file_list.status_text(entry) == "Clean copy saved"


def test_a_file_appearing_under_the_chosen_name_is_not_overwritten(qtbot, window, dialogs, tmp_path):
    photo = gps_jpeg(tmp_path / "d.jpg")
    _open_one(qtbot, window, dialogs, photo)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    # another program writes the same name while the person reads the dialog
    (dialogs.folder / "d_clean.jpg").write_bytes(b"late arrival")
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.setChecked(True)
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        dialog.confirm_button.click()
    assert (dialogs.folder / "d_clean.jpg").read_bytes() == b"late arrival"
    entry = window.session.entries[0]
    assert entry.result.status == "error" and "already exists" in entry.result.reason
    assert window.file_list.status_text(entry) == "Not saved"


def test_a_file_the_cleaner_refuses_can_be_rebuilt_from_pixels(qtbot, window, dialogs, tmp_path):
    odd = odd_marker_jpeg(tmp_path / "odd.jpg")
    original = odd.read_bytes()
    entry = _open_one(qtbot, window, dialogs, odd)
    assert entry.report.problems
    inspector = window.inspector
    assert window.file_list.status_text(entry) == "Needs a rebuild"
    assert inspector.rebuild_button.isVisibleTo(inspector)
    assert not inspector.export_button.isVisibleTo(inspector)
    qtbot.mouseClick(inspector.rebuild_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.click()
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        dialog.confirm_button.click()
    assert entry.result.ok, entry.result.reason
    after = inspect(entry.result.output)
    assert after.ok and not after.problems and not after.leaks()
    assert odd.read_bytes() == original
    assert any("rebuilt" in c for c in entry.result.changed)
    assert "rebuilt from pixels" in inspector.result.kept.text()
