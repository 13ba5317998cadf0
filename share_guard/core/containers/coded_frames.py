"""Coded frames that carry metadata in-band, and how each kind is scrubbed and accounted.

Shared by the in-place video cleaners (Matroska blocks, AVI ``movi`` chunks): an
H.264/HEVC frame (length-prefixed or Annex B) has its SEI and unknown NAL units turned
into filler NAL units (``nal``), a Motion-JPEG frame its APPn/COM payloads and any bytes
after its end zeroed (``jpeg_frames``), an AV1 frame its metadata OBUs turned into blank
padding (``obu``); other codecs are opaque payload.

``scrub_span`` and ``account_span`` work on a frame where it lies in a file (a
:class:`file_view.FileView`): H.264/HEVC frames are walked by their NAL length fields and
header bytes, AV1 frames by their OBU headers, and only units that are not coded data are
read; frames of the other codecs (audio, Motion-JPEG, MPEG-4 Visual) are read whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from share_guard.core.containers import aac, jpeg_frames, nal, obu
from share_guard.core.containers.inplace import Patch, Plan
from share_guard.core.i18n import N_, message

if TYPE_CHECKING:
    from share_guard.core.containers.file_view import View
    from share_guard.core.containers.ledger import Ledger

NAL_FOURCCS = {b"H264": nal.H264, b"h264": nal.H264, b"X264": nal.H264, b"x264": nal.H264,
               b"AVC1": nal.H264, b"avc1": nal.H264, b"HEVC": nal.HEVC, b"H265": nal.HEVC,
               b"hvc1": nal.HEVC, b"HVC1": nal.HEVC}
MJPEG_FOURCCS = {b"MJPG", b"mjpg", b"AVRn", b"LJPG", b"JPGL", b"AVDJ", b"dmb1"}
#: MPEG-4 Part 2 (DivX, Xvid, FFmpeg's own): encoder banners in user-data fields
MP4V_FOURCCS = {b"FMP4", b"fmp4", b"XVID", b"xvid", b"DIVX", b"divx", b"DX50", b"dx50",
                b"MP4V", b"mp4v", b"M4S2", b"m4s2", b"3IV2", b"DIV3", b"div3"}


#: the most bytes of a frame looked at for a sample of the text it held
SAMPLE = 65536


class CodecError(ValueError):
    """A codec header that cannot be walked (the caller refuses the file)."""


@dataclass(frozen=True)
class FrameCodec:
    """How the frames of a track carry in-band metadata."""

    #: "nal" (H.264/HEVC), "jpeg" (Motion-JPEG), "av1", "aac", "mp4v" (MPEG-4 Visual) or
    #: "plain" (nothing known inside)
    kind: str = "plain"
    codec: str = ""
    length_size: int | None = None  # NAL length field size; None: Annex B start codes

    def scrub(self, buf: bytearray, start: int, end: int) -> list[str]:
        """Neutralise metadata in the frame ``buf[start:end]`` in place; what it held."""
        if self.kind == "nal":
            try:
                return nal.scrub(buf, self.codec, self.length_size, start, end)
            except ValueError as exc:
                raise CodecError(message(N_("a {codec} frame that cannot be walked: {exc}"),
                                         codec=self.codec.upper(), exc=exc)) from exc
        if self.kind == "jpeg":
            try:
                return jpeg_frames.scrub_frame(buf, start, end)
            except jpeg_frames.FrameError as exc:
                raise CodecError(message(N_("a Motion-JPEG frame that cannot be walked: {exc}"),
                                         exc=exc)) from exc
        if self.kind == "mp4v":
            from share_guard.core.containers.bmff_entries import mp4v_segments

            found: list[str] = []
            for seg in mp4v_segments(bytes(buf[start:end]), start, found):
                if seg.want is not None:
                    buf[seg.start : seg.end] = seg.want
            return ["MPEG-4 user data (encoder banner)"] if found else []
        if self.kind == "aac":
            frame = bytes(buf[start:end])
            clean = aac.neutral(frame)
            if clean == frame:
                return []
            buf[start:end] = clean
            return ["AAC encoder text (fill or data elements)"]
        if self.kind == "av1":
            plan = Plan(len(buf))
            try:
                found = obu.scrub(lambda at, n: bytes(buf[at : at + n]), start, end, plan)
            except obu.ObuError as exc:
                raise CodecError(message(N_("an AV1 frame that cannot be walked: {exc}"), exc=exc)) from exc
            for a, b in plan.zero:
                buf[a:b] = bytes(b - a)
            for at, data in plan.patches:
                buf[at : at + len(data)] = data
            return found
        return []

    def scrubbed(self, frame: bytes | memoryview) -> tuple[bytearray | None, list[str]]:
        """(the clean frame or None when nothing changes, what it held); a frame is copied
        only when it needs cleaning or cannot be checked without it (JPEG)."""
        if self.kind == "plain" or (self.kind == "aac" and (
                len(frame) < 2 or not aac.may_hold_data(frame[0]))):
            return None, []
        if self.kind == "nal":
            try:
                spans = (nal.length_prefixed(frame, self.length_size) if self.length_size
                         else nal.annexb(frame))
                if not any(nal.verdict(self.codec, frame[s:e]) for s, e in spans):
                    return None, []
            except ValueError as exc:
                raise CodecError(message(N_("a {codec} frame that cannot be walked: {exc}"),
                                         codec=self.codec.upper(), exc=exc)) from exc
        buf = bytearray(frame)
        found = self.scrub(buf, 0, len(buf))
        return (buf if bytes(buf) != bytes(frame) else None), found

    def account(self, frame: bytes | bytearray | memoryview, ledger: Ledger, base: int,
                what: str) -> None:
        if self.kind == "nal":
            nal.account(frame, self.codec, self.length_size, ledger, base, what)
        elif self.kind == "jpeg":
            jpeg_frames.account_frame(frame, ledger, base, what)
        elif self.kind == "mp4v":
            from share_guard.core.containers.bmff_entries import mp4v_segments

            view = bytes(frame)
            for seg in mp4v_segments(view, base):
                part = view[seg.start - base : seg.end - base]
                if seg.want is not None and part != seg.want:
                    ledger.refuse(seg.start, seg.end, what, N_("MPEG-4 user data left in a frame"))
                elif seg.want is not None:
                    ledger.zeroed(view, seg.start, seg.end, what, fill=0xFF, base=base)
                else:
                    ledger.payload(seg.start, seg.end, what)
        elif self.kind == "aac":
            view = bytes(frame)
            if aac.neutral(view) != view:
                ledger.refuse(base, base + len(view), what, N_("an audio frame that still holds "
                              "fill or data elements"))
            else:
                ledger.payload(base, base + len(view), what)
        elif self.kind == "av1":
            view = bytes(frame)
            obu.account(lambda at, n: view[at - base : at - base + n], base, base + len(view),
                        ledger, what)
        else:
            ledger.payload(base, base + len(frame), what)

    # -- frames where they lie in a file (read a few bytes per unit) -----------------------
    def scrub_span(self, buf: View, start: int, end: int) -> tuple[list[Patch], list[str], bytes]:
        """The patches (offsets as in ``buf``) that clean the frame ``buf[start:end]``, what it
        held, and the bytes that held it when they were read (the NAL units neutralised, for
        a sample of their text; else b""): the same edits as :meth:`scrubbed`, read lazily
        where the codec allows."""
        if self.kind == "plain" or (self.kind == "aac" and (
                end - start < 2 or not aac.may_hold_data(buf[start]))):
            return [], [], b""
        if self.kind == "nal" and self.length_size:
            try:
                return self._scrub_nals(buf, start, end, self.length_size)
            except ValueError as exc:
                raise CodecError(message(N_("a {codec} frame that cannot be walked: {exc}"),
                                         codec=self.codec.upper(), exc=exc)) from exc
        if self.kind == "av1":
            plan = Plan(end)
            try:
                found = obu.scrub(_reader(buf), start, end, plan)
            except obu.ObuError as exc:
                raise CodecError(message(N_("an AV1 frame that cannot be walked: {exc}"), exc=exc)) from exc
            return ([Patch(a, b - a) for a, b in plan.zero]
                    + [Patch(at, len(data), data) for at, data in plan.patches]), found, b""
        from share_guard.core.containers.patch_diff import diff_patches

        frame = bytes(buf[start:end])
        clean, found = self.scrubbed(frame)
        return ([] if clean is None else diff_patches(frame, clean, start)), found, b""

    def _scrub_nals(self, buf: View, start: int, end: int, length_size: int
                    ) -> tuple[list[Patch], list[str], bytes]:
        """Only units that are not slices are read; as :meth:`scrubbed`, a frame none of
        whose units carries anything is left alone (parameter sets included)."""
        codec, hs = self.codec, nal.header_size(self.codec)
        odd = [(s, e, bytes(buf[s:e])) for s, e, first in _units(buf, start, end, length_size)
               if e - s < hs or not nal.is_plain(codec, first)]
        verdicts = [nal.verdict(codec, unit) for _, _, unit in odd]
        if not any(verdicts):
            return [], [], b""
        patches: list[Patch] = []
        found: list[str] = []
        held = [unit for (_, _, unit), why in zip(odd, verdicts, strict=True) if why]
        chroma: dict[int, int] = {}
        for (s, e, unit), why in zip(odd, verdicts, strict=True):
            if not why:
                fixed = nal.tidy(codec, unit, chroma)
                if fixed is None:
                    continue
                if len(fixed) != e - s:
                    raise ValueError("a parameter set tidied to another size")
                patches.append(Patch(s, e - s, fixed))
                why = nal.PS_TAIL
            else:
                patches.append(Patch(s, e - s, nal.filler(codec, e - s) if e - s > hs else b""))
            if why not in found:
                found.append(why)
        return patches, found, b"".join(held)[:SAMPLE]

    def account_span(self, buf: View, start: int, end: int, ledger: Ledger, what: str) -> None:
        """File the clean frame ``buf[start:end]`` (offsets as in ``buf`` and the ledger) as
        :meth:`account` does, reading only unit headers of H.264/HEVC and AV1 frames."""
        if self.kind == "plain":
            ledger.payload(start, end, what)
        elif self.kind == "nal" and self.length_size:
            self._account_nals(buf, start, end, self.length_size, ledger, what)
        elif self.kind == "av1":
            obu.account(_reader(buf), start, end, ledger, what)
        else:
            self.account(bytes(buf[start:end]), ledger, start, what)

    def _account_nals(self, buf: View, start: int, end: int, length_size: int, ledger: Ledger,
                      what: str) -> None:
        codec, hs = self.codec, nal.header_size(self.codec)
        try:
            units = list(_units(buf, start, end, length_size))
        except ValueError as exc:
            ledger.refuse(start, end, what, str(exc))
            return
        pos, chroma = start, dict[int, int]()
        for s, e, first in units:
            ledger.written(pos, s, f"{what} NAL length")
            if e - s >= hs and nal.is_plain(codec, first):
                ledger.payload(s, e, what)
            elif not nal.account_unit(bytes(buf[s:e]), codec, ledger, s, what, chroma):
                return
            pos = e


def _units(buf: View, start: int, end: int, length_size: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, first header byte) of each NAL unit of a length-prefixed frame, one short
    read per unit."""
    return nal.units_at(lambda at, n: bytes(buf[at : at + n]), start, end, length_size)


def _reader(buf: View) -> obu.Read:
    return lambda at, n: bytes(buf[at : at + n])
