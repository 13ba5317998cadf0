"""Geometry of a face scan: the tiles a look runs in, heatmap peaks to boxes, merging.

Kept apart from :mod:`faces` (the detector's policy: scales, looks, refinement); plain
numpy, no model.
"""

from __future__ import annotations

import math

import numpy as np

#: a look of at most this many pixels runs whole, in one pass: 40% fewer detector pixels
#: than 2x2 overlapping tiles, and no seams. onnxruntime's memory grows with its input
#: (~0.2 GB per MP of input: a 3 MP pass peaks near 0.65 GB), so larger looks (24 MP
#: photos and up) keep to tiles, which holds a 100 MP photo inside a worker's 2 GiB.
WHOLE_PIXELS = 3_200_000
TILE_MAX = 1280
TILE_MIN = 1024
TILE_OVERLAP = 192
NMS_IOU = 0.3
CONTAINED = 0.6  # drop a box when this share of it lies inside a higher-scoring one
STRIDE = 4


def merge_areas(areas: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Rectangles (x0, y0, x1, y1) with overlapping ones replaced by their union."""
    out = [list(a) for a in areas if a[2] > a[0] and a[3] > a[1]]
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    out[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return [(a[0], a[1], a[2], a[3]) for a in out]


def tile_grid(w: int, h: int, tile_max: int = TILE_MAX) -> list[tuple[int, int, int, int]]:
    """Tiles (x0, y0, x1, y1) covering the image with >= TILE_OVERLAP px overlap: the whole
    image when it has at most WHOLE_PIXELS or fits ``tile_max`` both ways."""
    if w * h <= WHOLE_PIXELS or (w <= tile_max and h <= tile_max):
        return [(0, 0, w, h)]
    return [(x0, y0, x1, y1) for y0, y1 in _spans(h) for x0, x1 in _spans(w)]


def _spans(length: int) -> list[tuple[int, int]]:
    if length <= TILE_MAX:
        return [(0, length)]
    n = math.ceil((length - TILE_OVERLAP) / (TILE_MAX - TILE_OVERLAP))
    size = max(TILE_MIN, -(-(length + (n - 1) * TILE_OVERLAP) // (n * 32)) * 32)
    size = min(size, length)
    step = (length - size) / (n - 1)
    starts = [round(i * step) for i in range(n)]
    return [(s, min(length, s + size)) for s in starts]


def _max3x3(a: np.ndarray) -> np.ndarray:
    """Each cell's maximum over its 3x3 neighbourhood (a grey dilation; edges replicate)."""
    p = np.pad(a, 1, mode="edge")
    rows = np.maximum(np.maximum(p[:-2], p[1:-1]), p[2:])
    out: np.ndarray = np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])
    return out


def decode(
    heat: np.ndarray, scale: np.ndarray, offset: np.ndarray, min_score: float
) -> np.ndarray:
    """Heatmap peaks -> Nx5 float32 boxes (x0, y0, x1, y1, score) in input pixels."""
    hm = np.ascontiguousarray(heat[0, 0], dtype=np.float32)
    peaks = (hm >= min_score) & (hm >= _max3x3(hm))
    ys, xs = np.nonzero(peaks)
    if len(ys) == 0:
        return np.zeros((0, 5), np.float32)
    bh = np.exp(scale[0, 0, ys, xs]) * STRIDE
    bw = np.exp(scale[0, 1, ys, xs]) * STRIDE
    cy = (ys + offset[0, 0, ys, xs] + 0.5) * STRIDE
    cx = (xs + offset[0, 1, ys, xs] + 0.5) * STRIDE
    return np.stack(
        [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, hm[ys, xs]], axis=1
    ).astype(np.float32)


def merge_boxes(
    boxes: np.ndarray, iou: float = NMS_IOU, contained: float = CONTAINED
) -> np.ndarray:
    """Greedy NMS that also drops boxes lying mostly inside a higher-scoring kept box."""
    if len(boxes) == 0:
        return boxes
    boxes = boxes[np.argsort(-boxes[:, 4], kind="stable")]
    area = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    alive = area > 0
    keep: list[int] = []
    for i in range(len(boxes)):
        if not alive[i]:
            continue
        keep.append(i)
        rest = np.nonzero(alive[i + 1 :])[0] + i + 1
        if len(rest) == 0:
            break
        iw = np.minimum(boxes[rest, 2], boxes[i, 2]) - np.maximum(boxes[rest, 0], boxes[i, 0])
        ih = np.minimum(boxes[rest, 3], boxes[i, 3]) - np.maximum(boxes[rest, 1], boxes[i, 1])
        inter = np.maximum(iw, 0) * np.maximum(ih, 0)
        overlap = inter / (area[rest] + area[i] - inter)
        inside = inter / area[rest]
        alive[rest[(overlap >= iou) | (inside >= contained)]] = False
    return boxes[keep]
