"""The clean copy in hand: drag it out of the window, copy it, open it, show it in its folder.

This is the moment of sharing, so it is one gesture: the copy's picture is a handle that
drags the file itself (file URLs, as a file manager drags) into a chat window, a browser's
upload field or a mail; "Copy" puts the file (not its path) on the clipboard the way file
managers do, so "Paste" in those places attaches it.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QProcess, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDrag, QGuiApplication, QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.i18n import _
from share_guard.core.textsafe import display_path
from share_guard.gui.widgets.common import muted, plain_label, set_font
from share_guard.gui.widgets.thumbs import placeholder, thumb_pixmap

HANDLE = 64
#: the formats file managers put on the clipboard and in drags besides text/uri-list
GNOME_FILES = "x-special/gnome-copied-files"  # GNOME, Xfce, many GTK apps: "copy\nURL"
KDE_CUT = "application/x-kde-cutselection"  # KDE: "0" is a copy, not a cut
WINDOWS_EFFECT = 'application/x-qt-windows-mime;value="Preferred DropEffect"'  # 1: copy


def file_mime(path: Path) -> QMimeData:
    """The file at ``path`` as a file manager offers it: its URL (Qt turns it into the
    platform's list of files: CF_HDROP on Windows, file URLs on macOS) and the markers that
    say "a copy of this file" to GNOME, KDE and Windows. No plain text: a chat box would
    paste the path instead of attaching the file."""
    data = QMimeData()
    url = QUrl.fromLocalFile(str(path))
    data.setUrls([url])
    data.setData(GNOME_FILES, b"copy\n" + bytes(url.toEncoded().data()))
    data.setData(KDE_CUT, b"0")
    data.setData(WINDOWS_EFFECT, struct.pack("<I", 1))
    return data


def show_in_folder(path: Path, open_url: Callable[[QUrl], object]) -> None:
    """The file manager at ``path``'s folder, with the file selected where the platform
    allows it (Windows Explorer, macOS Finder); elsewhere the folder opens."""
    if sys.platform == "win32":
        QProcess.startDetached("explorer.exe", [f"/select,{path}"])
    elif sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", str(path)])
    else:
        open_url(QUrl.fromLocalFile(str(path.parent)))


class DragHandle(QLabel):
    """The copy's picture: press and drag it anywhere to share the file."""

    def __init__(self, owner: CopyActions) -> None:
        super().__init__(owner)
        self.owner = owner
        self.setFixedSize(HANDLE + 8, HANDLE + 8)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setAccessibleName(_("The clean copy: drag it to share the file"))
        self.setToolTip(_("Drag this into a chat, a mail or a web page to share the clean "
                                "copy"))
        self._press: QPoint | None = None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if self._press is not None and (event.position().toPoint() - self._press) \
                .manhattanLength() >= QApplication.startDragDistance():
            self._press = None
            self.owner.start_drag()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        self._press = None
        super().mouseReleaseEvent(event)


class CopyActions(QFrame):
    """Where the clean copy is, and the four ways to take it: drag, copy, open, show."""

    copied = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        #: seams for tests: a drag's exec and opening URLs (real by default)
        self.drag_exec: Callable[[QDrag], object] = \
            lambda drag: drag.exec(Qt.DropAction.CopyAction)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.handle = DragHandle(self)
        self.name = plain_label("", self, selectable=True)
        set_font(self.name, bold=True)
        self.hint = plain_label(_("Drag the picture into a chat, a mail or a web page, or "
                                        "copy the file and paste it there."), self, wrap=True)
        muted(self.hint)
        style = self.style()
        self.copy_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_FileIcon),
                                       _("Copy"), self)
        self.copy_button.setToolTip(_("Copy the clean copy as a file, to paste it "
                                            "elsewhere"))
        self.open_button = QPushButton(_("Open"), self)
        self.show_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon),
                                       _("Show in folder"), self)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.open_button.clicked.connect(self.open_copy)
        self.show_button.clicked.connect(self.show_copy)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.copy_button, self.open_button, self.show_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(self.name)
        text.addWidget(self.hint)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.handle, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(buttons)

    def set_copy(self, path: Path | None, picture: QImage | None, kind: str | None) -> None:
        self.path = path
        self.setVisible(path is not None)
        if path is None:
            return
        self.name.setText(display_path(path.name))
        self.name.setToolTip(display_path(path))
        tile: QPixmap = thumb_pixmap(picture, HANDLE) if picture is not None else \
            placeholder(kind, HANDLE, self.style())
        self.handle.setPixmap(tile)

    def start_drag(self) -> QDrag | None:
        """Drag the copy (its file URL) out of the window; returns the drag (for tests)."""
        if self.path is None or not self.path.exists():
            return None
        drag = QDrag(self.handle)
        drag.setMimeData(file_mime(self.path))
        pixmap = self.handle.pixmap()
        if pixmap is not None and not pixmap.isNull():
            drag.setPixmap(pixmap)
            drag.setHotSpot(QPoint(pixmap.width() // 2, pixmap.height() // 2))
        self.drag_exec(drag)
        return drag

    def copy_to_clipboard(self) -> None:
        if self.path is not None:
            QGuiApplication.clipboard().setMimeData(file_mime(self.path))
            self.copied.emit()

    def open_copy(self) -> None:
        if self.path is not None:
            self.open_url(QUrl.fromLocalFile(str(self.path)))

    def show_copy(self) -> None:
        if self.path is not None:
            show_in_folder(self.path, self.open_url)
