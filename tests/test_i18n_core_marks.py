"""Everything the core says to a person is marked for translation: real files are made here
(a JPEG with GPS, owner, device and dates, a PNG with text and a colour profile, a video, a
face photo, a takedown-list match, a truncated JPEG), inspected and judged as the front ends
do, and every finding's name and explanation, every category label, problem, refusal,
verdict reason and consent text is shown translated in the pseudo language.

A text counts as translated when it is the pseudo form (``⟦UPPER CASE⟧``) and no English word
is left in it but the file's own data (a tag's value, a file name): an unmarked string, or a
marked template with an unmarked part put into it, fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import piexif
import pytest
from checks import in_process_engine
from family_fixtures import cheap_scrypt, fake_model  # noqa: F401
from i18n_fixtures import MARK_OPEN
from jpeg_fixtures import PLANTED, exif_bytes, insert_after_soi, iptc_segment, plain_jpeg, xmp_segment
from PIL import Image, ImageCms, PngImagePlugin

from share_guard.core.engine.verdict import Verdict, assess
from share_guard.core.export.consent import (
    CONFIRMATIONS,
    POLICY_CONFIRMATIONS,
    REMINDER,
    ConsentAnswer,
    ConsentRequest,
    consent_refusal,
)
from share_guard.core.export.pipeline import ExportOptions, ExportStatus
from share_guard.core.family.gates import policy_gates
from share_guard.core.family.lock import load_state
from share_guard.core.family.records import WARNING_WORDS
from share_guard.core.i18n import translated
from share_guard.core.inspect import InspectOptions, inspect
from share_guard.core.report import Category, Finding, Report

pytestmark = pytest.mark.usefixtures("cheap_scrypt", "fake_model")

#: an English word left in a translated text (the pseudo form is upper case)
_ENGLISH = re.compile(r"[a-z]{3,}")


def _shown(text: str, data: Iterable[str] = ()) -> str:
    """``text`` as a front end shows it; fails unless it is wholly translated."""
    out = translated(text)
    assert out.startswith(MARK_OPEN), f"not marked for translation: {text!r}"
    rest = out
    for value in sorted((d for d in data if d), key=len, reverse=True):
        rest = rest.replace(value, " ")
    left = _ENGLISH.findall(rest)
    assert not left, f"{text!r} shows as {out!r}: {left} left in English"
    return out


#: an XMP property's own name ("exif:GPSLatitude"): the file's words, shown as they are
_PROPERTY = re.compile(r"^\w+:\w+$")


def _check_finding(f: Finding, data: Iterable[str] = ()) -> None:
    values = [f.value, f.where, *data]
    if _PROPERTY.match(f.name):
        values += [f.name, f.name.split(":")[1]]
    else:
        _shown(f.name, values)
    _shown(f.explanation, values)
    _shown(f.category.label)


def _check_report(report: Report, data: Iterable[str] = ()) -> None:
    assert report.findings, report.summary()
    for f in report.findings:
        _check_finding(f, data)
    for problem in report.problems:
        _shown(problem, [report.path.name, *data])
    if report.error:
        _shown(report.error, [str(report.path), report.path.name])
    # the one-line summary lists the kinds found joined by commas: each label is marked (see
    # above), the list itself is not one text (the front ends compose their own)
    labels = [c.label for c in Category]
    _shown(report.summary(), [report.path.name, *labels, *data])


def _rich_jpeg(folder: Path) -> Path:
    data = plain_jpeg(exif=exif_bytes(gps=True, serial=True, artist=True, dates=True,
                                      owner=True, orientation=6))
    data = insert_after_soi(data, xmp_segment(), iptc_segment())
    path = folder / "IMG_20240102_030405.jpg"  # a date in the name is a finding too
    path.write_bytes(data + b"trailing bytes")
    return path


def _png(folder: Path) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Example")
    info.add_text("Comment", "holiday at the lake")
    info.add_text("Location", "52.5, 13.4")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = folder / "text.png"
    Image.new("RGB", (32, 24), (200, 30, 30)).save(path, pnginfo=info, icc_profile=icc)
    return path


def test_every_category_label_is_marked(pseudo_language: str) -> None:
    for category in Category:
        _shown(category.label)


def test_a_rich_jpeg_is_described_in_the_language(tmp_path: Path, pseudo_language: str) -> None:
    path = _rich_jpeg(tmp_path)
    report = inspect(path)
    names = {f.name for f in report.findings}
    assert {"GPS position", "Artist", "Camera make", "Camera model"} <= names
    # format names are not translated ("Photoshop/IPTC block")
    _check_report(report, [*PLANTED.values(), "Photoshop/IPTC", "Photoshop"])
    # a wrong extension: the whole sentence, with the format names it quotes
    wrong = tmp_path / "really_a_png.jpg"
    wrong.write_bytes(_png(tmp_path).read_bytes())
    [ext] = [f for f in inspect(wrong).findings if f.name == "Wrong file extension"]
    _check_finding(ext, [".jpg", "PNG", "JPEG", ".png"])


def test_a_png_with_text_and_a_colour_profile(tmp_path: Path, pseudo_language: str) -> None:
    report = inspect(_png(tmp_path))
    assert any(f.category is Category.KEPT for f in report.findings)
    # the text chunks' keywords are the file's own words, shown as they are
    _check_report(report, ["Author", "Comment", "Location", "Jane Example"])


def test_a_video_is_described_in_the_language(tmp_path: Path, pseudo_language: str) -> None:
    video_fixtures = pytest.importorskip("video_fixtures")
    path = video_fixtures.make_video(
        tmp_path / "clip.mp4", container="mp4", frames=3,
        metadata={"title": "our trip", "comment": "filmed by Jane",
                  "location": "+52.5200+013.4050/"})
    report = inspect(path)
    _check_report(report, ["our trip", "filmed by Jane", "title", "comment", "location"])


def test_faces_and_a_takedown_match(tmp_path: Path, pseudo_language: str) -> None:
    skdata = pytest.importorskip("skimage.data")
    from share_guard.core.analysis.analyzers import FaceAnalyzer
    from share_guard.core.takedown import TakedownAnalyzer, TakedownStore
    from share_guard.core.takedown import entries_for_file as hash_file

    listed = tmp_path / "listed.png"
    astronaut = np.ascontiguousarray(skdata.astronaut())
    Image.fromarray(astronaut).save(listed)
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(astronaut).save(photo, quality=85,
                                    exif=piexif.dump({"0th": {piexif.ImageIFD.Make: b"Cam"}}))
    with TakedownStore(tmp_path / "list.sqlite3") as store:
        store.add(hash_file(listed, label="case 7", source="helpline"), "family")
        report = inspect(photo, InspectOptions(analyzers=[FaceAnalyzer(),
                                                          TakedownAnalyzer(store)]))
    assert report.has(Category.PEOPLE) and report.has(Category.TAKEDOWN)
    _check_report(report, ["case 7", "Cam", "pdq", "phash"])
    # the verdict: blocked by the list, in the language
    verdict = assess(report, policy_gates(load_state()))
    assert verdict.verdict is Verdict.BLOCKED
    _shown(verdict.reason)
    # what consent would say about the faces (had the list not blocked it)
    for line in (*verdict.mentions.will_not_cover, *verdict.mentions.warnings,
                 *verdict.mentions.will_remove):
        _shown(line, [photo.name, "pdq", "phash"])


def test_a_truncated_jpeg_problems_and_verdict(tmp_path: Path, pseudo_language: str) -> None:
    whole = plain_jpeg(exif=exif_bytes(gps=True))
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    report = inspect(path)
    assert report.problems or report.error
    _check_report(report)
    verdict = assess(report, policy_gates(load_state()))
    assert verdict.verdict is not Verdict.READY
    _shown(verdict.reason)


@pytest.mark.parametrize("kind", ["missing", "folder", "not a photo"])
def test_files_that_cannot_be_read(tmp_path: Path, pseudo_language: str, kind: str) -> None:
    path = tmp_path / "x.jpg"
    if kind == "folder":
        path.mkdir()
    elif kind == "not a photo":
        path.write_bytes(b"just some text, not a picture\n" * 10)
    report = inspect(path)
    assert report.error
    _shown(report.error, [path.name])
    _shown(report.summary(), [path.name])


def test_consent_texts_and_refusals(tmp_path: Path, pseudo_language: str) -> None:
    for text in (*CONFIRMATIONS.values(), *POLICY_CONFIRMATIONS.values(), REMINDER,
                 *WARNING_WORDS.values()):
        _shown(text)
    photo = _rich_jpeg(tmp_path)
    seen: list[ConsentRequest] = []

    def no(request: ConsentRequest) -> ConsentAnswer:
        seen.append(request)
        return ConsentAnswer(False)

    out = tmp_path / "out"
    out.mkdir()
    outcome = in_process_engine(data_dir=tmp_path / "data").export(
        [photo], ExportOptions(output_dir=out), no)
    [result] = outcome.results
    assert result.status is ExportStatus.REFUSED
    _shown(result.reason)  # export without consent
    [request] = seen
    for item in request.items:
        props = [f.name for f in inspect(photo).findings if _PROPERTY.match(f.name)]
        for line in (*item.will_remove, *item.will_keep, *item.warnings):
            _shown(line, [*PLANTED.values(), *props, photo.name, "2024-01-02 03:04:05",
                          "2024-01-02T03:04:05"])
    # consent given, but a statement was not confirmed
    _shown(consent_refusal(request, ConsentAnswer(True, (), via="dialog")))

    # consented: what the clean copy lost, line by line
    def yes(request: ConsentRequest) -> ConsentAnswer:
        return ConsentAnswer(True, request.confirmations, via="dialog")

    [done] = in_process_engine(data_dir=tmp_path / "data").export(
        [photo], ExportOptions(output_dir=out), yes).results
    assert done.status is ExportStatus.CLEANED, done.reason
    assert done.removed and done.kept
    for line in (*done.removed, *done.kept):
        if re.fullmatch(r"[A-Z0-9/ ]+", line):
            continue  # a format's name ("EXIF", "XMP"): the same in every language
        _shown(line, [*PLANTED.values(), "Photoshop/IPTC", "Photoshop"])


def test_a_template_with_an_unmarked_part_fails_the_check(pseudo_language: str) -> None:
    """The check itself: English put into a marked template is caught."""
    from share_guard.core.i18n import N_, message

    with pytest.raises(AssertionError):
        _shown("an unmarked explanation nobody translates")
    with pytest.raises(AssertionError):
        _shown(message(N_("not cleaned: {problem}"), problem="an unmarked problem"))
    _shown(message(N_("not cleaned: {problem}"), problem=N_("data after the end of the image")))


def test_json_stays_english(tmp_path: Path, pseudo_language: str) -> None:
    report = inspect(_rich_jpeg(tmp_path))
    js = report.to_json()
    assert not any(MARK_OPEN in f["name"] or MARK_OPEN in f["explanation"]
                   for f in js["findings"])
    assert MARK_OPEN not in js["summary"] and "found" in js["summary"]
