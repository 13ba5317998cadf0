"""The protection policy: a small set of rules every export obeys.

Stored as JSON (``policy.json``) in the account's data folder, next to its
lock (see :mod:`share_guard.core.family.lock`). The file looks like::

    {
      "schema": 1,
      "policy": {
        "strip_location": true,          # a file whose location cannot be removed is refused
        "strip_all_metadata": true,      # a file with identifying metadata the cleaner cannot
                                         # remove is refused
        "ask_consent": true,             # consent is asked of the person at every export
                                         # (a pre-stated --consent flag is not accepted)
        "faces_must_be_redacted_or_confirmed": true,
                                         # recognisable people: cover them or confirm it per export
        "block_takedown_matches": true,  # a takedown-list match is never exported
        "sensitive": "gate",             # likely nudity: allow | warn | gate (parent) | block
        "allowed_output_folders": [],    # clean copies only go inside these (empty: anywhere)
        "audit": false,                  # detailed consent records (names, paths, hashes)
        "neutral_names": false           # name copies "photo_clean.jpg", not after the original
                                         # (IMG_20240312_142210.jpg tells the date and device)
      },
      "lock": null                       # or the parent lock, see lock.py
    }

Unknown keys, wrong types and unknown values are rejected (:class:`PolicyError`):
a policy that cannot be read exactly is never guessed at. Rules added after the first
version (:data:`LATER_RULES`) may be missing from a file written before them: they then
take their default, and a file stores them only when they differ from it, so a policy
signed before a rule existed still reads exactly as it was signed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from share_guard.core.errors import ShareGuardError
from share_guard.core.i18n import N_, message

SCHEMA_VERSION = 1

SENSITIVE_MODES = ("allow", "warn", "gate", "block")  # loosest to strictest


class PolicyError(ShareGuardError):
    """The policy file or a rule value is not valid."""


@dataclass(frozen=True)
class Policy:
    strip_location: bool = True
    strip_all_metadata: bool = True
    ask_consent: bool = False
    faces_must_be_redacted_or_confirmed: bool = False
    block_takedown_matches: bool = True
    sensitive: str = "allow"
    allowed_output_folders: tuple[str, ...] = ()
    audit: bool = False
    neutral_names: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "sensitive":
                if value not in SENSITIVE_MODES:
                    raise PolicyError(message(N_("sensitive must be one of {join}, not {value}"),
                                              join=', '.join(SENSITIVE_MODES), value=f"{value!r}"))
            elif f.name == "allowed_output_folders":
                if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                    raise PolicyError(N_("allowed_output_folders must be a list of folder paths"))
                for folder in value:
                    if not folder.strip() or "\x00" in folder:
                        raise PolicyError(N_("allowed_output_folders holds an empty or invalid path"))
                    if not Path(os.path.expanduser(folder)).is_absolute():
                        raise PolicyError(message(N_("allowed output folder must be an absolute path: "
                                                     "{folder}"),
                                                  folder=folder))
            elif not isinstance(value, bool):
                raise PolicyError(message(N_("{name} must be true or false"), name=f.name))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["allowed_output_folders"] = list(self.allowed_output_folders)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        if not isinstance(data, Mapping):
            raise PolicyError(N_("the policy must be an object of rules"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(message(N_("unknown rule: {unknown}"), unknown=unknown[0]))
        missing = sorted(known - set(data) - set(LATER_RULES))
        if missing:
            raise PolicyError(message(N_("missing rule: {missing}"), missing=missing[0]))
        values = {**LATER_RULES, **dict(data)}
        folders = values["allowed_output_folders"]
        if not isinstance(folders, list):
            raise PolicyError(N_("allowed_output_folders must be a list of folder paths"))
        values["allowed_output_folders"] = tuple(folders)
        return cls(**values)

    def with_rule(self, rule: str, text: str) -> Policy:
        """A copy with ``rule`` set from command-line style text ("true", "gate", "a,b")."""
        return replace(self, **{rule: parse_rule_value(rule, text)})

    def is_at_least_as_strict_as(self, other: Policy) -> bool:
        """True when no rule of ``self`` is looser than the same rule of ``other``."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "sensitive":
                if SENSITIVE_MODES.index(mine) < SENSITIVE_MODES.index(theirs):
                    return False
            elif f.name == "allowed_output_folders":
                if theirs and (not mine or not set(mine) <= set(theirs)):
                    return False
            elif f.name == "audit":
                continue  # how detailed the records are is not a protection
            elif theirs and not mine:
                return False
        return True


RULES: dict[str, str] = {
    "strip_location": "refuse a file whose location cannot be removed",
    "strip_all_metadata": "refuse a file with identifying metadata that cannot be removed",
    "ask_consent": "ask the person for consent at every export (no pre-stated --consent flag)",
    "faces_must_be_redacted_or_confirmed": "recognisable people must be covered, or their "
                                           "agreement confirmed for that export",
    "block_takedown_matches": "never export a file that matches the takedown list",
    "sensitive": "likely nudity: allow, warn, gate (needs a parent's passphrase) or block",
    "allowed_output_folders": "clean copies may only be written inside these folders "
                              "(comma-separated; empty: anywhere)",
    "audit": "keep detailed consent records with file names, paths and hashes (newsrooms)",
    "neutral_names": "name clean copies photo_clean.jpg or video_clean.mp4, not after the "
                     "original (whose name may tell the date and the device)",
}

#: rules added after the first version, with the value a file without them means
LATER_RULES: dict[str, object] = {"neutral_names": False}

PRESETS: dict[str, Policy] = {
    # Permissive but safe: metadata always goes, takedown matches are blocked,
    # scripts may state consent with a flag. The nudity check is opt-in for adults
    # (as Apple's Sensitive Content Warning is): "warn" turns it on.
    "default": Policy(),
    # Strict: for a child's or a family computer.
    "family": Policy(
        strip_location=True,
        strip_all_metadata=True,
        ask_consent=True,
        faces_must_be_redacted_or_confirmed=True,
        block_takedown_matches=True,
        sensitive="gate",
        neutral_names=True,
    ),
}

#: What applies when a locked policy was tampered with, deleted or cannot be read:
#: every rule at its strictest. Exports of sensitive content are blocked outright,
#: and (in policy_gates) every export needs the parent's passphrase.
STRICTEST = Policy(
    strip_location=True,
    strip_all_metadata=True,
    ask_consent=True,
    faces_must_be_redacted_or_confirmed=True,
    block_takedown_matches=True,
    sensitive="block",
    neutral_names=True,
)


def preset(name: str) -> Policy:
    try:
        return PRESETS[name]
    except KeyError:
        raise PolicyError(message(N_("unknown preset {name} (choose {join})"),
                                  name=f"{name!r}", join=', '.join(PRESETS))) from None


def parse_rule_value(rule: str, text: str) -> Any:
    """Turn command-line text into a valid value for ``rule`` (raises PolicyError)."""
    if rule not in RULES:
        raise PolicyError(message(N_("unknown rule {rule} (rules: {join})"),
                                  rule=f"{rule!r}", join=', '.join(RULES)))
    raw = text.strip()
    if rule == "sensitive":
        if raw.lower() not in SENSITIVE_MODES:
            raise PolicyError(message(N_("sensitive must be one of {join}"), join=', '.join(SENSITIVE_MODES)))
        return raw.lower()
    if rule == "allowed_output_folders":
        folders = tuple(os.path.abspath(os.path.expanduser(p.strip()))
                        for p in raw.split(",") if p.strip())
        Policy(allowed_output_folders=folders)  # validates
        missing = [f for f in folders if not os.path.isdir(f)]
        if missing:
            raise PolicyError(message(N_("not a folder: {missing}"), missing=missing[0]))
        return folders
    lowered = raw.lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise PolicyError(message(N_("{rule} must be true or false"), rule=rule))


def document(policy: Policy, lock: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document stored on disk (and signed)."""
    rules = policy.to_dict()
    for rule, default in LATER_RULES.items():
        if rules[rule] == default:
            del rules[rule]  # as a file from before the rule existed: its signature holds
    return {"schema": SCHEMA_VERSION, "policy": rules, "lock": dict(lock) if lock else None}


def parse_document(data: Any) -> tuple[Policy, Mapping[str, Any] | None]:
    """Validate a decoded policy document; returns (policy, lock block or None)."""
    if not isinstance(data, Mapping):
        raise PolicyError(N_("the policy file is not a JSON object"))
    if set(data) != {"schema", "policy", "lock"}:
        raise PolicyError(N_("the policy file must hold exactly: schema, policy, lock"))
    if data["schema"] != SCHEMA_VERSION or isinstance(data["schema"], bool):
        raise PolicyError(message(N_("unsupported policy schema {data} (expected {SCHEMA_VERSION})"),
                                  data=f"{data['schema']!r}", SCHEMA_VERSION=SCHEMA_VERSION))
    lock = data["lock"]
    if lock is not None and not isinstance(lock, Mapping):
        raise PolicyError(N_("the lock must be an object or null"))
    return Policy.from_dict(data["policy"]), lock
