"""File and folder pickers that leave no record of where the person's photos are.

A desktop's own file dialog keeps a history outside the app: GTK's (Qt's "native" dialog
on GNOME and similar desktops) adds every file it opens to the account's recently used
files (``~/.local/share/recently-used.xbel``, shown in every file manager's "Recent"), and
the Windows and macOS dialogs add them to Recent Items. Qt's own dialog writes the folders
it visited to ``QtProject.conf`` in the account's settings, a file every Qt program shares.
A photo checked here is often one the person wants nobody to know about (and a family
device is shared), so the pickers are always Qt's own dialog, and what it writes to
``QtProject.conf`` is put back as it was once it closes (see :func:`settings_kept`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from share_guard.core.i18n import _

#: Qt's own dialog, never the desktop's (which records what it opens)
OWN_DIALOG = QFileDialog.Option.DontUseNativeDialog
#: the settings Qt's file dialog keeps, shared by every Qt program of the account
QT_DIALOG_SETTINGS = ("QtProject", "FileDialog")


@contextlib.contextmanager
def settings_kept() -> Iterator[None]:
    """Qt's file dialogs' shared settings as they were before, whatever a dialog closed in
    the block wrote (its last folder and folder history: where the photos are). Another Qt
    program's history stays; a file that was not there is removed again."""
    settings = QSettings(QSettings.Scope.UserScope, QT_DIALOG_SETTINGS[0])
    existed = os.path.exists(settings.fileName())
    settings.beginGroup(QT_DIALOG_SETTINGS[1])
    before: dict[str, Any] = {key: settings.value(key) for key in settings.allKeys()}
    settings.endGroup()
    try:
        yield
    finally:
        settings.sync()  # (reads what the dialog wrote)
        settings.remove(QT_DIALOG_SETTINGS[1])
        settings.beginGroup(QT_DIALOG_SETTINGS[1])
        for key, value in before.items():
            settings.setValue(key, value)
        settings.endGroup()
        settings.sync()
        if not existed and not settings.allKeys():
            with contextlib.suppress(OSError):
                os.remove(settings.fileName())


def open_files(parent: QWidget | None, start: Path) -> list[Path]:
    """The photos and videos the person picks (none when the picker is cancelled)."""
    with settings_kept():
        names, _chosen = QFileDialog.getOpenFileNames(
            parent, _("Open photos or videos"), str(start),
            _("Photos and videos (*.jpg *.jpeg *.png *.webp *.gif *.tif *.tiff *.heic *.heif "
              "*.avif *.mp4 *.m4v *.mov *.3gp *.mkv *.webm *.avi);;All files (*)"),
            "", OWN_DIALOG)
    return [Path(n) for n in names]


def choose_folder(parent: QWidget | None, start: Path) -> Path | None:
    """The folder the person picks (None when the picker is cancelled)."""
    with settings_kept():
        folder = QFileDialog.getExistingDirectory(
            parent, _("Where should clean copies go?"), str(start),
            QFileDialog.Option.ShowDirsOnly | OWN_DIALOG)
    return Path(folder) if folder else None
