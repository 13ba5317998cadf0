"""WebP (still, alpha, animated): planted EXIF/XMP found and cleaned; damaged files fail closed."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from share_guard.core.containers.webp_clean import FLAG_EXIF, FLAG_XMP
from share_guard.core.report import Category
from tests.image_fixtures import (
    ARTIST,
    SERIAL,
    SOFTWARE,
    XMP_CREATOR,
    check_round_trip,
    exif_tiff,
    inspect_bytes,
    mutation_failures,
    riff_chunk,
    riff_chunks,
    strip_bytes,
    webp_append,
    webp_bytes,
    xmp_packet,
)

ALL_PLANTED = [ARTIST, SERIAL, SOFTWARE, XMP_CREATOR]


def _with_frame_junk(data: bytes) -> bytes:
    """Put an unknown sub-chunk inside the first ANMF frame (and fix both sizes)."""
    out, pos = bytearray(data[:12]), 12
    done = False
    while pos < len(data):
        fourcc, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        payload = data[pos + 8 : pos + 8 + size]
        if fourcc == b"ANMF" and not done:
            payload += riff_chunk(b"JUNK", b"frame secret " + ARTIST.encode())
            done = True
        out += riff_chunk(fourcc, payload)
        pos += 8 + size + (size & 1)
    struct.pack_into("<I", out, 4, len(out) - 8)
    return bytes(out)


CASES = {
    "EXIF with GPS + XMP": (lambda: webp_bytes(exif=exif_tiff(), xmp=xmp_packet()),
                            {Category.LOCATION, Category.IDENTITY, Category.DEVICE}),
    "XMP only": (lambda: webp_bytes(xmp=xmp_packet()), {Category.LOCATION, Category.IDENTITY}),
    "lossy with alpha + EXIF": (
        lambda: webp_bytes(exif=exif_tiff(), lossless=False, mode="RGBA"), {Category.LOCATION}),
    "animated + EXIF + XMP": (lambda: webp_bytes(frames=3, exif=exif_tiff(), xmp=xmp_packet()),
                              {Category.LOCATION, Category.IDENTITY}),
    "unknown chunk": (lambda: webp_append(webp_bytes(exif=exif_tiff()), riff_chunk(b"ZZZZ", b"x")),
                      {Category.UNKNOWN, Category.LOCATION}),
    "unknown chunk in a frame": (lambda: _with_frame_junk(webp_bytes(frames=2)),
                                 {Category.UNKNOWN}),
    "trailer": (lambda: webp_bytes() + b"TRAILERSECRET" * 9, {Category.HIDDEN}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_planted_metadata_found_and_cleaned(case: str, tmp_path, witness) -> None:
    build, categories = CASES[case]
    data = build()
    before = inspect_bytes(tmp_path, "in.webp", data)
    assert before.error is None and before.problems == []
    assert categories <= {f.category for f in before.identifying()}
    out, after = check_round_trip(tmp_path, "in.webp", data, witness,
                                  ALL_PLANTED + ["TRAILERSECRET"])
    assert ARTIST.encode() not in out and b"TRAILERSECRET" not in out
    kinds = [c for c, _ in riff_chunks(out)]
    assert not {b"EXIF", b"XMP ", b"ZZZZ"} & set(kinds)
    assert struct.unpack("<I", out[4:8])[0] == len(out) - 8
    if kinds[0] == b"VP8X":
        flags = riff_chunks(out)[0][1][0]
        assert not flags & (FLAG_EXIF | FLAG_XMP)
    assert after.properties["frames"] == before.properties["frames"]


def test_animation_frames_and_timing_survive(tmp_path) -> None:
    data = webp_bytes(frames=4, exif=exif_tiff(), xmp=xmp_packet())
    out, _ = strip_bytes(tmp_path, "a.webp", data)
    frames_in = [b for c, b in riff_chunks(data) if c in (b"ANIM", b"ANMF")]
    frames_out = [b for c, b in riff_chunks(out) if c in (b"ANIM", b"ANMF")]
    assert frames_in == frames_out and len(frames_out) == 5
    with Image.open(io.BytesIO(out)) as im:
        assert im.n_frames == 4 and im.info.get("loop") == 0


def test_file_without_metadata_is_copied_byte_for_byte(tmp_path) -> None:
    data = webp_bytes(lossless=False)
    out, result = strip_bytes(tmp_path, "plain.webp", data)
    assert out == data and result.removed == []


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_orientation_survives_as_minimal_exif(orientation: int, tmp_path, witness) -> None:
    data = webp_bytes(exif=exif_tiff(orientation=orientation), xmp=xmp_packet())
    assert inspect_bytes(tmp_path, "o.webp", data).properties["orientation"] == orientation
    out, after = check_round_trip(tmp_path, "o.webp", data, witness, ALL_PLANTED)
    assert after.properties["orientation"] == orientation
    chunks = riff_chunks(out)
    assert chunks[0][1][0] & FLAG_EXIF and not chunks[0][1][0] & FLAG_XMP
    assert [len(b) for c, b in chunks if c == b"EXIF"][0] < 40
    meta = witness.tags(tmp_path / "clean-o.webp")
    assert [k for k in meta if k.startswith("IFD0:")] == ["IFD0:Orientation"]


def test_xmp_orientation_alone_is_carried_over(tmp_path, witness) -> None:
    data = webp_bytes(xmp=xmp_packet(orientation=6))
    out, after = check_round_trip(tmp_path, "x.webp", data, witness, ALL_PLANTED)
    assert after.properties["orientation"] == 6


def _vp8x_without_image() -> bytes:
    return b"RIFF" + struct.pack("<I", 22) + b"WEBP" + riff_chunk(b"VP8X", bytes(10))


@pytest.mark.parametrize(
    ("name", "build", "words"),
    [
        ("truncated", lambda: webp_bytes()[:-40], "truncated"),
        ("RIFF size too big", lambda: webp_bytes()[:4] + b"\xff\xff\xff\x7f" + webp_bytes()[8:],
         "truncated"),
        ("chunk size past the end",
         lambda: (lambda d: d[:16] + b"\xff\xff\xff\x0f" + d[20:])(webp_bytes()), "past its end"),
        ("no image data", _vp8x_without_image, "no image"),
        ("odd first chunk", lambda: webp_append(b"RIFF\x04\x00\x00\x00WEBP",
                                                riff_chunk(b"EXIF", exif_tiff())), "unexpected"),
        ("header only", lambda: b"RIFF\x04\x00\x00\x00WEBP", "RIFF"),
    ],
)
def test_damaged_files_get_one_line_errors(name, build, words, tmp_path) -> None:
    report = inspect_bytes(tmp_path, "bad.webp", build())
    assert report.error is not None, name
    assert "\n" not in report.error and words in report.error


def test_many_tiny_chunks_are_bounded(tmp_path) -> None:
    data = webp_append(webp_bytes(), *([riff_chunk(b"ZZZZ", b"")] * 120_000))
    report = inspect_bytes(tmp_path, "many.webp", data)
    assert report.error is not None and "more than" in report.error


def test_damaged_variants_fail_cleanly(tmp_path) -> None:
    data = webp_bytes(frames=2, exif=exif_tiff(orientation=6), xmp=xmp_packet())
    assert mutation_failures(tmp_path, data) == []
