"""What the person chose to cover in one file: boxes in and out, boxes drawn by hand.

Plain data (no Qt), built from a report's face and code findings. Detected faces
and codes start selected; possible faces start unselected. The session keeps one
:class:`Redaction` per file and hands it to the service at export time, which
turns it into that file's redaction transform.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from share_guard.core.i18n import N_, _, ngettext, pgettext, translated
from share_guard.core.report import Category, FileKind, Region, Report

FACE, POSSIBLE, MANUAL = "face", "possible face", "manual"
SOLID, NOISY = "solid", "noisy"
#: what a code region's label means, in words
CODE_NAMES = {"qr": N_("QR code"), "pdf417": N_("PDF417 code"), "aztec": N_("Aztec code"),
              "datamatrix": N_("DataMatrix code"), "maxicode": N_("MaxiCode"),
              "barcode": N_("Barcode")}
#: a face region's name, as a list item
FACE_NAMES = {FACE: N_("Face"), POSSIBLE: N_("Possible face")}


@dataclass(eq=False)
class Box:
    """One region on the preview and whether it will be covered."""

    region: Region
    kind: str  # "face" | "possible face" | a code label ("qr"...) | "manual"
    selected: bool
    #: the area a cover fills (detections are enlarged by the core; not clipped yet)
    area: Region | None = None
    #: a video's face: its track (``box_at(t)``: where the face is at each moment)
    track: Any = None

    @property
    def shown(self) -> Region:
        return self.area if self.area is not None else self.region

    @property
    def manual(self) -> bool:
        return self.kind == MANUAL

    @property
    def is_code(self) -> bool:
        return self.kind not in (FACE, POSSIBLE, MANUAL)


def kind_of(region: Region, category: Category) -> str:
    if category is Category.CODES:
        return region.label if region.label in CODE_NAMES else "barcode"
    return POSSIBLE if region.label == POSSIBLE else FACE


@dataclass(eq=False)
class Redaction:
    """The cover choices for one file."""

    boxes: list[Box] = field(default_factory=list)
    enabled: bool = False  # "Cover faces before saving"
    style: str = SOLID
    #: a drawn box whose outside is covered instead of its inside
    outside: Box | None = None
    video: bool = False
    #: the area the core's cover fills for a detection (it enlarges them)
    cover_area: Callable[[Region], Region] | None = None

    @classmethod
    def from_report(cls, report: Report,
                    cover_area: Callable[[Region], Region] | None = None) -> Redaction:
        """``cover_area``: the area the core's cover fills for a detection (it enlarges them)."""
        boxes = [Box(r, kind_of(r, f.category), selected=kind_of(r, f.category) != POSSIBLE,
                     area=cover_area(r) if cover_area is not None else None)
                 for f in report.findings if f.category in (Category.PEOPLE, Category.CODES)
                 for r in f.regions]
        return cls(boxes, enabled=any(b.selected for b in boxes),
                   video=report.kind is FileKind.VIDEO, cover_area=cover_area)

    def attach_tracks(self, tracks: Sequence[Any]) -> None:
        """Give each video face its track (matched by the area and time it reports)."""
        by_key = {_key(t.region()): t for t in tracks}
        for box in self.faces:
            box.track = by_key.get(_key(box.region))

    def area_at(self, box: Box, t: float | None) -> Region | None:
        """Where ``box`` covers at time ``t``: a video face's box at that moment (as the cover
        fills it), a drawn or photo box where it is; None when the face is not there then."""
        r = box.region
        if t is not None and r.t_start is not None and not \
                r.t_start <= t <= (r.t_end if r.t_end is not None else r.t_start):
            return None
        if box.track is None or t is None:
            return box.shown
        at = box.track.box_at(t)
        if at is None:
            return None
        x0, y0 = math.floor(at[0]), math.floor(at[1])
        now = replace(r, x=x0, y=y0, w=max(1, math.ceil(at[2]) - x0),
                      h=max(1, math.ceil(at[3]) - y0), t_start=None, t_end=None)
        return self.cover_area(now) if self.cover_area is not None else now

    # -- changes the panel makes ----------------------------------------------------------
    def toggle(self, box: Box) -> None:
        """Click on a detected box: covered or not (as it is shown now)."""
        self.set_covered(box, box not in self.covered)

    def set_covered(self, box: Box, on: bool) -> None:
        """Cover ``box`` or leave it. Choosing one to cover turns covering on."""
        if box.manual:
            return
        box.selected = on
        if on:
            self.enabled = True

    def move(self, box: Box, region: Region) -> None:
        """A drawn box moved or resized (detections stay where they were found)."""
        if box.manual and box in self.boxes:
            box.region = replace(region, label=MANUAL, score=1.0, shape=box.region.shape,
                                 t_start=box.region.t_start, t_end=box.region.t_end)

    def set_shape(self, box: Box, shape: str) -> None:
        """A drawn box as a rectangle or an ellipse (the core covers either)."""
        if box.manual and shape in ("rect", "ellipse"):
            box.region = replace(box.region, shape=shape)

    def add(self, region: Region) -> Box:
        box = Box(replace(region, label=MANUAL, score=1.0), MANUAL, True)
        self.boxes.append(box)
        self.enabled = True
        return box

    def remove(self, box: Box) -> None:
        if box.manual and box in self.boxes:
            self.boxes.remove(box)
            if self.outside is box:
                self.outside = None

    def set_outside(self, box: Box | None) -> None:
        self.outside = box if box is None or box.manual else None
        if self.outside is not None:
            self.enabled = True

    # -- what the export needs ------------------------------------------------------------
    @property
    def detected(self) -> list[Box]:
        return [b for b in self.boxes if not b.manual]

    @property
    def faces(self) -> list[Box]:
        return [b for b in self.boxes if b.kind in (FACE, POSSIBLE)]

    @property
    def covered(self) -> list[Box]:
        """Boxes that will be covered (empty while covering is off)."""
        if not self.enabled:
            return []
        return [b for b in self.boxes if b.selected and b is not self.outside]

    @property
    def active(self) -> bool:
        """True when the export must change pixels for this file."""
        return bool(self.covered) or (self.enabled and self.outside is not None)

    def removed(self) -> list[Region]:
        """Detections the person switched off (the transform finds them again by box)."""
        return [b.region for b in self.detected if not b.selected]

    def added(self) -> list[Region]:
        return [b.region for b in self.boxes if b.manual and b is not self.outside]

    def outside_region(self) -> Region | None:
        return self.outside.region if self.outside is not None else None

    def summary(self) -> str:
        """"2 faces and 1 QR code will be covered" (plain words for the panel)."""
        covered = self.covered
        if not covered and not self.active:
            return _("Nothing will be covered.") if self.boxes else ""
        parts = counted(covered)
        if self.outside is not None:
            parts.append(_("everything outside your area"))
        # Translators: {what} lists what is covered ("2 faces and 1 QR code")
        return pgettext("covering", "{what} will be covered.").format(what=join(parts))


def _key(r: Region) -> tuple[object, ...]:
    return (r.x, r.y, r.w, r.h, r.t_start, r.t_end)


def counted(boxes: list[Box]) -> list[str]:
    counts: dict[str, int] = {}
    for box in boxes:
        counts[box.kind] = counts.get(box.kind, 0) + 1
    return [plural(n, kind) for kind, n in counts.items()]


def noun(kind: str) -> str:
    """A region's name as a list item ("Face", "QR code")."""
    return translated(FACE_NAMES.get(kind) or CODE_NAMES.get(kind, kind))


#: each kind counted, as whole phrases for the translators (every plural form they need)
COUNTED: dict[str, Callable[[int], str]] = {
    FACE: lambda n: ngettext("{n} face", "{n} faces", n),
    POSSIBLE: lambda n: ngettext("{n} possible face", "{n} possible faces", n),
    MANUAL: lambda n: ngettext("{n} area you drew", "{n} areas you drew", n),
    "qr": lambda n: ngettext("{n} QR code", "{n} QR codes", n),
    "pdf417": lambda n: ngettext("{n} PDF417 code", "{n} PDF417 codes", n),
    "aztec": lambda n: ngettext("{n} Aztec code", "{n} Aztec codes", n),
    "datamatrix": lambda n: ngettext("{n} DataMatrix code", "{n} DataMatrix codes", n),
    "maxicode": lambda n: ngettext("{n} MaxiCode", "{n} MaxiCodes", n),
    "barcode": lambda n: ngettext("{n} barcode", "{n} barcodes", n),
}


def plural(n: int, kind: str) -> str:
    return COUNTED.get(kind, COUNTED["barcode"])(n)


def join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    # Translators: the last two items of a list ("2 faces, 1 QR code and 1 barcode")
    return pgettext("a list", "{first} and {last}").format(first=_(", ").join(parts[:-1]), last=parts[-1])


def clock(seconds: float | None) -> str:
    s = max(0, int(round(seconds or 0.0)))
    m, s = divmod(s, 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


def describe(box: Box, video: bool = False) -> str:
    """"Face from 0:03 to 0:11", "Possible face", "QR code", "Box you drew"."""
    if box.manual:
        text = _("Area you drew, whole video") if video and box.region.t_start is None \
            else _("Area you drew")
    else:
        text = noun(box.kind)
    r = box.region
    if r.t_start is not None:
        end = r.t_end if r.t_end is not None else r.t_start
        # Translators: a region on a video and when it shows ("Face from 0:03 to 0:11")
        text = pgettext("covering", "{what} from {start} to {end}").format(what=text, start=clock(r.t_start),
                                                          end=clock(end))
    return text
