"""What a file shows, to compare a clean copy with its original (the leak table's check
that cleaning changed nothing a viewer or player shows).

Images: every frame or page as decoded by Pillow (pillow-heif for HEIF/AVIF), turned upright
by its EXIF orientation. Videos: ffmpeg's per-frame MD5 of every video and audio stream.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

VIDEO = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".3gp", ".m4v")


def shown(path: Path) -> list[str] | None:
    """A digest per frame/page (None: it does not decode)."""
    if path.suffix.lower() in VIDEO:
        return _video(path)
    return _image(path)


def _image(path: Path) -> list[str] | None:
    from PIL import Image, ImageOps

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    out = []
    try:
        with Image.open(path) as im:
            # a JPEG's MPF images (previews, gain maps) and a TIFF's reduced pages are not
            # what a viewer shows (TIFF pages share_guard keeps are checked by its tests)
            frames = 1 if im.format in ("JPEG", "MPO", "TIFF") else getattr(im, "n_frames", 1)
            for i in range(frames):
                im.seek(i)
                try:
                    frame = ImageOps.exif_transpose(im).convert("RGBA")
                except Exception:  # noqa: BLE001 - EXIF no viewer can read: shown as stored
                    frame = im.convert("RGBA")
                out.append(hashlib.sha256(f"{frame.size}".encode() + frame.tobytes())
                           .hexdigest())
    except Exception:  # noqa: BLE001 - any failure to decode is "does not decode"
        return None
    return out


def _video(path: Path) -> list[str] | None:
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "V", "-show_entries",
                            "stream=pix_fmt", "-of", "csv=p=0", str(path)],
                           capture_output=True, timeout=60, check=False)
    # palette frames: compare what is shown (a palette entry no pixel uses is no picture)
    shown = ["-pix_fmt", "rgba"] if b"pal8" in probe.stdout else []
    proc = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:V?", "-map",
                           "0:a?", *shown, "-f", "framemd5", "-"], capture_output=True,
                          timeout=300, check=False)
    if proc.returncode:
        return None
    lines = [ln for ln in proc.stdout.decode().splitlines() if ln and not ln.startswith("#")]
    # stream index, pts, size and md5 (dts and duration may differ after remuxing)
    return [",".join(p.strip() for p in (f[0], f[2], f[4], f[5])) for f in
            (ln.split(",") for ln in lines) if len(f) >= 6]


def same(original: Path, copy: Path) -> bool:
    a = shown(original)
    return a is not None and a == shown(copy)
