"""What a file gives away: findings and reports, as plain dataclasses.

Every front end (CLI, GUI, JSON) renders these; nothing here knows about Qt.
Values stored in a :class:`Finding` are already made safe for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from share_guard.core.i18n import N_, message
from share_guard.core.textsafe import display_text


class Category(StrEnum):
    """What a finding reveals. The GUI groups findings by these."""

    LOCATION = "location"  # where: GPS, place names
    IDENTITY = "identity"  # who: owner, artist, copyright, account ids
    DEVICE = "device"  # which device: make, model, serial numbers, software
    TIME = "time"  # when: capture/creation/modification dates
    HIDDEN = "hidden"  # hidden content: thumbnails, previews, trailers, history, comments
    PEOPLE = "people"  # faces in the picture
    CODES = "codes"  # readable codes (QR, barcodes) in the picture
    TAKEDOWN = "takedown"  # a match on the local takedown list
    SENSITIVE = "sensitive"  # likely sensitive content (nudity) warning
    UNKNOWN = "unknown"  # data we could not interpret: never passed as clean
    OTHER = "other"  # other metadata: descriptive, technical but removable
    KEPT = "kept"  # kept on purpose: orientation, colour profile (not identifying)

    @property
    def label(self) -> str:
        return _LABELS[self]


#: shown to a person: marked for translation, English here (the front ends translate them)
_LABELS = {
    Category.LOCATION: N_("Location"),
    Category.IDENTITY: N_("Who"),
    Category.DEVICE: N_("Which device"),
    Category.TIME: N_("When"),
    Category.HIDDEN: N_("Hidden content"),
    Category.PEOPLE: N_("People"),
    Category.CODES: N_("Readable codes"),
    Category.TAKEDOWN: N_("Takedown list"),
    Category.SENSITIVE: N_("Sensitive content"),
    Category.UNKNOWN: N_("Unknown data"),
    Category.OTHER: N_("Other metadata"),
    Category.KEPT: N_("Kept"),
}


# Translators: what a file holds, put into sentences such as "shows where the {media} was
# recorded" and "data appended after the {media}; removed"
MEDIA_WORDS = (N_("video"), N_("photo"))


class FileKind(StrEnum):
    """What a file holds, as its container says (the JSON ``kind``)."""

    IMAGE = "image"
    VIDEO = "video"


class TakedownVerdict(StrEnum):
    """How strongly a takedown-list finding matches (its ``detail["match"]``)."""

    MATCH = "match"  # blocks every export
    POSSIBLE = "possible"  # a warning: look before sharing


class Severity(IntEnum):
    INFO = 0  # not identifying (kept on purpose)
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4  # takedown-list match


DEFAULT_SEVERITY = {
    Category.LOCATION: Severity.HIGH,
    Category.IDENTITY: Severity.HIGH,
    Category.DEVICE: Severity.MEDIUM,
    Category.TIME: Severity.MEDIUM,
    Category.HIDDEN: Severity.HIGH,
    Category.PEOPLE: Severity.HIGH,
    Category.CODES: Severity.HIGH,
    Category.TAKEDOWN: Severity.CRITICAL,
    Category.SENSITIVE: Severity.HIGH,
    Category.UNKNOWN: Severity.MEDIUM,
    Category.OTHER: Severity.LOW,
    Category.KEPT: Severity.INFO,
}


@dataclass(frozen=True)
class Region:
    """A box in pixels of the image *as displayed* (after orientation)."""

    x: int
    y: int
    w: int
    h: int
    score: float = 1.0
    label: str = ""  # "face", "possible face", "qr", "manual"...
    shape: str = "rect"  # "rect" or "ellipse"
    t_start: float | None = None  # video: seconds where the region is present
    t_end: float | None = None

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"box": self.as_list(), "score": round(self.score, 4)}
        if self.label:
            out["label"] = self.label
        if self.shape != "rect":
            out["shape"] = self.shape
        if self.t_start is not None:
            out["t_start"] = round(self.t_start, 3)
            out["t_end"] = round(self.t_end if self.t_end is not None else self.t_start, 3)
        return out


#: a pre-selected face box scoring below this is a "crowd area": in a crowd every box from
#: 0.1 up is covered (small faces score 0.1-0.3), but only boxes from this score up are counted
#: as people who can be recognised (analysis/faces.py FACE_THRESHOLD)
CROWD_AREA_BELOW = 0.2


def crowd_area(region: Region) -> bool:
    """True for a box covered because it is in a crowd, not because it surely shows a face."""
    return region.label == "face" and region.score < CROWD_AREA_BELOW


@dataclass(frozen=True)
class Finding:
    """One thing a file gives away (or keeps on purpose).

    ``where`` names the place in the container ("EXIF GPS", "XMP", "JPEG COM",
    "PNG tEXt", "trailer"...). ``value`` is display-safe text. ``identifying``
    is False only for things kept on purpose (orientation, colour profile).
    ``removable`` says whether the metadata cleaner removes it (faces and
    takedown matches are not removed by stripping metadata).
    """

    category: Category
    where: str
    name: str
    value: str
    explanation: str
    identifying: bool = True
    removable: bool = True
    severity: Severity | None = None
    regions: tuple[Region, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", display_text(self.value))
        object.__setattr__(self, "name", display_text(self.name, limit=120))
        object.__setattr__(self, "where", display_text(self.where, limit=80))
        object.__setattr__(self, "explanation", display_text(self.explanation, limit=300))
        if self.severity is None:
            sev = DEFAULT_SEVERITY[self.category] if self.identifying else Severity.INFO
            object.__setattr__(self, "severity", sev)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "category": self.category.value,
            "where": self.where,
            "name": self.name,
            "value": self.value,
            "explanation": self.explanation,
            "identifying": self.identifying,
            "removable": self.removable,
            "severity": int(self.severity or 0),
        }
        if self.regions:
            out["regions"] = [r.to_json() for r in self.regions]
        if self.detail:
            out["detail"] = {k: _jsonable(v) for k, v in self.detail.items()}
        return out


def labelled(f: Finding) -> str:
    """"Location: GPS position": a finding in the lists of what a copy loses (English; the
    front ends translate it, the label and the name with it)."""
    # Translators: a label or a file name, a colon, then what it is or why it matters
    return message(N_("{name}: {why}"), name=f.category.label, why=f.name)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return display_text(value) if isinstance(value, str) else value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return display_text(value)


@dataclass
class Report:
    """Everything known about one file."""

    path: Path
    format: str | None = None  # handler name: "jpeg", "png", "mp4"...
    kind: FileKind | None = None
    size: int = 0
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why a clean export would not be confident
    error: str | None = None  # could not be read at all (one line)
    properties: dict[str, Any] = field(default_factory=dict)  # width, height, orientation...
    #: the file's modification time when it was read; export refuses a file changed since
    mtime_ns: int | None = None
    #: what was read, for export to check it is still that file (``core.fingerprint``):
    #: (device, inode, size, modification time, change time) and ``sha256:HEX`` of its bytes
    identity: tuple[int, int, int, int, int] | None = None
    digest: str | None = None
    #: analyzers (takedown list, faces...) that could not run; also listed in ``problems``.
    #: Rebuilding from pixels answers a container problem, never a check that did not run.
    failed_checks: list[str] = field(default_factory=list)
    #: analyzers that ran on it (by name), failed ones included: the evidence gates rely on
    checked: list[str] = field(default_factory=list)
    #: not known to be a photo or video: its bytes are another format, or could not be read
    #: to tell (a walked folder skips such files; a sandbox that failed is not this)
    unsupported: bool = False

    def __post_init__(self) -> None:
        if self.kind is not None:
            self.kind = FileKind(self.kind)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def understood(self) -> bool:
        """True when the container was parsed with confidence (fail closed)."""
        return self.error is None and not self.problems

    def identifying(self) -> list[Finding]:
        return [f for f in self.findings if f.identifying]

    def leaks(self) -> list[Finding]:
        """Identifying findings that stripping metadata is meant to remove."""
        return [f for f in self.findings if f.identifying and f.removable]

    def by_category(self, category: Category) -> list[Finding]:
        return [f for f in self.findings if f.category is category]

    def has(self, category: Category) -> bool:
        return any(f.category is category for f in self.findings)

    def add(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def takedown_verdict(self) -> TakedownVerdict | None:
        """The strongest takedown-list finding: MATCH, POSSIBLE, or None when nothing matched."""
        found = {f.detail.get("match") for f in self.by_category(Category.TAKEDOWN)}
        if TakedownVerdict.MATCH in found:
            return TakedownVerdict.MATCH
        return TakedownVerdict.POSSIBLE if found else None

    def summary(self) -> str:
        """One short line for lists and the CLI (display-safe)."""
        return display_text(self._summary(), limit=300)

    def _summary(self) -> str:
        if self.error:
            return message(N_("error: {error}"), error=self.error)
        if self.takedown_verdict() is TakedownVerdict.MATCH:
            return N_("blocked by takedown list")
        n = len(self.identifying())
        if self.problems:
            return message(N_("cannot be cleaned with confidence: {problem}"),
                           problem=self.problems[0])
        if n == 0:
            return N_("nothing found")
        cats = sorted({f.category for f in self.identifying()}, key=_category_order)
        kinds = ", ".join(c.label for c in cats)
        # not marked: the front ends count with ngettext themselves (the same words, with the
        # language's plural forms); this English line is what the JSON output keeps
        if n == 1:
            return f"{n} thing found ({kinds})"
        return f"{n} things found ({kinds})"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "kind": self.kind,
            "size": self.size,
            "ok": self.ok,
            "understood": self.understood,
            "error": display_text(self.error, limit=300) if self.error is not None else None,
            "problems": [display_text(p) for p in self.problems],
            "properties": {k: _jsonable(v) for k, v in self.properties.items()},
            "summary": self.summary(),
            "findings": [f.to_json() for f in self.findings],
        }


_ORDER = list(Category)


def _category_order(category: Category) -> int:
    return _ORDER.index(category)
