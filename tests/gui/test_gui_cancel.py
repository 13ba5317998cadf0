"""Long work can be stopped, and stopping never leaves a partial file behind."""

from __future__ import annotations

from gui_helpers import SlowAnalyzer, SlowTransform, consent_dialog, gps_jpeg, plain_jpeg, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox


def test_cancel_during_a_long_inspection(qtbot, make_window, dialogs, tmp_path):
    slow = SlowAnalyzer()
    window = make_window(analyzers=[slow])
    photo = gps_jpeg(tmp_path / "slow.jpg")
    original = photo.read_bytes()
    window.open_paths([photo])
    qtbot.waitUntil(lambda: slow.started.is_set() and window.session.entries
                    and window.session.entries[0].state == "checking", timeout=5000)
    entry = window.session.entries[0]
    assert window.file_list.status_text(entry) == "Checking…"
    window.file_list.select_entry(entry)
    stop = window.inspector.stop_button
    assert stop.isVisibleTo(window.inspector)
    # nothing can be exported while the check runs
    qtbot.waitUntil(window.actions_settled)
    assert not window.export_action.isEnabled()
    assert not window.inspector.export_button.isEnabled()

    qtbot.mouseClick(stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: entry.state == "cancelled", timeout=5000)
    assert window.file_list.status_text(entry) == "Stopped"
    assert not stop.isVisibleTo(window.inspector)
    assert entry.report is None
    qtbot.waitUntil(window.actions_settled)
    assert not window.export_all_action.isEnabled()
    assert window.inspector.recheck_button.isVisibleTo(window.inspector)
    assert list(dialogs.folder.iterdir()) == []
    assert list(tmp_path.glob("**/.sg-*")) == []
    assert photo.read_bytes() == original

    # checking again works once the slow step is allowed to finish
    slow.release.set()
    qtbot.mouseClick(window.inspector.recheck_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window, 1)
    assert entry.state == "checked" and entry.report is not None and entry.report.leaks()


def test_other_files_finish_while_one_is_slow(qtbot, make_window, tmp_path):
    slow = SlowAnalyzer(only="slow")
    window = make_window(analyzers=[slow])
    window.open_paths([plain_jpeg(tmp_path / "slow.jpg"), plain_jpeg(tmp_path / "fast.jpg")])
    # The pool may start the files in either order: wait until the slow one is held
    # in its analyzer and the fast one is done.
    qtbot.waitUntil(lambda: len(window.session.entries) == 2
                    and window.session.entries[1].state == "checked"
                    and slow.started.is_set(), timeout=5000)
    held, fast = window.session.entries
    assert held.state == "checking"
    assert window.file_list.status_text(fast) == "Nothing found"
    # the finished file can be looked at and exported while the other is still checked
    window.file_list.select_entry(fast)
    qtbot.waitUntil(window.export_action.isEnabled)
    # Escape in the list stops checking the selected file
    window.file_list.select_entry(held)
    window.file_list.view.setFocus()
    from PySide6.QtTest import QTest

    QTest.keyClick(window.file_list.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: held.state == "cancelled", timeout=5000)


def test_cancel_during_export_leaves_no_partial_output(qtbot, make_window, dialogs, tmp_path):
    slow = SlowTransform()
    window = make_window(transforms=[slow])
    photo = gps_jpeg(tmp_path / "big.jpg")
    original = photo.read_bytes()
    window.open_paths([photo])
    wait_idle(qtbot, window, 1)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.click()
    dialog.confirm_button.click()
    qtbot.waitUntil(slow.started.is_set, timeout=5000)
    # half a file now sits in a temp file in the output folder
    assert any(p.name.startswith(".sg-") for p in dialogs.folder.iterdir())
    assert window.export_bar.stop_button.isVisibleTo(window.export_bar)
    qtbot.waitUntil(window.actions_settled)
    assert not window.export_all_action.isEnabled()
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        qtbot.mouseClick(window.export_bar.stop_button, Qt.MouseButton.LeftButton)
    assert list(dialogs.folder.iterdir()) == []
    assert list((tmp_path / "data").glob("pending-temp/*")) == []
    assert photo.read_bytes() == original
    entry = window.session.entries[0]
    # stopping is a choice: no red error, the findings stay, the words say nothing was written
    assert entry.result is None and "stopped" in entry.note
    assert window.file_list.status_text(entry) == "6 things found"
    assert entry.report is not None and entry.report.leaks()
    assert not window.export_bar.stop_button.isVisibleTo(window.export_bar)


def test_closing_the_window_while_consent_is_open_refuses_and_joins_threads(qtbot, make_window, dialogs,
                                                                            tmp_path):
    window = make_window()
    window.open_paths([gps_jpeg(tmp_path / "c.jpg")])
    wait_idle(qtbot, window, 1)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    run = window.session.export_run
    assert run is not None
    window.close()
    assert window.session.side_pool.activeThreadCount() == 0
    assert run.bridge.last_answer is not None and not run.bridge.last_answer.granted
    assert list(dialogs.folder.iterdir()) == []
