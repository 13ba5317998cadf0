"""The parent lock: passphrase never stored, edits detected, strict fallback, rate limit."""

from __future__ import annotations

import json
import os

import pytest

from share_guard.core.family import lock
from share_guard.core.family.lock import (
    LockError,
    PolicyLocked,
    TooManyAttempts,
    WrongPassphrase,
    check_passphrase,
    load_state,
    lock_policy,
    save_policy,
    unlock_policy,
)
from share_guard.core.family.policy import PRESETS, STRICTEST, Policy, document

PASS = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    """New locks in these tests use a small scrypt cost (the real one is tested once)."""
    monkeypatch.setattr(lock, "SCRYPT_N", 2**10)


@pytest.fixture
def locked():
    state = lock_policy(PRESETS["family"], PASS)
    assert state.status == "locked"
    return state.folders


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_nothing_set_gives_the_default_rules():
    state = load_state()
    assert state.status == "default" and not state.locked
    assert state.policy == PRESETS["default"]


def test_unlocked_policy_saves_and_reads_back():
    policy = PRESETS["family"]
    state = save_policy(policy)
    assert state.status == "unlocked" and state.policy == policy
    assert json.loads(state.folders.policy_file.read_text())["schema"] == 1


def test_passphrase_is_never_stored(locked):
    blobs = b"".join(p.read_bytes() for p in (locked.policy_file, locked.marker_file,
                                              locked.attempts_file))
    for form in (PASS.encode(), PASS.encode().hex().encode(), PASS.upper().encode()):
        assert form not in blobs
    block = json.loads(locked.policy_file.read_text())["lock"]
    assert block["kdf"] == "scrypt" and len(bytes.fromhex(block["salt"])) == 16


def test_real_cost_lock_round_trip(monkeypatch):
    monkeypatch.setattr(lock, "SCRYPT_N", 2**16)
    state = lock_policy(PRESETS["family"], PASS)
    assert json.loads(state.folders.policy_file.read_text())["lock"]["n"] == 2**16
    check_passphrase(PASS, state)


def test_locked_policy_needs_the_passphrase_to_change(locked):
    looser = PRESETS["family"].with_rule("sensitive", "allow")
    with pytest.raises(PolicyLocked):
        save_policy(looser)
    with pytest.raises(WrongPassphrase):
        save_policy(looser, "not the passphrase")
    assert load_state().policy == PRESETS["family"]
    state = save_policy(looser, PASS)
    assert state.status == "locked" and state.policy.sensitive == "allow"


def test_relocking_needs_the_current_passphrase(locked):
    with pytest.raises(PolicyLocked):
        lock_policy(PRESETS["default"], "a new passphrase")
    with pytest.raises(WrongPassphrase):
        lock_policy(PRESETS["default"], "a new passphrase", "guess guess")
    state = lock_policy(PRESETS["default"], "a new passphrase", PASS)
    check_passphrase("a new passphrase", state)
    with pytest.raises(WrongPassphrase):
        check_passphrase(PASS, state)


def test_short_passphrase_is_refused():
    with pytest.raises(LockError, match="at least"):
        lock_policy(PRESETS["family"], "1234")
    assert load_state().status == "default"


def test_unlock(locked):
    with pytest.raises(WrongPassphrase):
        unlock_policy("wrong one!")
    state = unlock_policy(PASS)
    assert state.status == "unlocked" and state.policy == PRESETS["family"]
    assert not locked.marker_file.exists()
    save_policy(PRESETS["default"])  # no passphrase needed any more


def _set_rule(name, value):
    return lambda data: data["policy"].__setitem__(name, value)


TAMPERING = {
    "edit a rule": lambda f: _edit(f.policy_file, _set_rule("sensitive", "allow")),
    "edit folders": lambda f: _edit(f.policy_file, _set_rule("allowed_output_folders", ["/tmp"])),
    "remove the lock": lambda f: _edit(f.policy_file, lambda d: d.__setitem__("lock", None)),
    "delete the policy": lambda f: f.policy_file.unlink(),
    "garbage": lambda f: f.policy_file.write_bytes(b"\x00\xffnot json"),
    "empty file": lambda f: f.policy_file.write_bytes(b""),
    "folder instead of file": lambda f: (f.policy_file.unlink(), f.policy_file.mkdir()),
    "future schema": lambda f: _edit(f.policy_file, lambda d: d.__setitem__("schema", 2)),
    "unknown rule": lambda f: _edit(f.policy_file, _set_rule("parental_mode", False)),
    "forged signature": lambda f: _edit(
        f.policy_file, lambda d: (d["policy"].__setitem__("ask_consent", False),
                                  d["lock"].__setitem__("signature", "00" * 64))),
    "signature removed": lambda f: _edit(f.policy_file, lambda d: d["lock"].pop("signature")),
    "lock parameters damaged": lambda f: _edit(f.policy_file, lambda d: d["lock"].__setitem__("n", 3)),
    "marker damaged": lambda f: f.marker_file.write_text("{"),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_falls_back_to_the_strictest_rules(locked, how):
    TAMPERING[how](locked)
    state = load_state()
    assert state.status == "tampered" and state.locked
    assert state.policy == STRICTEST
    assert state.problem
    assert STRICTEST.is_at_least_as_strict_as(PRESETS["family"])


def test_child_cannot_resign_with_own_passphrase_while_the_marker_stands(locked, tmp_path):
    # The child makes a complete, validly signed policy with a passphrase of their own ...
    other = lock.AccountFolders(tmp_path / "d", tmp_path / "c")
    lock_policy(PRESETS["default"], "child's own passphrase", folders=other)
    locked.policy_file.write_bytes(other.policy_file.read_bytes())
    # ... but the lock record in the other folder still names the parent's key.
    state = load_state()
    assert state.status == "tampered" and "replaced" in state.problem
    assert state.policy == STRICTEST
    with pytest.raises(WrongPassphrase):
        check_passphrase("child's own passphrase", state)


def test_parent_can_repair_a_tampered_policy(locked):
    TAMPERING["edit a rule"](locked)
    state = load_state()
    with pytest.raises(PolicyLocked):
        save_policy(PRESETS["family"])
    state = save_policy(PRESETS["family"], PASS)
    assert state.status == "locked" and state.policy == PRESETS["family"]


def test_unlocking_a_tampered_policy_keeps_the_strict_rules(locked):
    TAMPERING["edit a rule"](locked)
    state = unlock_policy(PASS)
    assert state.status == "unlocked" and state.policy == STRICTEST


def test_deleted_marker_alone_is_restored_from_the_signed_policy(locked):
    locked.marker_file.unlink()
    state = load_state()
    assert state.status == "locked" and state.policy == PRESETS["family"]
    assert locked.marker_file.exists()


def test_environment_and_home_do_not_move_the_lock(monkeypatch, tmp_path):
    real = lock.os_account_folders()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("SHARE_GUARD_HOME", str(tmp_path / "s"))
    assert lock.os_account_folders() == real
    assert not str(real.data).startswith(str(tmp_path))


def test_wrong_passphrases_are_rate_limited_and_the_wait_persists(locked):
    state = load_state()
    now = 1_000_000.0
    for i in range(lock.FREE_ATTEMPTS):
        with pytest.raises(WrongPassphrase):
            check_passphrase(f"guess number {i}", state, now=now + i)
    t = now + lock.FREE_ATTEMPTS
    # Even the right passphrase waits now, and a fresh load (a restart) remembers it.
    with pytest.raises(TooManyAttempts) as info:
        check_passphrase(PASS, load_state(), now=t)
    assert info.value.wait > 0
    assert lock.seconds_to_wait(load_state(), now=t) == pytest.approx(lock.BASE_WAIT - 1, abs=1)
    check_passphrase(PASS, load_state(), now=t + lock.BASE_WAIT)
    assert lock.seconds_to_wait(load_state(), now=t + lock.BASE_WAIT) == 0


def test_waits_grow_and_are_capped():
    waits = [lock._wait_for(n) for n in range(lock.FREE_ATTEMPTS, lock.FREE_ATTEMPTS + 12)]
    assert waits[0] == lock.BASE_WAIT
    assert all(b >= a for a, b in zip(waits, waits[1:]))
    assert waits[-1] == lock.MAX_WAIT


def test_deleting_the_attempts_file_does_not_reset_the_wait(locked):
    state = load_state()
    now = 2_000_000.0
    for i in range(lock.FREE_ATTEMPTS):
        with pytest.raises(WrongPassphrase):
            check_passphrase(f"guess {i}", state, now=now)
    locked.attempts_file.unlink()
    with pytest.raises(TooManyAttempts):
        check_passphrase(PASS, load_state(), now=now + 1)
    assert locked.attempts_file.exists()


def test_no_passphrase_can_be_checked_without_a_lock():
    save_policy(PRESETS["family"])
    with pytest.raises(LockError, match="no parent passphrase"):
        check_passphrase(PASS, load_state())


def test_deleting_every_file_is_the_documented_limit(locked):
    # Honest limit (docs/family.md): whoever deletes *both* files resets the lock.
    locked.policy_file.unlink()
    assert load_state().status == "tampered"
    locked.marker_file.unlink()
    assert load_state().status == "default"


def test_files_are_not_readable_by_others(locked):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    assert locked.data.stat().st_mode & 0o077 == 0
    assert locked.config.stat().st_mode & 0o077 == 0


def test_policy_document_on_disk_is_readable_json(locked):
    data = json.loads(locked.policy_file.read_text())
    assert set(data) == {"schema", "policy", "lock"}
    assert data["policy"] == document(PRESETS["family"])["policy"]
    assert Policy.from_dict(data["policy"]) == PRESETS["family"]


def test_unrecordable_attempts_refuse_the_check(locked, monkeypatch):
    # A child who makes the attempts record unwritable gets no free guesses: nothing is checked.
    real_write = lock._write_json

    def no_attempts(path, obj):
        if path == locked.attempts_file:
            raise OSError(13, "Permission denied")
        real_write(path, obj)

    monkeypatch.setattr(lock, "_write_json", no_attempts)
    with pytest.raises(LockError, match="cannot be written"):
        check_passphrase(PASS, load_state())


def test_attempts_record_replaced_by_a_folder_means_waiting(locked):
    locked.attempts_file.unlink()
    locked.attempts_file.mkdir()
    with pytest.raises(TooManyAttempts):
        check_passphrase(PASS, load_state())
