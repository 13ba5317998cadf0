"""The clean copy in hand: after an export the window shows the copy, and it can be dragged
out, copied as a file, opened and shown in its folder; neutral names, the sound, a wrong
extension, driven through the real widgets."""

from __future__ import annotations

import av
from gui_helpers import consent_dialog, gps_jpeg, wait_idle
from PIL import Image
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox
from video_fixtures import decoded, make_video

from share_guard.gui.settings import Settings
from share_guard.gui.widgets.copy_actions import GNOME_FILES, KDE_CUT, WINDOWS_EFFECT


def _export(qtbot, window):
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=10_000)
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.click()
    with qtbot.waitSignal(window.session.export_finished, timeout=30_000):
        dialog.confirm_button.click()
    return dialog


def _open(qtbot, window, path):
    window.open_paths([path])
    wait_idle(qtbot, window, 1)
    return window.session.entries[0]


def test_the_copy_is_shown_and_can_be_dragged_copied_opened_and_shown(qtbot, window, tmp_path):
    photo = gps_jpeg(tmp_path / "IMG_20240312_142210.jpg")
    entry = _open(qtbot, window, photo)
    _export(qtbot, window)
    out = entry.result.output
    assert out.name == "IMG_20240312_142210_clean.jpg"
    inspector = window.inspector
    # the view switched to the copy: its picture, its own findings
    assert inspector.showing_copy and inspector.copy_tab.isVisibleTo(inspector)
    qtbot.waitUntil(lambda: inspector.preview.view.pixmap is not None, timeout=10_000)
    result = inspector.result
    assert "Date in the file name (2024-03-12 14:22:10)" in result.verified.text()
    assert "neutral names" in result.verified.text()
    assert "Location: GPS" in result.removed.text()
    actions = result.copy_actions
    assert actions.isVisibleTo(result) and actions.path == out

    # drag the copy out by its picture: a real QDrag carrying the file
    drags = []
    actions.drag_exec = drags.append
    handle = actions.handle
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.mouseMove(handle, QPoint(50, 50))
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    assert len(drags) == 1
    mime = drags[0].mimeData()
    url = QUrl.fromLocalFile(str(out))
    assert [u.toLocalFile() for u in mime.urls()] == [str(out)]
    assert bytes(mime.data(GNOME_FILES).data()) == b"copy\n" + bytes(url.toEncoded().data())
    assert "text/plain" not in mime.formats()  # a chat box must attach the file, not its path
    assert drags[0].pixmap() is not None and not drags[0].pixmap().isNull()

    # copy it: the clipboard holds the file, as a file manager puts it there
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(actions.copy_button, Qt.MouseButton.LeftButton)
    clip = QGuiApplication.clipboard().mimeData()
    assert [u.toLocalFile() for u in clip.urls()] == [str(out)]
    assert bytes(clip.data(GNOME_FILES).data()).startswith(b"copy\n")
    assert bytes(clip.data(KDE_CUT).data()) == b"0"
    assert bytes(mime.data(WINDOWS_EFFECT).data()) == b"\x01\x00\x00\x00"

    opened = []
    actions.open_url = opened.append
    qtbot.mouseClick(actions.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(actions.show_button, Qt.MouseButton.LeftButton)
    assert [u.toLocalFile() for u in opened] == [str(out), str(out.parent)]

    # the original is one click away, and back
    qtbot.mouseClick(inspector.original_tab, Qt.MouseButton.LeftButton)
    assert not inspector.showing_copy
    qtbot.mouseClick(inspector.copy_tab, Qt.MouseButton.LeftButton)
    assert inspector.showing_copy


def test_neutral_names_from_the_bar_are_remembered(qtbot, window, tmp_path):
    entry = _open(qtbot, window, gps_jpeg(tmp_path / "PXL_20240312_142210123.jpg"))
    [when] = [f for f in entry.report.findings if f.name == "Date in the file name"]
    assert when.value == "2024-03-12 14:22:10"
    window.export_bar.neutral.click()
    assert Settings().neutral_names
    dialog = _export(qtbot, window)
    item = dialog.request.items[0]
    assert "When: Date in the file name" in item.will_remove and not item.will_keep
    assert entry.result.output.name == "photo_clean.jpg"
    assert "Date in the file name" not in window.inspector.result.verified.text()


def test_a_jpg_that_is_a_png_is_pointed_out_and_its_copy_named_png(qtbot, window, tmp_path):
    fake = tmp_path / "scan.jpg"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(fake, "PNG")
    entry = _open(qtbot, window, fake)
    banner = window.inspector.banner
    assert banner.isVisibleTo(window.inspector)
    assert "The name says JPEG, but the file is PNG" in banner.label.text()
    _export(qtbot, window)
    assert entry.result.output.name == "scan_clean.png"
    assert "the clean copy is named .png" in window.inspector.result.saved_to.text()


def test_remove_the_sound_of_a_video(qtbot, window, tmp_path):
    video = make_video(tmp_path / "talk.mkv")
    entry = _open(qtbot, window, video)
    sound = window.inspector.sound
    assert sound.isVisibleTo(window.inspector)
    sound.remove.click()
    assert entry.remove_sound
    dialog = _export(qtbot, window)
    assert "Sound: every audio track" in dialog.request.items[0].will_remove
    assert entry.result.ok, entry.result.reason
    with av.open(str(entry.result.output)) as copy:
        assert [s.type for s in copy.streams] == ["video"]
    assert [f for f in decoded(entry.result.output)] == \
        [f for f in decoded(video) if f[0] == "video"]
    assert "Sound: every audio track" in window.inspector.result.removed.text()
    assert not sound.isVisibleTo(window.inspector)  # nothing to choose about a saved copy
