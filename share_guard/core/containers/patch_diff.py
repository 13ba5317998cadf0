"""The same-length patches that turn a buffer read from a file into its cleaned version.

In-place cleaners (Matroska, AVI) scrub a cluster or a frame in memory, then keep only
what changed: a few small patches instead of a second copy of the file in memory.
"""

from __future__ import annotations

from share_guard.core.containers._patch import Patch

BLOCK = 4096


def diff_patches(before: bytes | bytearray, after: bytes | bytearray, base: int) -> list[Patch]:
    """Patches (file offsets from ``base``) that turn ``before`` into ``after``."""
    if len(before) != len(after):
        raise ValueError("a cleaned buffer must keep its length")
    patches: list[Patch] = []
    start = -1
    for pos in range(0, len(before), BLOCK):
        same = before[pos : pos + BLOCK] == after[pos : pos + BLOCK]
        if not same and start < 0:
            start = pos
        elif same and start >= 0:
            patches.append(_patch(after, start, pos, base))
            start = -1
    if start >= 0:
        patches.append(_patch(after, start, len(after), base))
    return patches


def _patch(after: bytes | bytearray, start: int, end: int, base: int) -> Patch:
    # a Patch writes its head then zeros: trailing zeros need not be kept in memory
    return Patch(base + start, end - start, bytes(after[start:end]).rstrip(b"\0"))
