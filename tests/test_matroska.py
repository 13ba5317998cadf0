"""Matroska / WebM: inspect finds every planted item, cleaning removes them losslessly."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest

from share_guard.core.containers import Source, detect
from share_guard.core.containers._ebml import (
    ID_CRC32,
    ID_SEGMENT,
    EbmlFile,
    parse_children,
)
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.export.consent import ConsentAnswer
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.inspect import inspect
from share_guard.core.media import frames
from share_guard.core.report import Category
from tests.checks import clean_files, export_consented, strip_to
from tests.video_fixtures import (
    decoded,
    digest,
    ebml,
    ebml_header,
    make_video,
    packets,
    tiny_jpeg,
)

TITLE = "Holiday at Grandma's"
WHEN = "2021-06-05T14:03:22.000000Z"
PLACE = "+48.8584+002.2945/"
ARTIST = "Jane Roe"
TRACK = "Janes phone cam"
CHAPTER = "Arrival at 12 Oak Street"
META = {"title": TITLE, "creation_time": WHEN, "location": PLACE, "artist": ARTIST}

CASES = {
    "mkv": dict(container="matroska", vcodec="libx264", acodec="aac",
                attachment=("cover.jpg", "image/jpeg", None), chapters=[(0.0, 0.5, CHAPTER)]),
    "webm": dict(container="webm", vcodec="libvpx-vp9", acodec="libopus"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def dirty(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    kind = request.param
    opts = dict(CASES[kind])
    if opts.get("attachment"):
        name, mime, _ = opts["attachment"]
        opts["attachment"] = (name, mime, tiny_jpeg())
    path = tmp_path_factory.mktemp(kind) / f"dirty.{kind}"
    return make_video(path, metadata=META, stream_metadata={"title": TRACK}, rotation=90,
                      frames=12, **opts)


def test_detect_by_doctype(dirty: Path) -> None:
    assert detect(dirty.read_bytes()[:4096]).name == dirty.suffix[1:]


def test_inspect_finds_every_planted_item(dirty: Path) -> None:
    report = inspect(dirty)
    assert report.ok and report.understood, report.error or report.problems
    got = {(f.category, f.value) for f in report.findings}
    expected = {
        (Category.OTHER, TITLE),
        (Category.TIME, "2021-06-05T14:03:22+00:00"),
        (Category.LOCATION, PLACE),
        (Category.IDENTITY, ARTIST),
        (Category.OTHER, TRACK),
    }
    if dirty.suffix == ".mkv":
        expected |= {(Category.OTHER, CHAPTER)}
        assert any(f.category is Category.HIDDEN and "cover.jpg" in f.name
                   for f in report.findings)
    assert expected <= got
    apps = {f.name for f in report.findings if f.category is Category.DEVICE}
    assert {"MuxingApp", "WritingApp", "ENCODER"} <= apps
    props = report.properties
    assert (props["width"], props["height"], props["rotation"]) == (64, 48, 90)
    assert props["has_audio"] and 1.0 <= props["duration"] <= 1.5


def test_clean_round_trip(dirty: Path, tmp_path: Path, witness) -> None:
    before = digest(dirty)
    out = tmp_path / f"clean{dirty.suffix}"
    result = strip_to(dirty, out)
    assert digest(dirty) == before, "the original was written"
    assert {"title", "date", "tags", "muxing/writing application", "track names"} <= set(
        result.removed)
    assert out.stat().st_size == dirty.stat().st_size  # cleaned in place: nothing moves

    after = inspect(out)
    assert after.ok and after.understood
    assert not after.identifying(), [(f.name, f.value) for f in after.identifying()]

    text = witness.text(out)
    tags = witness.tags(out)
    for value in (TITLE, PLACE, ARTIST, TRACK, CHAPTER, "Lavf", "Lavc", "cover.jpg", "2021"):
        assert value not in text, f"{witness.name} still sees {value!r}"
    leftover = [k for k in tags if k.split(":")[0] not in ("System", "ExifTool", "File")
                and any(w in k for w in ("Date", "Encoder", "Title", "Attached"))]
    assert not leftover, leftover
    assert not tags.get("Matroska:MuxingApp") and not tags.get("Matroska:WritingApp")

    assert decoded(out) == decoded(dirty), "decoded frames or audio changed"
    audio = [p for p in packets(dirty) if p[0] == "audio"]
    clean_audio = [p for p in packets(out) if p[0] == "audio"]
    # only libavcodec's banner in the fill element opening the first AAC frame changes
    # (Opus and Vorbis packets carry none)
    assert clean_audio[1:] == audio[1:], "audio packets changed"
    assert b"Lavc" not in clean_audio[0][2] and len(clean_audio[0][2]) == len(audio[0][2])
    assert (clean_audio[0] == audio[0]) == (b"Lavc" not in audio[0][2])
    info = frames.video_info(out)
    assert info.has_audio and info.rotation == 90
    assert any(kind == "audio" for kind, _, _ in packets(out))


def _crc_ok(data: bytes, start: int, end: int) -> bool:
    kids = parse_children(data, start, end)
    if kids and kids[0].id == ID_CRC32:
        stored = int.from_bytes(data[kids[0].data_offset : kids[0].end], "little")
        return stored == zlib.crc32(data[kids[0].end : end]) & 0xFFFFFFFF
    return True


def _cluster_crcs(data: bytes) -> int:
    f = EbmlFile(io.BytesIO(data), len(data))
    seg = f.element_at(f.element_at(0, len(data)).end, len(data))
    return sum(kid.id == ID_CRC32 for el in f.level1(seg) if el.id == 0x1F43B675
               for kid in parse_children(data, el.data_offset, el.end))


def test_cluster_crcs_become_void_and_the_copy_verifies(tmp_path: Path) -> None:
    """A CRC-32 in a cluster would have to be recomputed over every byte of the movie (and
    proved again): a clean copy turns them into Void, and the export's byte accounting
    accepts the copy."""
    src = make_video(tmp_path / "crc.mkv", metadata=META, frames=40)
    assert _cluster_crcs(src.read_bytes()) > 0  # libavformat writes one per cluster
    (tmp_path / "out").mkdir()
    output = export_consented(src, tmp_path / "out")
    assert _cluster_crcs(output.read_bytes()) == 0
    assert decoded(output) == decoded(src)


def test_crc_and_seekhead_stay_valid(tmp_path: Path) -> None:
    src = make_video(tmp_path / "crc.mkv", metadata=META, stream_metadata={"title": TRACK},
                     attachment=("a.jpg", "image/jpeg", tiny_jpeg()), frames=5)
    out = tmp_path / "out.mkv"
    strip_to(src, out)
    data = out.read_bytes()
    f = EbmlFile(io.BytesIO(data), len(data))
    seg = f.element_at(f.element_at(0, len(data)).end, len(data))
    assert seg.id == ID_SEGMENT
    level1 = {el.offset: el for el in f.level1(seg)}
    crcs = 0
    for el in level1.values():
        if el.id not in (0x1F43B675, 0xEC):
            assert _crc_ok(data, el.data_offset, el.end), f"bad CRC-32 in 0x{el.id:X}"
            crcs += el.id in (0x1549A966, 0x1654AE6B)
    assert crcs == 2  # Info and Tracks were rewritten (and carry CRCs from libavformat)
    seekhead = next(el for el in level1.values() if el.id == 0x114D9B74)
    targets = []
    for seek in parse_children(data, seekhead.data_offset, seekhead.end):
        if seek.id != 0x4DBB:
            continue
        fields = {k.id: data[k.data_offset : k.end]
                  for k in parse_children(data, seek.data_offset, seek.end)}
        target_id = int.from_bytes(fields[0x53AB], "big")
        pos = seg.data_offset + int.from_bytes(fields[0x53AC], "big")
        assert level1[pos].id == target_id
        targets.append(target_id)
    assert 0x1254C367 not in targets and 0x1941A469 not in targets
    assert 0x1549A966 in targets


def test_unknown_size_clusters(tmp_path: Path) -> None:
    """Live-style files: segment and clusters of unknown size are walked, not trusted."""
    src = make_video(tmp_path / "live.mkv", metadata=META, frames=12, gop=3)
    data = bytearray(src.read_bytes())
    f = EbmlFile(io.BytesIO(bytes(data)), len(data))
    seg = f.element_at(f.element_at(0, len(data)).end, len(data))
    clusters = [el for el in f.level1(seg) if el.id == 0x1F43B675]
    for el in [seg, *clusters]:  # same-length size field set to "unknown" (all ones)
        length = el.header_len - 4
        data[el.offset + 4 : el.offset + 4 + length] = ((1 << (8 * length)) - 1 >> (length - 1)
                                                        ).to_bytes(length, "big")
    assert len(clusters) >= 2
    live = tmp_path / "live_unknown.mkv"
    live.write_bytes(bytes(data))
    report = inspect(live)
    assert report.ok and report.understood, report.error or report.problems
    assert any(f.value == ARTIST for f in report.findings)
    out = tmp_path / "live_clean.mkv"
    strip_to(live, out)
    assert not inspect(out).identifying()
    assert decoded(out) == decoded(live)


def test_export_pipeline(dirty: Path, tmp_path: Path) -> None:
    yes = lambda req: ConsentAnswer(True, confirmed=req.confirmations, via="dialog")  # noqa: E731
    [res] = clean_files([dirty], ExportOptions(output_dir=tmp_path), consent=yes)
    assert res.ok, res.reason
    assert res.after is not None and not res.after.identifying()


SEG = 0x18538067
INFO = 0x1549A966


def _mkv(segment_payload: bytes, doctype: str = "matroska") -> bytes:
    return ebml_header(doctype) + ebml(SEG, segment_payload)


def _nested_tags(depth: int) -> bytes:
    inner = ebml(0x45A3, b"NAME") + ebml(0x4487, b"x")
    for _ in range(depth):
        inner = ebml(0x67C8, ebml(0x45A3, b"N") + inner)
    return ebml(0x1254C367, ebml(0x7373, inner))


GOOD = _mkv(ebml(INFO, ebml(0x7BA9, b"t") + ebml(0x4D80, b"me")))


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("cut in the header", GOOD[:10], CorruptFile),
        ("cut in the segment", GOOD[:-3], CorruptFile),
        ("absurd size", ebml_header() + b"\x18\x53\x80\x67\x01\x00\x10\x00\x00\x00\x00\x00",
         CorruptFile),
        ("child larger than parent", _mkv(ebml(INFO, b"\x7b\xa9\x88" + b"x" * 4)), CorruptFile),
        ("invalid id", _mkv(b"\x00\x81\x00"), CorruptFile),
        ("nested too deep", _mkv(_nested_tags(40)), LimitExceeded),
        ("no segment", ebml_header(), CorruptFile),
    ],
)
def test_corrupt_input_is_a_one_line_error(name: str, data: bytes, error: type,
                                           tmp_path: Path) -> None:
    path = tmp_path / "bad.mkv"
    path.write_bytes(data)
    src = Source(path)
    with pytest.raises(error) as exc:
        detect(src.head).inspect(src)
    assert "\n" not in str(exc.value) and 0 < len(str(exc.value)) < 200
    report = inspect(path)
    assert report.error and not report.findings


def test_unknown_level1_element_becomes_void(tmp_path: Path) -> None:
    """Players skip unknown elements, so removing one changes nothing they show."""
    path = tmp_path / "odd.mkv"
    path.write_bytes(_mkv(ebml(INFO, ebml(0x4D80, b"x")) + ebml(0x1A2B3C4D, b"secret data here")))
    report = inspect(path)
    assert report.understood and report.has(Category.UNKNOWN)
    out = tmp_path / "o.mkv"
    strip_to(path, out)
    assert b"secret" not in out.read_bytes() and len(out.read_bytes()) == len(path.read_bytes())
    assert detect(out.read_bytes()[:64]).account(Source(out)).close().size == len(out.read_bytes())


def test_hand_built_tags_classified(tmp_path: Path) -> None:
    tags = ebml(0x1254C367, ebml(0x7373, b"".join(
        ebml(0x67C8, ebml(0x45A3, n.encode()) + ebml(0x4487, v.encode()))
        for n, v in [("RECORDING_LOCATION", "Paris"), ("DATE_RECORDED", "2020-01-02"),
                     ("com.android.model", "Pixel 7"), ("COMMENT", "hello"),
                     ("DURATION", "00:00:01.0")])))
    path = tmp_path / "tags.webm"
    path.write_bytes(_mkv(tags, "webm"))
    report = inspect(path)
    by_name = {f.name: f for f in report.findings}
    assert report.format == "webm"
    assert by_name["RECORDING_LOCATION"].category is Category.LOCATION
    assert by_name["DATE_RECORDED"].category is Category.TIME
    assert by_name["com.android.model"].category is Category.DEVICE
    assert by_name["COMMENT"].category is Category.OTHER and by_name["COMMENT"].identifying
    assert not by_name["DURATION"].identifying


def test_data_track_is_reported_and_removed(tmp_path: Path) -> None:
    entry = ebml(0xAE, ebml(0xD7, b"\x01", 1) + ebml(0x83, b"\x21", 1) + ebml(0x86, b"D_GPS"))
    path = tmp_path / "gps.mkv"
    path.write_bytes(_mkv(ebml(0x1654AE6B, entry)))
    report = inspect(path)
    assert report.has(Category.HIDDEN) and report.understood
    out = tmp_path / "o.mkv"
    assert "data (telemetry such as GPS) tracks" in strip_to(path, out).removed
    assert b"D_GPS" not in out.read_bytes()
