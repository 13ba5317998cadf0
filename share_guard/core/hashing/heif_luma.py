"""A HEIC's picture for a takedown check: its luma, decoded by FFmpeg, fitted to the working size.

Why not pillow-heif here: its decoder (libde265) and colour conversion took 190-560 ms
for a 12 MP phone photo, a fifth of a batch's time with a takedown list. FFmpeg's HEVC
decoder, already shipped inside PyAV for videos, decodes the same tiles in about half
that, and a check needs only the luma plane: PDQ is computed from luma, and a grey
picture made from it hashes within a few bits of the RGB decode (tested), as a JPEG
decoded at reduced size does. What the list stores is still made from pillow-heif's
full decode.

Only the plain case is taken: the primary item is one HEVC picture or a grid of HEVC
tiles that share their parameter sets, in this file, turned by ``irot`` and ``imir``
only. Anything else (a crop, other codecs, a tile that does not decode to its size...)
returns None and the caller decodes with pillow-heif.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Iterator
from functools import lru_cache
from typing import BinaryIO

import numpy as np

from share_guard.core.containers.bmff_boxes import Buffer, read_box_tree, walk_top
from share_guard.core.containers.heif import exif_orientation
from share_guard.core.containers.heif_items import HeifMeta, Item, parse_heif_meta
from share_guard.core.errors import ShareGuardError
from share_guard.core.hashing.resample import OrientedBoxFit

#: properties of the primary item that change nothing about its luma samples' layout
_PLAIN = frozenset({b"ispe", b"colr", b"pixi", b"hvcC", b"irot", b"imir", b"clli", b"mdcv",
                    b"free", b"skip"})
_MAX_TILES = 4096
_META_LIMIT = 16 * 1024 * 1024


class _NotPlain(Exception):
    """The file is not the plain case: decode it with pillow-heif."""


def fitted_luma(path: str | os.PathLike[str], work_side: int) -> np.ndarray | None:
    """The primary picture's luma as an upright grey RGB array fitted to ``work_side``.

    None when the file is not the plain case this module takes (see the module's text).
    """
    from share_guard.core.hashing.decode import fitted_size

    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            heif, primary = _primary(fh, size)
            width, height, grid, tiles = _layout(fh, heif, primary)
            orientation = _orientation(heif, primary)
            upright = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
            fitter = OrientedBoxFit((width, height), orientation,
                                    fitted_size(*upright, work_side))
            full_range = _full_range(heif, tiles[0])
            if full_range is None:
                full_range = _full_range(heif, primary)
            for band in _bands(fh, heif, tiles, grid, (width, height), full_range):
                fitter.feed(band)
            return fitter.result()
    except (_NotPlain, ShareGuardError, OSError, ValueError, struct.error):
        return None
    except Exception as exc:
        av = sys.modules.get("av")
        if av is not None and isinstance(exc, av.FFmpegError):  # the decoder refused a tile
            return None
        raise


def _primary(fh: BinaryIO, size: int) -> tuple[HeifMeta, Item]:
    top = walk_top(fh, size)
    metas = [b for b in top.boxes if b.type == b"meta"]
    if len(metas) != 1:
        raise _NotPlain
    buf = read_box_tree(fh, metas[0], _META_LIMIT)
    heif = parse_heif_meta(buf, metas[0], size)
    item = heif.items.get(heif.primary) if heif.primary is not None else None
    if item is None or heif.problems:
        raise _NotPlain
    if any(p.type not in _PLAIN for p in item.props):
        raise _NotPlain
    return heif, item


def _data(fh: BinaryIO, heif: HeifMeta, item: Item, limit: int) -> bytes:
    """An item's bytes (in this file or in 'idat'), at most ``limit``."""
    if item.protected or not item.located or item.data_ref != 0 or item.size > limit:
        raise _NotPlain
    if item.construction == 1:
        data = heif.data(item, limit)
        if len(data) != item.size:
            raise _NotPlain
        return data
    if item.construction != 0:
        raise _NotPlain
    out = bytearray()
    for a, b in item.extents:
        fh.seek(a)
        out += fh.read(b - a)
    if len(out) != item.size:
        raise _NotPlain
    return bytes(out)


def _ispe(buf: Buffer, item: Item) -> tuple[int, int]:
    ispe = item.prop(b"ispe")
    if ispe is None or ispe.end - ispe.payload_start < 12:
        raise _NotPlain
    return buf.u32(ispe.payload_start + 4), buf.u32(ispe.payload_start + 8)


def _layout(fh: BinaryIO, heif: HeifMeta, primary: Item,
            ) -> tuple[int, int, tuple[int, int], list[Item]]:
    """(width, height, (tile rows, tile columns), tiles in raster order)."""
    if primary.type == b"hvc1":
        width, height = _ispe(heif.buf, primary)
        return width, height, (1, 1), [primary]
    if primary.type != b"grid":
        raise _NotPlain
    desc = _data(fh, heif, primary, 64)
    if len(desc) < 8 or desc[0] != 0:
        raise _NotPlain
    rows, cols = desc[2] + 1, desc[3] + 1
    if desc[1] & 1:
        if len(desc) < 12:
            raise _NotPlain
        width, height = struct.unpack(">II", desc[4:12])
    else:
        width, height = struct.unpack(">HH", desc[4:8])
    ids = primary.refs.get(b"dimg", [])
    if len(ids) != rows * cols or len(ids) > _MAX_TILES:
        raise _NotPlain
    tiles = [heif.items[i] for i in ids if i in heif.items]
    if len(tiles) != len(ids) or any(t.type != b"hvc1" for t in tiles):
        raise _NotPlain
    for tile in tiles:
        if any(p.type not in (b"ispe", b"hvcC", b"colr", b"pixi") for p in tile.props):
            raise _NotPlain
    return width, height, (rows, cols), tiles


def _orientation(heif: HeifMeta, primary: Item) -> int:
    kinds = [p.type for p in primary.props if p.type in (b"irot", b"imir")]
    if kinds == [b"imir", b"irot"]:  # mirrored first: not the order the table is for
        raise _NotPlain
    angle, mirror = 0, None
    irot, imir = primary.prop(b"irot"), primary.prop(b"imir")
    if irot is not None:
        angle = (heif.buf.u8(irot.payload_start) & 3) * 90
    if imir is not None:
        mirror = heif.buf.u8(imir.payload_start) & 1
    return exif_orientation(angle, mirror)


def _hvcc(heif: HeifMeta, item: Item) -> bytes:
    box = item.prop(b"hvcC")
    if box is None:
        raise _NotPlain
    return heif.buf.get(box.payload_start, box.end - box.payload_start)


def _bands(fh: BinaryIO, heif: HeifMeta, tiles: list[Item], grid: tuple[int, int],
           size: tuple[int, int], full_range: bool | None) -> Iterator[np.ndarray]:
    """The picture's luma, a row of tiles at a time, as (k, width, 1) grey rows."""
    import av

    width, height = size
    config = _hvcc(heif, tiles[0])
    tile_w, tile_h = _ispe(heif.buf, tiles[0])
    rows, cols = grid
    if (any(_hvcc(heif, t) != config or _ispe(heif.buf, t) != (tile_w, tile_h) for t in tiles)
            or tile_w * cols < width or tile_h * rows < height
            or tile_w * (cols - 1) >= width or tile_h * (rows - 1) >= height):
        raise _NotPlain
    codec = av.CodecContext.create("hevc", "r")
    codec.extradata = config
    codec.thread_count = 1
    # an error stops the decode (then pillow-heif decodes the file) instead of being
    # concealed: what is hashed must be the picture a viewer shows
    codec.options = {"err_detect": "crccheck+bitstream+buffer+explode"}
    limit = os.fstat(fh.fileno()).st_size
    for r in range(rows):
        band_h = min(tile_h, height - r * tile_h)
        band = np.empty((band_h, width), dtype=np.uint8)
        for c in range(cols):
            frames = codec.decode(av.Packet(_data(fh, heif, tiles[r * cols + c], limit)))
            frames += codec.decode(None)  # one picture a tile: no frame is held back
            if len(frames) != 1:
                raise _NotPlain
            luma = _luma8(frames[0], tile_w, tile_h, full_range)
            x = c * tile_w
            band[:, x : x + min(tile_w, width - x)] = luma[:band_h, : width - x]
            codec.flush_buffers()
        yield band[:, :, None]


def _full_range(heif: HeifMeta, item: Item) -> bool | None:
    """The item's 'nclx' colour box's full-range flag (None: no such box)."""
    colr = item.prop(b"colr")
    buf = heif.buf
    if colr is None or colr.end - colr.payload_start < 11:
        return None
    if buf.get(colr.payload_start, 4) != b"nclx":
        return None
    return bool(buf.u8(colr.payload_start + 10) & 0x80)


def _luma8(frame: object, tile_w: int, tile_h: int, full_range: bool | None) -> np.ndarray:
    """A decoded tile's luma samples as 8-bit full-range values, ``tile_h`` x ``tile_w``."""
    import av

    if not isinstance(frame, av.VideoFrame) or (frame.width, frame.height) != (tile_w, tile_h):
        raise _NotPlain
    name = frame.format.name
    plane = frame.planes[0]
    base, _, depth = ("gray", "p", name[4:]) if name.startswith("gray") else name.partition("p")
    if base not in ("yuv420", "yuvj420", "yuv422", "yuvj422", "yuv444", "yuvj444", "gray"):
        raise _NotPlain
    if depth not in ("", "10le", "12le"):
        raise _NotPlain
    bits = int(depth[:2]) if depth else 8
    if full_range is None:
        full_range = name.startswith("yuvj") or frame.color_range == 2  # AVCOL_RANGE_JPEG
    dtype = np.dtype(np.uint8) if bits == 8 else np.dtype("<u2")
    samples: np.ndarray = np.frombuffer(memoryview(plane), dtype)
    y = samples.reshape(-1, plane.line_size // dtype.itemsize)[:tile_h, :tile_w]
    out: np.ndarray = _to_8bit(bits, full_range)[y]
    return out


@lru_cache(maxsize=8)
def _to_8bit(bits: int, full_range: bool) -> np.ndarray:
    """Sample value -> 8-bit full-range value (a table: one lookup a sample)."""
    top = (1 << bits) - 1
    v = np.arange(top + 1, dtype=np.float64) * (255 / top)
    if not full_range:
        v = (v - 16) * (255 / 219)
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)
