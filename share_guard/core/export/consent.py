"""Consent before export: a hook that refuses unless a front end explicitly answers yes.

The GUI answers with its dialog, the CLI with terminal questions or an explicit
``--consent`` flag. No answer means no export. The request says, per file, what the
copy loses, what it covers in the picture and what it does not: a person consents to
what will happen, not to what might.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from share_guard.core.i18n import N_, message


class ConsentChannel(StrEnum):
    """How an answer was given. A policy that asks each time accepts only a person there."""

    DIALOG = "dialog"  # the app's consent dialog
    TERMINAL = "terminal"  # typed on a terminal, there and then
    FLAG = "flag"  # stated in advance (``--consent``)
    NONE = "none"  # nobody answered

    @property
    def interactive(self) -> bool:
        """True when a person answered at that moment (not stated in advance)."""
        return self in (ConsentChannel.DIALOG, ConsentChannel.TERMINAL)


class ConsentFlag(StrEnum):
    """What needs extra care in one file (the structured form of its warnings)."""

    FACES_UNCOVERED = "faces_unredacted"  # recognisable people the copy does not cover
    TAKEDOWN = "takedown"  # a possible takedown-list match
    SENSITIVE = "sensitive"  # may show nudity


#: confirmation keys: the statements the person must confirm before anything is written
PEOPLE_AGREED, RIGHT_TO_SHARE, FACES_CONFIRMED = "people_agreed", "right_to_share", "faces_unredacted"

CONFIRMATIONS: dict[str, str] = {
    PEOPLE_AGREED: N_("Everyone who can be recognised in this agreed to it being shared"),
    RIGHT_TO_SHARE: N_("I have the right to share this"),
}

#: statements a policy may add to a request (see core.family.gates)
POLICY_CONFIRMATIONS: dict[str, str] = {
    FACES_CONFIRMED: N_("People can be recognised and will not be covered: "
                        "I asked each of them and they said yes"),
}


def statement(key: str) -> str:
    """The words shown for a confirmation key (front ends show these, never the key)."""
    return CONFIRMATIONS.get(key) or POLICY_CONFIRMATIONS.get(key) or key


REMINDER = N_(
    "Sharing intimate images of someone without their consent causes serious harm "
    "and is a crime in many places."
)


@dataclass(frozen=True)
class ConsentItem:
    """One file about to be exported, described for the person."""

    name: str  # display-safe file name
    kind: str  # "image" | "video" | "file"
    will_remove: tuple[str, ...]  # plain words: "Location: GPS position", ...
    warnings: tuple[str, ...] = ()  # "people can be recognised and will not be covered", ...
    flags: tuple[ConsentFlag, ...] = ()  # structured form of the warnings
    will_cover: tuple[str, ...] = ()  # covered in the picture for good: "2 faces", ...
    will_not_cover: tuple[str, ...] = ()  # found in the picture and left as it is: "1 face"
    #: what the copy still gives away besides the picture ("When: Date in the file name")
    will_keep: tuple[str, ...] = ()
    people: bool = False  # someone can be recognised in the picture (covered or not)


@dataclass(frozen=True)
class ConsentRequest:
    items: tuple[ConsentItem, ...]
    confirmations: tuple[str, ...] = tuple(CONFIRMATIONS)
    reminder: str = REMINDER

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for item in self.items for w in item.warnings)

    @property
    def flags(self) -> frozenset[ConsentFlag]:
        return frozenset(flag for item in self.items for flag in item.flags)

    @property
    def reminder_applies(self) -> bool:
        """The reminder about intimate images is for pictures of people: shown only when
        someone can be recognised or the picture may show nudity (not on every landscape)."""
        return any(item.people or ConsentFlag.SENSITIVE in item.flags for item in self.items)


@dataclass(frozen=True)
class ConsentAnswer:
    granted: bool
    confirmed: tuple[str, ...] = ()
    via: ConsentChannel = ConsentChannel.NONE
    overridden_warnings: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # a channel the core does not know is an error, never a silent "interactive"
        object.__setattr__(self, "via", ConsentChannel(self.via))


ConsentHook = Callable[[ConsentRequest], ConsentAnswer]


def refuse(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    """The default hook: no front end answered, so nothing is exported."""
    return ConsentAnswer(granted=False, via=ConsentChannel.NONE)


def consent_refusal(request: ConsentRequest, answer: ConsentAnswer) -> str:
    """Why ``answer`` does not let the export go on ("" when consent was given to everything)."""
    if not answer.granted:
        return N_("consent was not given; nothing was written")
    missing = [c for c in request.confirmations if c not in answer.confirmed]
    if missing:
        return message(N_("consent incomplete: not confirmed: {statement}"),
                       statement=statement(missing[0]))
    return ""
