"""Small pictures of untrusted files for the desktop app, decoded under the core's limits.

Returns plain data (RGB bytes) so the decode can run in an isolated worker
process (core.isolation) and the GUI process never parses the file itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from share_guard.core.progress import CancelToken

#: most pixels decoded for a video preview frame
VIDEO_PREVIEW_PIXELS = 1280 * 720


@dataclass(frozen=True)
class PreviewPixels:
    """A decoded picture as plain data, so it can come back from a worker process."""

    rgb: bytes
    width: int
    height: int
    full_size: tuple[int, int]
    time: float | None = None
    duration: float = 0.0


def decode_preview(path: Path, kind: str, max_side: int, at: float | None = None,
                   cancel: CancelToken | None = None) -> PreviewPixels | None:
    """Decode a small RGB picture of an image or a video frame (runs in a worker process)."""
    if kind == "image":
        return _image_preview(path, max_side)
    return _video_preview(path, max_side, at, cancel)


def _image_preview(path: Path, max_side: int) -> PreviewPixels:
    from PIL import Image

    from share_guard.core.media.images import load_displayed, open_image

    with open_image(path) as probe:
        stored, heif = probe.size, probe.format == "HEIF"
    shown = None
    if heif:  # a phone's HEIC: scaled while its tiles' planes are made RGB, in one step
        from share_guard.core.media.heic_tiles import preview_image

        shown = preview_image(path, max_side)
    if shown is None:
        # libjpeg decodes at 1/2, 1/4 or 1/8 only while both sides stay at least the draft's:
        # asked for the picture's own shape (not a square: 1600x1600 kept a 4000x3000 photo
        # at full size, a decode and a resize four times larger than needed)
        fit = min(1.0, max_side / max(stored))
        shown = load_displayed(path, "RGB",
                               draft=(math.ceil(stored[0] * fit), math.ceil(stored[1] * fit)))
    # EXIF orientation may have turned the picture a quarter: swap the stored size then.
    turned = (shown.width > shown.height) != (stored[0] > stored[1]) and stored[0] != stored[1]
    full = (stored[1], stored[0]) if turned else stored
    shown.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # (a HEIC's: already)
    return PreviewPixels(shown.tobytes(), shown.width, shown.height, full)


def _video_preview(path: Path, max_side: int, at: float | None,
                   cancel: CancelToken | None) -> PreviewPixels | None:
    from share_guard.core.media import frames

    info = frames.video_info(path)
    duration = float(info.duration or 0.0)
    start = at if at is not None else min(1.0, duration * 0.1)
    pixels = min(VIDEO_PREVIEW_PIXELS, max_side * max_side)
    frame = _first_frame(frames, path, pixels, start, start + 5.0, cancel)
    if frame is None and start > 0:
        frame = _first_frame(frames, path, pixels, 0.0, None, cancel)
    if frame is None:
        return None
    from PIL import Image

    image = Image.fromarray(frame.image)
    if max(image.width, image.height) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return PreviewPixels(image.tobytes(), image.width, image.height,
                         (int(info.width), int(info.height)), float(frame.time), duration)


def _first_frame(frames: Any, path: Path, pixels: int, start: float, end: float | None,
                 cancel: CancelToken | None) -> Any:
    frames_iter = frames.iter_frames(path, fps=None, max_pixels=pixels, start=start, end=end,
                                     cancel=cancel)
    try:
        return next(frames_iter, None)
    finally:
        frames_iter.close()  # release the decoder now, not when collected


