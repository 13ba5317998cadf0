"""The export pipeline: inspect -> plan -> consent -> [transform] -> strip -> verify -> publish.

Nothing is written before consent. Every output is written to a temp file in
the destination folder, re-inspected, and only then renamed into place; a
failure or cancel leaves nothing behind. Originals are only ever read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from share_guard.core.containers import Source, detect, handler_by_name
from share_guard.core.errors import Cancelled, ExportRefused, OutputError, ShareGuardError
from share_guard.core.export.consent import (
    FLAG_FACES_UNREDACTED,
    FLAG_SENSITIVE,
    FLAG_TAKEDOWN,
    ConsentAnswer,
    ConsentHook,
    ConsentItem,
    ConsentRequest,
    check_answer,
    refuse,
)
from share_guard.core.export.safeio import atomic_output, scratch_file
from share_guard.core.inspect import InspectOptions, inspect
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Category, Report
from share_guard.core.textsafe import display_path, display_text


class Transform(Protocol):
    """Changes pixels before the metadata strip (rebuild, redaction). Returns what it did."""

    name: str

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]: ...


@dataclass
class ExportOptions:
    output_dir: Path | None = None  # None: next to each original
    overwrite: bool = False
    suffix: str = "_clean"
    rebuild: bool = False  # re-encode from pixels files the lossless cleaner refuses
    transforms: Sequence[Transform] = ()  # e.g. face redaction, applied in order
    #: transforms for single files, keyed by the path as given (a redaction with the regions
    #: the person chose for that file); applied after ``transforms``
    file_transforms: Mapping[Path, Sequence[Transform]] = field(default_factory=dict)
    allow_takedown_match: bool = False  # never under the family policy
    data_dir: Path | None = None  # where pending-temp markers live
    inspect_options: InspectOptions = field(default_factory=InspectOptions)
    #: extra refusal rules (policy gates): report -> reason to refuse, or None
    gates: Sequence[Callable[[Report], str | None]] = ()


@dataclass
class ExportResult:
    source: Path
    status: str  # "cleaned" | "refused" | "error" | "cancelled"
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
        # reasons quote file names and parser messages: untrusted text
        self.reason = display_text(self.reason, limit=300)

    @property
    def ok(self) -> bool:
        return self.status == "cleaned"

    def to_json(self) -> dict[str, object]:
        return {
            "source": str(self.source),
            "status": self.status,
            "output": str(self.output) if self.output else None,
            "reason": self.reason,
            "removed": self.removed,
            "kept": self.kept,
            "changed": self.changed,
            "accounting": self.accounting,
        }


@dataclass
class Planned:
    report: Report
    dest: Path | None = None
    refusal: str = ""
    transforms: list[Transform] = field(default_factory=list)


NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


def output_path(report: Report, options: ExportOptions) -> Path:
    src = report.path
    folder = options.output_dir if options.output_dir is not None else src.parent
    ext = src.suffix
    if report.format:
        handler = handler_by_name(report.format)
        if ext.lower() not in handler.extensions:
            ext = handler.extensions[0]
    stem, tail = src.stem, f"{options.suffix}{ext}"
    while len(os.fsencode(stem + tail)) > NAME_MAX and stem:  # room for the suffix
        stem = stem[:-1]
    return Path(folder) / f"{stem}{tail}"


def named_for(dest: Path, extensions: Sequence[str]) -> Path:
    """``dest`` with an extension that says what the copy holds: a transform may change the
    container (a redacted AVI or WebM video is re-encoded into Matroska, a 3GP into MP4)."""
    if not extensions or dest.suffix.lower() in extensions:
        return dest
    return dest.with_suffix(extensions[0])


def is_takedown_match(report: Report) -> bool:
    """True for a confirmed match (takedown findings carry detail["match"] == "match")."""
    return any(f.detail.get("match") == "match" for f in report.by_category(Category.TAKEDOWN))


def plan(reports: Sequence[Report], options: ExportOptions) -> list[Planned]:
    """Decide per file whether and where it may be exported (no writing)."""
    planned: list[Planned] = []
    taken: set[Path] = set()
    originals = {_file_id(r.path) for r in reports} - {None}
    for report in reports:
        item = Planned(report, transforms=[*options.transforms,
                                           *options.file_transforms.get(Path(report.path), ())])
        planned.append(item)
        if report.error:
            item.refusal = report.error
            continue
        if is_takedown_match(report) and not options.allow_takedown_match:
            item.refusal = "blocked: the file matches an entry on the takedown list"
            continue
        reason = next((r for gate in options.gates if (r := gate(report))), None)
        if reason:
            item.refusal = reason
            continue
        if report.problems:
            if options.rebuild and report.kind == "image" and not report.failed_checks:
                from share_guard.core.export.rebuild import RebuildTransform

                item.transforms.insert(0, RebuildTransform())
            else:
                # a check that did not run (an unreadable takedown list) is not a container
                # problem: rebuilding would skip it, so it is refused and not offered
                rebuildable = report.kind == "image" and not report.failed_checks
                hint = " (try rebuild from pixels)" if rebuildable else ""
                item.refusal = f"not cleaned: {report.problems[0]}{hint}"
                continue
        dest = output_path(report, options)
        n = 2
        while dest in taken:
            dest = dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
            n += 1
        taken.add(dest)
        if _file_id(dest) in originals:
            # its own original, or another file of this batch (a_clean.jpg given with a.jpg)
            item.refusal = "the output would replace an original; choose another folder"
            continue
        item.dest = dest
    return planned


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path`` (links followed), None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def consent_request(planned: Sequence[Planned]) -> ConsentRequest:
    items = []
    for p in planned:
        if p.dest is None:
            continue
        r = p.report
        removed = sorted({f"{f.category.label}: {f.name}" for f in r.leaks()})
        warnings = []
        flags = []
        faces = [f for f in r.by_category(Category.PEOPLE) if f.identifying]
        redacting = any(t.name == "redact" for t in p.transforms)
        if faces and not redacting:
            flags.append(FLAG_FACES_UNREDACTED)
            warnings.append(f"{display_path(r.path.name)}: people can be recognised "
                            "and will not be redacted")
        for flag, category in ((FLAG_TAKEDOWN, Category.TAKEDOWN),
                               (FLAG_SENSITIVE, Category.SENSITIVE)):
            for f in r.by_category(category):
                flags.append(flag)
                warnings.append(f"{display_path(r.path.name)}: {f.explanation}")
        items.append(ConsentItem(display_path(r.path.name), r.kind or "file", tuple(removed),
                                 tuple(warnings), tuple(dict.fromkeys(flags))))
    return ConsentRequest(tuple(items))


ExportOneFn = Callable[[Planned, ExportOptions, ProgressFn, CancelToken | None], ExportResult]


def export_files(paths: Sequence[str | os.PathLike[str]], options: ExportOptions | None = None,
                 consent: ConsentHook = refuse, progress: ProgressFn = no_progress,
                 cancel: CancelToken | None = None,
                 reports: Sequence[Report] | None = None,
                 run_one: ExportOneFn | None = None, parallel: int = 1) -> list[ExportResult]:
    """Export clean copies of ``paths``. One bad file never stops the batch.

    ``consent`` is asked once for the whole batch, before anything is written;
    the default refuses. Pass ``reports`` to reuse inspections already made.
    ``run_one`` replaces :func:`export_one` (core.isolation runs it in a worker);
    ``parallel`` > 1 runs that many exports at once (for run_one functions that are
    thread-safe, such as the isolated workers).
    """
    opts = options or ExportOptions()
    runner = run_one or export_one
    n = max(len(paths), 1)
    if reports is None:
        reports = []
        for i, path in enumerate(paths):
            if cancel is not None:
                cancel.check()
            progress(0.3 * i / n, f"checking {display_path(Path(path).name)}")
            reports.append(inspect(path, opts.inspect_options))
    planned = plan(reports, opts)
    results: dict[int, ExportResult] = {}
    for i, p in enumerate(planned):
        if p.dest is None:
            results[i] = ExportResult(p.report.path, "refused" if not p.report.error else "error",
                                      reason=p.refusal, before=p.report)
    todo = [i for i, p in enumerate(planned) if p.dest is not None]
    if todo:
        request = consent_request([planned[i] for i in todo])
        answer: ConsentAnswer = consent(request)
        try:
            check_answer(request, answer)
        except ExportRefused as exc:
            for i in todo:
                results[i] = ExportResult(planned[i].report.path, "refused", reason=str(exc),
                                          before=planned[i].report)
            todo = []
    stop = threading.Event()
    done = [0]
    lock = threading.Lock()

    def one(i: int) -> ExportResult:
        p = planned[i]
        if stop.is_set():
            return ExportResult(p.report.path, "cancelled", reason="cancelled", before=p.report)
        with lock:
            progress(0.3 + 0.7 * done[0] / max(len(todo), 1),
                     f"cleaning {display_path(p.report.path.name)}")
        try:
            if cancel is not None:
                cancel.check()
            return runner(p, opts, progress, cancel)
        except Cancelled:
            stop.set()
            return ExportResult(p.report.path, "cancelled", reason="cancelled", before=p.report)
        except ShareGuardError as exc:
            return ExportResult(p.report.path, "error" if isinstance(exc, OutputError)
                                else "refused", reason=str(exc), before=p.report)
        except (OSError, ValueError, MemoryError) as exc:
            return ExportResult(p.report.path, "error", reason=f"{type(exc).__name__}: {exc}",
                                before=p.report)
        finally:
            with lock:
                done[0] += 1

    if parallel > 1 and len(todo) > 1:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sg-export") as pool:
            for i, result in zip(todo, pool.map(one, todo), strict=True):
                results[i] = result
    else:
        for i in todo:
            results[i] = one(i)
    progress(1.0, "done")
    return [results[i] for i in range(len(planned))]


def export_one(p: Planned, opts: ExportOptions, progress: ProgressFn,
               cancel: CancelToken | None) -> ExportResult:
    assert p.dest is not None
    result = ExportResult(p.report.path, "cleaned", before=p.report)
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
        p.dest = named_for(p.dest, handler.extensions)
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
