"""H.264 parameter sets read field by field, so bytes after their last field can be blanked.

A decoder reads a sequence or picture parameter set field by field (exp-Golomb numbers,
flags, the optional scaling lists and video usability information) and ignores whatever
follows: text appended to an SPS or PPS (in ``avcC``, a Matroska or AVI header, or the
stream itself) travels along with every copy. :func:`tidy` walks the fields as
ITU-T H.264 (7.3.2.1, 7.3.2.2, E.1) lays them out, puts the stop bit right after the last
one and zeroes the rest of the unit, in place and at the same size; a decoder reads the
same values. A unit whose fields cannot be walked is left as it is (and reported).

Written here because no Python library parses parameter sets byte-exactly; PyAV/FFmpeg
only hands out decoded frames.
"""

from __future__ import annotations

from share_guard.core.i18n import N_

SPS, PPS = 7, 8
_HIGH = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


class PsError(ValueError):
    """Fields that do not fit the unit (a parameter set we cannot walk)."""


class _Reader:
    def __init__(self, rbsp: bytes) -> None:
        self.rbsp, self.pos, self.total = rbsp, 0, 8 * len(rbsp)

    def u(self, n: int) -> int:
        if self.pos + n > self.total:
            raise PsError(N_("a parameter set cut short"))
        value = 0
        for _ in range(n):
            value = (value << 1) | ((self.rbsp[self.pos >> 3] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while not self.u(1):
            zeros += 1
            if zeros > 31:
                raise PsError(N_("an exp-Golomb number too long"))
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _scaling_list(r: _Reader, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt:
            delta = r.se()
            if not -128 <= delta <= 127:
                raise PsError(N_("a scaling list out of range"))
            nxt = (last + delta + 256) % 256
        last = nxt or last


def _hrd(r: _Reader) -> None:
    count = r.ue() + 1
    if count > 32:
        raise PsError(N_("too many HRD schedules"))
    r.u(8)
    for _ in range(count):
        r.ue()
        r.ue()
        r.u(1)
    r.u(20)


def _vui(r: _Reader) -> None:
    if r.u(1) and r.u(8) == 255:  # aspect ratio
        r.u(32)
    if r.u(1):  # overscan
        r.u(1)
    if r.u(1):  # video signal type
        r.u(4)
        if r.u(1):
            r.u(24)
    if r.u(1):  # chroma location
        r.ue()
        r.ue()
    if r.u(1):  # timing
        r.u(65)
    nal, vcl = r.u(1), 0
    if nal:
        _hrd(r)
    vcl = r.u(1)
    if vcl:
        _hrd(r)
    if nal or vcl:
        r.u(1)
    r.u(1)  # pic_struct_present
    if r.u(1):  # bitstream restriction
        r.u(1)
        for _ in range(6):
            r.ue()


def sps_end(rbsp: bytes) -> tuple[int, int, int]:
    """(bit after the last field, sps id, chroma_format_idc) of an SPS RBSP (header byte
    excluded)."""
    r = _Reader(rbsp)
    profile = r.u(8)
    r.u(16)
    sps_id, chroma = r.ue(), 1
    if profile in _HIGH:
        chroma = r.ue()
        if chroma == 3:
            r.u(1)
        r.ue()
        r.ue()
        r.u(1)
        if r.u(1):
            for i in range(12 if chroma == 3 else 8):
                if r.u(1):
                    _scaling_list(r, 16 if i < 6 else 64)
    r.ue()
    poc = r.ue()
    if poc == 0:
        r.ue()
    elif poc == 1:
        r.u(1)
        r.se()
        r.se()
        cycle = r.ue()
        if cycle > 255:
            raise PsError(N_("a reference cycle too long"))
        for _ in range(cycle):
            r.se()
    r.ue()
    r.u(1)
    r.ue()
    r.ue()
    if not r.u(1):
        r.u(1)
    r.u(1)
    if r.u(1):
        for _ in range(4):
            r.ue()
    if r.u(1):
        _vui(r)
    return r.pos, sps_id, chroma


def _last_one(rbsp: bytes) -> int:
    """Bit position of the last 1 bit of ``rbsp`` (-1 when there is none)."""
    for i in range(len(rbsp) - 1, -1, -1):
        if rbsp[i]:
            return 8 * i + 7 - (rbsp[i] & -rbsp[i]).bit_length() + 1
    return -1


def pps_end(rbsp: bytes, chroma: dict[int, int]) -> int:
    """Bit after the last field of a PPS RBSP, read as a decoder reads it (the optional
    fields are there when a 1 bit follows the mandatory ones: ``more_rbsp_data``)."""
    r = _Reader(rbsp)
    r.ue()
    sps_id = r.ue()
    r.u(2)
    groups = r.ue() + 1
    if groups > 8:
        raise PsError(N_("too many slice groups"))
    if groups > 1:
        kind = r.ue()
        if kind == 0:
            for _ in range(groups):
                r.ue()
        elif kind == 2:
            for _ in range(2 * (groups - 1)):
                r.ue()
        elif kind in (3, 4, 5):
            r.u(1)
            r.ue()
        elif kind == 6:
            units = r.ue() + 1
            r.u(units * (groups - 1).bit_length())
    r.ue()
    r.ue()
    r.u(3)
    r.se()
    r.se()
    r.se()
    r.u(3)
    if r.pos < _last_one(rbsp):  # more_rbsp_data()
        transform = r.u(1)
        if r.u(1):
            # 4:4:4 pictures have six 8x8 lists, others two: the SPS tells, unless there are
            # none (no 8x8 transform)
            if transform and sps_id not in chroma:
                raise PsError(N_("picture scaling lists of an SPS not seen"))
            for i in range(6 + (6 if chroma.get(sps_id) == 3 else 2) * transform):
                if r.u(1):
                    _scaling_list(r, 16 if i < 6 else 64)
        r.se()
    return r.pos


def _escaped_offset(nal: bytes, rbsp_bytes: int) -> int:
    """Offset in the escaped NAL payload where RBSP byte ``rbsp_bytes`` starts."""
    zeros = count = 0
    for i, b in enumerate(nal):
        if zeros >= 2 and b == 3:  # an emulation-prevention byte stays with what precedes
            zeros = 0
            continue
        if count == rbsp_bytes:
            return i
        count += 1
        zeros = zeros + 1 if b == 0 else 0
    return len(nal)


def tidy(nal: bytes, chroma: dict[int, int]) -> bytes | None:
    """The SPS or PPS NAL unit ``nal`` (header included) with its stop bit right after its
    last field and zeros after it, same size (raises :class:`PsError` when its fields cannot
    be walked: whatever follows them could be anything, so the file is refused; a red team
    kept a text after a PPS made unreadable on purpose). ``chroma`` maps SPS ids to their
    chroma format (filled in by SPSs, read by PPSs)."""
    from share_guard.core.containers.nal import _unescape

    kind = nal[0] & 0x1F
    payload = nal[1:]
    rbsp = _unescape(payload)
    if kind == SPS:
        end, sps_id, fmt = sps_end(rbsp)
        chroma[sps_id] = fmt
    else:
        end = pps_end(rbsp, chroma)
    if end >= 8 * len(rbsp):
        raise PsError(N_("no room for the stop bit"))  # not a unit a decoder accepted
    byte, bit = divmod(end, 8)
    fixed = bytearray(rbsp[: byte + 1])
    fixed[byte] = (fixed[byte] & (0xFF << (8 - bit)) & 0xFF) | (0x80 >> bit)
    cut = _escaped_offset(payload, byte)
    head = payload[:cut]
    last = fixed[byte]
    out = nal[:1] + head + bytes([last])
    out += bytes(len(nal) - len(out))
    return out if len(out) == len(nal) else None
