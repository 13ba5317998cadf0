"""Hashes as value objects: hex in and out, ``a - b`` is the Hamming distance.

Parsing is strict because lists come from outside: a hash of the wrong
length, with non-hex characters, or all zero bits (what a blank or failed
hash looks like) is refused with a one-line reason.
"""

from __future__ import annotations

import hashlib
import os
import string
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from share_guard.core.containers.base import open_regular
from share_guard.core.errors import ShareGuardError
from share_guard.core.i18n import N_, message


class MalformedHash(ShareGuardError):
    """A hash string that is not a valid hash of its type."""


class HashType(StrEnum):
    PDQ = "pdq"  # 256-bit perceptual hash of an image (with quality)
    PHASH = "phash"  # 64-bit imagehash pHash
    SHA256 = "sha256"  # exact file bytes
    MD5 = "md5"  # exact file bytes (StopNCII exchanges videos this way)
    VPDQ = "vpdq"  # per-frame PDQ of a video

    @classmethod
    def parse(cls, text: str) -> HashType:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(t.value for t in cls)
            raise MalformedHash(message(N_("unknown hash type {text} (known: {names})"),
                                        text=f"{text[:20]!r}", names=names))


_HEX = frozenset(string.hexdigits)


def parse_hex(text: str, bits: int, what: str) -> int:
    """Validate a hex string of exactly ``bits`` bits and return its integer."""
    clean = text.strip().lower()
    if clean.startswith("0x"):
        clean = clean[2:]
    digits = bits // 4
    if len(clean) != digits:
        raise MalformedHash(message(N_("{what} hash must be {digits} hex digits, got {count}"),
                                    what=what, digits=digits, count=len(clean)))
    if not set(clean) <= _HEX:
        raise MalformedHash(message(N_("{what} hash has characters that are not hexadecimal"), what=what))
    value = int(clean, 16)
    if value == 0:
        raise MalformedHash(message(N_("{what} hash is all zeros (a blank or failed hash)"), what=what))
    return value


@dataclass(frozen=True, order=True)
class BitHash:
    """A fixed-width hash compared by Hamming distance."""

    BITS: ClassVar[int] = 0
    TYPE: ClassVar[HashType]

    value: int

    def __post_init__(self) -> None:
        if not 0 < self.value < (1 << self.BITS):
            raise MalformedHash(message(N_("{value} hash value out of range or all zeros"),
                                        value=self.TYPE.value))

    @classmethod
    def from_hex(cls, text: str) -> BitHash:
        return cls(parse_hex(text, cls.BITS, cls.TYPE.value))

    @property
    def hex(self) -> str:
        return format(self.value, f"0{self.BITS // 4}x")

    def __str__(self) -> str:
        return self.hex

    def __sub__(self, other: object) -> int:
        if not isinstance(other, BitHash) or other.BITS != self.BITS:
            return NotImplemented
        return (self.value ^ other.value).bit_count()

    def to_bytes(self) -> bytes:
        return self.value.to_bytes(self.BITS // 8, "big")


@dataclass(frozen=True, order=True)
class PDQHash(BitHash):
    """PDQ: 256 bits plus a quality score 0..100 (below 50: too flat to trust)."""

    BITS: ClassVar[int] = 256
    TYPE: ClassVar[HashType] = HashType.PDQ

    quality: int = 100

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.quality <= 100:
            raise MalformedHash(message(N_("PDQ quality must be 0..100, got {quality}"),
                                        quality=self.quality))

    @classmethod
    def from_hex(cls, text: str, quality: int = 100) -> PDQHash:
        return cls(parse_hex(text, 256, "pdq"), quality)


@dataclass(frozen=True, order=True)
class PHash(BitHash):
    """imagehash's 64-bit DCT pHash, hex as imagehash writes it."""

    BITS: ClassVar[int] = 64
    TYPE: ClassVar[HashType] = HashType.PHASH

    @classmethod
    def from_hex(cls, text: str) -> PHash:
        return cls(parse_hex(text, 64, "phash"))


@dataclass(frozen=True)
class FileDigest:
    """SHA-256 or MD5 of a file's bytes: equal or not, no distance."""

    type: HashType
    hex: str

    def __post_init__(self) -> None:
        bits = {HashType.SHA256: 256, HashType.MD5: 128}.get(self.type)
        if bits is None:
            raise MalformedHash(message(N_("{value} is not a file digest type"), value=self.type.value))
        parse_hex(self.hex, bits, self.type.value)
        object.__setattr__(self, "hex", self.hex.strip().lower().removeprefix("0x"))

    def __str__(self) -> str:
        return self.hex


def file_digests(path: str | os.PathLike[str], chunk: int = 1 << 20) -> dict[HashType, FileDigest]:
    """SHA-256 and MD5 of a file in one read."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open_regular(path) as fh:
        while block := fh.read(chunk):
            sha.update(block)
            md5.update(block)
    return {
        HashType.SHA256: FileDigest(HashType.SHA256, sha.hexdigest()),
        HashType.MD5: FileDigest(HashType.MD5, md5.hexdigest()),
    }


def normalize_value(kind: HashType, text: str) -> str:
    """Canonical stored form of a single (non-video) hash, or MalformedHash."""
    if kind is HashType.PDQ:
        return PDQHash.from_hex(text).hex
    if kind is HashType.PHASH:
        return PHash.from_hex(text).hex
    if kind in (HashType.SHA256, HashType.MD5):
        return FileDigest(kind, text).hex
    raise MalformedHash(N_("a vPDQ hash is a list of frames, not one value"))
