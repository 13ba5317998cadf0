"""People and codes in the picture: what was found, and what the clean copy will cover.

Works on a file's :class:`~share_guard.gui.redaction.Redaction` and on the
preview's :class:`PictureView`: a click on a box toggles it, a drag adds an area,
a drawn area can be moved, resized and made an ellipse, and every change shows at
once in both the list here and the boxes there. A tick means "will be covered": with
covering switched off, nothing is ticked.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.i18n import _, isolate, ngettext
from share_guard.core.report import Region, crowd_area
from share_guard.gui.redaction import FACE, MANUAL, NOISY, POSSIBLE, SOLID, Box, Redaction, describe
from share_guard.gui.widgets.common import Badge, icon_button, muted, plain_label, set_font
from share_guard.gui.widgets.regions_overlay import PictureView, kind_color

MAX_ROWS = 40  # a crowd may have hundreds of faces: the rest are on the picture


class Swatch(QLabel):
    """A small square in a box's colour, dashed when it will not be covered."""

    def __init__(self, kind: str, covered: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind, self.covered = kind, covered
        self.setFixedSize(14, 14)

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        color = kind_color(self.kind)
        painter.setPen(color if self.covered else Qt.PenStyle.DashLine)
        if not self.covered:
            pen = painter.pen()
            pen.setColor(color)
            pen.setWidth(2)
            painter.setPen(pen)
        painter.setBrush(kind_color(self.kind, 110) if self.covered else QColor(0, 0, 0, 0))
        painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
        painter.end()


class BoxRow(QWidget):
    """One box: a tick (covered or not); boxes drawn by hand can be removed or inverted."""

    def __init__(self, panel: PeoplePanel, box: Box, red: Redaction) -> None:
        super().__init__(panel)
        self.box = box
        covered = box in red.covered
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(Swatch(box.kind, covered, self))
        self.check: QCheckBox | QLabel
        if box.manual:  # always covered while it exists: a name and a remove button
            self.check = plain_label(describe(box, red.video), self)
            row.addSpacing(4)
        else:
            self.check = QCheckBox(describe(box, red.video), self)
            self.check.setChecked(covered)  # ticked = will be covered (not while switched off)
            self.check.setAccessibleName(describe(box, red.video))
            self.check.toggled.connect(lambda on: panel.set_covered(box, on))
        row.addWidget(self.check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(row)
        self.outside: QCheckBox | None = None
        self.shape: QComboBox | None = None
        if box.manual:
            self.shape = QComboBox(self)
            self.shape.addItem(_("Rectangle"), "rect")
            self.shape.addItem(_("Ellipse"), "ellipse")
            self.shape.setAccessibleName(_("Shape of this area"))
            self.shape.setCurrentIndex(max(0, self.shape.findData(box.region.shape)))
            self.shape.currentIndexChanged.connect(
                lambda _i: panel.set_shape(box, str(self.shape.currentData()) if self.shape
                                           else "rect"))
            row.addWidget(self.shape)
            remove = icon_button(QStyle.StandardPixmap.SP_DialogDiscardButton,
                                 _("Remove this area"), self)
            remove.clicked.connect(lambda: panel.remove_box(box))
            row.addWidget(remove)
            self.remove = remove
            self.outside = QCheckBox(_("Cover everything outside this area"), self)
            self.outside.setChecked(red.outside is box)
            self.outside.toggled.connect(lambda on: panel.set_outside(box if on else None))
            inner = QHBoxLayout()
            inner.setContentsMargins(22, 0, 0, 0)
            inner.addWidget(self.outside)
            layout.addLayout(inner)
        row.addStretch(1)


class PeoplePanel(QFrame):
    """The "People" section of the inspector: findings in plain words and cover choices."""

    changed = Signal()  # the choices changed (the preview repaints)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.redaction: Redaction | None = None
        self.scanning = False
        self.view: PictureView | None = None
        self.title = plain_label(_("People and codes"), self)
        set_font(self.title, scale=1.1, bold=True)
        self.count = Badge(self)
        self.found = plain_label("", self, wrap=True)
        self.cover = QCheckBox(_("Cover faces before saving"), self)
        self.cover.setObjectName("cover_switch")
        self.cover.toggled.connect(self._on_cover)
        self.style_box = QComboBox(self)
        self.style_box.addItem(_("Solid"), SOLID)
        self.style_box.addItem(_("Coarse noise"), NOISY)
        self.style_box.setAccessibleName(_("How to cover"))
        self.style_box.currentIndexChanged.connect(self._on_style)
        self.style_label = plain_label(_("Cover with:"), self)
        self.summary = plain_label("", self, wrap=True)
        set_font(self.summary, bold=True)
        self.hint = plain_label(_(
            "Click a box on the picture to cover it or leave it as it is. Drag on the picture "
            "to cover any other area; drag an area you drew to move it, or its corners to "
            "resize it. Covering changes the pixels for good: the copy is re-encoded once."),
            self, wrap=True)
        muted(self.hint)
        self.more = plain_label("", self, wrap=True)
        muted(self.more)
        self.rows: list[BoxRow] = []
        self._rows = QVBoxLayout()
        self._rows.setSpacing(2)

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.count)
        head.addStretch(1)
        style_row = QHBoxLayout()
        style_row.setContentsMargins(22, 0, 0, 0)
        style_row.addWidget(self.style_label)
        style_row.addWidget(self.style_box)
        style_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.found)
        layout.addLayout(self._rows)
        layout.addWidget(self.more)
        layout.addWidget(self.cover)
        layout.addLayout(style_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.hint)
        self.setVisible(False)

    def attach(self, view: PictureView) -> None:
        """Take clicks and drags from the preview."""
        self.view = view
        view.box_clicked.connect(self.toggle_box)
        view.region_drawn.connect(self.add_region)
        view.box_changed.connect(self.move_box)

    def set_redaction(self, redaction: Redaction | None) -> None:
        self.redaction, self.scanning = redaction, False
        self.setVisible(redaction is not None)
        self.refresh()

    def set_scanning(self, fraction: float) -> None:
        """Faces and codes are still being looked for (the metadata is already shown)."""
        if not self.scanning or self.redaction is not None:
            self.redaction, self.scanning = None, True
            self.refresh()
            for w in (self.count, self.cover, self.style_box, self.style_label, self.summary,
                      self.more, self.hint):
                w.setVisible(False)
            self.setVisible(True)
        self.found.setText(_("Looking for faces and readable codes… {percent}%").format(
            percent=isolate(int(100 * max(0.0, min(fraction, 1.0))))))

    # -- changes --------------------------------------------------------------------------
    def toggle_box(self, box: Box) -> None:
        red = self.redaction
        if red is None or box not in red.boxes or box.manual:
            return
        red.toggle(box)
        self._changed()

    def set_covered(self, box: Box, on: bool) -> None:
        red = self.redaction
        if red is None or box not in red.boxes or box.manual or (box in red.covered) == on:
            return
        red.set_covered(box, on)
        self._changed()

    def move_box(self, box: Box, region: Region) -> None:
        if self.redaction is not None and box in self.redaction.boxes:
            self.redaction.move(box, region)
            self._changed()

    def set_shape(self, box: Box, shape: str) -> None:
        if self.redaction is not None and box.region.shape != shape:
            self.redaction.set_shape(box, shape)
            self._changed()

    def add_region(self, region: Region) -> None:
        if self.redaction is not None:
            self.redaction.add(region)
            self._changed()

    def remove_box(self, box: Box) -> None:
        if self.redaction is not None:
            self.redaction.remove(box)
            self._changed()

    def set_outside(self, box: Box | None) -> None:
        if self.redaction is not None and self.redaction.outside is not box:
            if box is None and self.redaction.outside is None:
                return
            self.redaction.set_outside(box)
            self._changed()

    def _on_cover(self, on: bool) -> None:
        if self.redaction is not None and self.redaction.enabled != on:
            self.redaction.enabled = on
            self._changed()

    def _on_style(self, _index: int) -> None:
        if self.redaction is not None:
            self.redaction.style = str(self.style_box.currentData())
            self._changed()

    def _changed(self) -> None:
        self.refresh()
        self.changed.emit()

    # -- showing --------------------------------------------------------------------------
    def refresh(self) -> None:
        red = self.redaction
        for row in self.rows:
            self._rows.removeWidget(row)
            row.hide()
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        if red is None:
            return
        self.hint.setVisible(bool(red.boxes))  # (with none, the found words say how to draw)
        for box in red.boxes[:MAX_ROWS]:
            row = BoxRow(self, box, red)
            self._rows.addWidget(row)
            self.rows.append(row)
        hidden = len(red.boxes) - MAX_ROWS
        self.more.setVisible(hidden > 0)
        self.more.setText(ngettext("…and {n} more, shown on the picture",
                                       "…and {n} more, shown on the picture", hidden))
        self.found.setText(self._found_words(red))
        sure = [b for b in red.detected if b.kind != POSSIBLE]  # what the badges count
        self.count.set_status(str(len(sure)), "danger")
        self.count.setVisible(bool(sure))
        self.cover.blockSignals(True)
        self.cover.setChecked(red.enabled)
        self.cover.setText(self._switch_words(red))
        self.cover.blockSignals(False)
        self.cover.setVisible(bool(red.boxes))
        self.style_box.blockSignals(True)
        self.style_box.setCurrentIndex(max(0, self.style_box.findData(red.style)))
        self.style_box.blockSignals(False)
        for w in (self.style_box, self.style_label):
            w.setVisible(bool(red.boxes))
            w.setEnabled(red.enabled)
        self.summary.setText(red.summary())
        self.summary.setVisible(bool(red.boxes))

    def _found_words(self, red: Redaction) -> str:
        # crowd areas are covered with the faces but not counted as people (core/report.py)
        faces = sum(1 for b in red.boxes if b.kind == FACE and not crowd_area(b.region))
        maybe = sum(1 for b in red.boxes if b.kind == POSSIBLE)
        codes = sum(1 for b in red.boxes if b.is_code)
        if not (faces or maybe or codes):
            return _("No faces or readable codes were found. That is not a guarantee: look "
                           "at the picture yourself. You can drag on it to cover any area.")
        parts = []
        if faces:
            parts.append(ngettext("Someone can be recognised in this picture.",
                                  "{n} people can be recognised in this picture.", faces))
        if maybe and faces:
            parts.append(ngettext("{n} more area may show a face; it is not covered unless you "
                                 "tick it.", "{n} more areas may show a face; they are not covered unless "
                                 "you tick them.", maybe))
        elif maybe:
            parts.append(ngettext("No face was found for sure. {n} area may show one; it is not "
                                 "covered unless you tick it.",
                                  "No face was found for sure. {n} areas may show one; they are "
                                 "not covered unless you tick them.", maybe))
        if codes:
            parts.append(_("Readable codes can carry names, booking references or links."))
        return " ".join(parts)

    def _switch_words(self, red: Redaction) -> str:
        faces = any(b.kind in (FACE, POSSIBLE) for b in red.boxes)
        codes = any(b.is_code for b in red.boxes)
        if faces and codes:
            return _("Cover faces and codes before saving")
        if codes:
            return _("Cover codes before saving")
        if faces:
            return _("Cover faces before saving")
        if any(b.kind == MANUAL for b in red.boxes):
            return _("Cover the areas you drew before saving")
        return _("Cover faces before saving")
