"""What a file's name gives away (phone-style dates and devices), the wrong extension, and
the neutral name a clean copy may take instead."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from jpeg_fixtures import pixels, plain_jpeg
from PIL import Image

from share_guard.cli import main
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.export.consent import ConsentAnswer, ConsentChannel
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.family.lock import PolicyState
from share_guard.core.family.policy import PRESETS, Policy, document, parse_document
from share_guard.core.inspect import inspect
from share_guard.core.metadata.filename import name_facts
from share_guard.core.report import Category


@pytest.mark.parametrize(("name", "when", "source"), [
    ("IMG_20240312_142210.jpg", "2024-03-12 14:22:10", "an Android phone"),
    ("PXL_20240312_142210123.MP.jpg", "2024-03-12 14:22:10", "a Google Pixel phone"),
    ("VID_20240312_142210.mp4", "2024-03-12 14:22:10", "an Android phone"),
    ("signal-2024-03-12-142210_002.jpeg", "2024-03-12 14:22:10", "Signal"),
    ("WhatsApp Image 2024-03-12 at 14.22.10.jpeg", "2024-03-12 14:22:10", "WhatsApp"),
    ("WhatsApp Video 2024-03-12 at 14.22.10 (1).mp4", "2024-03-12 14:22:10", "WhatsApp"),
    ("IMG-20240312-WA0007.jpg", "2024-03-12", "WhatsApp"),
    ("Screenshot_20240312-142210_Instagram.png", "2024-03-12 14:22:10",
     "a screenshot on an Android phone"),
    ("Screenshot 2024-03-12 at 14.22.10.png", "2024-03-12 14:22:10", "a screenshot on a Mac"),
    ("20240312_142210.jpg", "2024-03-12 14:22:10", "a Samsung phone"),
    ("DJI_20240312142210_0001_D.JPG", "2024-03-12 14:22:10", "a DJI drone or camera"),
    ("DSC_0042.JPG", "", "a Nikon camera"),
    ("DSC01234.JPG", "", "a Sony camera"),
    ("GOPR0042.JPG", "", "a GoPro camera"),
    ("GX010042.MP4", "", "a GoPro camera"),
    ("DJI_0042.JPG", "", "a DJI drone or camera"),
])
def test_phone_and_camera_names_tell_when_and_which_device(name, when, source):
    facts = name_facts(name)
    assert (facts.when, facts.source) == (when, source)


def test_screenshot_names_tell_the_app_and_impossible_dates_are_not_dates():
    assert name_facts("Screenshot_20240312-142210_Instagram.png").app == "Instagram"
    assert name_facts("IMG_20241312_142210.jpg").when == ""  # month 13
    assert name_facts("IMG_20240312_252210.jpg").when == "2024-03-12"  # 25 o'clock: the day
    for plain in ("holiday.jpg", "IMG_1234.JPG", "photo_clean.jpg", "scan 12.png", ""):
        assert not name_facts(plain), plain


def test_inspect_reports_the_date_in_the_name(tmp_path, capsys):
    photo = tmp_path / "IMG_20240312_142210.jpg"
    photo.write_bytes(plain_jpeg(pixels()))
    report = inspect(photo)
    [when] = report.by_category(Category.TIME)
    assert when.where == "file name" and when.value == "2024-03-12 14:22:10"
    assert when.identifying and not when.removable
    assert main(["inspect", "--no-faces", str(photo)]) == 1
    out = capsys.readouterr().out
    assert "Date in the file name: 2024-03-12 14:22:10" in out


def _photo_as_jpg_that_is_png(path: Path) -> Path:
    Image.new("RGB", (16, 12), (3, 90, 200)).save(path, "PNG")
    return path


def test_wrong_extension_is_pointed_out_and_the_copy_named_right(tmp_path, capsys):
    fake = _photo_as_jpg_that_is_png(tmp_path / "holiday.jpg")
    report = inspect(fake)
    [wrong] = [f for f in report.findings if f.name == "Wrong file extension"]
    assert wrong.value == "named .jpg, holds PNG" and not wrong.identifying
    assert "clean copy is named .png" in wrong.explanation
    assert main(["inspect", "--no-faces", str(fake)]) == 0  # not identifying, but said
    assert "The name says JPEG, but the file is PNG" in capsys.readouterr().out
    out = tmp_path / "out"
    assert main(["--data-dir", str(tmp_path / "d"), "clean", "--consent", "--no-faces",
                 "-o", str(out), str(fake)]) == 0
    text = capsys.readouterr().out
    assert (out / "holiday_clean.png").exists()
    assert "named .png: the original's name says .jpg, but it is PNG" in text


def _engine(tmp_path, policy: Policy | None = None):
    state = PolicyState("default", policy or Policy())
    return build_engine(Features(faces=False, takedown=False, isolated=False,
                                 data_dir=tmp_path / "data", policy=lambda: state))


def _yes(request):
    return ConsentAnswer(True, tuple(request.confirmations), ConsentChannel.DIALOG)


def test_neutral_name_drops_what_the_name_told_and_consent_says_so(tmp_path):
    photo = tmp_path / "PXL_20240312_142210123.jpg"
    photo.write_bytes(plain_jpeg(pixels()))
    asked = []

    def consent(request):
        asked.append(request)
        return _yes(request)

    out = tmp_path / "out"
    out.mkdir()
    engine = _engine(tmp_path)
    kept = engine.export([photo], ExportOptions(output_dir=out), consent)
    assert kept.results[0].output.name == "PXL_20240312_142210123_clean.jpg"
    assert any("Date in the file name" in k for k in asked[0].items[0].will_keep)
    # the copy's own re-check names what its name still gives away
    after = kept.results[0].after
    assert any(f.where == "file name" and f.category is Category.TIME for f in after.findings)

    neutral = engine.export([photo], ExportOptions(output_dir=out, neutral_name=True), consent)
    result = neutral.results[0]
    assert result.output.name == "photo_clean.jpg"
    assert "When: Date in the file name" in asked[1].items[0].will_remove
    assert not asked[1].items[0].will_keep
    assert not [f for f in result.after.findings if f.where == "file name"]


def test_the_family_preset_names_copies_neutrally(tmp_path):
    video_name = tmp_path / "IMG_20240312_142210.jpg"
    video_name.write_bytes(plain_jpeg(pixels()))
    family = PRESETS["family"]
    assert family.neutral_names and not PRESETS["default"].neutral_names
    out = tmp_path / "out"
    out.mkdir()
    outcome = _engine(tmp_path, family).export([video_name], ExportOptions(output_dir=out), _yes)
    assert outcome.results[0].output.name == "photo_clean.jpg"


def test_cli_neutral_name_and_the_policy_file_of_before(tmp_path, capsys):
    photo = tmp_path / "WhatsApp Image 2024-03-12 at 14.22.10.jpeg"
    photo.write_bytes(plain_jpeg(pixels()))
    out = tmp_path / "new" / "folder"  # -o makes a missing folder
    assert main(["--data-dir", str(tmp_path / "d"), "clean", "--consent", "--no-faces",
                 "--neutral-name", "-o", str(out), str(photo)]) == 0
    assert [p.name for p in out.iterdir()] == ["photo_clean.jpg"]
    # a policy written before the rule existed reads as it was signed: the rule takes its
    # default, and a document leaves the rule out while it holds the default
    old = {"schema": 1, "policy": {k: v for k, v in Policy().to_dict().items()
                                   if k != "neutral_names"}, "lock": None}
    policy, _lock = parse_document(json.loads(json.dumps(old)))
    assert policy == Policy() and document(policy) == old
    assert document(PRESETS["family"])["policy"]["neutral_names"] is True


def test_rebuild_is_not_offered_for_a_jpeg_whose_pixels_cannot_be_decoded(tmp_path, capsys):
    from share_guard.core.engine.verdict import Verdict, assess

    whole = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 50)).save(whole, "JPEG", quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.getvalue()[:-200])
    report = inspect(cut)
    assert report.problems and report.properties["rebuildable"] is False
    verdict = assess(report, [])
    assert verdict.verdict is Verdict.BLOCKED and "cannot be rebuilt" in verdict.reason
    assert "OSError" not in verdict.reason  # plain words; the decoder's in the properties
    code = main(["--data-dir", str(tmp_path / "d"), "clean", "--consent", "--no-faces",
                 "--rebuild", "-o", str(tmp_path / "o"), str(cut)])
    out = capsys.readouterr().out
    assert code == 1 and "OSError" not in out.splitlines()[-1].split("(")[0]
    assert "its pixels cannot be decoded either, so it cannot be rebuilt" in out
    # a file the cleaner refuses but whose pixels decode is still offered the rebuild
    odd = tmp_path / "odd.jpg"
    data = whole.getvalue()
    odd.write_bytes(data[:2] + b"\xff\xd0" + data[2:])
    assert assess(inspect(odd), []).verdict is Verdict.NEEDS_REBUILD
