"""Export gates: pure functions of a report that say why a file may not be exported.

A :class:`Gate` judges one report (and the copy's destination) and never reads a file or
changes the report: the runner gathers what it needs beforehand. Each gate declares that
evidence (:class:`Evidence`: a check that must have run on the report, with the analyzer
that runs it); the engine has the runner run missing checks inside the sandbox before any
gate judges. A gate that a parent may lift returns a refusal marked ``parent_may_allow``;
asking the parent is the engine's business (:mod:`.approval`), not the gate's.

:func:`policy_gates` turns the policy in force into gates (a tampered one gives the
strictest rules, and every export then needs a parent); :func:`consent_confirmations` and
:func:`consent_refusal` are the policy's consent rules.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from share_guard.core.engine.verdict import Blocker
from share_guard.core.export.consent import (
    FACES_CONFIRMED,
    ConsentAnswer,
    ConsentFlag,
    ConsentRequest,
)
from share_guard.core.family.lock import PolicyState
from share_guard.core.family.policy import Policy
from share_guard.core.i18n import N_, message
from share_guard.core.inspect import Analyzer
from share_guard.core.metadata.filename import from_name
from share_guard.core.report import Category, Report, TakedownVerdict
from share_guard.core.textsafe import display_path

#: metadata categories the strip_* rules are about
METADATA_CATEGORIES = (Category.LOCATION, Category.IDENTITY, Category.DEVICE, Category.TIME,
                       Category.HIDDEN, Category.UNKNOWN, Category.OTHER)

TAMPERED_REASON = N_("The protection settings were changed or removed outside share_guard, "
                   "so every export needs a parent")
SENSITIVE_GATE_REASON = N_("This may show someone without clothes. A parent needs to agree to "
                           "share it")
TAKEDOWN_REASON = N_("blocked: the file matches an entry on the takedown list")
#: the name the list that goes with a locked policy has in ``Report.checked``
ACCOUNT_TAKEDOWN = "account takedown list"


@dataclass(frozen=True)
class Evidence:
    """A check a gate needs on the report it judges: ``check`` is the analyzer's name as
    listed in ``Report.checked``; ``analyzer`` runs it (picklable: the sandbox runs it)."""

    check: str
    analyzer: Analyzer


@dataclass(frozen=True)
class Refusal:
    reason: str  # one line, display-safe
    parent_may_allow: bool = False  # a parent's passphrase lifts it for this export


Judge = Callable[[Report, "Path | None"], "Refusal | None"]


@dataclass(frozen=True)
class Gate:
    """``judge(report, destination or None)`` -> a refusal, or None to let the file through.
    Pure: it neither reads files nor changes the report."""

    name: str
    judge: Judge
    needs: tuple[Evidence, ...] = ()
    blocker: Blocker = Blocker.POLICY


def _takedown(report: Report, dest: Path | None) -> Refusal | None:
    if report.takedown_verdict() is TakedownVerdict.MATCH:
        return Refusal(TAKEDOWN_REASON)
    return None


#: a confirmed takedown-list match is never exported, whatever the policy says
TAKEDOWN_GATE = Gate("takedown list", _takedown, blocker=Blocker.TAKEDOWN)


def _inside(path: Path, folders: Sequence[str]) -> bool:
    real = os.path.realpath(path)
    for folder in folders:
        base = os.path.realpath(os.path.expanduser(folder))
        if os.path.commonpath([real, base]) == base:
            return True
    return False


def _sensitive_gate(mode: str) -> Gate:
    # (the model's module loads numpy: only once a policy asks for the check)
    from share_guard.core.analysis.sensitive import SensitiveAnalyzer

    check = SensitiveAnalyzer.name

    def sensitive(report: Report, dest: Path | None) -> Refusal | None:
        if check in report.failed_checks and mode in ("gate", "block"):
            return Refusal(N_("blocked: the sensitive-content check could not run"))
        if not report.has(Category.SENSITIVE):
            return None
        if mode == "block":
            return Refusal(N_("blocked: this may show someone without clothes, and the "
                              "protection settings do not allow sharing it"))
        if mode == "gate":
            return Refusal(SENSITIVE_GATE_REASON, parent_may_allow=True)
        return None  # warn: the consent request carries the warning

    return Gate("sensitive content", sensitive, (Evidence(check, SensitiveAnalyzer()),))


def _faces_gate() -> Gate:
    """The face rule is kept at consent (cover them, or confirm); what it needs here is that
    faces were looked for, even by a front end told not to (``--no-faces``)."""
    from share_guard.core.analysis.analyzers import FaceAnalyzer

    def faces(report: Report, dest: Path | None) -> Refusal | None:
        if FaceAnalyzer.name in report.failed_checks:
            return Refusal(N_("blocked: the check for faces could not run"))
        return None

    return Gate("faces_must_be_redacted_or_confirmed", faces,
                (Evidence(FaceAnalyzer.name, FaceAnalyzer()),), blocker=Blocker.CHECK_FAILED)


def account_takedown_gate(state: PolicyState, data_dir: Path | None) -> Gate | None:
    """Under a lock, also match the takedown list in the account's own data folder.

    The front ends match the list in *their* data folder, which ``--data-dir`` or
    ``$SHARE_GUARD_HOME`` can point at an empty one; this gate needs the list that goes
    with the locked policy checked too. None when that is the same list (or there is none).
    """
    if not (state.locked and state.policy.block_takedown_matches):
        return None
    from share_guard.core.family import lock
    from share_guard.core.takedown.analyzer import TakedownAnalyzer
    from share_guard.core.takedown.store import default_path

    account_list = default_path((state.folders or lock.account_folders()).data)
    if not account_list.exists():
        return None
    if os.path.realpath(default_path(data_dir)) == os.path.realpath(account_list):
        return None
    check = ACCOUNT_TAKEDOWN

    def account(report: Report, dest: Path | None) -> Refusal | None:
        # a match on it is a takedown finding like any other: TAKEDOWN_GATE blocks it
        if check in report.failed_checks:
            return Refusal(N_("blocked: the takedown check could not run"))
        return None

    analyzer = TakedownAnalyzer(path=account_list, name=ACCOUNT_TAKEDOWN)
    return Gate(check, account, (Evidence(check, analyzer),),
                blocker=Blocker.CHECK_FAILED)


def policy_gates(state: PolicyState, data_dir: Path | None = None) -> list[Gate]:
    """Every gate an export passes under ``state``: the takedown list first, then the rules."""
    policy = state.policy
    gates = [TAKEDOWN_GATE]
    account = account_takedown_gate(state, data_dir)
    if account is not None:
        gates.append(account)
    if state.tampered:
        gates.append(Gate("tampered", lambda report, dest: Refusal(TAMPERED_REASON, True)))
    if policy.strip_location:
        def location(report: Report, dest: Path | None) -> Refusal | None:
            stuck = [f for f in report.by_category(Category.LOCATION)
                     if f.identifying and not f.removable]
            return Refusal(message(N_("blocked: the location ({name}) cannot be removed"),
                                   name=stuck[0].name)) if stuck else None
        gates.append(Gate("strip_location", location))
    if policy.strip_all_metadata:
        def metadata(report: Report, dest: Path | None) -> Refusal | None:
            # (a date in the file name is the copy's name, not metadata: the naming rule's)
            stuck = [f for f in report.findings if f.category in METADATA_CATEGORIES
                     and f.identifying and not f.removable and not from_name(f)]
            return Refusal(message(N_("blocked: {name} cannot be removed"),
                                   name=stuck[0].name)) if stuck else None
        gates.append(Gate("strip_all_metadata", metadata))
    if policy.faces_must_be_redacted_or_confirmed:
        gates.append(_faces_gate())
    if policy.sensitive != "allow":
        gates.append(_sensitive_gate(policy.sensitive))
    if policy.allowed_output_folders:
        folders = policy.allowed_output_folders

        def output_folder(report: Report, dest: Path | None) -> Refusal | None:
            if dest is None or _inside(dest, folders):
                return None  # (no destination yet: judged when there is one)
            return Refusal(message(N_("blocked: clean copies may only be saved in {folders}"),
                                   folders=", ".join(display_path(f) for f in folders)))
        gates.append(Gate("allowed_output_folders", output_folder, blocker=Blocker.DESTINATION))
    return gates


def evidence_analyzers(gates: Sequence[Gate]) -> list[Analyzer]:
    """The analyzers that produce what ``gates`` need (each check once)."""
    found: dict[str, Analyzer] = {}
    for gate in gates:
        for evidence in gate.needs:
            found.setdefault(evidence.check, evidence.analyzer)
    return list(found.values())


def consent_confirmations(policy: Policy, flags: frozenset[ConsentFlag]) -> tuple[str, ...]:
    """Statements the policy adds to a consent request with these warning flags."""
    if policy.faces_must_be_redacted_or_confirmed and ConsentFlag.FACES_UNCOVERED in flags:
        return (FACES_CONFIRMED,)
    return ()


def consent_refusal(policy: Policy, request: ConsentRequest, answer: ConsentAnswer) -> str:
    """Why the policy does not accept a granted ``answer`` ("" when it does)."""
    if not answer.granted:
        return ""
    if policy.ask_consent and not answer.via.interactive:
        return N_("the protection settings ask for consent each time; "
                  "a pre-stated answer is not accepted")
    if any(key not in answer.confirmed
           for key in consent_confirmations(policy, request.flags)):
        return N_("people who can be recognised were neither covered nor confirmed")
    return ""
