"""The app's pictures of a photo: decoded no larger than needed, turned as shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from share_guard.core.media import images
from share_guard.core.media.preview import decode_preview


def _photo(path: Path, size: tuple[int, int], orientation: int = 1) -> Path:
    h, w = size[1], size[0]
    ramp = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None].repeat(h, 0).repeat(3, 2)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(ramp).save(path, quality=90, exif=exif)
    return path


@pytest.mark.parametrize(("orientation", "shown"), [(1, (1600, 1200)), (6, (1200, 1600))])
def test_a_large_photo_is_decoded_at_half_size_for_the_preview(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, orientation: int,
        shown: tuple[int, int]) -> None:
    decoded: list[tuple[int, int]] = []
    real = images.load_displayed

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        img = real(*args, **kwargs)
        decoded.append(img.size)
        return img

    monkeypatch.setattr(images, "load_displayed", spy)
    photo = _photo(tmp_path / "big.jpg", (4000, 3000), orientation)
    pixels = decode_preview(photo, "image", 1600)
    assert pixels is not None
    assert (pixels.width, pixels.height) == shown
    assert len(pixels.rgb) == shown[0] * shown[1] * 3
    assert pixels.full_size == ((4000, 3000) if orientation == 1 else (3000, 4000))
    # libjpeg scaled it by 1/2 (a 1600x1600 box would have kept the full 12 MP)
    assert decoded == [(2000, 1500) if orientation == 1 else (1500, 2000)]


def test_a_small_photo_is_not_enlarged(tmp_path: Path) -> None:
    pixels = decode_preview(_photo(tmp_path / "small.jpg", (320, 240)), "image", 1600)
    assert pixels is not None and (pixels.width, pixels.height) == (320, 240)
