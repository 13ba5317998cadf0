"""TIFF strips and tiles: how many bytes each decodes to, and the bytes a clean copy keeps.

A strip's byte count is only a claim. The codec decides which bytes a decoder reads:
:func:`clean_block` keeps exactly those (an uncompressed strip's rows, an LZW or Deflate
stream up to its end, the PackBits runs that fill the strip, a JPEG up to its end marker
with its APPn/COM payloads zeroed) and drops what follows; where a stream goes on past
the picture (codes or runs a decoder never reaches) it is cut there, so decoded pixels
stay identical. :func:`check_block` proves a block of a clean copy is in that form.
Sizes follow libtiff (``TIFFVStripSize``/``TIFFTileSize``), YCbCr subsampling included.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from share_guard.core.containers import jpeg_frames, tiff_lzw, tiff_probe
from share_guard.core.containers.content_memo import ContentMemo
from share_guard.core.containers.tiff_tags import (
    BITS,
    COLORMAP,
    COMPRESSION,
    COMPRESSIONS,
    EXTRA_SAMPLES,
    FILL_ORDER,
    JPEG_TABLES,
    LENGTH,
    PHOTOMETRIC,
    PHOTOMETRICS,
    PLANAR,
    PREDICTOR,
    ROWS_PER_STRIP,
    SAMPLES,
    SUBSAMPLING,
    T4,
    T6,
    TILE_LENGTH,
    TILE_OFFSETS,
    TILE_WIDTH,
    WIDTH,
    Tag,
    TagError,
)
from share_guard.core.i18n import N_, message

#: more pixels than this on one page is more than any reader we trust would show
MAX_PAGE_PIXELS = 300_000_000
_CHUNK = 1 << 20
#: decoded bytes past the picture looked at before a stream is called suspicious
_PAST = 16 << 20
LZW, JPEG, PACKBITS = 5, 7, 32773
DEFLATE = frozenset({8, 32946})
CCITT = frozenset({2, 3, 4})


class BlockError(ValueError):
    """A strip or tile a decoder would not read as the page says (one line)."""


#: where Deflate streams end, by content (a clean copy is checked three times)
_INFLATED: ContentMemo[tuple[int, bool, int]] = ContentMemo(200_000, (BlockError,))


@dataclass(frozen=True)
class Layout:
    """What a page's structure tags say about its strips or tiles."""

    width: int
    length: int
    spp: int
    bps: int
    compression: int
    photometric: int
    planar: int
    tiled: bool
    block_width: int  # tile width, or the image width for strips
    block_length: int  # tile length, or rows per strip
    subsampling: tuple[int, int] = (1, 1)
    fill_order: int = 1
    #: T4Options or T6Options of a CCITT page
    options: int = 0

    @functools.cached_property
    def per_plane(self) -> int:
        down = -(-self.length // self.block_length)
        across = -(-self.width // self.block_width) if self.tiled else 1
        return down * across

    @property
    def blocks(self) -> int:
        return self.per_plane * (self.spp if self.planar == 2 else 1)

    def _size(self, width: int, rows: int) -> int:
        h, v = self.subsampling
        if (h, v) != (1, 1):
            samples = -(-width // h) * (h * v + 2)
            return -(-samples * self.bps // 8) * -(-rows // v)
        samples = self.spp if self.planar == 1 else 1
        return -(-width * self.bps * samples // 8) * rows

    def expected_all(self) -> list[int]:
        """:meth:`expected` of every block, in order."""
        if self.tiled:
            return [self._size(self.block_width, self.block_length)] * self.blocks
        full = self._size(self.width, self.block_length)
        plane = [full] * (self.per_plane - 1) + [self.expected(self.per_plane - 1)]
        return plane * (self.blocks // self.per_plane)

    def expected(self, index: int) -> int:
        """Bytes block ``index`` decodes to."""
        if self.tiled:
            return self._size(self.block_width, self.block_length)
        strip = index % self.per_plane
        rows = min(self.block_length, self.length - strip * self.block_length)
        return self._size(self.width, rows)


#: tags that only mean something for some pages: kept there, dropped elsewhere (a palette
#: on an RGB page or YCbCr coefficients on a grey one are bytes nobody reads)
_ONLY_FOR = {
    COLORMAP: lambda lay: lay.photometric == 3,
    SUBSAMPLING: lambda lay: lay.photometric == 6,
    529: lambda lay: lay.photometric == 6,
    531: lambda lay: lay.photometric == 6,
    532: lambda lay: lay.photometric == 6,
    T4: lambda lay: lay.compression == 3,
    T6: lambda lay: lay.compression == 4,
    PREDICTOR: lambda lay: lay.compression in {LZW, *DEFLATE},
    JPEG_TABLES: lambda lay: lay.compression == JPEG,
    TILE_WIDTH: lambda lay: lay.tiled,
    TILE_LENGTH: lambda lay: lay.tiled,
    ROWS_PER_STRIP: lambda lay: not lay.tiled,
}


def relevant(tag: int, lay: Layout) -> bool:
    """Whether a kept tag means anything for a page of this layout."""
    test: Callable[[Layout], bool] | None = _ONLY_FOR.get(tag)
    return test is None or test(lay)


def _one(tags: dict[int, Tag], tag: int, default: int | None = None) -> int:
    found = tags.get(tag)
    if found is None:
        if default is None:
            raise TagError(message(N_("the page lacks tag {tag}"), tag=tag))
        return default
    return found.first()


#: colour samples of each colour model; a page's further samples must be alpha (associated
#: or not): an "unspecified" extra sample is drawn by no viewer, so it could hold anything
COLOUR_SAMPLES = {0: 1, 1: 1, 2: 3, 3: 1, 5: 4, 6: 3, 8: 3, 9: 3, 10: 3}


def layout(tags: dict[int, Tag]) -> Layout:
    """The page's block layout, checked (raises :class:`TagError` naming what is wrong)."""
    width, length = _one(tags, WIDTH, 0), _one(tags, LENGTH, 0)
    if width <= 0 or length <= 0:
        raise TagError(N_("the page has no image size"))
    if width * length > MAX_PAGE_PIXELS:
        raise TagError(message(N_("the page has {count} million pixels, more than can be checked"),
                               count=f"{width * length / 1e6:.0f}"))
    spp = _one(tags, SAMPLES, 1)
    bits = tags.get(BITS)
    bits_values = bits.values if bits is not None else (1,)
    assert not isinstance(bits_values, bytes)
    if len(set(bits_values)) != 1 or not 1 <= bits_values[0] <= 64 or not 1 <= spp <= 16:
        raise TagError(N_("the page has sample sizes a reader would not take"))
    compression = _one(tags, COMPRESSION, 1)
    if compression == 6:
        raise TagError(N_("the page uses old-style JPEG compression, which cannot be cleaned "
                       "safely"))
    if compression not in COMPRESSIONS:
        raise TagError(message(N_("the page uses compression {compression}, which cannot be checked for "
                                  "hidden data"),
                               compression=compression))
    photometric = _one(tags, PHOTOMETRIC, 1)
    if photometric not in PHOTOMETRICS:
        raise TagError(message(N_("the page uses an unusual colour model ({photometric})"),
                               photometric=photometric))
    if photometric == 3 and COLORMAP not in tags:
        raise TagError(N_("the page is a palette image without a palette"))
    extra = spp - COLOUR_SAMPLES[photometric]
    if extra > 0:
        found = tags.get(EXTRA_SAMPLES)
        kinds = found.values if found is not None else ()
        if len(kinds) != extra or any(k not in (1, 2) for k in kinds):
            raise TagError(N_("the page has a channel of unspecified meaning, which viewers do "
                              "not show (it could hold anything)"))
    if _one(tags, FILL_ORDER, 1) != 1 and compression not in CCITT | {1}:
        raise TagError(N_("the page stores compressed data in reversed bit order"))
    planar = _one(tags, PLANAR, 1)
    tiled = TILE_OFFSETS in tags
    if tiled:
        bw, bl = _one(tags, TILE_WIDTH, 0), _one(tags, TILE_LENGTH, 0)
        if bw <= 0 or bl <= 0 or bw % 16 or bl % 16:
            raise TagError(N_("the page has tiles of a size the specification does not allow"))
    else:
        bw, bl = width, min(_one(tags, ROWS_PER_STRIP, 0xFFFFFFFF) or length, length)
    sub = (1, 1)
    if photometric == 6 and compression != JPEG and planar == 1 and spp == 3:
        found = tags.get(SUBSAMPLING)
        sub_values = found.values if found is not None else (2, 2)
        assert not isinstance(sub_values, bytes)
        if sub_values[0] not in (1, 2, 4) or sub_values[1] not in (1, 2, 4):
            raise TagError(N_("the page has a YCbCr subsampling a reader would not take"))
        sub = (sub_values[0], sub_values[1])
    options = _one(tags, T4 if compression == 3 else T6, 0) if compression in (3, 4) else 0
    return Layout(width, length, spp, bits_values[0], compression, photometric, planar, tiled,
                  bw, bl, sub, _one(tags, FILL_ORDER, 1), options)


@dataclass
class Kept:
    """What a clean copy keeps of one block."""

    #: bytes of the original block kept from its start (when ``data`` is None)
    used: int
    #: the block rewritten (a stream cut after the picture, a JPEG with metadata zeroed)
    data: bytes | None = None
    #: what was dropped or zeroed, in plain words
    found: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.used


def clean_block(data: bytes, off: int, count: int, lay: Layout, expected: int,
                index: int = 0, tables: bytes = b"") -> Kept:
    """The part of block ``index``, ``data[off:off+count]``, a clean copy keeps (raises
    :class:`BlockError` when the block does not decode to the page's picture); ``tables``:
    the page's JPEGTables."""
    block = memoryview(data)[off : off + count]
    comp = lay.compression
    if comp == 1:
        if count < expected:
            raise BlockError(N_("an uncompressed strip is shorter than its rows"))
        kept = _tail(block, expected, "bytes after the pixels of a strip")
        rows = tiff_probe.clear_padding(bytes(block[:expected]), lay)
        if rows != block[:expected]:
            return Kept(0, rows, [*kept.found, "bits after the last pixel of each row"])
        return kept
    if comp in CCITT:
        return _ccitt(bytes(block), lay, index)
    if comp == JPEG:
        return _jpeg(block, tables)
    if comp == LZW:
        try:
            fixed = tiff_lzw.canonical(block, expected)
        except tiff_lzw.LzwError as exc:
            raise BlockError(str(exc)) from None
        if fixed is None:
            return Kept(count)
        blank = tiff_lzw.tail_is_blank(block, expected)
        return Kept(0, fixed, [] if blank else ["LZW data after the end of the picture"])
    if comp in DEFLATE:
        return _deflate(block, expected)
    return _packbits(block, expected)


def _tail(block: memoryview, used: int, what: str) -> Kept:
    """Keep ``used`` bytes; name what follows when it holds anything."""
    rest = block[used:].tobytes()
    return Kept(used, found=[what] if rest.count(0) != len(rest) else [])


def _ccitt(block: bytes, lay: Layout, index: int) -> Kept:
    """A fax-coded strip with what follows its codes zeroed (found by decoding it)."""
    need = tiff_probe.ccitt_needed(block, lay, index)
    if need is None:
        raise BlockError(N_("a fax-coded strip that does not decode"))
    if not any(block[need:]):
        return Kept(len(block))
    return Kept(0, block[:need] + bytes(len(block) - need),
                ["bytes after the end of fax-coded strips"])


def _jpeg(block: memoryview, tables: bytes) -> Kept:
    buf = bytearray(block)
    try:
        found = jpeg_frames.scrub_frame(buf)
        if jpeg_frames.zero_scan_tail(buf, tables=tables):
            found.append("bytes after the end of the image data")
    except jpeg_frames.FrameError as exc:
        raise BlockError(message(N_("a JPEG strip is damaged ({exc})"), exc=exc)) from None
    end = len(buf.rstrip(b"\x00"))  # the end marker's 0xD9 closes the frame
    if not found and end == len(buf):
        return Kept(len(buf))
    found = [f"{what} in JPEG strips" if what != "data after the end of a frame"
             else "bytes after the end of JPEG strips" for what in found]
    return Kept(0, bytes(buf[:end]), found)


def _inflate(block: memoryview, limit: int) -> tuple[int, bool, int]:
    """(bytes produced up to ``limit`` + 1, stream ended, bytes of input used)."""
    return _INFLATED.get(bytes(block), limit, _inflate_once)


def _inflate_once(block: bytes, limit: int) -> tuple[int, bool, int]:
    d = zlib.decompressobj()
    produced = 0
    rest: bytes | memoryview = block
    try:
        while produced <= limit:
            out = d.decompress(rest, min(_CHUNK, limit + 1 - produced))
            produced += len(out)
            rest = d.unconsumed_tail
            if d.eof or (not out and not rest):
                break
    except zlib.error as exc:
        raise BlockError(message(N_("a Deflate strip is damaged ({exc})"), exc=exc)) from None
    used = len(block) - len(d.unused_data) if d.eof else len(block)
    return produced, d.eof, used


def _picture_and_rest(block: bytes | memoryview, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` bytes a Deflate stream produces, and whether everything it
    produces after them (up to :data:`_PAST` bytes, then assumed not) is zero."""
    d = zlib.decompressobj()
    kept, past = bytearray(), 0
    rest: bytes | memoryview = block
    try:
        while past <= _PAST:
            out = d.decompress(rest, _CHUNK)
            need = limit - len(kept)
            kept += out[:need]
            extra = out[max(need, 0):]
            if extra.count(0) != len(extra):
                return bytes(kept), False
            past += len(extra)
            rest = d.unconsumed_tail
            if d.eof or (not out and not rest):
                return bytes(kept), True
    except zlib.error:
        pass
    return bytes(kept), False


def _deflate(block: memoryview, expected: int) -> Kept:
    produced, ended, used = _inflate(block, expected)
    if produced < expected:
        raise BlockError(N_("a Deflate strip decodes to fewer bytes than its rows"))
    if produced == expected and ended:
        return _tail(block, used, "bytes after the end of a Deflate strip")
    # the stream goes on past the picture: keep the picture, compressed again losslessly
    pixels, blank = _picture_and_rest(block, expected)
    return Kept(0, zlib.compress(pixels, 6),
                [] if blank else ["Deflate data after the end of the picture"])


def _packbits(block: memoryview, expected: int) -> Kept:
    pos, produced, end = 0, 0, len(block)
    while produced < expected:
        if pos >= end:
            raise BlockError(N_("a PackBits strip decodes to fewer bytes than its rows"))
        head = block[pos]
        if head == 128:
            pos += 1
            continue
        n = head + 1 if head < 128 else 257 - head
        size = 1 + n if head < 128 else 2
        if pos + size > end:
            raise BlockError(N_("a PackBits strip is cut short"))
        if produced + n > expected:  # the last run is longer than the strip needs
            need = expected - produced
            if head < 128:
                last = bytes([need - 1]) + bytes(block[pos + 1 : pos + 1 + need])
            else:
                last = bytes([257 - need, block[pos + 1]]) if need > 1 else \
                    bytes([0, block[pos + 1]])
            return Kept(0, bytes(block[:pos]) + last, ["PackBits data after the end of the "
                                                       "picture"])
        produced += n
        pos += size
    return _tail(block, pos, "bytes after the end of a PackBits strip")


def check_block(block: memoryview, lay: Layout, expected: int, index: int = 0) -> str | None:
    """None when a block of a clean copy holds exactly what decoding reads; else why not."""
    comp = lay.compression
    try:
        if comp == 1:
            ok = len(block) == expected and tiff_probe.clear_padding(bytes(block), lay) == block
        elif comp in CCITT:
            ok = tiff_probe.ccitt_only_needed(bytes(block), lay, index)
        elif comp == JPEG:
            ok = True  # walked by the caller
        elif comp == LZW:
            ok = tiff_lzw.is_canonical(block, expected)
        elif comp in DEFLATE:
            produced, ended, used = _inflate(block, expected)
            ok = produced == expected and ended and used == len(block)
        else:
            kept = _packbits(block, expected)
            ok = kept.data is None and kept.used == len(block)
    except (BlockError, tiff_lzw.LzwError) as exc:
        return str(exc)
    return None if ok else "a strip holds more than its picture"
