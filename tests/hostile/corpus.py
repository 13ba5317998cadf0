"""Build the malformed corpus on disk: every seed x every mutation, plus wrong extensions."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from hostile.mutate import variants
from hostile.seeds import extension, seeds

MIN_VARIANTS = 500


@dataclass(frozen=True)
class Case:
    seed: str  # seed label ("jpeg", "mp4_3gp4"...)
    handler: str  # handler the valid seed belongs to
    label: str  # mutation label
    path: Path


def fingerprint(path: Path) -> tuple[str, int, int]:
    st = os.stat(path, follow_symlinks=False)
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


def build(folder: Path, minimum: int = MIN_VARIANTS) -> tuple[list[Case], dict[str, tuple[str, bytes]]]:
    """Write the corpus into ``folder``; at least ``minimum`` malformed files."""
    folder.mkdir(parents=True, exist_ok=True)
    found = seeds()
    # Brand-patched ISO-BMFF seeds only for handlers no real seed covers.
    real = {h for label, (h, _) in found.items() if not label.startswith("mp4_")}
    chosen = {k: v for k, v in found.items() if not k.startswith("mp4_") or v[0] not in real}
    per_seed: dict[str, list[tuple[str, bytes]]] = {k: list(variants(d, i)) for i, (k, (_, d)) in
                                                    enumerate(sorted(chosen.items()))}
    total = sum(len(v) for v in per_seed.values()) + 2 * len(chosen)
    extra = 0
    while total < minimum:  # few formats registered yet: more random damage per seed
        extra += 1
        for i, (k, (_, d)) in enumerate(sorted(chosen.items())):
            more = [v for v in variants(d, 1000 * extra + i, flips=24, smashes=12)
                    if v[0].startswith(("flip", "smash"))]
            per_seed[k].extend((f"x{extra}-{label}", data) for label, data in more)
            total += len(more)
    cases: list[Case] = []
    n = 0
    for key, items in sorted(per_seed.items()):
        handler, data = chosen[key]
        ext = extension(handler)
        for label, blob in items:
            n += 1
            path = folder / f"{n:04d}-{key}-{label}{ext}"
            path.write_bytes(blob)
            cases.append(Case(key, handler, label, path))
        swap = ".png" if ext != ".png" else ".jpg"
        for label, wrong in (("wrong-ext-txt", ".txt"), ("wrong-ext-swap", swap)):
            n += 1
            path = folder / f"{n:04d}-{key}-{label}{wrong}"
            path.write_bytes(data)
            cases.append(Case(key, handler, label, path))
    return cases, chosen
