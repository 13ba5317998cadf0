"""A phone's HEIC decoded by FFmpeg's HEVC decoder (PyAV): its luma, or its RGB picture.

Why not pillow-heif here: its decoder (libde265) and colour conversion took 190-560 ms of
processor time for a 12 MP phone photo, and the app decoded such a photo three times after
a drop (the preview, the face search, the code search) and a fourth for a takedown check.
FFmpeg's decoder, already shipped inside PyAV for videos, decodes the same tiles in about
half that; the code search and the takedown hash need only the luma plane, so no colour
conversion at all. The RGB picture is converted by swscale with the file's matrix and
range: within a level or two of libheif's (tested), for looking at, not for writing. What
is written (a redacted copy) and what the takedown list stores are still decoded by
pillow-heif.

Only the plain case is taken: the primary item is one HEVC picture or a grid of HEVC tiles
that share their parameter sets, in this file, turned by ``irot`` and ``imir`` only, with
a colour matrix swscale knows. Anything else (a crop, other codecs, a tile that does not
decode to its size, a decoder error...) gives None and the caller decodes with pillow-heif.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import numpy as np

from share_guard.core.containers.bmff_boxes import read_box_tree, walk_top
from share_guard.core.containers.heif import exif_orientation
from share_guard.core.containers.heif_items import ALPHA_AUX, HeifMeta, Item, parse_heif_meta
from share_guard.core.errors import ShareGuardError
from share_guard.core.media.images import MAX_PIXELS

if TYPE_CHECKING:
    from PIL import Image

#: properties of the primary item that change nothing about its samples' layout
_PLAIN = frozenset({b"ispe", b"colr", b"pixi", b"hvcC", b"irot", b"imir", b"clli", b"mdcv",
                    b"free", b"skip"})
_TILE_PROPS = frozenset({b"ispe", b"hvcC", b"colr", b"pixi"})
_MAX_TILES = 4096
#: a picture may sit in tiles larger than itself, up to this many decoded pixels
_SMALL_WASTE = 16_000_000
#: H.265 NAL unit types of a tile's data: random-access pictures only (BLA, IDR, CRA), each
#: decoded on its own, as libheif decodes each tile. Parameter sets inside a tile's data
#: would stay for the next tile in one FFmpeg decoder (a red-team file did that: every tile
#: after the first decoded differently from libheif's), SEI may carry film grain FFmpeg
#: applies and libheif does not
_TILE_NALS = frozenset(range(16, 22))
_META_LIMIT = 16 * 1024 * 1024
#: 'nclx' / H.265 VUI matrix_coefficients -> swscale's colorspace (others: not plain)
_MATRIX = {1: "ITU709", 5: "ITU601", 6: "ITU601", 9: "BT2020"}
#: EXIF orientation -> Pillow's transpose that shows the picture upright
_UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
            6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}

T = TypeVar("T")


class NotPlain(Exception):
    """The file is not the plain case: decode it with pillow-heif."""


@dataclass
class PlainHeic:
    heif: HeifMeta
    width: int
    height: int
    rows: int
    cols: int
    tiles: list[Item]
    tile_size: tuple[int, int]
    config: bytes  # the tiles' shared 'hvcC'
    orientation: int  # EXIF value, from irot/imir
    #: the 'nclx' box's (matrix, full range), None when the file has none (the stream says)
    nclx: tuple[int, bool] | None
    #: an alpha plane goes with the picture (what is displayed is composited: not plain)
    alpha: bool


def read(fh: BinaryIO) -> PlainHeic:
    """The plain HEIC's layout (raises NotPlain)."""
    size = os.fstat(fh.fileno()).st_size
    top = walk_top(fh, size)
    metas = [b for b in top.boxes if b.type == b"meta"]
    if len(metas) != 1:
        raise NotPlain
    buf = read_box_tree(fh, metas[0], _META_LIMIT)
    heif = parse_heif_meta(buf, metas[0], size)
    primary = heif.items.get(heif.primary) if heif.primary is not None else None
    if primary is None or heif.problems or any(p.type not in _PLAIN for p in primary.props):
        raise NotPlain
    # one 'ipma' entry and one reference box of a kind (libheif reads only the first), and
    # no reference from the picture but to its tiles (a 'thmb' one makes it a thumbnail)
    if not _named_once(primary) or set(primary.refs) - {b"dimg"}:
        raise NotPlain
    if primary.type == b"hvc1":
        width, height = _ispe(heif, primary)
        rows = cols = 1
        tiles = [primary]
    elif primary.type == b"grid":
        rows, cols, width, height = _grid(item_data(fh, heif, primary, 64))
        ids = primary.refs.get(b"dimg", [])
        tiles = [heif.items[i] for i in ids if i in heif.items]
        if len(ids) != rows * cols or len(tiles) != len(ids) or len(ids) > _MAX_TILES:
            raise NotPlain
    else:
        raise NotPlain
    # the size the picture says it has (what the decompression-bomb check read) and at most
    # as many pixels as any picture we decode: a grid's own numbers cannot make it larger
    if _ispe(heif, primary) != (width, height) or width * height > MAX_PIXELS:
        raise NotPlain
    if any(t.type != b"hvc1" or (t is not primary and (
            any(p.type not in _TILE_PROPS for p in t.props) or t.refs or not _named_once(t)))
           for t in tiles):
        raise NotPlain
    config, tile_size = _hvcc(heif, tiles[0]), _ispe(heif, tiles[0])
    tile_w, tile_h = tile_size
    if (any(_hvcc(heif, t) != config or _ispe(heif, t) != tile_size for t in tiles)
            or not (tile_w * (cols - 1) < width <= tile_w * cols)
            or not (tile_h * (rows - 1) < height <= tile_h * rows)):
        raise NotPlain
    # what is decoded, not only what is shown: one tall column of large tiles over a thin
    # picture decoded 17 gigapixels for a 16 KB file (libheif refuses it)
    decoded = tile_w * tile_h * len(tiles)
    if decoded > MAX_PIXELS or decoded > max(4 * width * height, _SMALL_WASTE):
        raise NotPlain
    alpha = any(heif.aux_type(i) in ALPHA_AUX for i in heif.referrers(primary.id, b"auxl"))
    # the picture's own 'nclx' (a grid's), else its tiles', which must then agree
    nclx = _nclx(heif, primary)
    if nclx is None and primary.type == b"grid":
        found = {_nclx(heif, t) for t in tiles}
        if len(found) != 1:
            raise NotPlain
        nclx = found.pop()
    return PlainHeic(heif, width, height, rows, cols, tiles, tile_size, config,
                     _orientation(heif, primary), nclx, alpha)


def _named_once(item: Item) -> bool:
    return all(n <= 1 for n in item.mentions.values())


def item_data(fh: BinaryIO, heif: HeifMeta, item: Item, limit: int) -> bytes:
    """An item's bytes (in this file or in 'idat'), at most ``limit``."""
    if item.protected or not item.located or item.data_ref != 0 or item.size > limit:
        raise NotPlain
    if item.construction == 1:
        data = heif.data(item, limit)
    elif item.construction == 0:
        out = bytearray()
        for a, b in item.extents:
            fh.seek(a)
            out += fh.read(b - a)
        data = bytes(out)
    else:
        raise NotPlain
    if len(data) != item.size:
        raise NotPlain
    return data


def _grid(desc: bytes) -> tuple[int, int, int, int]:
    """(rows, columns, width, height) of an ImageGrid description."""
    if len(desc) < 8 or desc[0] != 0 or (desc[1] & 1 and len(desc) < 12):
        raise NotPlain
    if desc[1] & 1:
        width, height = struct.unpack(">II", desc[4:12])
    else:
        width, height = struct.unpack(">HH", desc[4:8])
    return desc[2] + 1, desc[3] + 1, width, height


def _ispe(heif: HeifMeta, item: Item) -> tuple[int, int]:
    ispe = item.prop(b"ispe")
    if ispe is None or ispe.end - ispe.payload_start < 12:
        raise NotPlain
    return heif.buf.u32(ispe.payload_start + 4), heif.buf.u32(ispe.payload_start + 8)


def _hvcc(heif: HeifMeta, item: Item) -> bytes:
    box = item.prop(b"hvcC")
    if box is None:
        raise NotPlain
    return heif.buf.get(box.payload_start, box.end - box.payload_start)


def _orientation(heif: HeifMeta, primary: Item) -> int:
    kinds = [p.type for p in primary.props if p.type in (b"irot", b"imir")]
    if kinds not in ([], [b"irot"], [b"imir"], [b"irot", b"imir"]):
        raise NotPlain  # mirrored first, or turned twice: not what the table is for
    irot, imir = primary.prop(b"irot"), primary.prop(b"imir")
    angle = (heif.buf.u8(irot.payload_start) & 3) * 90 if irot is not None else 0
    mirror = heif.buf.u8(imir.payload_start) & 1 if imir is not None else None
    return exif_orientation(angle, mirror)


def _nclx(heif: HeifMeta, item: Item) -> tuple[int, bool] | None:
    """The item's 'nclx' colour box (matrix, full range), whichever 'colr' box it is: an
    item may have an ICC profile first and an 'nclx' after it, and libheif takes both."""
    buf = heif.buf
    found = [(buf.u16(c.payload_start + 8), bool(buf.u8(c.payload_start + 10) & 0x80))
             for c in item.props if c.type == b"colr" and c.end - c.payload_start >= 11
             and buf.get(c.payload_start, 4) == b"nclx"]
    if len(found) > 1:
        raise NotPlain
    return found[0] if found else None


def tiles(fh: BinaryIO, heic: PlainHeic) -> Iterator[tuple[int, int, Any]]:
    """(row, column, decoded frame) of each tile, in raster order."""
    import av

    codec = av.CodecContext.create("hevc", "r")
    codec.extradata = heic.config
    codec.thread_count = 1
    # an error stops the decode (then pillow-heif decodes the file) instead of being
    # concealed: what is looked at must be the picture a viewer shows
    codec.options = {"err_detect": "crccheck+bitstream+buffer+explode"}
    limit = os.fstat(fh.fileno()).st_size
    length_size = (heic.config[21] & 3) + 1 if len(heic.config) > 22 else 0
    for index, tile in enumerate(heic.tiles):
        data = item_data(fh, heic.heif, tile, limit)
        _check_units(data, length_size)
        frames = codec.decode(av.Packet(data))
        frames += codec.decode(None)  # one picture a tile: none is held back
        codec.flush_buffers()
        if len(frames) != 1 or (frames[0].width, frames[0].height) != heic.tile_size:
            raise NotPlain
        yield index // heic.cols, index % heic.cols, frames[0]


def _check_units(data: bytes, length_size: int) -> None:
    """The tile's data is whole NAL units, each of a random-access picture (NotPlain else)."""
    if length_size not in (1, 2, 4):
        raise NotPlain
    pos = 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + length_size], "big")
        start = pos + length_size
        if size < 2 or start + size > len(data) or (data[start] >> 1) & 0x3F not in _TILE_NALS:
            raise NotPlain
        pos = start + size
    if pos == 0:
        raise NotPlain


def luma_rows(fh: BinaryIO, heic: PlainHeic) -> Iterator[np.ndarray]:
    """The stored picture's luma (8 bits, full range), a row of tiles at a time."""
    tile_w, tile_h = heic.tile_size
    band = np.empty((0, heic.width), dtype=np.uint8)
    for r, c, frame in tiles(fh, heic):
        if c == 0:
            band = np.empty((min(tile_h, heic.height - r * tile_h), heic.width), dtype=np.uint8)
        x = c * tile_w
        band[:, x : x + min(tile_w, heic.width - x)] = _luma8(frame, heic)[: len(band),
                                                                          : heic.width - x]
        if c == heic.cols - 1:
            yield band


def _luma8(frame: Any, heic: PlainHeic) -> np.ndarray:
    """A decoded tile's luma samples as 8-bit full-range values (the first plane is the
    luma only under a matrix libheif and swscale read alike: not GBR or YCgCo)."""
    bits = _bits(frame.format.name)
    _matrix, full_range = _matrix_range(frame, heic)
    dtype = np.dtype(np.uint8) if bits == 8 else np.dtype("<u2")
    plane = frame.planes[0]
    samples: np.ndarray = np.frombuffer(memoryview(plane), dtype)
    tile_w, tile_h = heic.tile_size
    y = samples.reshape(-1, plane.line_size // dtype.itemsize)[:tile_h, :tile_w]
    out: np.ndarray = _to_8bit(bits, full_range)[y]
    return out


def _bits(name: str) -> int:
    """Bits per sample of a planar YUV or grey format FFmpeg's HEVC decoder gives."""
    base, _, depth = ("gray", "p", name[4:]) if name.startswith("gray") else name.partition("p")
    if base not in ("yuv420", "yuvj420", "yuv422", "yuvj422", "yuv444", "yuvj444", "gray"):
        raise NotPlain
    if depth not in ("", "10le", "12le"):
        raise NotPlain
    return int(depth[:2]) if depth else 8


@lru_cache(maxsize=8)
def _to_8bit(bits: int, full_range: bool) -> np.ndarray:
    """Sample value -> 8-bit full-range value (a table: one lookup a sample)."""
    top = (1 << bits) - 1
    v = np.arange(top + 1, dtype=np.float64) * (255 / top)
    if not full_range:
        v = (v - 16) * (255 / 219)
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)


def _matrix_range(frame: Any, heic: PlainHeic) -> tuple[int, bool]:
    """(matrix coefficients, full range) as libheif reads them: the file's 'nclx', else the
    stream's own (unspecified: BT.601); NotPlain for a matrix swscale does not know."""
    if heic.nclx is not None:
        matrix, full_range = heic.nclx
    else:
        matrix, full_range = int(frame.colorspace), frame.color_range == 2  # AVCOL_RANGE_JPEG
    matrix = 6 if matrix == 2 else matrix
    if matrix not in _MATRIX:
        raise NotPlain
    return matrix, full_range


def _colour(frame: Any, heic: PlainHeic) -> dict[str, Any]:
    """swscale's arguments to turn ``frame`` (a tile) into full-range RGB as libheif does."""
    _bits(frame.format.name)
    matrix, full_range = _matrix_range(frame, heic)
    if frame.format.name.startswith("yuvj") and not full_range:
        raise NotPlain  # swscale takes a "yuvj" picture as full range whatever it is told
    return {"format": "rgb24", "src_colorspace": _MATRIX[matrix],
            "src_color_range": "JPEG" if full_range else "MPEG", "dst_color_range": "JPEG",
            "threads": 1}


def _rgb(frame: Any, heic: PlainHeic) -> np.ndarray:
    """A decoded tile as RGB, converted with the file's matrix and range."""
    out: np.ndarray = frame.reformat(**_colour(frame, heic)).to_ndarray()
    return out


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    from PIL import Image

    if orientation not in _UPRIGHT:
        return image
    return image.transpose(getattr(Image.Transpose, _UPRIGHT[orientation]))


def plain(path: str | os.PathLike[str], make: Callable[[BinaryIO, PlainHeic], T]) -> T | None:
    """``make(file, layout)``, or None when the file is not the plain case or a tile fails."""
    try:
        with open(path, "rb") as fh:
            return make(fh, read(fh))
    except (NotPlain, ShareGuardError, OSError, ValueError, struct.error):
        return None
    except Exception as exc:
        av = sys.modules.get("av")
        if av is not None and isinstance(exc, av.FFmpegError):  # the decoder refused a tile
            return None
        raise


def luma_image(path: str | os.PathLike[str]) -> Image.Image | None:
    """The picture as displayed, grey ("L", full-range luma), or None (not plain)."""
    from PIL import Image

    def make(fh: BinaryIO, heic: PlainHeic) -> Image.Image:
        if heic.alpha:
            raise NotPlain
        whole = np.concatenate(list(luma_rows(fh, heic)), axis=0)
        return _upright(Image.fromarray(whole, "L"), heic.orientation)

    return plain(path, make)


def rgb_image(path: str | os.PathLike[str]) -> Image.Image | None:
    """The picture as displayed, RGB, or None (not plain)."""
    from PIL import Image

    def make(fh: BinaryIO, heic: PlainHeic) -> Image.Image:
        if heic.alpha:
            raise NotPlain
        tile_w, tile_h = heic.tile_size
        whole = np.empty((heic.height, heic.width, 3), dtype=np.uint8)
        for r, c, frame in tiles(fh, heic):
            y, x = r * tile_h, c * tile_w
            whole[y : y + tile_h, x : x + tile_w] = _rgb(frame, heic)[: heic.height - y,
                                                                      : heic.width - x]
        return _upright(Image.fromarray(whole, "RGB"), heic.orientation)

    return plain(path, make)


def preview_image(path: str | os.PathLike[str], max_side: int) -> Image.Image | None:
    """The picture as displayed, RGB, its longest side at most ``max_side``, or None.

    The tiles' planes are put together first and scaled and converted in one swscale
    call (area averaging): a 12 MP picture is never made RGB at full size. Only 8-bit
    4:2:0 pictures of even sizes (phones' photos); others give None.
    """
    from PIL import Image

    def make(fh: BinaryIO, heic: PlainHeic) -> Image.Image:
        import av

        w, h = heic.width, heic.height
        # 'hvcC' says the chroma format (1: 4:2:0) and the bit depth before anything decodes
        sampling = (heic.config[16] & 3, heic.config[17] & 7) if len(heic.config) > 17 else None
        if heic.alpha or w % 2 or h % 2 or sampling != (1, 0):
            raise NotPlain
        tile_w, tile_h = heic.tile_size
        planes = np.empty(h * w * 3 // 2, dtype=np.uint8)
        y = planes[: h * w].reshape(h, w)
        u = planes[h * w : h * w * 5 // 4].reshape(h // 2, w // 2)
        v = planes[h * w * 5 // 4 :].reshape(h // 2, w // 2)
        first = None
        for r, c, frame in tiles(fh, heic):
            if frame.format.name not in ("yuv420p", "yuvj420p") or tile_w % 2 or tile_h % 2:
                raise NotPlain
            first = first or frame
            if frame.format.name != first.format.name:
                raise NotPlain
            for plane, out, k in ((frame.planes[0], y, 1), (frame.planes[1], u, 2),
                                  (frame.planes[2], v, 2)):
                top, left = r * tile_h // k, c * tile_w // k
                rows, cols = min(tile_h // k, out.shape[0] - top), min(tile_w // k,
                                                                       out.shape[1] - left)
                samples = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
                out[top : top + rows, left : left + cols] = samples[:rows, :cols]
        if first is None:
            raise NotPlain
        whole = av.VideoFrame.from_ndarray(planes.reshape(h * 3 // 2, w), format=first.format.name)
        fit = min(1.0, max_side / max(w, h))
        small = whole.reformat(max(2, round(w * fit)), max(2, round(h * fit)),
                               interpolation="AREA", **_colour(first, heic))
        return _upright(Image.fromarray(small.to_ndarray(), "RGB"), heic.orientation)

    return plain(path, make)
