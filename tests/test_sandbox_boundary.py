"""The sandbox boundary holds: with isolation on, no model and no decoder runs in the calling
process, for an isolated ``clean`` and for the checks a gate needs that a report lacked."""

from __future__ import annotations

import json
from pathlib import Path

import piexif
import pytest
from family_fixtures import PASS, dialog_yes
from parent_guard import forbid_decoders
from PIL import Image
from skimage import data

from share_guard.cli import main
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.family.lock import lock_policy, save_policy
from share_guard.core.family.policy import Policy
from share_guard.core.family.records import ConsentLog
from share_guard.core.inspect import inspect

GPS = piexif.dump({"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N",
                           piexif.GPSIFD.GPSLatitude: ((52, 1), (30, 1), (0, 1))}})


def astronaut(path: Path) -> Path:
    """A photo with a face (scikit-image's astronaut) and a GPS position."""
    Image.fromarray(data.astronaut()).save(path, "JPEG", quality=90, exif=GPS)
    return path


def test_isolated_clean_runs_no_model_or_decoder_in_the_command(tmp_path, monkeypatch, capsys):
    save_policy(Policy(sensitive="warn"))  # the nudity model runs as well as the face finder
    photo = astronaut(tmp_path / "astronaut.jpg")
    out = tmp_path / "out"
    out.mkdir()
    calls = forbid_decoders(monkeypatch)
    assert main(["--data-dir", str(tmp_path / "data"), "clean", "--consent", "--json",
                 "-o", str(out), str(photo)]) == 0
    [result] = json.loads(capsys.readouterr().out)["files"]
    assert result["status"] == "cleaned" and Path(result["output"]).exists()
    assert calls == []
    # the face was found (in a worker): consent was told about it, and the record says so
    [record] = ConsentLog(tmp_path / "data").list()
    assert "people could be recognised and were not covered" in record.warnings_shown


def test_evidence_a_report_lacks_is_gathered_in_the_sandbox(tmp_path, monkeypatch):
    """The rules changed after a file was checked: the nudity check the gate needs runs in a
    worker, on a copy of the report (the report judged is never changed)."""
    photo = astronaut(tmp_path / "astronaut.jpg")
    engine = build_engine(Features(data_dir=tmp_path / "data", faces=False))
    try:
        report = engine.inspect(photo)
        assert "sensitive content" not in report.checked
        lock_policy(Policy(sensitive="gate"), PASS)  # a parent turns the check on
        calls = forbid_decoders(monkeypatch)
        out = tmp_path / "out"
        out.mkdir()
        outcome = engine.export([photo], ExportOptions(output_dir=out), dialog_yes,
                                reports=[report])
    finally:
        engine.close()
    [result] = outcome.results
    assert calls == []
    assert result.ok, result.reason
    assert "sensitive content" in result.before.checked and "sensitive_score" in \
        result.before.properties
    assert "sensitive content" not in report.checked and "sensitive_score" not in report.properties


def test_the_tripwire_trips_in_process(tmp_path, monkeypatch):
    """The same export with the in-process runner (--no-isolation) decodes here."""
    photo = astronaut(tmp_path / "astronaut.jpg")
    report = inspect(photo)
    save_policy(Policy(sensitive="warn"))
    calls = forbid_decoders(monkeypatch)
    engine = build_engine(Features(isolated=False, data_dir=tmp_path / "data"))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match="calling process"):
        engine.export([photo], ExportOptions(output_dir=out), dialog_yes, reports=[report])
    assert calls and list(out.iterdir()) == []
