"""The inspector's picture: the image (or a video frame with a slider and step buttons)
and region boxes.

Regions come from findings (faces, readable codes...) in pixels of the image as
displayed; they are scaled onto whatever size the picture is shown at. With a
file's :class:`Redaction` the boxes show what will be covered and can be
clicked and drawn (see :mod:`regions_overlay`); a video's faces are drawn where
they are in the frame on display (their tracks), not as the area they move through.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QSlider, QStyle, QVBoxLayout, QWidget

from share_guard.core.i18n import _
from share_guard.core.report import Region
from share_guard.gui.redaction import Redaction
from share_guard.gui.service import Preview
from share_guard.gui.widgets.common import icon_button, muted, plain_label
from share_guard.gui.widgets.regions_overlay import PictureView

__all__ = ["PictureView", "PreviewPanel"]


STEP = 0.5  # seconds the step buttons move a video


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class PreviewPanel(QWidget):
    """Picture + "show faces and codes" toggle + a scrubber for videos."""

    seek_requested = Signal(float)  # seconds
    regions_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = PictureView(self)
        self.toggle = QCheckBox(_("Show faces and codes"), self)
        self.toggle.setChecked(True)
        self.toggle.toggled.connect(self._on_toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setAccessibleName(_("Video position"))
        self.slider.setRange(0, 1000)
        self.time_label = plain_label("", self)
        muted(self.time_label)
        self._duration = 0.0
        self._all_regions: list[Region] = []
        self.redaction: Redaction | None = None
        self._time: float | None = None  # the time of the frame on display
        self._target: float | None = None  # where the step buttons asked to go
        self._seek = QTimer(self)
        self._seek.setSingleShot(True)
        self._seek.setInterval(150)
        self._seek.timeout.connect(self._emit_seek)
        self.slider.valueChanged.connect(self._on_slider)
        self.back = icon_button(QStyle.StandardPixmap.SP_MediaSeekBackward,
                                _("Back half a second"), self)
        self.forward = icon_button(QStyle.StandardPixmap.SP_MediaSeekForward,
                                   _("Forward half a second"), self)
        self.back.clicked.connect(lambda: self.step(-STEP))
        self.forward.clicked.connect(lambda: self.step(STEP))

        scrub = QHBoxLayout()
        scrub.addWidget(self.back)
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.forward)
        scrub.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(scrub)
        layout.addWidget(self.toggle)
        self.clear(_("Select a file to see it here"))

    def clear(self, message: str) -> None:
        self.view.set_picture(None, (0, 0), message)
        self._all_regions, self._time, self._duration = [], None, 0.0
        self._target = None
        self.redaction = None
        self.view.set_regions([])
        self.view.set_editable(False)
        self._show_scrubber(False)
        self.toggle.setVisible(False)

    def set_regions(self, regions: Sequence[Region]) -> None:
        self._all_regions = list(regions)
        self.redaction = None
        self.toggle.setVisible(bool(self._all_regions))
        self.view.set_editable(False)
        self._apply_regions()

    def set_redaction(self, redaction: Redaction | None) -> None:
        """Show a file's cover choices: boxes to click, and drawing enabled."""
        self.redaction = redaction
        self._all_regions = [b.region for b in redaction.boxes] if redaction is not None else []
        self.toggle.setVisible(bool(self._all_regions))
        self.view.set_editable(redaction is not None)
        self._apply_regions()

    def set_preview(self, preview: Preview | None, message: str) -> None:
        if preview is None:
            self.view.set_picture(None, (0, 0), message)
            self._show_scrubber(False)
            return
        self.view.set_picture(QPixmap.fromImage(preview.image), preview.full_size)
        self._time, self._target = preview.time, None
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

        def now(r: Region) -> bool:
            return (t is None or r.t_start is None
                    or r.t_start - 0.5 <= t <= (r.t_end if r.t_end is not None else r.t_start) + 0.5)

        if self.redaction is None:
            self.view.set_regions([r for r in self._all_regions if now(r)])
            return
        red = self.redaction
        shown = [(b, red.area_at(b, t) if b.track is not None else b.shown) for b in red.boxes
                 if b.track is not None or now(b.region)]
        self.view.set_boxes([(b, a) for b, a in shown if a is not None], red.enabled, red.outside)

    def refresh_boxes(self) -> None:
        """The boxes again (a video's face tracks arrived, an area moved)."""
        self._apply_regions()

    @property
    def time(self) -> float | None:
        return self._time

    def step(self, seconds: float) -> None:
        """Move the video ``seconds`` forward (or back): the frame there is asked for."""
        if self._duration <= 0:
            return
        now = self._target if self._target is not None else self._time
        if now is None:
            now = self._duration * self.slider.value() / 1000
        target = max(0.0, min(self._duration, now + seconds))
        self.slider.blockSignals(True)
        self.slider.setValue(int(round(1000 * target / self._duration)))
        self.slider.blockSignals(False)
        self.time_label.setText(f"{_clock(target)} / {_clock(self._duration)}")
        self._seek.stop()
        self._target = target  # the boxes follow the frame's own time when it arrives
        self.seek_requested.emit(target)

    def _show_scrubber(self, on: bool) -> None:
        for w in (self.slider, self.time_label, self.back, self.forward):
            w.setVisible(on)

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
