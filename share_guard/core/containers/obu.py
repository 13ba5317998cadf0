"""AV1 open bitstream units (OBUs): metadata inside AV1 video and AVIF pictures, neutralised
in place.

AV1 carries side data in metadata OBUs: ITU-T T.35 user data (any vendor payload) and
timecodes (the time of day a frame was shot); padding OBUs can carry anything. A sample
or item is walked by its OBU headers and size fields (a few bytes per OBU); a metadata OBU
other than the HDR light level, mastering display and scalability descriptions becomes a
padding OBU of exactly the same size with a zero payload, and padding is zeroed. Decoders
skip padding, so decoded frames are identical and no offset moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from share_guard.core.containers.inplace import Plan
from share_guard.core.containers.ledger import Ledger
from share_guard.core.i18n import N_, message

SEQUENCE, TEMPORAL, FRAME_HEADER, TILE_GROUP, METADATA, FRAME = 1, 2, 3, 4, 5, 6
REDUNDANT, TILE_LIST, PADDING = 7, 8, 15
CODED = frozenset({SEQUENCE, TEMPORAL, FRAME_HEADER, TILE_GROUP, FRAME, REDUNDANT, TILE_LIST})
#: metadata kept: HDR content light level, mastering display colour volume, scalability
KEEP_METADATA = frozenset({1, 2, 3})
#: reads ``n`` bytes at an absolute offset
Read = Callable[[int, int], bytes]


class ObuError(ValueError):
    """The bytes are not a walkable sequence of OBUs."""


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        if pos + i >= len(data):
            raise ObuError(N_("an OBU size field is cut short"))
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos + i + 1
    raise ObuError(N_("an OBU size field is too long"))


def units(read: Read, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(OBU start, payload start, end, type) of each OBU in ``[start, end)``."""
    pos = start
    while pos < end:
        head = read(pos, min(10, end - pos))
        kind = (head[0] >> 3) & 0xF
        if head[0] & 0x80:
            raise ObuError(N_("an OBU with its forbidden bit set"))
        at = 2 if head[0] & 0x04 else 1
        if head[0] & 0x02:
            size, at = _leb128(head, at)
            stop = pos + at + size
        else:
            stop = end  # the last OBU of a sample may omit its size
        if at > len(head) or stop > end:
            raise ObuError(N_("an OBU runs past its sample"))
        yield pos, pos + at, stop, kind
        pos = stop


def verdict(read: Read, payload: int, end: int, kind: int) -> str:
    """"" when the OBU is kept as it is, else what it carried (it becomes padding)."""
    if kind in CODED:
        return ""
    if kind == METADATA:
        if end == payload:
            return ""
        meta_type, _ = _leb128(read(payload, min(8, end - payload)), 0)
        if meta_type in KEEP_METADATA:
            return ""
        return "a timecode" if meta_type == 5 else "user data (ITU-T T.35)" \
            if meta_type == 4 else f"metadata of type {meta_type}"
    if kind == PADDING:
        return "" if not any(read(payload, end - payload)) else "padding that holds data"
    return f"an OBU of reserved type {kind}"


def scrub(read: Read, start: int, end: int, plan: Plan) -> list[str]:
    """Plan edits turning every OBU of ``[start, end)`` that carries data into blank
    padding; returns what was found."""
    found: list[str] = []
    for obu, payload, stop, kind in units(read, start, end):
        why = verdict(read, payload, stop, kind)
        if why:
            if why not in found:
                found.append(why)
            first = read(obu, 1)[0]
            plan.patch(obu, bytes([(first & 0x87) | (PADDING << 3)]))
            plan.zero_range(payload, stop)
    return found


def account(read: Read, start: int, end: int, ledger: Ledger, what: str) -> None:
    try:
        spans = list(units(read, start, end))
        for obu, payload, stop, kind in spans:
            why = verdict(read, payload, stop, kind)
            if why:
                ledger.refuse(obu, stop, what, message(N_("still holds {why}"), why=why))
                return
            if kind == PADDING:
                ledger.written(obu, payload, f"{what} padding header")
                ledger.zeroed(read(payload, stop - payload), payload, stop, what, base=payload)
            else:
                ledger.payload(obu, stop, what)
    except ObuError as exc:
        ledger.refuse(start, end, what, str(exc))
