"""PNG/APNG: planted metadata is found, cleaned losslessly, and damaged files fail closed."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from share_guard.core.containers.png import walk_chunks
from share_guard.core.errors import ExportRefused
from share_guard.core.metadata.icc import neutral_profile
from share_guard.core.report import Category
from tests.image_fixtures import (
    ARTIST,
    COMMENT,
    SERIAL,
    SOFTWARE,
    XMP_CREATOR,
    apng_bytes,
    check_round_trip,
    exif_tiff,
    gradient,
    inspect_bytes,
    itxt_chunk,
    mutation_failures,
    png_bytes,
    png_chunk,
    png_chunks,
    png_insert,
    raw_profile_text,
    strip_bytes,
    text_chunk,
    time_chunk,
    xmp_packet,
    ztxt_chunk,
)

# name -> (build, categories inspect must find, planted strings the witness must not read after)
CASES = {
    "tEXt Author": (lambda: png_insert(png_bytes(), [text_chunk("Author", ARTIST)]),
                    {Category.IDENTITY}, [ARTIST]),
    "tEXt Software": (lambda: png_insert(png_bytes(), [text_chunk("Software", SOFTWARE)]),
                      {Category.DEVICE}, [SOFTWARE]),
    "tEXt Creation Time": (lambda: png_insert(png_bytes(), [text_chunk("Creation Time", "1999")]),
                           {Category.TIME}, []),
    "zTXt Comment": (lambda: png_insert(png_bytes(), [ztxt_chunk("Comment", COMMENT.encode())]),
                     {Category.HIDDEN}, [COMMENT]),
    "iTXt XMP with GPS": (
        lambda: png_insert(png_bytes(), [itxt_chunk("XML:com.adobe.xmp", xmp_packet(), True)]),
        {Category.LOCATION, Category.IDENTITY}, [XMP_CREATOR]),
    "eXIf with GPS": (lambda: png_insert(png_bytes(), [png_chunk(b"eXIf", exif_tiff())]),
                      {Category.LOCATION, Category.IDENTITY, Category.DEVICE, Category.TIME},
                      [ARTIST, SERIAL, SOFTWARE]),
    "raw EXIF profile": (
        lambda: png_insert(png_bytes(), [ztxt_chunk(
            "Raw profile type exif",
            raw_profile_text("exif", b"Exif\x00\x00" + exif_tiff()).encode())]),
        {Category.LOCATION, Category.IDENTITY}, [ARTIST, SERIAL]),
    "tIME": (lambda: png_insert(png_bytes(), [time_chunk()]), {Category.TIME}, ["2019:07:14"]),
    "unknown chunk": (lambda: png_insert(png_bytes(), [png_chunk(b"prVt", b"private xyz")]),
                      {Category.UNKNOWN}, []),
    "C2PA chunk": (lambda: png_insert(png_bytes(), [png_chunk(b"caBX", b"jumbf" * 8)]),
                   {Category.IDENTITY}, []),
    "trailer": (lambda: png_bytes() + b"TRAILERSECRET" * 20, {Category.HIDDEN}, ["TRAILERSECRET"]),
    "APNG with text": (lambda: png_insert(apng_bytes(), [text_chunk("Author", ARTIST)]),
                       {Category.IDENTITY}, [ARTIST]),
    "chunk after image data": (
        lambda: png_insert(png_bytes(), after_idat=[text_chunk("Comment", COMMENT)]),
        {Category.HIDDEN}, [COMMENT]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_planted_metadata_found_and_cleaned(case: str, tmp_path, witness) -> None:
    build, categories, planted = CASES[case]
    data = build()
    before = inspect_bytes(tmp_path, "in.png", data)
    assert before.error is None and before.problems == []
    found = {f.category for f in before.identifying()}
    assert categories <= found, (case, found)
    out, after = check_round_trip(tmp_path, "in.png", data, witness, planted)
    kinds = [t for t, _ in png_chunks(out)]
    assert not {b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf", b"prVt", b"caBX"} & set(kinds)
    assert out.endswith(png_chunk(b"IEND", b""))
    assert after.properties.get("frames") == before.properties.get("frames")


def test_apng_keeps_every_frame_chunk(tmp_path) -> None:
    data = png_insert(apng_bytes(4), [text_chunk("Author", ARTIST)])
    out, _ = strip_bytes(tmp_path, "a.png", data)
    anim = [(t, b) for t, b in png_chunks(data) if t in (b"acTL", b"fcTL", b"fdAT", b"IDAT")]
    assert anim == [(t, b) for t, b in png_chunks(out) if t in (b"acTL", b"fcTL", b"fdAT", b"IDAT")]
    assert Image.open(io.BytesIO(out)).n_frames == 4


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_colour_and_structure_chunks_are_kept_from_their_fields(tmp_path) -> None:
    base = png_bytes(gradient().convert("P"), icc_profile=_srgb_icc(), transparency=3, dpi=(300, 300))
    extra = [png_chunk(b"gAMA", struct.pack(">I", 45455)), png_chunk(b"bKGD", b"\x01"),
             png_chunk(b"cHRM", bytes(32)), png_chunk(b"sBIT", b"\x08\x08\x08")]
    data = png_insert(base, extra + [text_chunk("Author", ARTIST)])
    report = inspect_bytes(tmp_path, "c.png", data)
    kept = [f for f in report.findings if f.category is Category.KEPT]
    assert kept and not kept[0].identifying and "ICC profile" in kept[0].value
    out, result = strip_bytes(tmp_path, "c.png", data)
    rewritten = (b"tEXt", b"iCCP", b"PLTE", b"tRNS")  # profile made neutral, unused colours
    want = [c for c in png_chunks(data) if c[0] not in rewritten]
    assert [c for c in png_chunks(out) if c[0] not in rewritten] == want
    assert [t for t, _ in png_chunks(out)] == [t for t, _ in png_chunks(data) if t != b"tEXt"]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(out)).convert("RGBA")),
                          np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")))
    [iccp] = [b for t, b in png_chunks(out) if t == b"iCCP"]
    assert iccp.startswith(b"ICC profile\x00\x00")  # a neutral name, the colour data kept
    assert zlib.decompress(iccp[13:]) == neutral_profile(_srgb_icc())
    assert any("iCCP" in k for k in result.kept)


@pytest.mark.parametrize(
    ("name", "chunks", "orientation"),
    [
        ("eXIf", [png_chunk(b"eXIf", exif_tiff(orientation=6))], 6),
        ("XMP only", [itxt_chunk("XML:com.adobe.xmp", xmp_packet(orientation=8))], 8),
        ("raw profile", [ztxt_chunk("Raw profile type exif", raw_profile_text(
            "exif", b"Exif\x00\x00" + exif_tiff(orientation=3)).encode())], 3),
        ("eXIf wins over XMP", [png_chunk(b"eXIf", exif_tiff(orientation=5)),
                                itxt_chunk("XML:com.adobe.xmp", xmp_packet(orientation=8))], 5),
        ("normal", [png_chunk(b"eXIf", exif_tiff(orientation=1))], 1),
    ],
)
def test_orientation_survives_as_minimal_exif(name, chunks, orientation, tmp_path,
                                              witness) -> None:
    data = png_insert(png_bytes(), chunks)
    assert inspect_bytes(tmp_path, "o.png", data).properties["orientation"] == orientation
    out, after = check_round_trip(tmp_path, "o.png", data, witness, [ARTIST, SERIAL])
    assert after.properties["orientation"] == orientation
    exifs = [b for t, b in png_chunks(out) if t == b"eXIf"]
    if orientation == 1:
        assert exifs == []
    else:
        assert len(exifs) == 1 and len(exifs[0]) < 40
        meta = witness.tags(tmp_path / "clean-o.png")
        assert [k for k in meta if k.startswith("IFD0:")] == ["IFD0:Orientation"]


def test_bad_crc_on_critical_chunk_is_refused(tmp_path) -> None:
    data = bytearray(png_bytes())
    chunks = walk_chunks(bytes(data)).chunks
    idat = next(c for c in chunks if c.type == b"IDAT")
    data[idat.end - 1] ^= 0xFF
    report = inspect_bytes(tmp_path, "crc.png", bytes(data))
    assert report.error is None
    assert report.problems and "checksum" in report.problems[0]
    with pytest.raises(ExportRefused):
        strip_bytes(tmp_path, "crc.png", bytes(data))


def test_bad_crc_on_ancillary_chunk_is_dropped(tmp_path) -> None:
    data = png_insert(png_bytes(), [png_chunk(b"tEXt", b"Author\x00" + ARTIST.encode(), crc=1)])
    report = inspect_bytes(tmp_path, "a.png", data)
    assert report.problems == [] and report.by_category(Category.IDENTITY)
    out, result = strip_bytes(tmp_path, "a.png", data)
    assert ARTIST.encode() not in out and "damaged tEXt chunk" in result.removed


def test_unknown_critical_chunk_is_a_problem(tmp_path) -> None:
    data = png_insert(png_bytes(), [png_chunk(b"ZZZZ", b"must understand")])
    report = inspect_bytes(tmp_path, "u.png", data)
    assert report.problems and "critical" in report.problems[0]
    with pytest.raises(ExportRefused):
        strip_bytes(tmp_path, "u.png", data)


def test_compressed_text_bomb_is_bounded(tmp_path) -> None:
    bomb = zlib.compress(bytes(24 * 1024 * 1024), 1)  # 24 MB of text from ~24 KB
    chunk = png_chunk(b"zTXt", b"Comment\x00\x00" + bomb)
    data = png_insert(png_bytes(), [chunk] * 8)
    start = time.perf_counter()
    report = inspect_bytes(tmp_path, "bomb.png", data)
    assert time.perf_counter() - start < 3
    assert any("only the first" in f.value or "too much" in f.value for f in report.findings)
    assert report.error is None and report.by_category(Category.HIDDEN)
    out, _ = strip_bytes(tmp_path, "bomb.png", data)
    assert b"zTXt" not in out


@pytest.mark.parametrize(
    ("name", "mutate", "words"),
    [
        ("truncated", lambda d: d[: len(d) // 2], "truncated"),
        ("no IEND", lambda d: d[:-12], "truncated"),
        ("huge length", lambda d: d[:33] + b"\xff\xff\xff\xf0IDAT" + d[41:], "truncated"),
        ("bad chunk type", lambda d: d[:37] + b"\x00\x01\x02\x03" + d[41:], "invalid chunk"),
        ("no IHDR", lambda d: d[:8] + d[33:], "IHDR"),
        ("signature only", lambda d: d[:8], "truncated"),
        ("empty", lambda d: b"", "empty"),
    ],
)
def test_damaged_files_get_one_line_errors(name, mutate, words, tmp_path) -> None:
    report = inspect_bytes(tmp_path, "bad.png", mutate(png_bytes()))
    assert report.error is not None, name
    assert "\n" not in report.error and words in report.error


def test_wrong_extension_is_sniffed_as_png(tmp_path) -> None:
    report = inspect_bytes(tmp_path, "photo.jpg", png_insert(png_bytes(), [time_chunk()]))
    assert report.format == "png" and report.by_category(Category.TIME)


def test_damaged_variants_fail_cleanly(tmp_path) -> None:
    data = png_insert(apng_bytes(2), [text_chunk("Author", ARTIST),
                                      png_chunk(b"eXIf", exif_tiff(orientation=6)),
                                      itxt_chunk("XML:com.adobe.xmp", xmp_packet(), True)])
    assert mutation_failures(tmp_path, data) == []


@pytest.mark.parametrize("hidden", [b"", b"AFTERSTREAMQ7" * 4])
def test_each_image_stream_is_inflated_once_per_content(tmp_path, monkeypatch, hidden) -> None:
    """Its findings, its clean, the copy's findings and the copy's byte proof read the same
    stream: inflated once; a copy whose stream was cut is a new content, inflated again."""
    from share_guard.core.containers import png_stream
    from share_guard.core.containers.content_memo import forget_all
    from tests.checks import export_consented

    forget_all()  # (this process remembers streams of other tests: same gradient, same data)

    chunks = png_chunks(png_bytes())
    data = b"\x89PNG\r\n\x1a\n" + b"".join(
        png_chunk(t, b + hidden if t == b"IDAT" else b) for t, b in chunks)
    src = tmp_path / "in.png"
    src.write_bytes(data)
    seen: list[int] = []
    real = png_stream._examine

    def counting(stream: bytes, expected: int) -> png_stream.StreamInfo:
        seen.append(len(stream))
        return real(stream, expected)

    monkeypatch.setattr(png_stream, "_examine", counting)
    (tmp_path / "out").mkdir()
    out = export_consented(src, tmp_path / "out").read_bytes()
    idat = b"".join(b for t, b in png_chunks(data) if t == b"IDAT")
    kept = b"".join(b for t, b in png_chunks(out) if t == b"IDAT")
    assert kept == idat[: len(idat) - len(hidden)]  # the hidden bytes are cut
    assert seen == ([len(idat)] if not hidden else [len(idat), len(kept)])
    assert np.array_equal(np.asarray(Image.open(src)), np.asarray(Image.open(io.BytesIO(out))))
