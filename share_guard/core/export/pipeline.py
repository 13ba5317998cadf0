"""The export steps for one file: [transform] -> strip -> verify -> publish.

The engine (:mod:`share_guard.core.engine`) decides per file whether and where a clean
copy may be written and asks for consent; :func:`export_one` then writes one planned
copy, inside the engine's runner (a sandbox worker by default). Every output is written
to a temp file in the destination folder, re-inspected, and only then renamed into
place; a failure or cancel leaves nothing behind. Originals are only ever read. A copy
may not grow much past its original (:func:`~share_guard.core.export.safeio.output_limit`,
checked while it is written), and copies written together are published together
(:class:`~share_guard.core.export.safeio.Staging`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol

from share_guard.core.containers import Source, detect, handler_by_name
from share_guard.core.errors import ExportRefused, OutputError
from share_guard.core.export.safeio import BoundedOutput, Staging, output_limit
from share_guard.core.filesize import data_bytes
from share_guard.core.fingerprint import check_same, check_unchanged
from share_guard.core.i18n import N_, message
from share_guard.core.inspect import InspectOptions, inspect
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import Region, Report, labelled
from share_guard.core.textsafe import display_text, safe_file_name


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
    #: the copy's name is not the original's: characters that names should not hold
    #: (controls, bidi marks, bytes that are not UTF-8, a leading dash) were replaced
    renamed: bool = False

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
            "renamed": self.renamed,
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
    """Where the copy of ``report``'s file goes before the naming rule: ``name_clean.ext``,
    with a safe name (:func:`~share_guard.core.textsafe.safe_file_name`: no control or bidi
    characters, no leading dash, no Windows device name) that fits in 255 bytes."""
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
    name = safe_file_name(stem, tail)
    while len(os.fsencode(name)) + NUMBER_ROOM > NAME_MAX and stem:  # room for the number
        stem = stem[:-1]
        name = safe_file_name(stem, tail)
    return Path(folder) / name


def name_made_safe(source: Path, suffix: str) -> bool:
    """True when the copy's name is not the original's plus ``suffix``: characters of the
    original name were replaced (see :func:`output_path`)."""
    return safe_file_name(source.stem, suffix) != source.stem + suffix


def free_name(dest: Path, *, overwrite: bool, taken: set[Path] | None = None) -> Path:
    """The naming rule for copies, the same in every front end: ``dest`` itself, else
    ``name_clean-2.ext``, ``name_clean-3.ext``... the first name that no other copy of this
    batch takes and, unless ``overwrite``, that nothing on disk has (links included)."""
    taken = taken if taken is not None else set()
    candidate, n = dest, 1
    while candidate in taken or (not overwrite and os.path.lexists(candidate)):
        n += 1
        if n > MAX_NUMBER:
            raise OutputError(message(N_("no free name for the copy of {name}"), name=dest.name))
        candidate = dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
    return candidate


def named_for(dest: Path, extensions: Sequence[str]) -> Path:
    """``dest`` with an extension that says what the copy holds: a transform may change the
    container (a redacted AVI or WebM video is re-encoded into Matroska, a 3GP into MP4)."""
    if not extensions or dest.suffix.lower() in extensions:
        return dest
    return dest.with_suffix(extensions[0])


#: how much larger than its original a transform's intermediate file may grow (a picture
#: re-encoded at a higher quality than its original's is larger; a runaway encoder is stopped)
TRANSFORM_GROWTH = 16
TRANSFORM_SLACK = 256 << 20
#: bytes written between two progress reports while a copy is written
PROGRESS_BYTES = 8 << 20


def export_one(p: Planned, opts: ExportOptions, progress: ProgressFn,
               cancel: CancelToken | None, staging: Staging | None = None) -> ExportResult:
    """Write the clean copy of one planned file (consent was given): transform, strip,
    verify by re-inspection, publish. Raises a ShareGuardError with a one-line reason.

    With ``staging`` (a batch), the verified copy waits there: it has its name once the
    batch is published (:meth:`Staging.publish`)."""
    if staging is None:
        with Staging(opts.data_dir) as own:
            result = export_one(p, opts, progress, cancel, own)
            [problem] = own.publish()
            if problem is not None:
                raise problem
            return result
    if p.dest is None:
        raise ExportRefused(p.refusal or N_("not planned for export"))
    result = ExportResult(p.report.path, ExportStatus.CLEANED, before=p.report)
    # the gates, the plan and the consent were about the bytes the report saw: these bytes
    # (a file swapped for other content of the same size and time is refused)
    read = check_unchanged(p.report, cancel=cancel)
    src = Source(p.report.path)
    expected = p.report.format

    def verify(temp: Path) -> None:
        if read is not None:  # nothing wrote to the original while the copy was made
            check_same(p.report.path, read, p.report.digest, cancel)
        after = inspect(temp, InspectOptions(fingerprint=False))
        result.after = after
        if after.error:
            raise ExportRefused(message(N_("the cleaned copy could not be re-read ({error}); removed"),
                                        error=after.error))
        leaks = after.leaks()
        if leaks:
            raise ExportRefused(message(N_("the cleaned copy still held {name}; removed"),
                                        name=leaks[0].name))
        if after.problems:
            raise ExportRefused(message(N_("the cleaned copy is not sound ({problems}); removed"),
                                        problems=after.problems[0]))
        if not p.transforms and after.format != expected:
            raise ExportRefused(N_("the cleaned copy changed format; removed"))
        checker = handler_by_name(after.format) if after.format else None
        if checker is not None and checker.accounts:
            # every byte of the copy is ours to answer for: Unaccounted fails the export
            result.accounting = checker.account(Source(temp)).close().to_json()

    folder = p.dest.parent
    beat = _Beat(progress)
    with _transformed(src, p, folder, staging, beat, cancel, result) as source:
        handler = detect(source.head)
        renamed = named_for(p.dest, handler.extensions)
        if renamed != p.dest:  # the naming rule holds for the new extension too
            p.dest = free_name(renamed, overwrite=opts.overwrite)
        data = data_bytes(source.path)
        with staging.output(p.dest, overwrite=opts.overwrite, verify=verify, size=data) as out:
            sink = BoundedOutput(out, output_limit(data), beat.written)
            stripped = handler.strip(source, sink)  # type: ignore[arg-type]
            sink.check()
            if cancel is not None:
                cancel.check()
    # handlers name what they removed from the file's own bytes (a chunk's FourCC): untrusted
    result.removed = _bounded_list(stripped.removed)
    result.kept = _bounded_list(stripped.kept)
    if p.transforms:
        # The transform wrote fresh pixels without the original's metadata, so the strip
        # saw little; what left with it is what the original's report found.
        gone = list(dict.fromkeys(labelled(f) for f in p.report.leaks()))
        result.removed = gone + [r for r in result.removed if r not in gone]
    result.changed = [display_text(x) for x in result.changed]
    result.output = p.dest
    result.renamed = name_made_safe(p.report.path, opts.suffix)
    if result.after is not None:
        result.after.path = p.dest
    return result


#: lines one result may give of what was removed or kept (a worker sends no more back)
MAX_RESULT_LINES = 200


def _bounded_list(items: Sequence[str]) -> list[str]:
    """Each line once, display-safe, at most :data:`MAX_RESULT_LINES` of them."""
    unique = list(dict.fromkeys(display_text(x) for x in items[: 50 * MAX_RESULT_LINES]))
    if len(unique) <= MAX_RESULT_LINES:
        return unique
    return [*unique[: MAX_RESULT_LINES - 1], f"{len(unique) - MAX_RESULT_LINES + 1:,} more"]


class _Beat:
    """Forwards progress, and reports again while bytes are written (every PROGRESS_BYTES
    or BEAT_SECONDS) with the last fraction seen: the watchdog sees the work go on."""

    BEAT_SECONDS = 0.5

    def __init__(self, progress: ProgressFn) -> None:
        self.progress, self.fraction, self.text = progress, 0.0, "writing the clean copy"
        self.bytes, self.at = 0, time.monotonic()

    def __call__(self, fraction: float, text: str) -> None:
        self.fraction, self.text = fraction, text
        self.progress(fraction, text)

    def written(self, n: int) -> None:
        self.bytes += n
        now = time.monotonic()
        if self.bytes >= PROGRESS_BYTES or now - self.at >= self.BEAT_SECONDS:
            self.bytes, self.at = 0, now
            self.progress(self.fraction, self.text)


class _transformed:
    """Context: the Source to strip; an intermediate scratch file when pixels change."""

    def __init__(self, src: Source, p: Planned, folder: Path, staging: Staging,
                 progress: _Beat, cancel: CancelToken | None, result: ExportResult) -> None:
        self.src, self.p, self.folder, self.staging = src, p, folder, staging
        self.progress, self.cancel, self.result = progress, cancel, result
        self._scratches: list[object] = []

    def __enter__(self) -> Source:
        current = self.src
        try:
            for transform in self.p.transforms:
                cm = self.staging.scratch(self.folder, self.progress.written)
                fh, path = cm.__enter__()
                self._scratches.append(cm)
                changed = transform.apply(current, self.p.report, fh, self.progress, self.cancel)
                fh.flush()
                limit = max(TRANSFORM_GROWTH * current.size, current.size + TRANSFORM_SLACK)
                if os.fstat(fh.fileno()).st_size > limit:
                    raise ExportRefused(message(N_("{name} wrote far more than the picture holds; refused"),
                                                name=transform.name))
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
