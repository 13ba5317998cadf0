"""The engine: the core as one object that both front ends drive.

Built once by :func:`share_guard.core.engine.compose.build_engine` from a feature set, it
offers three things: :meth:`Engine.inspect` (what a file gives away), :meth:`Engine.assess`
(the verdict: ready, needs rebuild or blocked, why, and what consent must mention) and
:meth:`Engine.export` (plan -> evidence -> parent -> consent -> write -> record). Every read
of a file goes through its :class:`~share_guard.core.sandbox.base.Runner`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from share_guard.core.engine.outcome import ExportOutcome
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
from share_guard.core.family.approval import AskParent, ParentApproval
from share_guard.core.family.gates import Gate, evidence_analyzers, policy_gates
from share_guard.core.family.gates import consent_confirmations as policy_confirmations
from share_guard.core.family.gates import consent_refusal as policy_consent_refusal
from share_guard.core.family.lock import PolicyState
from share_guard.core.family.records import ConsentLog, build_record
from share_guard.core.inspect import Analyzer, InspectOptions
from share_guard.core.media.preview import PreviewPixels, decode_preview
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import FileKind, Report
from share_guard.core.sandbox.base import Runner
from share_guard.core.textsafe import display_path

if TYPE_CHECKING:
    from share_guard.core.analysis.tracks import Track


@dataclass
class _Item:
    planned: Planned
    assessment: Assessment
    result: ExportResult | None = None  # decided before writing (refused, error)


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
        result.removed += [f"{f.category.label}: {f.name}" for f in result.before.identifying()
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
        pixels and the evidence the policy's gates need (each check once, by name)."""
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
               reports: Sequence[Report] | None = None, record: bool = True) -> ExportOutcome:
        """Write clean copies of ``paths`` (reusing ``reports`` made earlier, in the same
        order). Nothing is written before ``consent`` answers yes (asked once, here); a parent
        is asked (``ask_parent``) at most once, where a gate allows it. One bad file never
        stops the batch. The consent record is written unless ``record`` is False."""
        if reports is not None and len(reports) != len(paths):
            raise ValueError("one report per path, in the same order")
        state = self.policy_state()
        gates = self.gates(state)
        if options.data_dir is None:
            options = replace(options, data_dir=self.data_dir)
        if state.policy.neutral_names and not options.neutral_name:
            options = replace(options, neutral_name=True)  # the policy names copies neutrally
        if reports is None:
            reports = self.runner.inspect_many(paths, InspectOptions(
                analyzers=self.analyzers(state=state), progress=_scaled(progress, 0.0, 0.25),
                cancel=cancel, thorough=False))
        reports = self._with_evidence(list(reports), gates, _scaled(progress, 0.25, 0.05), cancel)
        items = self._plan(reports, options, gates)
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
        self._write(todo, options, progress, cancel)
        for item in items:
            if item.result is not None and item.result.ok:
                # what the transforms took out besides pixels (the sound) is said as removed
                taken = [w for t in item.planned.transforms
                         for w in t.covers(item.planned.report).removes]
                item.result.removed = taken + [w for w in item.result.removed if w not in taken]
        outcome.results = [item.result for item in items if item.result is not None]
        for result in outcome.results:
            _name_the_copy(result)
        outcome.parent_approved = approval.approved
        if record and outcome.request is not None and outcome.answer is not None:
            outcome.record = build_record(outcome.request, outcome.answer, outcome.results,
                                          parent_approved=approval.approved,
                                          audit=state.policy.audit)
            log = ConsentLog(options.data_dir)
            outcome.record = replace(outcome.record, id=log.add(outcome.record))
        progress(1.0, "done")
        return outcome

    def _with_evidence(self, reports: list[Report], gates: Sequence[Gate], progress: ProgressFn,
                       cancel: CancelToken | None) -> list[Report]:
        """Reports with every check the gates need, run by the runner where one is missing
        (new reports: the ones given are not changed)."""
        needed = evidence_analyzers(gates)
        out = []
        for i, report in enumerate(reports):
            missing = [a for a in needed if a.name not in report.checked]
            if missing and not report.error:
                if cancel is not None:
                    cancel.check()
                report = self.runner.with_checks(
                    report, missing, _scaled(progress, i / len(reports), 1 / len(reports)), cancel)
            out.append(report)
        return out

    def _plan(self, reports: Sequence[Report], options: ExportOptions,
              gates: Sequence[Gate]) -> list[_Item]:
        items: list[_Item] = []
        taken: set[Path] = set()
        originals = {_file_id(r.path) for r in reports} - {None}
        for report in reports:
            transforms = options.transforms_for(report.path)
            dest: Path | None = None
            if report.format is not None and not report.error:
                try:
                    dest = free_name(output_path(report, options), overwrite=options.overwrite,
                                     taken=taken)
                except OutputError as exc:
                    item = _Item(Planned(report, transforms=transforms),
                                 assess(report, gates, transforms=transforms))
                    item.result = self._refused(item, str(exc), ExportStatus.ERROR)
                    items.append(item)
                    continue
            assessment = assess(report, gates, dest=dest, transforms=transforms)
            if assessment.verdict is Verdict.NEEDS_REBUILD and options.rebuild:
                from share_guard.core.export.rebuild import RebuildTransform

                transforms = [RebuildTransform(), *transforms]
                assessment = replace(assessment, verdict=Verdict.READY, reason="", blocker=None)
            item = _Item(Planned(report, transforms=transforms), assessment)
            items.append(item)
            if report.error:
                item.result = self._refused(item, report.error, ExportStatus.ERROR)
            elif not assessment.ready:
                item.result = self._refused(item, assessment.reason)
            elif assessment.pending:  # fail closed: a gate could not judge
                item.result = self._refused(
                    item, f"blocked: a check could not run ({', '.join(assessment.pending)})")
            elif dest is None:
                item.result = self._refused(item, "not a photo or video that can be cleaned")
            elif _file_id(dest) in originals:
                # its own original, or another file of this batch (a_clean.jpg given with a.jpg)
                item.result = self._refused(
                    item, "the output would replace an original; choose another folder")
            else:
                taken.add(dest)
                item.planned.dest = dest
        return items

    @staticmethod
    def _refused(item: _Item, reason: str, status: ExportStatus = ExportStatus.REFUSED) -> ExportResult:
        report = item.planned.report
        return ExportResult(report.path, status, reason=reason, before=report)

    @staticmethod
    def _consent(todo: Sequence[_Item], state: PolicyState, consent: ConsentHook
                 ) -> tuple[ConsentRequest, ConsentAnswer, str]:
        """Ask once for the batch: (request shown, answer as the policy takes it, refusal)."""
        items = tuple(item.assessment.consent_item(item.planned.report) for item in todo)
        request = ConsentRequest(items)
        request = replace(request, confirmations=tuple(CONFIRMATIONS)
                          + policy_confirmations(state.policy, request.flags))
        answer = consent(request)
        note = policy_consent_refusal(state.policy, request, answer)
        if note:
            answer = ConsentAnswer(False, answer.confirmed, answer.via, answer.overridden_warnings)
            return request, answer, f"consent was not given; nothing was written ({note})"
        return request, answer, consent_refusal(request, answer)

    def _write(self, todo: list[_Item], options: ExportOptions, progress: ProgressFn,
               cancel: CancelToken | None) -> None:
        stop = threading.Event()
        done = [0]
        lock = threading.Lock()

        def one(item: _Item) -> ExportResult:
            p = item.planned
            if stop.is_set():
                return self._refused(item, "cancelled", ExportStatus.CANCELLED)
            with lock:
                progress(0.3 + 0.7 * done[0] / max(len(todo), 1),
                         f"cleaning {display_path(p.report.path.name)}")
            try:
                if cancel is not None:
                    cancel.check()
                return self.runner.export_one(p, options, progress, cancel)
            except Cancelled:
                stop.set()
                return self._refused(item, "cancelled", ExportStatus.CANCELLED)
            except ShareGuardError as exc:
                status = ExportStatus.ERROR if isinstance(exc, OutputError) else ExportStatus.REFUSED
                return self._refused(item, str(exc), status)
            except (OSError, ValueError, MemoryError) as exc:
                return self._refused(item, f"{type(exc).__name__}: {exc}", ExportStatus.ERROR)
            finally:
                with lock:
                    done[0] += 1

        if self.runner.parallel > 1 and len(todo) > 1:
            with ThreadPoolExecutor(max_workers=self.runner.parallel,
                                    thread_name_prefix="sg-export") as pool:
                for item, result in zip(todo, pool.map(one, todo), strict=True):
                    item.result = result
        else:
            for item in todo:
                item.result = one(item)

    def close(self) -> None:
        self.runner.close()
