"""The file list: one row per file with thumbnail, name, status badge and progress."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.report import FileKind
from share_guard.core.textsafe import display_path
from share_guard.gui import status
from share_guard.gui.session import Entry
from share_guard.gui.widgets.common import Badge, ElidedLabel, icon_button, muted, set_font

THUMB = 56


_placeholders: dict[tuple[str, int, int], QPixmap] = {}


def placeholder(kind: str | None, size: int, style: QStyle) -> QPixmap:
    """A neutral tile with a file-type icon, for files without a picture (drawn once)."""
    key = (kind or "", size, id(style))
    if key not in _placeholders:
        _placeholders[key] = _draw_placeholder(kind, size, style)
    return _placeholders[key]


def _draw_placeholder(kind: str | None, size: int, style: QStyle) -> QPixmap:
    icon = (QStyle.StandardPixmap.SP_MediaPlay if kind == FileKind.VIDEO
            else QStyle.StandardPixmap.SP_FileIcon)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    color = style.standardPalette().mid().color()
    color.setAlpha(70)
    painter.setBrush(color)
    painter.drawRoundedRect(0, 0, size, size, 8, 8)
    inner = size // 2
    painter.drawPixmap((size - inner) // 2, (size - inner) // 2, style.standardIcon(icon).pixmap(inner))
    painter.end()
    return pixmap


def thumb_pixmap(image: QImage, size: int) -> QPixmap:
    """Fill a square tile with the picture (centre crop), rounded corners."""
    scaled = QPixmap.fromImage(image).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation)
    tile = QPixmap(size, size)
    tile.fill(Qt.GlobalColor.transparent)
    painter = QPainter(tile)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(scaled)
    painter.setBrushOrigin(-(scaled.width() - size) // 2, -(scaled.height() - size) // 2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(0, 0, size, size, 8, 8)
    painter.end()
    return tile


class FileRow(QWidget):
    """The widget shown in one list row."""

    cancel_clicked = Signal(object)  # Entry

    def __init__(self, entry: Entry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.thumb = QLabel(self)
        self.thumb.setFixedSize(THUMB, THUMB)
        self.name = ElidedLabel(display_path(entry.path.name), self)
        set_font(self.name, bold=True)
        self.name.setToolTip(display_path(entry.path))
        self.detail = ElidedLabel("", self)
        muted(self.detail)
        set_font(self.detail, scale=0.9)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(5)
        self.badge = Badge(self)
        self.stop = icon_button(QStyle.StandardPixmap.SP_BrowserStop,
                                self.tr("Stop checking %1").replace("%1", self.name.full_text()), self)
        self.stop.clicked.connect(lambda: self.cancel_clicked.emit(self.entry))

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.name)
        text.addWidget(self.detail)
        text.addWidget(self.progress)
        badge_col = QVBoxLayout()
        badge_col.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignRight)
        badge_col.addWidget(self.stop, 0, Qt.AlignmentFlag.AlignRight)
        badge_col.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(10)
        layout.addWidget(self.thumb)
        layout.addLayout(text, 1)
        layout.addLayout(badge_col)
        self.refresh()

    def refresh(self) -> None:
        entry = self.entry
        text, tone = status.badge(entry)
        self.badge.set_status(text, tone)
        detail = status.detail_line(entry)
        self.detail.set_full_text(detail)
        self.detail.setVisible(bool(detail))
        busy = entry.state.busy
        self.progress.setVisible(busy)
        value = int(entry.progress * 1000)
        if busy and value != self.progress.value():
            self.progress.setValue(value)
        self.stop.setVisible(entry.state.stoppable)
        if entry.thumbnail is not None:
            self.thumb.setPixmap(thumb_pixmap(entry.thumbnail, THUMB))
        else:
            self.thumb.setPixmap(placeholder(entry.kind, THUMB, self.style()))
        self.setAccessibleName(f"{self.name.full_text()}: {text}")


class FileList(QListWidget):
    """Rows for the session's entries; selection drives the inspector."""

    current_entry_changed = Signal(object)  # Entry | None
    cancel_requested = Signal(object)  # Entry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(50)
        self.setAccessibleName(self.tr("Files"))
        self.setMinimumWidth(230)
        self._rows: dict[int, tuple[QListWidgetItem, FileRow]] = {}
        self.currentItemChanged.connect(self._on_current)

    def add_entry(self, entry: Entry) -> None:
        item = QListWidgetItem(self)
        item.setData(Qt.ItemDataRole.UserRole, entry.id)
        row = FileRow(entry)
        row.cancel_clicked.connect(self.cancel_requested)
        item.setSizeHint(QSize(0, max(row.sizeHint().height(), THUMB + 16)))
        self.setItemWidget(item, row)
        self._rows[entry.id] = (item, row)
        if self.currentItem() is None:
            self.setCurrentItem(item)

    def update_entry(self, entry: Entry) -> None:
        found = self._rows.get(entry.id)
        if found is not None:
            found[1].refresh()

    def remove_entry(self, entry: Entry) -> None:
        found = self._rows.pop(entry.id, None)
        if found is not None:
            self.takeItem(self.row(found[0]))

    def row_widget(self, entry: Entry) -> FileRow | None:
        found = self._rows.get(entry.id)
        return found[1] if found else None

    def entry_at(self, item: QListWidgetItem | None) -> Entry | None:
        if item is None:
            return None
        found = self._rows.get(item.data(Qt.ItemDataRole.UserRole))
        return found[1].entry if found else None

    def current_entry(self) -> Entry | None:
        return self.entry_at(self.currentItem())

    def selected_entries(self) -> list[Entry]:
        items = sorted(self.selectedItems(), key=self.row)
        return [e for e in (self.entry_at(i) for i in items) if e is not None]

    def select_entry(self, entry: Entry) -> None:
        found = self._rows.get(entry.id)
        if found is not None:
            self.setCurrentItem(found[0], QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def step(self, delta: int) -> None:
        """Select the next (+1) or previous (-1) file."""
        if self.count() == 0:
            return
        row = self.currentRow()
        target = 0 if row < 0 else max(0, min(self.count() - 1, row + delta))
        self.setCurrentRow(target, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _on_current(self, current: QListWidgetItem | None, _previous: object) -> None:
        self.current_entry_changed.emit(self.entry_at(current))
