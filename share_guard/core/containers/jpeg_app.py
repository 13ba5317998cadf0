"""The APPn segments a clean JPEG keeps, parsed into fields and written back from them.

* APP0 JFIF: version, density unit and density (a decoder reads these), no thumbnail;
* APP2 ICC_PROFILE: the profile reassembled from its numbered chunks, made neutral
  (:func:`~share_guard.core.metadata.icc.neutral_profile`) and split again into chunks of
  the largest size, so neither the text of the profile nor the way it was cut can carry data;
* APP14 Adobe: only the colour transform, which decides how libjpeg converts colours;
* APP1 Exif: a fresh block holding only Orientation.

Each ``*_segment`` writer has a checker that the byte accounting runs on a clean copy.
"""

from __future__ import annotations

import struct

from share_guard.core.containers.jpeg_tables import segment
from share_guard.core.i18n import N_
from share_guard.core.metadata.icc import IccError
from share_guard.core.metadata.tiff_ifd import minimal_orientation_exif

ICC_SIG = b"ICC_PROFILE\x00"
#: the most profile bytes one APP2 segment holds (65535 - length field - signature - seq/count)
ICC_CHUNK = 0xFFFF - 2 - len(ICC_SIG) - 2
JFIF_SIG = b"JFIF\x00"
ADOBE_SIG = b"Adobe"
#: DCTEncodeVersion written in every clean APP14 (Adobe's own value; decoders ignore it)
ADOBE_VERSION = 100


def jfif_segment(payload: bytes) -> bytes | None:
    """A JFIF APP0 from the fields of ``payload`` (None when they are not JFIF 1.x)."""
    if len(payload) < 12 or not payload.startswith(JFIF_SIG):
        return None
    major, minor, units = payload[5], payload[6], payload[7]
    if major != 1 or units > 2:
        return None
    xd, yd = struct.unpack(">HH", payload[8:12])
    return segment(0xE0, JFIF_SIG + bytes([1, min(minor, 2), units])
                   + struct.pack(">HH", xd, yd) + b"\x00\x00")


def adobe_segment(payload: bytes) -> bytes | None:
    """An Adobe APP14 holding only the colour transform (None when it is not one)."""
    if len(payload) < 12 or not payload.startswith(ADOBE_SIG) or payload[11] > 2:
        return None
    return segment(0xEE, ADOBE_SIG + struct.pack(">HHHB", ADOBE_VERSION, 0, 0, payload[11]))


def orientation_segment(orientation: int) -> bytes:
    return segment(0xE1, b"Exif\x00\x00" + minimal_orientation_exif(orientation))


def is_orientation_payload(payload: bytes) -> bool:
    return any(payload == b"Exif\x00\x00" + minimal_orientation_exif(o) for o in range(2, 9))


def icc_profile(chunks: list[bytes]) -> bytes:
    """The profile from the payloads of its APP2 segments (raises IccError when the chunk
    numbers do not describe one complete profile: decoders would not read it either)."""
    if not chunks:
        raise IccError(N_("no colour profile"))
    count = chunks[0][13] if len(chunks[0]) > 13 else 0
    parts: dict[int, bytes] = {}
    for payload in chunks:
        if len(payload) < 14 or not payload.startswith(ICC_SIG):
            raise IccError(N_("a colour-profile segment is cut short"))
        seq, total = payload[12], payload[13]
        if total != count or not 1 <= seq <= total or seq in parts:
            raise IccError(N_("colour-profile segments are not numbered as one profile"))
        parts[seq] = payload[14:]
    if len(parts) != count:
        raise IccError(N_("colour-profile segments are missing"))
    return b"".join(parts[i] for i in range(1, count + 1))


def icc_segments(profile: bytes) -> list[bytes]:
    """APP2 segments holding ``profile`` in chunks of the largest size, numbered from 1."""
    pieces = [profile[i : i + ICC_CHUNK] for i in range(0, len(profile), ICC_CHUNK)]
    if not pieces or len(pieces) > 255:
        raise IccError(N_("colour profile too large for a JPEG"))
    return [segment(0xE2, ICC_SIG + bytes([i + 1, len(pieces)]) + piece)
            for i, piece in enumerate(pieces)]


def canonical_icc_split(chunks: list[bytes]) -> bool:
    """True when the APP2 payloads are numbered in order and every chunk but the last is full."""
    n = len(chunks)
    return all(c[12] == i + 1 and c[13] == n and (i == n - 1 or len(c) - 14 == ICC_CHUNK)
               and len(c) > 14 for i, c in enumerate(chunks))
