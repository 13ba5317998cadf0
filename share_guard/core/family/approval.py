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
