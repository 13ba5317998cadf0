"""inspect(path) -> Report: sniff the container, read what it gives away, run analyzers.

Analyzers (faces, readable codes, takedown list, sensitive content) are plain
objects passed in by the front end; the container handlers know nothing of them.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from share_guard.core.budget import reading, seal
from share_guard.core.containers import Source, detect
from share_guard.core.errors import Cancelled, ExportRefused, ShareGuardError, UnsupportedFormat
from share_guard.core.fingerprint import (
    BackgroundDigest,
    Identity,
    check_unchanged,
    hashed,
    identity,
)
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import FileKind, Finding, Report


class Analyzer(Protocol):
    """Looks at the content (not the metadata) of a file that parsed fine.

    An analyzer may also have ``warm_up(kind)``: called once the file's kind is known,
    before its metadata is read, to start slow set-up (a model) in the background.
    """

    name: str

    def analyze(
        self, src: Source, report: Report, progress: ProgressFn, cancel: CancelToken | None
    ) -> Iterable[Finding]: ...


@dataclass
class InspectOptions:
    analyzers: Sequence[Analyzer] = field(default_factory=tuple)
    progress: ProgressFn = no_progress
    cancel: CancelToken | None = None
    #: False skips checks that only add detail (batch cleaning does not need them)
    thorough: bool = True
    #: False skips hashing the file (the report of a copy being verified needs no snapshot)
    fingerprint: bool = True


def inspect(path: str | os.PathLike[str], options: InspectOptions | None = None) -> Report:
    """Read ``path`` (never written) and report what it gives away.

    Never raises for a bad file: the report's ``error`` holds a one-line reason.
    Cancellation (``options.cancel``) raises :class:`~share_guard.core.errors.Cancelled`.
    """
    opts = options or InspectOptions()
    report = Report(path=Path(path))
    try:
        src = Source(path)
    except OSError as exc:
        report.unsupported = True  # never opened: whether it is a photo is unknown
        if isinstance(exc, IsADirectoryError):
            report.error = N_("is a folder, not a file")
        elif isinstance(exc, FileNotFoundError):
            report.error = N_("file not found")
        elif isinstance(exc, PermissionError):
            report.error = N_("permission denied: the file cannot be read")
        else:
            report.error = message(N_("cannot be read: {value}"), value=exc.strerror or exc)
        return report
    report.size, report.mtime_ns = src.size, src.mtime_ns
    src.thorough = opts.thorough
    hashing: BackgroundDigest | None = None
    try:
        try:
            handler = detect(src.head)
            report.format, report.kind = handler.name, FileKind(handler.kind)
            _warm_up(opts.analyzers, report.kind)
            if opts.fingerprint:  # hashed while it is parsed and checked
                before = identity(report.path)
                hashing = BackgroundDigest(report.path) if hashed(src.size) else None
            with reading():  # the metadata this file may have read, whatever its containers
                result = handler.inspect(src)
        except UnsupportedFormat as exc:
            report.error, report.unsupported = str(exc), report.format is None
            return report
        except ShareGuardError as exc:
            report.error = str(exc)
            return report
        except (OSError, ValueError, MemoryError, RecursionError) as exc:
            report.error = message(N_("could not be read: {kind}: {exc}"),
                                   kind=type(exc).__name__, exc=exc)
            return report
        report.findings.extend(result.findings)
        report.problems.extend(result.problems)
        report.properties.update(result.properties)
        report.findings.extend(_name_findings(report, handler.name, handler.extensions))
        if not handler.can_strip:
            report.problems.append(message(N_("{name} files cannot be cleaned losslessly yet"),
                                           name=handler.name))
        if report.problems and report.kind is FileKind.IMAGE:
            # the verdict offers "rebuild from pixels" only where it can succeed
            from share_guard.core.export.rebuild import rebuild_problem

            why = rebuild_problem(report.path)
            report.properties["rebuildable"] = not why
            if why:
                report.properties["rebuild_problem"] = why
        run_analyzers(src, report, opts.analyzers, opts.progress, opts.cancel)
        if opts.fingerprint and report.format is not None:
            _fingerprint(report, hashing, before, opts)
    finally:
        if hashing is not None:
            hashing.stop()
    opts.progress(1.0, N_("done"))
    return seal(report)  # what one file may report: repeats collapsed, the rest capped


def _fingerprint(report: Report, hashing: BackgroundDigest | None, before: Identity,
                 opts: InspectOptions) -> None:
    """Record what was read (see :mod:`share_guard.core.fingerprint`): its identity, and
    the hash of its bytes (small files). A file that changes while it is read gets neither,
    so its export is refused."""
    sha = None if hashing is None else hashing.result(lambda f, t: opts.progress(f, t),
                                                      opts.cancel)
    try:
        after = identity(report.path)
    except OSError:
        return
    if (hashing is None or sha is not None) and before == after and (
            after.size, after.mtime_ns) == (report.size, report.mtime_ns):
        report.identity, report.digest = after.as_tuple(), sha


def _name_findings(report: Report, handler_name: str, extensions: Sequence[str]) -> list[Finding]:
    """What the file's name gives away (a date, a device) and a wrong extension."""
    from share_guard.core.metadata.filename import extension_finding, name_findings

    found = name_findings(report.path, report.kind)
    wrong = extension_finding(report.path, handler_name, extensions)
    return [*found, wrong] if wrong is not None else found


def _warm_up(analyzers: Sequence[Analyzer], kind: FileKind) -> None:
    """Start the analyzers' slow set-up (see :class:`Analyzer`)."""
    for analyzer in analyzers:
        warm_up = getattr(analyzer, "warm_up", None)
        if warm_up is not None:
            warm_up(str(kind))


def run_analyzers(src: Source, report: Report, analyzers: Sequence[Analyzer],
                  progress: ProgressFn, cancel: CancelToken | None) -> None:
    """Run ``analyzers`` on a report being built: their findings are added, a failure becomes
    a problem (and a failed check), and each name is listed in ``report.checked``."""
    n = len(analyzers)
    for i, analyzer in enumerate(analyzers):
        if cancel is not None:
            cancel.check()
        progress(i / max(n, 1), analyzer.name)
        try:
            report.findings.extend(analyzer.analyze(src, report, progress, cancel))
        except Cancelled:
            raise
        except ShareGuardError as exc:
            report.problems.append(message(N_("{name} check failed: {exc}"), name=analyzer.name, exc=exc))
            report.failed_checks.append(analyzer.name)
        report.checked.append(analyzer.name)


def with_checks(report: Report, analyzers: Sequence[Analyzer], progress: ProgressFn = no_progress,
                cancel: CancelToken | None = None) -> Report:
    """A copy of ``report`` with ``analyzers`` run on its file as well (``report`` is not changed).

    The evidence a gate needs, for a report made without it. The file must be the one the
    report describes: a file changed since (size or modification time) gets an error instead.
    """
    out = copy.deepcopy(report)
    todo = [a for a in analyzers if a.name not in out.checked]
    if out.error or not todo:
        return out
    try:
        src = Source(report.path)
    except OSError as exc:
        out.error = message(N_("cannot be read: {value}"), value=exc.strerror or exc)
        return out
    if out.kind is not None:
        _warm_up(todo, out.kind)
    try:
        check_unchanged(report, cancel=cancel)  # the evidence must be about the same bytes
    except ExportRefused as exc:
        out.error = str(exc)
        return out
    except OSError as exc:
        out.error = message(N_("cannot be read: {value}"), value=exc.strerror or exc)
        return out
    run_analyzers(src, out, todo, progress, cancel)
    progress(1.0, N_("done"))
    return seal(out)
