"""Apply the protection policy to an export: gates, consent rules and the consent record.

Front ends export through :func:`guarded_export` (the CLI's ``clean`` and the
app do), which

* reads the policy in force (a tampered one gives the strictest rules),
* makes sure the sensitive-content check ran on every file when the policy
  asks for it, even on reports inspected earlier without it,
* turns the rules into :class:`~share_guard.core.export.pipeline.ExportOptions` gates
  (takedown matches, sensitive content, output folders, metadata that cannot
  be removed) which no option passed in can loosen,
* asks a parent (``ask_parent``) for the passphrase where the policy gates a
  file, and checks it (rate-limited) against the lock,
* adds the "faces not blurred" confirmation and, under ``ask_consent``, refuses
  consent that was not given by a person there and then (a pre-stated flag),
* writes a consent record (no file names unless the policy's ``audit`` is on).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from share_guard.core.analysis.sensitive import SensitiveAnalyzer
from share_guard.core.containers import Source
from share_guard.core.errors import ShareGuardError
from share_guard.core.export.consent import (
    FLAG_FACES_UNREDACTED,
    ConsentAnswer,
    ConsentHook,
    ConsentRequest,
    refuse,
)
from share_guard.core.export.pipeline import ExportOptions, ExportResult, export_files, output_path
from share_guard.core.family.lock import (
    LockError,
    PolicyState,
    TooManyAttempts,
    WrongPassphrase,
    check_passphrase,
)
from share_guard.core.family.lock import load_state as load_policy_state
from share_guard.core.family.policy import Policy
from share_guard.core.family.records import ConsentLog, build_record
from share_guard.core.paths import data_dir as default_data_dir
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Category, Finding, Report
from share_guard.core.textsafe import display_path

#: ask_parent(message) -> the passphrase a parent typed, or None when nobody did
AskParent = Callable[[str], "str | None"]

#: consent given by a person at that moment (not stated in advance on a command line)
INTERACTIVE_CONSENT = ("dialog", "terminal")

#: metadata categories the strip_* rules are about
METADATA_CATEGORIES = (Category.LOCATION, Category.IDENTITY, Category.DEVICE, Category.TIME,
                       Category.HIDDEN, Category.UNKNOWN, Category.OTHER)

TAMPERED_REASON = ("The protection settings were changed or removed outside share_guard, "
                   "so every export needs a parent")
SENSITIVE_GATE_REASON = "This may show someone without clothes. A parent needs to agree to share it"
MAX_TRIES = 3


class ParentApproval:
    """Asks for the parent passphrase when a gate needs it, at most once per export:
    an approval covers the whole export, and so does a refusal (no asking per file)."""

    def __init__(self, state: PolicyState, ask: AskParent | None) -> None:
        self.state, self.ask = state, ask
        self.approved = False
        self._refused = ""

    def require(self, reason: str) -> str | None:
        """None if a parent approved (now or earlier in this export), else the refusal."""
        if self.approved:
            return None
        if self._refused:
            return f"blocked: {reason} ({self._refused})"
        if self.state.material is None:
            return f"blocked: {reason}, and no parent passphrase can be checked"
        if self.ask is None:
            return f"blocked: {reason} (a parent's passphrase is needed)"
        self._refused = self._ask(reason)
        return f"blocked: {reason} ({self._refused})" if self._refused else None

    def _ask(self, reason: str) -> str:
        """"" once a parent's passphrase was checked, else why not."""
        message = reason
        for _ in range(MAX_TRIES):
            passphrase = self.ask(message) if self.ask is not None else None
            if passphrase is None:
                return "no parent passphrase was given"
            try:
                check_passphrase(passphrase, self.state)
            except WrongPassphrase:
                message = f"{reason}\nThat passphrase was not right. Try again."
                continue
            except (TooManyAttempts, LockError, ShareGuardError) as exc:
                return str(exc)
            self.approved = True
            return ""
        return "wrong passphrase"


def _inside(path: Path, folders: Sequence[str]) -> bool:
    real = os.path.realpath(path)
    for folder in folders:
        base = os.path.realpath(os.path.expanduser(folder))
        if os.path.commonpath([real, base]) == base:
            return True
    return False


def ensure_sensitive_checked(report: Report, threshold: float | None = None) -> str | None:
    """Run the sensitive-content check on ``report`` if it has not run. Returns a problem or None."""
    from share_guard.core.analysis.sensitive import CHECKED_PROPERTY, DEFAULT_THRESHOLD

    if CHECKED_PROPERTY in report.properties or report.error:
        return None
    analyzer = SensitiveAnalyzer(threshold or DEFAULT_THRESHOLD)
    try:
        report.findings.extend(analyzer.analyze(Source(report.path), report, no_progress, None))
    except (ShareGuardError, OSError, ValueError, ImportError, MemoryError) as exc:
        return f"the sensitive-content check could not run ({exc})"
    return None


def policy_gates(policy: Policy, state: PolicyState, options: ExportOptions,
                 approval: ParentApproval) -> list[Callable[[Report], str | None]]:
    """The rules as ExportOptions gates (each: report -> reason to refuse, or None)."""
    gates: list[Callable[[Report], str | None]] = []

    if state.tampered:
        gates.append(lambda report: approval.require(TAMPERED_REASON))

    if policy.strip_location:
        def location(report: Report) -> str | None:
            stuck = [f for f in report.by_category(Category.LOCATION) if f.identifying and not f.removable]
            return f"blocked: the location ({stuck[0].name}) cannot be removed" if stuck else None
        gates.append(location)

    if policy.strip_all_metadata:
        def metadata(report: Report) -> str | None:
            stuck = [f for f in report.findings if f.category in METADATA_CATEGORIES
                     and f.identifying and not f.removable]
            return f"blocked: {stuck[0].name} cannot be removed" if stuck else None
        gates.append(metadata)

    if policy.sensitive != "allow":
        def sensitive(report: Report) -> str | None:
            problem = ensure_sensitive_checked(report)
            if problem and policy.sensitive in ("gate", "block"):
                return f"blocked: {problem}"
            if not report.has(Category.SENSITIVE):
                return None
            if policy.sensitive == "block":
                return "blocked: this may show someone without clothes, and the protection " \
                       "settings do not allow sharing it"
            if policy.sensitive == "gate":
                return approval.require(SENSITIVE_GATE_REASON)
            return None  # warn: the consent request carries the warning
        gates.append(sensitive)

    if policy.allowed_output_folders:
        folders = policy.allowed_output_folders

        def output_folder(report: Report) -> str | None:
            dest = output_path(report, options)
            if _inside(dest, folders):
                return None
            return ("blocked: clean copies may only be saved in "
                    + ", ".join(display_path(f) for f in folders))
        gates.append(output_folder)
    return gates


def account_takedown_gate(state: PolicyState,
                          options: ExportOptions) -> Callable[[Report], str | None] | None:
    """Under a lock, also match the takedown list in the account's own data folder.

    The front ends match the list in *their* data folder, which ``--data-dir`` or
    ``$SHARE_GUARD_HOME`` can point at an empty one; this gate checks the list
    that goes with the locked policy. None when that is the same list (or there is none).
    """
    if not (state.locked and state.policy.block_takedown_matches):
        return None
    from share_guard.core.family import lock
    from share_guard.core.takedown.analyzer import TakedownAnalyzer
    from share_guard.core.takedown.store import default_path

    account = (state.folders or lock.account_folders()).data
    account_list = default_path(account)
    if not account_list.exists():
        return None
    if os.path.realpath(default_path(options.data_dir)) == os.path.realpath(account_list):
        return None
    analyzer = TakedownAnalyzer(path=account_list)

    def gate(report: Report) -> str | None:
        try:
            findings = list(analyzer.analyze(Source(report.path), report, no_progress, None))
        except (ShareGuardError, OSError) as exc:
            return f"blocked: the takedown check could not run ({exc})"
        if any(f.detail.get("match") == "match" for f in findings):
            report.findings.extend(findings)
            return "blocked: the file matches an entry on the takedown list"
        return None
    return gate


def apply_policy(options: ExportOptions, state: PolicyState, approval: ParentApproval) -> ExportOptions:
    """``options`` with the policy's gates added; nothing in ``options`` can loosen them."""
    policy = state.policy
    allow_match = options.allow_takedown_match and not policy.block_takedown_matches
    opts = replace(options, allow_takedown_match=allow_match, gates=list(options.gates))
    extra = policy_gates(policy, state, opts, approval)
    takedown = account_takedown_gate(state, opts)
    if takedown is not None:
        extra.insert(0, takedown)
    opts.gates = [*options.gates, *extra]
    return opts


@dataclass
class _Seen:
    request: ConsentRequest | None = None
    answer: ConsentAnswer | None = None
    notes: list[str] = field(default_factory=list)


def policy_consent(hook: ConsentHook, policy: Policy, seen: _Seen | None = None) -> ConsentHook:
    """Wrap a consent hook with the policy's consent rules."""
    seen = seen if seen is not None else _Seen()

    def ask(request: ConsentRequest) -> ConsentAnswer:
        extra: tuple[str, ...] = ()
        if policy.faces_must_be_redacted_or_confirmed and any(
                FLAG_FACES_UNREDACTED in item.flags for item in request.items):
            extra = (FLAG_FACES_UNREDACTED,)
        shown = replace(request, confirmations=request.confirmations + extra)
        answer = hook(shown)
        seen.request, seen.answer = shown, answer
        if not answer.granted:
            return answer
        if policy.ask_consent and answer.via not in INTERACTIVE_CONSENT:
            seen.notes.append("the protection settings ask for consent each time; "
                              "a pre-stated answer is not accepted")
            answer = ConsentAnswer(False, answer.confirmed, answer.via, answer.overridden_warnings)
        elif any(key not in answer.confirmed for key in extra):
            seen.notes.append("people who can be recognised were neither blurred nor confirmed")
            answer = ConsentAnswer(False, answer.confirmed, answer.via, answer.overridden_warnings)
        seen.answer = answer
        return answer

    return ask


def guarded_export(paths: Sequence[str | os.PathLike[str]], options: ExportOptions | None = None,
                   consent: ConsentHook = refuse, *, ask_parent: AskParent | None = None,
                   state: PolicyState | None = None, progress: ProgressFn = no_progress,
                   cancel: CancelToken | None = None, reports: Sequence[Report] | None = None,
                   record: bool = True,
                   exporter: Callable[..., list[ExportResult]] = export_files) -> list[ExportResult]:
    """:func:`~share_guard.core.export.pipeline.export_files` under the protection policy.

    ``exporter`` may be :func:`share_guard.core.sandbox.pool.isolated_export_files` (same
    signature) so that files are parsed and written in limited worker processes.
    """
    state = state or load_policy_state()
    options = options or ExportOptions()
    approval = ParentApproval(state, ask_parent)
    opts = apply_policy(options, state, approval)
    if state.policy.sensitive != "allow":
        analyzers = list(opts.inspect_options.analyzers)
        if not any(isinstance(a, SensitiveAnalyzer) for a in analyzers):
            analyzers.append(SensitiveAnalyzer())
        # (reports passed in that were inspected without it are checked by the gate)
        opts.inspect_options = replace(opts.inspect_options, analyzers=analyzers)
    seen = _Seen()
    results = exporter(paths, opts, policy_consent(consent, state.policy, seen), progress,
                       cancel, reports)
    if seen.notes:
        for r in results:
            if r.status == "refused" and r.reason.startswith("consent"):
                r.reason = f"{r.reason} ({seen.notes[0]})"
    if record and seen.request is not None and seen.answer is not None:
        log = ConsentLog(options.data_dir or default_data_dir())
        log.add(build_record(seen.request, seen.answer, results, parent_approved=approval.approved,
                             audit=state.policy.audit))
    return results


class PolicySensitiveAnalyzer(SensitiveAnalyzer):
    """The sensitive-content check when, and only when, the policy in force asks for it.

    Front ends add it to their inspection so the warning shows before any export.
    """

    def analyze(self, src: Source, report: Report, progress: ProgressFn,
                cancel: CancelToken | None) -> Iterable[Finding]:
        if load_policy_state().policy.sensitive == "allow":
            return []
        return super().analyze(src, report, progress, cancel)
