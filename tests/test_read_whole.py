"""MP4/MOV, HEIF and Matroska files are read whole when small and on demand when large
(``bmff_boxes.mapped``, ``EbmlFile.view``): both readers give the same findings, the same
clean copy and the same refusal of a file cut short."""

from __future__ import annotations

from pathlib import Path

import bmff_fixtures as fx
import pytest
from checks import export_consented

from share_guard.core.containers import _ebml, bmff_boxes
from share_guard.core.inspect import inspect
from share_guard.core.report import Report
from tests.leak_video_fixtures import Coded, encoded
from tests.test_leaks_matroska import ROWS

MOVIE = fx.Plant(udta=fx.udta_atoms(), moov_boxes=[fx.apple_keys()], xmp=True, telemetry=True,
                 times=True, rotate90=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("bmff")
    video = fx.encode_movie(tmp / "clip.mp4", frames=4).read_bytes()
    return {
        "mp4": fx.movie(tmp, "m.mp4", fmt="mp4", faststart=False, spec=MOVIE, fragmented=False),
        "mov-fragmented": fx.movie(tmp, "f.mov", fmt="mov", faststart=False, spec=MOVIE,
                                   fragmented=True),
        "heic": fx.heic(tmp / "p.heic"),
        "motion-photo": fx.motion_photo(tmp / "m.heic", video),
    }


def _seen(report: Report) -> list[tuple[str, str, str]]:
    return [(f.category.label, f.name, f.value) for f in report.findings]


@pytest.mark.parametrize("name", ["mp4", "mov-fragmented", "heic", "motion-photo"])
def test_both_readers_report_and_clean_alike(files: dict[str, Path], name: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = files[name]
    assert path.stat().st_size <= bmff_boxes.READ_AT_ONCE  # read whole by default
    whole = inspect(path)
    for folder in ("whole", "on-demand"):
        (tmp_path / folder).mkdir()
    copy = export_consented(path, tmp_path / "whole").read_bytes()
    monkeypatch.setattr(bmff_boxes, "READ_AT_ONCE", 0)  # as a file too large to read whole
    assert _seen(inspect(path)) == _seen(whole) and whole.findings
    assert export_consented(path, tmp_path / "on-demand").read_bytes() == copy


@pytest.mark.parametrize("name", ["mp4", "heic"])
def test_both_readers_refuse_a_file_cut_short_alike(files: dict[str, Path], name: str,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cut = tmp_path / f"cut{files[name].suffix}"
    data = files[name].read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    whole = inspect(cut)
    monkeypatch.setattr(bmff_boxes, "READ_AT_ONCE", 0)
    on_demand = inspect(cut)
    assert whole.error and on_demand.error == whole.error


#: Matroska files whose blocks hide something (laced, in groups, a data track, JPEG frames)
MKV_ROWS = ["SEI user data in a Xiph-laced block", "SEI user data in an EBML-laced block",
            "block additions", "void in a block group", "data track (GPS)",
            "Motion-JPEG EXIF and comments", "title, date, apps, track name, tags"]


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Coded]:
    tmp = tmp_path_factory.mktemp("coded")
    return {k: encoded(tmp, v) for k, v in {"x264": "libx264", "mjpeg": "mjpeg"}.items()}


@pytest.mark.parametrize("row", MKV_ROWS)
def test_both_readers_report_and_clean_a_matroska_file_alike(
        row: str, coded: dict[str, Coded], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    build, codec = ROWS[row]
    path = tmp_path / "in.mkv"
    path.write_bytes(build(coded[codec], "READWHOLEQ7").build())
    for folder in ("whole", "on-demand"):
        (tmp_path / folder).mkdir()
    assert path.stat().st_size <= _ebml.READ_AT_ONCE
    whole = inspect(path)
    copy = export_consented(path, tmp_path / "whole").read_bytes()
    monkeypatch.setattr(_ebml, "READ_AT_ONCE", 0)
    assert _seen(inspect(path)) == _seen(whole) and whole.findings
    assert export_consented(path, tmp_path / "on-demand").read_bytes() == copy
    assert b"READWHOLEQ7" not in copy
