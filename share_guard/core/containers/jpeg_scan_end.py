"""Where the entropy-coded data of a JPEG's last scan really ends.

A decoder stops reading a scan once its last MCU is complete; bytes between that point and
the next marker (EOI) are skipped ("extraneous bytes before marker"), so they can carry
anything. Only an entropy decoder knows where the point is, and one written in Python
would take seconds for a phone photo, so this asks libjpeg (through Pillow, under the
usual limits) what the picture looks like with the scan's bytes from ``n`` on zeroed:
the least ``n`` that leaves the picture unchanged is what it needs (zeroing a byte the
decoder uses changes the picture; zeroing padding or skipped bytes does not), and the
cleaner zeroes the rest in place. The accounting proves the end with one decode: zeroing
the last non-zero byte must change the picture.

Two pictures are compared at half size first (libjpeg's DCT scaling: the whole scan is
entropy-decoded exactly as at full size, only the inverse transform is smaller), which is
several times cheaper than a full decode and hashing every pixel. A half-size difference
proves the decoder read and used the zeroed bytes; only when the half-size pictures agree
are the full pictures compared, so "unchanged" always means unchanged at full size. The
digests are remembered by the exact bytes decoded (:mod:`.content_memo`), so the proof on
the written copy finds the decodes the cleaner made of the same bytes.

Only the last scan is checked this way (one decode more per walk); the skipped bytes at the
end of earlier scans of a progressive JPEG would cost a decode per scan and stay a known
covert channel (see the README).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from share_guard.core.containers.content_memo import ContentMemo

if TYPE_CHECKING:
    from PIL import Image

#: the data of the last scan, given the bytes to put there, as a whole JPEG
Build = Callable[[bytes], bytes]

#: pictures compared first at 1/REDUCED of their size (see the module's notes)
REDUCED = 2
#: digests of decoded pictures, by the JPEG's bytes and the scale (cleared per export)
_PICTURES: ContentMemo[bytes | None] = ContentMemo(16, ())


def picture(jpeg: bytes, scale: int = 1) -> bytes | None:
    """A digest of what the JPEG decodes to at 1/``scale`` of its size (None: it does not)."""
    return _PICTURES.get(jpeg, scale, _decode)


def decodes(jpeg: bytes) -> bool:
    """True when the JPEG's image data decodes (every scan entropy-decoded)."""
    return picture(jpeg, REDUCED) is not None


def same_picture(a: bytes, b: bytes) -> bool:
    """True when the two JPEGs decode to the same full-size picture (a half-size decode
    first: a difference there settles it)."""
    return picture(a, REDUCED) == picture(b, REDUCED) and picture(a) == picture(b)


def _decode(jpeg: bytes, scale: int) -> bytes | None:
    from PIL import Image

    from share_guard.core.media.images import open_image

    try:
        with open_image(io.BytesIO(jpeg), formats=["JPEG"]) as img:
            if scale > 1:
                img.draft(img.mode, (max(1, img.width // scale), max(1, img.height // scale)))
            img.load()
            return _digest(img)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None


#: pictures up to this many pixels are hashed in one piece, larger ones in bands of rows
WHOLE_PIXELS = 1 << 22
BAND_ROWS = 512


def _digest(img: Image.Image) -> bytes:
    digest = hashlib.sha256(f"{img.mode} {img.size}".encode())
    if img.width * img.height <= WHOLE_PIXELS:
        digest.update(img.tobytes())
    else:
        for top in range(0, img.height, BAND_ROWS):  # in bands: bounded extra memory
            digest.update(img.crop((0, top, img.width, min(top + BAND_ROWS, img.height)))
                          .tobytes())
    return digest.digest()


def _zeroed(scan: bytes, keep: int) -> bytes:
    return scan[:keep] + bytes(len(scan) - keep)


#: a digest of what the bytes ``build`` makes decode to (None: they do not)
Picture = Callable[[bytes], "bytes | None"]


def _same_as(whole: bytes, picture: Picture | None) -> Callable[[bytes], bool]:
    """A test "decodes like ``whole``": JPEG pictures by :func:`same_picture` (half size
    first), other formats by the digest ``picture`` gives."""
    if picture is None:
        return lambda other: same_picture(whole, other)
    reference = picture(whole)
    return lambda other: reference is not None and picture(other) == reference


def needed(scan: bytes, build: Build, picture: Picture | None = None) -> int:
    """Bytes of ``scan`` the picture needs (the rest may be zeroed); ``picture`` digests what
    ``build`` makes when that is not a JPEG (a TIFF strip)."""
    same = _same_as(build(scan), picture)
    last = len(scan.rstrip(b"\x00"))
    if last == 0 or not same(build(_zeroed(scan, last - 1))):
        return last
    good, step, bad = last - 1, 1, -1
    while good > 0:  # gallop down from the last non-zero byte...
        probe = max(good - step, 0)
        if not same(build(_zeroed(scan, probe))):
            bad = probe
            break
        good, step = probe, step * 2
    while bad >= 0 and good - bad > 1:  # ...then halve the interval
        mid = (good + bad) // 2
        if same(build(_zeroed(scan, mid))):
            good = mid
        else:
            bad = mid
    return good


def only_needed(scan: bytes, build: Build, picture: Picture | None = None) -> bool:
    """True when the last non-zero byte of ``scan`` changes the picture when zeroed."""
    last = len(scan.rstrip(b"\x00"))
    return last == 0 or not _same_as(build(scan), picture)(build(_zeroed(scan, last - 1)))
