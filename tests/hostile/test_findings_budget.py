"""Issue 19 item 1: a file reports so much and no more.

Floods of one tag collapse into one finding with a count; a file that holds more than a
file may list is refused with a clear reason; nothing grows with the flood: time, memory of
the whole process tree (the command and its workers), output size.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hostile import floods
from hostile.seeds import mkv, mp4
from hostile.treewatch import run_cli
from share_guard.core.budget import (
    KEEP_EACH,
    MAX_FINDINGS,
    OVERFLOW_NAME,
    TOO_MUCH,
    Collector,
    seal,
)
from share_guard.core.inspect import inspect
from share_guard.core.report import Category, Finding, Report

FLOODS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "ztxt-exif": (".png", floods.ztxt_exif_flood),
    "xmp-100k-png": (".png", lambda: floods.xmp_flood_png(100_000)),
    "xmp-100k-jpeg": (".jpg", lambda: floods.xmp_flood_jpeg(100_000)),
    "iptc-jpeg": (".jpg", floods.iptc_flood_jpeg),
    "iptc-png": (".png", floods.iptc_flood_png),
    "icc-10k-jpeg": (".jpg", lambda: floods.icc_flood_jpeg(10_000)),
    "icc-10k-separate-png": (".png", lambda: floods.icc_flood_png(10_000, overlapping=False)),
    "mp4-ilst": (".mp4", lambda: floods.ilst_flood(mp4(), 60_000)),
    "mkv-tags": (".mkv", lambda: floods.matroska_tags_flood(mkv(), 60_000)),
}


@pytest.fixture(scope="module")
def flood_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("floods")
    for name, (ext, make) in FLOODS.items():
        (folder / f"{name}{ext}").write_bytes(make())
    return folder


def test_the_issue_reproducer_collapses_in_process(tmp_path: Path) -> None:
    """393,594 findings and 125 MB of JSON before; now a handful, and the file is refused."""
    path = tmp_path / "flood.png"
    path.write_bytes(floods.ztxt_exif_flood())
    assert path.stat().st_size < 60_000
    report = inspect(path)
    assert len(report.findings) < 10
    [artist] = [f for f in report.findings if f.name == "Artist"]
    assert artist.detail["repeated"] >= 65_536 and artist.detail["examples"] == ["Ann"]
    assert "values in" in artist.value and "places" in artist.value
    assert report.problems[0].startswith(TOO_MUCH) and "EXIF" in report.problems[0]
    assert len(json.dumps(report.to_json())) < 10_000


def test_one_block_of_a_flood_is_one_finding_and_may_be_cleaned(tmp_path: Path) -> None:
    """One zTXt block of 64 x 1,024 Artist tags fits the budget: listed as one finding, and
    the lossless copy is made (every text chunk goes)."""
    from tests.checks import export_consented

    path = tmp_path / "one.png"
    path.write_bytes(floods.ztxt_exif_flood(chunks=1))
    report = inspect(path)
    assert not report.problems, report.problems
    [artist] = [f for f in report.findings if f.name == "Artist"]
    assert artist.value.startswith("65,536 values in 64 places: Ann")
    out = tmp_path / "out"
    out.mkdir()
    assert b"Raw profile" not in export_consented(path, out).read_bytes()


def test_collector_keeps_few_as_they_are_and_counts_the_rest() -> None:
    found = Collector()
    for i in range(KEEP_EACH):
        found.add(Category.IDENTITY, f"EXIF IFD{i}", "Artist", f"name {i}", "why")
    assert [f.value for f in found.findings()] == [f"name {i}" for i in range(KEEP_EACH)]
    found.add(Category.IDENTITY, "EXIF IFD9", "Artist", "name 9", "why")
    [one] = found.findings()
    assert one.where == "EXIF" and one.detail["repeated"] == KEEP_EACH + 1
    assert one.detail["examples"] == ["name 0", "name 1", "name 2"]
    merged = Collector()  # collapsed findings from two readers add up
    merged.extend([one, one])
    [both] = merged.findings()
    assert both.detail["repeated"] == 2 * (KEEP_EACH + 1)


def test_too_many_kinds_refuse_the_file_and_say_which() -> None:
    report = Report(Path("x.png"), format="png")
    report.findings = [Finding(Category.LOCATION, "XMP", f"gps{i}", "1", "why")
                       for i in range(MAX_FINDINGS + 50)]
    report.findings += [Finding(Category.TIME, "XMP", f"when{i}", "1", "why") for i in range(50)]
    seal(report)
    assert len(report.findings) == MAX_FINDINGS + 1
    assert report.findings[-1].name == OVERFLOW_NAME
    assert report.problems == [f"{TOO_MUCH}: 100 items not listed (Location, When)"]
    assert not report.understood


def test_text_over_budget_is_refused() -> None:
    report = Report(Path("x.jpg"), format="jpeg")
    report.findings = [Finding(Category.OTHER, f"APP{i}", f"Comment {i}", "x" * 190, "y" * 290,
                               detail={"values": ["z" * 190] * 10}) for i in range(900)]
    seal(report)
    assert report.problems and report.problems[0].startswith(TOO_MUCH)
    assert len(json.dumps(report.to_json())) < 1_000_000


@pytest.mark.parametrize("name", sorted(FLOODS))
def test_each_flood_is_bounded_through_the_command(name: str, flood_dir: Path) -> None:
    """One call per flood: JSON out, time, memory of the whole tree, exit code, stderr."""
    ext = FLOODS[name][0]
    path = flood_dir / f"{name}{ext}"
    before = path.read_bytes()
    run = run_cli("inspect", "--json", "--no-faces", str(path))
    run.check_bounded(seconds=30)
    assert run.code == 1 and run.out_bytes < 200_000
    [doc] = json.loads(run.out)["files"]
    assert doc["ok"] and len(doc["findings"]) < 60, doc["summary"]
    assert path.read_bytes() == before


def test_a_folder_of_floods_is_cleaned_in_bounds(flood_dir: Path, tmp_path: Path) -> None:
    """The whole folder in one batch: the tree stays small, nothing flooded reaches a copy."""
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("clean", "--consent", "--json", "--no-faces", "-o", str(out), str(flood_dir))
    run.check_bounded(seconds=120)
    results = json.loads(run.out)["files"]
    assert len(results) == len(FLOODS)
    for r in results:
        assert r["status"] in ("cleaned", "refused"), r
        assert len(json.dumps(r)) < 20_000
    assert any(r["status"] == "refused" and TOO_MUCH in r["reason"] for r in results)
    for copy in out.iterdir():
        assert floods.CANARY.encode() not in copy.read_bytes(), copy.name
        assert not copy.name.startswith(".sg-")
