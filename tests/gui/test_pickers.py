"""The file and folder pickers record nothing about where the person's photos are.

The desktop's own dialog would add each photo opened to the account's recently used files
(GTK's ``recently-used.xbel``, Windows' Recent Items), and Qt's own dialog writes the
folders it visited to ``QtProject.conf``, shared by every Qt program. The pickers are
driven here for real (a timer types a name into the open dialog and accepts it): they are
Qt's own dialog, and ``QtProject.conf`` is afterwards as it was before.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit  # noqa: E402

from share_guard.gui.dialogs import DialogService  # noqa: E402

SECRET = "photos_of_anna"


def _answer(name: str, seen: list[bool]) -> None:
    """Once the picker is open: note whether it is Qt's own dialog, type ``name`` and
    accept (or cancel on "")."""
    def go() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(50, go)
            return
        seen.append(dialog.testOption(QFileDialog.Option.DontUseNativeDialog))
        if not name:
            dialog.reject()
            return
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        assert edit is not None
        edit.setText(name)
        dialog.accept()
        if dialog.isVisible():  # the name was refused: close it, so the test fails, not hangs
            dialog.reject()

    QTimer.singleShot(100, go)


@pytest.fixture(autouse=True)
def _qt_settings_in_tmp(tmp_path: Path) -> None:
    """Qt's dialog writes its settings in the native format (~/.config here): a folder of
    this test's own."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "qt-config"))


def _qt_dialog_settings() -> Path:
    return Path(QSettings(QSettings.Scope.UserScope, "QtProject").fileName())


@pytest.fixture
def secret_folder(tmp_path: Path) -> Path:
    folder = tmp_path / SECRET
    folder.mkdir()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(folder / "night out.jpg", quality=90)
    (folder / "copies").mkdir()
    return folder


@pytest.mark.parametrize("pick", ["file", "folder", "cancelled"])
def test_a_picker_leaves_no_trace_of_the_folder(qtbot, secret_folder: Path, pick: str) -> None:
    seen: list[bool] = []
    service = DialogService()
    chosen: object
    if pick == "folder":
        _answer(str(secret_folder / "copies"), seen)
        chosen = service.choose_folder(None, secret_folder)
        assert chosen == secret_folder / "copies"
    else:
        _answer("night out.jpg" if pick == "file" else "", seen)
        chosen = service.open_files(None, secret_folder)
        assert chosen == ([secret_folder / "night out.jpg"] if pick == "file" else [])
    assert seen == [True]  # Qt's own dialog, not the desktop's
    written = _qt_dialog_settings()
    assert not written.exists() or SECRET not in written.read_text(errors="replace")
    assert not written.exists()  # it was not there before: nothing is left at all


def test_another_programs_dialog_history_is_kept(qtbot, secret_folder: Path) -> None:
    before = QSettings(QSettings.Scope.UserScope, "QtProject")
    before.setValue("FileDialog/history", ["file:///home/someone/Documents"])
    before.setValue("FileDialog/lastVisited", "file:///home/someone/Documents")
    before.setValue("Other/kept", "yes")
    before.sync()
    seen: list[bool] = []
    _answer("night out.jpg", seen)
    assert DialogService().open_files(None, secret_folder) == [secret_folder / "night out.jpg"]
    text = _qt_dialog_settings().read_text(errors="replace")
    assert SECRET not in text
    after = QSettings(QSettings.Scope.UserScope, "QtProject")
    assert after.value("FileDialog/lastVisited") == "file:///home/someone/Documents"
    assert "file:///home/someone/Documents" in str(after.value("FileDialog/history"))
    assert after.value("Other/kept") == "yes"


def test_the_window_opens_what_the_picker_gives(qtbot, make_window: Callable[..., object],
                                                secret_folder: Path) -> None:
    """The window's Open action goes through the real picker (not the tests' fake)."""
    window = make_window()
    window.dialogs = DialogService()  # type: ignore[attr-defined]
    seen: list[bool] = []
    _answer(str(secret_folder / "night out.jpg"), seen)
    window.open_files()  # type: ignore[attr-defined]
    assert seen == [True]
    entries = window.session.entries  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: len(entries) == 1, timeout=10_000)
    assert entries[0].path == secret_folder / "night out.jpg"
    assert not _qt_dialog_settings().exists(), _qt_dialog_settings().read_text(errors="replace")
