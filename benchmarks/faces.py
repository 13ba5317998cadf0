"""Face detection benchmark: coverage on a labelled folder, speed on synthetic media.

    PYTHONPATH=. python benchmarks/faces.py DIR [--native] [--budgets 2,6]
        [--backend auto|onnxruntime|cv2.dnn|both] [--deface-python PY]
    PYTHONPATH=. python benchmarks/faces.py --synthetic [--redact] [--deface-python PY]

DIR holds images and ``labels.json``: ``{"name.jpg": [[x, y, w, h], ...]}`` (boxes
in displayed pixels; an empty list for a photo with no people);
``benchmarks/face_set.py`` builds one from dlib's labelled faces, synthetic crowds
and people-free photos. Printed per detector, with what the app pre-selects
(``analyzers.face_findings``): face recall (a pre-selected box matches the face),
coverage (share of each face's area under the covers, enlarged as the export
enlarges them: mean, share of faces at least 90% covered, and the mean for faces
of 21 px or less), "has faces" recall, people-free photos flagged, pre-selected
boxes matching no labelled face per image, and ms per megapixel of input (decoding
included, as the app decodes: a large JPEG's reduced look straight at that size).
``--deface-python`` runs deface 1.5 through its own code (``deface_runner.py``) in
a Python that has it (share_guard no longer installs it), boxes >= 0.2 covered
1.3x as deface does.

``--synthetic`` times a 12 MP photo fully checked (metadata, faces, codes, the
takedown hashes: in-process warm, and through the CLI with its isolated worker),
a 1-minute 1080p video scanned for faces (with ``--redact`` also redacted), and
deface on both, all generated under /tmp on first use.

Figures from one run each are in the report of the change that set them (README's
figures section); the machine is shared, so compare rows of one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from share_guard.core.analysis.faces import FaceDetector
from share_guard.core.media.pixels import Picture
from share_guard.core.redaction.regions import ENLARGE, enlarged
from share_guard.core.report import Region

SYNTH = Path("/tmp/share_guard_bench")


def _iou(a: list[float], b: list[float]) -> float:
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _inside(gt: list[float], box: list[float]) -> float:
    """Share of ``gt`` inside ``box``."""
    iw = max(0.0, min(gt[0] + gt[2], box[0] + box[2]) - max(gt[0], box[0]))
    ih = max(0.0, min(gt[1] + gt[3], box[1] + box[3]) - max(gt[1], box[1]))
    return iw * ih / max(gt[2] * gt[3], 1e-9)


def _coverage(gt: list[float], masks: list[Region]) -> float:
    """Share of the face's pixels under the union of redaction boxes."""
    x, y, w, h = (int(round(v)) for v in gt)
    if w <= 0 or h <= 0:
        return 1.0
    cover = np.zeros((h, w), bool)
    for r in masks:
        x0, y0 = max(r.x - x, 0), max(r.y - y, 0)
        x1, y1 = min(r.x + r.w - x, w), min(r.y + r.h - y, h)
        if x1 > x0 and y1 > y0:
            cover[y0:y1, x0:x1] = True
    return float(cover.mean())


SMALL = 21  # faces this tall or smaller count as "small" (WIDER FACE's hard sizes)


def _ours(backend: str, scale: float | None = None, budget: int | None = None):
    """share_guard's detector, with the app's rule for what is pre-selected.

    ``scale=1.0`` is the previous policy (native size, one look); ``budget`` overrides
    both pixel budgets (MP of detector input).
    """
    from share_guard.core.analysis import faces
    from share_guard.core.analysis.analyzers import face_findings

    det = FaceDetector(backend)

    def run(paths: list[Path]) -> list[tuple[list[Region], float, tuple[int, int]]]:
        saved = faces.PIXEL_BUDGET, faces.REDUCED_BUDGET
        if budget:
            faces.PIXEL_BUDGET = faces.REDUCED_BUDGET = budget
        out = []
        try:
            for path in paths:
                t0 = time.perf_counter()
                picture = Picture(path)  # decoded as the app decodes it (a JPEG's draft)
                regions = [b.region() for b in det.detect(picture, scale=scale)]
                dt = time.perf_counter() - t0
                chosen = [r for f in face_findings(regions, "pixels") if f.name == "Faces"
                          for r in f.regions]
                out.append((chosen, dt, picture.size))
        finally:
            faces.PIXEL_BUDGET, faces.REDUCED_BUDGET = saved
        return out

    how = ("native size" if scale == 1.0 else
           f"budget {budget / 1e6:g} MP" if budget else
           f"budget {faces.PIXEL_BUDGET / 1e6:g}/{faces.REDUCED_BUDGET / 1e6:g} MP")
    return f"share_guard ({det.backend}, {how})", run


def _deface(python: str):
    """deface 1.5 run by its own code in another Python (threshold 0.2, native size)."""
    import subprocess

    runner = Path(__file__).with_name("deface_runner.py")

    def run(paths: list[Path]) -> list[tuple[list[Region], float, tuple[int, int]]]:
        done = subprocess.run([python, str(runner), "images", *map(str, paths)],
                              capture_output=True, text=True, check=True)
        data = json.loads(done.stdout)
        out = []
        for path in paths:
            item = data[str(path)]
            regions = [Region(int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0)),
                              score=sc, label="face") for x0, y0, x1, y1, sc in item["boxes"]]
            with Image.open(path) as im:
                size = im.size
            out.append((regions, float(item["seconds"]), size))
        return out

    return "deface 1.5 (CenterFace, native size)", run


def evaluate(folder: Path, name: str, run) -> dict[str, object]:
    """Coverage of labelled faces by the covers the app would apply (1.3x enlarged)."""
    labels: dict[str, list[list[float]]] = json.loads((folder / "labels.json").read_text())
    names = sorted(labels)
    results = run([folder / n for n in names])
    faces = found = images_with = images_hit = empty = empty_flagged = fps = 0
    covers: list[float] = []
    small: list[float] = []
    pixels = seconds = 0.0
    for key, (chosen, dt, (w, h)) in zip(names, results, strict=True):
        truth = labels[key]
        seconds += dt
        pixels += w * h / 1e6
        masks = [enlarged(r, ENLARGE, w, h) for r in chosen]
        if truth:
            images_with += 1
            images_hit += bool(chosen)
        else:
            empty += 1
            empty_flagged += bool(chosen)
        for gt in truth:
            faces += 1
            found += any(_iou(gt, r.as_list()) >= 0.3 or _inside(gt, r.as_list()) >= 0.5
                         for r in chosen)
            c = _coverage(gt, masks)
            covers.append(c)
            if gt[3] <= SMALL:
                small.append(c)
        fps += sum(not any(_iou(gt, r.as_list()) >= 0.3 or _inside(r.as_list(), gt) >= 0.5
                           for gt in truth) for r in chosen)
    return {
        "detector": name,
        "images": len(names),
        "faces": faces,
        "recall": found / max(faces, 1),
        "coverage": float(np.mean(covers)) if covers else 1.0,
        "covered_90": float(np.mean([c >= 0.9 for c in covers])) if covers else 1.0,
        "small_coverage": float(np.mean(small)) if small else 1.0,
        "has_faces_recall": images_hit / max(images_with, 1),
        "people_free_flagged": empty_flagged / max(empty, 1),
        "false_pos_per_image": fps / max(len(names), 1),
        "ms_per_mp": 1000 * seconds / max(pixels, 1e-9),
    }


def _astronaut_canvas(w: int, h: int, seed: int = 0) -> np.ndarray:
    import cv2
    from skimage import data

    rng = np.random.default_rng(seed)
    base = cv2.resize(data.coffee(), (w, h), interpolation=cv2.INTER_LINEAR)
    face = data.astronaut()
    for side in (96, 160, 256, 420, 900):
        x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
        base[y : y + side, x : x + side] = cv2.resize(face, (side, side))
    return base


def synthetic_photo() -> Path:
    from PIL import Image

    path = SYNTH / "photo_12mp.jpg"
    if not path.exists():
        SYNTH.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_astronaut_canvas(4000, 3000)).save(path, "JPEG", quality=90)
    return path


def synthetic_video(seconds: int = 60, fps: int = 30) -> Path:
    import av
    import cv2
    from skimage import data

    path = SYNTH / f"video_1080p_{seconds}s.mp4"
    if path.exists():
        return path
    SYNTH.mkdir(parents=True, exist_ok=True)
    bg = cv2.resize(data.coffee(), (1920, 1080))
    face = cv2.resize(data.astronaut(), (360, 360))
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = 1920, 1080, "yuv420p"
        v.options = {"preset": "ultrafast", "crf": "23"}
        for i in range(seconds * fps):
            img = bg.copy()
            x = int(100 + (1400 * (i / (seconds * fps))))
            y = int(300 + 200 * np.sin(i / 40))
            img[y : y + 360, x : x + 360] = face
            for pkt in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in v.encode(None):
            out.mux(pkt)
    tmp.rename(path)
    return path


def _cli_check(photo: Path, runs: int = 3) -> float:
    """Median wall time of ``share-guard inspect --faces --codes`` (isolated worker, a
    takedown list present so the photo is hashed too), from a fresh process."""
    import os
    import subprocess
    import tempfile

    from share_guard.core.analysis.detect_cache import SESSION_ENV

    # each call a session of its own, as a person's: with this process's session key the
    # calls would find the faces the in-process check stored and skip the search
    env = {k: v for k, v in os.environ.items() if k != SESSION_ENV}
    with tempfile.TemporaryDirectory() as data:
        cli = [sys.executable, "-m", "share_guard", "--data-dir", data]
        other = Path(data) / "other.png"
        Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(other)
        subprocess.run([*cli, "takedown", "add", str(other), "--label", "x"], check=True,
                       capture_output=True, env=env)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            done = subprocess.run([*cli, "inspect", "--faces", "--codes", str(photo)],
                                  capture_output=True, text=True, env=env)
            times.append(time.perf_counter() - t0)
            if "Faces" not in done.stdout:
                raise RuntimeError(f"the check found no faces: {done.stdout}{done.stderr}")
    return sorted(times)[len(times) // 2]


def _inprocess_check(photo: Path) -> tuple[float, float]:
    """Wall and processor seconds of inspect() with faces, codes and hashing, warm."""
    from share_guard.core.analysis.analyzers import CodeAnalyzer, FaceAnalyzer
    from share_guard.core.hashing.image import hash_image
    from share_guard.core.inspect import InspectOptions, inspect

    opts = InspectOptions(analyzers=[FaceAnalyzer(use_cache=False), CodeAnalyzer()])
    inspect(photo, opts)
    w0, c0 = time.perf_counter(), time.process_time()
    inspect(photo, opts)
    hash_image(photo)
    return time.perf_counter() - w0, time.process_time() - c0


def run_synthetic(redact: bool, backend: str, deface_python: str | None = None) -> None:
    import subprocess

    from share_guard.core.analysis.analyzers import video_faces
    from share_guard.core.analysis.faces import get_detector

    get_detector(backend)  # model load is not part of a scan
    photo = synthetic_photo()
    wall, cpu = _inprocess_check(photo)
    print(f"12 MP photo, inspect() with faces+codes+hashes, warm: {wall:.2f} s wall, "
          f"{cpu:.2f} s processor")
    print(f"12 MP photo, `share-guard inspect --faces --codes` (isolated, list present): "
          f"{_cli_check(photo):.2f} s wall", flush=True)
    video = synthetic_video()
    w0, c0 = time.perf_counter(), time.process_time()
    tracks = video_faces(video, use_cache=False, backend=backend)
    print(f"1-minute 1080p video: {time.perf_counter() - w0:.1f} s wall, "
          f"{time.process_time() - c0:.1f} s processor, {len(tracks)} tracks", flush=True)
    if redact:
        from share_guard.core.redaction.video import redact_video_file

        out = SYNTH / "redacted.mp4"
        t0 = time.perf_counter()
        res = redact_video_file(video, tracks, "solid", out)
        print(f"1-minute 1080p video: {time.perf_counter() - t0:.1f} s redaction "
              f"({res.redacted_frames}/{res.frames} frames changed)")
    if deface_python:
        runner = str(Path(__file__).with_name("deface_runner.py"))
        done = subprocess.run([deface_python, runner, "images", str(photo)], capture_output=True,
                              text=True, check=True)
        print(f"deface, 12 MP photo (detection only): {json.loads(done.stdout)[str(photo)]['seconds']:.2f} s")
        frames = 300
        done = subprocess.run([deface_python, runner, "video", str(video), str(frames)],
                              capture_output=True, text=True, check=True)
        got = json.loads(done.stdout)
        print(f"deface, 1-minute 1080p video (every frame; {got['frames']} timed): "
              f"{got['seconds'] / got['frames'] * 1800:.0f} s per minute")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", type=Path, help="folder with images and labels.json")
    ap.add_argument("--backend", default="auto",
                    choices=["auto", "onnxruntime", "cv2.dnn", "both"])
    ap.add_argument("--native", action="store_true",
                    help="also share_guard at native size (the policy before the pixel budget)")
    ap.add_argument("--budgets", default="", help="also these pixel budgets (MP, comma-separated)")
    ap.add_argument("--deface-python", help="a Python with deface installed, to compare with it")
    ap.add_argument("--synthetic", action="store_true", help="time 12 MP photo + 1080p video")
    ap.add_argument("--redact", action="store_true", help="with --synthetic: time redaction")
    args = ap.parse_args(argv)
    if args.dir is None and not args.synthetic:
        ap.error("give a labelled folder or --synthetic")
    backends = ["onnxruntime", "cv2.dnn"] if args.backend == "both" else [args.backend]
    if args.dir is not None:
        detectors = [_ours(b) for b in backends]
        if args.native:
            detectors.append(_ours(backends[0], scale=1.0))
        for mp in filter(None, args.budgets.split(",")):
            detectors.append(_ours(backends[0], budget=int(float(mp) * 1e6)))
        if args.deface_python:
            detectors.append(_deface(args.deface_python))
        cols = ["detector", "images", "faces", "recall", "coverage", "covered_90",
                "small_coverage", "has_faces_recall", "people_free_flagged",
                "false_pos_per_image", "ms_per_mp"]
        print(" | ".join(cols))
        for name, run in detectors:
            row = evaluate(args.dir, name, run)
            print(" | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c])
                             for c in cols), flush=True)
    if args.synthetic:
        for b in backends:
            print(f"backend {b}:")
            run_synthetic(args.redact, b, args.deface_python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
