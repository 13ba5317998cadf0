""""Remove the sound": a video's audio tracks taken out of a copy, losslessly.

Voices identify people. This transform (a ``pipeline.Transform``, run before the strip)
copies the video with every audio track neutralised in place, the way the cleaners
neutralise metadata: the track's entry becomes padding of the same size (an ISO-BMFF
``trak`` becomes ``free``, a Matroska ``TrackEntry`` a ``Void``, an AVI stream list
``JUNK``), and every audio sample, block or chunk becomes zeros or padding. Nothing
moves, so every offset stays valid; the video's bytes are not touched, and players show
no audio stream. The ordinary strip, its byte accounting and the re-check then run over
the result like over any other file, so a muted copy is proved like every copy.

Why in place rather than a remux (``ffmpeg -an -c copy``): a muxer writes its own name,
dates and layout back, may drop a rotation or an edit list, and gives the accounting a
file that no longer matches the original frame for frame.

The planners per container live in :mod:`sound_bmff`, :mod:`sound_matroska` and
:mod:`sound_avi`; each reads the structures through the containers' bounded walkers.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers import detect
from share_guard.core.containers.base import Source
from share_guard.core.containers.inplace import Patch, copy_with_patches
from share_guard.core.errors import CorruptFile, ExportRefused, UnsupportedFormat
from share_guard.core.export.pipeline import Cover
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import FileKind, Report

#: what consent and the results call what goes (as "kind: what", like the findings)
SOUND = "Sound: every audio track"


@dataclass
class Mute:
    """How to take the sound out of one file: in-place patches, and what they remove."""

    patches: list[Patch] = field(default_factory=list)
    tracks: int = 0  # audio tracks taken out
    pieces: int = 0  # audio samples, blocks or chunks made into zeros or padding


Planner = Callable[[Source], Mute]


def planner_for(handler_name: str) -> Planner:
    """The planner for a container (by handler name); refuses containers it cannot mute."""
    if handler_name in ("mp4", "mov", "3gp", "m4v"):
        from share_guard.core.export.sound_bmff import plan_bmff

        return plan_bmff
    if handler_name in ("mkv", "webm"):
        from share_guard.core.export.sound_matroska import plan_matroska

        return plan_matroska
    if handler_name == "avi":
        from share_guard.core.export.sound_avi import plan_avi

        return plan_avi
    raise UnsupportedFormat(message(N_("the sound cannot be removed from {handler_name} files"),
                                    handler_name=handler_name))


def mute_plan(src: Source) -> Mute:
    """The patches that take every audio track out of the video ``src``."""
    return planner_for(detect(src.head).name)(src)


def zero_ranges(ranges: list[tuple[int, int]], keep: list[tuple[int, int]]) -> list[Patch]:
    """Patches zeroing ``ranges`` (merged); refuses when one shares bytes with ``keep``
    (a sample of a kept track): zeroing it would damage the video."""
    from share_guard.core.containers.inplace import merged

    gone = merged(r for r in ranges if r[1] > r[0])
    kept = merged(r for r in keep if r[1] > r[0])
    i = 0
    for start, end in gone:
        while i < len(kept) and kept[i][1] <= start:
            i += 1
        if i < len(kept) and kept[i][0] < end:
            raise ExportRefused(N_("the sound cannot be removed: audio and video share bytes"))
    return [Patch(start, end - start) for start, end in gone]


@dataclass
class RemoveSound:
    """Takes every audio track out of a video's copy (photos pass through unchanged)."""

    name: str = field(default="remove sound", init=False)

    def covers(self, report: Report) -> Cover:
        """What consent mentions: the sound, for a video that has some."""
        if report.kind is FileKind.VIDEO and report.properties.get("has_audio", True):
            return Cover(removes=(SOUND,))
        return Cover()

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]:
        if report.kind is not FileKind.VIDEO:
            _copy(src, out)
            return []
        progress(0.1, N_("finding the sound"))
        try:
            mute = mute_plan(src)
        except (ValueError, IndexError) as exc:  # struct errors on hostile layouts
            raise CorruptFile(message(N_("the sound cannot be removed: {exc}"), exc=exc)) from exc
        if cancel is not None:
            cancel.check()
        if not mute.tracks:
            _copy(src, out)
            return ["no sound to remove"]
        progress(0.5, N_("removing the sound"))
        try:
            with src.open() as fh:
                copy_with_patches(fh, src.size, out, mute.patches)
        except ValueError as exc:  # overlapping patches: a layout we did not plan for
            raise ExportRefused(message(N_("the sound cannot be removed: {exc}"), exc=exc)) from exc
        tracks = "1 audio track" if mute.tracks == 1 else f"{mute.tracks} audio tracks"
        return [f"sound removed: {tracks} taken out, {mute.pieces} audio pieces zeroed; "
                "the video is not re-encoded"]


def _copy(src: Source, out: BinaryIO) -> None:
    with src.open() as fh:
        shutil.copyfileobj(fh, out, 1 << 20)
