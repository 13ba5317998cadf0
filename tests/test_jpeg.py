"""JPEG: every kind of planted metadata -> found -> cleaned -> gone, pixels untouched."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from checks import assert_same_pixels, assert_witness_clean, clean_files, digest, displayed_pixels
from jpeg_fixtures import (
    PLANTED,
    exif_bytes,
    fake_mp4,
    insert_after_soi,
    iptc_segment,
    mpf_segment,
    pixels,
    plain_jpeg,
    segment,
    thumbnail_of,
    xmp_segment,
)
from PIL import Image

from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.inspect import inspect
from share_guard.core.report import Category


def yes(request):
    return ConsentAnswer(True, tuple(CONFIRMATIONS), via="dialog")


def _with_exif(**kw) -> bytes:
    img = pixels()
    return plain_jpeg(img, exif=exif_bytes(**kw))


def _cropped_thumbnail() -> bytes:
    img = pixels(96, 64, seed=3)
    other = Image.new("RGB", (96, 64), (250, 10, 10))
    return plain_jpeg(img, exif=exif_bytes(thumbnail=thumbnail_of(other)))


# name -> (bytes, categories that must be found, planted strings the witness must not read)
CASES = {
    "gps_exif": (lambda: _with_exif(gps=True), {Category.LOCATION}, ["43.46", "43 deg"]),
    "serial": (lambda: _with_exif(serial=True), {Category.DEVICE}, [PLANTED["serial"]]),
    "artist": (lambda: _with_exif(artist=True, owner=True), {Category.IDENTITY},
               [PLANTED["artist"], PLANTED["owner"]]),
    "dates": (lambda: _with_exif(dates=True), {Category.TIME}, ["2021:03:04"]),
    "thumbnail": (lambda: _with_exif(thumbnail=thumbnail_of(pixels())), {Category.HIDDEN},
                  ["ThumbnailImage", "ThumbnailOffset"]),
    "thumbnail_differs": (_cropped_thumbnail, {Category.HIDDEN}, ["ThumbnailImage"]),
    "xmp": (lambda: insert_after_soi(plain_jpeg(), xmp_segment()),
            {Category.LOCATION, Category.IDENTITY, Category.HIDDEN},
            [PLANTED["xmp_creator"], "GPSLatitude", "cropped"]),
    "comment": (lambda: plain_jpeg(comment=PLANTED["comment"].encode()), {Category.HIDDEN},
                [PLANTED["comment"]]),
    "iptc": (lambda: insert_after_soi(plain_jpeg(), iptc_segment()),
             {Category.IDENTITY, Category.LOCATION},
             [PLANTED["iptc_byline"], PLANTED["iptc_city"]]),
    "motion_photo_trailer": (lambda: plain_jpeg() + fake_mp4(), {Category.HIDDEN},
                             ["MotionPhoto", "ftypmp42", "EmbeddedVideo"]),
    "mpf_second_image": (lambda: insert_after_soi(plain_jpeg(), mpf_segment())
                         + plain_jpeg(pixels(32, 32, seed=9)), {Category.HIDDEN},
                         ["MPImage", "MPF"]),
    "vendor_app": (lambda: insert_after_soi(plain_jpeg(), segment(0xE5, b"VENDORX\x00secret-id-991")),
                   {Category.UNKNOWN}, ["secret-id-991"]),
    "everything_rotated": (lambda: insert_after_soi(
        plain_jpeg(pixels(), exif=exif_bytes(gps=True, serial=True, artist=True, dates=True,
                                             orientation=6, thumbnail=thumbnail_of(pixels()))),
        xmp_segment(), iptc_segment()) + fake_mp4(),
        {Category.LOCATION, Category.DEVICE, Category.IDENTITY, Category.TIME, Category.HIDDEN},
        [PLANTED["serial"], PLANTED["artist"], PLANTED["iptc_byline"], PLANTED["xmp_creator"],
         "2021:03:04"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip(case: str, tmp_path: Path, witness) -> None:
    make, categories, planted = CASES[case]
    src = tmp_path / "in" / "photo.jpg"
    src.parent.mkdir()
    src.write_bytes(make())
    before = digest(src)

    report = inspect(src)
    assert report.ok and report.understood, report.problems
    found = {f.category for f in report.leaks()}
    assert categories <= found, f"missed {categories - found}"

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    [result] = clean_files([src], ExportOptions(output_dir=out_dir), consent=yes)
    assert result.ok, result.reason
    assert result.output == out_dir / "photo_clean.jpg"

    after = inspect(result.output)
    assert after.leaks() == [], [f.name for f in after.leaks()]
    assert_witness_clean(witness, result.output, planted)
    assert_same_pixels(src, result.output)
    assert digest(src) == before, "the original was modified"
    assert sorted(p.name for p in out_dir.iterdir()) == ["photo_clean.jpg"], "temp files left"


def test_gps_position_is_decoded(tmp_path: Path) -> None:
    src = tmp_path / "gps.jpg"
    src.write_bytes(_with_exif(gps=True))
    [pos] = [f for f in inspect(src).findings if f.name == "GPS position"]
    assert pos.detail["latitude"] == pytest.approx(43.4674, abs=1e-3)
    assert pos.detail["longitude"] == pytest.approx(11.8851, abs=1e-3)
    assert "shows where the photo was taken" in pos.explanation


def test_thumbnail_showing_another_picture_is_called_out(tmp_path: Path) -> None:
    src = tmp_path / "cropped.jpg"
    src.write_bytes(_cropped_thumbnail())
    names = [f.name for f in inspect(src).findings]
    assert "Thumbnail differs from the photo" in names
    same = tmp_path / "same.jpg"
    same.write_bytes(_with_exif(thumbnail=thumbnail_of(pixels())))
    assert "Thumbnail differs from the photo" not in [f.name for f in inspect(same).findings]


def test_motion_photo_is_described_in_plain_words(tmp_path: Path) -> None:
    src = tmp_path / "motion.jpg"
    src.write_bytes(plain_jpeg() + fake_mp4(3 * 1024 * 1024))
    [trailer] = [f for f in inspect(src).findings if f.name == "Motion Photo video"]
    assert "3.0 MB video recorded around" in trailer.explanation


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_orientation_kept_with_nothing_else(orientation: int, tmp_path: Path, witness) -> None:
    src = tmp_path / "o.jpg"
    src.write_bytes(_with_exif(gps=True, orientation=orientation))
    [result] = clean_files([src], ExportOptions(output_dir=tmp_path), consent=yes)
    assert result.ok, result.reason
    after = inspect(result.output)
    assert after.properties["orientation"] == orientation
    assert [f.name for f in after.findings if f.category is Category.KEPT] == (
        ["Orientation"] if orientation != 1 else [])
    assert displayed_pixels(src)[0].shape == displayed_pixels(result.output)[0].shape
    tags = witness.tags(result.output)
    assert "GPS:GPSLatitude" not in tags and "IFD0:Make" not in tags


def test_icc_profile_and_progressive_scans_survive(tmp_path: Path) -> None:
    from PIL import ImageCms

    from share_guard.core.metadata.icc import neutral_profile

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = tmp_path / "p.jpg"
    src.write_bytes(plain_jpeg(pixels(), progressive=True, icc_profile=icc,
                               exif=exif_bytes(gps=True)))
    [result] = clean_files([src], ExportOptions(output_dir=tmp_path), consent=yes)
    assert result.ok
    with Image.open(result.output) as img:
        assert img.info.get("icc_profile") == neutral_profile(icc)  # colour data kept
        assert img.info.get("progressive") or img.info.get("progression")
    assert_same_pixels(src, result.output)


def test_jfif_thumbnail_is_removed(tmp_path: Path) -> None:
    data = plain_jpeg()
    # Rewrite the APP0 JFIF to announce a 2x1 RGB thumbnail.
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x01" + bytes(6)
    body = data[2 + 2 + int.from_bytes(data[4:6], "big"):]
    src = tmp_path / "jfif.jpg"
    src.write_bytes(b"\xff\xd8" + segment(0xE0, jfif) + body)
    assert "JFIF thumbnail" in [f.name for f in inspect(src).findings]
    [result] = clean_files([src], ExportOptions(output_dir=tmp_path), consent=yes)
    assert result.ok
    assert "JFIF thumbnail" not in [f.name for f in inspect(result.output).findings]
    assert_same_pixels(src, result.output)


def test_bytes_after_the_adobe_header_are_removed(tmp_path: Path) -> None:
    """APP14 "Adobe" was kept whole and never read: anything after its 12 bytes left with
    the copy, and verification could not see it."""
    adobe = b"Adobe\x00\x64\x00\x00\x00\x00\x01"
    src = tmp_path / "adobe.jpg"
    src.write_bytes(insert_after_soi(plain_jpeg(), segment(0xEE, adobe + b"owner jane-doe-555")))
    found = [f for f in inspect(src).leaks() if f.where == "APP14 Adobe"]
    assert found and found[0].category is Category.HIDDEN
    [result] = clean_files([src], ExportOptions(output_dir=tmp_path), consent=yes)
    assert result.ok and "data after the Adobe colour header" in result.removed
    out = result.output.read_bytes()
    assert b"jane-doe-555" not in out and segment(0xEE, adobe) in out
    assert_same_pixels(src, result.output)


def test_truncated_jpeg_is_refused_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "cut.jpg"
    src.write_bytes(_with_exif(gps=True)[:-300])
    report = inspect(src)
    assert not report.understood
    assert "truncated" in report.problems[0]
    assert report.has(Category.LOCATION), "what can be read is still reported"
    [result] = clean_files([src], ExportOptions(output_dir=tmp_path / "o"), consent=yes)
    assert result.status == "refused" and "\n" not in result.reason
    # its pixels cannot be decoded either: a rebuild is not offered, and the reason says so
    assert "cannot be rebuilt" in result.reason


def test_rebuild_route_for_a_refused_file(tmp_path: Path) -> None:
    img = pixels()
    data = plain_jpeg(img, exif=exif_bytes(gps=True))
    # A stray restart marker makes the structure "not understood" while the pixels decode.
    src = tmp_path / "odd.jpg"
    src.write_bytes(data[:20] + b"\xff\xd0" + data[20:])
    assert not inspect(src).understood
    out = tmp_path / "o"
    out.mkdir()
    [refused] = clean_files([src], ExportOptions(output_dir=out), consent=yes)
    assert refused.status == "refused" and not any(out.iterdir())
    [rebuilt] = clean_files([src], ExportOptions(output_dir=out, rebuild=True), consent=yes)
    assert rebuilt.ok, rebuilt.reason
    assert inspect(rebuilt.output).leaks() == []
    with Image.open(rebuilt.output) as a, Image.open(io.BytesIO(data)) as b:
        assert a.size == b.size


def test_rebuild_reports_what_left_with_the_original_metadata(tmp_path: Path) -> None:
    data = plain_jpeg(pixels(), exif=exif_bytes(gps=True, serial=True))
    src = tmp_path / "odd.jpg"
    src.write_bytes(data[:20] + b"\xff\xd0" + data[20:])
    [result] = clean_files([src], ExportOptions(output_dir=tmp_path, rebuild=True), consent=yes)
    assert result.ok, result.reason
    assert "Location: GPS position" in result.removed
    assert "Which device: Camera serial number" in result.removed
    assert result.changed and "rebuilt" in result.changed[0]
