"""Readable codes in a picture: QR codes, PDF417, Aztec, DataMatrix and barcodes.

Boarding passes carry the passenger's name and booking reference in PDF417,
Aztec or QR codes; a photo of one shares both. zxing-cpp reads every common
symbology and, asked for errors too, also locates QR codes it cannot decode
(blurred, partly hidden), which are still worth redacting. (OpenCV's QR detector
used to run after it; on 60 damaged, faint, tilted and warped test codes it found
none that zxing-cpp had missed, so OpenCV's 170 MB are no longer installed for it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from share_guard.core.progress import CancelToken
from share_guard.core.report import Region
from share_guard.core.textsafe import display_text

MAX_TEXT = 60  # characters of decoded content kept for display
_ZXING_FULL_PIXELS = 4_000_000
_MIN_CODE_PX = 12


@dataclass(frozen=True)
class Code:
    kind: str  # for people: "QR code", "PDF417", "Aztec code", "DataMatrix", "EAN13 barcode"...
    text: str  # decoded content, display-safe and shortened ("" if unreadable)
    region: Region  # label: "qr", "pdf417", "aztec", "datamatrix", "maxicode" or "barcode"
    readable: bool


_NAMES = {
    "QRCode": "QR code",
    "MicroQRCode": "Micro QR code",
    "RMQRCode": "rMQR code",
    "PDF417": "PDF417",
    "CompactPDF417": "PDF417",
    "MicroPDF417": "MicroPDF417",
    "Aztec": "Aztec code",
    "AztecCode": "Aztec code",
    "DataMatrix": "DataMatrix",
    "MaxiCode": "MaxiCode",
}


def _kind(fmt: object) -> str:
    name = str(getattr(fmt, "name", fmt)).split(".")[-1]
    return _NAMES.get(name, f"{name} barcode")


def region_label(kind: str) -> str:
    """The short label a code's region carries ("qr", "pdf417"... or "barcode")."""
    if kind.endswith("barcode"):
        return "barcode"
    if "QR" in kind:
        return "qr"
    return kind.split()[0].lower().removeprefix("micro")


def _box(points: np.ndarray, label: str, score: float, w: int, h: int) -> Region | None:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x0, y0 = max(0, int(np.floor(pts[:, 0].min()))), max(0, int(np.floor(pts[:, 1].min())))
    x1, y1 = min(w, int(np.ceil(pts[:, 0].max()))), min(h, int(np.ceil(pts[:, 1].max())))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    # linear barcodes report a thin scan line; grow it to cover the bars
    bw, bh = x1 - x0, y1 - y0
    if min(bw, bh) < max(_MIN_CODE_PX, max(bw, bh) // 3) and label == "barcode":
        grow = max(bw, bh) // 3
        if bw >= bh:
            y0, y1 = max(0, y0 - grow), min(h, y1 + grow)
        else:
            x0, x1 = max(0, x0 - grow), min(w, x1 + grow)
    return Region(x0, y0, x1 - x0, y1 - y0, score=score, label=label)


def find_codes(rgb: np.ndarray, cancel: CancelToken | None = None) -> list[Code]:
    """Codes in an HxWx3 uint8 RGB image (as displayed), best first."""

    h, w = rgb.shape[:2]
    gray = _gray(rgb)
    codes: list[Code] = []
    for bc in _zxing(gray):
        p = bc.position
        corners = [(q.x, q.y) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        kind = _kind(bc.format)
        readable = bool(bc.valid)
        if not readable and kind != "QR code":
            continue  # unreadable "DataMatrix" and friends turn up in grass and gravel
        region = _box(np.array(corners), region_label(kind), 1.0 if readable else 0.5, w, h)
        if region is not None:
            text = display_text(bc.text, limit=MAX_TEXT) if readable else ""
            codes.append(Code(kind, text, region, readable))
    if cancel is not None:
        cancel.check()
    return _dedupe(codes)


def _gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of an RGB array as uint8 (what zxing-cpp reads): Pillow's "L"
    conversion (fixed point, within 1 of the float formula). A float32 copy of a 12 MP
    picture cost 0.5 s in a fresh worker, most of it faulting in 190 MB."""
    from PIL import Image

    if rgb.ndim == 2:
        return np.ascontiguousarray(rgb)
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb[..., :3])).convert("L"))


def _zxing(gray: np.ndarray) -> list[Any]:
    """zxing-cpp's results in pixels of ``gray``.

    Above ``_ZXING_FULL_PIXELS`` a full-size pass without zxing's rotated and downscaled
    retries (small codes, upright barcodes) plus a half-size pass with them (large and
    turned codes) read what one full pass with retries reads, at about half the time
    (0.17 s instead of 0.36 s of processor time on a 12 MP photo).
    """
    import zxingcpp

    h, w = gray.shape[:2]
    if w * h <= _ZXING_FULL_PIXELS:
        return list(zxingcpp.read_barcodes(gray, return_errors=True))
    found: list[Any] = list(zxingcpp.read_barcodes(gray, return_errors=True, try_rotate=False,
                                                   try_downscale=False))
    half = _half(gray)
    for bc in zxingcpp.read_barcodes(half, return_errors=True):
        found.append(_Scaled(bc, 2.0))
    return found


class _Scaled:
    """A zxing result from a half-size image, with its position in full-size pixels."""

    def __init__(self, bc: Any, factor: float) -> None:
        self.format, self.text, self.valid = bc.format, bc.text, bc.valid
        p = bc.position
        self.position = SimpleNamespace(**{
            k: SimpleNamespace(x=getattr(p, k).x * factor, y=getattr(p, k).y * factor)
            for k in ("top_left", "top_right", "bottom_right", "bottom_left")})


def _half(gray: np.ndarray) -> np.ndarray:
    """``gray`` at half size, each pixel the mean of a 2x2 block (an area reduction)."""
    h, w = (gray.shape[0] // 2) * 2, (gray.shape[1] // 2) * 2
    block = gray[:h, :w].astype(np.uint16)
    total = block[0::2, 0::2] + block[1::2, 0::2] + block[0::2, 1::2] + block[1::2, 1::2]
    return np.ascontiguousarray(((total + 2) // 4).astype(np.uint8))


def _dedupe(codes: list[Code]) -> list[Code]:
    """One entry per code: readable first, then larger; overlapping repeats dropped."""
    ordered = sorted(codes, key=lambda c: (not c.readable, -c.region.w * c.region.h))
    kept: list[Code] = []
    for code in ordered:
        if not any(_overlaps(code.region, k.region) for k in kept):
            kept.append(code)
    return kept


def _overlaps(a: Region, b: Region) -> bool:
    iw = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    ih = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if iw <= 0 or ih <= 0:
        return False
    return iw * ih >= 0.3 * min(a.w * a.h, b.w * b.h)
