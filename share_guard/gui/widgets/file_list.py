"""The file list: a sortable, filterable table (name, status, why) that scales to a folder
of hundreds of files, and a summary line under it ("57 ready, 1 can't be cleaned: why").

Names are elided in the middle ("IMG_2024…_142210.jpg": the start and the number both
show) with the whole path in the tooltip; the status is a coloured pill with the check's
progress under it; the reason column says why a file is blocked, where its copy went or
what was found. Arrow keys, Page Up/Down, Home/End and typing a name move through it;
Escape stops checking the selected files.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.engine.tally import Standing, verdict_tally
from share_guard.core.i18n import N_, _, isolate, ngettext, pgettext, translated
from share_guard.gui.entry import Entry
from share_guard.gui.widgets.common import muted, plain_label, tone_color
from share_guard.gui.widgets.file_model import THUMB, Column, FileFilter, FileModel, Role
from share_guard.gui.widgets.thumbs import placeholder, thumb_pixmap

__all__ = ["FileList", "placeholder", "thumb_pixmap"]

Index = QModelIndex | QPersistentModelIndex
#: the filter's choices, in order: (what shows, words)
FILTERS: tuple[tuple[Standing | None, str], ...] = (
    (None, N_("All files")),
    (Standing.ATTENTION, N_("Needs attention")),
    (Standing.CLEAN, N_("Nothing found")),
    (Standing.BLOCKED, N_("Can't be cleaned")),
)


#: below this many pixels for name and why, the why goes under the name
NARROW = 520
#: the widest words the status column usually shows (its width fits them)
STATUS_WIDTH_WORDS = (N_("Clean copy saved"), N_("Looking for faces…"), N_("Can't be cleaned"))


class NameDelegate(QStyledItemDelegate):
    """Names elided in the middle: the start and the end of a camera name both show. While
    the why column is hidden (a narrow list), the reason goes on a second line under it."""

    two_lines = False

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        if not self.two_lines:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        name, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        fm = opt.fontMetrics
        half = text_rect.height() // 2
        painter.save()
        painter.setPen(opt.palette.color(role))
        top = text_rect.adjusted(2, 0, -2, -half)
        painter.drawText(top, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                         fm.elidedText(name, Qt.TextElideMode.ElideMiddle, top.width()))
        reason = str(index.model().index(index.row(), Column.REASON).data() or "")
        color = opt.palette.color(role)
        color.setAlpha(170)
        painter.setPen(color)
        bottom = text_rect.adjusted(2, half, -2, 0)
        painter.drawText(bottom, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
                         fm.elidedText(reason, Qt.TextElideMode.ElideRight, bottom.width()))
        painter.restore()


class StatusDelegate(QStyledItemDelegate):
    """A rounded pill in the status's tone, and a thin progress bar while a file is busy."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:  # the row's background and selection
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        tone = str(index.data(Role.TONE) or "muted")
        rect = QRectF(opt.rect).adjusted(4, 0, -4, 0)
        fm = opt.fontMetrics
        height = fm.height() + 6
        pill = QRectF(rect.x(), rect.center().y() - height / 2,
                      min(rect.width(), fm.horizontalAdvance(text) + 18), height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(opt.palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(tone_color(tone, 150))
        painter.setBrush(tone_color(tone, 48))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(opt.palette.color(QPalette.ColorRole.Text))
        shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(pill.width()) - 12)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, shown)
        progress = float(index.data(Role.PROGRESS) or -1.0)
        if progress >= 0:
            bar = QRectF(rect.x(), pill.bottom() + 3, rect.width(), 3)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(tone_color("muted", 60))
            painter.drawRoundedRect(bar, 1.5, 1.5)
            painter.setBrush(tone_color("busy", 220))
            painter.drawRoundedRect(QRectF(bar.x(), bar.y(), bar.width() * min(progress, 1.0),
                                           bar.height()), 1.5, 1.5)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        fm = option.fontMetrics
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        return QSize(fm.horizontalAdvance(text) + 30, fm.height() + 14)


class FileTable(QTableView):
    cancel_requested = Signal()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.fit_columns()

    def fit_columns(self) -> None:
        """The status pill gets what its longest word needs; the name most of the rest. A
        narrow list shows the why under each name instead of in its own column."""
        fm = self.fontMetrics()
        status = max(fm.horizontalAdvance(translated(w)) for w in STATUS_WIDTH_WORDS) + 30
        self.setColumnWidth(Column.STATUS, status)
        rest = self.viewport().width() - status
        narrow = rest < NARROW
        delegate = self.itemDelegateForColumn(Column.NAME)
        if isinstance(delegate, NameDelegate) and delegate.two_lines != narrow:
            delegate.two_lines = narrow
            self.setColumnHidden(Column.REASON, narrow)
            self.viewport().update()
        self.setColumnWidth(Column.NAME, rest if narrow else max(140, int(rest * 0.55)))

    def moveCursor(self, action: QAbstractItemView.CursorAction,  # noqa: N802 - Qt name
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        """Home and End go to the first and last file (not the row's first column)."""
        model = self.model()
        if action in (QAbstractItemView.CursorAction.MoveHome,
                      QAbstractItemView.CursorAction.MoveEnd) and model.rowCount() > 0:
            row = 0 if action is QAbstractItemView.CursorAction.MoveHome else model.rowCount() - 1
            return model.index(row, max(0, self.currentIndex().column()))
        return super().moveCursor(action, modifiers)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() == Qt.Key.Key_Escape:
            self.cancel_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class FileList(QWidget):
    """The table, its filter and its summary; selection drives the inspector."""

    current_entry_changed = Signal(object)  # Entry | None
    cancel_requested = Signal(object)  # Entry
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FileModel(self)
        self.proxy = FileFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = FileTable(self)
        self.view.setModel(self.proxy)
        self.view.setAccessibleName(_("Files"))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(max(THUMB + 10,
                                                             self.fontMetrics().height() * 2 + 10))
        self.view.setItemDelegateForColumn(Column.NAME, NameDelegate(self.view))
        self.view.setItemDelegateForColumn(Column.STATUS, StatusDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.STATUS, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(Column.REASON, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the order files came in
        self.view.setSortingEnabled(True)
        self.view.setMinimumWidth(260)
        self.view.cancel_requested.connect(self._cancel_selected)
        selection = self.view.selectionModel()
        selection.currentRowChanged.connect(self._on_current)
        selection.selectionChanged.connect(lambda *_: self.selection_changed.emit())

        self.show_box = QComboBox(self)
        self.show_box.setAccessibleName(_("Show"))
        self.show_box.currentIndexChanged.connect(self._on_filter)
        self.show_label = plain_label(_("Show:"), self)
        self.show_label.setBuddy(self.show_box)
        self.summary = plain_label("", self, wrap=True, selectable=True)
        self.summary.setObjectName("list_summary")
        muted(self.summary)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(0)
        self._refresh.timeout.connect(self.update_summary)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.show_label)
        top.addWidget(self.show_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        self.setFocusProxy(self.view)
        self.update_summary()

    # -- entries ------------------------------------------------------------------------------
    def add_entry(self, entry: Entry) -> None:
        self.model.add(entry)
        if not self.view.currentIndex().isValid():
            self.select_entry(entry)
        self._refresh.start()

    def update_entry(self, entry: Entry) -> None:
        self.model.refresh(entry)
        self._refresh.start()

    def remove_entry(self, entry: Entry) -> None:
        self.model.remove(entry)
        self._refresh.start()

    def entries(self) -> list[Entry]:
        """Every file, in the order the table shows them (filtered out ones left out)."""
        return [e for e in (self._entry(self.proxy.index(r, 0)) for r in range(self.count()))
                if e is not None]

    def count(self) -> int:
        return self.proxy.rowCount()

    def _entry(self, index: Index) -> Entry | None:
        entry = index.data(Role.ENTRY) if index.isValid() else None
        return entry if isinstance(entry, Entry) else None

    def current_entry(self) -> Entry | None:
        return self._entry(self.view.currentIndex())

    def selected_entries(self) -> list[Entry]:
        rows = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [e for e in (self._entry(i) for i in rows) if e is not None]

    def status_text(self, entry: Entry) -> str:
        """What the status column says for ``entry`` (as drawn)."""
        row = self.model.row_of(entry)
        return "" if row is None else str(self.model.index(row, Column.STATUS).data() or "")

    def reason_text(self, entry: Entry) -> str:
        row = self.model.row_of(entry)
        return "" if row is None else str(self.model.index(row, Column.REASON).data() or "")

    # -- selection ------------------------------------------------------------------------------
    def _index_of(self, entry: Entry) -> QModelIndex:
        row = self.model.row_of(entry)
        return QModelIndex() if row is None else self.proxy.mapFromSource(self.model.index(row, 0))

    def select_entry(self, entry: Entry) -> None:
        index = self._index_of(entry)
        if index.isValid():
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            self.view.scrollTo(index)

    def set_current_row(self, row: int) -> None:
        index = self.proxy.index(row, 0)
        if index.isValid():
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)

    def select_all(self) -> None:
        self.view.selectAll()

    def step(self, delta: int) -> None:
        """Select the next (+1) or previous (-1) file, in the order shown."""
        if self.count() == 0:
            return
        row = self.view.currentIndex().row()
        self.set_current_row(0 if row < 0 else max(0, min(self.count() - 1, row + delta)))

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_entry_changed.emit(self._entry(current))

    def _cancel_selected(self) -> None:
        for entry in self.selected_entries() or [e for e in [self.current_entry()] if e]:
            if entry.state.stoppable:
                self.cancel_requested.emit(entry)

    # -- filter and summary ---------------------------------------------------------------------
    def _on_filter(self, index: int) -> None:
        if 0 <= index < len(FILTERS):
            self.proxy.show_only(FILTERS[index][0])

    def show_only(self, shown: Standing | None) -> None:
        self.show_box.setCurrentIndex(next(i for i, f in enumerate(FILTERS) if f[0] is shown))

    def update_summary(self) -> None:
        from share_guard.gui.status import standing_of

        entries = self.model.entries
        stands = [standing_of(e) for e in entries]
        for i, (shown, words) in enumerate(FILTERS):
            n = len(entries) if shown is None else sum(1 for s in stands if s is shown)
            text = pgettext("a filter and how many files it shows",
                            "{name} ({count})").format(name=translated(words), count=isolate(n))
            if self.show_box.count() <= i:
                self.show_box.addItem(text)
            else:
                self.show_box.setItemText(i, text)
        self.summary.setText(self.summary_text())
        self.summary.setVisible(bool(entries))

    def summary_text(self) -> str:
        """"57 ready, 1 can't be cleaned: broken.jpg: ..." (checking files are counted apart)."""
        entries = self.model.entries
        busy = sum(1 for e in entries if e.busy)
        pairs = [(e.report, e.assessment) for e in entries if not e.busy
                 and e.report is not None and e.assessment is not None]
        failed = [e for e in entries if not e.busy and e.report is None]
        tally = verdict_tally(pairs)
        parts = []
        if busy:
            parts.append(ngettext("{n} being checked", "{n} being checked", busy))
        parts.append(ngettext("{n} ready", "{n} ready", tally.count("ready")))
        if tally.count("rebuild"):
            parts.append(ngettext("{n} needs a rebuild", "{n} need a rebuild", tally.count("rebuild")))
        blocked = tally.count("blocked") + len(failed)
        if blocked:
            parts.append(ngettext("{n} can't be cleaned", "{n} can't be cleaned", blocked))
        text = _(", ").join(parts)
        if tally.reasons:
            first = tally.reasons[0]
            text = pgettext("the list's summary",
                            "{summary}: {file}: {reason}").format(summary=text, file=isolate(first.name),
                                                         reason=translated(first.reason))
            others = len(tally.reasons) - 1 + tally.unlisted
            if others:
                text = ngettext("{summary} (and {n} more)", "{summary} (and {n} more)", others).format(
                    summary=text)
        return text

