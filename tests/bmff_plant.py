"""Planting hiding places into real movies: an editable box tree that descends into sample
descriptions, and edits that keep every sample offset right (tests only; shares no code
with the cleaner)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from bmff_fixtures import box, full

#: container boxes and the bytes before their children
PREFIX = {
    b"moov": 0, b"trak": 0, b"mdia": 0, b"minf": 0, b"stbl": 0, b"udta": 0, b"edts": 0,
    b"dinf": 0, b"mvex": 0, b"moof": 0, b"traf": 0, b"mfra": 0, b"gmhd": 0, b"dref": 8,
    b"stsd": 8, b"avc1": 78, b"hvc1": 78, b"hev1": 78, b"mp4v": 78, b"jpeg": 78, b"mp4a": 28,
}


@dataclass
class Node:
    type: bytes
    payload: bytes = b""
    children: list[Node] | None = None
    prefix: bytes = b""

    def encode(self) -> bytes:
        if self.children is None:
            return box(self.type, self.payload)
        return box(self.type, self.prefix + b"".join(c.encode() for c in self.children))

    def get(self, *path: bytes, index: int = 0) -> Node:
        """The ``index``-th node along ``path`` (matching the last type)."""
        node = self
        for i, typ in enumerate(path):
            found = [c for c in node.children or [] if c.type == typ]
            node = found[index if i == len(path) - 1 else 0]
        return node


def parse(data: bytes) -> list[Node]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size, typ = struct.unpack(">I4s", data[pos : pos + 8])
        size = size or len(data) - pos
        payload = data[pos + 8 : pos + size]
        skip = PREFIX.get(typ)
        if skip is not None and len(payload) >= skip:
            out.append(Node(typ, children=parse(payload[skip:]), prefix=payload[:skip]))
        else:
            out.append(Node(typ, payload))
        pos += size
    return out


@dataclass
class Movie:
    top: list[Node] = field(default_factory=list)

    @classmethod
    def of(cls, data: bytes) -> Movie:
        return cls(parse(data))

    def box(self, typ: bytes, index: int = 0) -> Node:
        return [n for n in self.top if n.type == typ][index]

    @property
    def moov(self) -> Node:
        return self.box(b"moov")

    def track(self, handler: bytes) -> Node:
        for trak in self.moov.children or []:
            if trak.type == b"trak" and trak.get(b"mdia", b"hdlr").payload[8:12] == handler:
                return trak
        raise KeyError(handler)

    def encode(self, fragmented: bool = False) -> bytes:
        """The movie. Plants go into movies whose media data comes first (so no chunk offset
        moves), or fragmented ones (whose data offsets count from each fragment)."""
        order = [n.type for n in self.top]
        if not fragmented and b"mdat" in order and order.index(b"moov") < order.index(b"mdat"):
            raise AssertionError("plant into movies whose media data comes first")
        return b"".join(n.encode() for n in self.top)


def edit(data: bytes, change: Callable[[Movie], None]) -> bytes:
    movie = Movie.of(data)
    change(movie)
    return movie.encode()


def replace_bytes(data: bytes, old: bytes, new: bytes) -> bytes:
    """Overwrite ``old`` with ``new`` of the same length (inside samples: nothing moves)."""
    assert len(old) == len(new) and old in data, old
    return data.replace(old, new, 1)


def sample_entry(movie: Movie, handler: bytes = b"vide") -> Node:
    stsd = movie.track(handler).get(b"mdia", b"minf", b"stbl", b"stsd")
    assert stsd.children
    return stsd.children[0]


def avcc_with_sei(avcc: Node, text: str) -> None:
    """Add an SEI NAL unit (user data holding ``text``) to an 'avcC' picture-parameter list."""
    p = bytearray(avcc.payload)
    pos = 6
    for _ in range(p[5] & 0x1F):
        pos += 2 + struct.unpack(">H", p[pos : pos + 2])[0]
    count_at = pos
    pos += 1
    for _ in range(p[count_at]):
        pos += 2 + struct.unpack(">H", p[pos : pos + 2])[0]
    payload = bytes(range(1, 17)) + text.encode()
    unit = bytes([6, 5, len(payload)]) + payload + b"\x80"
    p[count_at] += 1
    avcc.payload = bytes(p[:pos]) + struct.pack(">H", len(unit)) + unit + bytes(p[pos:])


def add_to_traf(data: bytes, extra: bytes) -> bytes:
    """Append ``extra`` to the first fragment's 'traf', moving its data offsets along."""
    movie = Movie.of(data)
    moof = movie.box(b"moof")
    traf = moof.get(b"traf")
    traf.children = [*(traf.children or []), Node(extra[4:8], extra[8:])]
    for other in [c for c in moof.children or [] if c.type == b"traf"]:
        for trun in [c for c in other.children or [] if c.type == b"trun"]:
            flags = struct.unpack(">I", trun.payload[:4])[0] & 0xFFFFFF
            if flags & 1:
                offset = struct.unpack(">i", trun.payload[8:12])[0] + len(extra)
                trun.payload = trun.payload[:8] + struct.pack(">i", offset) + trun.payload[12:]
    return movie.encode(fragmented=True)


def add_to_mfra(data: bytes, extra: bytes) -> bytes:
    movie = Movie.of(data)
    mfra = movie.box(b"mfra")
    mfra.children = [Node(extra[4:8], extra[8:]), *(mfra.children or [])]
    size = len(mfra.encode())
    mfro = mfra.get(b"mfro")
    mfro.payload = mfro.payload[:4] + struct.pack(">I", size)
    return movie.encode(fragmented=True)


def grow_mdat(data: bytes, blob: bytes) -> bytes:
    """Append ``blob`` inside the first 'mdat' (after every sample: nothing moves)."""
    movie = Movie.of(data)
    mdat = movie.box(b"mdat")
    mdat.payload += blob
    return movie.encode()


def url(location: str) -> bytes:
    return full(b"url ", 0, 0, location.encode() + b"\0")
