"""The file list as a journalist's folder needs it: every name distinguishable, sortable,
filterable, driven by the keyboard, and a summary line that counts as the CLI does."""

from __future__ import annotations

from gui_helpers import corrupt_jpeg, gps_jpeg, plain_jpeg, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyleOptionViewItem

from share_guard.core.engine.tally import Standing
from share_guard.gui.widgets.file_model import Column


def _camera_folder(tmp_path, n: int = 58):
    folder = tmp_path / "Camera roll exported from the newsroom archive"
    folder.mkdir()
    made = []
    for i in range(n):
        name = f"exiftool__t_images_from_the_camera_folder_{i:03d}.jpg"
        made.append(gps_jpeg(folder / name) if i % 3 else plain_jpeg(folder / name))
    corrupt_jpeg(folder / "mong_broken.jpg")
    return folder, made


def test_every_row_of_a_camera_folder_shows_a_distinguishable_name(qtbot, window, tmp_path):
    folder, made = _camera_folder(tmp_path)
    window.resize(1024, 640)
    window.open_paths([folder])
    wait_idle(qtbot, window, len(made) + 1, timeout=60_000)
    table = window.file_list.view
    proxy = window.file_list.proxy
    delegate = table.itemDelegateForColumn(Column.NAME)
    width = table.columnWidth(Column.NAME) - table.iconSize().width() - 16
    assert width > 180  # at 1024 px the why goes under the name, which gets the room
    assert table.isColumnHidden(Column.REASON)
    shown = set()
    for row in range(proxy.rowCount()):
        index = proxy.index(row, Column.NAME)
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, index)
        assert option.textElideMode == Qt.TextElideMode.ElideMiddle
        text = table.fontMetrics().elidedText(index.data(), option.textElideMode, width)
        shown.add(text)
        # the whole path is one hover away
        assert index.data(Qt.ItemDataRole.ToolTipRole).endswith(index.data())
    assert len(shown) == proxy.rowCount()  # the number at the end survives the elision


def test_sort_filter_keys_and_summary(qtbot, window, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    gps_jpeg(folder / "b_gps.jpg")
    plain_jpeg(folder / "a_plain.jpg")
    plain_jpeg(folder / "c_plain.jpg")
    corrupt_jpeg(folder / "d_broken.jpg")
    window.open_paths([folder])
    wait_idle(qtbot, window, 4)
    files = window.file_list
    names = lambda: [e.path.name for e in files.entries()]  # noqa: E731
    assert names() == ["a_plain.jpg", "b_gps.jpg", "c_plain.jpg", "d_broken.jpg"]
    # sortable: by name (both ways), by status (most urgent first)
    header = files.view.horizontalHeader()
    files.view.sortByColumn(Column.NAME, Qt.SortOrder.DescendingOrder)
    assert names() == ["d_broken.jpg", "c_plain.jpg", "b_gps.jpg", "a_plain.jpg"]
    files.view.sortByColumn(Column.STATUS, Qt.SortOrder.AscendingOrder)
    assert names()[:2] == ["d_broken.jpg", "b_gps.jpg"]
    assert header.sortIndicatorSection() == Column.STATUS
    # filterable, with counts in the choices
    texts = [files.show_box.itemText(i) for i in range(files.show_box.count())]
    assert texts == ["All files (4)", "Needs attention (1)", "Nothing found (2)",
                     "Can't be cleaned (1)"]
    files.show_only(Standing.ATTENTION)
    assert names() == ["b_gps.jpg"]
    files.show_only(Standing.BLOCKED)
    assert names() == ["d_broken.jpg"]
    files.show_only(Standing.CLEAN)
    assert sorted(names()) == ["a_plain.jpg", "c_plain.jpg"]
    files.show_only(None)
    # keyboard: Home, End, arrows move the selection, and the inspector follows
    files.view.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
    window.activateWindow()
    files.view.setFocus()
    QTest.keyClick(files.view, Qt.Key.Key_Home)
    assert window.inspector.entry.path.name == "a_plain.jpg"
    QTest.keyClick(files.view, Qt.Key.Key_End)
    assert window.inspector.entry.path.name == "d_broken.jpg"
    QTest.keyClick(files.view, Qt.Key.Key_Up)
    assert window.inspector.entry.path.name == "c_plain.jpg"
    QTest.keyClicks(files.view, "b_")  # type a name to jump to it
    assert window.inspector.entry.path.name == "b_gps.jpg"
    # the summary line, as the CLI's last line counts
    text = files.summary.text()
    assert text.startswith("3 ready, 1 can't be cleaned: d_broken.jpg: "), text


def test_only_the_files_being_saved_say_saving(qtbot, make_window, tmp_path):
    from gui_helpers import consent_dialog

    window = make_window()
    window.open_paths([gps_jpeg(tmp_path / "a.jpg"), corrupt_jpeg(tmp_path / "b.jpg")])
    wait_idle(qtbot, window, 2)
    window.export_all_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    good, bad = window.session.entries
    assert window.file_list.status_text(good) == "Saving…"
    assert window.file_list.reason_text(good) == "waiting for your answer"
    assert window.file_list.status_text(bad) == "Can't be read"  # not "Saving…"
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        consent_dialog(window).reject()
