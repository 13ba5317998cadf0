"""The parent lock: a passphrase that protects the policy file from changes.

What is stored (never the passphrase):

* ``salt``, scrypt cost ``n``/``r``/``p`` and ``verifier``: the first 32 bytes
  of ``scrypt(passphrase, salt)``, to check a passphrase;
* ``public_key``: an Ed25519 key whose private half is the *other* 32 bytes of
  the same scrypt output (those bytes are independent of the verifier: scrypt
  ends in PBKDF2-HMAC-SHA256, whose output blocks are separate HMACs), and
* ``signature``: that key's signature over the policy and the lock parameters.

Why a signature rather than a MAC: the child can read every file, and the
policy must be checked at every start *without* the passphrase. A MAC key
that could be checked without the passphrase could also be used to re-sign an
edited policy; a public key can check a signature but cannot make one. So an
edited policy fails the check and cannot be re-signed without the passphrase.

Where: the policy lives in the account's data folder and a copy of the lock
parameters (the "marker") in its config folder. Both are found from the
operating system's account database, not from environment variables or
``--data-dir``, which a child could point elsewhere. A policy deleted or
stripped of its lock while the marker says one was set, a signature that does
not verify, a file that cannot be read: all are *tampered*, and the strictest
rules apply (:data:`~share_guard.core.family.policy.STRICTEST`), never the loosest.

What this cannot stop (see docs/family.md): someone who deletes *both* files,
an administrator account, another computer or another app.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from share_guard.core.errors import ShareGuardError
from share_guard.core.export.safeio import atomic_output
from share_guard.core.family.policy import (
    PRESETS,
    SCHEMA_VERSION,
    STRICTEST,
    Policy,
    PolicyError,
    document,
    parse_document,
)
from share_guard.core.i18n import N_, message
from share_guard.core.paths import APP_NAME

POLICY_FILE = "policy.json"
MARKER_FILE = "family-lock.json"
ATTEMPTS_FILE = "passphrase-attempts.json"

#: scrypt cost for new locks: ~64 MiB and ~0.15 s per guess on a laptop
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 1
_MIN_N, _MAX_N = 2**10, 2**20  # bounds for values read back from the (untrusted) file
MIN_PASSPHRASE = 8

#: wrong guesses allowed before waiting; then 30 s, 60 s, 120 s ... up to an hour
FREE_ATTEMPTS = 3
BASE_WAIT, MAX_WAIT = 30.0, 3600.0
#: failures assumed when the attempts file of a locked policy is missing or unreadable
MISSING_ATTEMPTS_PENALTY = FREE_ATTEMPTS + 2


class LockError(ShareGuardError):
    """The lock refused something (wrong passphrase, locked, no lock...)."""


class WrongPassphrase(LockError):
    pass


class TooManyAttempts(LockError):
    def __init__(self, wait: float) -> None:
        self.wait = wait
        super().__init__(f"too many wrong passphrases; try again in {int(wait) + 1} seconds")


class PolicyLocked(LockError):
    """A change was asked of a locked policy without the passphrase."""


@dataclass(frozen=True)
class AccountFolders:
    data: Path  # policy.json, passphrase-attempts.json
    config: Path  # family-lock.json (the marker)

    @property
    def policy_file(self) -> Path:
        return self.data / POLICY_FILE

    @property
    def marker_file(self) -> Path:
        return self.config / MARKER_FILE

    @property
    def attempts_file(self) -> Path:
        return self.data / ATTEMPTS_FILE


def account_folders() -> AccountFolders:
    """The account's own folders, from the OS account database (env vars ignored on purpose).

    Tests redirect this function (tests/conftest.py); nothing else can.
    """
    if sys.platform == "win32":
        import platformdirs

        return AccountFolders(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
                              Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)))
    import pwd

    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    if sys.platform == "darwin":
        return AccountFolders(home / "Library" / "Application Support" / APP_NAME,
                              home / "Library" / "Preferences" / APP_NAME)
    return AccountFolders(home / ".local" / "share" / APP_NAME, home / ".config" / APP_NAME)


#: the real lookup, kept under a second name so a test can check it ignores env vars
os_account_folders = account_folders


@dataclass(frozen=True)
class LockMaterial:
    """What checks a passphrase and a signature; read from the marker or the policy file."""

    salt: bytes
    n: int
    r: int
    p: int
    verifier: bytes
    public_key: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"kdf": "scrypt", "n": self.n, "r": self.r, "p": self.p, "salt": self.salt.hex(),
                "verifier": self.verifier.hex(), "public_key": self.public_key.hex()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LockMaterial:
        try:
            if data.get("kdf") != "scrypt":
                raise ValueError("kdf")
            n, r, p = (data[k] for k in ("n", "r", "p"))
            if not all(type(v) is int for v in (n, r, p)):
                raise ValueError("cost")
            if not (_MIN_N <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4):
                raise ValueError("cost")
            salt, verifier, key = (bytes.fromhex(data[k]) for k in ("salt", "verifier", "public_key"))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise PolicyError(N_("the lock parameters are damaged")) from None
        if len(salt) < 16 or len(verifier) != 32 or len(key) != 32:
            raise PolicyError(N_("the lock parameters are damaged"))
        return cls(salt, n, r, p, verifier, key)


@dataclass(frozen=True)
class PolicyState:
    """The policy in force and where it came from."""

    status: str  # "default" (none set) | "unlocked" | "locked" | "tampered"
    policy: Policy  # the rules that apply now
    stored: Policy | None = None  # the rules as written in the file, if it could be read
    problem: str = ""  # why it is tampered (one line)
    material: LockMaterial | None = None  # trusted passphrase check, when there is one
    folders: AccountFolders | None = None

    @property
    def locked(self) -> bool:
        return self.status in ("locked", "tampered")

    @property
    def tampered(self) -> bool:
        return self.status == "tampered"


# -- keys -------------------------------------------------------------------------------------

def _derive(passphrase: str, material: LockMaterial | None = None, *,
            salt: bytes | None = None, n: int = 0, r: int = 0, p: int = 0) -> tuple[bytes, bytes]:
    """(verifier, signing seed) from the passphrase."""
    if material is not None:
        salt, n, r, p = material.salt, material.n, material.r, material.p
    assert salt is not None
    out = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=64,
                         maxmem=256 * 1024 * 1024)
    return out[:32], out[32:]


def _private_key(seed: bytes) -> Any:
    # PyNaCl (libsodium, pyca) rather than the cryptography package: the same Ed25519 in a
    # 1.4 MB wheel instead of 16 MB, which keeps the install under its size budget.
    from nacl.signing import SigningKey

    return SigningKey(seed)


def _public_bytes(private: Any) -> bytes:
    return bytes(private.verify_key)


def _sign(seed: bytes, data: bytes) -> bytes:
    return bytes(_private_key(seed).sign(data).signature)


def _signed_bytes(policy: Policy, material: LockMaterial) -> bytes:
    return json.dumps(document(policy, material.to_dict()), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def _signature_ok(policy: Policy, material: LockMaterial, signature: bytes) -> bool:
    from nacl.exceptions import BadSignatureError
    from nacl.exceptions import ValueError as NaclValueError
    from nacl.signing import VerifyKey

    try:
        VerifyKey(material.public_key).verify(_signed_bytes(policy, material), signature)
    except (BadSignatureError, NaclValueError, ValueError, TypeError):
        return False
    return True


# -- reading ----------------------------------------------------------------------------------

def _read_json(path: Path) -> Any:
    """Decoded JSON; FileNotFoundError when missing; PolicyError when unreadable or damaged."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(256 * 1024 + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise PolicyError(message(N_("cannot be read ({value})"), value=exc.strerror or exc)) from None
    if len(raw) > 256 * 1024:
        raise PolicyError(N_("is too large"))
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PolicyError(N_("is not valid JSON")) from None


def _read_marker(folders: AccountFolders) -> tuple[LockMaterial | None, str]:
    """(material, problem). Missing: (None, ""). Damaged: (None, reason)."""
    try:
        data = _read_json(folders.marker_file)
    except FileNotFoundError:
        return None, ""
    except PolicyError as exc:
        return None, f"the lock record {exc}"
    try:
        if not isinstance(data, Mapping) or data.get("schema") != SCHEMA_VERSION:
            raise PolicyError(N_("the lock record is damaged"))
        return LockMaterial.from_dict(data), ""
    except PolicyError as exc:
        return None, str(exc)


def load_state(folders: AccountFolders | None = None) -> PolicyState:
    """Read the policy in force. Never raises for bad files: they make it *tampered*."""
    folders = folders or account_folders()
    marker, marker_problem = _read_marker(folders)
    marked = marker is not None or bool(marker_problem)

    def tampered(problem: str, material: LockMaterial | None = None,
                 stored: Policy | None = None) -> PolicyState:
        return PolicyState("tampered", STRICTEST, stored, problem, marker or material, folders)

    try:
        data = _read_json(folders.policy_file)
    except FileNotFoundError:
        if marked:
            return tampered("the protection settings were deleted after a lock was set")
        return PolicyState("default", PRESETS["default"], None, folders=folders)
    except PolicyError as exc:
        return tampered(f"the protection settings {exc}")
    try:
        policy, lock_block = parse_document(data)
    except PolicyError as exc:
        return tampered(f"the protection settings are not valid: {exc}")
    if lock_block is None:
        if marked:
            return tampered("the lock was removed from the protection settings", stored=policy)
        return PolicyState("unlocked", policy, policy, folders=folders)
    try:
        material = LockMaterial.from_dict(lock_block)
        signature = bytes.fromhex(str(lock_block.get("signature", "")))
    except (PolicyError, ValueError):
        return tampered("the lock in the protection settings is damaged", stored=policy)
    if marker is not None and marker != material:
        return tampered("the lock was replaced", material, policy)
    if not _signature_ok(policy, material, signature):
        return tampered("the protection settings were changed outside share_guard", material, policy)
    if marker_problem:
        return tampered(marker_problem, material, policy)
    if marker is None:
        # The signed policy is intact; only the copy of its lock was removed: put it back.
        with contextlib.suppress(OSError, ShareGuardError):
            _write_marker(folders, material)
    return PolicyState("locked", policy, policy, material=material, folders=folders)


# -- the passphrase, rate-limited ---------------------------------------------------------------

def _wait_for(failures: int) -> float:
    if failures < FREE_ATTEMPTS:
        return 0.0
    return float(min(BASE_WAIT * 2 ** (failures - FREE_ATTEMPTS), MAX_WAIT))


def _read_attempts(folders: AccountFolders, now: float) -> tuple[int, float]:
    try:
        data = _read_json(folders.attempts_file)
        failures, last = int(data["failures"]), float(data["last"])
        if failures < 0 or last != last:  # negative or NaN: edited
            raise ValueError
        return failures, min(last, now)
    except (FileNotFoundError, PolicyError, KeyError, TypeError, ValueError):
        # Created with the lock; missing or damaged means someone reset it.
        return MISSING_ATTEMPTS_PENALTY, now


def seconds_to_wait(state: PolicyState | None = None, now: float | None = None) -> float:
    """How long until a passphrase may be tried again (0: now)."""
    state = state or load_state()
    if state.material is None:
        return 0.0
    folders = state.folders or account_folders()
    now = time.time() if now is None else now
    failures, last = _read_attempts(folders, now)
    if failures == MISSING_ATTEMPTS_PENALTY and last == now:
        _write_attempts(folders, failures, now)
    return max(0.0, last + _wait_for(failures) - now)


def check_passphrase(passphrase: str, state: PolicyState | None = None,
                     now: float | None = None) -> None:
    """Raise unless ``passphrase`` is the parent's. Rate-limited; the wait survives restarts.

    Raises :class:`TooManyAttempts` (before even trying), :class:`WrongPassphrase`, or
    :class:`LockError` when there is no lock to check against.
    """
    state = state or load_state()
    if state.material is None:
        raise LockError(N_("no parent passphrase is set") if not state.tampered else
                        N_("the lock is damaged, so no passphrase can be checked (see docs/family.md)"))
    folders = state.folders or account_folders()
    now = time.time() if now is None else now
    wait = seconds_to_wait(state, now)
    if wait > 0:
        raise TooManyAttempts(wait)
    failures, _last = _read_attempts(folders, now)
    # Count the attempt *before* checking it, so neither a killed process nor a file that
    # cannot be written gives free guesses; a right passphrase clears the count again.
    try:
        _write_json(folders.attempts_file, {"failures": failures + 1, "last": now})
    except (OSError, ShareGuardError):
        raise LockError(N_("the passphrase cannot be checked: the record of attempts cannot be "
                        "written")) from None
    verifier, _seed = _derive(passphrase, state.material)
    if hmac.compare_digest(verifier, state.material.verifier):
        _write_attempts(folders, 0, now)
        return
    raise WrongPassphrase(N_("that is not the parent passphrase"))


def _write_attempts(folders: AccountFolders, failures: int, now: float) -> None:
    # Best effort: a folder an administrator made read-only must not stop a parent.
    with contextlib.suppress(OSError, ShareGuardError):
        _write_json(folders.attempts_file, {"failures": failures, "last": now})


# -- changing ---------------------------------------------------------------------------------

def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps(obj, indent=2, sort_keys=False).encode("utf-8") + b"\n"
    with atomic_output(path, overwrite=True) as fh:
        fh.write(data)


def _write_marker(folders: AccountFolders, material: LockMaterial) -> None:
    _write_json(folders.marker_file, {"schema": SCHEMA_VERSION, **material.to_dict()})


def _require(state: PolicyState, passphrase: str | None) -> None:
    """A locked (or tampered-with-a-trusted-lock) policy changes only with the passphrase."""
    if not state.locked or (state.tampered and state.material is None):
        return
    if passphrase is None:
        raise PolicyLocked(N_("the protection settings are locked; a parent's passphrase is needed"))
    check_passphrase(passphrase, state)


def _signed(policy: Policy, passphrase: str, material: LockMaterial | None) -> dict[str, Any]:
    if material is None:
        salt = secrets.token_bytes(16)
        verifier, seed = _derive(passphrase, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        material = LockMaterial(salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, verifier,
                                _public_bytes(_private_key(seed)))
    else:
        _verifier, seed = _derive(passphrase, material)
    signature = _sign(seed, _signed_bytes(policy, material))
    return {**material.to_dict(), "signature": signature.hex()}


def save_policy(policy: Policy, passphrase: str | None = None,
                folders: AccountFolders | None = None) -> PolicyState:
    """Write ``policy``; while locked this needs the parent passphrase and keeps the lock."""
    state = load_state(folders)
    folders = state.folders or account_folders()
    _require(state, passphrase)
    if state.locked and state.material is not None:
        assert passphrase is not None
        block = _signed(policy, passphrase, state.material)
        _write_json(folders.policy_file, document(policy, block))
        _write_marker(folders, state.material)
    else:
        _write_json(folders.policy_file, document(policy))
    return load_state(folders)


def lock_policy(policy: Policy, new_passphrase: str, current_passphrase: str | None = None,
                folders: AccountFolders | None = None) -> PolicyState:
    """Lock ``policy`` with a new parent passphrase (the current one is needed to re-lock)."""
    if len(new_passphrase) < MIN_PASSPHRASE:
        raise LockError(message(N_("the passphrase must have at least {MIN_PASSPHRASE} characters"),
                                MIN_PASSPHRASE=MIN_PASSPHRASE))
    state = load_state(folders)
    folders = state.folders or account_folders()
    _require(state, current_passphrase)
    block = _signed(policy, new_passphrase, None)
    material = LockMaterial.from_dict(block)
    _write_json(folders.policy_file, document(policy, block))
    _write_marker(folders, material)
    _write_attempts(folders, 0, time.time())
    return load_state(folders)


def unlock_policy(passphrase: str, folders: AccountFolders | None = None) -> PolicyState:
    """Remove the lock, keeping the rules (unlocked). Needs the passphrase."""
    state = load_state(folders)
    folders = state.folders or account_folders()
    if not state.locked:
        raise LockError(N_("the protection settings are not locked"))
    _require(state, passphrase)
    # A tampered policy unlocks to the strictest rules, not to what was edited in.
    _write_json(folders.policy_file, document(state.policy))
    for path in (folders.marker_file, folders.attempts_file):
        path.unlink(missing_ok=True)
    return load_state(folders)
