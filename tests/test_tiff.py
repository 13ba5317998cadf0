"""TIFF: every IFD inspected; IFDs rewritten around untouched strips; damaged files fail closed."""

from __future__ import annotations

import functools
import io
import struct
import time

import numpy as np
import pytest
from PIL import Image, ImageCms

from share_guard.core.containers.tiff import KEEP_TAGS
from share_guard.core.errors import ExportRefused
from share_guard.core.metadata.icc import neutral_profile
from share_guard.core.metadata.tiff_ifd import parse_tiff
from share_guard.core.report import Category
from tests.image_fixtures import (
    ARTIST,
    ASCII,
    DATE,
    LONG,
    RATIONAL,
    SERIAL,
    SHORT,
    SOFTWARE,
    UNDEFINED,
    XMP_CREATOR,
    TiffBuilder,
    check_round_trip,
    gradient,
    inspect_bytes,
    mutation_failures,
    raw_frames,
    strip_bytes,
    xmp_packet,
)

PLANTED_TAGS = {
    315: (ASCII, ARTIST.encode() + b"\x00"),
    271: (ASCII, b"PlantedMake\x00"),
    272: (ASCII, b"PlantedModel\x00"),
    305: (ASCII, SOFTWARE.encode() + b"\x00"),
    306: (ASCII, DATE.encode() + b"\x00"),
    270: (ASCII, b"planted description\x00"),
}
EXIF_IFD = {0xA431: (ASCII, SERIAL.encode() + b"\x00"), 0x9003: (ASCII, DATE.encode() + b"\x00")}
GPS_IFD = {
    1: (ASCII, b"N\x00"), 2: (RATIONAL, [(43, 1), (28, 1), (120, 100)]),
    3: (ASCII, b"E\x00"), 4: (RATIONAL, [(11, 1), (53, 1), (60, 10)]),
}
SUBS = {34665: EXIF_IFD, 34853: GPS_IFD}
PLANTED = [ARTIST, SOFTWARE, SERIAL, "PlantedMake", "PlantedModel", "planted description",
           XMP_CREATOR, "2019:07:14"]
THUMB = {254: (LONG, [1])}  # NewSubfileType: reduced-resolution image


@functools.cache
def _srgb_icc() -> bytes:  # cached: the profile embeds its creation time
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_tiff(bo: str = "<", tile: int = 0) -> bytes:
    return (TiffBuilder(bo)
            .add_page(gradient(), PLANTED_TAGS, SUBS, tile=tile)
            .add_page(gradient((12, 8)), THUMB)
            .build())


def multipage_tiff() -> bytes:
    return (TiffBuilder()
            .add_page(gradient(seed=1), PLANTED_TAGS)
            .add_page(gradient((12, 8)), THUMB)
            .add_page(gradient((40, 24), seed=2), {315: (ASCII, ARTIST.encode() + b"\x00"),
                                                   254: (LONG, [2])})
            .build())


def subifd_preview_tiff() -> bytes:
    preview = {254: (LONG, [1]), 256: (SHORT, [8]), 257: (SHORT, [8]),
               305: (ASCII, SOFTWARE.encode() + b"\x00")}
    return TiffBuilder().add_page(gradient(), PLANTED_TAGS, {330: preview}).build()


def rich_tiff() -> bytes:
    tags = dict(PLANTED_TAGS)
    tags.update({
        34675: (UNDEFINED, _srgb_icc()),
        700: (UNDEFINED, xmp_packet()),
        33723: (UNDEFINED, b"\x1c\x02\x50\x00\x0f" + ARTIST.encode()[:15]),
        282: (RATIONAL, [(300, 1)]), 283: (RATIONAL, [(300, 1)]), 296: (SHORT, [2]),
    })
    return TiffBuilder(">").add_page(gradient(), tags, SUBS).build()


def pillow_lzw_tiff() -> bytes:
    buf = io.BytesIO()
    gradient((64, 40)).save(buf, "TIFF", compression="tiff_lzw",
                            tiffinfo={315: ARTIST, 305: SOFTWARE, 306: DATE})
    return buf.getvalue()


# name -> (build, categories found, input frames kept)
CASES = {
    "GPS, artist, serial, dates, thumbnail (II)": (
        lambda: camera_tiff("<"),
        {Category.LOCATION, Category.IDENTITY, Category.DEVICE, Category.TIME, Category.HIDDEN},
        [0]),
    "GPS, artist, serial, dates, thumbnail (MM)": (
        lambda: camera_tiff(">"), {Category.LOCATION, Category.IDENTITY, Category.HIDDEN}, [0]),
    "tiled": (lambda: camera_tiff("<", tile=16), {Category.LOCATION, Category.IDENTITY}, [0]),
    "multi-page with a preview page": (multipage_tiff, {Category.IDENTITY, Category.HIDDEN},
                                       [0, 2]),
    "unmarked thumbnail IFD": (lambda: TiffBuilder().add_page(gradient(), PLANTED_TAGS, SUBS)
                               .add_page(gradient((12, 8))).build(), {Category.HIDDEN}, [0]),
    "SubIFD preview": (subifd_preview_tiff, {Category.HIDDEN, Category.DEVICE}, [0]),
    "ICC, XMP, IPTC, resolution (MM)": (rich_tiff, {Category.LOCATION, Category.IDENTITY}, [0]),
    "Pillow LZW": (pillow_lzw_tiff, {Category.IDENTITY, Category.TIME}, [0]),
    "GeoTIFF": (lambda: TiffBuilder().add_page(gradient(), {
        33922: (RATIONAL, [(0, 1), (0, 1), (0, 1), (11, 1), (43, 1), (0, 1)]),
        34735: (SHORT, [1, 1, 0, 0])}).build(), {Category.LOCATION}, [0]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_planted_metadata_found_and_cleaned(case: str, tmp_path, witness) -> None:
    build, categories, frames = CASES[case]
    data = build()
    before = inspect_bytes(tmp_path, "in.tif", data)
    assert before.error is None and before.problems == []
    found = {f.category for f in before.identifying()}
    assert categories <= found, found
    out, after = check_round_trip(tmp_path, "in.tif", data, witness, PLANTED, keep_frames=frames)
    assert after.properties["pages"] == len(frames)
    clean = parse_tiff(out)
    assert clean.byte_order == parse_tiff(data).byte_order
    assert all(ifd.name.startswith("IFD") and ifd.name[3:].isdigit() for ifd in clean.ifds)
    assert {e.tag for ifd in clean.ifds for e in ifd.entries} <= KEEP_TAGS
    meta = witness.tags(tmp_path / "clean-in.tif")
    dropped = ("SubIFD", "Photoshop") if len(frames) > 1 else ("IFD1", "SubIFD", "Photoshop")
    assert not [k for k in meta if k.startswith(dropped)]  # a second *page* is IFD1 to exiftool


def test_strip_data_is_copied_byte_for_byte(tmp_path) -> None:
    data = pillow_lzw_tiff()
    out, _ = strip_bytes(tmp_path, "s.tif", data)

    def strips(buf: bytes) -> list[bytes]:
        ifd = parse_tiff(buf).ifds[0]
        offs, counts = ifd.get(0x111), ifd.get(0x117)
        assert offs is not None and counts is not None
        return [buf[o : o + n] for o, n in zip(offs.value, counts.value, strict=True)]  # type: ignore[arg-type]

    assert strips(out) == strips(data)
    assert len(out) < len(data)


def test_colour_profile_and_resolution_survive(tmp_path, witness) -> None:
    out, result = strip_bytes(tmp_path, "c.tif", rich_tiff())
    assert "colour profile (its text made neutral)" in result.kept
    (tmp_path / "c-out.tif").write_bytes(out)
    meta = witness.tags(tmp_path / "c-out.tif")
    assert meta.get("IFD0:XResolution") == 300
    assert any(k.startswith("ICC") for k in meta)
    with Image.open(io.BytesIO(out)) as im:
        assert im.info.get("icc_profile") == neutral_profile(_srgb_icc())


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_orientation_tag_is_kept(orientation: int, tmp_path, witness) -> None:
    tags = dict(PLANTED_TAGS)
    tags[274] = (SHORT, [orientation])
    data = TiffBuilder().add_page(gradient(), tags, SUBS).build()
    out, after = check_round_trip(tmp_path, "o.tif", data, witness, PLANTED)
    assert after.properties["orientation"] == orientation


def test_xmp_orientation_becomes_a_tag(tmp_path, witness) -> None:
    tags = dict(PLANTED_TAGS)
    tags[700] = (UNDEFINED, xmp_packet(orientation=6))
    data = TiffBuilder().add_page(gradient(), tags).build()
    out, after = check_round_trip(tmp_path, "x.tif", data, witness, PLANTED)
    assert after.properties["orientation"] == 6


def _set_next_pointer(data: bytes, index: int, value: int) -> bytes:
    """Point the next-IFD pointer of chain IFD ``index`` at ``value``."""
    ifd = [i for i in parse_tiff(data).ifds if i.name.startswith("IFD")][index]
    at = ifd.offset + 2 + 12 * len(ifd.entries)
    return data[:at] + struct.pack("<I", value) + data[at + 4 :]


def _ifd_offset(data: bytes, index: int) -> int:
    return [i for i in parse_tiff(data).ifds if i.name.startswith("IFD")][index].offset


def _entry_patch(data: bytes, tag: int, value: int) -> bytes:
    ifd = parse_tiff(data).ifds[0]
    entry = ifd.get(tag)
    assert entry is not None
    out = bytearray(data)
    struct.pack_into("<HHII", out, entry.entry_offset, tag, LONG, 1, value)
    return bytes(out)


def _array_patch(data: bytes, tag: int, value: int) -> bytes:
    """Change the first value of a LONG array stored out of line."""
    entry = parse_tiff(data).ifds[0].get(tag)
    assert entry is not None and entry.count > 1
    out = bytearray(data)
    struct.pack_into("<I", out, entry.value_offset, value)
    return bytes(out)


def _type_patch(data: bytes, tag: int, typ: int) -> bytes:
    """Give an entry another type (its value bytes unchanged)."""
    entry = parse_tiff(data).ifds[0].get(tag)
    assert entry is not None
    out = bytearray(data)
    struct.pack_into("<H", out, entry.entry_offset + 2, typ)
    return bytes(out)


def _one_page() -> bytes:
    return TiffBuilder().add_page(gradient(), PLANTED_TAGS).build()


@pytest.mark.parametrize(
    ("name", "build", "words"),
    [
        ("IFD chain loops back", lambda: (lambda d: _set_next_pointer(d, 1, _ifd_offset(d, 0)))(
            camera_tiff()), "loop"),
        ("self loop", lambda: (lambda d: _set_next_pointer(d, 0, _ifd_offset(d, 0)))(
            _one_page()), "loop"),
        ("strip outside the file", lambda: _array_patch(_one_page(), 0x111, 10**8), "outside"),
        ("strip too long", lambda: _array_patch(_one_page(), 0x117, 10**6), "outside"),
        ("old-style JPEG", lambda: _entry_patch(_one_page(), 0x103, 6), "old-style JPEG"),
        ("unknown compression", lambda: _entry_patch(_one_page(), 0x103, 34712), "compression"),
        ("palette without colours", lambda: _entry_patch(_one_page(), 0x106, 3), "palette"),
        ("width of the wrong type", lambda: _type_patch(_one_page(), 0x100, 2), "ImageWidth"),
    ],
)
def test_damaged_structure_is_refused(name, build, words, tmp_path) -> None:
    data = build()
    report = inspect_bytes(tmp_path, "bad.tif", data)
    assert report.error is None, report.error
    assert report.problems and "\n" not in report.problems[0]
    assert words in " ".join(report.problems)
    with pytest.raises(ExportRefused):
        strip_bytes(tmp_path, "bad.tif", data)


@pytest.mark.parametrize(
    ("name", "build", "words"),
    [
        ("BigTIFF", lambda: b"II+\x00\x08\x00\x00\x00" + bytes(32), "BigTIFF"),
        ("header only", lambda: b"II*\x00\x08\x00", "too short"),
        ("first IFD outside", lambda: b"II*\x00\xff\xff\xff\x00" + bytes(64), "directory"),
        ("DNG", lambda: TiffBuilder().add_page(gradient(), {0xC612: (SHORT, [1, 4])}).build(),
         "DNG"),
    ],
)
def test_unreadable_files_get_one_line_errors(name, build, words, tmp_path) -> None:
    report = inspect_bytes(tmp_path, "bad.tif", build())
    assert report.error is not None, name
    assert "\n" not in report.error and words in report.error


def test_huge_entry_counts_are_bounded(tmp_path) -> None:
    data = bytearray(_one_page())
    first = struct.unpack("<I", data[4:8])[0]
    struct.pack_into("<H", data, first, 0xFFFF)
    data += bytes(12 * 2000)
    start = time.perf_counter()
    report = inspect_bytes(tmp_path, "huge.tif", bytes(data))
    assert time.perf_counter() - start < 2
    assert report.error is not None or report.problems


def test_pages_keep_their_pixels_in_order(tmp_path) -> None:
    data = multipage_tiff()
    out, result = strip_bytes(tmp_path, "m.tif", data)
    before, after = raw_frames(data), raw_frames(out)
    assert len(after) == 2
    assert np.array_equal(after[0], before[0]) and np.array_equal(after[1], before[2])
    assert any("preview" in r for r in result.removed)


@pytest.mark.parametrize("compression", ["raw", "tiff_lzw", "jpeg", "packbits"])
def test_damaged_variants_fail_cleanly(compression: str, tmp_path) -> None:
    from tests.tiff_fixtures import assemble, decompose, pillow_tiff

    if compression == "raw":
        data = camera_tiff()
    else:  # a real codec's strips, with descriptive tags to find
        bo, [page] = decompose(pillow_tiff(compression))
        page.entries[315] = (ASCII, len(ARTIST) + 1, ARTIST.encode() + b"\x00")
        data = assemble(bo, [page])
    assert mutation_failures(tmp_path, data, rounds=100) == []
