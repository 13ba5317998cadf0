"""Where a movie's samples are: byte ranges from the sample tables and from fragments.

Every byte of a clean ``mdat`` is either a sample that a kept track's index points at, or
zero. These functions turn the indexes into ranges, bounded: ``stsz``/``stz2`` sizes,
``stsc`` runs and ``stco``/``co64`` offsets for an ordinary movie, and ``tfhd``/``trun``
(with ``trex`` defaults) for each fragment.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from share_guard.core.containers.bmff_boxes import Box, Buffer
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_

MAX_SAMPLES = 5_000_000


#: one sample: (first byte, end, 1-based index of its sample description); plain tuples,
#: since a long movie has hundreds of thousands
Sample = tuple[int, int, int]


def sample_sizes(buf: Buffer, stbl: Box) -> list[int]:
    stsz = stbl.find(b"stsz")
    if stsz is not None:
        fixed = buf.u32(stsz.payload_start + 4)
        count = buf.u32(stsz.payload_start + 8)
        if count > MAX_SAMPLES:
            raise LimitExceeded(N_("a track holds too many samples"))
        if fixed:
            return [fixed] * count
        if 12 + count * 4 > stsz.payload_size:
            raise CorruptFile(N_("the sample size table is larger than its box"))
        return list(struct.unpack(f">{count}I", buf.get(stsz.payload_start + 12, count * 4)))
    stz2 = stbl.find(b"stz2")
    if stz2 is None:
        raise CorruptFile(N_("a track has no sample size table"))
    bits = buf.u8(stz2.payload_start + 7)
    count = buf.u32(stz2.payload_start + 8)
    if bits not in (4, 8, 16) or count > MAX_SAMPLES:
        raise CorruptFile(N_("bad compact sample size table"))
    data = buf.get(stz2.payload_start + 12, (count * bits + 7) // 8)
    if bits == 16:
        return list(struct.unpack(f">{count}H", data))
    if bits == 8:
        return list(data)
    return [(data[i // 2] >> (4 if i % 2 == 0 else 0)) & 0xF for i in range(count)]


def track_samples(buf: Buffer, stbl: Box) -> list[Sample]:
    """Every sample of a track (offset, size, sample description) from its sample table."""
    sizes = sample_sizes(buf, stbl)
    co = stbl.find(b"stco") or stbl.find(b"co64")
    stsc = stbl.find(b"stsc")
    if co is None or stsc is None:
        if not sizes:
            return []
        raise CorruptFile(N_("a track has no chunk table"))
    wide = co.type == b"co64"
    step = 8 if wide else 4
    n_chunks = buf.u32(co.payload_start + 4)
    if n_chunks > MAX_SAMPLES or 8 + n_chunks * step > co.payload_size:
        raise CorruptFile(N_("the chunk table is larger than its box"))
    raw = buf.get(co.payload_start + 8, n_chunks * step)
    offsets = struct.unpack(f">{n_chunks}{'Q' if wide else 'I'}", raw)
    n_runs = buf.u32(stsc.payload_start + 4)
    if n_runs > MAX_SAMPLES or 8 + n_runs * 12 > stsc.payload_size:
        raise CorruptFile(N_("the sample-to-chunk table is larger than its box"))
    runs = [struct.unpack(">III", buf.get(stsc.payload_start + 8 + i * 12, 12))
            for i in range(n_runs)]
    out: list[Sample] = []
    sample = 0
    for r, (first, per_chunk, entry) in enumerate(runs):
        last = runs[r + 1][0] - 1 if r + 1 < len(runs) else n_chunks
        if first < 1 or last > n_chunks or (r + 1 < len(runs) and last < first):
            raise CorruptFile(N_("the sample-to-chunk table points past the chunk table"))
        for chunk in range(first, last + 1):
            if sample + per_chunk > len(sizes):
                raise CorruptFile(N_("more samples in chunks than in the size table"))
            pos = offsets[chunk - 1]
            for size in sizes[sample : sample + per_chunk]:
                out.append((pos, pos + size, entry))
                pos += size
            sample += per_chunk
    if sample != len(sizes):
        raise CorruptFile(N_("the size table lists samples no chunk holds"))
    return out


@dataclass(frozen=True)
class Defaults:
    """A track's fragment defaults from 'trex'."""

    entry: int = 1
    duration: int = 0
    size: int = 0
    flags: int = 0


def trex_defaults(buf: Buffer, mvex: Box | None) -> dict[int, Defaults]:
    out: dict[int, Defaults] = {}
    if mvex is None:
        return out
    for trex in mvex.all(b"trex"):
        if trex.payload_size >= 24:
            tid, entry, duration, size, flags = struct.unpack(
                ">IIIII", buf.get(trex.payload_start + 4, 20))
            out[tid] = Defaults(entry, duration, size, flags)
    return out


def fragment_samples(buf: Buffer, moof: Box, defaults: dict[int, Defaults],
                     ) -> dict[int, list[Sample]]:
    """The samples of one 'moof', by track ID (ISO 14496-12 8.8.7 and 8.8.8)."""
    out: dict[int, list[Sample]] = {}
    data_end = moof.start  # legacy base: the end of the previous traf's data
    for traf in moof.all(b"traf"):
        tfhd = traf.find(b"tfhd")
        if tfhd is None:
            raise CorruptFile(N_("a track fragment without a header"))
        flags = buf.u32(tfhd.payload_start) & 0xFFFFFF
        pos = tfhd.payload_start + 4
        tid = buf.u32(pos)
        pos += 4
        base_given = None
        if flags & 0x1:
            base_given = buf.u64(pos)
            pos += 8
        known = defaults.get(tid, Defaults())
        entry, size = known.entry, known.size
        if flags & 0x2:
            entry = buf.u32(pos)
            pos += 4
        if flags & 0x8:
            pos += 4
        if flags & 0x10:
            size = buf.u32(pos)
        if base_given is not None:
            base = base_given
        elif flags & 0x20000:
            base = moof.start
        else:
            base = data_end if out else moof.start
        samples = out.setdefault(tid, [])
        cursor = base
        for trun in traf.all(b"trun"):
            cursor = _trun(buf, trun, base, cursor, size, entry, samples)
        data_end = cursor
        if sum(len(v) for v in out.values()) > MAX_SAMPLES:
            raise LimitExceeded(N_("a fragment holds too many samples"))
    return out


def _trun(buf: Buffer, trun: Box, base: int, cursor: int, default_size: int, entry: int,
          samples: list[Sample]) -> int:
    flags = buf.u32(trun.payload_start) & 0xFFFFFF
    count = buf.u32(trun.payload_start + 4)
    pos = trun.payload_start + 8
    if flags & 0x1:
        cursor = base + struct.unpack(">i", buf.get(pos, 4))[0]
        pos += 4
    if flags & 0x4:
        pos += 4
    fields = [bit for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit]
    step = 4 * len(fields)
    if count > MAX_SAMPLES or pos + count * step > trun.end:
        raise CorruptFile(N_("a track run is larger than its box"))
    size_at = fields.index(0x200) * 4 if 0x200 in fields else None
    for i in range(count):
        size = buf.u32(pos + i * step + size_at) if size_at is not None else default_size
        samples.append((cursor, cursor + size, entry))
        cursor += size
    return cursor
