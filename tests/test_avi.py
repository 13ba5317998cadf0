"""AVI: INFO tags, camera strd data, vendor chunks: found, then neutralised in place."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from share_guard.core.containers import Source, detect
from share_guard.core.errors import CorruptFile, UnsupportedFormat
from share_guard.core.export.consent import ConsentAnswer
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.inspect import inspect
from share_guard.core.media import frames
from share_guard.core.report import Category
from tests.checks import clean_files, strip_to
from tests.video_fixtures import (
    decoded,
    digest,
    make_video,
    packets,
    plant_in_junk,
    riff_chunk,
    riff_chunks,
    riff_list,
)

ARTIST = "Jane Roe"
PLACE = "+48.8584+002.2945/"
TITLE = "Birthday at Grandmas"
CAMERA = "NIKON COOLPIX S3000"
STREAM_NAME = "jane_birthday_cam1"
IDIT = "SAT JUN 05 14:03:22 2021"
XMP_TOOL = "Nikon Transfer 2.1"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{XMP_TOOL}"/>'
    "</rdf:RDF></x:xmpmeta>"
).encode()
PLANTED = [ARTIST, PLACE, TITLE, CAMERA, STREAM_NAME, "2021", XMP_TOOL, "Lavf", "Nikon"]


def plant(path: Path) -> Path:
    data = path.read_bytes()
    info = riff_list(b"INFO", [
        riff_chunk(b"IART", ARTIST.encode() + b"\0"),
        riff_chunk(b"ICRD", b"2021-06-05\0"),
        riff_chunk(b"ICMT", PLACE.encode() + b"\0"),
        riff_chunk(b"INAM", TITLE.encode() + b"\0"),
    ])
    nikon = riff_list(b"vndr", [riff_chunk(b"make", b"Nikon Ver 1.00\0")])
    data = plant_in_junk(data, "AVI", info + riff_chunk(b"_PMX", XMP) + nikon)
    data = plant_in_junk(data, "AVI/hdrl", riff_chunk(b"IDIT", IDIT.encode() + b"\n\0"))
    strd = b"AVIF\0\0\0\0Exif\0\0" + CAMERA.encode() + b"\0"
    data = plant_in_junk(data, "AVI/hdrl/strl",
                         riff_chunk(b"strd", strd) + riff_chunk(b"strn", STREAM_NAME.encode()))
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module", params=["mjpeg", "mpeg4"])
def dirty(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("avi") / f"dirty_{request.param}.avi"
    make_video(path, container="avi", vcodec=request.param, acodec="pcm_s16le", frames=12)
    return plant(path)


def test_inspect_finds_every_planted_item(dirty: Path) -> None:
    report = inspect(dirty)
    assert report.format == "avi" and report.understood, report.error or report.problems
    found = {(f.category, f.value) for f in report.findings}
    assert {
        (Category.IDENTITY, ARTIST),
        (Category.LOCATION, PLACE),
        (Category.OTHER, TITLE),
        (Category.TIME, "2021-06-05"),
        (Category.TIME, IDIT),
        (Category.OTHER, STREAM_NAME),
    } <= found
    names = {f.name for f in report.findings}
    assert {"strd (camera data)", "XMP", "chunk LIST vndr"} <= names
    assert any("Lavf" in f.value for f in report.findings if f.category is Category.DEVICE)
    p = report.properties
    assert (p["width"], p["height"], p["frame_count"], p["has_audio"]) == (64, 48, 12, True)


def test_clean_round_trip(dirty: Path, tmp_path: Path, witness) -> None:
    before = digest(dirty)
    out = tmp_path / "clean.avi"
    result = strip_to(dirty, out)
    assert digest(dirty) == before
    assert {"INFO tags", "camera data (strd)", "stream names", "dates"} <= set(result.removed)
    assert out.stat().st_size == dirty.stat().st_size

    after = inspect(out)
    assert after.understood and not after.identifying(), after.identifying()
    # every chunk that was neutralised is now JUNK with a zeroed payload
    chunks = riff_chunks(out.read_bytes())
    kinds = {fourcc for _, fourcc, _, _ in chunks}
    assert not kinds & {b"strd", b"strn", b"IDIT", b"_PMX", b"IART"}
    data = out.read_bytes()
    for _, fourcc, off, size in chunks:
        if fourcc == b"JUNK":
            assert not any(data[off + 8 : off + 8 + size])

    text = witness.text(out)
    for value in PLANTED:
        assert value not in text, f"{witness.name} still sees {value!r}"
    tags = witness.tags(out)
    assert not [k for k in tags if k.startswith(("RIFF:Date", "XMP", "RIFF:Software"))]

    assert decoded(out) == decoded(dirty)
    assert [p for p in packets(out) if p[0] == "audio"] == [
        p for p in packets(dirty) if p[0] == "audio"]
    assert frames.video_info(out).has_audio
    assert sum(1 for kind, _, _ in packets(out) if kind == "audio") > 0


def test_export_pipeline(dirty: Path, tmp_path: Path) -> None:
    yes = lambda req: ConsentAnswer(True, confirmed=req.confirmations, via="dialog")  # noqa: E731
    [res] = clean_files([dirty], ExportOptions(output_dir=tmp_path), consent=yes)
    assert res.ok, res.reason


def _avi(body: bytes, kind: bytes = b"AVI ") -> bytes:
    return b"RIFF" + struct.pack("<I", len(body) + 4) + kind + body


HDRL = riff_list(b"hdrl", [riff_chunk(b"avih", bytes(56))])


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("truncated", _avi(HDRL + riff_list(b"movi", [riff_chunk(b"00dc", b"x" * 40)]))[:-20],
         CorruptFile),
        ("absurd riff size", b"RIFF\xff\xff\xff\x7fAVI " + HDRL, CorruptFile),
        ("child larger than list", _avi(b"LIST\x40\x00\x00\x00hdrlavih\x38\x00\x00\x00"),
         CorruptFile),
        ("short main header", _avi(riff_list(b"hdrl", [riff_chunk(b"avih", bytes(8))])),
         CorruptFile),
        ("extension first", _avi(HDRL, b"AVIX"), UnsupportedFormat),
    ],
)
def test_corrupt_input_is_a_one_line_error(name: str, data: bytes, error: type,
                                           tmp_path: Path) -> None:
    path = tmp_path / "bad.avi"
    path.write_bytes(data)
    report = inspect(path)
    assert report.error and "\n" not in report.error and len(report.error) < 200
    if error is not UnsupportedFormat:
        src = Source(path)
        with pytest.raises(error):
            detect(src.head).inspect(src)


def test_trailing_garbage_is_zeroed(tmp_path: Path) -> None:
    """Players stop at the end of the RIFF: what follows is zeroed, not copied or refused."""
    path = tmp_path / "tail.avi"
    path.write_bytes(_avi(HDRL) + riff_chunk(b"ABCD", b"secret data after it"))
    report = inspect(path)
    assert report.understood and any("secret data" in f.value for f in report.findings)
    out = tmp_path / "o.avi"
    strip_to(path, out)
    assert b"secret" not in out.read_bytes() and out.stat().st_size == path.stat().st_size
    detect(out.read_bytes()[:16]).account(Source(out)).close()


def test_many_chunks_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from share_guard.core.containers import avi_walk

    monkeypatch.setattr(avi_walk, "MAX_CHUNKS", 50)
    path = tmp_path / "many.avi"
    path.write_bytes(_avi(HDRL + b"".join(riff_chunk(b"JUNK", b"") for _ in range(100))))
    assert "too many" in (inspect(path).error or "")
