"""Build a labelled face set for ``benchmarks/faces.py DIR`` from material at hand.

    PYTHONPATH=. python benchmarks/face_set.py OUT --faces DLIB_FACES_DIR \\
        [--backgrounds DIR] [--split tune|held-out] [--seed N]

Three parts, written as JPEGs with one ``labels.json``:

* ``real-*``: the labelled photos of dlib's ``examples/faces`` (PASCAL VOC images,
  ``training.xml``/``testing.xml`` boxes), as they are.
* ``crowd-*``: synthetic crowds: real faces cut from those photos (a feathered
  paste, so no hard edge gives them away) placed at 9-40 px (about WIDER FACE's
  "hard" sizes) on real people-free backgrounds, about 1024 px wide; and a few
  12 MP canvases with faces of 14-60 px, where the detector runs reduced.
* ``empty-*``: the people-free backgrounds themselves, labelled ``[]``.

``--split`` keeps tuning and reporting apart: ``tune`` takes faces from dlib's
training.xml and every other background, ``held-out`` the testing.xml faces and
the rest. Backgrounds are scikit-image's people-free samples plus every photo in
``--backgrounds`` (e.g. the shared corpus, minus files listed with ``--people``).
Nothing here is committed or used by the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own dlib checkout, not untrusted input
from pathlib import Path

import numpy as np

CROWD_SMALL = 24  # synthetic crowd images about 1024 px wide
CROWD_LARGE = 4  # 12 MP canvases
PHOTO_EXT = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif"}


def _dlib_faces(folder: Path, split: str) -> tuple[list[tuple[str, list[list[int]]]], list[np.ndarray]]:
    """The labelled photos of one split and square face crops (with 30% context)."""
    from share_guard.core.media.pixels import load_rgb

    xml = folder / ("training.xml" if split == "tune" else "testing.xml")
    photos: list[tuple[str, list[list[int]]]] = []
    crops: list[np.ndarray] = []
    for image in ET.parse(xml).getroot().iter("image"):  # noqa: S314
        name = image.get("file", "")
        boxes = [[int(b.get(k, 0)) for k in ("left", "top", "width", "height")]
                 for b in image.iter("box") if b.get("ignore") != "1"]
        photos.append((name, boxes))
        rgb = load_rgb(folder / name)
        h, w = rgb.shape[:2]
        for x, y, bw, bh in boxes:
            m = int(0.3 * bw)
            if x - m >= 0 and y - m >= 0 and x + bw + m <= w and y + bh + m <= h:
                crops.append(rgb[y - m : y + bh + m, x - m : x + bw + m].copy())
    return photos, crops


def _backgrounds(extra: Path | None, people: set[str], split: str) -> list[tuple[str, np.ndarray]]:
    from skimage import data

    from share_guard.core.media.pixels import load_rgb

    found: list[tuple[str, np.ndarray]] = []
    for name in ("coffee", "rocket", "chelsea", "hubble_deep_field", "immunohistochemistry",
                 "retina", "colorwheel", "motorcycle_left" if hasattr(data, "motorcycle_left") else "coffee"):
        img = np.asarray(getattr(data, name)())
        if img.ndim == 2:
            img = np.dstack([img] * 3)
        found.append((f"skimage-{name}", np.ascontiguousarray(img[..., :3]).astype(np.uint8)))
    if extra is not None:
        for path in sorted(extra.iterdir()):
            if path.suffix.lower() not in PHOTO_EXT or path.name in people:
                continue
            try:
                rgb = load_rgb(path)
            except Exception:  # noqa: BLE001, S112 - skip what cannot be decoded
                continue
            if min(rgb.shape[:2]) >= 300:
                found.append((path.stem, rgb))
    return [bg for i, bg in enumerate(found) if (i % 2 == 0) == (split == "tune")]


def _paste(canvas: np.ndarray, crop: np.ndarray, x: int, y: int, side: int) -> list[int]:
    """Paste ``crop`` (face plus 30% context on each side) so the face is ``side`` px;
    returns the face box. The context fades out, so there is no hard edge."""
    import cv2

    full = int(round(side * 1.6))
    patch = cv2.resize(crop, (full, full), interpolation=cv2.INTER_AREA).astype(np.float32)
    yy, xx = np.mgrid[:full, :full]
    d = np.maximum(np.abs(xx + 0.5 - full / 2), np.abs(yy + 0.5 - full / 2)) / (full / 2)
    alpha = np.clip((1.0 - d) / 0.35, 0, 1)[..., None]
    x0, y0 = x - (full - side) // 2, y - (full - side) // 2
    region = canvas[y0 : y0 + full, x0 : x0 + full].astype(np.float32)
    canvas[y0 : y0 + full, x0 : x0 + full] = (patch * alpha + region * (1 - alpha)).astype(np.uint8)
    return [x, y, side, side]


def _crowd(bg: np.ndarray, crops: list[np.ndarray], size: tuple[int, int], sides: tuple[int, int],
           count: int, rng: np.random.Generator) -> tuple[np.ndarray, list[list[int]]]:
    import cv2

    w, h = size
    canvas = cv2.resize(bg, (w, h), interpolation=cv2.INTER_AREA if bg.shape[1] > w else cv2.INTER_CUBIC)
    boxes: list[list[int]] = []
    for _ in range(count * 20):
        if len(boxes) == count:
            break
        side = int(rng.integers(sides[0], sides[1] + 1))
        pad = side
        x, y = int(rng.integers(pad, w - 2 * pad)), int(rng.integers(pad, h - 2 * pad))
        if any(abs(x - bx) < (side + bs) * 0.8 and abs(y - by) < (side + bs) * 0.8
               for bx, by, bs, _ in boxes):
            continue
        crop = crops[int(rng.integers(len(crops)))]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        boxes.append(_paste(canvas, crop, x, y, side))
    return canvas, boxes


def build(out: Path, faces_dir: Path, backgrounds: Path | None, people: set[str], split: str,
          seed: int) -> dict[str, list[list[int]]]:
    from PIL import Image

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    photos, crops = _dlib_faces(faces_dir, split)
    bgs = _backgrounds(backgrounds, people, split)
    labels: dict[str, list[list[int]]] = {}
    for name, boxes in photos:
        Image.open(faces_dir / name).save(out / f"real-{name}", quality=95)
        labels[f"real-{name}"] = boxes
    for i in range(CROWD_SMALL):
        name, bg = bgs[i % len(bgs)]
        img, boxes = _crowd(bg, crops, (1024, 768), (9, 40), int(rng.integers(15, 40)), rng)
        key = f"crowd-{i:02d}-{name}.jpg"
        Image.fromarray(img).save(out / key, quality=92)
        labels[key] = boxes
    for i in range(CROWD_LARGE):
        name, bg = bgs[(i * 3 + 1) % len(bgs)]
        img, boxes = _crowd(bg, crops, (4000, 3000), (14, 60), int(rng.integers(30, 60)), rng)
        key = f"crowd12mp-{i:02d}-{name}.jpg"
        Image.fromarray(img).save(out / key, quality=92)
        labels[key] = boxes
    for name, bg in bgs:
        key = f"empty-{name}.jpg"
        Image.fromarray(bg).save(out / key, quality=92)
        labels[key] = []
    (out / "labels.json").write_text(json.dumps(labels, indent=1))
    return labels


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--faces", type=Path, required=True, help="dlib's examples/faces folder")
    ap.add_argument("--backgrounds", type=Path, help="folder of people-free photos")
    ap.add_argument("--people", default="", help="comma-separated names in --backgrounds with people")
    ap.add_argument("--split", choices=["tune", "held-out"], default="held-out")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    labels = build(args.out, args.faces, args.backgrounds, set(filter(None, args.people.split(","))),
                   args.split, args.seed)
    faces = sum(len(v) for v in labels.values())
    print(f"{len(labels)} images, {faces} faces, {sum(not v for v in labels.values())} people-free"
          f" -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
