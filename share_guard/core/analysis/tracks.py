"""Faces in a video: detect on sampled frames, link detections into tracks.

Between two samples a face's box is interpolated (and grown by part of the
motion); before its first and after its last sample it is held for one sample
interval, so no frame between samples is left unredacted when a face appears,
moves or leaves. Boxes are in pixels of the video as displayed (rotation applied).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from share_guard.core.analysis.faces import (
    FACE_THRESHOLD,
    POSSIBLE_THRESHOLD,
    get_detector,
    merge_areas,
    merge_boxes,
    work_scale,
)
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Region

SAMPLE_FPS = 2.0  # frames looked at per second of video (tracks carry boxes between)
#: pixels the detector looks at per sampled frame: a 1080p frame is reduced to ~1333x750
#: (faces of ~30 px and up still score well), a 640x360 one enlarged 1.7x
VIDEO_PIXEL_BUDGET = 1_000_000
VIDEO_TILE_MAX = 2048  # a frame runs in one pass, never in tiles
#: every FULL_EVERY-th sample looks at the whole frame; the samples between look only
#: around the faces of the sample before (tracking them at a fraction of the cost), so a
#: face can first be seen only on a whole-frame sample and tracks are held that long
FULL_EVERY = 2
TRACK_MARGIN = 1.5  # a tracked face is looked for this many box sizes around its last box
#: when the areas around faces cover more than this share of the frame, look at all of it
CROP_SHARE = 0.5
MAX_GAP = 2  # samples a track may miss (detector flicker) and still continue
MOTION_PAD = 0.5  # share of the motion between two samples added around the box
HOLD_GROW = 0.25  # a held box grows by up to this share of its size on each side

BoxT = tuple[float, float, float, float]


@dataclass(frozen=True)
class Track:
    """One face over time: boxes (x0, y0, x1, y1) at sampled times."""

    times: tuple[float, ...]
    boxes: tuple[BoxT, ...]
    score: float  # best score along the track
    hold: float  # seconds the box is held before the first / after the last sample
    label: str = "face"

    @property
    def start(self) -> float:
        return max(0.0, self.times[0] - self.hold)

    @property
    def end(self) -> float:
        return self.times[-1] + self.hold

    def box_at(self, t: float) -> BoxT | None:
        """The box covering the face at time ``t`` (None when the track is not active)."""
        if t < self.times[0] - self.hold or t > self.times[-1] + self.hold:
            return None
        if t <= self.times[0]:
            return self._held(0, 1, self.times[0] - t)
        if t >= self.times[-1]:
            return self._held(-1, -2, t - self.times[-1])
        i = _bisect(self.times, t)
        t0, t1 = self.times[i - 1], self.times[i]
        a, b = self.boxes[i - 1], self.boxes[i]
        f = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
        box = [a[k] + (b[k] - a[k]) * f for k in range(4)]
        dx = abs((b[0] + b[2]) - (a[0] + a[2])) / 2 * MOTION_PAD
        dy = abs((b[1] + b[3]) - (a[1] + a[3])) / 2 * MOTION_PAD
        return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)

    def _held(self, end: int, inner: int, dt: float) -> BoxT:
        """The end box held ``dt`` seconds beyond the track: carried on along its last
        motion (union with where it was) and grown a little, since the face may keep moving."""
        x0, y0, x1, y1 = self.boxes[end]
        grow = HOLD_GROW * max(x1 - x0, y1 - y0) * min(1.0, dt / self.hold if self.hold else 0)
        if len(self.times) >= 2 and self.times[end] != self.times[inner]:
            span = self.times[end] - self.times[inner]
            b = self.boxes[inner]
            vx = ((x0 + x1) - (b[0] + b[2])) / 2 / span
            vy = ((y0 + y1) - (b[1] + b[3])) / 2 / span
            way = 1.0 if end == -1 else -1.0  # forward past the end, backward before the start
            sx, sy = vx * dt * way, vy * dt * way
        else:
            sx = sy = 0.0
        return (
            min(x0, x0 + sx) - grow, min(y0, y0 + sy) - grow,
            max(x1, x1 + sx) + grow, max(y1, y1 + sy) + grow,
        )

    def region(self) -> Region:
        """The area the face moves through, with its time range (for reports): the sampled
        boxes and the boxes held before the first and after the last sample."""
        boxes = list(self.boxes)
        for t in (self.start, self.end):
            held = self.box_at(t)
            if held is not None:
                boxes.append(held)
        x0 = max(0.0, min(b[0] for b in boxes))
        y0 = max(0.0, min(b[1] for b in boxes))
        x1 = max(b[2] for b in boxes)
        y1 = max(b[3] for b in boxes)
        x, y = int(math.floor(x0)), int(math.floor(y0))
        return Region(
            x, y, max(1, math.ceil(x1) - x), max(1, math.ceil(y1) - y),
            score=self.score, label=self.label, t_start=self.start, t_end=self.end,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "times": [round(t, 4) for t in self.times],
            "boxes": [[round(v, 1) for v in b] for b in self.boxes],
            "score": round(self.score, 4),
            "hold": round(self.hold, 4),
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Track:
        times = tuple(float(t) for t in data["times"])
        boxes = tuple(tuple(float(v) for v in b) for b in data["boxes"])
        if not times or len(times) != len(boxes) or any(len(b) != 4 for b in boxes):
            raise ValueError("malformed track")
        return cls(times, boxes, float(data["score"]), float(data["hold"]),  # type: ignore[arg-type]
                   str(data.get("label", "face")))


def _bisect(times: Sequence[float], t: float) -> int:
    lo, hi = 0, len(times)
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _match(a: BoxT, b: BoxT) -> float:
    """How well two boxes in neighbouring samples look like the same face (0 = not)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(iw, 0.0) * max(ih, 0.0)
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    iou = inter / (area_a + area_b - inter) if inter > 0 else 0.0
    size = math.sqrt(max(area_a, 1e-6)) + math.sqrt(max(area_b, 1e-6))
    dist = math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2)
    near = max(0.0, 1.0 - dist / size)  # centres closer than the mean face size
    ratio = min(area_a, area_b) / max(area_a, area_b, 1e-6)
    return max(iou, near * 0.9) if ratio > 0.25 else 0.0


def link_tracks(
    samples: Iterable[tuple[float, Sequence[tuple[BoxT, float]]]], interval: float
) -> list[Track]:
    """Greedily link (time, [(box, score)...]) samples into tracks."""
    open_: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for k, (t, dets) in enumerate(samples):
        pairs = sorted(
            ((_match(tr["boxes"][-1], box), ti, di)
             for ti, tr in enumerate(open_) for di, (box, _) in enumerate(dets)),
            reverse=True,
        )
        used_t: set[int] = set()
        used_d: set[int] = set()
        for m, ti, di in pairs:
            if m <= 0.1 or ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            tr = open_[ti]
            tr["times"].append(t)
            tr["boxes"].append(dets[di][0])
            tr["score"] = max(tr["score"], dets[di][1])
            tr["last"] = k
        for di, (box, score) in enumerate(dets):
            if di not in used_d:
                open_.append({"times": [t], "boxes": [box], "score": score, "last": k})
        still: list[dict[str, Any]] = []
        for tr in open_:
            (still if k - tr["last"] <= MAX_GAP else done).append(tr)
        open_ = still
    tracks = []
    for tr in done + open_:
        label = "face" if tr["score"] >= FACE_THRESHOLD else "possible face"
        tracks.append(Track(tuple(tr["times"]), tuple(tr["boxes"]), tr["score"], interval, label))
    tracks.sort(key=lambda tr: (tr.times[0], -tr.score))
    return tracks


def detect_video_faces(
    path: str | os.PathLike[str],
    *,
    sample_fps: float = SAMPLE_FPS,
    min_score: float = POSSIBLE_THRESHOLD,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    backend: str = "auto",
) -> list[Track]:
    """Face tracks in the video at ``path``, sampled about ``sample_fps`` times a second."""
    from share_guard.core.media.frames import iter_frames, video_info

    info = video_info(path)
    detector = get_detector(backend)
    scale = work_scale(info.width, info.height, VIDEO_PIXEL_BUDGET)
    # frames are converted straight to the size the detector looks at when that is smaller
    # (one scaled conversion instead of a full-size one and a resize)
    max_pixels = max(1, int(info.width * info.height * min(scale, 1.0) ** 2))
    samples: list[tuple[float, list[tuple[BoxT, float]]]] = []
    full_times: list[float] = []
    last_time = 0.0
    for k, frame in enumerate(iter_frames(path, fps=sample_fps, max_pixels=max_pixels,
                                          cancel=cancel)):
        h, w = frame.image.shape[:2]
        sx, sy = info.width / w, info.height / h  # frames may come downscaled
        areas = None
        if k % FULL_EVERY and samples:
            areas = _around([(b[0] / sx, b[1] / sy, b[2] / sx, b[3] / sy)
                             for b, _ in samples[-1][1]], w, h)
        if areas is None:
            full_times.append(frame.time)
            areas = [(0, 0, w, h)]
        found: list[np.ndarray] = []
        for x0, y0, x1, y1 in areas:
            boxes = detector.detect(frame.image[y0:y1, x0:x1], min_score=min_score,
                                    cancel=cancel, tile_max=VIDEO_TILE_MAX, scale=max(1.0, scale))
            found.append(np.array([[b.x0 + x0, b.y0 + y0, b.x1 + x0, b.y1 + y0, b.score]
                                   for b in boxes], np.float32).reshape(-1, 5))
        kept = merge_boxes(np.concatenate(found)) if found else np.zeros((0, 5), np.float32)
        samples.append((frame.time, [((float(b[0]) * sx, float(b[1]) * sy, float(b[2]) * sx,
                                       float(b[3]) * sy), float(b[4])) for b in kept]))
        last_time = frame.time
        if info.duration > 0:
            progress(min(1.0, last_time / info.duration), "looking for faces")
    if len(full_times) >= 2:
        interval = max(b - a for a, b in zip(full_times, full_times[1:], strict=False))
    else:
        interval = FULL_EVERY / sample_fps
    # a face may appear right after one whole-frame sample and leave right before the next:
    # hold each track for a whole interval (plus a frame) on both sides
    frame_time = 1.0 / info.fps if info.fps > 0 else 0.05
    return link_tracks(samples, interval + frame_time)


def _around(boxes: Sequence[BoxT], w: int, h: int) -> list[tuple[int, int, int, int]] | None:
    """Areas (x0, y0, x1, y1) to look at around ``boxes`` in a ``w`` x ``h`` frame; overlapping
    areas merged. None when that is most of the frame (then the whole frame is cheaper)."""
    areas: list[list[int]] = []
    for x0, y0, x1, y1 in boxes:
        m = TRACK_MARGIN * max(x1 - x0, y1 - y0, 16.0)
        areas.append([max(0, int(x0 - m)), max(0, int(y0 - m)),
                      min(w, int(math.ceil(x1 + m))), min(h, int(math.ceil(y1 + m)))])
    merged = merge_areas([(a[0], a[1], a[2], a[3]) for a in areas])
    if sum((a[2] - a[0]) * (a[3] - a[1]) for a in merged) > CROP_SHARE * w * h:
        return None
    return merged


def tracks_to_regions(tracks: Sequence[Track]) -> list[Region]:
    return [tr.region() for tr in tracks]
