"""Samples scrubbed in place, and their proof: metadata inside coded video never survives.

For each sample a kept track's index points at, by codec:

* H.264 / HEVC: the NAL units are walked by their length fields (a few bytes read per unit,
  never the whole sample); an SEI unit or any unit that is not coded data is read and,
  when it carries user data or anything else, becomes a filler unit of the same size
  (:mod:`nal`). x264/x265 print their settings there, cameras serial numbers or GPS.
* MPEG-4 Visual: user-data fields (``Lavc...`` banners) overwritten, same size.
* Motion-JPEG: every frame (or field) scrubbed by :mod:`jpeg_frames` (APPn EXIF with GPS
  and comments in every frame).
* AAC: a fill element opening a frame (libavcodec writes its name there) becomes plain
  fill of the same length. Fill elements after the channel data are not reached: finding
  them needs a full AAC bitstream parse.
* AV1: metadata OBUs (user data, timecodes) become blank padding OBUs (:mod:`obu`).
* Other codecs: kept as coded data.

Offsets never move, so the sample tables stay valid; decoders skip filler, user data and
APPn payloads, so decoded frames are identical. The source is read a few bytes at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from share_guard.core.containers import aac, jpeg_frames, nal, obu
from share_guard.core.containers.bmff_boxes import Buffer, Bytes
from share_guard.core.containers.bmff_entries import mp4v_segments
from share_guard.core.containers.bmff_layout import account_segments, plan_segments
from share_guard.core.containers.inplace import Plan
from share_guard.core.containers.jpeg_segments import parse_jpeg
from share_guard.core.containers.ledger import Ledger
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

#: an SEI or unknown NAL unit larger than this is turned into filler without reading it
MAX_NAL_READ = 4 * 1024 * 1024
_TEXT = re.compile(rb"[\x20-\x7e]{8,}")


class Notes:
    """What scrubbing found, counted by kind, with the first readable text of each."""

    def __init__(self) -> None:
        self.kinds: dict[str, int] = {}
        self.text: dict[str, str] = {}
        #: the first EXIF block found inside a Motion-JPEG frame (described, then zeroed)
        self.exif: bytes | None = None

    def add(self, kind: str, raw: bytes | None = None) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if raw is not None and kind not in self.text:
            found = _TEXT.search(raw)
            if found:
                self.text[kind] = found.group().decode("ascii")[:120]


class SampleError(ValueError):
    """A sample whose structure cannot be walked (the file is not cleaned)."""


def head(mm: Bytes, pos: int, n: int) -> bytes:
    """A few bytes at ``pos`` (a file's come through its block cache)."""
    return mm[pos : pos + n]


def nal_units(mm: Bytes, start: int, end: int, length_size: int,
              ) -> Iterator[tuple[int, int, int]]:
    """(start, end, first header byte) of each NAL unit of a length-prefixed sample."""
    try:
        yield from nal.units_at(lambda at, n: head(mm, at, n), start, end, length_size)
    except ValueError as exc:
        raise SampleError(str(exc)) from None


def scrub_nals(mm: Bytes, start: int, end: int, codec: str, length_size: int,
               plan: Plan, notes: Notes) -> None:
    """Turn every NAL unit of ``[start, end)`` that carries metadata into filler (plan edits)."""
    hs = nal.header_size(codec)
    for s, e, first in nal_units(mm, start, end, length_size):
        if e - s >= hs and nal.is_plain(codec, first):
            continue
        unit = bytes(mm[s:e]) if e - s <= MAX_NAL_READ else b"\x00" * hs
        why = nal.verdict(codec, unit)
        if why:
            notes.add(why, unit if e - s <= MAX_NAL_READ else None)
            if e - s > hs:
                plan.patch(s, nal.filler(codec, e - s))
            else:
                plan.zero_range(s, e)


def account_nals(mm: Bytes, start: int, end: int, codec: str, length_size: int,
                 ledger: Ledger, what: str) -> None:
    nal.account(mm[start:end], codec, length_size, ledger, start, what)


# -- Motion-JPEG --------------------------------------------------------------------------

def _jpeg_frames(buf: bytes | bytearray, end: int) -> Iterator[tuple[int, int]]:
    """The JPEGs of one sample (a frame, or two fields one after the other)."""
    pos = 0
    while pos + 2 <= end and buf[pos : pos + 2] == b"\xff\xd8":
        try:
            stop = jpeg_frames.frame_end(buf, pos, end)
        except jpeg_frames.FrameError as exc:
            raise SampleError(str(exc)) from None
        yield pos, stop
        pos = stop
    if pos == 0:
        raise SampleError(N_("a Motion-JPEG sample that does not start like a JPEG"))


def scrub_jpeg(mm: Bytes, start: int, end: int, plan: Plan, notes: Notes) -> None:
    original = bytes(mm[start:end])
    work = bytearray(original)
    last = 0
    for s, e in list(_jpeg_frames(original, len(original))):
        if notes.exif is None:
            notes.exif = _first_exif(original[s:e])
        for kind in jpeg_frames.scrub_frame(work, s, e):
            notes.add(f"JPEG {kind} in frames")
        last = e
    if any(work[last:]):
        notes.add("JPEG data after the end of frames")
        work[last:] = bytes(len(work) - last)
    _diff_into(plan, start, original, bytes(work))


def _first_exif(frame: bytes) -> bytes | None:
    try:
        layout = parse_jpeg(frame)
    except CorruptFile:
        return None
    for seg in layout.segments:
        body = seg.payload(frame)
        if seg.marker == 0xE1 and body.startswith(b"Exif\x00"):
            return body
    return None


def account_jpeg(mm: Bytes, start: int, end: int, ledger: Ledger, what: str) -> None:
    data = bytes(mm[start:end])
    view = memoryview(data)
    last = 0
    try:
        spans = list(_jpeg_frames(data, len(data)))
    except SampleError as exc:
        ledger.refuse(start, end, what, str(exc))
        return
    for s, e in spans:
        jpeg_frames.account_frame(view[s:e], ledger, start + s, what)
        last = e
    ledger.zeroed(view, start + last, end, f"{what} padding", base=start)


def _diff_into(plan: Plan, base: int, old: bytes, new: bytes) -> None:
    """Add edits turning ``old`` into ``new`` (same length): zeroed runs, short patches."""
    import numpy as np  # only for Motion-JPEG: kept out of start-up

    a = np.frombuffer(old, np.uint8)
    b = np.frombuffer(new, np.uint8)
    changed = np.flatnonzero(a != b)
    if not changed.size:
        return
    breaks = np.flatnonzero(np.diff(changed) > 1)
    starts = np.concatenate(([changed[0]], changed[breaks + 1]))
    stops = np.concatenate((changed[breaks], [changed[-1]])) + 1
    for s, e in zip(starts.tolist(), stops.tolist(), strict=True):
        chunk = new[s:e]
        if not any(chunk):
            plan.zero_range(base + s, base + e)
        else:
            plan.patch(base + s, chunk)


# -- MPEG-4 Visual ------------------------------------------------------------------------

def scrub_mp4v(mm: Bytes, start: int, end: int, plan: Plan, notes: Notes) -> None:
    data = bytes(mm[start:end])
    found: list[str] = []
    segs = mp4v_segments(data, start, found)
    for text in found:
        notes.add("MPEG-4 user data", text.encode("latin-1"))
    plan_segments(Buffer(data, start), segs, plan)


def account_mp4v(mm: Bytes, start: int, end: int, ledger: Ledger, what: str) -> None:
    data = bytes(mm[start:end])
    account_segments(Buffer(data, start), mp4v_segments(data, start), ledger, what)


# -- AAC ----------------------------------------------------------------------------------

def scrub_aac(mm: Bytes, start: int, end: int, plan: Plan, notes: Notes) -> None:
    """Fill and data-stream elements opening an AAC frame (libavcodec's "Lavc..." banner in
    the first frame) are rewritten at the same size; decoders skip them (see :mod:`aac`)."""
    if end - start < 2 or not aac.may_hold_data(mm[start]):
        return
    frame = bytes(mm[start:end])
    clean = aac.neutral(frame)
    if clean != frame:
        notes.add("AAC encoder text (fill or data elements)", frame)
        first = next(i for i in range(len(frame)) if frame[i] != clean[i])
        last = max(i for i in range(len(frame)) if frame[i] != clean[i]) + 1
        plan.patch(start + first, clean[first:last])


def account_aac(mm: Bytes, start: int, end: int, ledger: Ledger, what: str) -> None:
    if end - start >= 2 and aac.may_hold_data(mm[start]):
        frame = bytes(mm[start:end])
        if aac.neutral(frame) != frame:
            ledger.refuse(start, end, what, N_("an audio frame that still holds fill or data "
                          "elements"))
            return
    ledger.payload(start, end, what)


# -- runs of samples ----------------------------------------------------------------------

#: a scrubbed range: (first byte, end, how it is coded, NAL length size)
Coded = tuple[int, int, str, int]
Run = tuple[int, int, str, int, list[tuple[int, int]]]
MAX_RUN_READ = 64 * 1024 * 1024


def runs(spans: Iterable[Coded]) -> Iterator[Run]:
    """Sorted spans grouped into runs of back-to-back samples coded the same way (a chunk
    of audio, a stretch of video): read once, filed once."""
    run: Run | None = None
    for a, b, how, size in spans:
        if run is not None and a == run[1] and how == run[2] and size == run[3]:
            run[4].append((a, b))
            run = (run[0], b, how, size, run[4])
            continue
        if run is not None:
            yield run
        run = (a, b, how, size, [(a, b)])
    if run is not None:
        yield run


def _firsts(mm: Bytes, run: Run) -> list[int]:
    """The first byte of every sample of a run (one read for the whole run)."""
    a0, b0, _, _, parts = run
    if b0 - a0 <= MAX_RUN_READ:
        head = bytes(mm[a0:b0])
        return [head[a - a0] for a, _ in parts]
    return [mm[a] for a, _ in parts]


def scrub_run(mm: Bytes, run: Run, plan: Plan, notes: Notes) -> None:
    _, _, how, size, parts = run
    if not how:
        return
    if how == "aac":
        for (a, b), first in zip(parts, _firsts(mm, run), strict=True):
            if aac.may_hold_data(first):
                scrub_aac(mm, a, b, plan, notes)
        return
    for a, b in parts:
        scrub(mm, a, b, how, size, plan, notes)


def _plain(mm: Bytes, a: int, b: int, codec: str, size: int) -> bool:
    """True when every NAL unit of the sample is coded data (nothing to look into)."""
    hs = nal.header_size(codec)
    pos = a
    while pos < b:
        raw = head(mm, pos, size + 1)
        n = int.from_bytes(raw[:size], "big")
        pos += size
        if len(raw) <= size or n < hs or pos + n > b or not nal.is_plain(codec, raw[size]):
            return False
        pos += n
    return pos == b


def account_run(mm: Bytes, run: Run, ledger: Ledger, what: str) -> None:
    """File a run of samples of a clean copy: coded data, or refused where something is left."""
    a0, b0, how, size, parts = run
    if not how:
        ledger.payload(a0, b0, what)
        return
    if how == "aac":
        for (a, b), first in zip(parts, _firsts(mm, run), strict=True):
            (account_aac if aac.may_hold_data(first) else _payload)(mm, a, b, ledger, what)
        return
    if how in (nal.H264, nal.HEVC):
        for a, b in parts:
            if _plain(mm, a, b, how, size):
                ledger.payload(a, b, what)
            else:
                account_nals(mm, a, b, how, size, ledger, what)
        return
    for a, b in parts:
        account(mm, a, b, how, size, ledger, what)


def _payload(mm: Bytes, a: int, b: int, ledger: Ledger, what: str) -> None:
    ledger.payload(a, b, what)


# -- AV1 ----------------------------------------------------------------------------------

def reader(mm: Bytes) -> obu.Read:
    return lambda pos, n: head(mm, pos, n) if n <= 64 else bytes(mm[pos : pos + n])


def scrub_av1(mm: Bytes, start: int, end: int, plan: Plan, notes: Notes) -> None:
    try:
        for why in obu.scrub(reader(mm), start, end, plan):
            notes.add(f"AV1 {why}")
    except obu.ObuError as exc:
        raise SampleError(str(exc)) from None


# -- dispatch -----------------------------------------------------------------------------

def scrub(mm: Bytes, start: int, end: int, how: str, length_size: int, plan: Plan,
          notes: Notes) -> None:
    """Scrub one sample ``[start, end)`` coded as ``how`` (raises SampleError)."""
    if how in (nal.H264, nal.HEVC):
        scrub_nals(mm, start, end, how, length_size, plan, notes)
    elif how == "jpeg":
        scrub_jpeg(mm, start, end, plan, notes)
    elif how == "mp4v":
        scrub_mp4v(mm, start, end, plan, notes)
    elif how == "aac":
        scrub_aac(mm, start, end, plan, notes)
    elif how == "av1":
        scrub_av1(mm, start, end, plan, notes)


def account(mm: Bytes, start: int, end: int, how: str, length_size: int,
            ledger: Ledger, what: str) -> None:
    """File one sample of a clean copy: coded data, filler, or a refusal naming what is left."""
    if how in (nal.H264, nal.HEVC):
        account_nals(mm, start, end, how, length_size, ledger, what)
    elif how == "jpeg":
        account_jpeg(mm, start, end, ledger, what)
    elif how == "mp4v":
        account_mp4v(mm, start, end, ledger, what)
    elif how == "aac":
        account_aac(mm, start, end, ledger, what)
    elif how == "av1":
        obu.account(reader(mm), start, end, ledger, what)
    else:
        ledger.payload(start, end, what)
