"""Readable codes: QR (cv2.QRCodeEncoder), PDF417/Aztec/DataMatrix/linear barcodes (zxing-cpp)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import zxingcpp
from PIL import Image
from skimage import data

from share_guard.core.analysis.analyzers import CodeAnalyzer
from share_guard.core.analysis.codes import find_codes
from share_guard.core.containers.base import Source
from share_guard.core.progress import no_progress
from share_guard.core.redaction.image import redact_image_file
from share_guard.core.redaction.regions import RedactionPlan, redact_array
from share_guard.core.report import Category, Report

BOARDING = "M1DOE/JOHN            EABC123 LHRJFKBA 0117 123Y012A0001 100"


def qr_image(text: str = BOARDING, scale: int = 5) -> np.ndarray:
    code = cv2.QRCodeEncoder.create().encode(text)
    code = cv2.resize(code, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    return code


def on_photo(code: np.ndarray, at: tuple[int, int] = (120, 80)) -> np.ndarray:
    """A code printed on a light card in the middle of a real photo."""
    img = cv2.resize(data.coffee(), (1400, 800))
    x, y = at
    h, w = code.shape[:2]
    img[y - 20 : y + h + 20, x - 20 : x + w + 20] = 245
    img[y : y + h, x : x + w] = code[..., None] if code.ndim == 2 else code
    return img


def test_qr_code_is_found_read_and_redacted(tmp_path):
    img = on_photo(qr_image())
    codes = find_codes(img)
    assert [(c.kind, c.readable) for c in codes] == [("QR code", True)]
    assert codes[0].text.startswith("M1DOE/JOHN")
    r = codes[0].region
    assert 110 <= r.x <= 130 and 70 <= r.y <= 90 and r.w >= 100

    path = tmp_path / "pass.png"
    Image.fromarray(img).save(path)
    out = io.BytesIO()
    redact_image_file(path, [c.region for c in codes], "solid", out)
    redacted = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))
    assert find_codes(redacted) == []
    ok, _ = cv2.QRCodeDetector().detect(cv2.cvtColor(redacted, cv2.COLOR_RGB2GRAY))
    assert not ok


@pytest.mark.parametrize(
    "fmt, kind",
    [
        (zxingcpp.BarcodeFormat.PDF417, "PDF417"),
        (zxingcpp.BarcodeFormat.Aztec, "Aztec code"),
        (zxingcpp.BarcodeFormat.DataMatrix, "DataMatrix"),
        (zxingcpp.BarcodeFormat.Code128, "Code128 barcode"),
    ],
)
def test_boarding_pass_symbologies_are_found_and_redacted(fmt, kind):
    code = np.asarray(zxingcpp.create_barcode(BOARDING[:30], fmt).to_image(scale=3))
    img = on_photo(code)
    codes = find_codes(img)
    assert [c.kind for c in codes] == [kind]
    assert codes[0].text == BOARDING[:30].strip()
    redact_array(img, RedactionPlan(tuple(c.region for c in codes)))
    assert find_codes(img) == []


def test_damaged_qr_code_is_still_flagged_once():
    code = qr_image()
    h, w = code.shape
    a = int(h * 0.4)
    code[h // 2 - a // 2 : h // 2 + a // 2, w // 2 - a // 2 : w // 2 + a // 2] = 128
    (found,) = find_codes(on_photo(code))
    assert (found.kind, found.readable, found.text) == ("QR code", False, "")
    r = found.region
    assert abs(r.x - 120) <= 12 and abs(r.y - 80) <= 12 and r.w >= 120


@pytest.mark.parametrize("name", ["astronaut", "coffee", "grass", "gravel", "brick", "retina"])
def test_photo_without_codes_has_none(name):
    img = getattr(data, name)()
    img = np.dstack([img] * 3) if img.ndim == 2 else img[..., :3]
    assert find_codes(np.ascontiguousarray(img)) == []


def test_code_analyzer_finding(tmp_path, monkeypatch):
    path = tmp_path / "pass.png"
    Image.fromarray(on_photo(qr_image())).save(path)
    report = Report(path=path, kind="image")
    (finding,) = CodeAnalyzer().analyze(Source(path), report, no_progress, None)
    assert finding.category is Category.CODES and not finding.removable
    assert finding.value == "1 QR code"
    js = finding.to_json()
    assert js["regions"][0]["label"] == "qr"
    assert js["detail"]["codes"][0]["content"].startswith("M1DOE/JOHN")
    # the decoded content (a name, a booking reference) is never written to disk
    from share_guard.core.paths import cache_dir

    (again,) = CodeAnalyzer().analyze(Source(path), report, no_progress, None)
    assert again == finding
    for stored in cache_dir().rglob("*"):
        if stored.is_file():
            assert b"DOE/JOHN" not in stored.read_bytes(), stored
    # videos are not scanned for codes
    assert list(CodeAnalyzer().analyze(Source(path), Report(path=path, kind="video"),
                                       no_progress, None)) == []


def test_large_photo_finds_small_codes_and_turned_barcodes_in_full_size_pixels():
    # 12 MP: a small QR code (full-size pass) and a barcode turned on its side (half-size pass)
    img = cv2.resize(data.coffee(), (4000, 3000))
    qr = qr_image(scale=3)
    bar = np.ascontiguousarray(np.rot90(np.asarray(
        zxingcpp.create_barcode(BOARDING[:20], zxingcpp.BarcodeFormat.Code128).to_image(scale=6))))
    for code, (x, y) in ((qr, (300, 2400)), (bar, (3000, 500))):
        h, w = code.shape[:2]
        img[y - 30 : y + h + 30, x - 30 : x + w + 30] = 245
        img[y : y + h, x : x + w] = code[..., None]
    found = {c.kind: c for c in find_codes(img)}
    assert set(found) == {"QR code", "Code128 barcode"}
    assert found["QR code"].readable and found["Code128 barcode"].text == BOARDING[:20].strip()
    r, (bh, bw) = found["Code128 barcode"].region, bar.shape[:2]
    quiet = 12 * 6  # to_image() adds a quiet zone around the bars, which zxing leaves out
    assert r.x <= 3000 + quiet and r.x + r.w >= 3000 + bw - quiet
    assert r.y <= 500 + quiet and r.y + r.h >= 500 + bh - quiet
    r = found["QR code"].region
    assert abs(r.x - 300) < 20 and abs(r.y - 2400) < 20


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_a_jpeg_read_by_its_luma_alone_finds_what_its_full_picture_shows(tmp_path, orientation):
    """The code search reads a JPEG's luma channel alone (no colour decode): turned by its
    EXIF orientation like the picture, and finding the same code at the same place."""
    from share_guard.core.media.pixels import Picture

    stored = np.ascontiguousarray(np.rot90(on_photo(qr_image()), k=1))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "turned.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=exif)
    picture = Picture(path)
    gray, full = picture.gray(), picture.full()
    assert gray.ndim == 2 and gray.shape == full.shape[:2]
    found = [(c.kind, c.text, c.region) for c in find_codes(gray)]
    assert found == [(c.kind, c.text, c.region) for c in find_codes(full)]
    assert [kind for kind, _, _ in found] == ["QR code"]
