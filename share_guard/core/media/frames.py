"""Decoded video frames for content checks (faces, redaction, hashing).

Frames come out as RGB numpy arrays *as displayed*: the container's display
rotation (the display matrix that phones write instead of rotating pixels)
is applied, and frames larger than ``max_pixels`` are downscaled. Decoding
uses PyAV (imported lazily) with decoder threads on. When sampling sparsely
(``fps`` well below the video's rate) we seek to the keyframe before the next
sample and decode forward, and frames that are skipped are never converted.

Frame times are in display order. Decoders hand frames out in display order, but
some containers stamp packets in *decode* order: FFmpeg's AVI demuxer gives each
chunk its position in the file as its time, so an AVI holding H.264 with B-frames
yields frames whose times jump back and forth (and an encoder refuses them).
:class:`DisplayClock` gives such frames the times of their display positions.
"""

from __future__ import annotations

import bisect
import heapq
import math
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from share_guard.core.errors import CorruptFile, LimitExceeded, UnsupportedFormat
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken

if TYPE_CHECKING:
    import numpy

#: refuse to decode frames larger than this (per side, and in total)
MAX_DECODE_SIDE = 8192
MAX_DECODE_PIXELS = 8192 * 4608
#: without an index, seek only when the next sample is this far ahead (seconds)
SEEK_GAP = 2.0


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed (rotation applied)
    height: int
    rotation: int  # 0/90/180/270 clockwise display rotation from the container
    duration: float  # seconds (0.0 if unknown)
    fps: float  # average frame rate (0.0 if unknown)
    frame_count: int  # best estimate
    has_audio: bool
    video_codec: str


@dataclass(frozen=True)
class Frame:
    #: decoded frame number from the start: exact while decoding straight through,
    #: estimated from time x average fps after a seek
    index: int
    time: float  # presentation time in seconds
    image: numpy.ndarray  # HxWx3 uint8 RGB, rotation applied, possibly downscaled


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]


def _open(path: str | os.PathLike[str]) -> Any:
    import av

    if not os.path.isfile(path):
        raise UnsupportedFormat(N_("file not found") if not os.path.exists(path) else N_("not a file"))
    try:
        return av.open(os.fspath(path), "r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise CorruptFile(message(N_("the video cannot be opened: {one_line}"), one_line=_one_line(exc)))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CorruptFile(message(N_("the video cannot be opened: {one_line}"), one_line=_one_line(exc)))


def _video_stream(container: Any) -> Any:
    import av

    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise UnsupportedFormat(N_("the file has no video track"))


def _check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise CorruptFile(N_("the video has no valid frame size"))
    if width > MAX_DECODE_SIDE or height > MAX_DECODE_SIDE or width * height > MAX_DECODE_PIXELS:
        raise LimitExceeded(message(N_("video frames of {width}x{height} are larger than we decode"),
                                    width=width, height=height))


def _clockwise(frame: Any, stream: Any) -> int:
    """Clockwise display rotation: frame side data (display matrix), else old 'rotate' tag."""
    try:
        ccw = float(frame.rotation)  # PyAV: counter-clockwise degrees from the display matrix
    except (AttributeError, TypeError, ValueError):
        ccw = 0.0
    if ccw:
        return int(round(-ccw / 90.0)) * 90 % 360
    tag = stream.metadata.get("rotate", "")
    try:
        return int(round(float(tag) / 90.0)) * 90 % 360 if tag else 0
    except ValueError:
        return 0


#: containers whose demuxer stamps packets in decode order (see DisplayClock)
DECODE_ORDER_FORMATS = frozenset({"avi"})


class DisplayClock:
    """Display-order timestamps for a container that stamps packets in decode order.

    Every packet holds one frame, so the packets' timestamps are the frames' display
    times, only in another order; the decoder emits frames in display order, so the
    k-th frame out shows at the k-th smallest timestamp. When a frame comes out, every
    frame shown before it has already been fed to the decoder (it could not be emitted
    otherwise), so the smallest timestamp not yet handed out is its own. Only the
    timestamps are buffered, never frames. For other containers frames keep their own.
    """

    def __init__(self, container: Any) -> None:
        self.active = getattr(container.format, "name", "") in DECODE_ORDER_FORMATS
        self._pending: list[int] = []

    def packet(self, packet: Any) -> None:
        """Note a packet of the video stream before it is decoded."""
        if self.active and packet.pts is not None and packet.size:
            heapq.heappush(self._pending, int(packet.pts))

    def reset(self) -> None:
        """Forget pending timestamps (after a seek)."""
        self._pending.clear()

    def stamp(self, frame: Any) -> Any:
        """``frame`` with its display-order ``pts`` set (returned for chaining)."""
        if self.active and self._pending:
            frame.pts = heapq.heappop(self._pending)
        return frame


def _decode(container: Any, stream: Any, seek_pts: int | None) -> Generator[Any, None, None]:
    import av

    clock = DisplayClock(container)
    if seek_pts is not None:
        container.seek(seek_pts, stream=stream, backward=True)
    try:
        for packet in container.demux(stream):
            clock.packet(packet)
            for frame in packet.decode():
                yield clock.stamp(frame)
    except av.error.FFmpegError as exc:
        raise CorruptFile(message(N_("the video data is damaged: {one_line}"), one_line=_one_line(exc)))


def _frame_time(frame: Any, fallback: float) -> float:
    t = frame.time
    return float(t) if t is not None else fallback


def video_info(path: str | os.PathLike[str]) -> VideoInfo:
    """Size as displayed, rotation, duration, rate and codec of the first video track."""
    with _open(path) as container:
        stream = _video_stream(container)
        cc = stream.codec_context
        _check_size(cc.width, cc.height)
        first = next(_decode(container, stream, None), None)
        if first is None:
            raise CorruptFile(N_("the video track holds no decodable frame"))
        rotation = _clockwise(first, stream)
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        duration = _track_duration(container, stream)
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        count = int(stream.frames or 0) or (round(duration * fps) if fps else 0)
        return VideoInfo(
            width=width,
            height=height,
            rotation=rotation,
            duration=round(max(duration, 0.0), 6),
            fps=round(fps, 6),
            frame_count=count,
            has_audio=bool(container.streams.audio),
            video_codec=cc.name or "",
        )


def _to_image(frame: Any, rotation: int, max_pixels: int) -> numpy.ndarray:
    import numpy as np

    w, h = frame.width, frame.height
    if w * h > max_pixels > 0:
        scale = math.sqrt(max_pixels / (w * h))
        w, h = max(1, int(w * scale)), max(1, int(h * scale))
        image = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    else:
        image = frame.to_ndarray(format="rgb24")
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=-(rotation // 90)))
    return image


def _keyframe_times(stream: Any) -> list[float]:
    """Keyframe times from the demuxer's index (empty when the container has none)."""
    try:
        base = stream.time_base
        return sorted(
            float(e.timestamp * base) for e in stream.index_entries if e.is_keyframe
        )
    except (AttributeError, TypeError):
        return []


def iter_frames(
    path: str | os.PathLike[str],
    *,
    fps: float | None = None,
    max_pixels: int = 1920 * 1080 * 2,
    start: float = 0.0,
    end: float | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[Frame]:
    """Yield frames of the first video track, as displayed.

    ``fps=None`` yields every frame; otherwise about ``fps`` frames per second
    (the first frame at or after each sample time). Frames larger than
    ``max_pixels`` are downscaled keeping their aspect ratio.
    """
    if fps is not None and fps <= 0:
        raise ValueError("fps must be positive")
    with _open(path) as container:
        stream = _video_stream(container)
        cc = stream.codec_context
        _check_size(cc.width, cc.height)
        stream.thread_type = "AUTO"
        base: Fraction = stream.time_base or Fraction(1, 90000)
        rate = stream.average_rate or stream.guessed_rate
        avg_fps = float(rate) if rate else 0.0
        origin = float(stream.start_time * base) if stream.start_time is not None else 0.0
        keyframes = _keyframe_times(stream)
        step = 1.0 / fps if fps else 0.0
        eps = 0.25 / avg_fps if avg_fps else 1e-3
        target = start
        seeked_to: float | None = None
        exact = start <= origin
        counter = 0
        decoded = _decode(container, stream, None if exact else _pts(start + origin, base))
        current = -math.inf
        last_sample = _track_duration(container, stream) if stream.duration else math.inf
        while True:
            frame = next(decoded, None)
            if frame is None:
                _check_complete(container, stream, current, end, avg_fps)
                break
            if cancel is not None:
                cancel.check()
            _check_size(frame.width, frame.height)
            t = _frame_time(frame, current + (1.0 / avg_fps if avg_fps else 0.0)) - origin
            index = counter if exact else (round(t * avg_fps) if avg_fps else counter)
            counter += 1
            current = t
            if end is not None and t > end + eps:
                break
            if target > last_sample - eps:
                break  # the next sample lies past the end of the track
            if t < target - eps:
                if fps and seeked_to != target and _worth_seeking(keyframes, t, target, origin):
                    decoded.close()
                    decoded = _decode(container, stream, _pts(target + origin, base))
                    seeked_to, exact = target, False
                continue
            rotation = _clockwise(frame, stream)
            yield Frame(index=index, time=round(t, 6), image=_to_image(frame, rotation, max_pixels))
            if step:
                while target <= t + eps:
                    target += step
        decoded.close()


def _check_complete(container: Any, stream: Any, last: float, end: float | None,
                    avg_fps: float) -> None:
    """A track that stops well before the duration its header announces was cut short."""
    expected = _track_duration(container, stream)
    if expected <= 0 or (end is not None and end < expected):
        return
    slack = max(1.0, 0.1 * expected, 3.0 / avg_fps if avg_fps else 0.0)
    if last < expected - slack:
        raise CorruptFile(
            message(N_("the video stops at {max} s of {expected} s: the file is truncated or damaged"),
                    max=f"{max(last, 0):.1f}", expected=f"{expected:.1f}")
        )


def _track_duration(container: Any, stream: Any) -> float:
    """Seconds the header announces for the track (else the file), 0.0 when unknown."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def _pts(seconds: float, base: Fraction) -> int:
    return max(0, int(seconds / base))


def _worth_seeking(keyframes: list[float], now: float, target: float, origin: float) -> bool:
    """Seek when a keyframe lies between here and the next sample, or the gap is large."""
    if keyframes:
        i = bisect.bisect_right(keyframes, target + origin) - 1
        return i >= 0 and keyframes[i] - origin > now + 1e-6
    return target - now > SEEK_GAP
