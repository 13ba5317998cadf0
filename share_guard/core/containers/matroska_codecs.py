"""Codec headers (CodecPrivate) and coded frames of Matroska tracks: metadata inside them.

Encoders write text into the data a decoder reads: x265 its settings in an SEI NAL unit
of the ``hvcC`` header, x264 in an SEI of the first frame, libvorbis/Lavf a vendor
string and any user comments in the Vorbis comment header, FLAC players pictures and
comments in metadata blocks, cameras EXIF (GPS) in every Motion-JPEG frame. Each is
neutralised at the same size (nothing moves): SEI and unknown NAL units become filler
NAL units, a Vorbis/Theora comment header keeps its length with an empty vendor and no
comments, FLAC blocks other than STREAMINFO become PADDING, JPEG APPn/COM payloads are
zeroed, and bytes after a structure's parsed end are zeroed. Decoders read none of it,
so decoded frames and audio stay identical.

The same walkers file the clean bytes in a ledger (``account_private``,
``account_frame``) for the byte accounting.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from share_guard.core.containers import aac, nal
from share_guard.core.containers.coded_frames import (
    MJPEG_FOURCCS,
    NAL_FOURCCS,
    CodecError,
    FrameCodec,
)
from share_guard.core.i18n import N_, message

if TYPE_CHECKING:
    from share_guard.core.containers.ledger import Ledger

PRIVATE_CAP = 4 * 1024 * 1024

def frame_codec(codec_id: str, private: bytes) -> FrameCodec:
    """The frame layout of a track, from its CodecID and (original or clean) CodecPrivate."""
    if codec_id == "V_MPEG4/ISO/AVC":
        if len(private) < 7:
            raise CodecError(N_("an H.264 track without its avcC header"))
        return FrameCodec("nal", nal.H264, (private[4] & 3) + 1)
    if codec_id == "V_MPEGH/ISO/HEVC":
        if len(private) < 23:
            raise CodecError(N_("an HEVC track without its hvcC header"))
        return FrameCodec("nal", nal.HEVC, (private[21] & 3) + 1)
    if codec_id == "V_MJPEG":
        return FrameCodec("jpeg")
    if codec_id == "V_AV1":
        return FrameCodec("av1")
    if codec_id.startswith("A_AAC"):
        return FrameCodec("aac")
    if codec_id == "V_MS/VFW/FOURCC" and len(private) >= 40:
        fourcc = private[16:20]
        if fourcc in NAL_FOURCCS:
            return FrameCodec("nal", NAL_FOURCCS[fourcc], None)
        if fourcc in MJPEG_FOURCCS:
            return FrameCodec("jpeg")
    return FrameCodec()


# -- CodecPrivate: walking ------------------------------------------------------------------
# Each walker returns the layout of a header as spans (start, end, class) where class is
# "w" (fields written as parsed), "p" (decoder payload), "z" (blank), ("n", codec) for a run
# of 2-byte-length NAL units, or ("x", kind) for a Xiph comment packet; cleaning rewrites
# the "z", NAL and comment spans, accounting files every span.

Span = tuple[int, int, object]


def _u16(data: bytes, pos: int) -> int:
    if pos + 2 > len(data):
        raise CodecError(N_("a codec header cut short"))
    return int(struct.unpack_from(">H", data, pos)[0])


def _nal_run(data: bytes, pos: int, count: int) -> int:
    for _ in range(count):
        pos += 2 + _u16(data, pos)
        if pos > len(data):
            raise CodecError(N_("a NAL unit runs past its codec header"))
    return pos


def _avcc(data: bytes) -> list[Span]:
    if len(data) < 7 or data[0] != 1:
        raise CodecError(N_("an avcC header of an unknown version"))
    spans: list[Span] = [(0, 6, "w")]
    end = _nal_run(data, 6, data[5] & 0x1F)
    spans.append((6, end, ("n", nal.H264)))
    if end >= len(data):
        raise CodecError(N_("an avcC header without picture parameter sets"))
    spans.append((end, end + 1, "w"))
    pps_end = _nal_run(data, end + 1, data[end])
    spans.append((end + 1, pps_end, ("n", nal.H264)))
    pos = pps_end
    if data[1] not in (66, 77, 88) and len(data) - pos >= 4:
        try:
            ext_end = _nal_run(data, pos + 4, data[pos + 3])
        except CodecError:
            ext_end = -1
        if ext_end > 0:
            spans += [(pos, pos + 4, "w"), (pos + 4, ext_end, ("n", nal.H264))]
            pos = ext_end
    spans.append((pos, len(data), "z"))
    return spans


def _hvcc(data: bytes) -> list[Span]:
    if len(data) < 23 or data[0] != 1:
        raise CodecError(N_("an hvcC header of an unknown version"))
    spans: list[Span] = [(0, 1, "w"), (1, 12, ("v", nal.hevc_profile(data[1:12]))),
                         (12, 23, "w")]
    pos = 23
    for _ in range(data[22]):
        count = _u16(data, pos + 1)
        end = _nal_run(data, pos + 3, count)
        spans += [(pos, pos + 3, "w"), (pos + 3, end, ("n", nal.HEVC))]
        pos = end
    spans.append((pos, len(data), "z"))
    return spans


def _xiph(data: bytes, kind: str) -> list[Span]:
    """Vorbis/Theora: three Xiph-laced packets; the second is the comment header."""
    if not data or data[0] != 2:
        raise CodecError(message(N_("a {kind} header that does not hold three packets"), kind=kind))
    pos, sizes = 1, []
    for _ in range(2):
        size = 0
        while pos < len(data) and data[pos] == 255:
            size, pos = size + 255, pos + 1
        if pos >= len(data):
            raise CodecError(message(N_("a {kind} header cut short"), kind=kind))
        sizes.append(size + data[pos])
        pos += 1
    ident, comment = pos, pos + sizes[0]
    setup = comment + sizes[1]
    if setup > len(data):
        raise CodecError(message(N_("a {kind} header cut short"), kind=kind))
    magic = b"\x03vorbis" if kind == "Vorbis" else b"\x81theora"
    if data[comment : comment + 7] != magic or sizes[1] < 15 + (kind == "Vorbis"):
        raise CodecError(message(N_("a {kind} header without a comment packet"), kind=kind))
    return [(0, ident, "w"), (ident, comment, "p"), (comment, setup, ("x", kind)),
            (setup, len(data), "p")]


def _flac(data: bytes) -> list[Span]:
    if data[:4] != b"fLaC":
        raise CodecError(N_("a FLAC header without its signature"))
    spans: list[Span] = [(0, 4, "w")]
    pos, last = 4, False
    while not last:
        if pos + 4 > len(data):
            raise CodecError(N_("a FLAC header cut short"))
        last, kind = bool(data[pos] & 0x80), data[pos] & 0x7F
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        if pos + 4 + size > len(data):
            raise CodecError(N_("a FLAC metadata block runs past its header"))
        spans += [(pos, pos + 4, ("f", kind)), (pos + 4, pos + 4 + size, "p" if kind == 0 else "z")]
        pos += 4 + size
    spans.append((pos, len(data), "z"))
    return spans


def _av1c(data: bytes) -> list[Span]:
    """AV1CodecConfigurationRecord: four bytes of fields, then configuration OBUs."""
    if len(data) < 4 or data[0] != 0x81:
        raise CodecError(N_("an AV1 header without its configuration record"))
    return [(0, 4, "w"), (4, len(data), ("o", ""))]


def _aac(data: bytes) -> list[Span]:
    """AudioSpecificConfig: what a decoder reads, then blank (see :func:`aac.config_length`)."""
    used = min(aac.config_length(data) or len(data), len(data))
    return [(0, used, "p"), (used, len(data), "z")]


def _opus(data: bytes) -> list[Span]:
    if data[:8] != b"OpusHead" or len(data) < 19:
        raise CodecError(N_("an Opus header without its signature"))
    end = 19 if data[18] == 0 else 21 + data[9]
    if end > len(data):
        raise CodecError(N_("an Opus header cut short"))
    return [(0, end, "w"), (end, len(data), "z")]


def _bitmapinfo(data: bytes) -> list[Span]:
    if len(data) < 40:
        raise CodecError(N_("a BITMAPINFOHEADER shorter than 40 bytes"))
    declared = min(max(40, int.from_bytes(data[0:4], "little")), len(data))
    return [(0, 40, "w"), (40, declared, "p"), (declared, len(data), "z")]


def _waveformatex(data: bytes) -> list[Span]:
    if len(data) < 16:
        raise CodecError(N_("a WAVEFORMATEX shorter than 16 bytes"))
    end = 16 if len(data) < 18 else min(18 + int.from_bytes(data[16:18], "little"), len(data))
    return [(0, min(18, end), "w"), (min(18, end), end, "p"), (end, len(data), "z")]


def layout(codec_id: str, data: bytes) -> list[Span]:
    if len(data) > PRIVATE_CAP:
        raise CodecError(message(N_("a codec header of {count} bytes, more than we read"), count=len(data)))
    walker: Callable[[bytes], list[Span]] | None = {
              "V_MPEG4/ISO/AVC": _avcc, "V_MPEGH/ISO/HEVC": _hvcc, "A_FLAC": _flac,
              "V_AV1": _av1c, "A_AAC": _aac, "A_AAC/MPEG4/LC": _aac,
              "A_AAC/MPEG4/LC/SBR": _aac, "A_AAC/MPEG2/LC": _aac,
              "A_OPUS": _opus, "V_MS/VFW/FOURCC": _bitmapinfo, "A_MS/ACM": _waveformatex,
              "A_VORBIS": lambda d: _xiph(d, "Vorbis"),
              "V_THEORA": lambda d: _xiph(d, "Theora")}.get(codec_id)
    return walker(data) if walker else [(0, len(data), "p")]


# -- CodecPrivate: cleaning and accounting --------------------------------------------------

def _neutral_comment(packet: bytes, kind: str) -> bytes:
    """A comment packet of the same size: empty-ish vendor (zeros), no comments."""
    head = packet[:7]
    tail = b"\x01" if kind == "Vorbis" else b""
    vendor = len(packet) - 7 - 8 - len(tail)
    return head + struct.pack("<I", vendor) + bytes(vendor) + bytes(4) + tail


def clean_private(codec_id: str, data: bytes) -> tuple[bytes, list[str]]:
    """``data`` with in-band metadata neutralised at the same size, and what it held."""
    out, found = bytearray(data), []
    for start, end, cls in layout(codec_id, data):
        if cls == "z" and any(data[start:end]):
            out[start:end] = bytes(end - start)
            found.append("data after the end of the codec header")
        elif isinstance(cls, tuple) and cls[0] == "n":
            try:
                found += nal.scrub(out, str(cls[1]), 2, start, end)
            except ValueError as exc:
                raise CodecError(message(N_("a codec header whose NAL units cannot be walked: {exc}"),
                                         exc=exc)
                                 ) from exc
        elif isinstance(cls, tuple) and cls[0] == "v":  # fields written with these bytes
            if data[start:end] != cls[1]:
                out[start:end] = bytes(cls[1])
                found.append("bits no profile defines")
        elif isinstance(cls, tuple) and cls[0] == "o":
            found += _scrub_obus(out, start, end)
        elif isinstance(cls, tuple) and cls[0] == "x":
            neutral = _neutral_comment(data[start:end], str(cls[1]))
            if neutral != data[start:end]:
                out[start:end] = neutral
                found.append(f"{cls[1]} comment header (vendor string and comments)")
        elif isinstance(cls, tuple) and cls[0] == "f" and cls[1] not in (0, 1):
            out[start] = (data[start] & 0x80) | 1  # any other block becomes PADDING
            found.append("FLAC metadata block (comments, pictures or application data)")
    return bytes(out), list(dict.fromkeys(found))


def _scrub_obus(buf: bytearray, start: int, end: int) -> list[str]:
    """Configuration OBUs of ``buf[start:end]`` with metadata turned into blank padding."""
    return FrameCodec("av1").scrub(buf, start, end)


def account_private(codec_id: str, data: bytes, ledger: Ledger, base: int, what: str) -> None:
    """File a clean CodecPrivate: fields written, decoder data payload, the rest blank."""
    try:
        spans = layout(codec_id, data)
    except CodecError as exc:
        ledger.refuse(base, base + len(data), what, str(exc))
        return
    for start, end, cls in spans:
        chunk = data[start:end]
        if cls == "w":
            ledger.written(base + start, base + end, what)
        elif cls == "p":
            ledger.payload(base + start, base + end, what)
        elif cls == "z":
            ledger.zeroed(data, base + start, base + end, f"{what} padding", base=base)
        elif isinstance(cls, tuple) and cls[0] == "n":
            nal.account(chunk, str(cls[1]), 2, ledger, base + start, what)
        elif isinstance(cls, tuple) and cls[0] == "v":
            if chunk != cls[1]:
                ledger.refuse(base + start, base + end, what, N_("fields that are not neutral"))
            else:
                ledger.written(base + start, base + end, what)
        elif isinstance(cls, tuple) and cls[0] == "o":
            FrameCodec("av1").account(chunk, ledger, base + start, what)
        elif isinstance(cls, tuple) and cls[0] == "x":
            if chunk != _neutral_comment(chunk, str(cls[1])):
                ledger.refuse(base + start, base + end, what, N_("a comment header that is not empty"))
            else:
                ledger.written(base + start, base + end, f"{what} empty comment header")
        elif isinstance(cls, tuple) and cls[0] == "f":
            if cls[1] not in (0, 1):
                ledger.refuse(base + start, base + end, what, N_("a FLAC block that is not padding"))
            else:
                ledger.written(base + start, base + end, f"{what} FLAC block header")
