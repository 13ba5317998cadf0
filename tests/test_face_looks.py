"""How the face detector looks at a picture: passes per look, padding, a large JPEG's
reduced look decoded at that size (:class:`share_guard.core.media.pixels.Picture`)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from share_guard.core.analysis import faces
from share_guard.core.media import pixels
from share_guard.core.media.pixels import Picture, load_rgb, resized


def _canvas(w: int, h: int, faces_at: list[tuple[int, int, int]]) -> np.ndarray:
    base = np.asarray(Image.fromarray(data.coffee()).resize((w, h), Image.Resampling.BILINEAR))
    out = base.copy()
    for x, y, side in faces_at:
        face = Image.fromarray(data.astronaut()).resize((side, side), Image.Resampling.BILINEAR)
        out[y : y + side, x : x + side] = np.asarray(face)
    return out


def _jpeg(rgb: np.ndarray, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


class _Spy:
    """Counts the model's runs and keeps the inputs' shapes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, det: faces.FaceDetector) -> None:
        self.shapes: list[tuple[int, ...]] = []
        self.blobs: list[np.ndarray] = []
        real = det._backend.run

        def run(blob: np.ndarray):  # type: ignore[no-untyped-def]
            self.shapes.append(blob.shape)
            self.blobs.append(blob.copy())
            return real(blob)

        monkeypatch.setattr(det._backend, "run", run)


def test_small_picture_is_looked_at_enlarged_whole_and_at_native_size(monkeypatch):
    # 640x480 is enlarged 3x for small faces: one pass over the whole enlarged picture
    # (no tiles, no global passes: an enlarged look keeps only small faces) and one at
    # native size for the larger ones
    det = faces.FaceDetector("onnxruntime", threads=1)
    spy = _Spy(monkeypatch, det)
    rgb = _canvas(640, 480, [(300, 100, 300)])
    boxes = det.detect(rgb)
    assert spy.shapes == [(1, 3, 1440, 1920), (1, 3, 480, 640)]
    assert any(b.score >= 0.5 for b in boxes)


def test_a_whole_look_is_padded_with_its_edge_pixels(monkeypatch):
    det = faces.FaceDetector("onnxruntime", threads=1)
    spy = _Spy(monkeypatch, det)
    rgb = np.random.default_rng(1).integers(0, 255, (100, 130, 3), dtype=np.uint8)
    det.detect(rgb, scale=1.0)
    (blob,) = spy.blobs
    assert blob.shape == (1, 3, 128, 160)
    chw = rgb.transpose(2, 0, 1).astype(np.float32)
    assert np.array_equal(blob[0, :, :100, :130], chw)
    assert np.array_equal(blob[0, :, :100, 130:], np.repeat(chw[:, :, -1:], 30, axis=2))
    assert np.array_equal(blob[0, :, 100:, :], np.repeat(blob[0, :, 99:100, :], 28, axis=1))


def test_a_12_mp_photo_is_looked_at_in_one_reduced_pass(monkeypatch):
    det = faces.FaceDetector("onnxruntime", threads=1)
    spy = _Spy(monkeypatch, det)
    det.detect(_canvas(4000, 3000, [(1000, 800, 900)]))
    # half size, whole (padded to 32), then the large-face pass; no small face: no refinement
    assert spy.shapes == [(1, 3, 1504, 2016), (1, 3, 480, 640)]


@pytest.mark.parametrize("orientation", [1, 6])
def test_large_jpeg_reduced_look_is_decoded_at_that_size(tmp_path, monkeypatch, orientation):
    upright = _canvas(4000, 3000, [(1000, 800, 900)])
    stored = upright if orientation == 1 else np.ascontiguousarray(np.rot90(upright, k=1))
    path = tmp_path / "big.jpg"
    path.write_bytes(_jpeg(stored, orientation))
    picture = Picture(path)
    assert picture.size == (4000, 3000)
    full = load_rgb(path)
    monkeypatch.setattr(pixels, "load_rgb", lambda *a: pytest.fail("decoded at full size"))
    half = picture.reduced(0.5)
    assert half.shape == (1500, 2000, 3)
    # libjpeg's scaled decode is a proper reduction: close to averaging the full decode
    assert np.abs(half.astype(int) - resized(full, 0.5).astype(int)).mean() < 3
    quarter = picture.reduced(0.3)  # a 1/2 draft reduced the rest of the way
    assert quarter.shape == (900, 1200, 3)
    # the same look whether or not another check decoded the full size first
    monkeypatch.setattr(pixels, "load_rgb", lambda *a: full)
    picture.full()
    assert np.array_equal(picture.reduced(0.5), half)


def test_faces_in_a_picture_match_faces_in_its_pixels_without_a_full_decode(tmp_path,
                                                                             monkeypatch):
    path = tmp_path / "big.jpg"
    path.write_bytes(_jpeg(_canvas(4000, 3000, [(400, 300, 700), (2600, 1500, 1100)])))
    det = faces.get_detector()
    from_pixels = [b for b in det.detect(load_rgb(path)) if b.score >= 0.5]
    monkeypatch.setattr(pixels, "load_rgb", lambda *a: pytest.fail("decoded at full size"))
    from_picture = [b for b in det.detect(Picture(path)) if b.score >= 0.5]
    assert len(from_picture) == len(from_pixels) == 2
    for a, b in zip(sorted(from_picture, key=lambda b: b.x0),
                    sorted(from_pixels, key=lambda b: b.x0), strict=True):
        iw = min(a.x1, b.x1) - max(a.x0, b.x0)
        ih = min(a.y1, b.y1) - max(a.y0, b.y0)
        union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - iw * ih
        assert iw * ih / union > 0.8


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_pictures_area_is_that_part_of_its_full_decode_without_the_whole_array(
        tmp_path, monkeypatch, orientation):
    upright = _canvas(1200, 900, [(300, 200, 300)])
    stored = upright if orientation == 1 else np.ascontiguousarray(np.rot90(upright, k=1))
    path = tmp_path / "p.jpg"
    path.write_bytes(_jpeg(stored, orientation))
    full = load_rgb(path)
    assert full.shape == (900, 1200, 3)
    picture = Picture(path)
    monkeypatch.setattr(pixels, "load_rgb", lambda *a: pytest.fail("a whole array was made"))
    assert np.array_equal(picture.area(100, 50, 700, 450), full[50:450, 100:700])
    assert np.array_equal(picture.area(1000, 800, 1200, 900), full[800:900, 1000:1200])
    # the full array afterwards is the same pixels (made from the decode already at hand)
    assert np.array_equal(picture.full(), full)
    assert np.array_equal(picture.area(0, 0, 10, 10), full[:10, :10])


def test_picture_of_a_png_or_a_small_jpeg_reduces_its_full_decode(tmp_path):
    rgb = _canvas(900, 600, [])
    png = tmp_path / "p.png"
    Image.fromarray(rgb).save(png)
    picture = Picture(png)
    assert picture.size == (900, 600)
    assert np.array_equal(picture.reduced(0.5), resized(rgb, 0.5))
    assert picture.full() is picture.full()  # decoded once
    jpg = tmp_path / "p.jpg"
    jpg.write_bytes(_jpeg(rgb))
    picture = Picture(jpg)
    assert np.array_equal(picture.reduced(0.7), resized(load_rgb(jpg), 0.7))


def test_libheif_is_loaded_only_for_a_heif_picture(tmp_path):
    # a check of JPEGs never pays for loading pillow-heif; a HEIC still opens afterwards
    import subprocess
    import sys

    import pillow_heif

    jpg, heic = tmp_path / "a.jpg", tmp_path / "b.heic"
    jpg.write_bytes(_jpeg(_canvas(64, 48, [])))
    pillow_heif.from_pillow(Image.fromarray(_canvas(64, 48, []))).save(heic, quality=90)
    code = (
        "import sys\n"
        "from share_guard.core.media.pixels import Picture, load_rgb\n"
        f"print(load_rgb({str(jpg)!r}).shape, Picture({str(jpg)!r}).size)\n"
        "print('pillow_heif' in sys.modules)\n"
        f"print(load_rgb({str(heic)!r}).shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["(48, 64, 3) (64, 48)", "False", "(48, 64, 3)"]


def test_inspect_warms_analyzers_up_once_the_kind_is_known(tmp_path):
    from share_guard.core.inspect import InspectOptions, inspect

    class Probe:
        name = "probe"

        def __init__(self) -> None:
            self.kinds: list[str] = []

        def warm_up(self, kind: str) -> None:
            self.kinds.append(kind)

        def analyze(self, src, report, progress, cancel):  # type: ignore[no-untyped-def]
            return []

    path = tmp_path / "a.jpg"
    path.write_bytes(_jpeg(_canvas(64, 48, [])))
    probe = Probe()
    report = inspect(path, InspectOptions(analyzers=[probe]))
    assert report.error is None and probe.kinds == ["image"]


def test_a_scan_waits_for_the_detector_being_warmed_up(monkeypatch):
    import threading
    import time

    built: list[str] = []

    class Slow:
        def __init__(self, backend: str, threads: int | None) -> None:
            time.sleep(0.2)
            built.append(threading.current_thread().name)

    monkeypatch.setattr(faces, "FaceDetector", Slow)
    try:
        faces.warm_up("slow-test")
        time.sleep(0.05)
        det = faces.get_detector("slow-test")
        assert built == ["face-model"]  # built once, by the warm-up thread
        assert faces.get_detector("slow-test") is det
    finally:
        faces._detector.cache_clear()


@pytest.mark.parametrize("best, around", [(0.45, faces.REFINE_AROUND),
                                          (0.8, faces.REFINE_AROUND_CROWD)])
def test_refinement_reaches_further_only_around_a_crowd_with_a_sure_face(monkeypatch, best,
                                                                         around):
    # three small faces found by a half-size look: a crowd only if one of them is sure
    # (textures give several boxes of 0.3-0.45)
    looked: list[tuple[int, int]] = []

    def look(self, rgb, s, *args, **kwargs):  # type: ignore[no-untyped-def]
        looked.append(rgb.shape[:2])
        return np.zeros((0, 5), np.float32)

    monkeypatch.setattr(faces.FaceDetector, "_detect_scaled", look)
    boxes = np.array([[1000, 1000, 1030, 1040, best], [2000, 1000, 2030, 1040, 0.35],
                      [3000, 2000, 3030, 2040, 0.4]], np.float32)
    picture = faces.ArrayPicture(np.zeros((3000, 4000, 3), np.uint8))
    faces.get_detector()._refine(picture, boxes, 0.5, 0.1, None, None)
    side = 40 + 2 * max(around * 40, 256)  # each face's window, none merged
    assert looked[0] == (side, 30 + 2 * max(around * 40, 256))
    assert len(looked) == 3
