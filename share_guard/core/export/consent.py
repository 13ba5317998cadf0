"""Consent before export: a hook that refuses unless a front end explicitly answers yes.

The GUI answers with its dialog, the CLI with terminal questions or an explicit
``--consent`` flag. No answer means no export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from share_guard.core.errors import ExportRefused

#: statements the person must confirm before anything is written
CONFIRMATIONS: dict[str, str] = {
    "people_agreed": "Everyone who can be recognised in this agreed to it being shared",
    "right_to_share": "I have the right to share this",
}

#: statements a policy may add to a request (see core.policy_gates)
POLICY_CONFIRMATIONS: dict[str, str] = {
    "faces_unredacted": "People can be recognised and will not be blurred: "
                        "I asked each of them and they said yes",
}

#: ConsentItem.flags: what needs extra care in one file
FLAG_FACES_UNREDACTED, FLAG_TAKEDOWN, FLAG_SENSITIVE = "faces_unredacted", "takedown", "sensitive"


def statement(key: str) -> str:
    """The words shown for a confirmation key (front ends show these, never the key)."""
    return CONFIRMATIONS.get(key) or POLICY_CONFIRMATIONS.get(key) or key


REMINDER = (
    "Sharing intimate images of someone without their consent causes serious harm "
    "and is a crime in many places."
)


@dataclass(frozen=True)
class ConsentItem:
    """One file about to be exported, described for the person."""

    name: str  # display-safe file name
    kind: str  # "image" | "video"
    will_remove: tuple[str, ...]  # plain words: "Location (GPS position)", ...
    warnings: tuple[str, ...] = ()  # "2 faces will not be redacted", ...
    flags: tuple[str, ...] = ()  # FLAG_* constants: structured form of the warnings


@dataclass(frozen=True)
class ConsentRequest:
    items: tuple[ConsentItem, ...]
    confirmations: tuple[str, ...] = tuple(CONFIRMATIONS)
    reminder: str = REMINDER

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for item in self.items for w in item.warnings)


@dataclass(frozen=True)
class ConsentAnswer:
    granted: bool
    confirmed: tuple[str, ...] = ()
    via: str = ""  # "dialog", "terminal", "flag"
    overridden_warnings: tuple[str, ...] = field(default_factory=tuple)


ConsentHook = Callable[[ConsentRequest], ConsentAnswer]


def refuse(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    """The default hook: no front end answered, so nothing is exported."""
    return ConsentAnswer(granted=False, via="none")


def check_answer(request: ConsentRequest, answer: ConsentAnswer) -> None:
    """Raise :class:`ExportRefused` unless consent was given to every statement."""
    if not answer.granted:
        raise ExportRefused("consent was not given; nothing was written")
    missing = [c for c in request.confirmations if c not in answer.confirmed]
    if missing:
        raise ExportRefused(f"consent incomplete: not confirmed: {statement(missing[0])}")
