"""PNG chunks a clean copy keeps, parsed into their fields and written back at their
specified sizes (PNG 3rd edition, APNG).

``canonical(ctype, body, header)`` returns the body a clean copy holds for a kept chunk, or
None when the chunk does not describe anything a decoder would use (wrong size for its
colour type, an impossible value): such a chunk is dropped rather than copied. The byte
accounting checks a clean copy with the same function: a kept chunk's body must be exactly
what its fields give back. iCCP is special: its profile is made neutral and stored under
a neutral name, compressed by this module (so the deflate stream cannot carry anything).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_
from share_guard.core.metadata.hdr import luminance_ok, mastering_display
from share_guard.core.metadata.icc import MAX_PROFILE, IccError, neutral_profile

ICC_NAME = b"ICC profile"
#: compression level of the iCCP stream share_guard writes (checked by the accounting)
ICC_LEVEL = 9
#: names a profile may carry without saying anything about a person or a device
NEUTRAL_ICC_NAMES = frozenset({
    b"icc", b"icc profile", b"icc_profile", b"iccprofile", b"photoshop icc profile",
    b"srgb", b"srgb iec61966-2.1", b"srgb built-in", b"display p3", b"adobe rgb (1998)",
    b"prophoto rgb", b"embedded profile", b"default", b"rgb", b"gray", b"grey",
})
#: bit depths allowed for each colour type
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: chunks that may appear once; a second copy is dropped (decoders ignore it)
SINGLE = frozenset({b"IHDR", b"PLTE", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"sBIT", b"cICP",
                    b"mDCv", b"cLLi", b"pHYs", b"tRNS", b"bKGD", b"acTL", b"eXIf"})


#: the seven passes of an interlaced picture: (first column, first row, column step, row step)
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    depth: int
    colour: int
    interlace: int
    palette: int = 0  # entries in PLTE (0 before it)

    @property
    def channels(self) -> int:
        return _CHANNELS[self.colour]

    def row_bytes(self, width: int) -> int:
        return (width * self.channels * self.depth + 7) // 8

    def passes(self, width: int, height: int) -> list[tuple[int, int]]:
        """(width, height) of each sub-image whose rows the image data holds, in order."""
        if not self.interlace:
            return [(width, height)]
        sizes = []
        for x0, y0, dx, dy in ADAM7:
            w = (width - x0 + dx - 1) // dx if width > x0 else 0
            h = (height - y0 + dy - 1) // dy if height > y0 else 0
            if w and h:
                sizes.append((w, h))
        return sizes

    def raw_size(self, width: int, height: int) -> int:
        """Bytes of filtered scanlines an image of ``width`` x ``height`` decompresses to."""
        return sum(h * (1 + self.row_bytes(w)) for w, h in self.passes(width, height))


def parse_header(body: bytes) -> Header:
    if len(body) != 13:
        raise CorruptFile(N_("PNG header has the wrong size"))
    width, height, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", body)
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise CorruptFile(N_("PNG header gives an impossible size"))
    if depth not in _DEPTHS.get(colour, ()) or comp or filt or interlace > 1:
        raise CorruptFile(N_("PNG header names a pixel format that does not exist"))
    return Header(width, height, depth, colour, interlace)


def header_body(h: Header) -> bytes:
    return struct.pack(">IIBBBBB", h.width, h.height, h.depth, h.colour, 0, 0, h.interlace)


def canonical(ctype: bytes, body: bytes, h: Header) -> bytes | None:
    """The body a clean copy holds for ancillary chunk ``ctype`` (None: not kept): the
    fields at their specified size, extra bytes left behind."""
    rule = _RULES.get(ctype)
    if rule is None:
        return None
    size, check = rule
    need = size(h, len(body))
    if need is None or len(body) < need:
        return None
    body = body[:need]
    verdict = check(body, h)
    if isinstance(verdict, bytes):
        return verdict
    return body if verdict else None


def _fixed(n: int) -> Callable[[Header, int], int | None]:
    return lambda h, have: n


def _by_colour(table: dict[int, int]) -> Callable[[Header, int], int | None]:
    return lambda h, have: table.get(h.colour)


def _trns_size(h: Header, have: int) -> int | None:
    if h.colour == 3:
        return min(have, h.palette) if h.palette and have else None
    return {0: 2, 2: 6}.get(h.colour)


def _samples_fit(b: bytes, h: Header) -> bool:
    top = (1 << h.depth) - 1
    return all(v <= top for v in struct.unpack(f">{len(b) // 2}H", b))


def _small(b: bytes, top: int) -> bool:
    """Every big-endian 32-bit number of ``b`` is at most ``top`` (a number that large
    cannot spell text: its high byte is not a letter)."""
    return all(v <= top for v in struct.unpack(f">{len(b) // 4}I", b))


def _mdcv(b: bytes, h: Header) -> bytes | None:
    """The mastering display of a standard (its exact numbers), or None (see metadata.hdr)."""
    return mastering_display(b)


def _actl(b: bytes) -> bool | bytes | None:
    """Up to 2^24 frames; a play count beyond 2^24 (text, or a loop nobody sees end)
    becomes 0, "loop for ever"."""
    frames, plays = struct.unpack(">II", b)
    if not 0 < frames < 1 << 24:
        return None
    return True if plays < 1 << 24 else struct.pack(">II", frames, 0)


#: a rule's check returns True (keep the fields as they are), False, None (drop the chunk)
#: or the bytes a clean copy writes instead (a standard's exact numbers)
_Check = Callable[[bytes, Header], "bool | bytes | None"]
_RULES: dict[bytes, tuple[Callable[[Header, int], int | None], _Check]]
_RULES = {
    b"gAMA": (_fixed(4), lambda b, h: 0 < struct.unpack(">I", b)[0] < 1 << 24),
    #: chromaticities are at most 1.0 (100000)
    b"cHRM": (_fixed(32), lambda b, h: _small(b, 100_000)),
    b"sRGB": (_fixed(1), lambda b, h: b[0] <= 3),
    b"sBIT": (_by_colour({0: 1, 2: 3, 3: 3, 4: 2, 6: 4}),
              lambda b, h: all(1 <= v <= (8 if h.colour == 3 else h.depth) for v in b)),
    b"cICP": (_fixed(4), lambda b, h: b[2] == 0 and b[3] <= 1),
    b"mDCv": (_fixed(24), _mdcv),
    b"cLLi": (_fixed(8), lambda b, h: luminance_ok(*struct.unpack(">II", b))),
    #: up to 2^24 pixels per metre (426 000 dpi)
    b"pHYs": (_fixed(9), lambda b, h: b[8] <= 1 and _small(b[:8], (1 << 24) - 1)),
    b"tRNS": (_trns_size, lambda b, h: h.colour == 3 or _samples_fit(b, h)),
    b"bKGD": (_by_colour({0: 2, 4: 2, 2: 6, 6: 6, 3: 1}),
              lambda b, h: b[0] < h.palette if h.colour == 3 else _samples_fit(b, h)),
    b"acTL": (_fixed(8), lambda b, h: _actl(b)),
}


def plte(body: bytes, h: Header) -> bytes | None:
    """The palette of an indexed image (other colour types: not kept; a suggested palette
    for a truecolour image is not needed to show it). Entries beyond what the bit depth can
    address are left out, as libpng does: no pixel can name them."""
    n = len(body) // 3
    if h.colour != 3 or len(body) % 3 or not 1 <= n <= 256:
        return None
    return body[: 3 * min(n, 1 << h.depth)]


@dataclass(frozen=True)
class FrameControl:
    width: int
    height: int
    x: int
    y: int
    delay_num: int
    delay_den: int
    dispose: int
    blend: int

    def body(self, seq: int) -> bytes:
        return struct.pack(">IIIIIHHBB", seq, self.width, self.height, self.x, self.y,
                           self.delay_num, self.delay_den, self.dispose, self.blend)


def parse_fctl(body: bytes, h: Header) -> FrameControl | None:
    if len(body) < 26:
        return None
    _seq, w, ht, x, y, num, den, dispose, blend = struct.unpack(">IIIIIHHBB", body[:26])
    if not w or not ht or x + w > h.width or y + ht > h.height or dispose > 2 or blend > 1:
        return None
    return FrameControl(w, ht, x, y, num, den, dispose, blend)


# -- iCCP --------------------------------------------------------------------------------------

def iccp_profile(body: bytes) -> tuple[bytes, bytes]:
    """(profile name, inflated profile) of an iCCP body (raises IccError when unreadable)."""
    name, sep, rest = body.partition(b"\x00")
    if not sep or not 1 <= len(name) <= 79 or rest[:1] != b"\x00":
        raise IccError(N_("colour profile chunk is malformed"))
    inflater = zlib.decompressobj()
    try:
        profile = inflater.decompress(rest[1:], MAX_PROFILE)
    except zlib.error:
        raise IccError(N_("colour profile chunk holds damaged compressed data")) from None
    if not inflater.eof:
        raise IccError(N_("colour profile chunk is cut short or too large"))
    return name, profile


def iccp_body(profile: bytes) -> bytes:
    """An iCCP body holding ``profile`` under the neutral name (compressed here)."""
    return ICC_NAME + b"\x00\x00" + zlib.compress(profile, ICC_LEVEL)


def neutral_iccp(body: bytes) -> bytes:
    """The iCCP body of a clean copy (raises IccError: the profile is dropped)."""
    _name, profile = iccp_profile(body)
    return iccp_body(neutral_profile(profile))


def neutral_name(name: bytes) -> bool:
    return name.strip().lower() in NEUTRAL_ICC_NAMES
