"""What a file's name gives away, and what its extension gets wrong.

Phones, cameras and chat apps name files after the moment and the device:
``IMG_20240312_142210.jpg``, ``PXL_20240312_142210123.jpg``, ``WhatsApp Image 2024-03-12 at
14.22.10.jpeg``, ``Screenshot_20240312-142210_Instagram.png``, ``DJI_0042.JPG``. A clean copy
that keeps the name keeps that. These are findings like any other (``where`` is "file name"),
not removable by stripping metadata: the copy loses them only under a neutral name
(:func:`neutral_stem`, the export's ``neutral_name`` option).

A name whose extension names another format (a ``.jpg`` that is a PNG or a HEIC photo) is
pointed out too: not identifying, but apps may refuse or mis-show such a file, and the clean
copy gets the extension of what it holds.

Pure string work: nothing here opens a file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, FileKind, Finding, Severity
from share_guard.core.textsafe import display_text

WHERE = "file name"
#: ``detail["source"]`` of every finding made here (gates and front ends tell them apart by it)
SOURCE = "file name"

_INNER = re.compile(r"\.[A-Za-z]{1,12}$")
_D = r"(?P<y>(?:19|20)\d\d)(?P<mo>\d\d)(?P<d>\d\d)"  # 20240312
_DD = r"(?P<y>(?:19|20)\d\d)-(?P<mo>\d\d)-(?P<d>\d\d)"  # 2024-03-12
_T = r"(?P<h>\d\d)(?P<mi>\d\d)(?P<s>\d\d)"  # 142210


class _Pattern:
    """A name pattern and the device or app it belongs to ("" when it tells none). Compiled
    when a name is first looked at: the process that only shows reports never compiles the
    thirty of them."""

    __slots__ = ("_regex", "pattern", "source")

    def __init__(self, pattern: str, source: str) -> None:
        self.pattern, self.source = pattern, source
        self._regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = re.compile(self.pattern, re.IGNORECASE)
        return self._regex


def _p(pattern: str, source: str) -> _Pattern:
    return _Pattern(pattern, source)


#: name stems (no extension) that tell when, and which device or app; first match wins
PATTERNS: tuple[_Pattern, ...] = (
    _p(rf"^PXL_{_D}_{_T}\d*", N_("a Google Pixel phone")),
    _p(rf"^(?:MV)?IMG_{_D}_{_T}", N_("an Android phone")),
    _p(rf"^VID_{_D}_{_T}", N_("an Android phone")),
    _p(rf"^(?:IMG|VID|AUD|PTT|STK)-{_D}-WA\d+", N_("WhatsApp")),
    _p(rf"^WhatsApp (?:Image|Video|Audio) {_DD} at (?P<h>\d\d)\.(?P<mi>\d\d)\.(?P<s>\d\d)",
       N_("WhatsApp")),
    _p(rf"^signal-{_DD}-(?P<h>\d\d)-?(?P<mi>\d\d)-?(?P<s>\d\d)", N_("Signal")),
    _p(rf"^photo_{_DD}_(?P<h>\d\d)-(?P<mi>\d\d)-(?P<s>\d\d)", N_("Telegram")),
    _p(rf"^video_{_DD}_(?P<h>\d\d)-(?P<mi>\d\d)-(?P<s>\d\d)", N_("Telegram")),
    _p(rf"^Screenshot_{_D}-{_T}(?:_(?P<app>.+))?", N_("a screenshot on an Android phone")),
    _p(rf"^Screenshot_{_DD}-(?P<h>\d\d)-(?P<mi>\d\d)-(?P<s>\d\d)(?:-\d+)?(?:_(?P<app>.+))?",
       N_("a screenshot on an Android phone")),
    _p(rf"^Screen_Recording_{_D}-{_T}(?:_(?P<app>.+))?", N_("a screen recording on an Android phone")),
    _p(rf"^Screen(?:shot| Recording) {_DD} at (?P<h>\d\d?)\.(?P<mi>\d\d)\.(?P<s>\d\d)",
       N_("a screenshot on a Mac")),
    _p(rf"^Screenshot from {_DD} (?P<h>\d\d)-(?P<mi>\d\d)-(?P<s>\d\d)",
       N_("a screenshot on a Linux desktop")),
    _p(rf"^Screenshot {_DD} (?P<h>\d\d)(?P<mi>\d\d)(?P<s>\d\d)", N_("a screenshot on Windows")),
    _p(rf"^DJI_{_D}{_T}_\d+", N_("a DJI drone or camera")),
    _p(rf"^(?:PANO|BURST|P|IMG)_?{_D}_{_T}", ""),
    _p(rf"^{_D}_{_T}(?:\(\d+\))?$", N_("a Samsung phone")),
    _p(rf"^{_D}_{_T}", ""),
    _p(rf"^{_DD}[ _]{_T}", ""),
    _p(rf"^{_DD}[ _](?P<h>\d\d)[.-](?P<mi>\d\d)[.-](?P<s>\d\d)", ""),
    _p(r"^FB_IMG_(?P<ms>1\d{12})", "Facebook"),
)

#: name stems that tell only the device (numbered by the camera, no date)
DEVICE_ONLY: tuple[_Pattern, ...] = (
    _p(r"^DSC_\d{4}", N_("a Nikon camera")),
    _p(r"^DSCN\d{4}", N_("a Nikon camera")),
    _p(r"^DSCF\d{4}", N_("a Fujifilm camera")),
    _p(r"^DSC\d{5}", N_("a Sony camera")),
    _p(r"^DJI_\d{4}", N_("a DJI drone or camera")),
    _p(r"^(?:GOPR|GP\d\d|G[HX]\d\d)\d{4}", N_("a GoPro camera")),
    _p(r"^_?MG_\d{4}", N_("a Canon camera")),
    _p(r"^P\d{7}$", N_("a Panasonic or Olympus camera")),
    _p(r"^received_\d{9,}", N_("Facebook Messenger")),
    _p(r"^Snapchat-\d+", N_("Snapchat")),
)

def compile_patterns() -> None:
    """Compile every pattern now (a process that forks checkers does it once for them all)."""
    for pattern in (*PATTERNS, *DEVICE_ONLY):
        pattern.regex  # noqa: B018 - compiled on first use


#: containers that are one family: a name from one of them is not "wrong" for another
FAMILIES = {"mp4": "movie", "mov": "movie", "3gp": "movie", "m4v": "movie",
            "mkv": "matroska", "webm": "matroska"}
#: every extension the app knows, by family, for "named .x but holds y"
KNOWN_EXTENSIONS = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".jfif": "JPEG", ".png": "PNG",
    ".apng": "PNG", ".webp": "WebP", ".gif": "GIF", ".tif": "TIFF", ".tiff": "TIFF",
    ".heic": "HEIF", ".heif": "HEIF", ".avif": "HEIF", ".hif": "HEIF", ".mp4": "MP4",
    ".m4v": "MP4", ".mov": "MP4", ".qt": "MP4", ".3gp": "MP4", ".3g2": "MP4", ".mkv": "Matroska",
    ".webm": "Matroska", ".avi": "AVI",
}
FORMAT_WORDS = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "gif": "GIF", "tiff": "TIFF",
                "heif": "HEIF", "mp4": "MP4", "mov": "QuickTime", "3gp": "3GP", "m4v": "MP4",
                "mkv": "Matroska", "webm": "WebM", "avi": "AVI"}


@dataclass(frozen=True)
class NameFacts:
    """What a name tells: when (ISO text, "" when it does not) and which device or app."""

    when: str = ""
    source: str = ""
    app: str = ""  # the app a screenshot shows, when the name says

    def __bool__(self) -> bool:
        return bool(self.when or self.source or self.app)


def name_facts(name: str) -> NameFacts:
    """What the file name ``name`` (with or without folders) tells about when and where
    from. Dates that cannot be real (month 13, 25 o'clock) are not taken as dates."""
    stem = PurePath(name).name
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]  # the extension ("14.22.10" in a name stays)
    stem = _INNER.sub("", stem)  # "PXL_..._123.MP.jpg": the Motion Photo mark
    for pattern in PATTERNS:
        m = pattern.regex.match(stem)
        if m is None:
            continue
        when = _when(m)
        if when:
            app = (m.groupdict().get("app") or "").strip(" _-")
            return NameFacts(when, pattern.source, _app_name(app))
    for pattern in DEVICE_ONLY:
        if pattern.regex.match(stem):
            return NameFacts("", pattern.source)
    return NameFacts()


def _when(m: re.Match[str]) -> str:
    from datetime import datetime  # (only for a name that matched)

    g = m.groupdict()
    if g.get("ms"):
        try:
            moment = datetime.fromtimestamp(int(g["ms"]) / 1000)  # noqa: DTZ006 - local, as named
        except (OverflowError, OSError, ValueError):
            return ""
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    try:
        day = datetime(int(g["y"]), int(g["mo"]), int(g["d"]))  # noqa: DTZ001 - a name's date
    except (KeyError, TypeError, ValueError):
        return ""
    if g.get("h") is None:
        return day.strftime("%Y-%m-%d")
    h, mi, s = int(g["h"]), int(g["mi"]), int(g["s"])
    if h > 23 or mi > 59 or s > 60:
        return day.strftime("%Y-%m-%d")
    return f"{day:%Y-%m-%d} {h:02d}:{mi:02d}:{s:02d}"


def _app_name(raw: str) -> str:
    """"Instagram", "com.whatsapp" -> "WhatsApp"-ish display text (bounded)."""
    text = raw.replace("_", " ").strip()
    if text.count(".") >= 1 and " " not in text:  # an Android package name
        text = text.rsplit(".", 1)[-1]
    return display_text(text, limit=40)


def name_findings(path: str | PurePath, kind: FileKind | str | None = None) -> list[Finding]:
    """Findings for what the name of ``path`` gives away (empty when it gives nothing)."""
    facts = name_facts(str(path))
    video = str(kind) == FileKind.VIDEO
    out: list[Finding] = []
    detail = {"source": SOURCE}
    if facts.when:
        out.append(Finding(
            Category.TIME, WHERE, N_("Date in the file name"), facts.when,
            N_("The name says when the video was taken or received. A clean copy with a neutral "
               "name does not carry it.") if video else
            N_("The name says when the photo was taken or received. A clean copy with a neutral "
               "name does not carry it."), removable=False, detail=detail))
    if facts.source or facts.app:
        value = facts.source or N_("an app")
        if facts.app:
            value = message(N_("{source}, showing {app}"), source=value, app=facts.app)
        out.append(Finding(
            Category.DEVICE, WHERE, N_("Device or app in the file name"), value,
            N_("The name tells which device or app made the video. A clean copy with a neutral "
               "name does not carry it.") if video else
            N_("The name tells which device or app made the photo. A clean copy with a neutral "
               "name does not carry it."), removable=False, detail=detail))
    return out


def extension_finding(path: str | PurePath, handler_name: str,
                      extensions: Sequence[str]) -> Finding | None:
    """A note when the name's extension says another format than the file holds (a ``.jpg``
    that is a PNG), naming the extension the clean copy gets; None when it fits."""
    ext = PurePath(str(path)).suffix.lower()
    if not ext or ext in extensions:
        return None
    family = FAMILIES.get(handler_name)
    if family is not None and FAMILIES.get(_handler_of(ext), "") == family:
        return None  # a QuickTime movie named .mp4: players do not mind
    holds = FORMAT_WORDS.get(handler_name, handler_name.upper())
    says = KNOWN_EXTENSIONS.get(ext)
    value = f"named {display_text(ext, limit=20)}, holds {holds}"
    told = message(N_("The name says {says}, but the file is {holds}. Some apps refuse or "
                      "mis-show such a file; the clean copy is named {extension}."),
                   says=says, holds=holds, extension=extensions[0]) if says else \
        message(N_("The name ends in {ext}, but the file is {holds}. Some apps refuse or "
                   "mis-show such a file; the clean copy is named {extension}."),
                ext=display_text(ext, limit=20), holds=holds, extension=extensions[0])
    return Finding(
        Category.OTHER, WHERE, N_("Wrong file extension"), value, told,
        identifying=False, removable=True, severity=Severity.LOW,
        detail={"source": SOURCE, "extension": extensions[0]})


def _handler_of(ext: str) -> str:
    return {".mp4": "mp4", ".m4v": "m4v", ".mov": "mov", ".qt": "mov", ".3gp": "3gp",
            ".3g2": "3gp", ".mkv": "mkv", ".mka": "mkv", ".mk3d": "mkv",
            ".webm": "webm"}.get(ext, "")


def from_name(finding: Finding) -> bool:
    """True for a finding about the file's name (not about its contents)."""
    return finding.where == WHERE and finding.detail.get("source") == SOURCE


def neutral_stem(kind: FileKind | str | None) -> str:
    """The name of a clean copy that says nothing: "photo" or "video" (the naming rule
    adds -2, -3... when it is taken)."""
    return "video" if str(kind) == FileKind.VIDEO else "photo"
