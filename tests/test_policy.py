"""The policy file format: round trip, presets, validation."""

from __future__ import annotations

import json

import pytest

from share_guard.core.family.policy import (
    PRESETS,
    SCHEMA_VERSION,
    STRICTEST,
    Policy,
    PolicyError,
    document,
    parse_document,
    parse_rule_value,
    preset,
)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_json(name):
    policy = PRESETS[name]
    text = json.dumps(document(policy))
    parsed, lock = parse_document(json.loads(text))
    assert parsed == policy
    assert lock is None


def test_round_trip_keeps_every_rule_and_folder():
    policy = Policy(strip_location=True, strip_all_metadata=False, ask_consent=True,
                    faces_must_be_redacted_or_confirmed=True, block_takedown_matches=False,
                    sensitive="block", allowed_output_folders=("/srv/out", "/home/x/Shared"),
                    audit=True)
    parsed, _ = parse_document(json.loads(json.dumps(document(policy))))
    assert parsed == policy
    assert parsed.allowed_output_folders == ("/srv/out", "/home/x/Shared")


def test_family_is_strict_and_default_is_permissive_but_safe():
    family, default = PRESETS["family"], PRESETS["default"]
    assert family.ask_consent and family.faces_must_be_redacted_or_confirmed
    assert family.sensitive == "gate" and family.block_takedown_matches
    assert default.block_takedown_matches and default.strip_location and default.strip_all_metadata
    assert default.sensitive == "allow" and not default.ask_consent
    assert family.is_at_least_as_strict_as(default)
    assert not default.is_at_least_as_strict_as(family)
    assert STRICTEST.is_at_least_as_strict_as(family)
    assert not family.is_at_least_as_strict_as(STRICTEST)


def test_folder_restriction_counts_as_stricter():
    anywhere = PRESETS["family"]
    inside = Policy(**{**anywhere.to_dict(), "allowed_output_folders": ("/a",)})
    assert inside.is_at_least_as_strict_as(anywhere)
    assert not anywhere.is_at_least_as_strict_as(inside)


def _doc(**policy_changes):
    doc = document(PRESETS["family"])
    doc["policy"].update(policy_changes)
    return doc


@pytest.mark.parametrize("doc, message", [
    ([], "not a JSON object"),
    ({"schema": 1, "policy": {}}, "exactly"),
    ({**document(Policy()), "extra": 1}, "exactly"),
    ({**document(Policy()), "schema": 2}, "schema"),
    ({**document(Policy()), "schema": True}, "schema"),
    ({**document(Policy()), "schema": "1"}, "schema"),
    ({**document(Policy()), "lock": "yes"}, "lock"),
    (_doc(sensitive="maybe"), "sensitive"),
    (_doc(ask_consent="true"), "ask_consent"),
    (_doc(ask_consent=1), "ask_consent"),
    (_doc(allowed_output_folders="/tmp"), "allowed_output_folders"),
    (_doc(allowed_output_folders=["relative/dir"]), "absolute"),
    (_doc(allowed_output_folders=[""]), "empty"),
    (_doc(allowed_output_folders=[3]), "allowed_output_folders"),
    (_doc(surprise=True), "unknown rule"),
])
def test_invalid_documents_are_rejected(doc, message):
    with pytest.raises(PolicyError, match=message):
        parse_document(doc)


def test_missing_rule_is_rejected():
    doc = document(Policy())
    del doc["policy"]["audit"]
    with pytest.raises(PolicyError, match="missing rule: audit"):
        parse_document(doc)


@pytest.mark.parametrize("rule, text, expected", [
    ("ask_consent", "true", True),
    ("ask_consent", "No", False),
    ("audit", "on", True),
    ("sensitive", "BLOCK", "block"),
    ("sensitive", "allow", "allow"),
    ("allowed_output_folders", "", ()),
    ("allowed_output_folders", "/, /tmp", ("/", "/tmp")),
])
def test_rule_values_from_text(rule, text, expected):
    assert parse_rule_value(rule, text) == expected
    assert getattr(Policy().with_rule(rule, text), rule) == expected


@pytest.mark.parametrize("rule, text", [
    ("ask_consent", "perhaps"),
    ("sensitive", "ask"),
    ("no_such_rule", "true"),
    ("allowed_output_folders", "/no/such/folder/here"),
])
def test_bad_rule_values_are_rejected(rule, text):
    with pytest.raises(PolicyError):
        parse_rule_value(rule, text)


def test_unknown_preset():
    assert preset("family") == PRESETS["family"]
    with pytest.raises(PolicyError, match="unknown preset"):
        preset("teen")


def test_schema_version_is_written():
    assert document(Policy())["schema"] == SCHEMA_VERSION == 1
