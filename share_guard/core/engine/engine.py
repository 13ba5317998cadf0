"""The engine: the core as one object that both front ends drive.

Built once by :func:`share_guard.core.engine.compose.build_engine` from a feature set, it
offers three things: :meth:`Engine.inspect` (what a file gives away), :meth:`Engine.assess`
(the verdict: ready, needs rebuild or blocked, why, and what consent must mention) and
:meth:`Engine.export` (plan -> evidence -> parent -> consent -> write -> record). Every read
of a file goes through its :class:`~share_guard.core.sandbox.base.Runner`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from share_guard.core.engine.verdict import Assessment, Verdict, assess
from share_guard.core.errors import Cancelled, OutputError, ShareGuardError
from share_guard.core.export.consent import (
    CONFIRMATIONS,
    ConsentAnswer,
    ConsentHook,
    ConsentRequest,
    consent_refusal,
    refuse,
)
from share_guard.core.export.pipeline import (
    ExportOptions,
    ExportResult,
    ExportStatus,
    Planned,
    Transform,
    free_name,
    output_path,
)
from share_guard.core.family.gates import Gate, evidence_analyzers, policy_gates
from share_guard.core.family.gates import consent_confirmations as policy_confirmations
from share_guard.core.family.gates import consent_refusal as policy_consent_refusal
from share_guard.core.family.lock import PolicyState
from share_guard.core.i18n import N_, message
from share_guard.core.inspect import Analyzer, InspectOptions
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import FileKind, Report, labelled
from share_guard.core.sandbox.base import Runner

if TYPE_CHECKING:  # what exports and previews need loads when one is made (not to inspect)
    from share_guard.core.analysis.tracks import Track
    from share_guard.core.engine.items import Item
    from share_guard.core.engine.outcome import ExportOutcome
    from share_guard.core.family.approval import AskParent
    from share_guard.core.media.preview import PreviewPixels


def _scaled(progress: ProgressFn, start: float, span: float) -> ProgressFn:
    return lambda f, t: progress(start + span * min(max(f, 0.0), 1.0), t)


def _name_the_copy(result: ExportResult) -> None:
    """The copy's re-check read a temporary file: what its name gives away is what the name
    it was published under gives away."""
    if result.after is None or result.output is None:
        return
    from share_guard.core.metadata.filename import extension_finding, from_name, name_findings

    after = result.after
    after.findings = [f for f in after.findings if not from_name(f)]
    after.findings += name_findings(result.output, after.kind)
    if result.before is not None:  # a neutral name took what the original's name told
        left = {(f.category, f.name) for f in after.findings}
        result.removed += [labelled(f) for f in result.before.identifying()
                           if from_name(f) and (f.category, f.name) not in left]
    if after.format:
        from share_guard.core.containers import handler_by_name

        handler = handler_by_name(after.format)
        wrong = extension_finding(result.output, handler.name, handler.extensions)
        if wrong is not None:
            after.findings.append(wrong)


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path`` (links followed), None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


#: files whose reports are unpacked and handed to the runner at a time
WRITE_CHUNK = 256
#: the most a batch may hold (compressed reports waiting for consent) in the calling process:
#: past it, further files are refused with a reason instead of exhausting its memory
MAX_HELD = 256 * 1024**2

#: makes the analyzers on first use (their modules load numpy: not at start-up)
AnalyzerMaker = Callable[[], Sequence[Analyzer]]


class Engine:
    """Inspect, assess and export under the policy in force; files are read by ``runner``."""

    def __init__(self, runner: Runner, *, analyzers: AnalyzerMaker = list,
                 content: AnalyzerMaker = list, has_content: bool = False,
                 policy: Callable[[], PolicyState], data_dir: Callable[[], Path]) -> None:
        self.runner = runner
        self._make_analyzers = analyzers  # quick checks that come with the metadata
        self._make_content = content  # slow looks at the pixels (faces, codes)
        self._made: tuple[list[Analyzer], list[Analyzer]] | None = None
        self._made_lock = threading.Lock()
        self._has_content = has_content
        self._policy = policy
        self._data_dir = data_dir

    def _checks(self) -> tuple[list[Analyzer], list[Analyzer]]:
        with self._made_lock:
            if self._made is None:
                self._made = list(self._make_analyzers()), list(self._make_content())
            return self._made

    # -- what it is built from --------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self._data_dir()

    def policy_state(self) -> PolicyState:
        """The policy in force now (re-read each time: a parent may change it meanwhile)."""
        return self._policy()

    def gates(self, state: PolicyState | None = None) -> list[Gate]:
        return policy_gates(state or self.policy_state(), self.data_dir)

    def has_content_checks(self) -> bool:
        """True when it looks at the pixels (faces, codes): slow, so the app shows the
        metadata first."""
        return self._has_content

    def analyzers(self, *, content: bool = True, state: PolicyState | None = None) -> list[Analyzer]:
        """The checks ``inspect`` runs: the quick ones, then (``content``) the looks at the
        pixels (the takedown hashes among them when there are others) and the evidence the
        policy's gates need (each check once, by name)."""
        quick, slow = self._checks()
        chosen = list(quick)
        if content:
            chosen += slow
            chosen += evidence_analyzers(self.gates(state))
        seen: set[str] = set()
        unique = []
        for analyzer in chosen:
            if analyzer.name not in seen:
                seen.add(analyzer.name)
                unique.append(analyzer)
        return unique

    # -- inspect -----------------------------------------------------------------------------
    def inspect_options(self, *, content: bool = True, thorough: bool = True,
                        progress: ProgressFn = no_progress,
                        cancel: CancelToken | None = None) -> InspectOptions:
        return InspectOptions(analyzers=self.analyzers(content=content), progress=progress,
                              cancel=cancel, thorough=thorough)

    def inspect(self, path: str | os.PathLike[str], *, content: bool = True,
                thorough: bool = True, progress: ProgressFn = no_progress,
                cancel: CancelToken | None = None) -> Report:
        """What ``path`` gives away. ``content=False`` leaves out the looks at the pixels, so
        the metadata can be shown at once. Never raises for a bad file."""
        return self.runner.inspect(path, self.inspect_options(
            content=content, thorough=thorough, progress=progress, cancel=cancel))

    def complete(self, report: Report, *, progress: ProgressFn = no_progress,
                 cancel: CancelToken | None = None) -> Report:
        """``report`` (made with ``content=False``) with the checks it lacks: what a
        ``content=True`` inspect reports, each look at the pixels on a worker of its own
        where the runner has several (see :mod:`share_guard.core.engine.side_by_side`)."""
        from share_guard.core.engine.side_by_side import with_checks_side_by_side

        return with_checks_side_by_side(self.runner, report, self.analyzers(content=True),
                                        progress, cancel)

    def warm_up(self) -> None:
        """Start the runner's workers and get the checks ready in each (the face model
        loaded, the takedown list's indexes mapped) before the first file comes: the app
        calls it while the person picks a file. Blocks while it works (about a second): run
        it on its own thread. A failure is left for the first check to meet and report."""
        from share_guard.core.engine.deferred import get_ready

        quick, slow = self._checks()
        # this process's part (a takedown list's index files), once, before the calls below
        # send the analyzers (pickling one prepares it again: then there is nothing to do)
        for analyzer in (*quick, *slow):
            prepare = getattr(analyzer, "prepare", None)
            if prepare is not None:
                with contextlib.suppress(Exception):  # best effort: the first check says why
                    prepare()
        if not slow:
            self.runner.warm(self.runner.parallel)
            return

        def ready() -> None:
            # each call holds a worker until its models are loaded, so the calls made at
            # once go to different workers
            with contextlib.suppress(Exception):
                self.runner.call(get_ready, [*quick, *slow])

        threads = [threading.Thread(target=ready, name=f"sg-warm-{i}", daemon=True)
                   for i in range(self.runner.parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def inspect_each(self, paths: Sequence[str | os.PathLike[str]], *, content: bool = True,
                     thorough: bool = True, progress: ProgressFn = no_progress,
                     cancel: CancelToken | None = None) -> Iterator[Report]:
        """Reports in input order, each as soon as it (and those before it) is ready."""
        return self.runner.inspect_each(paths, self.inspect_options(
            content=content, thorough=thorough, progress=progress, cancel=cancel))

    def inspect_many(self, paths: Sequence[str | os.PathLike[str]], *, content: bool = True,
                     thorough: bool = True, progress: ProgressFn = no_progress,
                     cancel: CancelToken | None = None) -> list[Report]:
        return self.runner.inspect_many(paths, self.inspect_options(
            content=content, thorough=thorough, progress=progress, cancel=cancel))

    def preview(self, path: Path, kind: FileKind | str | None, max_side: int,
                at: float | None = None, cancel: CancelToken | None = None) -> PreviewPixels | None:
        """A small picture of an image or a video frame, decoded by the runner."""
        if kind not in (FileKind.IMAGE, FileKind.VIDEO):
            return None
        from share_guard.core.media.preview import decode_preview

        return self.runner.call(decode_preview, path, str(kind), max_side, at, cancel=cancel)

    def face_tracks(self, path: Path, cancel: CancelToken | None = None) -> list[Track]:
        """The face tracks of a checked video (boxes at each sampled time), from the check's
        cache, read by the runner."""
        from share_guard.core.engine.face_tracks import face_tracks

        return self.runner.call(face_tracks, str(path), cancel=cancel)

    # -- verdict -----------------------------------------------------------------------------
    def assess(self, report: Report, *, transforms: Sequence[Transform] = (),
               dest: Path | None = None, state: PolicyState | None = None) -> Assessment:
        """The verdict on ``report`` under the policy in force (or ``state``)."""
        return assess(report, self.gates(state), dest=dest, transforms=transforms)

    # -- export ------------------------------------------------------------------------------
    def export(self, paths: Sequence[str | os.PathLike[str]], options: ExportOptions,
               consent: ConsentHook = refuse, *, ask_parent: AskParent | None = None,
               progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
               reports: Iterable[Report] | None = None, record: bool = True,
               skip: Callable[[Report], bool] | None = None,
               on_result: Callable[[ExportResult], None] | None = None,
               keep_reports: bool = True) -> ExportOutcome:
        """Write clean copies of ``paths`` (reusing ``reports`` made earlier, in the same
        order; an iterable is read as it comes). Nothing is written before ``consent``
        answers yes (asked once, here); a parent is asked (``ask_parent``) at most once, where
        a gate allows it. One bad file never stops the batch. The consent record is written
        unless ``record`` is False.

        For big batches: ``skip(report)`` leaves a file out (no result); ``on_result`` hears
        each result in input order as soon as it is known; without ``keep_reports`` the
        results keep no reports (``before`` slimmed, no ``after``) and the reports waiting
        for consent are held compressed, so memory does not grow with what files report."""
        if isinstance(reports, Sequence) and len(reports) != len(paths):
            raise ValueError("one report per path, in the same order")
        from share_guard.core.engine.items import slim
        from share_guard.core.engine.outcome import ExportOutcome
        from share_guard.core.family.approval import ParentApproval
        from share_guard.core.family.records import ConsentLog, build_record

        state = self.policy_state()
        gates = self.gates(state)
        if options.data_dir is None:
            options = replace(options, data_dir=self.data_dir)
        if state.policy.neutral_names and not options.neutral_name:
            options = replace(options, neutral_name=True)  # the policy names copies neutrally
        if reports is None:
            reports = self.runner.inspect_each(paths, InspectOptions(
                analyzers=self.analyzers(state=state), progress=_scaled(progress, 0.0, 0.25),
                cancel=cancel, thorough=False))
        items = self._plan(paths, reports, options, gates, skip, keep_reports,
                           _scaled(progress, 0.25, 0.05), cancel)
        approval = ParentApproval(state, ask_parent)
        for item in items:
            if item.result is None and item.assessment.parent:
                refusal = approval.require(item.assessment.parent)
                if refusal:
                    item.result = self._refused(item, refusal)
        outcome = ExportOutcome([])
        todo = [item for item in items if item.result is None]
        if todo:
            outcome.request, outcome.answer, refusal = self._consent(todo, state, consent)
            if refusal:
                for item in todo:
                    item.result = self._refused(item, refusal)
                todo = []
        removed: set[str] = set()  # what the copies lost, by kind (for the record)
        for result in self._results(items, todo, options, progress, cancel):
            if result.ok and result.before is not None:
                removed.update(f.category.label for f in result.before.leaks())
            if on_result is not None:
                on_result(result)
            if not keep_reports:
                result.after = None
                if result.before is not None:
                    result.before = slim(result.before)
            outcome.results.append(result)
        outcome.parent_approved = approval.approved
        if record and outcome.request is not None and outcome.answer is not None:
            outcome.record = build_record(outcome.request, outcome.answer, outcome.results,
                                          parent_approved=approval.approved,
                                          audit=state.policy.audit, removed=removed)
            log = ConsentLog(options.data_dir)
            outcome.record = replace(outcome.record, id=log.add(outcome.record))
        progress(1.0, N_("done"))
        return outcome

    def _with_evidence(self, report: Report, needed: Sequence[Analyzer], progress: ProgressFn,
                       cancel: CancelToken | None) -> Report:
        """``report`` with every check the gates need, run by the runner where one is missing
        (a new report: the one given is not changed)."""
        missing = [a for a in needed if a.name not in report.checked]
        if missing and not report.error:
            if cancel is not None:
                cancel.check()
            report = self.runner.with_checks(report, missing, progress, cancel)
        return report

    def _plan(self, paths: Sequence[str | os.PathLike[str]], reports: Iterable[Report],
              options: ExportOptions, gates: Sequence[Gate],
              skip: Callable[[Report], bool] | None, keep_reports: bool, progress: ProgressFn,
              cancel: CancelToken | None) -> list[Item]:
        """One item per report (as the reports come), with its evidence, verdict and name."""
        items: list[Item] = []
        taken: set[Path] = set()
        originals = {_file_id(Path(p)) for p in paths} - {None}
        needed = evidence_analyzers(gates)
        n = max(len(paths), 1)
        count = held = 0
        for report in reports:
            count += 1
            if skip is not None and skip(report):
                continue
            report = self._with_evidence(report, needed, _scaled(progress, (count - 1) / n, 1 / n),
                                         cancel)
            item = self._plan_one(report, options, gates, taken, originals)
            if item.result is None:
                item.consent = item.assessment.consent_item(report)
                item.taken = [w for t in item.planned.transforms for w in t.covers(report).removes]
            if not keep_reports:
                item.hold()
                held += len(item.packed or b"")
                if held > MAX_HELD and item.result is None:
                    item.packed = None
                    item.result = self._refused(item, N_("the batch is too large to hold at once; "
                                                "clean its folders one at a time"),
                                                ExportStatus.ERROR)
            items.append(item)
        if count != len(paths):
            raise ValueError("one report per path, in the same order")
        return items

    def _plan_one(self, report: Report, options: ExportOptions, gates: Sequence[Gate],
                  taken: set[Path], originals: set[tuple[int, int] | None]) -> Item:
        from share_guard.core.engine.items import Item

        transforms = options.transforms_for(report.path)
        dest: Path | None = None
        if report.format is not None and not report.error:
            try:
                dest = free_name(output_path(report, options), overwrite=options.overwrite,
                                 taken=taken)
            except OutputError as exc:
                item = Item(Planned(report, transforms=transforms),
                             assess(report, gates, transforms=transforms))
                item.result = self._refused(item, str(exc), ExportStatus.ERROR)
                return item
        assessment = assess(report, gates, dest=dest, transforms=transforms)
        if assessment.verdict is Verdict.NEEDS_REBUILD and options.rebuild:
            from share_guard.core.export.rebuild import RebuildTransform

            transforms = [RebuildTransform(), *transforms]
            assessment = replace(assessment, verdict=Verdict.READY, reason="", blocker=None)
        item = Item(Planned(report, transforms=transforms), assessment)
        if report.error:
            item.result = self._refused(item, report.error, ExportStatus.ERROR)
        elif not assessment.ready:
            item.result = self._refused(item, assessment.reason)
        elif assessment.pending:  # fail closed: a gate could not judge
            item.result = self._refused(
                item, message(N_("blocked: a check could not run ({checks})"),
                              checks=", ".join(assessment.pending)))
        elif dest is None:
            item.result = self._refused(item, N_("not a photo or video that can be cleaned"))
        elif _file_id(dest) in originals:
            # its own original, or another file of this batch (a_clean.jpg given with a.jpg)
            item.result = self._refused(
                item, N_("the output would replace an original; choose another folder"))
        else:
            taken.add(dest)
            item.planned.dest = dest
        return item

    @staticmethod
    def _refused(item: Item, reason: str, status: ExportStatus = ExportStatus.REFUSED) -> ExportResult:
        report = item.planned.report
        return ExportResult(report.path, status, reason=reason, before=report)

    @staticmethod
    def _consent(todo: Sequence[Item], state: PolicyState, consent: ConsentHook
                 ) -> tuple[ConsentRequest, ConsentAnswer, str]:
        """Ask once for the batch: (request shown, answer as the policy takes it, refusal)."""
        items = tuple(item.consent or item.assessment.consent_item(item.planned.report)
                      for item in todo)
        request = ConsentRequest(items)
        request = replace(request, confirmations=tuple(CONFIRMATIONS)
                          + policy_confirmations(state.policy, request.flags))
        answer = consent(request)
        note = policy_consent_refusal(state.policy, request, answer)
        if note:
            answer = ConsentAnswer(False, answer.confirmed, answer.via, answer.overridden_warnings)
            return request, answer, f"consent was not given; nothing was written ({note})"
        return request, answer, consent_refusal(request, answer)

    def _results(self, items: list[Item], todo: list[Item], options: ExportOptions,
                 progress: ProgressFn, cancel: CancelToken | None) -> Iterator[ExportResult]:
        """Every item's result in input order: the ones decided before writing as they are,
        the others as the runner writes them (a chunk of files at a time: their reports
        are unpacked only then)."""
        outcomes = self._write(todo, options, _scaled(progress, 0.3, 0.7), cancel)
        for item in items:
            if item.result is None:
                item.result = self._outcome(item, next(outcomes))
                if item.result.ok:
                    # what the transforms took out besides pixels (the sound) is said as removed
                    item.result.removed = item.taken + [w for w in item.result.removed
                                                        if w not in item.taken]
                    _name_the_copy(item.result)
            result, item.result = item.result, None
            yield result
        for extra in outcomes:  # none: lets the runner finish (its threads end here)
            raise RuntimeError(f"the runner gave an outcome too many ({extra!r})")

    def _write(self, todo: list[Item], options: ExportOptions, progress: ProgressFn,
               cancel: CancelToken | None) -> Iterator[ExportResult | BaseException]:
        from share_guard.core.engine.items import slim

        for at in range(0, len(todo), WRITE_CHUNK):
            chunk = todo[at : at + WRITE_CHUNK]
            held = [item for item in chunk if item.unhold()]
            share = len(chunk) / len(todo)
            yield from self.runner.export_many(
                [item.planned for item in chunk], options,
                _scaled(progress, at / len(todo), share), cancel)
            for item in held:
                item.planned.report = slim(item.planned.report)

    def _outcome(self, item: Item, outcome: ExportResult | BaseException) -> ExportResult:
        """The result for one file: as written, or its error as a refusal or an error."""
        if isinstance(outcome, ExportResult):
            return outcome
        if isinstance(outcome, Cancelled):
            return self._refused(item, N_("cancelled"), ExportStatus.CANCELLED)
        if isinstance(outcome, ShareGuardError):
            status = ExportStatus.ERROR if isinstance(outcome, OutputError) else ExportStatus.REFUSED
            return self._refused(item, str(outcome), status)
        if isinstance(outcome, OSError | ValueError | MemoryError):
            return self._refused(item, f"{type(outcome).__name__}: {outcome}", ExportStatus.ERROR)
        raise outcome

    def close(self) -> None:
        self.runner.close()
