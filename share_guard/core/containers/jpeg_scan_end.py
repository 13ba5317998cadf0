"""Where the entropy-coded data of a JPEG's last scan really ends.

A decoder stops reading a scan once its last MCU is complete; bytes between that point and
the next marker (EOI) are skipped ("extraneous bytes before marker"), so they can carry
anything. Only an entropy decoder knows where the point is, and one written in Python
would take seconds for a phone photo, so this asks libjpeg (through Pillow, under the
usual limits) what the picture looks like with the scan's bytes changed. Changing a byte
the decoder reads changes the picture (decoding is sequential: every byte before it is read
too); changing a byte it skips does not.

* The last non-zero byte is proven read when flipping its first bit or zeroing it changes
  the picture. The flip is what proves the common last byte ``0b0..01..1`` (coded zero
  bits, then the encoder's padding ones), which zeroing leaves unchanged; a flip that
  would make 0xFF (a marker's first byte) flips the second bit too.
* Otherwise the cleaner looks for the least ``n`` such that zeroing the scan's bytes from
  ``n`` on leaves the picture unchanged, and zeroes the rest in place. The accounting of
  a copy proves its end with the first test.

Two pictures are compared at half size first (libjpeg's DCT scaling: the whole scan is
entropy-decoded exactly as at full size, only the inverse transform is smaller), which is
several times cheaper than a full decode, and by their bottom rows first: a byte at the end
of a scan changes the blocks decoded last, which are at the bottom. Any difference proves
the decoder read and used the changed bytes; only when the bottom rows agree are the whole
half-size pictures compared, then the full ones, so "unchanged" always means unchanged at
full size. The
digests are remembered by the exact bytes decoded (:mod:`.content_memo`), so the proof on
the written copy finds the decodes the cleaner made of the same bytes.

Only the last scan is checked this way (one decode more per walk); the skipped bytes at the
end of earlier scans of a progressive JPEG would cost a decode per scan and stay a known
covert channel (see the README), as do the bytes before a restart marker (each interval's
end costs decodes of its own) and the padding bits of a scan's last byte.
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
#: the "scale" that stands for the bottom BOTTOM_ROWS rows of the half-size picture
BOTTOM = 0
BOTTOM_ROWS = 64
#: digests of decoded pictures, by the JPEG's bytes and the scale (cleared per export)
_PICTURES: ContentMemo[bytes | None] = ContentMemo(16, ())


def picture(jpeg: bytes, scale: int = 1) -> bytes | None:
    """A digest of what the JPEG decodes to at 1/``scale`` of its size, or of the bottom
    rows of its half-size picture for :data:`BOTTOM` (None: it does not decode)."""
    return _PICTURES.get(jpeg, scale, _decode)


def decodes(jpeg: bytes) -> bool:
    """True when the JPEG's image data decodes (every scan entropy-decoded)."""
    return picture(jpeg, BOTTOM) is not None


def _decode(jpeg: bytes, scale: int) -> bytes | None:
    from PIL import Image

    from share_guard.core.media.images import open_image

    try:
        with open_image(io.BytesIO(jpeg), formats=["JPEG"]) as img:
            shrink = REDUCED if scale == BOTTOM else scale
            if shrink > 1:
                img.draft(img.mode, (max(1, img.width // shrink), max(1, img.height // shrink)))
            img.load()
            if scale == BOTTOM:
                with img.crop((0, max(0, img.height - BOTTOM_ROWS), img.width, img.height)) as rows:
                    return _digest(rows)
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


def _flipped(scan: bytes, at: int) -> bytes:
    """``scan`` with the first bit of byte ``at`` flipped (and the second too where the
    first alone would make 0xFF, which starts a marker in entropy-coded data)."""
    byte = scan[at] ^ 0x80
    if byte == 0xFF:
        byte ^= 0x40
    return scan[:at] + bytes([byte]) + scan[at + 1 :]


#: a digest of what the bytes ``build`` makes decode to (None: they do not)
Picture = Callable[[bytes], "bytes | None"]


def _differs(whole: bytes, others: list[bytes], digest: Picture | None) -> bool:
    """True when some JPEG of ``others`` decodes unlike ``whole`` (all compared by their
    bottom rows at half size, then whole at half size, then at full size); other formats
    by what ``digest`` gives (a ``whole`` that it cannot digest counts as different:
    nothing is zeroed on its word)."""
    if digest is not None:
        reference = digest(whole)
        return reference is None or any(digest(other) != reference for other in others)
    for scale in (BOTTOM, REDUCED, 1):
        reference = picture(whole, scale)
        if any(picture(other, scale) != reference for other in others):
            return True
    return False


def _last_read(scan: bytes, last: int, build: Build, digest: Picture | None) -> bool:
    """True when the decoder reads the byte ``last - 1``, the last non-zero one (flipping
    its first bit or zeroing it changes the picture). A flip that stops the file decoding
    proves nothing: it may have broken a marker the decoder parses but draws nothing from
    (``FF D0`` after hidden bytes becomes the invalid ``FF 50``), not coded data."""
    flipped = build(_flipped(scan, last - 1))
    decoded = digest(flipped) if digest is not None else picture(flipped, BOTTOM)
    variants = [flipped] if decoded is not None else []
    return _differs(build(scan), [*variants, build(_zeroed(scan, last - 1))], digest)


def needed(scan: bytes, build: Build, digest: Picture | None = None) -> int:
    """Bytes of ``scan`` the picture needs (the rest may be zeroed); ``digest`` digests what
    ``build`` makes when that is not a JPEG (a TIFF strip)."""
    last = len(scan.rstrip(b"\x00"))
    if last == 0 or _last_read(scan, last, build, digest):
        return last

    whole = build(scan)

    def same(keep: int) -> bool:
        return not _differs(whole, [build(_zeroed(scan, keep))], digest)

    good, step, bad = last - 1, 1, -1  # zeroing from last - 1 on changed nothing
    while good > 0:  # gallop down from the last non-zero byte...
        probe = max(good - step, 0)
        if not same(probe):
            bad = probe
            break
        good, step = probe, step * 2
    while bad >= 0 and good - bad > 1:  # ...then halve the interval
        mid = (good + bad) // 2
        if same(mid):
            good = mid
        else:
            bad = mid
    return good


def only_needed(scan: bytes, build: Build, digest: Picture | None = None) -> bool:
    """True when the decoder reads the last non-zero byte of ``scan`` (see
    :func:`_last_read`)."""
    last = len(scan.rstrip(b"\x00"))
    return last == 0 or _last_read(scan, last, build, digest)
