"""TIFF hiding places, one row each: a unique marker planted, a real consented export, and
then no marker anywhere in the copy (raw, UTF-16, hex, inflated), none in exiftool's
reading, the same pixels for Pillow and tifffile, and every byte of the copy accounted."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import imagecodecs  # a dev dependency: an LZW/PackBits codec independent of ours
import numpy as np
import pytest
from witness import Witness

from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.inspect import inspect
from share_guard.core.report import Category
from tests.checks import assert_witness_clean, clean_files, consent_yes
from tests.leakscan import assert_no_markers
from tests.tiff_fixtures import (
    ASCII,
    LONG,
    RATIONAL,
    SHORT,
    UNDEFINED,
    PageSpec,
    Plant,
    assemble,
    decompose,
    packbits_literal,
    pillow_tiff,
    profile_with,
    segment,
    tiff_pages,
    tifffile_pages,
    value,
    with_segments,
)


def _marker(slug: str) -> str:
    return f"MARKER_TIFF_{slug.upper()}"


def _page(compression: str = "raw", rows: int = 8) -> tuple[str, PageSpec]:
    bo, [page] = decompose(pillow_tiff(compression, rows=rows))
    return bo, page


def _strip_pixels(rows: int = 8, size: tuple[int, int] = (64, 40)) -> list[bytes]:
    """The rows of each strip of :func:`pillow_tiff`'s picture, uncompressed."""
    from tests.tiff_fixtures import picture

    raw = picture(size).tobytes()
    stride = size[0] * 3 * rows
    return [raw[i : i + stride] for i in range(0, len(raw), stride)]


def _uncompressed(blocks: list[bytes] | None = None) -> tuple[str, PageSpec]:
    """A raw page in strips of 8 rows (Pillow writes one strip)."""
    bo, page = _page("raw")
    page.entries[278] = value(bo, SHORT, [8])
    page.blocks = blocks if blocks is not None else _strip_pixels()
    return bo, page


def _with_entry(tag: int, typ: int, values: object, compression: str = "raw") -> bytes:
    bo, page = _page(compression)
    page.entries[tag] = value(bo, typ, values)
    return assemble(bo, [page])


def _codec_blocks(encode: Callable[[bytes], bytes], compression: int) -> bytes:
    bo, page = _uncompressed([encode(s) for s in _strip_pixels()])
    page.entries[259] = value(bo, SHORT, [compression])
    return assemble(bo, [page])


# -- builders, one per hiding place: (data, marker, words inspect uses, pages kept) --------------

Row = tuple[bytes, str, str, list[int]]


def icc_text() -> Row:
    m = _marker("icc")
    return _with_entry(34675, UNDEFINED, profile_with(m)), m, "Colour profile description", [0]


def icc_not_a_profile() -> Row:
    m = _marker("iccjunk")
    return (_with_entry(34675, UNDEFINED, (m * 20).encode()), m,
            "Data behind a colour-profile signature", [0])


def jpeg_strip_app1_com() -> Row:
    m = _marker("jpegapp")
    bo, page = _page("jpeg")
    page.blocks = [with_segments(b, segment(0xE1, b"Exif\x00\x00" + m.encode()),
                                 segment(0xFE, m.encode())) for b in page.blocks]
    return assemble(bo, [page]), m, "EXIF in JPEG strips", [0]


def jpeg_strip_trailer() -> Row:
    m = _marker("jpegtail")
    bo, page = _page("jpeg")
    page.blocks = [with_segments(b, tail=m.encode()) for b in page.blocks]
    return assemble(bo, [page]), m, "bytes after the end of JPEG strips", [0]


def jpeg_tables_comment() -> Row:
    m = _marker("tablescom")
    bo, page = _page("jpeg")
    typ, _, tables = page.entries[347]
    tables = with_segments(tables, segment(0xFE, m.encode()), segment(0xE1, m.encode()))
    page.entries[347] = (typ, len(tables), tables)
    return assemble(bo, [page]), m, "JPEGTables segments other than tables", [0]


def jpeg_tables_unused() -> Row:
    m = _marker("tablesraw")
    tables = b"\xff\xd8" + segment(0xFE, m.encode()) + b"\xff\xd9"
    return _with_entry(347, UNDEFINED, tables), m, "JPEGTables of a page", [0]


def exif_gps_makernote() -> Row:
    m = _marker("exif")
    bo, page = _page("tiff_lzw")
    exif = PageSpec({0xA431: value(bo, ASCII, m.encode() + b"\x00"),
                     0x927C: value(bo, UNDEFINED, b"Nikon\x00" + m.encode())}, [])
    gps = PageSpec({1: value(bo, ASCII, b"N\x00"),
                    2: value(bo, RATIONAL, [(43, 1), (28, 1), (1, 1)]),
                    0x1B: value(bo, UNDEFINED, b"ASCII\x00\x00\x00" + m.encode())}, [])
    page.subs = {0x8769: exif, 0x8825: gps}
    return assemble(bo, [page]), m, "Camera serial number", [0]


def subifd_full_picture() -> Row:
    m = _marker("subifd")
    bo, page = _uncompressed()
    hidden = bytearray(b"".join(_strip_pixels()))
    hidden[: len(m)] = m.encode()
    sub = PageSpec(dict(page.entries), [bytes(hidden)])
    sub.entries[278] = value(bo, SHORT, [40])
    page.subs = {0x014A: sub}
    return assemble(bo, [page]), m, "Preview image", [0]


def thumbnail_page() -> Row:
    m = _marker("thumb")
    bo, page = _uncompressed()
    thumb = PageSpec(dict(page.entries), [m.encode().ljust(16 * 10 * 3, b"\x01")])
    thumb.entries.update({254: value(bo, LONG, [1]), 256: value(bo, SHORT, [16]),
                          257: value(bo, SHORT, [10]), 278: value(bo, SHORT, [10])})
    return assemble(bo, [page, thumb]), m, "Embedded thumbnail", [0]


def xmp_iptc_photoshop() -> Row:
    m = _marker("xmp")
    bo, page = _page("tiff_adobe_deflate")
    packet = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
              f'02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"'
              f'><dc:creator><rdf:Seq><rdf:li>{m}</rdf:li></rdf:Seq></dc:creator></rdf:Description>'
              f'</rdf:RDF></x:xmpmeta>').encode()
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(m)) + m.encode()
    irb = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    page.entries.update({700: value(bo, UNDEFINED, packet), 33723: value(bo, UNDEFINED, iptc),
                         34377: value(bo, UNDEFINED, irb + b"\x00" * (len(irb) % 2))})
    return assemble(bo, [page]), m, "dc:creator", [0]


def private_and_geo_tags() -> Row:
    m = _marker("private")
    bo, page = _page("packbits")
    page.entries.update({65000: value(bo, ASCII, m.encode() + b"\x00"),
                         34737: value(bo, ASCII, m.encode() + b"|\x00"),
                         315: value(bo, ASCII, m.encode() + b"\x00")})
    return assemble(bo, [page]), m, "Map coordinates", [0]


def second_page_artist() -> Row:
    m = _marker("page2")
    bo, page = _page("tiff_lzw")
    other = PageSpec(dict(page.entries), list(page.blocks))
    other.entries[315] = value(bo, ASCII, m.encode() + b"\x00")
    return assemble(bo, [page, other]), m, "Artist", [0, 1]


def gap_between_strips() -> Row:
    m = _marker("gap")
    bo, page = _page("tiff_lzw")
    return assemble(bo, [page], Plant(gap=m.encode())), m, "Unreferenced data", [0]


def after_last_ifd() -> Row:
    m = _marker("tail")
    bo, page = _page("tiff_adobe_deflate")
    return assemble(bo, [page], Plant(tail=m.encode())), m, "Unreferenced data", [0]


def wrong_type_display_tags() -> Row:
    m = _marker("wrongtype")
    bo, page = _page("raw")
    page.entries.update({282: value(bo, ASCII, m.encode() + b"\x00"),
                         274: value(bo, SHORT, m.encode().ljust(2 * ((len(m) + 1) // 2), b"\0")),
                         318: (RATIONAL, 4, m.encode().ljust(32, b"\x00")[:32])})
    return assemble(bo, [page]), m, "XResolution", [0]


def rationals_spelling_text() -> Row:
    m = _marker("rational")  # 20 bytes: as numerator/denominator pairs each near 0.9
    bo, page = _page("raw")
    raw = (m + "~~~~").encode()[:24]
    page.entries.update({318: (RATIONAL, 2, raw[:16]), 319: (RATIONAL, 3, raw),
                         282: (RATIONAL, 1, raw[:8]), 283: (RATIONAL, 1, raw[8:16])})
    return assemble(bo, [page]), m, "Malformed or unused image tag", [0]


def palette_on_rgb_page() -> Row:
    m = _marker("colormap")
    bo, page = _page("raw")
    table = (m.encode() * 100)[: 768 * 2]
    page.entries.update({320: (SHORT, 768, table),
                         529: (RATIONAL, 3, m.encode().ljust(24, b"\0")[:24])})
    return assemble(bo, [page]), m, "ColorMap of a page", [0]


def uncompressed_rows_then_bytes() -> Row:
    m = _marker("rawtail")
    bo, page = _uncompressed([s + m.encode() for s in _strip_pixels()])
    return assemble(bo, [page]), m, "bytes after the pixels", [0]


def lzw_bytes_after_eoi() -> Row:
    m = _marker("lzwtail")
    bo, page = _page("tiff_lzw")
    page.blocks = [b + m.encode() for b in page.blocks]
    return assemble(bo, [page]), m, "LZW data after the end", [0]


def lzw_codes_after_picture() -> Row:
    m = _marker("lzwcodes")
    data = _codec_blocks(lambda s: imagecodecs.lzw_encode(s + m.encode() * 4), 5)
    return data, m, "LZW data after the end", [0]


def deflate_bytes_after_end() -> Row:
    m = _marker("zliptail")
    data = _codec_blocks(lambda s: zlib.compress(s) + m.encode(), 8)
    return data, m, "bytes after the end of a Deflate strip", [0]


def deflate_data_after_picture() -> Row:
    m = _marker("zlibmore")
    data = _codec_blocks(lambda s: zlib.compress(s + m.encode() * 4), 8)
    return data, m, "Deflate data after the end", [0]


def packbits_bytes_after_end() -> Row:
    m = _marker("pbtail")
    bo, page = _page("packbits")
    page.blocks = [b + m.encode() for b in page.blocks]
    return assemble(bo, [page]), m, "bytes after the end of a PackBits strip", [0]


def packbits_long_last_run() -> Row:
    m = _marker("pbrun")
    return (_codec_blocks(lambda s: packbits_literal(s, m.encode()), 32773), m,
            "PackBits data after the end", [0])


def tiled_deflate_tail() -> Row:
    import io

    import tifffile

    m = _marker("tile")
    buf = io.BytesIO()
    rng = np.random.default_rng(5)
    tifffile.imwrite(buf, rng.integers(0, 255, (40, 56, 3), dtype=np.uint8), tile=(16, 16),
                     compression="zlib", predictor=True, photometric="rgb", metadata=None)
    bo, [page] = decompose(buf.getvalue())
    page.blocks = [b + m.encode() for b in page.blocks]
    return assemble(bo, [page]), m, "bytes after the end of a Deflate strip", [0]


def _pillow_page(im: object, **kw: object) -> tuple[str, PageSpec]:
    import io

    buf = io.BytesIO()
    im.save(buf, "TIFF", **kw)  # type: ignore[attr-defined]
    bo, [page] = decompose(buf.getvalue())
    return bo, page


def _bilevel() -> object:
    from PIL import Image

    y, x = np.mgrid[0:40, 0:64]
    return Image.fromarray(((x // 5 + y // 7) % 2 * 255).astype(np.uint8)).convert("1")


def palette_unused_entries() -> Row:
    """Found by the red team: colour-map entries no pixel uses carry text."""
    from tests.tiff_fixtures import picture

    m = _marker("cmapunused")
    bo, page = _pillow_page(picture().quantize(16))
    typ, count, raw = page.entries[320]
    raw = raw[:80] + m.encode() + raw[80 + len(m):]  # red entries 40.. (pixels use 0-15)
    page.entries[320] = (typ, count, raw)
    return assemble(bo, [page]), m, "colour-map entries no pixel uses", [0]


def fax_bytes_after_codes() -> Row:
    """Found by the red team: bytes after the codes of a Group 4 strip."""
    m = _marker("g4tail")
    bo, page = _pillow_page(_bilevel(), compression="group4")
    page.blocks = [b + m.encode() for b in page.blocks]
    return assemble(bo, [page]), m, "bytes after the end of fax-coded strips", [0]


def group3_bytes_after_codes() -> Row:
    m = _marker("g3tail")
    bo, page = _pillow_page(_bilevel(), compression="group3")
    page.blocks = [b + m.encode() for b in page.blocks]
    return assemble(bo, [page]), m, "bytes after the end of fax-coded strips", [0]


def jpeg_strip_spare_table() -> Row:
    """Found by the red team: a quantisation table no scan of the strip uses."""
    m = _marker("stripdqt")
    bo, page = _page("jpeg")
    spare = segment(0xDB, bytes([0x03]) + m.encode().ljust(64, b"_"))
    page.blocks = [b[: b.index(b"\xff\xda")] + spare + b[b.index(b"\xff\xda"):]
                   for b in page.blocks]
    return assemble(bo, [page]), m, "coding tables no scan uses in JPEG strips", [0]


def jpeg_strip_scan_tail() -> Row:
    """Found by the red team: bytes after the scan's coded data, before the end marker."""
    m = _marker("stripscan")
    bo, page = _page("jpeg")
    page.blocks = [b[:-2] + m.encode() + b[-2:] for b in page.blocks]
    return assemble(bo, [page]), m, "bytes after the end of the image data", [0]


def jpeg_tables_spare_table() -> Row:
    """Found by the red team: a Huffman table in JPEGTables that no strip uses."""
    m = _marker("tablesdht")
    bo, page = _page("jpeg")
    typ, _, tables = page.entries[347]
    counts = bytes(7) + bytes([len(m)]) + bytes(8)
    tables = tables[:-2] + segment(0xC4, bytes([0x13]) + counts + m.encode()) + tables[-2:]
    page.entries[347] = (typ, len(tables), tables)
    return assemble(bo, [page]), m, "JPEGTables tables no strip uses", [0]


def row_padding_bits() -> Row:
    """Found by the red team: the seven free bits of each row of a 1-pixel-wide page."""
    m = _marker("rowbits")
    text = m.encode()
    bo = "<"
    entries = {256: value(bo, LONG, [1]), 257: value(bo, LONG, [len(text)]),
               258: value(bo, SHORT, [1]), 259: value(bo, SHORT, [1]),
               262: value(bo, SHORT, [0]), 277: value(bo, SHORT, [1]),
               278: value(bo, LONG, [len(text)])}
    page = PageSpec(entries, [bytes(b & 0x7F for b in text)])
    return assemble(bo, [page]), m, "bits after the last pixel of each row", [0]


ROWS: dict[str, Callable[[], Row]] = {f.__name__: f for f in (
    palette_unused_entries, fax_bytes_after_codes, group3_bytes_after_codes,
    jpeg_strip_spare_table, jpeg_strip_scan_tail, jpeg_tables_spare_table, row_padding_bits,
    icc_text, icc_not_a_profile, jpeg_strip_app1_com, jpeg_strip_trailer, jpeg_tables_comment,
    jpeg_tables_unused, exif_gps_makernote, subifd_full_picture, thumbnail_page,
    xmp_iptc_photoshop, private_and_geo_tags, second_page_artist, gap_between_strips,
    after_last_ifd, wrong_type_display_tags, rationals_spelling_text, palette_on_rgb_page,
    uncompressed_rows_then_bytes,
    lzw_bytes_after_eoi, lzw_codes_after_picture, deflate_bytes_after_end,
    deflate_data_after_picture, packbits_bytes_after_end, packbits_long_last_run,
    tiled_deflate_tail,
)}


def _assert_same_pages(original: bytes, clean: bytes, kept: list[int]) -> None:
    """Pillow (libtiff) and tifffile (imagecodecs) read the kept pages of the original."""
    reference = tiff_pages(original)
    shown = tiff_pages(clean)
    assert len(shown) == len(kept)
    for i, page in zip(kept, shown, strict=True):
        assert np.array_equal(reference[i], page), f"Pillow: page {i} changed"
    try:
        second = tifffile_pages(original)
    except Exception:  # noqa: BLE001 - tifffile refuses some crafted originals; Pillow reads them
        second = [page[..., :3] for page in reference]
    for i, page in zip(kept, tifffile_pages(clean), strict=True):
        assert np.array_equal(second[i], page), f"tifffile: page {i} changed"


def _export(path: Path, out_dir: Path) -> tuple[Path, dict[str, int]]:
    out_dir.mkdir(exist_ok=True)
    [result] = clean_files([path], ExportOptions(output_dir=out_dir), consent=consent_yes)
    assert result.ok, result.reason
    assert result.output is not None and result.accounting is not None
    return result.output, result.accounting


@pytest.mark.filterwarnings("ignore:Metadata Warning")  # Pillow on the crafted originals
@pytest.mark.parametrize("row", list(ROWS))
def test_hiding_place_is_named_and_emptied(row: str, tmp_path: Path, witness: Witness) -> None:
    data, marker, words, kept = ROWS[row]()
    src = tmp_path / "in.tif"
    src.write_bytes(data)
    before = inspect(src)
    assert before.error is None and before.problems == [], (before.error, before.problems)
    named = [f for f in before.findings
             if words.lower() in f"{f.where} {f.name} {f.value}".lower()]
    assert named, [f"{f.where}: {f.name}" for f in before.findings]
    out, accounting = _export(src, tmp_path / "out")
    clean = out.read_bytes()
    assert accounting["size"] == len(clean)
    assert_no_markers(clean, [marker])
    assert_witness_clean(witness, out, [marker])
    _assert_same_pages(data, clean, kept)
    after = inspect(out)
    assert after.problems == [] and after.leaks() == []
    assert len(clean) <= len(data)


def test_extra_pages_are_named_as_kept(tmp_path: Path) -> None:
    data, *_ = second_page_artist()
    src = tmp_path / "two.tif"
    src.write_bytes(data)
    [page2] = [f for f in inspect(src).findings if f.name == "Page 2 of 2"]
    assert page2.category is Category.KEPT and not page2.identifying
    assert "first page" in page2.explanation


def test_image_data_lying_over_the_tags_is_refused(tmp_path: Path) -> None:
    # the only strip points at the directory and the Artist text after it: the tags would
    # reach the copy as if they were pixels
    m = _marker("overtags")
    bo, page = _uncompressed([b"".join(_strip_pixels())])
    page.entries[278] = value(bo, SHORT, [40])
    page.entries[315] = value(bo, ASCII, (m * 400).encode() + b"\x00")
    data = bytearray(assemble(bo, [page]))
    ifd = int.from_bytes(data[4:8], "little")
    entry = 8 + len(b"".join(_strip_pixels()))
    assert ifd >= entry
    struct.pack_into("<I", data, ifd + 2 + 12 * sorted(page.entries | {273: 0, 279: 0}).index(273)
                     + 8, ifd)
    src = tmp_path / "over.tif"
    src.write_bytes(bytes(data))
    report = inspect(src)
    assert any("over the file's tags" in p for p in report.problems), report.problems


def _with_extra_sample(kind: int, planar: int, text: bytes) -> bytes:
    """An RGB page with a fourth sample of ExtraSamples ``kind`` holding ``text`` (in its own
    plane when ``planar`` is 2, every fourth byte otherwise)."""
    width = len(text)
    planes = [bytes([100] * width), bytes([150] * width), bytes([200] * width), text]
    strips = planes if planar == 2 else [bytes(b for px in zip(*planes) for b in px)]
    tags = [(256, [width]), (257, [1]), (258, [8] * 4), (259, [1]), (262, [2]), (273, None),
            (277, [4]), (278, [1]), (279, [len(s) for s in strips]), (284, [planar]),
            (338, [kind])]
    blob = b"".join(strips)
    offsets = [8 + sum(len(s) for s in strips[:i]) for i in range(len(strips))]
    ifd_at = 8 + len(blob) + (len(blob) & 1)
    extra = bytearray()
    table = struct.pack("<H", len(tags))
    after = ifd_at + 2 + 12 * len(tags) + 4
    for tag, values in tags:
        values = offsets if values is None else values
        typ = 4 if tag in (273, 279) else 3
        raw = struct.pack(f"<{len(values)}{'I' if typ == 4 else 'H'}", *values)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\x00")
        else:
            field = struct.pack("<I", after + len(extra))
            extra += raw
        table += struct.pack("<HHI", tag, typ, len(values)) + field
    return b"II*\x00" + struct.pack("<I", ifd_at) + blob + bytes(len(blob) & 1) + table \
        + b"\x00\x00\x00\x00" + bytes(extra)


@pytest.mark.parametrize("planar", [1, 2])
def test_a_channel_of_unspecified_meaning_is_refused(tmp_path: Path, planar: int) -> None:
    """No viewer draws an "unspecified" extra sample, so it could hold anything (a red-team
    file kept a text there and the report said nothing identifying was left)."""
    m = _marker(f"extra{planar}").encode()
    src = tmp_path / "extra.tif"
    src.write_bytes(_with_extra_sample(0, planar, m))
    report = inspect(src)
    assert any("a channel of unspecified meaning" in p for p in report.problems), report.problems
    out = tmp_path / "out"
    out.mkdir()
    [result] = clean_files([src], ExportOptions(output_dir=out), consent=consent_yes)
    assert not result.ok and "unspecified meaning" in (result.reason or "")
    assert list(out.iterdir()) == []
    # the same page with the channel named as alpha (drawn: picture data) is cleaned
    src.write_bytes(_with_extra_sample(2, planar, m))
    assert inspect(src).problems == []
