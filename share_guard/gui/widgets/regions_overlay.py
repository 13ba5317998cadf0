"""The picture with its boxes: faces, possible faces, codes and areas drawn by hand.

Boxes are in pixels of the full picture as displayed and are scaled onto the
widget; a video's faces are drawn where they are in the frame shown. A box that
will be covered is drawn solid with a light fill; one that will not (possible
faces at first, anything switched off) is dashed. Clicking a found box reports it
(the People panel toggles it); dragging on the picture draws a new area; an area
drawn by hand can be moved (drag inside it) and resized (drag a corner or an edge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from enum import Enum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from share_guard.core.report import Region
from share_guard.gui.redaction import Box, clock

#: colour of each kind of box (r, g, b); readable on light and dark pictures with a dark halo
KIND_RGB = {
    "face": (235, 64, 64),
    "possible face": (245, 166, 35),
    "qr": (96, 165, 250),
    "pdf417": (56, 189, 248),
    "aztec": (129, 140, 248),
    "datamatrix": (45, 212, 191),
    "maxicode": (167, 139, 250),
    "barcode": (52, 211, 153),
    "manual": (236, 72, 153),
}
LABELS = {"face": "Face", "possible face": "Possible face", "qr": "QR", "pdf417": "PDF417",
          "aztec": "Aztec", "datamatrix": "DataMatrix", "maxicode": "MaxiCode",
          "barcode": "Barcode", "manual": "Your area"}
MIN_DRAG = 8  # widget pixels a drag must cover to make a box
GRAB = 7  # widget pixels around a drawn area's edge that resize it


class Grip(Enum):
    """What a press on a drawn area holds: the whole area, or edges to move."""

    MOVE = (1, 1, 1, 1)  # (left, top, right, bottom) follow the mouse
    LEFT, RIGHT, TOP, BOTTOM = (1, 0, 0, 0), (0, 0, 1, 0), (0, 1, 0, 0), (0, 0, 0, 1)
    TOP_LEFT, TOP_RIGHT = (1, 1, 0, 0), (0, 1, 1, 0)
    BOTTOM_LEFT, BOTTOM_RIGHT = (1, 0, 0, 1), (0, 0, 1, 1)


CURSORS = {Grip.MOVE: Qt.CursorShape.SizeAllCursor, Grip.LEFT: Qt.CursorShape.SizeHorCursor,
           Grip.RIGHT: Qt.CursorShape.SizeHorCursor, Grip.TOP: Qt.CursorShape.SizeVerCursor,
           Grip.BOTTOM: Qt.CursorShape.SizeVerCursor, Grip.TOP_LEFT: Qt.CursorShape.SizeFDiagCursor,
           Grip.BOTTOM_RIGHT: Qt.CursorShape.SizeFDiagCursor,
           Grip.TOP_RIGHT: Qt.CursorShape.SizeBDiagCursor,
           Grip.BOTTOM_LEFT: Qt.CursorShape.SizeBDiagCursor}


def kind_color(kind: str, alpha: int = 255) -> QColor:
    r, g, b = KIND_RGB.get(kind, KIND_RGB["barcode"])
    return QColor(r, g, b, alpha)


class PictureView(QWidget):
    """Paints a picture scaled to fit, with boxes on top; boxes can be clicked and drawn."""

    box_clicked = Signal(object)  # Box
    region_drawn = Signal(object)  # Region in full-picture pixels
    box_changed = Signal(object, object)  # a drawn Box, its new Region (moved or resized)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(180, 160)
        self.pixmap: QPixmap | None = None
        self.full_size: tuple[int, int] = (0, 0)
        self.regions: list[Region] = []
        self.boxes: list[Box] = []
        self.covering = True  # the file's "cover" switch: off draws every box dashed
        self.outside: Box | None = None
        self.show_regions = True
        self.editable = False  # boxes can be clicked and drawn
        self.message = ""
        self._press: QPointF | None = None
        self._drag: QRectF | None = None
        self._held: tuple[Box, Grip, QRectF] | None = None  # a drawn area being changed
        self.setMouseTracking(True)  # the cursor says what a press would hold

    def set_picture(self, pixmap: QPixmap | None, full_size: tuple[int, int], message: str = "") -> None:
        self.pixmap, self.full_size, self.message = pixmap, full_size, message
        if self.boxes and self.regions:
            self.regions = [_clipped(r, *full_size) for r in self.regions]
        self.update()

    def set_regions(self, regions: Sequence[Region]) -> None:
        """Plain regions (no choices): drawn as boxes that will be covered."""
        self.boxes = [Box(r, r.label if r.label in KIND_RGB else "face", True) for r in regions]
        self.regions = list(regions)
        self.update()

    def set_boxes(self, boxes: Sequence[tuple[Box, Region]], covering: bool,
                  outside: Box | None) -> None:
        """Boxes with choices, each drawn at the area given with it: where a cover would go
        (detections enlarged; a video's faces where they are in the frame shown)."""
        self.boxes = [b for b, _r in boxes]
        w, h = self.full_size
        self.regions = [_clipped(r, w, h) for _b, r in boxes]
        self.covering, self.outside = covering, outside
        self.update()

    def set_editable(self, on: bool) -> None:
        self.editable = on
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    # -- geometry -------------------------------------------------------------------------
    def picture_rect(self) -> QRectF:
        """Where the picture is drawn inside the widget."""
        if self.pixmap is None or self.pixmap.isNull():
            return QRectF()
        size = QSize(self.pixmap.size()).scaled(self.size() - QSize(16, 16),
                                                Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def _scale(self) -> tuple[QRectF, float, float] | None:
        target = self.picture_rect()
        full_w, full_h = self.full_size
        if target.isEmpty() or full_w <= 0 or full_h <= 0:
            return None
        return target, target.width() / full_w, target.height() / full_h

    def to_widget(self, region: Region) -> QRectF:
        scale = self._scale()
        if scale is None:
            return QRectF()
        target, sx, sy = scale
        return QRectF(target.x() + region.x * sx, target.y() + region.y * sy,
                      region.w * sx, region.h * sy)

    def to_picture(self, rect: QRectF) -> Region | None:
        """A widget rectangle as a region of the full picture (clipped), or None."""
        scale = self._scale()
        if scale is None:
            return None
        target, sx, sy = scale
        rect = rect.normalized().intersected(target)
        if rect.isEmpty():
            return None
        x0, y0 = round((rect.left() - target.x()) / sx), round((rect.top() - target.y()) / sy)
        x1, y1 = round((rect.right() - target.x()) / sx), round((rect.bottom() - target.y()) / sy)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.full_size[0], x1), min(self.full_size[1], y1)
        if x1 - x0 < 1 or y1 - y0 < 1:
            return None
        return Region(x0, y0, x1 - x0, y1 - y0, label="manual")

    def region_rects(self) -> list[QRectF]:
        """The boxes as drawn (widget coordinates)."""
        return [self.to_widget(r) for r in self.regions] if self._scale() is not None else []

    def box_at(self, point: QPointF) -> Box | None:
        """The smallest box under ``point`` (nested boxes stay reachable)."""
        hits = [(r.width() * r.height(), i) for i, r in enumerate(self.region_rects())
                if r.adjusted(-3, -3, 3, 3).contains(point)]
        return self.boxes[min(hits)[1]] if hits else None

    # -- mouse ----------------------------------------------------------------------------
    def grip_at(self, point: QPointF) -> tuple[Box, Grip, QRectF] | None:
        """The drawn area under ``point`` and what a press there holds (an edge, a corner, or
        the whole area); the smallest such area wins."""
        found: list[tuple[float, Box, Grip, QRectF]] = []
        for rect, box in zip(self.region_rects(), self.boxes, strict=True):
            if not box.manual or not rect.adjusted(-GRAB, -GRAB, GRAB, GRAB).contains(point):
                continue
            left, right = abs(point.x() - rect.left()) <= GRAB, abs(point.x() - rect.right()) <= GRAB
            top, bottom = abs(point.y() - rect.top()) <= GRAB, abs(point.y() - rect.bottom()) <= GRAB
            grip = {(1, 0, 0, 0): Grip.LEFT, (0, 0, 1, 0): Grip.RIGHT, (0, 1, 0, 0): Grip.TOP,
                    (0, 0, 0, 1): Grip.BOTTOM, (1, 1, 0, 0): Grip.TOP_LEFT,
                    (0, 1, 1, 0): Grip.TOP_RIGHT, (1, 0, 0, 1): Grip.BOTTOM_LEFT,
                    (0, 0, 1, 1): Grip.BOTTOM_RIGHT}.get((int(left), int(top), int(right),
                                                          int(bottom)), Grip.MOVE)
            found.append((rect.width() * rect.height(), box, grip, rect))
        if not found:
            return None
        _size, box, grip, rect = min(found, key=lambda f: f[0])
        return box, grip, QRectF(rect)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if self.editable and self.show_regions and event.button() == Qt.MouseButton.LeftButton:
            self._press, self._drag = event.position(), None
            self._held = self.grip_at(event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if self._press is not None and self._held is not None:
            box, grip, start = self._held
            d = event.position() - self._press
            kl, kt, kr, kb = grip.value
            moved = QRectF(start.left() + kl * d.x(), start.top() + kt * d.y(),
                           0, 0)
            moved.setRight(start.right() + kr * d.x())
            moved.setBottom(start.bottom() + kb * d.y())
            self._drag = moved.normalized().intersected(self.picture_rect())
            self.update()
            event.accept()
            return
        if self._press is not None:
            rect = QRectF(self._press, event.position()).normalized()
            if self._drag is not None or max(rect.width(), rect.height()) >= MIN_DRAG:
                self._drag = rect.intersected(self.picture_rect())
                self.update()
            event.accept()
            return
        if self.editable:
            held = self.grip_at(event.position())
            self.setCursor(CURSORS[held[1]] if held is not None else Qt.CursorShape.CrossCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if self._press is None:
            super().mouseReleaseEvent(event)
            return
        press, drag, held = self._press, self._drag, self._held
        self._press = self._drag = self._held = None
        self.update()
        event.accept()
        if held is not None:
            if drag is not None and min(drag.width(), drag.height()) >= MIN_DRAG / 2:
                region = self.to_picture(drag)
                if region is not None:
                    self.box_changed.emit(held[0], region)
            return
        if drag is not None:
            if min(drag.width(), drag.height()) >= MIN_DRAG / 2:
                region = self.to_picture(drag)
                if region is not None:
                    self.region_drawn.emit(region)
            return
        box = self.box_at(press)
        if box is not None:
            self.box_clicked.emit(box)

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        backdrop = self.palette().color(QPalette.ColorRole.Mid)
        backdrop.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(backdrop)
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 8, 8)
        target = self.picture_rect()
        if target.isEmpty():
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.message)
            painter.end()
            return
        assert self.pixmap is not None
        painter.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))
        if self.show_regions:
            rects = self.region_rects()
            if self.outside is not None and self.covering and self.outside in self.boxes:
                self._shade_outside(painter, target, rects[self.boxes.index(self.outside)])
            for rect, box in zip(rects, self.boxes, strict=True):
                self._box(painter, rect, box)
        if self._drag is not None:
            painter.setPen(QPen(kind_color("manual"), 2, Qt.PenStyle.DashLine))
            painter.setBrush(kind_color("manual", 50))
            if self._held is not None and self._held[0].region.shape == "ellipse":
                painter.drawEllipse(self._drag)
            else:
                painter.drawRect(self._drag)
        painter.end()

    def _shade_outside(self, painter: QPainter, target: QRectF, keep: QRectF) -> None:
        path = QPainterPath()
        path.addRect(target)
        inner = QPainterPath()
        inner.addRect(keep)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawPath(path.subtracted(inner))

    def _box(self, painter: QPainter, rect: QRectF, box: Box) -> None:
        covered = box.selected and self.covering and box is not self.outside
        color = kind_color(box.kind)
        style = Qt.PenStyle.SolidLine if covered else Qt.PenStyle.DashLine
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 150), 4))
        self._shape(painter, rect, box.region)
        if covered:  # will be covered: tinted and hatched
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(kind_color(box.kind, 60))
            self._shape(painter, rect, box.region)
            painter.setBrush(QBrush(kind_color(box.kind, 150), Qt.BrushStyle.BDiagPattern))
            self._shape(painter, rect, box.region)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(color, 2, style))
        self._shape(painter, rect, box.region)
        text = LABELS.get(box.kind, box.kind)
        r = box.region
        if r.t_start is not None and box.track is None:  # the area it moves through, then
            text += f" {clock(r.t_start)}\u2013{clock(r.t_end if r.t_end is not None else r.t_start)}"
        self._tag(painter, rect, text, color, covered)
        if box.manual and self.editable:  # corners to take hold of
            painter.setPen(QPen(QColor(0, 0, 0, 170), 1))
            painter.setBrush(color)
            for corner in (rect.topLeft(), rect.topRight(), rect.bottomLeft(), rect.bottomRight()):
                painter.drawRect(QRectF(corner.x() - 3, corner.y() - 3, 6, 6))

    def _tag(self, painter: QPainter, rect: QRectF, text: str, color: QColor, filled: bool) -> None:
        """A small name tag above the box (below it when there is no room above)."""
        fm = painter.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 10, fm.height() + 2
        if rect.width() < 18 or rect.height() < 12:
            return
        y = rect.top() - h - 1 if rect.top() - h - 1 >= 0 else rect.bottom() + 1
        tag = QRectF(rect.left(), y, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color if filled else QColor(0, 0, 0, 170))
        painter.drawRoundedRect(tag, 3, 3)
        painter.setPen(QColor(0, 0, 0) if filled else color)
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    @staticmethod
    def _shape(painter: QPainter, rect: QRectF, region: Region) -> None:
        if region.shape == "ellipse":
            painter.drawEllipse(rect)
        else:
            painter.drawRect(rect)


def _clipped(region: Region, width: int, height: int) -> Region:
    """``region`` inside a ``width`` x ``height`` picture (unchanged when the size is unknown)."""
    if width <= 0 or height <= 0:
        return region
    x0, y0 = max(0, region.x), max(0, region.y)
    x1, y1 = min(width, region.x + region.w), min(height, region.y + region.h)
    return replace(region, x=x0, y=y0, w=max(0, x1 - x0), h=max(0, y1 - y0))
