"""Irreversible redaction: fills, styles, shapes, files, metadata, pipeline and CLI."""

from __future__ import annotations

import io
import json

import numpy as np
import piexif
import pytest
from PIL import Image
from skimage import data

from share_guard.cli import main as cli_main
from share_guard.core.redaction.image import redact_image_file
from share_guard.core.redaction.regions import (
    MANUAL,
    RedactionPlan,
    Style,
    enlarged,
    plan_regions,
    redact_array,
)
from share_guard.core.report import Region, Report

FACE = Region(182, 58, 88, 120, score=0.9, label="face")


def photo() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())


def test_enlarge_grows_detections_but_not_manual_regions():
    r = enlarged(Region(100, 100, 100, 50, label="face"), 1.3, 1000, 1000)
    assert (r.x, r.y, r.w, r.h) == (85, 92, 130, 66)
    m = enlarged(Region(100, 100, 100, 50, label=MANUAL), 1.3, 1000, 1000)
    assert (m.x, m.y, m.w, m.h) == (100, 100, 100, 50)
    edge = enlarged(Region(0, 0, 100, 100, label="face"), 1.3, 110, 110)
    assert (edge.x, edge.y, edge.w, edge.h) == (0, 0, 110, 110)


def test_solid_fill_leaves_no_trace_of_the_region():
    img = photo()
    applied = redact_array(img, RedactionPlan((FACE,)))
    (r,) = applied
    area = img[r.y : r.y + r.h, r.x : r.x + r.w]
    assert (area == 0).all()
    assert r.w == pytest.approx(FACE.w * 1.3, abs=2)
    # outside the enlarged box nothing changed
    untouched = photo()
    mask = np.ones(img.shape[:2], bool)
    mask[r.y : r.y + r.h, r.x : r.x + r.w] = False
    assert (img[mask] == untouched[mask]).all()


def test_noisy_style_is_fresh_noise_not_a_blur():
    a, b = photo(), photo()
    redact_array(a, RedactionPlan((FACE,), Style.NOISY))
    redact_array(b, RedactionPlan((FACE,), Style.NOISY))
    y0, y1, x0, x1 = FACE.y, FACE.y + FACE.h, FACE.x, FACE.x + FACE.w
    pa, pb, orig = (v[y0:y1, x0:x1].astype(int) for v in (a, b, photo()))
    assert np.abs(pa - pb).mean() > 5  # two runs differ: fresh noise each time
    assert np.abs(pa - orig).mean() > 10  # and neither is the original
    # no detail of the original survives: its edges do not correlate with what is there now
    def edges(v):
        g = v.mean(axis=2)
        return np.hypot(np.diff(g, axis=0)[:, :-1], np.diff(g, axis=1)[:-1, :]).ravel()

    assert abs(np.corrcoef(edges(orig), edges(pa))[0, 1]) < 0.1


def test_ellipse_and_outside():
    img = photo()
    region = Region(100, 100, 200, 100, label=MANUAL, shape="ellipse")
    redact_array(img, RedactionPlan((region,)))
    assert (img[150, 200] == 0).all()  # centre filled
    assert (img[100, 100] == photo()[100, 100]).all()  # bounding-box corner kept

    img = photo()
    keep = Region(50, 60, 100, 80, label=MANUAL)
    redact_array(img, RedactionPlan((), outside=keep))
    assert (img[60:140, 50:150] == photo()[60:140, 50:150]).all()
    assert (img[:60] == 0).all() and (img[140:] == 0).all()
    assert (img[:, :50] == 0).all() and (img[:, 150:] == 0).all()


def test_plan_regions_adds_and_removes():
    det = [FACE, Region(10, 10, 20, 20, score=0.15, label="possible face")]
    drawn = Region(300, 300, 40, 40)
    out = plan_regions(det, added=[drawn], removed=[det[1]])
    assert out == [FACE, Region(300, 300, 40, 40, label=MANUAL)]


def test_alpha_is_made_opaque_in_redacted_area(tmp_path):
    rgba = np.dstack([photo(), np.full((512, 512), 255, np.uint8)])
    rgba[FACE.y : FACE.y + FACE.h, FACE.x : FACE.x + FACE.w, 3] = 0  # face-shaped hole
    src = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(src)
    out = io.BytesIO()
    res = redact_image_file(src, [FACE], "solid", out)
    assert res.format == "PNG"
    got = np.asarray(Image.open(io.BytesIO(out.getvalue())))
    r = res.regions[0]
    assert (got[r.y : r.y + r.h, r.x : r.x + r.w] == [0, 0, 0, 255]).all()


def _dirty_jpeg(path, orientation: int = 1, quality: int = 72) -> None:
    """A JPEG with EXIF (camera, GPS), an EXIF thumbnail of the face, a comment and XMP."""
    thumb = io.BytesIO()
    Image.fromarray(photo()).resize((160, 160)).save(thumb, "JPEG")
    exif = piexif.dump({
        "0th": {piexif.ImageIFD.Make: b"Canon", piexif.ImageIFD.Orientation: orientation},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N",
                piexif.GPSIFD.GPSLatitude: ((51, 1), (30, 1), (0, 1))},
        "1st": {piexif.ImageIFD.JPEGInterchangeFormat: 0,
                piexif.ImageIFD.JPEGInterchangeFormatLength: 0},
        "thumbnail": thumb.getvalue(),
    })
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    Image.fromarray(photo()).save(path, "JPEG", quality=quality, subsampling=1, exif=exif,
                                  comment=b"Alice at home", xmp=xmp)


def test_jpeg_keeps_quantisation_and_subsampling(tmp_path):
    src = tmp_path / "dirty.jpg"
    _dirty_jpeg(src)
    out = io.BytesIO()
    res = redact_image_file(src, [FACE], "solid", out)
    assert res.format == "JPEG" and res.extension == ".jpg"
    o, s = Image.open(io.BytesIO(out.getvalue())), Image.open(src)
    assert o.quantization == s.quantization
    from PIL import JpegImagePlugin

    assert JpegImagePlugin.get_sampling(o) == JpegImagePlugin.get_sampling(s) == 1
    # the inside of the enlarged box stays black after the one re-encode
    r = res.regions[0]
    inner = np.asarray(o.convert("RGB"))[r.y + 4 : r.y + r.h - 4, r.x + 4 : r.x + r.w - 4]
    assert inner.max() < 24


def test_redacted_output_has_no_metadata_or_thumbnail(tmp_path, witness):
    src = tmp_path / "dirty.jpg"
    _dirty_jpeg(src)
    out = tmp_path / "out.jpg"
    with open(out, "wb") as fh:
        redact_image_file(src, [FACE], "noisy", fh)
    tags = witness.tags(out)
    assert "EXIF:ThumbnailImage" not in json.dumps(tags) and "IFD1:ThumbnailOffset" not in tags
    groups = {k.split(":")[0] for k in tags}
    assert not groups & {"IFD0", "IFD1", "ExifIFD", "GPS", "XMP-x", "XMP", "Comment", "MPF0"}
    assert "Alice" not in json.dumps(tags)
    assert b"Exif" not in out.read_bytes()[:4096]
    with Image.open(out) as img:
        assert not img.getexif() and "comment" not in img.info and "xmp" not in img.info


def test_orientation_is_applied_to_the_output(tmp_path):
    stored = np.ascontiguousarray(np.rot90(photo(), k=1))
    src = tmp_path / "rot.jpg"
    Image.fromarray(stored).save(src, "JPEG", exif=piexif.dump(
        {"0th": {piexif.ImageIFD.Orientation: 6}}))
    out = io.BytesIO()
    res = redact_image_file(src, [FACE], "solid", out)
    got = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))
    assert got.shape == (512, 512, 3)  # stored as displayed, no tag needed
    r = res.regions[0]
    assert got[r.y + 5 : r.y + r.h - 5, r.x + 5 : r.x + r.w - 5].max() < 24


@pytest.mark.parametrize("lossless", [True, False])
def test_webp_stays_lossless_when_it_was(tmp_path, lossless):
    src = tmp_path / "a.webp"
    Image.fromarray(photo()).save(src, "WEBP", lossless=lossless, quality=90)
    out = io.BytesIO()
    res = redact_image_file(src, [FACE], "solid", out)
    body = out.getvalue()
    assert (b"VP8L" in body[:64]) is lossless
    if lossless:
        got = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
        want = photo()
        redact_array(want, RedactionPlan((FACE,)))
        assert (got == want).all()
    assert res.format == "WEBP"


@pytest.mark.parametrize(
    "fmt, params, out_fmt, lossless",
    [
        ("PNG", {}, "PNG", True),
        ("TIFF", {"compression": "tiff_lzw"}, "TIFF", True),
        ("GIF", {}, "PNG", True),
        ("HEIF", {"quality": 90}, "HEIF", False),
        ("AVIF", {"quality": 90}, "AVIF", False),
    ],
)
def test_formats_are_kept_at_best_quality(tmp_path, fmt, params, out_fmt, lossless):
    from share_guard.core.media.images import ensure_heif

    ensure_heif()
    src = tmp_path / f"a.{fmt.lower()}"
    Image.fromarray(photo()).save(src, fmt, **params)
    out = io.BytesIO()
    res = redact_image_file(src, [FACE], "solid", out)
    got_img = Image.open(io.BytesIO(out.getvalue()))
    assert (res.format, got_img.format) == (out_fmt, out_fmt)
    got = np.asarray(got_img.convert("RGB")).astype(int)
    r = res.regions[0]
    assert got[r.y + 4 : r.y + r.h - 4, r.x + 4 : r.x + r.w - 4].max() < 24
    if lossless:
        src_px = np.asarray(Image.open(src).convert("RGB")).astype(int)
        mask = np.ones(got.shape[:2], bool)
        mask[r.y : r.y + r.h, r.x : r.x + r.w] = False
        assert (got[mask] == src_px[mask]).all()


def test_cli_clean_redacts_faces_and_strips(tmp_path, capsys):
    src = tmp_path / "dirty.jpg"
    _dirty_jpeg(src, quality=90)
    assert cli_main(["inspect", "--faces", "--json", str(src)]) == 1
    report = json.loads(capsys.readouterr().out)["files"][0]
    faces = [f for f in report["findings"] if f["category"] == "people" and f["name"] == "Faces"]
    # the face (weaker boxes in a picture with a confident face are pre-selected as well)
    box = max(faces[0]["regions"], key=lambda r: r["score"])
    x, y, w, h = box["box"]
    assert abs(x - FACE.x) < 20 and abs(y - FACE.y) < 20

    code = cli_main(["clean", "--redact-faces", "--consent", "--json", str(src)])
    result = json.loads(capsys.readouterr().out)["files"][0]
    assert code == 0, result
    assert any(c.startswith("covered (") for c in result["changed"])
    out = np.asarray(Image.open(result["output"]).convert("RGB"))
    assert out[y + 5 : y + h - 5, x + 5 : x + w - 5].max() < 24
    assert not Image.open(result["output"]).getexif()


def test_summary_counts_the_faces_covered_not_those_found(tmp_path, monkeypatch):
    # The window hands every detection over and switches off the unticked ones; the note
    # the person reads must count what was covered (it said "176 faces" for 28 covered).
    from share_guard.core.containers.base import Source
    from share_guard.core.redaction import transform as redact_transform
    from share_guard.core.redaction.transform import RedactTransform

    src = tmp_path / "two.jpg"
    Image.fromarray(photo()).save(src, quality=90)
    other = Region(20, 300, 60, 60, score=0.15, label="possible face")
    monkeypatch.setattr(redact_transform, "image_faces", lambda *a, **k: [FACE, other])
    report = Report(src, kind="image")
    for removed, want in (((), "2 faces"), ((other,), "1 face")):
        out = io.BytesIO()
        notes = RedactTransform(include_possible=True, removed=removed).apply(
            Source(src), report, out, lambda *_: None, None)
        assert notes[0] == f"covered (solid fill): {want}", notes
