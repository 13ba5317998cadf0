"""share-guard policy show|lock|unlock|set: the protection policy and its parent lock.

The policy lives in the account's data folder (found from the OS account
database: --data-dir and $SHARE_GUARD_HOME do not move it). While it is locked,
changing it needs the parent passphrase, asked on the terminal or read from
standard input with --passphrase-stdin (one line; when re-locking, the current
passphrase on the first line and the new one on the second).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from share_guard.cli.common import emit_json, say, warn
from share_guard.core.family.lock import (
    MIN_PASSPHRASE,
    LockError,
    PolicyState,
    load_state,
    lock_policy,
    save_policy,
    unlock_policy,
)
from share_guard.core.family.policy import PRESETS, RULES, Policy, PolicyError, preset
from share_guard.core.i18n import N_, _, isolate, translated

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
DESCRIPTION = N_("""share-guard policy show|lock|unlock|set: the protection policy and its parent lock.

The policy lives in the account's data folder (found from the OS account
database: --data-dir and $SHARE_GUARD_HOME do not move it). While it is locked, changing it
needs the parent passphrase, asked on the terminal or read from standard input with
--passphrase-stdin (one line; when re-locking, the current passphrase on the first line and
the new one on the second).""")
#: what ``policy show`` says of the settings' state (the JSON keeps the English key)
STATUS_WORDS = {"default": N_("not set (the default rules apply)"),
                "unlocked": N_("set, not locked"),
                "locked": N_("locked with a parent passphrase"),
                "tampered": N_("TAMPERED: the strictest rules apply")}


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("policy", help=_("show or change the protection policy (parent lock)"),
                        description=translated(DESCRIPTION))
    psubs = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    show = psubs.add_parser("show", help=_("the rules in force and whether they are locked"))
    show.add_argument("--json", action="store_true", help=_("machine-readable output"))
    show.set_defaults(func=run_show)
    lock = psubs.add_parser("lock", help=_("lock the policy with a parent passphrase"))
    lock.add_argument("--preset", choices=sorted(PRESETS),
                      help=_("start from a preset (family: strict rules for a child's "
                             "computer)"))
    _stdin_flag(lock)
    lock.set_defaults(func=run_lock)
    unlock = psubs.add_parser("unlock", help=_("remove the lock (needs the passphrase)"))
    _stdin_flag(unlock)
    unlock.set_defaults(func=run_unlock)
    setp = psubs.add_parser("set", help=_("change one rule (needs the passphrase while locked)"))
    setp.add_argument("rule", choices=sorted(RULES), metavar="RULE",
                      help=_("one of: {rules}").format(rules=", ".join(RULES)))
    setp.add_argument("value", metavar="VALUE", help=_(
        "true/false; for sensitive: allow, warn, gate or block; for allowed_output_folders: "
        "comma-separated folders"))
    _stdin_flag(setp)
    setp.set_defaults(func=run_set)


def _stdin_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--passphrase-stdin", action="store_true",
                   help=_("read the passphrase from standard input (for scripted setup)"))


# -- passphrases ------------------------------------------------------------------------------

class _NoPassphrase(Exception):
    pass


class _Reader:
    """Passphrases from stdin lines (--passphrase-stdin) or the terminal."""

    def __init__(self, from_stdin: bool) -> None:
        self.from_stdin = from_stdin

    def current(self) -> str:
        if self.from_stdin:
            return self._line()
        return _ask_terminal(_("Parent passphrase: "))

    def new(self) -> str:
        if self.from_stdin:
            return self._line()
        first = _ask_terminal(_("New parent passphrase (at least {n} characters): ").format(
            n=MIN_PASSPHRASE))
        second = _ask_terminal(_("The same passphrase again: "))
        if first != second:
            raise LockError(_("the two passphrases differ; nothing was changed"))
        return first

    def _line(self) -> str:
        line = sys.stdin.readline()
        if not line:
            raise _NoPassphrase(_("no passphrase on standard input"))
        return line.rstrip("\r\n")


def _ask_terminal(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise _NoPassphrase(_("a parent's passphrase is needed: run this on a terminal "
                              "or pass --passphrase-stdin"))
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise _NoPassphrase(_("no passphrase was typed")) from None


def parent_refusal(from_stdin: bool, what: str) -> str:
    """While the protection settings are locked (or tampered with), ``what`` (a sentence
    saying what needs the passphrase, in the language chosen) needs the parent passphrase:
    "" when it was given (or no lock is on), else the one-line reason."""
    from share_guard.core.family.lock import check_passphrase

    state = load_state()
    if not state.locked:
        return ""
    say(what)
    try:
        check_passphrase(_Reader(from_stdin).current(), state)
    except (LockError, _NoPassphrase) as exc:
        return _("{problem}; nothing was changed").format(problem=translated(str(exc)))
    return ""


def terminal_parent(message: str) -> str | None:
    """ask_parent for ``clean``: explain, then ask for the passphrase on the terminal."""
    say("")
    for line in translated(message).splitlines():
        say(f"  {line}")
    say("  " + _("A parent is here? Type the parent passphrase (or press Enter to skip)."))
    try:
        typed = getpass.getpass("  " + _("Parent passphrase: "))
    except EOFError:
        return None
    return typed or None


# -- commands ---------------------------------------------------------------------------------

def _preset_name(policy: Policy) -> str | None:
    return next((name for name, p in PRESETS.items() if p == policy), None)


def state_json(state: PolicyState) -> dict[str, object]:
    folders = state.folders
    return {
        "version": 1,
        "status": state.status,
        "locked": state.locked,
        "problem": state.problem or None,
        "preset": _preset_name(state.policy),
        "policy": state.policy.to_dict(),
        "stored": state.stored.to_dict() if state.stored else None,
        "file": str(folders.policy_file) if folders else None,
    }


def run_show(args: argparse.Namespace) -> int:
    state = load_state()
    if args.json:
        emit_json(state_json(state))
        return EXIT_OK
    status = translated(STATUS_WORDS[state.status])
    name = _preset_name(state.policy)
    say(_("Protection settings: {status} (preset: {preset})").format(status=status, preset=name)
        if name else _("Protection settings: {status}").format(status=status))
    if state.problem:
        say("  " + _("why: {problem}").format(problem=translated(state.problem)))
    if state.folders:
        say("  " + _("file: {path}").format(path=isolate(state.folders.policy_file)))
    for rule, value in state.policy.to_dict().items():
        shown = ", ".join(value) or _("(anywhere)") if isinstance(value, list) else \
            str(value).lower()
        say(f"  {rule} = {shown}")
        say(f"      {translated(RULES[rule])}")
    return EXIT_OK


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except PolicyError as exc:
            warn(translated(str(exc)))
            return EXIT_USAGE
        except (LockError, _NoPassphrase) as exc:
            warn(translated(str(exc)))
            return EXIT_REFUSED
    return run


@_guard
def run_lock(args: argparse.Namespace) -> int:
    state = load_state()
    reader = _Reader(args.passphrase_stdin)
    current = None
    if state.locked and state.material is not None:
        current = reader.current()
    policy = preset(args.preset) if args.preset else state.policy
    new = reader.new()
    state = lock_policy(policy, new, current)
    name = _preset_name(state.policy)
    say(_("Locked with the {preset} preset. Changing the rules now needs the parent "
          "passphrase.").format(preset=name) if name else
        _("Locked. Changing the rules now needs the parent passphrase."))
    return EXIT_OK


@_guard
def run_unlock(args: argparse.Namespace) -> int:
    state = load_state()
    if not state.locked:
        warn(_("the protection settings are not locked"))
        return EXIT_REFUSED
    unlock_policy(_Reader(args.passphrase_stdin).current())
    say(_("Unlocked. The rules stay as they are; anyone using this account can change them "
          "now."))
    return EXIT_OK


@_guard
def run_set(args: argparse.Namespace) -> int:
    state = load_state()
    policy = state.policy.with_rule(args.rule, args.value)
    passphrase = None
    if state.locked and state.material is not None:
        passphrase = _Reader(args.passphrase_stdin).current()
    save_policy(policy, passphrase)
    value = policy.to_dict()[args.rule]
    say(f"{args.rule} = {', '.join(value) if isinstance(value, list) else str(value).lower()}")
    return EXIT_OK
