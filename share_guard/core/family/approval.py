"""A parent's approval for what a gate lets a parent lift: asked at most once per export.

The front end supplies ``ask_parent(message) -> passphrase or None`` (a terminal prompt, the
app's "A parent is here" dialog); the passphrase is checked against the lock, rate-limited.
"""

from __future__ import annotations

from collections.abc import Callable

from share_guard.core.errors import ShareGuardError
from share_guard.core.family.lock import (
    LockError,
    PolicyState,
    TooManyAttempts,
    WrongPassphrase,
    check_passphrase,
)
from share_guard.core.i18n import N_, message

#: ask_parent(message) -> the passphrase a parent typed, or None when nobody did
AskParent = Callable[[str], "str | None"]

MAX_TRIES = 3


class ParentApproval:
    """An approval covers the whole export, and so does a refusal (no asking per file)."""

    def __init__(self, state: PolicyState, ask: AskParent | None) -> None:
        self.state, self.ask = state, ask
        self.approved = False
        self._refused = ""

    def require(self, reason: str) -> str | None:
        """None if a parent approved (now or earlier in this export), else the refusal."""
        if self.approved:
            return None
        if self._refused:
            return message(N_("blocked: {reason} ({why})"), reason=reason, why=self._refused)
        if self.state.material is None:
            return message(N_("blocked: {reason}, and no parent passphrase can be checked"),
                           reason=reason)
        if self.ask is None:
            return message(N_("blocked: {reason} (a parent's passphrase is needed)"),
                           reason=reason)
        self._refused = self._ask(reason)
        return message(N_("blocked: {reason} ({why})"), reason=reason, why=self._refused) \
            if self._refused else None

    def _ask(self, reason: str) -> str:
        """"" once a parent's passphrase was checked, else why not."""
        prompt = reason
        for _ in range(MAX_TRIES):
            passphrase = self.ask(prompt) if self.ask is not None else None
            if passphrase is None:
                return N_("no parent passphrase was given")
            try:
                check_passphrase(passphrase, self.state)
            except WrongPassphrase:
                prompt = message(N_("{reason}\nThat passphrase was not right. Try again."),
                                 reason=reason)
                continue
            except (TooManyAttempts, LockError, ShareGuardError) as exc:
                return str(exc)
            self.approved = True
            return ""
        return N_("wrong passphrase")
