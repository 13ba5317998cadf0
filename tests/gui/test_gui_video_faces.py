"""Faces done right in the window: a video's face boxed where it is in the frame on display
(stepping through time), areas drawn by hand moved, resized and made ellipses, and counts
that agree between the list, the findings and the people panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_helpers import wait_idle
from PySide6.QtCore import QPoint, QPointF, Qt
from skimage import data
from test_gui_faces import astronaut_jpeg, export_with_consent, face_box, open_photo, pixels

from share_guard.core.report import Region

av = pytest.importorskip("av")
FPS, FRAMES, STEP = 4, 12, 18  # the face moves STEP px right every frame


def moving_face_clip(path: Path) -> int:
    """The astronaut's face crossing a grey ground left to right; returns where her face's
    centre is at 0 s (x, in pixels)."""
    import cv2

    face = cv2.resize(data.astronaut(), (160, 160))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 384, 192, "yuv420p"
        for i in range(FRAMES):
            img = np.full((192, 384, 3), 60, np.uint8)
            img[16:176, 8 + STEP * i : 168 + STEP * i] = face
            for pkt in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)
    return 8 + 57 + 27 // 2


def _seek(qtbot, preview, t: float) -> None:
    preview.seek_requested.emit(t)
    qtbot.waitUntil(lambda: preview.time is not None and abs(preview.time - t) < 0.3,
                    timeout=20_000)


def _face_centre(view, face) -> float:
    (region,) = [r for b, r in zip(view.boxes, view.regions, strict=True) if b is face]
    return region.x + region.w / 2


def test_a_video_face_is_boxed_where_it_is_in_the_frame_shown(qtbot, make_window, tmp_path):
    clip = tmp_path / "walk.mp4"
    start = moving_face_clip(clip)
    window = make_window(faces=True)
    window.open_paths([clip])
    wait_idle(qtbot, window, 1, timeout=60_000)
    entry = window.session.entries[0]
    window.file_list.set_current_row(0)
    (face,) = [b for b in entry.redaction.boxes if b.kind == "face"]
    qtbot.waitUntil(lambda: face.track is not None, timeout=20_000)
    preview = window.inspector.preview
    view = preview.view
    assert preview.forward.isVisibleTo(preview) and preview.back.isVisibleTo(preview)

    _seek(qtbot, preview, 0.25)
    early = _face_centre(view, face)
    assert abs(early - (start + STEP)) < 25, early
    # the step button moves the picture (and the box with it) half a second on
    for _ in range(4):
        before = preview.time
        qtbot.mouseClick(preview.forward, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda b=before: preview.time is not None and preview.time > b + 0.3,
                        timeout=20_000)
    late = _face_centre(view, face)
    moved = STEP * FPS * (preview.time - 0.25)
    assert abs(late - early - moved) < 30, (early, late, moved)
    # a box, not the whole band the face crosses
    (region,) = [r for b, r in zip(view.boxes, view.regions, strict=True) if b is face]
    assert region.w < face.region.w * 0.6
    qtbot.mouseClick(preview.back, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: abs(_face_centre(view, face) - late) > 20, timeout=20_000)


def _drag(qtbot, view, start: QPointF, end: QPointF) -> None:
    a, b = start.toPoint(), end.toPoint()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(view, QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(view, b)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=b)


def test_drawn_areas_move_resize_and_become_ellipses(qtbot, make_window, tmp_path):
    photo = astronaut_jpeg(tmp_path / "astronaut.jpg")
    window = make_window(faces=True)
    entry = open_photo(qtbot, window, photo)
    people = window.inspector.people
    people.set_covered(face_box(entry), False)  # only the drawn area counts here
    view = window.inspector.preview.view
    target = view.picture_rect()
    k = target.width() / 512

    def at(x: float, y: float) -> QPointF:
        return QPointF(target.x() + x * k, target.y() + y * k)

    _drag(qtbot, view, at(380, 380), at(470, 470))
    (drawn,) = [b for b in entry.redaction.boxes if b.manual]
    # move it: drag from inside it
    _drag(qtbot, view, at(420, 420), at(320, 330))
    r = drawn.region
    assert abs(r.x - 280) <= 4 and abs(r.y - 290) <= 4 and abs(r.w - 90) <= 4, r
    # resize it: drag its bottom-right corner
    corner = view.to_widget(r).bottomRight()
    _drag(qtbot, view, corner, QPointF(corner.x() + 40 * k, corner.y() + 60 * k))
    r = drawn.region
    assert abs(r.x - 280) <= 4 and abs(r.w - 130) <= 5 and abs(r.h - 150) <= 5, r
    # an ellipse: the corners of its box stay as they were
    row = next(row for row in people.rows if row.box is drawn)
    row.shape.setCurrentIndex(row.shape.findData("ellipse"))
    assert drawn.region.shape == "ellipse"
    export_with_consent(qtbot, window, expect_warning=True)
    assert entry.result.ok, entry.result.reason
    out, original = pixels(entry.result.output), pixels(photo)
    cx, cy = r.x + r.w // 2, r.y + r.h // 2
    assert out[cy - 10 : cy + 10, cx - 10 : cx + 10].std() < 2.0  # covered inside
    corner = np.abs(out[r.y + 2 : r.y + 8, r.x + 2 : r.x + 8] - original[r.y + 2 : r.y + 8,
                                                                           r.x + 2 : r.x + 8])
    assert corner.mean() < 10  # the box's corner is outside the ellipse: untouched


def test_counts_agree_and_nothing_is_ticked_while_covering_is_off(qtbot, make_window, tmp_path):
    photo = astronaut_jpeg(tmp_path / "astronaut.jpg")
    window = make_window(faces=True)
    entry = open_photo(qtbot, window, photo)
    # GPS, camera make, artist (3) and one person (1): one count everywhere
    assert window.file_list.status_text(entry) == "4 things found"
    sections = {s.group.key: int(s.count.text()) for s in window.inspector.findings.sections}
    people = window.inspector.people
    assert sum(sections.values()) + int(people.count.text()) == 4
    assert people.count.text() == "1"
    face = face_box(entry)
    row = next(r for r in people.rows if r.box is face)
    assert row.check.isChecked()
    people.cover.click()  # covering off
    assert not entry.redaction.enabled
    row = next(r for r in people.rows if r.box is face)
    assert not row.check.isChecked()  # not ticked: it will not be covered
    row.check.click()  # ticking one turns covering back on
    assert entry.redaction.enabled and face in entry.redaction.covered


def test_possible_faces_alone_are_not_counted_as_found():
    from share_guard.core.report import Category, Finding, Report
    from share_guard.gui.redaction import Redaction
    from share_guard.gui.widgets.people_panel import PeoplePanel

    report = Report(Path("m.jpg"), format="jpeg", kind="image", findings=[
        Finding(Category.PEOPLE, "pixels", "Possible faces", "2", "x", identifying=False,
                removable=False, regions=(Region(0, 0, 9, 9, 0.15, "possible face"),
                                          Region(20, 0, 9, 9, 0.12, "possible face")))])
    panel = PeoplePanel()
    panel.set_redaction(Redaction.from_report(report))
    assert not panel.count.isVisibleTo(panel)  # no red "2" for machinery
    assert "No face was found for sure. 2 areas may show one" in panel.found.text()
    assert "more" not in panel.found.text()
