"""MP4/MOV/3GP/M4V: inspect finds what was planted, clean removes it losslessly, bad input is
bounded. Fixtures are encoded with PyAV and planted by tests/bmff_fixtures.py."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import time
from pathlib import Path

import bmff_fixtures as fx
import pytest
from checks import export_consented, strip_to
from hypothesis import given, settings
from hypothesis import strategies as st
from video_fixtures import frame_md5s

from share_guard.core.containers.inplace import Plan, write_plan
from share_guard.core.errors import ExportRefused, ShareGuardError
from share_guard.core.inspect import inspect
from share_guard.core.metadata.iso6709 import parse_iso6709
from share_guard.core.report import Category

FULL = fx.Plant(udta=fx.udta_atoms(), moov_boxes=[fx.apple_keys()], xmp=True, telemetry=True,
                times=True, rotate90=True)

FRAGMENTED = fx.Plant(udta=fx.udta_atoms(), moov_boxes=[fx.apple_keys()], xmp=True, times=True,
                      rotate90=True)

# name, PyAV format, faststart, what to plant, handler, expected (category, text in value/name)
CASES = {
    "mp4": ("mp4", False, FULL, "mp4"),
    "mp4-faststart": ("mp4", True, FULL, "mp4"),
    "mov": ("mov", False, FULL, "mov"),
    "3gp": ("3gp", False, fx.Plant(udta=fx.three_gpp_atoms(), times=True), "3gp"),
    "m4v": ("ipod", False, fx.Plant(udta=[fx.cover_meta()]), "m4v"),
    "mp4-fragmented": ("mp4", False, FRAGMENTED, "mp4"),
}
FULL_EXPECT = [
    (Category.LOCATION, "43.46700, 11.88500"), (Category.LOCATION, "48.85830, 2.29450"),
    (Category.DEVICE, fx.MAKE), (Category.DEVICE, fx.MODEL), (Category.DEVICE, fx.SOFTWARE),
    (Category.TIME, fx.DAY), (Category.DEVICE, fx.KEYS_MAKE), (Category.DEVICE, fx.KEYS_MODEL),
    (Category.TIME, fx.KEYS_DATE), (Category.TIME, "2024-05-01 12:00:00 UTC"),
    (Category.IDENTITY, fx.XMP_CREATOR), (Category.LOCATION, "43,28.02N"),
    (Category.HIDDEN, "Timed metadata track"),
    (Category.KEPT, "Rotation"),
]
EXPECT = {
    "mp4": FULL_EXPECT, "mp4-faststart": FULL_EXPECT, "mov": FULL_EXPECT,
    "3gp": [(Category.LOCATION, fx.LOCI_NAME), (Category.LOCATION, "43.46700, 11.88499"),
            (Category.IDENTITY, fx.AUTHOR_3GP), (Category.TIME, "2024-05-01 12:00:00 UTC")],
    "m4v": [(Category.HIDDEN, "Cover art"), (Category.OTHER, fx.COVER_TITLE),
            (Category.DEVICE, "Lavf")],
    "mp4-fragmented": [e for e in FULL_EXPECT if "track" not in e[1]],
}
PLANTED = {
    "mp4": fx.PLANTED_MOVIE, "mp4-faststart": fx.PLANTED_MOVIE, "mov": fx.PLANTED_MOVIE,
    "3gp": [fx.LOCI_NAME, fx.AUTHOR_3GP, "2024:05:01"],
    "m4v": [fx.COVER_TITLE, "Lavf"],
    "mp4-fragmented": [v for v in fx.PLANTED_MOVIE if "Telemetry" not in v],
}


@pytest.fixture(scope="module")
def movies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("movies")
    return {name: fx.movie(tmp, f"{name}.{fmt}", fmt=fmt, faststart=fast, spec=spec,
                           fragmented="fragmented" in name)
            for name, (fmt, fast, spec, _h) in CASES.items()}


def packets(path: Path) -> list[tuple[str, int | None, int | None, bytes]]:
    import av

    with av.open(str(path)) as c:
        streams = [s for s in c.streams if s.type in ("video", "audio")
                   and s.codec_context is not None and s.codec_context.name in ("h264", "aac")]
        return [(p.stream.type, p.pts, p.dts, bytes(p)) for p in c.demux(streams) if p.size]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", list(CASES))
def test_inspect_finds_every_planted_item(movies: dict[str, Path], name: str) -> None:
    report = inspect(movies[name])
    assert report.error is None and report.problems == []
    assert report.format == CASES[name][3]
    for category, text in EXPECT[name]:
        assert any(f.category is category and (text in f.value or text in f.name)
                   for f in report.findings), (category, text)
    assert report.properties["has_audio"] is True


@pytest.mark.exiftool
@pytest.mark.parametrize("name", list(CASES))
def test_clean_is_lossless_and_leaves_nothing(movies: dict[str, Path], name: str, tmp_path: Path,
                                              witness) -> None:
    original = movies[name]
    before = sha(original)
    before_dump = witness.text(original)
    out = export_consented(original, tmp_path)

    assert sha(original) == before, "the original must never be written"
    again = inspect(out)
    assert again.error is None and again.problems == []
    assert again.identifying() == [], [f.name for f in again.identifying()]
    fields = witness.tags(out)
    fingerprints = ("CompressorName", "VendorID", "HandlerDescription", "Encoder")
    assert not [k for k, v in fields.items() if k.endswith(fingerprints) and str(v).strip()]
    dump = witness.text(out)
    raw = out.read_bytes()
    for value in PLANTED[name]:
        assert value in before_dump or value.encode() in original.read_bytes(), value
        assert value not in dump, f"{witness.name} still reads {value!r}"
        assert value.encode() not in raw, f"{value!r} is still in the bytes"
    assert frame_md5s(out) == frame_md5s(original)
    assert again.properties["has_audio"] is True
    assert again.properties["rotation"] == inspect(original).properties["rotation"]
    if name in ("mp4", "mov", "mp4-fragmented"):
        assert witness.tags(out)["Composite:Rotation"] == 90


def test_clean_twice_is_stable(movies: dict[str, Path], tmp_path: Path) -> None:
    once, twice = tmp_path / "1.mp4", tmp_path / "2.mp4"
    strip_to(movies["mp4"], once)
    strip_to(once, twice)
    assert once.read_bytes() == twice.read_bytes()


def test_data_track_samples_are_zeroed(movies: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    strip_to(movies["mp4-faststart"], out)
    assert fx.TELEMETRY.encode() in movies["mp4-faststart"].read_bytes()
    assert fx.TELEMETRY.encode() not in out.read_bytes()
    assert out.stat().st_size == movies["mp4-faststart"].stat().st_size  # neutralised in place


def test_quicktime_without_ftyp_is_sniffed_as_mov(movies: dict[str, Path], tmp_path: Path) -> None:
    data = movies["mov"].read_bytes()
    size = struct.unpack(">I", data[:4])[0]
    path = tmp_path / "noftyp.mov"
    path.write_bytes(struct.pack(">I4s", size, b"free") + bytes(size - 8) + data[size:])
    report = inspect(path)
    assert report.format == "mov" and report.problems == []
    assert any(f.category is Category.LOCATION for f in report.findings)


def test_unknown_top_level_box_is_refused(movies: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    path.write_bytes(movies["3gp"].read_bytes() + fx.box(b"zzzz", b"secret payload"))
    report = inspect(path)
    assert any("zzzz" in p for p in report.problems)
    assert any(f.category is Category.UNKNOWN for f in report.findings)
    with pytest.raises(ExportRefused):
        strip_to(path, tmp_path / "out.mp4")


def test_trailer_after_last_box_is_dropped(movies: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "trail.mp4"
    original = movies["3gp"].read_bytes()
    path.write_bytes(original + b"\x01\x02\x03\x04\xff\xfeTRAILER-SECRET")
    report = inspect(path)
    assert any(f.where == "trailer" and f.identifying for f in report.findings)
    strip_to(path, tmp_path / "o.mp4")
    assert len((tmp_path / "o.mp4").read_bytes()) == len(original)
    # appended text whose first bytes read as a header of no known box (the red team's
    # trailer): data after the last box, removed like any other
    path.write_bytes(original + b"\x01\x02TRAILER-SECRET")
    assert inspect(path).error is None
    strip_to(path, tmp_path / "o.mp4")
    assert b"SECRET" not in (tmp_path / "o.mp4").read_bytes()
    # a known box running past the end: a truncated file, refused
    path.write_bytes(original + b"\x00\x01\x00\x00mdatSECRET")
    assert "claims" in (inspect(path).error or "")


def _bad(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "bad.mp4"
    path.write_bytes(data)
    t0 = time.perf_counter()
    report = inspect(path)
    assert time.perf_counter() - t0 < 2
    assert report.error is not None
    assert "\n" not in report.error
    return report.error


FTYP = fx.box(b"ftyp", b"isom\0\0\0\0isommp41")


def test_box_claiming_2gb_in_a_small_file(tmp_path: Path) -> None:
    error = _bad(tmp_path, FTYP + struct.pack(">I4s", 2**31, b"moov") + bytes(1000))
    assert "claims" in error


def test_64bit_size_past_the_end(tmp_path: Path) -> None:
    error = _bad(tmp_path, FTYP + struct.pack(">I4sQ", 1, b"mdat", 2**62) + bytes(64))
    assert "claims" in error


def test_truncated_movie(movies: dict[str, Path], tmp_path: Path) -> None:
    data = movies["mp4"].read_bytes()
    moov = data.index(b"moov") - 4
    error = _bad(tmp_path, data[: moov + 300])
    assert "claims" in error or "cut short" in error


def test_deep_nesting_is_bounded(tmp_path: Path) -> None:
    inner = b""
    for _ in range(200):
        inner = fx.box(b"trak", inner)
    error = _bad(tmp_path, FTYP + fx.box(b"moov", inner))
    assert "nested too deeply" in error


def test_impossible_child_size(tmp_path: Path) -> None:
    moov = fx.box(b"moov", struct.pack(">I4s", 4, b"mvhd") + bytes(8))
    assert "impossible size" in _bad(tmp_path, FTYP + moov)


def test_mutated_movies_never_crash(movies: dict[str, Path], tmp_path: Path) -> None:
    """Random corruption: every result is a report (maybe with an error), never a traceback."""
    data = movies["mp4"].read_bytes()
    moov = data.index(b"moov") - 4
    rng = random.Random(1234)
    path = tmp_path / "m.mp4"
    for i in range(150):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            buf[rng.randrange(moov, len(buf))] = rng.randrange(256)
        if i % 5 == 0:
            buf = buf[: rng.randrange(moov, len(buf))]
        path.write_bytes(bytes(buf))
        report = inspect(path)
        if report.error is None and not report.problems:
            try:
                strip_to(path, tmp_path / "o.mp4")
            except ShareGuardError:
                pass


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=300),
    zeros=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60)), max_size=6),
    patches=st.lists(st.tuples(st.integers(0, 300), st.binary(min_size=1, max_size=9)),
                     max_size=6),
    chunk=st.integers(1, 64),
)
def test_streamed_plan_matches_a_plain_edit(data: bytes, zeros: list, patches: list,
                                            chunk: int) -> None:
    plan = Plan(end=len(data))
    for a, n in zeros:
        plan.zero_range(a, a + n)
    for off, blob in patches:
        plan.patch(off, blob)
    expect = bytearray(data)
    for a, b in plan.zero:
        expect[a:b] = bytes(len(expect[a:b]))
    for off, blob in sorted(plan.patches):
        end = min(off + len(blob), len(data))
        if off < end:
            expect[off:end] = blob[: end - off]
    out = io.BytesIO()
    write_plan(io.BytesIO(data), out, plan, chunk=chunk)
    assert out.getvalue() == bytes(expect)


@pytest.mark.parametrize("text, lat, lon, alt", [
    ("+43.4670+011.8850+100/", 43.467, 11.885, 100.0),
    ("+4328.02+01153.10/", 43.467, 11.885, None),
    ("-332752.8+1511235.7CRSWGS_84/", -33.4647, 151.2099, None),
    ("+37.3318-122.0312+024.123/", 37.3318, -122.0312, 24.123),
])
def test_iso6709(text: str, lat: float, lon: float, alt: float | None) -> None:
    point = parse_iso6709(text)
    assert point is not None
    assert point.latitude == pytest.approx(lat, abs=1e-4)
    assert point.longitude == pytest.approx(lon, abs=1e-4)
    assert point.altitude == alt


@pytest.mark.parametrize("text", ["", "junk", "+91.0+000.0/", "+10.0+181.0/", "43.4+11.8/"])
def test_iso6709_rejects(text: str) -> None:
    assert parse_iso6709(text) is None


def test_data_track_beside_a_fragmented_movie_is_removed(tmp_path: Path) -> None:
    path = fx.movie(tmp_path, "f.mp4", spec=fx.Plant(telemetry=True), fragmented=True)
    report = inspect(path)
    assert report.problems == []
    assert any(f.name.startswith("Timed metadata track") for f in report.findings)
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")
    assert fx.TELEMETRY.encode() not in out.read_bytes()
    assert frame_md5s(out) == frame_md5s(path)


def test_producer_reference_time_is_removed(movies: dict[str, Path], tmp_path: Path) -> None:
    prft = fx.full(b"prft", 1, 0, struct.pack(">IQQ", 1, 0xE8F0A1B2C3D4E5F6, 12345))
    path = tmp_path / "prft.mp4"
    path.write_bytes(movies["3gp"].read_bytes() + prft)
    assert any(f.name == "Producer reference time" for f in inspect(path).findings)
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")
    assert b"prft" not in out.read_bytes() and b"\xe8\xf0\xa1\xb2" not in out.read_bytes()


def test_thousands_of_tiny_items_are_summed_up(tmp_path: Path) -> None:
    atoms = [fx.box(b"\xa9cmt", fx.qt_text(f"note {i}")) for i in range(1000)]
    path = fx.movie(tmp_path, "many.mov", fmt="mov", spec=fx.Plant(udta=atoms))
    report = inspect(path)
    assert report.error is None and not report.problems
    assert len(report.findings) <= 20  # the 1,000 comments are one finding with a count
    [notes] = [f for f in report.findings if f.detail.get("repeated") == 1000]
    assert notes.value.startswith("1,000 values: note 0, note 1, note 2")
    (tmp_path / "out").mkdir()
    assert b"note 999" not in export_consented(path, tmp_path / "out").read_bytes()


@pytest.mark.parametrize("handler, entry, category, name", [
    (b"meta", b"gpmd", Category.LOCATION, "GoPro telemetry"),
    (b"camm", b"camm", Category.LOCATION, "Camera motion metadata"),
    (b"meta", b"mebx", Category.HIDDEN, "Apple timed metadata"),
    (b"meta", b"rtmd", Category.HIDDEN, "Sony real-time metadata"),
    (b"tmcd", b"tmcd", Category.TIME, "Timecode track"),
    (b"sbtl", b"tx3g", Category.HIDDEN, "Subtitle track"),
    (b"text", b"text", Category.HIDDEN, "Text track"),
    (b"vide", b"gpmd", Category.LOCATION, "GoPro telemetry"),
])
def test_data_tracks_are_found_and_dropped(tmp_path: Path, handler: bytes, entry: bytes,
                                           category: Category, name: str) -> None:
    path = fx.movie(tmp_path, "d.mp4", spec=fx.Plant(telemetry=True, data_kind=(handler, entry)))
    report = inspect(path)
    assert any(f.category is category and name in f.name for f in report.findings)
    assert report.properties["tracks"] == ["vide", "soun"]
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")
    assert fx.TELEMETRY.encode() not in out.read_bytes()
    # a telemetry track under a video handler is a stream ffmpeg cannot decode: first video
    assert frame_md5s(out, ("0:v:0", "0:a")) == frame_md5s(path, ("0:v:0", "0:a"))


def test_quicktime_preview_is_removed(movies: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "pnot.mov"
    pnot = fx.box(b"pnot", struct.pack(">IHH", 0, 0, 0) + b"PICT" + struct.pack(">H", 1))
    path.write_bytes(movies["3gp"].read_bytes() + pnot + fx.box(b"PICT", b"PREVIEW-PIXELS"))
    assert sum(f.name.startswith("Preview") for f in inspect(path).findings) == 2
    (tmp_path / "out").mkdir()
    assert b"PREVIEW-PIXELS" not in export_consented(path, tmp_path / "out").read_bytes()
