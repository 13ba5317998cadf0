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

Only the last scan is checked this way (one decode more per walk); the skipped bytes at the
end of earlier scans of a progressive JPEG would cost a decode per scan and stay a known
covert channel (see the README).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

#: the data of the last scan, given the bytes to put there, as a whole JPEG
Build = Callable[[bytes], bytes]


def picture(jpeg: bytes) -> bytes | None:
    """A digest of what the JPEG decodes to (None: it does not)."""
    from PIL import Image

    from share_guard.core.media.images import open_image

    try:
        with open_image(io.BytesIO(jpeg), formats=["JPEG"]) as img:
            img.load()
            digest = hashlib.sha256(f"{img.mode} {img.size}".encode())
            for top in range(0, img.height, 256):  # in bands: bounded extra memory
                digest.update(img.crop((0, top, img.width, min(top + 256, img.height)))
                              .tobytes())
            return digest.digest()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None


def _zeroed(scan: bytes, keep: int) -> bytes:
    return scan[:keep] + bytes(len(scan) - keep)


def needed(scan: bytes, build: Build, reference: bytes,
           picture: Callable[[bytes], bytes | None] = picture) -> int:
    """Bytes of ``scan`` the picture needs (the rest may be zeroed); ``picture`` decodes what
    ``build`` makes (a JPEG by default)."""
    last = len(scan.rstrip(b"\x00"))
    if last == 0 or picture(build(_zeroed(scan, last - 1))) != reference:
        return last
    good, step, bad = last - 1, 1, -1
    while good > 0:  # gallop down from the last non-zero byte...
        probe = max(good - step, 0)
        if picture(build(_zeroed(scan, probe))) != reference:
            bad = probe
            break
        good, step = probe, step * 2
    while bad >= 0 and good - bad > 1:  # ...then halve the interval
        mid = (good + bad) // 2
        if picture(build(_zeroed(scan, mid))) == reference:
            good = mid
        else:
            bad = mid
    return good


def only_needed(scan: bytes, build: Build, reference: bytes,
                picture: Callable[[bytes], bytes | None] = picture) -> bool:
    """True when the last non-zero byte of ``scan`` changes the picture when zeroed."""
    last = len(scan.rstrip(b"\x00"))
    return last == 0 or picture(build(_zeroed(scan, last - 1))) != reference
