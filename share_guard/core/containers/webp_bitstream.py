"""Where the coded data of a WebP image really ends (VP8, VP8L and ALPH bitstreams).

A VP8 key frame is cut into partitions (modes, then 1, 2, 4 or 8 token partitions); the
last one, a VP8L stream and a compressed alpha stream simply run to the end of their
chunk. A decoder reads each partition only as far as the picture needs: bytes after that
are never used, so they can carry anything. Nothing but a decoder knows where that point
is, so this asks libwebp (through Pillow, under the usual limits) what the picture looks
like when a partition's bytes from ``n`` on are zeroed: the least ``n`` that leaves the
picture unchanged is what the picture needs (zeroing a byte the decoder uses changes
what it decodes, so the property is monotone and can be searched for).

The cleaner zeroes what follows the needed length, keeping every chunk and partition size
(a zeroed stream is exactly what it is checked as), so the decoded picture is unchanged and
a file from an ordinary encoder, whose flush bytes are already zero, keeps its bytes. The
accounting proves a partition with two decodes: zeroing its last non-zero byte must
change the picture.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from share_guard.core.containers.content_memo import ContentMemo
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

VP8_START = b"\x9d\x01\x2a"


@dataclass(frozen=True)
class Part:
    """A stretch of a bitstream chunk body that a decoder reads only as far as it needs."""

    start: int  # first byte (offset in the chunk body)
    end: int  # end of the partition in the body
    #: turns a (changed) chunk body into a still WebP that shows it
    wrap: Callable[[bytes], bytes]
    low: int = 1  # the least the partition must keep

    def shown(self, body: bytes, keep: int | None = None) -> bytes | None:
        """What the picture decodes to with the bytes from ``start + keep`` zeroed."""
        if keep is not None:
            body = body[: self.start + keep] + bytes(self.end - self.start - keep) \
                + body[self.end :]
        return picture(self.wrap(body))


#: digests of decoded pictures by the exact bytes decoded: the inspection, the cleaner and the
#: proof of one export ask about the same bytes (forgotten after each file in a worker)
_PICTURES: ContentMemo[bytes | None] = ContentMemo(1024, ())


def picture(riff: bytes) -> bytes | None:
    """A digest of what libwebp decodes the still WebP ``riff`` to (None: it does not)."""
    return _PICTURES.get(riff, 0, _decode)


def _decode(riff: bytes, _key: int) -> bytes | None:
    from PIL import Image

    from share_guard.core.media.images import open_image

    try:
        with open_image(io.BytesIO(riff), formats=["WEBP"]) as img:
            img.load()
            digest = hashlib.sha256(f"{img.mode} {img.size}".encode())
            for top in range(0, img.height, 256):  # in bands: bounded extra memory
                digest.update(img.crop((0, top, img.width, min(top + 256, img.height)))
                              .tobytes())
            return digest.digest()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None


def riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"".join(fourcc + struct.pack("<I", len(p)) + p + bytes(len(p) & 1)
                    for fourcc, p in chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def vp8_size(body: bytes) -> tuple[int, int]:
    if len(body) < 10 or body[0] & 1 or body[3:6] != VP8_START:
        raise CorruptFile(N_("WebP holds a VP8 bitstream that is not a key frame"))
    w, h = struct.unpack("<HH", body[6:10])
    return w & 0x3FFF, h & 0x3FFF


def vp8l_size(body: bytes) -> tuple[int, int]:
    if len(body) < 5 or body[0] != 0x2F or body[4] >> 5:
        raise CorruptFile(N_("WebP holds a lossless bitstream with a damaged header"))
    bits = int.from_bytes(body[1:5], "little")
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


class _Bool:
    """The VP8 boolean decoder (RFC 6386 section 7), enough to read the frame header."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 2
        self.value = int.from_bytes(data[:2].ljust(2, b"\x00"), "big")
        self.range, self.count = 255, 0

    def bit(self, prob: int = 128) -> int:
        split = 1 + (((self.range - 1) * prob) >> 8)
        big = split << 8
        if self.value >= big:
            bit, self.range, self.value = 1, self.range - split, self.value - big
        else:
            bit, self.range = 0, split
        while self.range < 128:
            self.value, self.range = self.value << 1, self.range << 1
            self.count += 1
            if self.count == 8:
                self.count = 0
                self.value |= self.data[self.pos] if self.pos < len(self.data) else 0
                self.pos += 1
        return bit

    def literal(self, n: int) -> int:
        v = 0
        for _ in range(n):
            v = v << 1 | self.bit()
        return v

    def flagged(self, n: int) -> None:
        """A one-bit flag followed, when set, by an ``n``-bit value."""
        if self.bit():
            self.literal(n)


#: the frame header fields read before the partition count take at most ~180 bits, each
#: read at probability 128 (one bit of input per bit), after the decoder's first 2 bytes
HEADER_BYTES = 64


def token_partitions(first: bytes) -> int:
    """How many token partitions the key-frame header in partition ``first`` announces."""
    return _token_partitions(first[:HEADER_BYTES])


@lru_cache(maxsize=1024)
def _token_partitions(head: bytes) -> int:
    # remembered by the header's bytes: a frame is asked about for every probe of its
    # partitions, and an animation's frames by the inspection, the cleaner and the proof
    d = _Bool(head)
    d.literal(2)  # colour space, clamping type
    if d.bit():  # segmentation enabled
        update_map, update_data = d.bit(), d.bit()
        if update_data:
            d.bit()
            for _ in range(4):
                d.flagged(8)  # quantiser value (7) and sign (1)
            for _ in range(4):
                d.flagged(7)  # loop-filter value (6) and sign (1)
        if update_map:
            for _ in range(3):
                d.flagged(8)
    d.literal(10)  # filter type, level, sharpness
    if d.bit() and d.bit():  # loop-filter adjustments with a delta update
        for _ in range(8):
            d.flagged(7)
    return 1 << d.literal(2)


def vp8_parts(body: bytes, wrap: Callable[[bytes], bytes]) -> list[Part]:
    """The partitions of a VP8 key frame; ``wrap`` turns a VP8 body into a still WebP."""
    vp8_size(body)
    p1_end = 10 + (int.from_bytes(body[:3], "little") >> 5)
    if p1_end > len(body):
        raise CorruptFile(N_("WebP VP8 bitstream is cut short"))
    count = token_partitions(body[10:p1_end])
    pos = p1_end + 3 * (count - 1)
    parts = [Part(10, p1_end, wrap)]
    for i in range(count - 1):
        size = int.from_bytes(body[p1_end + 3 * i : p1_end + 3 * i + 3], "little")
        parts.append(Part(pos, pos + size, wrap, low=0))
        pos += size
    if pos >= len(body):
        raise CorruptFile(N_("WebP VP8 partitions run past their chunk"))
    parts.append(Part(pos, len(body), wrap))
    return parts


def needed(part: Part, body: bytes, reference: bytes | None = None) -> int:
    """Bytes of ``part`` the picture needs: the least ``n`` such that zeroing from ``n`` on
    leaves the picture unchanged (``reference``: what the unchanged body decodes to). When
    zeroing the last non-zero byte changes the picture, nothing is left to zero."""
    last = len(body[part.start : part.end].rstrip(b"\x00"))
    reference = reference if reference is not None else part.shown(body)
    if reference is None or last <= part.low or part.shown(body, last - 1) != reference:
        return last
    good, step, bad = last - 1, 1, -1
    while good > part.low:  # gallop down from the last non-zero byte...
        probe = max(good - step, part.low)
        if part.shown(body, probe) != reference:
            bad = probe
            break
        good, step = probe, step * 2
    while bad >= 0 and good - bad > 1:  # ...then halve the interval
        mid = (good + bad) // 2
        if part.shown(body, mid) == reference:
            good = mid
        else:
            bad = mid
    return good


def only_needed(part: Part, body: bytes, reference: bytes | None) -> bool:
    """True when every non-zero byte of ``part`` is one the picture needs (zeroing the last
    one changes what it decodes to); ``reference``: what ``body`` decodes to."""
    last = len(body[part.start : part.end].rstrip(b"\x00"))
    return last <= part.low or (reference is not None
                                and part.shown(body, last - 1) != reference)
