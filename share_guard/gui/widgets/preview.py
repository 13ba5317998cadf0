"""The inspector's picture: the image (or a video frame with a scrubber) and region boxes.

Regions come from findings (faces, readable codes...) in pixels of the image as
displayed; they are scaled onto whatever size the picture is shown at.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QSizePolicy, QSlider, QVBoxLayout, QWidget

from share_guard.core.report import Region
from share_guard.gui.service import Preview
from share_guard.gui.widgets.common import muted, plain_label, tone_color


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class PictureView(QWidget):
    """Paints a picture scaled to fit, with optional region boxes on top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(180, 160)
        self.pixmap: QPixmap | None = None
        self.full_size: tuple[int, int] = (0, 0)
        self.regions: list[Region] = []
        self.show_regions = True
        self.message = ""

    def set_picture(self, pixmap: QPixmap | None, full_size: tuple[int, int], message: str = "") -> None:
        self.pixmap, self.full_size, self.message = pixmap, full_size, message
        self.update()

    def set_regions(self, regions: Sequence[Region]) -> None:
        self.regions = list(regions)
        self.update()

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn inside the widget."""
        if self.pixmap is None or self.pixmap.isNull():
            return QRectF()
        size = QSize(self.pixmap.size()).scaled(self.size() - QSize(16, 16),
                                                Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def region_rects(self) -> list[QRectF]:
        """The boxes as drawn (widget coordinates)."""
        target = self.picture_rect()
        full_w, full_h = self.full_size
        if target.isEmpty() or full_w <= 0 or full_h <= 0:
            return []
        sx, sy = target.width() / full_w, target.height() / full_h
        return [QRectF(target.x() + r.x * sx, target.y() + r.y * sy, r.w * sx, r.h * sy)
                for r in self.regions]

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
            for rect, region in zip(self.region_rects(), self.regions, strict=True):
                color = tone_color("danger") if region.label != "qr" else tone_color("warn")
                painter.setPen(QPen(QColor(0, 0, 0, 140), 4))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                self._shape(painter, rect, region)
                painter.setPen(QPen(color, 2))
                self._shape(painter, rect, region)
        painter.end()

    @staticmethod
    def _shape(painter: QPainter, rect: QRectF, region: Region) -> None:
        if region.shape == "ellipse":
            painter.drawEllipse(rect)
        else:
            painter.drawRect(rect)


class PreviewPanel(QWidget):
    """Picture + "show faces and codes" toggle + a scrubber for videos."""

    seek_requested = Signal(float)  # seconds
    regions_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = PictureView(self)
        self.toggle = QCheckBox(self.tr("Show faces and codes"), self)
        self.toggle.setChecked(True)
        self.toggle.toggled.connect(self._on_toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setAccessibleName(self.tr("Video position"))
        self.slider.setRange(0, 1000)
        self.time_label = plain_label("", self)
        muted(self.time_label)
        self._duration = 0.0
        self._all_regions: list[Region] = []
        self._time: float | None = None
        self._seek = QTimer(self)
        self._seek.setSingleShot(True)
        self._seek.setInterval(150)
        self._seek.timeout.connect(self._emit_seek)
        self.slider.valueChanged.connect(self._on_slider)

        scrub = QHBoxLayout()
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(scrub)
        layout.addWidget(self.toggle)
        self.clear(self.tr("Select a file to see it here"))

    def clear(self, message: str) -> None:
        self.view.set_picture(None, (0, 0), message)
        self._all_regions, self._time, self._duration = [], None, 0.0
        self.view.set_regions([])
        self._show_scrubber(False)
        self.toggle.setVisible(False)

    def set_regions(self, regions: Sequence[Region]) -> None:
        self._all_regions = list(regions)
        self.toggle.setVisible(bool(self._all_regions))
        self._apply_regions()

    def set_preview(self, preview: Preview | None, message: str) -> None:
        if preview is None:
            self.view.set_picture(None, (0, 0), message)
            self._show_scrubber(False)
            return
        self.view.set_picture(QPixmap.fromImage(preview.image), preview.full_size)
        self._time = preview.time
        self._duration = preview.duration
        self._show_scrubber(preview.time is not None and preview.duration > 0)
        if preview.time is not None and preview.duration > 0:
            self.slider.blockSignals(True)
            self.slider.setValue(int(1000 * preview.time / preview.duration))
            self.slider.blockSignals(False)
            self.time_label.setText(f"{_clock(preview.time)} / {_clock(preview.duration)}")
        self._apply_regions()

    def _apply_regions(self) -> None:
        t = self._time
        shown = [r for r in self._all_regions
                 if t is None or r.t_start is None
                 or (r.t_start - 0.5 <= t <= (r.t_end if r.t_end is not None else r.t_start) + 0.5)]
        self.view.set_regions(shown)

    def _show_scrubber(self, on: bool) -> None:
        self.slider.setVisible(on)
        self.time_label.setVisible(on)

    def _on_toggle(self, on: bool) -> None:
        self.view.show_regions = on
        self.view.update()
        self.regions_toggled.emit(on)

    def _on_slider(self, value: int) -> None:
        if self._duration > 0:
            self.time_label.setText(f"{_clock(self._duration * value / 1000)} / {_clock(self._duration)}")
        self._seek.start()

    def _emit_seek(self) -> None:
        if self._duration > 0:
            self.seek_requested.emit(self._duration * self.slider.value() / 1000)
