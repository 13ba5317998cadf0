"""Does an embedded thumbnail show a different picture from the image itself?"""

from __future__ import annotations

import io


def thumbnail_mismatch(data: bytes, thumbnail: bytes, orientation: int) -> str | None:
    """A short reason when the thumbnail differs from the main image, else None.

    Both are decoded small (the main image with JPEG draft mode) and compared on
    aspect ratio and on a 16x16 grey rendering. A cropped or edited photo whose
    thumbnail still shows the whole scene is a classic leak.
    """
    del orientation  # thumbnails are stored in the same orientation as the image
    try:  # Pillow loads here, for the few photos with a thumbnail (not when a handler loads)
        from PIL import Image

        from share_guard.core.media.images import open_image

        with open_image(io.BytesIO(thumbnail), formats=("JPEG",)) as thumb:
            thumb.draft("L", (64, 64))
            t = thumb.convert("L")
        with open_image(io.BytesIO(data), formats=("JPEG",)) as main:
            main.draft("L", (max(64, t.width * 2), max(64, t.height * 2)))
            m = main.convert("L")
    except Exception:  # noqa: BLE001 - a thumbnail we cannot decode is still removed
        return None
    ta, ma = t.width / max(t.height, 1), m.width / max(m.height, 1)
    if abs(ta - ma) / ma > 0.08:
        return f"thumbnail shape {t.width}x{t.height} does not match the photo"
    a = t.resize((16, 16), Image.Resampling.BOX).tobytes()
    b = m.resize((16, 16), Image.Resampling.BOX).tobytes()
    diff = sum(abs(x - y) for x, y in zip(a, b, strict=True)) / 256
    if diff > 24:
        return f"thumbnail content differs from the photo (mean difference {diff:.0f}/255)"
    return None
