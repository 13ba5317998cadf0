"""The file list as a table model: one row per file, columns Name, Status and Reason, and a
proxy that sorts them and filters by where each file stands (needs attention, clean,
can't be cleaned). The words come from :mod:`share_guard.gui.status`."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication

from share_guard.core.engine.tally import Standing
from share_guard.core.i18n import _
from share_guard.core.textsafe import display_path
from share_guard.gui import status
from share_guard.gui.entry import Entry
from share_guard.gui.widgets.thumbs import placeholder, thumb_pixmap

THUMB = 30
Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    STATUS = 1
    REASON = 2


class Role(IntEnum):
    ENTRY = Qt.ItemDataRole.UserRole + 1  # the Entry of the row
    TONE = Qt.ItemDataRole.UserRole + 2  # the status pill's tone
    SORT = Qt.ItemDataRole.UserRole + 3  # what a column sorts by
    PROGRESS = Qt.ItemDataRole.UserRole + 4  # 0..1 while busy, else -1


class FileModel(QAbstractTableModel):
    """The session's entries, in the order they were added."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[Entry] = []
        self._rows: dict[int, int] = {}  # entry id -> row
        self._thumbs: dict[int, tuple[int, QPixmap]] = {}

    # -- changes ----------------------------------------------------------------------------
    def add(self, entry: Entry) -> None:
        row = len(self.entries)
        self.beginInsertRows(QModelIndex(), row, row)
        self.entries.append(entry)
        self._rows[entry.id] = row
        self.endInsertRows()

    def remove(self, entry: Entry) -> None:
        row = self._rows.get(entry.id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.entries[row]
        self._thumbs.pop(entry.id, None)
        self._rows = {e.id: i for i, e in enumerate(self.entries)}
        self.endRemoveRows()

    def refresh(self, entry: Entry) -> None:
        row = self._rows.get(entry.id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def row_of(self, entry: Entry) -> int | None:
        return self._rows.get(entry.id)

    # -- the model ----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (_("Name"), _("Status"), _("Why"))[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        column = Column(index.column())
        if role == Role.ENTRY:
            return entry
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text, _tone = status.badge(entry)
            return f"{display_path(entry.path.name)}: {text}. {status.detail_line(entry)}"
        if column is Column.NAME:
            return self._name(entry, role)
        if column is Column.STATUS:
            return self._status(entry, role)
        return self._reason(entry, role)

    def _name(self, entry: Entry, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return display_path(entry.path.name)
        if role == Qt.ItemDataRole.ToolTipRole:
            return display_path(entry.path)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumb(entry)
        if role == Role.SORT:
            return display_path(entry.path.name).casefold()
        return None

    def _status(self, entry: Entry, role: int) -> Any:
        text, tone = status.badge(entry)
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Role.TONE:
            return tone
        if role == Role.SORT:
            return (status.RANK.get(tone, 9), text)
        if role == Role.PROGRESS:
            return entry.progress if entry.busy else -1.0
        return None

    def _reason(self, entry: Entry, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return status.detail_line(entry)
        if role == Role.SORT:
            return status.detail_line(entry).casefold()
        return None

    def _thumb(self, entry: Entry) -> QPixmap:
        image = entry.thumbnail
        key = image.cacheKey() if image is not None else 0
        cached = self._thumbs.get(entry.id)
        if cached is None or cached[0] != key:
            style = QApplication.style()
            pixmap = thumb_pixmap(image, THUMB) if image is not None else \
                placeholder(entry.kind, THUMB, style)
            cached = (key, pixmap)
            self._thumbs[entry.id] = cached
        return cached[1]


#: what the filter shows: everything, or the files that stand one way
SHOW_ALL = None


class FileFilter(QSortFilterProxyModel):
    """Sorts by the column's own order (names ignore case, statuses the most urgent first)
    and shows the files of one :class:`Standing` (busy files only under "all")."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.shown: Standing | None = SHOW_ALL
        self.setSortRole(Role.SORT)
        self.setDynamicSortFilter(True)

    def show_only(self, shown: Standing | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 and later
            self.beginFilterChange()
            self.shown = shown
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.shown = shown
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802 - Qt API
        if self.shown is SHOW_ALL:
            return True
        model = self.sourceModel()
        entry = model.data(model.index(row, 0, parent), Role.ENTRY)
        return isinstance(entry, Entry) and status.standing_of(entry) is self.shown

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802 - Qt API
        a, b = left.data(Role.SORT), right.data(Role.SORT)
        if a == b:  # ties keep the order the files came in
            return left.row() < right.row()
        return bool(a < b)
