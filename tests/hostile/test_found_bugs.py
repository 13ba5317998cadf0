"""Regression tests for bugs the hostile-file work found (one per fix)."""

from __future__ import annotations

import json
import struct
import time
import tracemalloc

from share_guard.core.metadata.exif import exif_findings
from share_guard.core.report import Category

HDR = b"MM\x00\x2a\x00\x00\x00\x08"


def ifd(entries: list[tuple[int, int, int, bytes]], next_offset: int) -> bytes:
    body = struct.pack(">H", len(entries))
    for tag, typ, count, value in entries:
        body += struct.pack(">HHI", tag, typ, count) + value
    return body + struct.pack(">I", next_offset)


def gps_exif(*tags: tuple[int, tuple[float, float, float]]) -> bytes:
    """IFD0 -> GPS IFD holding DOUBLE[3] tags (e.g. GPSTimeStamp, GPSLatitude)."""
    gps_off = 8 + 2 + 12 + 4
    vals_off = gps_off + 2 + 12 * len(tags) + 4
    gps = ifd([(tag, 12, 3, struct.pack(">I", vals_off + 24 * i)) for i, (tag, _) in enumerate(tags)], 0)
    values = b"".join(struct.pack(">ddd", *v) for _, v in tags)
    return HDR + ifd([(0x8825, 4, 1, struct.pack(">I", gps_off))], 0) + gps + values


def test_gps_time_holding_infinity_or_nan_is_described_not_a_crash() -> None:
    for bad in (float("inf"), float("-inf"), float("nan")):
        info = exif_findings(gps_exif((0x0007, (bad, 1.0, 2.0))))
        stamps = [f for f in info.findings if f.name == "GPS timestamp"]
        assert stamps and stamps[0].category is Category.TIME


def test_gps_position_that_is_not_finite_is_still_flagged_and_json_safe() -> None:
    info = exif_findings(gps_exif((0x0002, (float("inf"), 0.0, 0.0)), (0x0004, (1.0, 2.0, 3.0))))
    assert any(f.category is Category.LOCATION for f in info.findings)
    json.dumps([f.to_json() for f in info.findings], allow_nan=False)


def test_a_flood_of_standalone_jpeg_markers_is_bounded() -> None:
    """10 MB of 0xFF01 markers took 37 s and 400 MB (one problem string each)."""
    import pytest

    from share_guard.core.containers.jpeg_segments import parse_jpeg
    from share_guard.core.errors import CorruptFile

    data = b"\xff\xd8" + b"\xff\x01" * 5_000_000 + b"\xff\xd9"
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(CorruptFile):
        parse_jpeg(data)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 3 and peak < 20_000_000
    few = parse_jpeg(b"\xff\xd8" + b"\xff\x01" * 50 + b"\xff\xd9")
    assert few.problems == ["unexpected marker 0x01"]


def test_subifd_fan_out_is_bounded() -> None:
    """64 IFDs of 1024 SubIFDs entries x 16 offsets queued 1M items (2.7 s, 1M problem strings)."""
    from share_guard.core.metadata.tiff_ifd import MAX_IFDS, parse_tiff

    n_entries, k = 1024, 64
    size_ifd = 2 + 12 * n_entries + 4
    arr_off = 8 + k * size_ifd
    blocks = [ifd([(0x014A, 4, 16, struct.pack(">I", arr_off))] * n_entries,
                  8 + (i + 1) * size_ifd if i < k - 1 else 0) for i in range(k)]
    data = HDR + b"".join(blocks) + struct.pack(">16I", *([8] * 16))
    t0 = time.perf_counter()
    parsed = parse_tiff(data)
    assert time.perf_counter() - t0 < 2.0
    assert len(parsed.ifds) <= MAX_IFDS and len(parsed.problems) < 300
    assert any("loop" in p for p in parsed.problems)


def test_display_text_of_a_huge_value_is_fast_and_keeps_its_start() -> None:
    """A 16 MB metadata string took 3.7 s to sanitise (every character was looked at)."""
    from share_guard.core.textsafe import display_text

    huge = "\n   Plantedville\u202e" + "x" * 16_000_000
    t0 = time.perf_counter()
    shown = display_text(huge, limit=50)
    assert time.perf_counter() - t0 < 0.1
    assert shown.startswith("Plantedville\ufffd") and len(shown) == 50 and shown.endswith("\u2026")
    assert display_text(huge.encode()).startswith("Plantedville")


def test_rebuild_of_a_pixel_bomb_is_a_refusal_not_a_traceback(tmp_path) -> None:
    from jpeg_fixtures import pixels, plain_jpeg

    from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer
    from share_guard.core.export.pipeline import ExportOptions
    from tests.checks import clean_files

    data = plain_jpeg(pixels(64, 48))
    sof = data.find(b"\xff\xc0")
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes((data[: sof + 5] + b"\xff\xff\xff\xff" + data[sof + 9 :])[:-2])  # truncated
    [result] = clean_files([bomb], ExportOptions(output_dir=tmp_path, rebuild=True),
                            consent=lambda r: ConsentAnswer(True, tuple(CONFIRMATIONS), "flag"))
    # refused before the decoder is asked for 4 billion pixels: the verdict knows a rebuild
    # cannot succeed (checked in bounded memory when the file was inspected)
    assert result.status == "refused" and "cannot be rebuilt" in result.reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.jpg"]


def test_many_metadata_segments_are_read_a_few_times_only(tmp_path) -> None:
    """99,000 empty APP5 segments gave 99,000 findings (seconds to inspect, pickle and show)."""
    from jpeg_fixtures import pixels, plain_jpeg

    from share_guard.core.inspect import inspect

    data = plain_jpeg(pixels(64, 48))
    path = tmp_path / "apps.jpg"
    path.write_bytes(data[:2] + b"\xff\xe5\x00\x02" * 99_000 + data[2:])
    t0 = time.perf_counter()
    report = inspect(path)
    assert time.perf_counter() - t0 < 1.5
    assert len(report.findings) < 20
    assert any("98992 more" in f.name for f in report.findings)


def test_a_flood_of_elements_beside_the_matroska_segment_is_bounded(tmp_path) -> None:
    """1,000,000 Void elements after the segment (3 MB) took 6 s, one patch each."""
    from hostile.seeds import mkv
    from share_guard.core.inspect import inspect

    path = tmp_path / "void.mkv"
    path.write_bytes(mkv() + b"\xec\x81\x00" * 1_000_000)
    t0 = time.perf_counter()
    report = inspect(path)
    assert time.perf_counter() - t0 < 1.0
    assert report.error and "too many" in report.error
    junk = tmp_path / "junk.mkv"
    junk.write_bytes(mkv() + b"\x42\x86\x81\x01" * 1000)  # unknown top-level elements
    report = inspect(junk)  # voided by the cleaner, named once
    assert not report.problems and len([f for f in report.findings if "outside" in f.name]) == 1


def test_rebuild_of_undecodable_pixels_is_a_refusal_whatever_the_decoder_raises(tmp_path) -> None:
    """pillow-heif raises EOFError (not OSError) on a damaged HEIC: rebuild gave a traceback."""
    from hostile.mutate import bmff_attacks
    from hostile.seeds import heic
    from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer
    from share_guard.core.export.pipeline import ExportOptions
    from tests.checks import clean_files

    data = heic()
    broken = tmp_path / "broken.heic"
    variant = dict(bmff_attacks(data))["deep-udta"]  # found by the hostile corpus
    broken.write_bytes(variant)
    [result] = clean_files([broken], ExportOptions(output_dir=tmp_path, rebuild=True),
                            consent=lambda r: ConsentAnswer(True, tuple(CONFIRMATIONS), "flag"))
    assert result.status in ("refused", "error") and "\n" not in result.reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.heic"]


def test_a_flood_of_tiny_avi_chunks_is_refused_quickly(tmp_path) -> None:
    """1,000,000 top-level JUNK chunks (10 MB) took 10 s to inspect and 24 s to clean."""
    from hostile.seeds import avi
    from share_guard.core.inspect import inspect

    data = avi()
    inner = data[12:] + (b"JUNK" + struct.pack("<I", 2) + b"xx") * 300_000
    path = tmp_path / "junk.avi"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(inner) + 4) + b"AVI " + inner)
    t0 = time.perf_counter()
    report = inspect(path)
    assert time.perf_counter() - t0 < 2.5
    assert report.error and "too many" in report.error


def test_a_failed_transform_removes_its_scratch_file_at_once(tmp_path) -> None:
    """The scratch file of a transform that raised was only removed when the exception (and
    its traceback) was garbage-collected: a caller keeping the error kept the file."""
    from jpeg_fixtures import pixels, plain_jpeg

    from share_guard.core.errors import CorruptFile
    from share_guard.core.export.pipeline import ExportOptions, Planned, export_one
    from share_guard.core.inspect import inspect
    from share_guard.core.progress import no_progress

    class Failing:
        name = "failing"

        def apply(self, src, report, out, progress, cancel):
            out.write(b"partial pixels")
            raise CorruptFile("cannot decode")

    src = tmp_path / "in.jpg"
    src.write_bytes(plain_jpeg(pixels()))
    out = tmp_path / "out"
    out.mkdir()
    planned = Planned(inspect(src), dest=out / "in_clean.jpg", transforms=[Failing()])
    kept = []
    try:
        export_one(planned, ExportOptions(output_dir=out, data_dir=tmp_path / "d"), no_progress, None)
    except CorruptFile as exc:
        kept.append(exc)  # hold the error, traceback and all, as a worker reply does
    assert kept and list(out.iterdir()) == []
    assert list((tmp_path / "d" / "pending-temp").iterdir()) == []


def test_a_flood_of_elements_in_an_unknown_size_cluster_is_refused_quickly(tmp_path) -> None:
    """5,000,000 Void elements in one unknown-size cluster (15 MB): 9 s inspect, 18 s clean."""
    from hostile.seeds import mkv
    from share_guard.core.inspect import inspect

    data = mkv()
    seg = data.find(b"\x18\x53\x80\x67")
    unknown = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    flood = (data[: seg + 4] + unknown + data[seg + 12 :] + b"\x1f\x43\xb6\x75" + unknown
             + b"\xec\x81\x00" * 1_500_000)
    path = tmp_path / "flood.mkv"
    path.write_bytes(flood)
    t0 = time.perf_counter()
    report = inspect(path)
    assert time.perf_counter() - t0 < 8
    assert report.error and "too many" in report.error


def test_a_flood_of_level1_elements_is_refused_quickly(tmp_path) -> None:
    """1,900,000 Void elements directly in the segment (6 MB): 6 s inspect, 9 s clean."""
    from hostile.seeds import mkv
    from share_guard.core.inspect import inspect

    data = mkv()
    seg = data.find(b"\x18\x53\x80\x67")
    unknown = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    flood = data[: seg + 4] + unknown + data[seg + 12 :] + b"\xec\x81\x00" * 600_000
    path = tmp_path / "level1.mkv"
    path.write_bytes(flood)
    report = inspect(path)
    assert report.error and "too many" in report.error
