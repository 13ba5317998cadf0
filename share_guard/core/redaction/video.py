"""Redact a video: every frame decoded, face tracks burnt in, re-encoded once.

Video is re-encoded as H.264 with PyAV's bundled libx264 at about the source
bitrate; audio packets are copied unchanged; the display rotation is written
back as it was. Frames are redacted in the orientation they are stored in, so
boxes (given as displayed) are turned back through the rotation first.
Container metadata is not copied (the metadata cleaner runs over the output
as well).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from share_guard.core.analysis.tracks import Track
from share_guard.core.errors import CorruptFile, LimitExceeded, UnsupportedFormat
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.redaction.regions import RedactionPlan, Style, redact_array
from share_guard.core.report import Region

MAX_SIDE = 8192
_PLANAR_420 = ("yuv420p", "yuvj420p")
MAX_FRAMES = 2_000_000
FALLBACK_CRF = "20"
PRESET = "veryfast"

_ISOBMFF = "mov,mp4,m4a,3gp,3g2,mj2"


@dataclass(frozen=True)
class VideoRedactionResult:
    container: str  # "mp4" or "matroska"
    extension: str
    frames: int  # frames written
    redacted_frames: int  # frames with at least one region burnt in
    audio_packets: int  # audio packets copied unchanged
    rotation: int  # clockwise display rotation kept (0/90/180/270)
    bit_rate: int  # target video bitrate (0: constant quality)
    dropped_streams: int = 0  # subtitle/data/extra video streams not carried over


def redact_video_file(
    src_path: str | os.PathLike[str],
    tracks: Sequence[Track],
    style: Style | str = Style.SOLID,
    out_path: str | os.PathLike[str] | BinaryIO | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    *,
    regions: Sequence[Region] = (),
    outside: Region | None = None,
) -> VideoRedactionResult:
    """Write a redacted copy of ``src_path`` to ``out_path``: a path (removed again on
    failure) or a seekable binary stream (the caller discards it on failure).

    ``tracks`` are face tracks (see :mod:`share_guard.core.analysis.tracks`); ``regions``
    are extra still regions (manual boxes, codes), applied in the frames their
    ``t_start``/``t_end`` cover (the whole video when unset).
    """
    if out_path is None:
        raise ValueError("redact_video_file needs an output path")
    out: Path | BinaryIO = (
        Path(out_path) if isinstance(out_path, str | os.PathLike) else out_path
    )
    try:
        return _redact(Path(src_path), out, list(tracks), Style(style), list(regions),
                       outside, progress, cancel)
    except BaseException:
        if isinstance(out, Path):
            out.unlink(missing_ok=True)
        raise


def _open(path: Path) -> Any:
    import av

    try:
        return av.open(str(path), mode="r")
    except av.error.InvalidDataError:
        raise UnsupportedFormat(N_("not a video PyAV can decode"))
    except (av.error.FFmpegError, OSError) as exc:
        raise CorruptFile(message(N_("video cannot be opened: {exc}"), exc=exc))


def _redact(
    src: Path,
    out: Path | BinaryIO,
    tracks: list[Track],
    style: Style,
    regions: list[Region],
    outside: Region | None,
    progress: ProgressFn,
    cancel: CancelToken | None,
) -> VideoRedactionResult:
    import av

    from share_guard.core.media.frames import DisplayClock

    rng = np.random.default_rng()
    rotation_ccw = _probe_rotation(src)
    with _open(src) as inp:
        if not inp.streams.video:
            raise UnsupportedFormat(N_("no video stream to redact"))
        vin = inp.streams.video[0]
        cc = vin.codec_context
        if not (0 < cc.width <= MAX_SIDE and 0 < cc.height <= MAX_SIDE):
            raise LimitExceeded(message(N_("video frame {width}x{height} is too large"),
                                        width=cc.width, height=cc.height))
        vin.thread_type = "AUTO"
        audio = list(inp.streams.audio)
        muxer, ext = _muxer(inp)
        dropped = len(inp.streams) - 1 - len(audio)
        duration = float(inp.duration / 1e6) if inp.duration else 0.0
        bit_rate = _bit_rate(inp, vin, duration)
        rate = vin.average_rate or vin.guessed_rate or Fraction(30)
        # track times count from the stream's first timestamp (as share_guard.core.media.frames does)
        origin = float(vin.start_time * vin.time_base) if vin.start_time is not None else 0.0
        last_t = -float(1 / rate)
        target = str(out) if isinstance(out, Path) else out
        with av.open(target, mode="w", format=muxer) as outp:
            vout = outp.add_stream("libx264", rate=rate)
            vout.width, vout.height = cc.width, cc.height
            vout.pix_fmt = "yuv420p"
            for attr in ("colorspace", "color_range", "color_primaries", "color_trc"):
                setattr(vout.codec_context, attr, getattr(cc, attr))
            vout.time_base = vin.time_base
            vout.codec_context.time_base = vin.time_base
            if vin.sample_aspect_ratio:
                vout.codec_context.sample_aspect_ratio = vin.sample_aspect_ratio
            opts: dict[str, object] = {"preset": PRESET}
            if bit_rate:
                vout.bit_rate = bit_rate
            else:
                opts["crf"] = FALLBACK_CRF
            vout.options = opts
            if rotation_ccw:
                # before anything is muxed: the header carries the display matrix
                vout.set_display_rotation(rotation_ccw)
            aouts = {a.index: outp.add_stream_from_template(a) for a in audio}
            stats = {"frames": 0, "redacted": 0, "audio": 0, "rotation": _cw(rotation_ccw)}
            clock = DisplayClock(inp)  # AVI: frame times in display order, not file order
            for packet in inp.demux(vin, *audio):
                if cancel is not None:
                    cancel.check()
                if packet.stream.type == "audio":
                    if packet.dts is None:
                        continue
                    packet.stream = aouts[packet.stream.index]
                    outp.mux(packet)
                    stats["audio"] += 1
                    continue
                clock.packet(packet)
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    raise CorruptFile(message(N_("video frame cannot be decoded: {exc}"), exc=exc))
                for frame in map(clock.stamp, frames):
                    # a frame without a timestamp follows the previous one
                    t = (float(frame.time) - origin if frame.time is not None
                         else last_t + float(1 / rate))
                    last_t = t
                    new = _redact_frame(frame, t, tracks, regions, outside, style,
                                        stats["rotation"], rng)
                    stats["redacted"] += new is not frame
                    stats["frames"] += 1
                    if stats["frames"] > MAX_FRAMES:
                        raise LimitExceeded(N_("video has too many frames"))
                    for pkt in vout.encode(new):
                        outp.mux(pkt)
                    if duration > 0:
                        progress(min(1.0, max(0.0, t / duration)), "redacting video")
            for pkt in vout.encode(None):
                outp.mux(pkt)
    if stats["frames"] == 0:
        raise CorruptFile(N_("video has no frames that could be decoded"))
    progress(1.0, N_("redacting video"))
    return VideoRedactionResult(muxer, ext, stats["frames"], stats["redacted"], stats["audio"],
                                stats["rotation"], bit_rate, dropped)


def _muxer(inp: Any) -> tuple[str, str]:
    """Same family of container out as in: QuickTime, MP4, else Matroska (takes any codec)."""
    if inp.format.name == _ISOBMFF:
        brand = str(inp.metadata.get("major_brand", "")).strip()
        return ("mov", ".mov") if brand == "qt" else ("mp4", ".mp4")
    return "matroska", ".mkv"


def _probe_rotation(src: Path) -> int:
    """The display rotation (FFmpeg's counter-clockwise degrees) of the first frame."""
    import av

    with _open(src) as inp:
        if not inp.streams.video:
            raise UnsupportedFormat(N_("no video stream to redact"))
        try:
            for frame in inp.decode(inp.streams.video[0]):
                return int(round(frame.rotation or 0))
        except av.error.FFmpegError as exc:
            raise CorruptFile(message(N_("video frame cannot be decoded: {exc}"), exc=exc))
    return 0


def _bit_rate(inp: Any, vin: Any, duration: float) -> int:
    rate = int(vin.bit_rate or vin.codec_context.bit_rate or 0)
    if not rate and duration > 0 and inp.bit_rate:
        audio = sum(int(a.bit_rate or 0) for a in inp.streams.audio)
        rate = max(0, int(inp.bit_rate) - audio)
    return rate


def _cw(ccw: int | float | None) -> int:
    """FFmpeg's counter-clockwise display rotation -> clockwise 0/90/180/270."""
    return int(round(-(ccw or 0) / 90.0)) % 4 * 90


def _to_stored(region: Region, rotation_cw: int, sw: int, sh: int) -> Region:
    """A box in displayed pixels -> the same box in stored (coded) pixels.

    ``sw``/``sh`` are the stored frame's width and height.
    """
    x, y, w, h = region.x, region.y, region.w, region.h
    if rotation_cw == 90:  # displayed (x, y) came from stored (y, sh - 1 - x)
        return replace(region, x=y, y=sh - x - w, w=h, h=w)
    if rotation_cw == 180:
        return replace(region, x=sw - x - w, y=sh - y - h)
    if rotation_cw == 270:
        return replace(region, x=sw - y - h, y=x, w=h, h=w)
    return region


def _active(tracks: list[Track], regions: list[Region], t: float) -> list[Region]:
    active: list[Region] = []
    for tr in tracks:
        box = tr.box_at(t)
        if box is not None:
            x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
            x1, y1 = int(np.ceil(box[2])), int(np.ceil(box[3]))
            active.append(Region(x0, y0, x1 - x0, y1 - y0, score=tr.score, label=tr.label))
    for r in regions:
        if (r.t_start is None or r.t_start <= t) and (r.t_end is None or t <= r.t_end):
            active.append(r)
    return active


def _redact_frame(
    frame: Any,
    t: float,
    tracks: list[Track],
    regions: list[Region],
    outside: Region | None,
    style: Style,
    rotation_cw: int,
    rng: np.random.Generator,
) -> Any:
    """The frame with the regions active at ``t`` burnt in (the same frame if none).

    Redaction works on the Y, U and V planes directly: no RGB round trip, so
    redacted frames keep exactly the colours of the frames around them.
    """
    import av

    active = _active(tracks, regions, t)
    if not active and outside is None:
        return frame
    if frame.format.name not in _PLANAR_420:
        frame = frame.reformat(format="yuv420p")
    sw, sh = frame.width, frame.height
    if sw % 2 or sh % 2:
        raise UnsupportedFormat(message(N_("cannot redact video with an odd frame size {sw}x{sh}"),
                                        sw=sw, sh=sh))
    stored = tuple(_to_stored(r, rotation_cw, sw, sh) for r in active)
    keep = _to_stored(outside, rotation_cw, sw, sh) if outside is not None else None
    arr = frame.to_ndarray()
    flat = arr.reshape(-1)
    luma = flat[: sw * sh].reshape(sh, sw)
    chroma = [flat[sw * sh + k * (sw * sh // 4) :][: sw * sh // 4].reshape(sh // 2, sw // 2)
              for k in (0, 1)]
    black = 0 if frame.format.name == "yuvj420p" or frame.color_range == 2 else 16
    redact_array(luma, RedactionPlan(stored, style, keep), rng=rng, fill=black)
    half = tuple(_half(r) for r in stored)
    half_keep = _half(keep) if keep is not None else None
    for plane in chroma:
        redact_array(plane, RedactionPlan(half, style, half_keep), rng=rng, fill=128)
    new = av.VideoFrame.from_ndarray(arr, format=frame.format.name)
    new.pts, new.time_base = frame.pts, frame.time_base
    new.colorspace, new.color_range = frame.colorspace, frame.color_range
    return new


def _half(r: Region) -> Region:
    """A region on a half-resolution chroma plane, rounded outwards."""
    x0, y0 = r.x // 2, r.y // 2
    return replace(r, x=x0, y=y0, w=-(-(r.x + r.w) // 2) - x0, h=-(-(r.y + r.h) // 2) - y0)
