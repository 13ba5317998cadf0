"""JPEG decoding segments parsed into fields and written back from them (T.81 Annex B).

Every table, frame and scan header the cleaner keeps is parsed here into its fields,
checked, and serialised again at its specified size, so nothing a decoder does not
read (bytes after the last table of a segment, odd reserved bits) travels along.
:func:`table_use` says which quantisation and Huffman tables a scan actually uses:
a table defined but never used by a frame or scan is a place to hide data, and is
dropped. The same functions let the byte accounting re-check a clean copy.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

DQT, DHT, DAC, DRI, DNL, SOS = 0xDB, 0xC4, 0xCC, 0xDD, 0xDC, 0xDA
SOF_HUFFMAN = frozenset({0xC0, 0xC1, 0xC2, 0xC3})
SOF_ARITHMETIC = frozenset({0xC9, 0xCA, 0xCB})
#: frame markers share_guard keeps (sequential, progressive and lossless, Huffman or arithmetic;
#: JPEG-LS ``0xF7`` has the same header layout). Hierarchical frames (DHP, EXP, differential
#: SOF5-7/13-15) are not decoded by libjpeg or browsers and are refused.
SOF_KEPT = SOF_HUFFMAN | SOF_ARITHMETIC | {0xF7}
PROGRESSIVE = frozenset({0xC2, 0xCA})
HIERARCHICAL = frozenset({0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF, 0xDE, 0xDF})
LSE = 0xF8
_FILL_RUN = re.compile(rb"\xff\xff+")


@dataclass(frozen=True)
class QTable:
    precision: int  # 0: 8-bit values, 1: 16-bit
    ident: int
    values: bytes  # 64 or 128 bytes

    def encode(self) -> bytes:
        return bytes([self.precision << 4 | self.ident]) + self.values


@dataclass(frozen=True)
class HTable:
    cls: int  # 0: DC (or lossless), 1: AC
    ident: int
    counts: bytes  # 16 bytes
    symbols: bytes

    def encode(self) -> bytes:
        return bytes([self.cls << 4 | self.ident]) + self.counts + self.symbols


@dataclass(frozen=True)
class Frame:
    marker: int
    precision: int
    height: int
    width: int
    components: tuple[tuple[int, int, int], ...]  # (id, sampling H<<4|V, quant table)

    def encode(self) -> bytes:
        body = struct.pack(">BHHB", self.precision, self.height, self.width,
                           len(self.components))
        body += b"".join(bytes(c) for c in self.components)
        return segment(self.marker, body)


@dataclass(frozen=True)
class Scan:
    components: tuple[tuple[int, int], ...]  # (component id, DC<<4|AC table)
    ss: int
    se: int
    ahal: int

    def encode(self) -> bytes:
        body = bytes([len(self.components)]) + b"".join(bytes(c) for c in self.components)
        return segment(SOS, body + bytes([self.ss, self.se, self.ahal]))


def segment(marker: int, body: bytes) -> bytes:
    if len(body) + 2 > 0xFFFF:
        raise CorruptFile(N_("a JPEG segment would be too large"))
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def parse_dqt(payload: bytes) -> list[QTable]:
    tables, pos = [], 0
    while pos < len(payload):
        pq, tq = payload[pos] >> 4, payload[pos] & 15
        size = 64 * (pq + 1)
        if pq > 1 or tq > 3 or pos + 1 + size > len(payload):
            raise CorruptFile(N_("JPEG quantisation table is malformed"))
        tables.append(QTable(pq, tq, payload[pos + 1 : pos + 1 + size]))
        pos += 1 + size
    if not tables:
        raise CorruptFile(N_("JPEG quantisation segment holds no table"))
    return tables


def proper_code(table: HTable) -> bool:
    """True when the table is one a coder could have written: each symbol once (libjpeg's
    encoder refuses a repeated one: a table of repeated letters is text, not a code), a DC
    symbol a size (0-16; every byte is some AC symbol, progressive scans' end-of-band runs
    included), and no more codes of each length than the shorter ones leave room for.
    Symbols of codes no scan uses still carry a few bits in their choice (README). A table
    no scan uses is removed whatever it holds."""
    symbols = table.symbols
    if len(set(symbols)) != len(symbols):
        return False
    if table.cls == 0 and any(s > 16 for s in symbols):
        return False
    room = 1
    for count in table.counts:
        room = 2 * room - count
        if room < 0:
            return False
    return True


def parse_dht(payload: bytes) -> list[HTable]:
    tables, pos = [], 0
    while pos < len(payload):
        if pos + 17 > len(payload):
            raise CorruptFile(N_("JPEG Huffman table is cut short"))
        tc, th = payload[pos] >> 4, payload[pos] & 15
        counts = payload[pos + 1 : pos + 17]
        total = sum(counts)
        if tc > 1 or th > 3 or total > 256 or pos + 17 + total > len(payload):
            raise CorruptFile(N_("JPEG Huffman table is malformed"))
        tables.append(HTable(tc, th, counts, payload[pos + 17 : pos + 17 + total]))
        pos += 17 + total
    if not tables:
        raise CorruptFile(N_("JPEG Huffman segment holds no table"))
    return tables


def parse_frame(marker: int, payload: bytes) -> Frame:
    if len(payload) < 6:
        raise CorruptFile(N_("JPEG frame header is cut short"))
    precision, height, width, count = struct.unpack(">BHHB", payload[:6])
    if count == 0 or len(payload) < 6 + 3 * count or width == 0:
        raise CorruptFile(N_("JPEG frame header is malformed"))
    comps = tuple((payload[6 + 3 * i], payload[7 + 3 * i], payload[8 + 3 * i])
                  for i in range(count))
    if any(tq > 3 for _c, _hv, tq in comps):
        raise CorruptFile(N_("JPEG frame names a quantisation table that cannot exist"))
    return Frame(marker, precision, height, width, comps)


def parse_scan(payload: bytes) -> Scan:
    if not payload:
        raise CorruptFile(N_("JPEG scan header is empty"))
    count = payload[0]
    if count == 0 or count > 4 or len(payload) < 4 + 2 * count:
        raise CorruptFile(N_("JPEG scan header is malformed"))
    comps = tuple((payload[1 + 2 * i], payload[2 + 2 * i]) for i in range(count))
    ss, se, ahal = payload[1 + 2 * count : 4 + 2 * count]
    return Scan(comps, ss, se, ahal)


def parse_dri(payload: bytes) -> bytes:
    if len(payload) < 2:
        raise CorruptFile(N_("JPEG restart interval is cut short"))
    return segment(DRI, payload[:2])


def parse_dnl(payload: bytes) -> bytes:
    if len(payload) < 2:
        raise CorruptFile(N_("JPEG line count is cut short"))
    return segment(DNL, payload[:2])


def parse_dac(payload: bytes) -> bytes:
    """Arithmetic conditioning tables: pairs of (class/id, value), written back whole pairs."""
    pairs = len(payload) // 2
    if pairs == 0 or any(payload[2 * i] >> 4 > 1 or payload[2 * i] & 15 > 3
                         for i in range(pairs)):
        raise CorruptFile(N_("JPEG arithmetic conditioning table is malformed"))
    return segment(DAC, payload[: 2 * pairs])


def parse_lse(payload: bytes) -> bytes:
    """JPEG-LS preset parameters (ID 1, 11 bytes); mapping tables and extensions are refused."""
    if len(payload) < 11 or payload[0] != 1:
        raise CorruptFile(N_("JPEG-LS parameter segment of a kind share_guard cannot check"))
    return segment(LSE, payload[:11])


def scan_data(raw: bytes) -> bytes:
    """Entropy-coded data without fill bytes: a run of 0xFF before a marker or a stuffed
    zero reads as one 0xFF to every decoder, so the extra ones (a covert channel) go."""
    return _FILL_RUN.sub(b"\xff", raw).rstrip(b"\xff")


def has_fill(raw: bytes | memoryview) -> bool:
    data = bytes(raw)
    return b"\xff\xff" in data or data.endswith(b"\xff")


# -- which tables are used ------------------------------------------------------------------

Event = tuple[str, int, object]  # ("dqt"|"dht"|"sof"|"sos", segment index, parsed)


def table_use(events: Iterable[Event]) -> tuple[set[tuple[int, int]], list[str]]:
    """(segment index, table index) of every DQT/DHT table some frame or scan uses, and
    problems (a scan that uses a table never defined, a scan before its frame).

    Quantisation tables are bound to a component at its first scan (as libjpeg does);
    Huffman tables are read by each scan: sequential scans use the DC and AC tables of each
    component (lossless frames only DC), progressive first DC scans the DC tables, AC scans
    the AC table; DC refinement scans and arithmetic frames use none."""
    used: set[tuple[int, int]] = set()
    problems: list[str] = []
    quant: dict[int, tuple[int, int]] = {}
    huff: dict[tuple[int, int], tuple[int, int]] = {}
    frame: Frame | None = None
    latched: set[int] = set()
    for kind, index, parsed in events:
        if kind == "dqt":
            assert isinstance(parsed, list)
            for j, q in enumerate(parsed):
                quant[q.ident] = (index, j)
        elif kind == "dht":
            assert isinstance(parsed, list)
            for j, h in enumerate(parsed):
                huff[(h.cls, h.ident)] = (index, j)
        elif kind == "sof":
            assert isinstance(parsed, Frame)
            frame = parsed
        elif kind == "sos":
            assert isinstance(parsed, Scan)
            if frame is None:
                problems.append(N_("a scan comes before its frame header"))
                continue
            _use_scan(frame, parsed, quant, huff, latched, used, problems)
    if any(kind == "dht" and isinstance(parsed, list) and any(
            (index, j) in used and not proper_code(h) for j, h in enumerate(parsed)
            if isinstance(h, HTable)) for kind, index, parsed in events):
        problems.append(IMPROPER_CODE)
    return used, problems


#: the problem when a Huffman table some scan uses is not one a coder writes
IMPROPER_CODE = N_("JPEG Huffman table holds values no coder writes (repeated or impossible "
                   "symbols, or more codes than fit)")


def _use_scan(frame: Frame, scan: Scan, quant: dict[int, tuple[int, int]],
              huff: dict[tuple[int, int], tuple[int, int]], latched: set[int],
              used: set[tuple[int, int]], problems: list[str]) -> None:
    tq_of = {cid: tq for cid, _hv, tq in frame.components}
    for cid, tables in scan.components:
        if cid not in tq_of:
            problems.append(N_("a scan names a component its frame does not have"))
            continue
        if cid not in latched and frame.marker != 0xF7 and frame.marker != 0xC3:
            latched.add(cid)
            if tq_of[cid] in quant:
                used.add(quant[tq_of[cid]])
            else:
                problems.append(N_("a scan uses a quantisation table that was never defined"))
        if frame.marker not in SOF_HUFFMAN:
            continue
        wanted: list[tuple[int, int]] = []
        if frame.marker == 0xC3:
            wanted = [(0, tables >> 4)]
        elif frame.marker in PROGRESSIVE:
            if scan.ss == 0:
                wanted = [(0, tables >> 4)] if scan.ahal >> 4 == 0 else []
            else:
                wanted = [(1, tables & 15)]
        else:
            wanted = [(0, tables >> 4), (1, tables & 15)]
        for key in wanted:
            if key in huff:
                used.add(huff[key])
            # a missing table: libjpeg uses the standard tables (Motion-JPEG frames rely on it)
