"""The export steps for one file: [transform] -> strip -> verify -> publish.

The engine (:mod:`share_guard.core.engine`) decides per file whether and where a clean
copy may be written and asks for consent; :func:`export_one` then writes one planned
copy, inside the engine's runner (a sandbox worker by default). Every output is written
to a temp file in the destination folder, re-inspected, and only then renamed into
place; a failure or cancel leaves nothing behind. Originals are only ever read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol

from share_guard.core.containers import Source, detect, handler_by_name
from share_guard.core.errors import ExportRefused, OutputError
from share_guard.core.export.safeio import atomic_output, scratch_file
from share_guard.core.inspect import inspect
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import Region, Report
from share_guard.core.textsafe import display_text


@dataclass(frozen=True)
class Cover:
    """What a transform covers in one file's picture, in terms of its report's regions."""

    regions: frozenset[Region] = frozenset()  # detected regions (faces, codes) covered
    drawn: int = 0  # regions drawn by hand
    outside: bool = False  # everything outside one chosen area
    #: what else it takes out of the file, in the findings' words ("Sound: the audio track")
    removes: tuple[str, ...] = ()


class Transform(Protocol):
    """Changes pixels before the metadata strip (rebuild, redaction). Returns what it did."""

    name: str

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]: ...

    def covers(self, report: Report) -> Cover:
        """What it will cover in the picture ``report`` describes (before it runs)."""
        ...


@dataclass
class ExportOptions:
    """One export request: where copies go and what is done to their pixels."""

    output_dir: Path | None = None  # None: next to each original
    overwrite: bool = False  # replace an existing copy instead of naming a new one -2, -3...
    suffix: str = "_clean"
    rebuild: bool = False  # re-encode from pixels files the lossless cleaner refuses
    transforms: Sequence[Transform] = ()  # e.g. face redaction, applied in order
    #: transforms for single files, keyed by the path as given (a redaction with the regions
    #: the person chose for that file); applied after ``transforms``
    file_transforms: Mapping[Path, Sequence[Transform]] = field(default_factory=dict)
    data_dir: Path | None = None  # where pending-temp markers live
    #: name copies "photo_clean.jpg" / "video_clean.mp4": the original's name may tell the
    #: date and the device (IMG_20240312_142210.jpg); the protection policy may ask for it
    neutral_name: bool = False

    def transforms_for(self, path: Path) -> list[Transform]:
        return [*self.transforms, *self.file_transforms.get(Path(path), ())]


class ExportStatus(StrEnum):
    """What happened to one file (the JSON ``status``)."""

    CLEANED = "cleaned"
    REFUSED = "refused"
    ERROR = "error"
    CANCELLED = "cancelled"


@dataclass
class ExportResult:
    source: Path
    status: ExportStatus
    output: Path | None = None
    reason: str = ""
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # pixel changes (redaction, rebuild)
    before: Report | None = None
    after: Report | None = None
    #: bytes of the published copy by class (written / payload / zeroed), from its ledger
    accounting: dict[str, int] | None = None

    def __post_init__(self) -> None:
        self.status = ExportStatus(self.status)
        # reasons quote file names and parser messages: untrusted text
        self.reason = display_text(self.reason, limit=300)

    @property
    def ok(self) -> bool:
        return self.status is ExportStatus.CLEANED

    def to_json(self) -> dict[str, object]:
        return {
            "source": str(self.source),
            "status": self.status.value,
            "output": str(self.output) if self.output else None,
            "reason": self.reason,
            "removed": self.removed,
            "kept": self.kept,
            "changed": self.changed,
            "accounting": self.accounting,
        }


@dataclass
class Planned:
    """One file the engine decided to export: its report, destination and transforms."""

    report: Report
    dest: Path | None = None
    refusal: str = ""
    transforms: list[Transform] = field(default_factory=list)


NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems
NUMBER_ROOM = 6  # "-99999": room kept for the number the naming rule may add
MAX_NUMBER = 99_999


def output_path(report: Report, options: ExportOptions) -> Path:
    """Where the copy of ``report``'s file goes before the naming rule: ``name_clean.ext``."""
    src = report.path
    folder = options.output_dir if options.output_dir is not None else src.parent
    ext = src.suffix
    if report.format:
        handler = handler_by_name(report.format)
        if ext.lower() not in handler.extensions or options.neutral_name:
            ext = handler.extensions[0]
    stem = src.stem
    if options.neutral_name:
        from share_guard.core.metadata.filename import neutral_stem

        stem = neutral_stem(report.kind)
    tail = f"{options.suffix}{ext}"
    while len(os.fsencode(stem + tail)) + NUMBER_ROOM > NAME_MAX and stem:  # room for the suffix
        stem = stem[:-1]
    return Path(folder) / f"{stem}{tail}"


def free_name(dest: Path, *, overwrite: bool, taken: set[Path] | None = None) -> Path:
    """The naming rule for copies, the same in every front end: ``dest`` itself, else
    ``name_clean-2.ext``, ``name_clean-3.ext``... the first name that no other copy of this
    batch takes and, unless ``overwrite``, that nothing on disk has (links included)."""
    taken = taken if taken is not None else set()
    candidate, n = dest, 1
    while candidate in taken or (not overwrite and os.path.lexists(candidate)):
        n += 1
        if n > MAX_NUMBER:
            raise OutputError(f"no free name for the copy of {dest.name}")
        candidate = dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
    return candidate


def named_for(dest: Path, extensions: Sequence[str]) -> Path:
    """``dest`` with an extension that says what the copy holds: a transform may change the
    container (a redacted AVI or WebM video is re-encoded into Matroska, a 3GP into MP4)."""
    if not extensions or dest.suffix.lower() in extensions:
        return dest
    return dest.with_suffix(extensions[0])


def export_one(p: Planned, opts: ExportOptions, progress: ProgressFn,
               cancel: CancelToken | None) -> ExportResult:
    """Write the clean copy of one planned file (consent was given): transform, strip,
    verify by re-inspection, publish. Raises a ShareGuardError with a one-line reason."""
    if p.dest is None:
        raise ExportRefused(p.refusal or "not planned for export")
    result = ExportResult(p.report.path, ExportStatus.CLEANED, before=p.report)
    src = Source(p.report.path)
    if p.report.mtime_ns is not None and (src.size, src.mtime_ns) != (p.report.size,
                                                                       p.report.mtime_ns):
        # the gates, the plan and the consent were about what the report saw, not this
        raise ExportRefused("the file changed after it was checked; check it again")
    expected = p.report.format

    def verify(temp: Path) -> None:
        after = inspect(temp)
        result.after = after
        if after.error:
            raise ExportRefused(f"the cleaned copy could not be re-read ({after.error}); removed")
        leaks = after.leaks()
        if leaks:
            raise ExportRefused(f"the cleaned copy still held {leaks[0].name}; removed")
        if after.problems:
            raise ExportRefused(f"the cleaned copy is not sound ({after.problems[0]}); removed")
        if not p.transforms and after.format != expected:
            raise ExportRefused("the cleaned copy changed format; removed")
        checker = handler_by_name(after.format) if after.format else None
        if checker is not None and checker.accounts:
            # every byte of the copy is ours to answer for: Unaccounted fails the export
            result.accounting = checker.account(Source(temp)).close().to_json()

    folder = p.dest.parent
    with _transformed(src, p, folder, opts, progress, cancel, result) as source:
        handler = detect(source.head)
        renamed = named_for(p.dest, handler.extensions)
        if renamed != p.dest:  # the naming rule holds for the new extension too
            p.dest = free_name(renamed, overwrite=opts.overwrite)
        with atomic_output(p.dest, overwrite=opts.overwrite, data_dir=opts.data_dir,
                           verify=verify) as out:
            stripped = handler.strip(source, out)
            if cancel is not None:
                cancel.check()
    # handlers name what they removed from the file's own bytes (a chunk's FourCC): untrusted
    result.removed = [display_text(x) for x in stripped.removed]
    result.kept = [display_text(x) for x in stripped.kept]
    if p.transforms:
        # The transform wrote fresh pixels without the original's metadata, so the strip
        # saw little; what left with it is what the original's report found.
        gone = list(dict.fromkeys(f"{f.category.label}: {f.name}" for f in p.report.leaks()))
        result.removed = gone + [r for r in result.removed if r not in gone]
    result.changed = [display_text(x) for x in result.changed]
    result.output = p.dest
    if result.after is not None:
        result.after.path = p.dest
    return result


class _transformed:
    """Context: the Source to strip; an intermediate scratch file when pixels change."""

    def __init__(self, src: Source, p: Planned, folder: Path, opts: ExportOptions,
                 progress: ProgressFn, cancel: CancelToken | None, result: ExportResult) -> None:
        self.src, self.p, self.folder, self.opts = src, p, folder, opts
        self.progress, self.cancel, self.result = progress, cancel, result
        self._scratches: list[object] = []

    def __enter__(self) -> Source:
        current = self.src
        try:
            for transform in self.p.transforms:
                cm = scratch_file(self.folder, self.opts.data_dir)
                fh, path = cm.__enter__()
                self._scratches.append(cm)
                changed = transform.apply(current, self.p.report, fh, self.progress, self.cancel)
                fh.flush()
                self.result.changed.extend(changed)
                current = Source(path)
        except BaseException:
            # a failed transform: `with` does not call __exit__ when __enter__ raises, and the
            # scratch file must not wait for garbage collection (a caller holding the error
            # kept it and its pending marker on disk)
            self.__exit__(None, None, None)
            raise
        return current

    def __exit__(self, *exc: object) -> None:
        for cm in reversed(self._scratches):
            cm.__exit__(None, None, None)  # type: ignore[attr-defined]
