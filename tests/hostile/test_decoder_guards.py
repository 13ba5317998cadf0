"""Decoder guards: Pillow opens untrusted data only through core.images (bomb limits, allowed
formats), OpenCV never decodes files, piexif never parses, cv2's own pixel cap is set."""

from __future__ import annotations

import ast
import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError

PACKAGE = Path(__file__).resolve().parents[2] / "share_guard"
#: calls that decode or parse untrusted bytes without our limits
FORBIDDEN = {
    ("cv2", "imread"), ("cv2", "imdecode"), ("cv2", "imreadmulti"), ("cv2", "imreadanimation"),
    ("cv2", "VideoCapture"), ("piexif", "load"), ("ImageFile", "LOAD_TRUNCATED_IMAGES"),
}


def _calls() -> list[tuple[Path, int, str, str]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                found.append((path, node.lineno, node.value.id, node.attr))
    return found


def test_no_unguarded_decoder_is_called_anywhere() -> None:
    bad = [f"{p.relative_to(PACKAGE.parent)}:{line} {mod}.{attr}" for p, line, mod, attr in _calls()
           if (mod, attr) in FORBIDDEN]
    assert not bad, bad


def test_pillow_opens_only_through_core_images() -> None:
    """Image.open without a ``formats=`` list lets any format Pillow knows in (EPS runs
    Ghostscript): outside core.images it must name the formats it expects."""
    bad = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "images.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "open" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "Image"
                    and not any(k.arg == "formats" for k in node.keywords)):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not bad, "use share_guard.core.media.images.open_image (bomb limits, allowed formats): " + str(bad)


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_open_image_refuses_bombs_and_formats_we_do_not_handle() -> None:
    from share_guard.core.media.images import MAX_PIXELS, open_image

    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        open_image(io.BytesIO(_png(20_000, 20_000)))
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"  # would run Ghostscript
    for other in (eps, b"BM" + b"\x00" * 60, b"8BPS" + b"\x00" * 60):
        with pytest.raises(UnidentifiedImageError):
            open_image(io.BytesIO(other))


def test_opencv_pixel_cap_is_set_by_importing_the_core() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    env["PYTHONPATH"] = str(PACKAGE.parent)
    code = "import os, share_guard.core; print(os.environ['OPENCV_IO_MAX_IMAGE_PIXELS'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60, check=True).stdout.strip()
    assert int(out) <= 2**26
