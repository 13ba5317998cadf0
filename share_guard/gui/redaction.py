"""What the person chose to cover in one file: boxes in and out, boxes drawn by hand.

Plain data (no Qt), built from a report's face and code findings. Detected faces
and codes start selected; possible faces start unselected. The session keeps one
:class:`Redaction` per file and hands it to the service at export time, which
turns it into that file's redaction transform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QCoreApplication

from share_guard.core.report import Category, FileKind, Region, Report

FACE, POSSIBLE, MANUAL = "face", "possible face", "manual"
SOLID, NOISY = "solid", "noisy"
#: what a code region's label means, in words
CODE_NAMES = {"qr": "QR code", "pdf417": "PDF417 code", "aztec": "Aztec code",
              "datamatrix": "DataMatrix code", "maxicode": "MaxiCode", "barcode": "Barcode"}


@dataclass(eq=False)
class Box:
    """One region on the preview and whether it will be covered."""

    region: Region
    kind: str  # "face" | "possible face" | a code label ("qr"...) | "manual"
    selected: bool
    #: the area a cover fills (detections are enlarged by the core; not clipped yet)
    area: Region | None = None

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

    @classmethod
    def from_report(cls, report: Report,
                    cover_area: Callable[[Region], Region] | None = None) -> Redaction:
        """``cover_area``: the area the core's cover fills for a detection (it enlarges them)."""
        boxes = [Box(r, kind_of(r, f.category), selected=kind_of(r, f.category) != POSSIBLE,
                     area=cover_area(r) if cover_area is not None else None)
                 for f in report.findings if f.category in (Category.PEOPLE, Category.CODES)
                 for r in f.regions]
        return cls(boxes, enabled=any(b.selected for b in boxes), video=report.kind is FileKind.VIDEO)

    # -- changes the panel makes ----------------------------------------------------------
    def toggle(self, box: Box) -> None:
        """Click on a detected box: in or out. Choosing one to cover turns covering on."""
        if box.manual:
            return
        box.selected = not box.selected
        if box.selected:
            self.enabled = True

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
            return _tr("Nothing will be covered.") if self.boxes else ""
        parts = counted(covered)
        if self.outside is not None:
            parts.append(_tr("everything outside your box"))
        return _tr("%1 will be covered.").replace("%1", join(parts))


def _tr(text: str) -> str:
    return QCoreApplication.translate("Redaction", text)


def counted(boxes: list[Box]) -> list[str]:
    counts: dict[str, int] = {}
    for box in boxes:
        counts[box.kind] = counts.get(box.kind, 0) + 1
    return [plural(n, noun(kind)) for kind, n in counts.items()]


def noun(kind: str) -> str:
    if kind == MANUAL:
        return _tr("box you drew")
    return _tr(CODE_NAMES.get(kind, kind))


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    if word == _tr("box you drew"):
        return _tr("%n boxes you drew").replace("%n", str(n))
    return f"{n} {word}{'es' if word.endswith('x') else 's'}"


def join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return _tr("%1 and %2").replace("%1", ", ".join(parts[:-1])).replace("%2", parts[-1])


def clock(seconds: float | None) -> str:
    s = max(0, int(round(seconds or 0.0)))
    m, s = divmod(s, 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


def describe(box: Box, video: bool = False) -> str:
    """"Face from 0:03 to 0:11", "Possible face", "QR code", "Box you drew"."""
    if box.manual:
        text = _tr("Box you drew, whole video") if video and box.region.t_start is None \
            else _tr("Box you drew")
    else:
        text = noun(box.kind).capitalize() if box.kind in (FACE, POSSIBLE) else noun(box.kind)
    r = box.region
    if r.t_start is not None:
        end = r.t_end if r.t_end is not None else r.t_start
        text = _tr("%1 from %2 to %3").replace("%1", text).replace("%2", clock(r.t_start)) \
            .replace("%3", clock(end))
    return text
