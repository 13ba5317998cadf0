"""Red-team cases for the proof of where a JPEG's last scan ends (jpeg_scan_end): bytes a
decoder skips, planted where the flip or zero test could take them for coded data, must not
reach the clean copy, and the copy must decode to the original's pixels."""

from __future__ import annotations

import io

import numpy as np
from jpeg_fixtures import pixels
from leak_fixtures import export, marker
from PIL import Image

SECRET = marker("jpeg-scan-end").encode()


def _jpeg(width: int = 64, height: int = 48, **options: object) -> bytes:
    out = io.BytesIO()
    pixels(width, height, seed=5).save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def _decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def _cleaned(tmp_path, data: bytes, original: bytes) -> bytes:
    result = export(tmp_path, "p.jpg", data)
    assert result.ok, result.reason
    assert result.output is not None and result.accounting is not None
    out = result.output.read_bytes()
    assert SECRET not in out
    assert np.array_equal(_decoded(out), _decoded(original))
    return out


def test_a_restart_marker_after_hidden_bytes_does_not_prove_them_read(tmp_path) -> None:
    """Flipping the code byte of a trailing ``FF D0`` gives the invalid marker ``FF 50``:
    the file stops decoding, which must not count as the byte being read."""
    plain = _jpeg()
    eoi = plain.rindex(b"\xff\xd9")
    _cleaned(tmp_path, plain[:eoi] + SECRET + b"\xff\xd0" + plain[eoi:], plain)
