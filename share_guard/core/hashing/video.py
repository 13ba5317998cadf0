"""vPDQ: a video as the PDQ hashes of its frames.

Follows ThreatExchange vPDQ: one ``frame,quality,hash,timestamp`` record per
frame. A list entry is hashed densely (every decoded frame, consecutive
near-duplicates folded); a file being checked is sampled at 1-2 frames per
second, each frame also hashed with uniform borders trimmed (letterboxing).
A video matches an entry when at least 80% of its usable query frames
(quality >= 50) have an entry frame within distance 31.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from share_guard.core.errors import LimitExceeded
from share_guard.core.hashing.values import MalformedHash, PDQHash, parse_hex
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn, no_progress

#: Frames sampled per second when checking a file.
CHECK_FPS = 2.0
#: Fold a frame into the previous stored one when this close (static scenes).
DEDUPE_DISTANCE = 2
#: Most frames stored for one video entry.
MAX_FRAMES = 20_000
#: Decode frames at most this large before fitting to the working size.
DECODE_PIXELS = 512 * 512


@dataclass(frozen=True)
class FrameHash:
    frame: int
    quality: int
    pdq: PDQHash
    time: float
    #: PDQ of the frame with uniform borders trimmed (queries only)
    trimmed: PDQHash | None = None

    def line(self) -> str:
        """The vPDQ hash-file line: ``frame,quality,hash,timestamp``."""
        return f"{self.frame},{self.quality},{self.pdq.hex},{self.time:.3f}"


def hash_video(
    path: str | os.PathLike[str],
    *,
    dense: bool,
    cancel: CancelToken | None = None,
    progress: ProgressFn = no_progress,
) -> list[FrameHash]:
    """Per-frame PDQ of a video: dense (adding to a list) or sampled with trimming (checking)."""
    # numpy and the hashing itself load here, not when the takedown store is opened
    from share_guard.core.hashing.image import fit, pdq_hash, trim_borders
    from share_guard.core.media.frames import iter_frames, video_info

    info = video_info(path)
    fps = None if dense else CHECK_FPS
    out: list[FrameHash] = []
    for frame in iter_frames(path, fps=fps, max_pixels=DECODE_PIXELS, cancel=cancel):
        rgb = fit(frame.image)
        pdq = pdq_hash(rgb)
        if info.duration > 0:
            progress(min(frame.time / info.duration, 1.0), "hashing video frames")
        if pdq is None:
            continue
        if dense:
            if out and out[-1].pdq - pdq <= DEDUPE_DISTANCE:
                continue
            if len(out) >= MAX_FRAMES:
                raise LimitExceeded(message(N_("video has more than {MAX_FRAMES} distinct frames to store"),
                                            MAX_FRAMES=MAX_FRAMES))
            out.append(FrameHash(frame.index, pdq.quality, pdq, frame.time))
        else:
            cut = trim_borders(rgb)
            trimmed = pdq_hash(cut) if cut is not None else None
            out.append(FrameHash(frame.index, pdq.quality, pdq, frame.time, trimmed))
    return out


def format_vpdq(frames: Iterable[FrameHash]) -> str:
    return "".join(f.line() + "\n" for f in frames)


def parse_vpdq(text: str, *, limit: int = MAX_FRAMES) -> list[FrameHash]:
    """Parse a vPDQ hash file (``frame,quality,hash,timestamp`` per line)."""
    frames: list[FrameHash] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(",")
        if len(parts) != 4:
            raise MalformedHash(message(N_("vPDQ line {n}: expected frame,quality,hash,timestamp"), n=n))
        try:
            frame, quality, ts = int(parts[0]), int(parts[1]), float(parts[3])
        except ValueError:
            raise MalformedHash(message(N_("vPDQ line {n}: frame, quality or timestamp is not a number"),
                                        n=n))
        if frame < 0 or not 0 <= quality <= 100 or not ts >= 0:
            raise MalformedHash(message(N_("vPDQ line {n}: frame, quality or timestamp out of range"), n=n))
        value = parse_hex(parts[2], 256, f"vPDQ line {n}: pdq")
        frames.append(FrameHash(frame, quality, PDQHash(value, quality), ts))
        if len(frames) > limit:
            raise MalformedHash(message(N_("vPDQ hash has more than {limit} frames"), limit=limit))
    if not frames:
        raise MalformedHash(N_("vPDQ hash has no frames"))
    return frames


def usable(frames: Sequence[FrameHash], min_quality: int) -> list[FrameHash]:
    return [f for f in frames if f.quality >= min_quality]
