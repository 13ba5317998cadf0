"""The AVI structures a clean copy keeps, walked into regions (see ``avi_walk``).

Kept: the RIFF/LIST skeleton, ``avih`` (its reserved words blank), each stream's
``strh``, ``strf`` (BITMAPINFOHEADER or WAVEFORMATEX up to its declared size, with
codec extradata and palette; anything after it blank), ``vprp``, the OpenDML ``dmlh``
frame count and the indexes (``indx``, ``ix##``, ``idx1``) whose every entry points at
the chunk it names. Frames of audio and video streams are kept (video scrubbed).
Everything else (INFO lists, ``IDIT``, ``strd``, ``strn``, XMP, vendor and GPS-log
chunks, text/subtitle streams' chunks, chunks of streams that do not exist, extra
``odml`` chunks) becomes JUNK with a blank payload.
"""

from __future__ import annotations

import struct

from share_guard.core.containers import aac
from share_guard.core.containers.avi_walk import (
    AAC_TAGS,
    HEADER_CAP,
    NEUTRAL_IDX1,
    Chunk,
    Riff,
    Stream,
    Walk,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

IDX1_CAP = 512 * 1024 * 1024
INDEX_CAP = 64 * 1024 * 1024
FRAME_TYPES = (b"dc", b"db", b"wb", b"pc", b"tx", b"sb")


def walk(riff: Riff, size: int) -> Walk:
    w = Walk(size)
    first = True
    pos = 0
    try:
        for top in riff.chunks(0, size, w):
            if top.fourcc != b"RIFF" or top.kind not in (b"AVI ", b"AVIX"):
                if first:
                    raise CorruptFile(N_("not an AVI file"))
                break
            if first != (top.kind == b"AVI "):
                raise CorruptFile(N_("AVI extension (AVIX) in the wrong place"))
            w.header(top, "RIFF")
            _body(riff, top, w, first)
            w.pad(top)
            first, pos = False, top.padded_end
    except CorruptFile:
        if first:
            raise
        # a broken extension after a whole first RIFF: it is dropped (blank), not walked
        w.regions = [r for r in w.regions if r.end <= pos]
        w.pending = [p for p in w.pending if p[1] < pos]
        w.movi = {k: v for k, v in w.movi.items() if k < pos}
    if pos < size:  # whatever follows the last RIFF is no part of the video
        w.tail = pos
        w.add("z", pos, size, "data after the AVI")
    _resolve(riff, w)
    _palettes(riff, w)
    return w


#: compression codes of uncompressed DIB frames
RAW_DIB = frozenset({b"\0\0\0\0", b"DIB ", b"RGB ", b"raw "})
#: raw frames read to find which palette entries they use (more: the palette is kept)
PALETTE_READ_CAP = 512 * 1024 * 1024


def _palettes(riff: Riff, w: Walk) -> None:
    """Palette entries of raw indexed streams: used ones kept, the rest blank (a place to
    hide data no pixel shows)."""
    for number, stream in enumerate(w.streams):
        if stream.palette is None:
            continue
        start, count, width, height, bits = stream.palette
        prefix = f"{number:02d}".encode()
        chunks = [(off, size) for off, (fcc, size) in w.movi.items() if fcc[:2] == prefix]
        used = _used_indices(riff, chunks, w, prefix, width, height, bits)
        for i in range(count):
            kind = "p" if used is None or i in used else "z"
            w.add(kind, start + 4 * i, start + 4 * i + 4, "palette entry" if kind == "p"
                  else "palette entry no pixel uses")


def _used_indices(riff: Riff, chunks: list[tuple[int, int]], w: Walk, prefix: bytes,
                  width: int, height: int, bits: int) -> set[int] | None:
    """Colour indices the stream's frames use (None: not knowable, keep every entry)."""
    import numpy as np  # only for raw palette video: kept out of start-up

    if any(w.movi[off][0][2:] == b"pc" for off, _ in chunks) or width <= 0 \
            or sum(size for _, size in chunks) > PALETTE_READ_CAP:
        return None
    stride = (width * bits + 31) // 32 * 4
    row = (width * bits + 7) // 8
    seen = np.zeros(256, dtype=bool)
    for off, size in chunks:
        if w.movi[off][0][2:] not in (b"db", b"dc") or size != stride * height:
            if size:
                return None
            continue
        rows = np.frombuffer(riff.read(off + 8, size), dtype=np.uint8).reshape(height, stride)
        pixels = rows[:, :row]
        if bits == 8:
            seen[np.unique(pixels)] = True
        else:
            unpacked = np.unpackbits(pixels, axis=1)[:, : width * bits]
            groups = unpacked.reshape(height, width, bits)
            values = (groups * (1 << np.arange(bits - 1, -1, -1))).sum(axis=2)
            seen[np.unique(values)] = True
    return {int(i) for i in np.flatnonzero(seen)}


def _body(riff: Riff, top: Chunk, w: Walk, first: bool) -> None:
    for ch in riff.chunks(top.data_offset + 4, top.end, w):
        if ch.fourcc == b"LIST" and ch.kind == b"hdrl" and first and not w.streams:
            w.header(ch, "hdrl")
            _hdrl(riff, ch, w)
            w.pad(ch)
        elif ch.fourcc == b"LIST" and ch.kind == b"movi":
            w.header(ch, "movi")
            w.movi_starts.append(ch.offset)
            _movi(riff, ch, w)
            w.pad(ch)
        elif ch.fourcc == b"idx1" and first:
            _idx1(riff, ch, w)
        elif ch.fourcc == b"JUNK":
            w.blank_chunk(ch, "JUNK")
        else:
            w.neutralise(ch, "AVI", "other")


def _hdrl(riff: Riff, hdrl: Chunk, w: Walk) -> None:
    for ch in riff.chunks(hdrl.data_offset + 4, hdrl.end, w):
        if ch.fourcc == b"avih" and ch.size >= 40:
            # dwMaxBytesPerSec and dwPaddingGranularity (hints no player needs),
            # dwReserved[4] and anything after: blank
            _fields(ch, 40, w, "main header", blank=((4, 12),))
        elif ch.fourcc == b"avih":
            raise CorruptFile(N_("the AVI main header is too short"))
        elif ch.fourcc == b"LIST" and ch.kind == b"strl":
            w.header(ch, "strl")
            _strl(riff, ch, w)
            w.pad(ch)
        elif ch.fourcc == b"LIST" and ch.kind == b"odml":
            w.header(ch, "odml")
            for sub in riff.chunks(ch.data_offset + 4, ch.end, w):
                if sub.fourcc == b"dmlh" and sub.size >= 4:
                    _fields(sub, 4, w, "OpenDML header")  # the total frame count
                elif sub.fourcc == b"JUNK":
                    w.blank_chunk(sub, "JUNK")
                else:
                    w.neutralise(sub, "AVI OpenDML", "other")
            w.pad(ch)
        elif ch.fourcc == b"JUNK":
            w.blank_chunk(ch, "JUNK")
        else:
            w.neutralise(ch, "AVI header", "other")


def _fields(ch: Chunk, kept: int, w: Walk, what: str,
            blank: tuple[tuple[int, int], ...] = ()) -> None:
    """The first ``kept`` bytes written (but the ``blank`` ranges), the rest blank."""
    pos = ch.offset
    for a, b in blank:
        if b <= min(kept, ch.size):
            w.add("w", pos, ch.data_offset + a, what)
            w.add("z", ch.data_offset + a, ch.data_offset + b, f"{what} hints")
            pos = ch.data_offset + b
    w.add("w", pos, ch.data_offset + min(kept, ch.size), what)
    w.add("z", ch.data_offset + kept, ch.end, f"{what} reserved")
    w.pad(ch)


def _strl(riff: Riff, strl: Chunk, w: Walk) -> None:
    stream = Stream()
    w.streams.append(stream)
    for ch in riff.chunks(strl.data_offset + 4, strl.end, w):
        if ch.fourcc == b"strh" and ch.size >= 48 and not stream.kind:
            head = riff.read(ch.data_offset, 8)
            stream.kind, stream.handler = head[:4], head[4:8]
            # wPriority, wLanguage and dwQuality: hints no player reads, blank
            _fields(ch, 56, w, "stream header", blank=((12, 16), (40, 44)))
        elif ch.fourcc == b"strf" and stream.kept:
            if ch.size > HEADER_CAP:
                raise CorruptFile(N_("an AVI stream format larger than 16 MB"))
            _strf(riff.read(ch.data_offset, ch.size), ch, stream, w)
        elif ch.fourcc == b"indx" and stream.kept:
            _index(riff, ch, w)
        elif ch.fourcc == b"vprp" and stream.kind == b"vids" and 36 <= ch.size <= 4096:
            fields = int.from_bytes(riff.read(ch.data_offset + 32, 4), "little")
            if fields > 2 or 36 + 32 * fields > ch.size:
                w.neutralise(ch, "AVI stream", "other")
            else:  # nine numbers and one field description per field; nothing after them
                _fields(ch, 36 + 32 * fields, w, "video properties")
        elif ch.fourcc == b"JUNK":
            w.blank_chunk(ch, "JUNK")
        else:
            w.neutralise(ch, "AVI stream", "other")
    if stream.kind not in (b"vids", b"auds", b"txts"):
        w.problems.append(message(N_("an AVI stream of type '{kind}'"), kind=stream.kind.decode('latin-1')))


def _strf(data: bytes, ch: Chunk, stream: Stream, w: Walk) -> None:
    base = ch.data_offset
    if stream.kind == b"vids":
        if len(data) < 40:
            raise CorruptFile(N_("an AVI video format shorter than 40 bytes"))
        stream.compression = data[16:20]
        declared = min(max(40, int.from_bytes(data[0:4], "little")), len(data))
        bits, used = struct.unpack_from("<H", data, 14)[0], int.from_bytes(data[32:36], "little")
        if bits <= 8 and declared == 40:  # a palette follows the header
            declared = min(40 + 4 * (used or (1 << bits)), len(data))
        # biXPelsPerMeter, biYPelsPerMeter and biClrImportant: display hints, blank
        w.add("w", ch.offset, base + 24, "video format")
        w.add("z", base + 24, base + 32, "video format hints")
        w.add("w", base + 32, base + 36, "video format")
        w.add("z", base + 36, base + 40, "video format hints")
        codec = stream.codec()
        extradata = data[40:declared]
        if codec.kind == "nal" and extradata[:3] in (b"\0\0\1", b"\0\0\0"):
            # parameter sets in Annex B form: SEI and unknown units become filler
            w.add("f", base + 40, base + declared, "codec extradata", codec=codec)
        elif codec.kind == "mp4v" and extradata:
            w.add("f", base + 40, base + declared, "codec extradata", codec=codec)
        elif bits in (1, 4, 8) and stream.compression in RAW_DIB and declared > 40:
            # a palette of raw indexed frames: entries no pixel uses are found once the
            # frames are known (see _palettes)
            width, height = struct.unpack_from("<ii", data, 4)
            stream.palette = (base + 40, (declared - 40) // 4, width, abs(height), bits)
            w.add("p", base + 40 + 4 * ((declared - 40) // 4), base + declared, "palette")
        else:
            w.add("p", base + 40, base + declared, "codec extradata or palette")
        w.add("z", base + declared, ch.end, "bytes after the video format")
    else:
        if len(data) < 16:
            raise CorruptFile(N_("an AVI audio format shorter than 16 bytes"))
        stream.format_tag = int.from_bytes(data[0:2], "little")
        end = 16 if len(data) < 18 else min(18 + int.from_bytes(data[16:18], "little"), len(data))
        used = _audio_extradata(stream.format_tag, data[18:end])
        w.add("w", ch.offset, base + min(18, end), "audio format")
        w.add("w" if stream.format_tag in _AUDIO_FIELDS else "p", base + min(18, end),
              base + min(18, end) + used, "codec extradata")
        w.add("z", base + min(18, end) + used, ch.end, "bytes after the audio format")
    w.pad(ch)


#: audio formats whose extra bytes are numbers of a fixed size (WAVE_FORMAT_EXTENSIBLE,
#: MPEGLAYER3WAVEFORMAT, MPEG1WAVEFORMAT), and those that have none (PCM, float, A-law, µ-law)
_AUDIO_FIELDS = {0xFFFE: 22, 0x0055: 12, 0x0050: 22}
_NO_EXTRADATA = frozenset({0x0001, 0x0003, 0x0006, 0x0007})


def _audio_extradata(tag: int, extra: bytes) -> int:
    """Bytes of an audio format's extra data a decoder reads (the rest is blank)."""
    if tag in _NO_EXTRADATA:
        return 0
    if tag in _AUDIO_FIELDS:
        return min(_AUDIO_FIELDS[tag], len(extra))
    if tag in AAC_TAGS and extra:
        return min(aac.config_length(extra) or len(extra), len(extra))
    return len(extra)


def _index(riff: Riff, ch: Chunk, w: Walk, stream: int | None = None) -> None:
    """indx (in a stream list) or ix## (in movi): an OpenDML super or standard index."""
    if ch.size < 24 or ch.size > INDEX_CAP:
        raise CorruptFile(N_("an AVI OpenDML index of an impossible size"))
    data = riff.read(ch.data_offset, ch.size)
    longs, _, kind, used = struct.unpack_from("<HBBI", data)
    base = ch.data_offset
    entry = 16 if kind == 0 else 8
    if kind not in (0, 1) or longs * 4 != entry or 24 + used * entry > ch.size:
        raise CorruptFile(N_("an AVI OpenDML index that cannot be read"))
    w.add("w", ch.offset, base + 12, "OpenDML index header")
    if kind == 0:
        w.add("z", base + 12, base + 24, "OpenDML index reserved")
        for n in range(used):
            w.pending.append(("super", base + 24 + 16 * n, data[24 + 16 * n : 40 + 16 * n]))
    else:
        w.add("w", base + 12, base + 20, "OpenDML index base offset")
        w.add("z", base + 20, base + 24, "OpenDML index reserved")
        chunk_id, origin = data[8:12], struct.unpack_from("<Q", data, 12)[0]
        for n in range(used):
            off, size = struct.unpack_from("<II", data, 24 + 8 * n)
            w.pending.append(("std", base + 24 + 8 * n,
                              chunk_id + struct.pack("<QI", origin + off - 8, size & 0x7FFFFFFF)))
    w.add("z", base + 24 + used * entry, ch.end, "OpenDML index unused entries")
    w.pad(ch)


def _movi(riff: Riff, movi: Chunk, w: Walk) -> None:
    for ch in riff.chunks(movi.data_offset + 4, movi.end, w, movi=True):
        if ch.fourcc == b"LIST" and ch.kind == b"rec ":
            w.header(ch, "rec")
            w.movi[ch.offset] = (b"rec ", ch.size)
            _movi(riff, ch, w)
            w.pad(ch)
            continue
        number = _stream_number(ch.fourcc)
        stream = w.streams[number] if number is not None and number < len(w.streams) else None
        if ch.fourcc == b"JUNK":
            w.blank_chunk(ch, "JUNK")
            kept = b"JUNK"
        elif ch.fourcc[:2] == b"ix" and stream is not None and stream.kept:
            w.header(ch, "OpenDML chunk index")
            _index(riff, ch, w)
            kept = ch.fourcc
        elif stream is not None and stream.kept and ch.fourcc[2:] in FRAME_TYPES:
            w.header(ch, "frame")
            codec = stream.codec()
            if ch.fourcc[2:] in ((b"wb",) if stream.kind == b"auds" else (b"dc", b"db")) \
                    and codec.kind != "plain":
                w.add("f", ch.data_offset, ch.end, f"stream {number} frame", codec=codec)
            else:
                w.add("p", ch.data_offset, ch.end, f"stream {number} data")
            w.pad(ch)
            kept = ch.fourcc
        else:
            what = ("text or subtitles" if stream is not None and stream.kind == b"txts" else
                    "data for a stream that does not exist" if ch.fourcc[2:] in FRAME_TYPES
                    else "other")
            w.neutralise(ch, "AVI movi", what)
            kept = b"JUNK"
        w.movi[ch.offset] = (kept, ch.size)


def _stream_number(fourcc: bytes) -> int | None:
    if fourcc[:2].isdigit():
        return int(fourcc[:2])
    if fourcc[:2] == b"ix" and fourcc[2:].isdigit():
        return int(fourcc[2:])
    return None


def _idx1(riff: Riff, ch: Chunk, w: Walk) -> None:
    if ch.size > IDX1_CAP:
        raise CorruptFile(N_("an AVI index larger than 512 MB"))
    w.header(ch, "idx1")
    data = riff.read(ch.data_offset, ch.size)
    whole = len(data) // 16 * 16
    for n in range(0, whole, 16):
        w.pending.append(("idx1", ch.data_offset + n, data[n : n + 16]))
    w.add("z", ch.data_offset + whole, ch.end, "idx1 remainder")
    w.pad(ch)


def _resolve(riff: Riff, w: Walk) -> None:
    """Index entries, now that every movi chunk is known: each must point at what it names."""
    idx1_base: int | None = None
    for kind, pos, entry in w.pending:
        if kind == "idx1":
            if entry == NEUTRAL_IDX1:
                w.add("w", pos, pos + 16, "neutral idx1 entry")
                continue
            ckid, _, off, size = struct.unpack("<4sIII", entry)
            if idx1_base is None:
                idx1_base = next((b for b in (*(m + 8 for m in w.movi_starts), 0)
                                  if w.movi.get(b + off) == (ckid, size)), None)
            ok = idx1_base is not None and w.movi.get(idx1_base + off) == (ckid, size)
            if ok:
                w.add("w", pos, pos + 16, "idx1 entry")
            else:
                w.index_fixed += 1
                w.add("x", pos, pos + 16, "idx1 entry", new=NEUTRAL_IDX1)
        elif kind == "super":
            off = struct.unpack_from("<Q", entry)[0]
            target = w.movi.get(off)
            if target is None or target[0][:2] != b"ix":
                raise CorruptFile(N_("an AVI super index entry that points at no chunk index"))
            w.add("w", pos, pos + 16, "OpenDML super index entry")
        else:
            ckid, at, size = entry[:4], *struct.unpack("<QI", entry[4:])
            if w.movi.get(at) != (ckid, size):
                raise CorruptFile(N_("an AVI chunk index entry that points at no frame"))
            w.add("w", pos, pos + 8, "OpenDML chunk index entry")
