"""Getting files in: dropped folders, unsupported and broken files, the list's keys."""

from __future__ import annotations

from gui_helpers import consent_dialog, corrupt_jpeg, gps_jpeg, plain_jpeg, truncated_jpeg, wait_idle
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox

from share_guard.core.inspect import inspect


def _drop(window, paths) -> QDropEvent:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    return drop


def test_dropped_folder_lists_every_file_and_bad_ones_do_not_stop_the_rest(qtbot, window, dialogs, tmp_path):
    folder = tmp_path / "dropped"
    (folder / "sub").mkdir(parents=True)
    gps_jpeg(folder / "a_gps.jpg")
    plain_jpeg(folder / "sub" / "b_plain.jpg")
    corrupt_jpeg(folder / "c_broken.jpg")
    truncated_jpeg(folder / "e_cut.jpg")
    (folder / "d_notes.txt").write_text("shopping list\n")
    (folder / ".hidden.jpg").write_bytes(b"")
    original = (folder / "a_gps.jpg").read_bytes()

    _drop(window, [folder])
    wait_idle(qtbot, window, 5)

    badges = {e.path.name: window.file_list.status_text(e) for e in window.session.entries}
    assert badges == {
        "a_gps.jpg": "6 things found",
        "c_broken.jpg": "Can't be read",
        "d_notes.txt": "Not supported",
        "e_cut.jpg": "Can't be cleaned",
        "b_plain.jpg": "Nothing found",
    }
    broken = next(e for e in window.session.entries if e.path.name == "c_broken.jpg")
    assert window.file_list.reason_text(broken) == broken.report.error
    notes = next(e for e in window.session.entries if e.path.name == "d_notes.txt")
    cut = next(e for e in window.session.entries if e.path.name == "e_cut.jpg")
    window.file_list.select_entry(cut)
    # cut off in its header: its pixels cannot be decoded, so no rebuild is offered (it failed
    # with an OSError when it was)
    assert "cannot be rebuilt from them" in window.inspector.banner.label.text()
    assert not window.inspector.rebuild_button.isVisibleTo(window.inspector)
    assert "text file" in notes.report.error
    # the summary under the list counts them as the CLI does
    assert window.file_list.summary.text().startswith("2 ready, 3 can't be cleaned: ")

    # the broken one shows its reason in the inspector and cannot be exported...
    window.file_list.select_entry(broken)
    assert window.inspector.banner.isVisibleTo(window.inspector)
    assert "cannot be checked" in window.inspector.banner.label.text()
    assert not window.inspector.export_button.isEnabled()
    # ...and "save all" still exports the good ones
    window.export_all_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    assert len(dialog.request.items) == 2
    for box in dialog.findChildren(QCheckBox):
        box.click()
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        dialog.confirm_button.click()
    assert sorted(p.name for p in dialogs.folder.iterdir()) == ["a_gps_clean.jpg", "b_plain_clean.jpg"]
    assert not inspect(dialogs.folder / "a_gps_clean.jpg").leaks()
    assert (folder / "a_gps.jpg").read_bytes() == original
    statuses = {e.path.name: e.result.status for e in window.session.entries}
    assert statuses["a_gps.jpg"] == "cleaned" and statuses["c_broken.jpg"] == "error"
    summary = next(d for d in dialogs.open_dialogs if d.isVisible())
    assert "2 saved, 3 not saved" in summary.heading.text()
    assert ("e_cut.jpg", cut.assessment.reason) in summary.rows


def test_drop_without_files_is_ignored(qtbot, window):
    data = QMimeData()
    data.setText("just text")
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert not drop.isAccepted()
    assert window.session.entries == []


def test_same_file_twice_is_listed_once(qtbot, window, tmp_path):
    photo = plain_jpeg(tmp_path / "x.jpg")
    window.open_paths([photo, tmp_path / "." / "x.jpg"])
    wait_idle(qtbot, window, 1)


def test_keyboard_next_previous_and_delete(qtbot, window, tmp_path):
    paths = [plain_jpeg(tmp_path / f"{n}.jpg") for n in ("one", "two", "three")]
    window.open_paths(paths)
    wait_idle(qtbot, window, 3)
    window.activateWindow()
    window.file_list.setFocus()
    assert window.file_list.view.hasFocus()
    assert window.file_list.current_entry().path.name == "one.jpg"
    QTest.keyClick(window, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert window.inspector.entry.path.name == "two.jpg"
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.inspector.entry.path.name == "three.jpg"
    QTest.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert window.inspector.entry.path.name == "two.jpg"
    QTest.keyClick(window, Qt.Key.Key_Delete)
    assert [e.path.name for e in window.session.entries] == ["one.jpg", "three.jpg"]
    assert all(p.exists() for p in paths), "removing from the list must not delete files"
    window.file_list.select_all()
    QTest.keyClick(window, Qt.Key.Key_Delete)
    assert window.session.entries == []
    assert window.stack.currentWidget() is window.empty


def test_shortcuts_and_accessible_names(qtbot, window, tmp_path):
    window.open_paths([gps_jpeg(tmp_path / "a.jpg")])
    wait_idle(qtbot, window, 1)
    keys = {a.text(): [s.toString() for s in a.shortcuts()] for a in window.actions()}
    assert keys["Open…"] == ["Ctrl+O"]
    assert keys["Make a clean copy"] == ["Ctrl+E"]
    assert keys["Remove from list"] == ["Del"]
    assert keys["Next file"] == ["Alt+Down", "Ctrl+N"]
    assert keys["Previous file"] == ["Alt+Up", "Ctrl+P"]
    from PySide6.QtWidgets import QAbstractButton

    icon_only = [b for b in window.findChildren(QAbstractButton) if not b.text()
                 and type(b).__name__ != "QAbstractButton"]  # (the table's own corner)
    assert len(icon_only) > 5  # video steps, finding detail arrows, toolbar overflow...
    for button in icon_only:
        assert button.accessibleName() or button.defaultAction() is not None, button


def test_a_file_that_failed_does_not_say_checking_forever(qtbot, window, tmp_path):
    # It was selected while it was being checked; the picture area kept "Checking…".
    broken = corrupt_jpeg(tmp_path / "broken.jpg")
    window.open_paths([broken])
    wait_idle(qtbot, window, 1)
    window.file_list.set_current_row(0)
    (entry,) = window.session.entries
    assert entry.report is not None and entry.report.error
    view = window.inspector.preview.view
    qtbot.waitUntil(lambda: view.message == "No preview", timeout=5000)
