"""People in the picture, in the window: faces found, boxes toggled and drawn, faces covered on export."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import piexif
import pytest
from gui_helpers import consent_dialog, wait_idle
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QLabel
from skimage import data

from share_guard.core.inspect import inspect
from share_guard.core.report import Category, Region

#: the astronaut's face in skimage.data.astronaut(), as the detector reports it (x, y, w, h)
FACE = (181, 58, 89, 121)
EXIF_GPS = {
    "0th": {piexif.ImageIFD.Make: b"Canon", piexif.ImageIFD.Artist: b"Jane Doe"},
    "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((52, 1), (30, 1), (0, 1)),
            piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((13, 1), (24, 1), (0, 1))},
}


def astronaut_jpeg(path: Path) -> Path:
    Image.fromarray(data.astronaut()).save(path, "JPEG", quality=92, exif=piexif.dump(EXIF_GPS))
    return path


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def people_window(make_window, isolate: bool = False):
    return make_window(faces=True, codes=True, isolate=isolate)  # as the app: build_service


def open_photo(qtbot, window, path: Path):
    window.open_paths([path])
    wait_idle(qtbot, window, 1, timeout=60_000)
    entry = window.session.entries[0]
    window.file_list.set_current_row(0)
    qtbot.waitUntil(lambda: window.inspector.preview.view.pixmap is not None, timeout=20_000)
    return entry


def export_with_consent(qtbot, window, expect_warning: bool):
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=20_000)
    dialog = consent_dialog(window)
    texts = " ".join(lab.text() for lab in dialog.findChildren(QLabel))
    assert ("people can be recognised and will not be covered" in texts) is expect_warning, texts
    assert not dialog.confirm_button.isEnabled()
    for box in dialog.findChildren(QCheckBox):
        box.click()
    with qtbot.waitSignal(window.session.export_finished, timeout=60_000):
        dialog.confirm_button.click()


def face_box(entry):
    return next(b for b in entry.redaction.boxes if b.kind == "face")


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolated"])
def test_face_found_boxed_and_covered_on_export(qtbot, make_window, dialogs, tmp_path, isolate):
    photo = astronaut_jpeg(tmp_path / "astronaut.jpg")
    before = hashlib.sha256(photo.read_bytes()).hexdigest()
    window = people_window(make_window, isolate)
    entry = open_photo(qtbot, window, photo)

    people = window.inspector.people
    assert people.isVisibleTo(window.inspector)
    faces = [b for b in entry.redaction.boxes if b.kind == "face"]
    assert len(faces) == 1 and faces[0].selected
    r = faces[0].region
    assert abs(r.x - FACE[0]) < 10 and abs(r.y - FACE[1]) < 10
    assert people.cover.isChecked() and people.cover.text() == "Cover faces before saving"
    assert [row.check.text() for row in people.rows if row.box.kind == "face"] == ["Face"]
    assert "1 face will be covered." in people.summary.text()
    view = window.inspector.preview.view
    (rect,) = [view.to_widget(b.region) for b in view.boxes if b.kind == "face"]
    assert view.picture_rect().contains(rect)

    export_with_consent(qtbot, window, expect_warning=False)
    result = entry.result
    assert result.ok, result.reason
    assert any("1 face" in line for line in result.changed)
    result_view = window.inspector.result
    assert "1 face (solid fill)" in result_view.covered.text()
    out = result.output
    assert out.exists() and not inspect(out).leaks()
    x, y, w, h = r.x, r.y, r.w, r.h
    inside = pixels(out)[y + 4 : y + h - 4, x + 4 : x + w - 4]
    assert inside.std() < 2.0, "the face region is not a solid fill"
    assert pixels(photo)[y : y + h, x : x + w].std() > 20
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == before


def test_face_switched_off_is_a_lossless_copy_and_consent_warns(qtbot, make_window, tmp_path):
    photo = astronaut_jpeg(tmp_path / "astronaut.jpg")
    window = people_window(make_window)
    entry = open_photo(qtbot, window, photo)
    box = face_box(entry)
    view = window.inspector.preview.view
    rect = view.to_widget(box.region)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert not box.selected and not entry.redaction.active
    people = window.inspector.people
    assert "Nothing will be covered." in people.summary.text()
    row = next(r for r in people.rows if r.box is box)
    assert not row.check.isChecked()

    export_with_consent(qtbot, window, expect_warning=True)
    assert entry.result.ok, entry.result.reason
    assert entry.result.changed == []
    assert not inspect(entry.result.output).leaks()
    # no redaction: the lossless path, the picture data exactly as in the original
    assert np.array_equal(pixels(entry.result.output), pixels(photo))


def test_drawn_box_is_covered_and_can_be_removed(qtbot, make_window, tmp_path):
    photo = astronaut_jpeg(tmp_path / "astronaut.jpg")
    window = people_window(make_window)
    entry = open_photo(qtbot, window, photo)
    face_box(entry).selected = False  # only the drawn box counts here
    view = window.inspector.preview.view
    target = view.picture_rect()
    scale = target.width() / 512
    # drag over the rocket area at the lower right: (380, 380) -> (470, 470) in picture pixels
    start = QPoint(int(target.x() + 380 * scale), int(target.y() + 380 * scale))
    end = QPoint(int(target.x() + 470 * scale), int(target.y() + 470 * scale))
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, QPoint(start.x() + 20, start.y() + 20))
    qtbot.mouseMove(view, end)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    drawn = [b for b in entry.redaction.boxes if b.manual]
    assert len(drawn) == 1
    d = drawn[0].region
    assert abs(d.x - 380) <= 3 and abs(d.x + d.w - 470) <= 3
    people = window.inspector.people
    row = next(r for r in people.rows if r.box is drawn[0])
    assert row.check.text() == "Area you drew" and row.outside is not None

    # a second drawn box, removed again from its row
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(int(target.x() + 5), int(target.y() + 5)))
    qtbot.mouseMove(view, QPoint(int(target.x() + 40), int(target.y() + 40)))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton,
                       pos=QPoint(int(target.x() + 40), int(target.y() + 40)))
    assert len([b for b in entry.redaction.boxes if b.manual]) == 2
    second = next(r for r in people.rows if r.box.manual and r.box is not drawn[0])
    second.remove.click()
    assert [b for b in entry.redaction.boxes if b.manual] == drawn

    # the face was switched off: a drawn box elsewhere does not cover it, and consent says so
    # (any redaction used to count as covering the people)
    export_with_consent(qtbot, window, expect_warning=True)
    assert entry.result.ok, entry.result.reason
    out = pixels(entry.result.output)
    assert out[d.y + 2 : d.y + d.h - 2, d.x + 2 : d.x + d.w - 2].std() < 2.0
    x, y, w, h = FACE
    assert np.abs(out[y : y + h, x : x + w] - pixels(photo)[y : y + h, x : x + w]).mean() < 8, \
        "the face was switched off but changed"
    assert "1 area drawn by hand (solid fill)" in window.inspector.result.covered.text()


def test_people_panel_words_for_possible_faces_codes_and_video():
    from share_guard.core.report import Finding, Report
    from share_guard.gui.redaction import Redaction, describe

    report = Report(Path("v.mp4"), format="mp4", kind="video", findings=[
        Finding(Category.PEOPLE, "video frames", "Faces", "1 face", "x", removable=False,
                regions=(Region(10, 10, 40, 40, 0.9, "face", t_start=3.2, t_end=11.0),)),
        Finding(Category.PEOPLE, "video frames", "Possible faces", "1", "x", identifying=False,
                removable=False, regions=(Region(80, 10, 20, 20, 0.15, "possible face",
                                                 t_start=0.0, t_end=2.0),)),
    ])
    red = Redaction.from_report(report)
    face, maybe = red.boxes
    assert describe(face, True) == "Face from 0:03 to 0:11" and face.selected
    assert describe(maybe, True) == "Possible face from 0:00 to 0:02" and not maybe.selected
    assert red.summary() == "1 face will be covered."
    red.toggle(maybe)
    assert red.removed() == [] and red.summary() == "1 face and 1 possible face will be covered."
    drawn = red.add(Region(0, 0, 5, 5))
    red.set_outside(drawn)
    assert red.outside_region() == drawn.region and red.added() == []
    assert describe(drawn, True) == "Area you drew, whole video"
    codes = Report(Path("p.png"), format="png", kind="image", findings=[
        Finding(Category.CODES, "pixels", "Readable codes", "1 QR code", "x", removable=False,
                regions=(Region(0, 0, 9, 9, label="qr"), Region(0, 20, 9, 9, label="pdf417")))])
    red = Redaction.from_report(codes)
    assert red.enabled and red.summary() == "1 QR code and 1 PDF417 code will be covered."


def test_metadata_shows_at_once_and_faces_land_later(qtbot, make_window, tmp_path):
    from gui_helpers import SlowAnalyzer, gps_jpeg

    from share_guard.gui import status

    slow = SlowAnalyzer()
    window = make_window(content=[slow])
    photos = [gps_jpeg(tmp_path / "a.jpg"), gps_jpeg(tmp_path / "b.jpg")]
    window.open_paths(photos)
    qtbot.waitUntil(lambda: len(window.session.entries) == 2 and slow.started.is_set()
                    and window.session.entries[0].state == "scanning", timeout=10_000)
    first, second = window.session.entries
    window.file_list.set_current_row(0)
    assert "Location" in window.inspector.findings.titles()
    assert status.badge(first) == ("Looking for faces…", status.BUSY)
    people = window.inspector.people
    assert people.isVisibleTo(window.inspector) and "Looking for faces" in people.found.text()
    qtbot.waitUntil(window.actions_settled)
    assert not window.inspector.export_button.isEnabled()
    window.session.cancel(first)  # the row's stop button
    qtbot.waitUntil(lambda: first.state == "cancelled", timeout=10_000)
    assert first.report is not None and first.report.leaks()  # what was found stays listed
    assert window.session.exportable([first]) == []
    slow.release.set()
    qtbot.waitUntil(lambda: second.state == "checked", timeout=10_000)
    assert second.redaction is not None and not second.redaction.boxes
    assert window.session.exportable([second]) == [second]


def _face_clip(path: Path, n: int = 8, fps: int = 4) -> tuple[int, int, int, int]:
    """A tiny H.264 clip: the astronaut's face (about 60 px) still on a grey ground."""
    av = pytest.importorskip("av")
    import cv2

    face = cv2.resize(data.astronaut(), (160, 160))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 256, 192, "yuv420p"
        for _ in range(n):
            img = np.full((192, 256, 3), 60, np.uint8)
            img[16:176, 48:208] = face
            for pkt in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)
    return (48 + 57, 16 + 18, 27, 38)  # where her face is: 512 px -> 160 px


def test_video_faces_listed_by_time_and_covered(qtbot, make_window, tmp_path):
    av = pytest.importorskip("av")
    clip = tmp_path / "clip.mp4"
    fx, fy, fw, fh = _face_clip(clip)
    window = people_window(make_window)
    window.open_paths([clip])
    wait_idle(qtbot, window, 1, timeout=60_000)
    entry = window.session.entries[0]
    window.file_list.set_current_row(0)
    assert entry.report.kind == "video"
    (face,) = [b for b in entry.redaction.boxes if b.kind == "face"]
    texts = [row.check.text() for row in window.inspector.people.rows]
    assert texts[0].startswith("Face from 0:00 to 0:0"), texts
    qtbot.waitUntil(lambda: window.inspector.preview.view.pixmap is not None, timeout=20_000)
    qtbot.waitUntil(lambda: face.track is not None, timeout=20_000)  # its boxes in time
    qtbot.waitUntil(lambda: any(b is face for b in window.inspector.preview.view.boxes),
                    timeout=20_000)

    export_with_consent(qtbot, window, expect_warning=False)
    assert entry.result.ok, entry.result.reason
    assert "1 face (solid fill)" in window.inspector.result.covered.text()
    with av.open(str(entry.result.output)) as video:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in video.decode(video=0)]
    assert len(frames) == 8
    for img in frames:
        assert img[fy + 3 : fy + fh - 3, fx + 3 : fx + fw - 3].std() < 6, "a frame shows the face"


def test_a_long_scan_that_reports_progress_outlives_the_cpu_backstop(tmp_path):
    """Processor time is capped per isolated task as a backstop for spinning decoders; a scan
    that keeps reporting progress (a long video) re-arms it and finishes."""
    from share_guard.core.inspect import InspectOptions
    from share_guard.core.sandbox.sandboxed import SandboxRunner
    from share_guard.core.sandbox.worker import Limits
    from tests.gui.busy_analyzer import BusyAnalyzer

    photo = astronaut_jpeg(tmp_path / "a.jpg")
    pool = SandboxRunner(size=1, limits=Limits(cpu_seconds=1, idle_seconds=5))
    try:
        report = pool.inspect(photo, InspectOptions(analyzers=[BusyAnalyzer(2.0)]))
    finally:
        pool.close()
    assert report.error is None, report.error
    assert pool.stats.timeouts == 0 and pool.stats.crashes == 0


def test_everything_outside_a_drawn_box_covered_with_coarse_noise(qtbot, make_window, tmp_path):
    photo = astronaut_jpeg(tmp_path / "astronaut.jpg")
    window = people_window(make_window)
    entry = open_photo(qtbot, window, photo)
    people = window.inspector.people
    face_box(entry).selected = False
    people.add_region(Region(300, 300, 150, 150))
    row = next(r for r in people.rows if r.box.manual)
    row.outside.click()
    assert entry.redaction.outside is row.box
    assert "everything outside your area will be covered." in people.summary.text()
    people.style_box.setCurrentIndex(people.style_box.findData("noisy"))
    assert entry.redaction.style == "noisy"

    export_with_consent(qtbot, window, expect_warning=False)
    assert entry.result.ok, entry.result.reason
    assert "everything outside the chosen area (coarse noise)" in \
        window.inspector.result.covered.text()
    out, original = pixels(entry.result.output), pixels(photo)
    inside = np.abs(out[310:440, 310:440] - original[310:440, 310:440]).mean()
    outside = np.abs(out[:280, :280] - original[:280, :280]).mean()
    assert inside < 8 and outside > 30, (inside, outside)


def test_boxes_show_on_a_photo_selected_after_it_was_checked(qtbot, make_window, tmp_path):
    # Choosing a finished photo in the list cleared its face boxes right after drawing them:
    # the face was listed ("1 face will be covered") but not boxed on the picture.
    first = Image.fromarray(np.full((64, 64, 3), 90, np.uint8))
    first.save(tmp_path / "a_plain.jpg")
    photo = astronaut_jpeg(tmp_path / "b_astronaut.jpg")
    window = people_window(make_window)
    window.open_paths([tmp_path / "a_plain.jpg", photo])
    wait_idle(qtbot, window, 2, timeout=60_000)
    row = next(i for i, e in enumerate(window.session.entries) if e.path == photo)
    window.file_list.set_current_row(1 - row)
    window.file_list.set_current_row(row)
    preview = window.inspector.preview
    qtbot.waitUntil(lambda: preview.view.pixmap is not None, timeout=20_000)
    assert [b.kind for b in preview.view.boxes] == ["face"]
    assert preview.toggle.isVisibleTo(preview)
