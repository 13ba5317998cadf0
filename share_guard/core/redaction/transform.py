"""Redaction as a step of the export pipeline (a ``pipeline.Transform``).

Runs before the metadata strip: it writes a redacted copy (faces, readable
codes, regions the person drew) into the pipeline's scratch file, which the
pipeline then strips and verifies like any other file. Detections come from the
per-file cache that ``inspect``'s analyzers filled (or a fresh scan when they
did not run).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.analysis.analyzers import image_codes, image_faces, preselected, video_faces
from share_guard.core.analysis.tracks import Track
from share_guard.core.containers.base import Source
from share_guard.core.errors import UnsupportedFormat
from share_guard.core.export.pipeline import Cover
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.redaction.regions import Style, plan_regions
from share_guard.core.report import Category, FileKind, Region, Report


@dataclass
class RedactTransform:
    """Burn faces / codes / manual regions into the pixels before export.

    ``removed`` switches off detections by box (as the GUI lists them);
    ``added`` are regions drawn by hand (not enlarged); ``outside`` redacts
    everything outside one region. ``include_possible`` also redacts faces
    scored 0.1-0.2 (not pre-selected by default).
    """

    faces: bool = True
    codes: bool = False
    style: Style | str = Style.SOLID
    include_possible: bool = False
    added: Sequence[Region] = ()
    removed: Sequence[Region] = ()
    outside: Region | None = None
    backend: str = "auto"
    name: str = field(default="redact", init=False)

    def covers(self, report: Report) -> Cover:
        """The report's detections this redaction covers (what the person consents to)."""
        gone = {_key(r) for r in self.removed}
        found = [(f.category, r) for f in report.findings
                 if f.category in (Category.PEOPLE, Category.CODES) for r in f.regions]
        floor = self._floor([r.score for category, r in found if category is Category.PEOPLE])
        regions = {r for category, r in found if _key(r) not in gone and (
            (category is Category.PEOPLE and self.faces and r.score >= floor)
            or (category is Category.CODES and self.codes))}
        if self.outside is not None:  # all that lies wholly outside the kept area is covered
            regions |= {r for _category, r in found if not _overlap(r, self.outside)}
        return Cover(frozenset(regions), drawn=len(self.added), outside=self.outside is not None)

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]:
        style = Style(self.style)
        if report.kind is FileKind.IMAGE:
            return self._image(src, out, style, progress, cancel)
        if report.kind is FileKind.VIDEO:
            return self._video(src, out, style, progress, cancel)
        raise UnsupportedFormat(N_("only photos and videos can be redacted"))

    def _floor(self, scores: list[float]) -> float:
        """Lowest score covered: what the report pre-selects, or everything found."""
        return 0.0 if self.include_possible else preselected(scores)

    def _image(self, src: Source, out: BinaryIO, style: Style, progress: ProgressFn,
               cancel: CancelToken | None) -> list[str]:
        from share_guard.core.redaction.image import redact_image_file

        faces: list[Region] = []
        codes: list[Region] = []
        if self.faces:
            found = image_faces(src, progress=progress, cancel=cancel, backend=self.backend)
            floor = self._floor([r.score for r in found])
            faces = [r for r in found if r.score >= floor]
        if self.codes:
            codes = [c.region for c in image_codes(src, cancel=cancel)]
        regions = plan_regions([*faces, *codes], self.added, self.removed)
        if not regions and self.outside is None:
            _copy(src, out)
            return [N_("nothing to redact: pixels left as they were")]
        progress(0.9, N_("redacting"))
        result = redact_image_file(src.path, regions, style, out, outside=self.outside)
        # Count what is covered, not what was detected: the GUI passes every detection and
        # switches off the ones the person unticked (it said "176 faces covered" for 28).
        return [_summary(len(plan_regions(faces, (), self.removed)),
                         len(plan_regions(codes, (), self.removed)),
                         len(self.added), self.outside, style),
                *result.notes]

    def _video(self, src: Source, out: BinaryIO, style: Style, progress: ProgressFn,
               cancel: CancelToken | None) -> list[str]:
        from share_guard.core.redaction.video import redact_video_file

        tracks: list[Track] = []
        if self.faces:
            found_tracks = video_faces(src, progress=progress, cancel=cancel, backend=self.backend)
            floor = self._floor([t.score for t in found_tracks])
            tracks = [t for t in found_tracks if t.score >= floor]
            gone = {(r.x, r.y, r.w, r.h, r.t_start, r.t_end) for r in self.removed}
            tracks = [t for t in tracks if _key(t.region()) not in gone]
        if not tracks and not self.added and self.outside is None:
            _copy(src, out)
            return [N_("nothing to redact: video left as it was")]
        result = redact_video_file(src.path, tracks, style, out, progress, cancel,
                                   regions=list(self.added), outside=self.outside)
        notes = [
            _summary(len(tracks), 0, len(self.added), self.outside, style),
            message(N_("video re-encoded once as H.264 ({changed} of {frames} frames changed); "
                       "{packets} audio packets copied unchanged"),
                    changed=result.redacted_frames, frames=result.frames,
                    packets=result.audio_packets),
        ]
        if result.dropped_streams:
            notes.append(message(N_("{count} subtitle/data stream(s) left out"),
                                 count=result.dropped_streams))
        return notes


def _overlap(a: Region, b: Region) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _key(r: Region) -> tuple[object, ...]:
    return (r.x, r.y, r.w, r.h, r.t_start, r.t_end)


def _copy(src: Source, out: BinaryIO) -> None:
    with src.open() as fh:
        shutil.copyfileobj(fh, out, 1 << 20)


def _summary(faces: int, codes: int, manual: int, outside: Region | None, style: Style) -> str:
    parts = []
    if faces:
        # (not marked: the window's counted "{n} face" entry translates it, see verdict.py)
        parts.append(message("{n} face" if faces == 1 else "{n} faces", n=faces))
    if codes:
        parts.append(message(N_("{n} code") if codes == 1 else N_("{n} codes"), n=codes))
    if manual:
        parts.append(message(N_("{n} area drawn by hand") if manual == 1 else
                             N_("{n} areas drawn by hand"), n=manual))
    if outside is not None:
        parts.append(N_("everything outside the chosen area"))
    how = N_("solid fill") if style is Style.SOLID else N_("coarse noise")
    return message(N_("covered ({how}): {parts}"), how=how, parts=", ".join(parts))
