"""The atheris harnesses under fuzz/ still run (without atheris: their TestOneInput only)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from hostile.mutate import generic
from hostile.seeds import seeds

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
HARNESSES = sorted(p.stem for p in FUZZ.glob("fuzz_*.py"))


def load(name: str):
    sys.path.insert(0, str(FUZZ))
    try:
        spec = importlib.util.spec_from_file_location(f"sg_fuzz_{name}", FUZZ / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FUZZ))
    return module


def test_there_is_a_harness_per_walker() -> None:
    assert {"fuzz_jpeg_segments", "fuzz_tiff_ifd", "fuzz_metadata_text", "fuzz_ebml",
            "fuzz_handlers"} <= set(HARNESSES)
    assert (FUZZ / "README.md").read_text().count("fuzz_") >= len(HARNESSES)


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_runs_on_seeds_and_damage(name: str) -> None:
    harness = load(name)
    rng = random.Random(5)
    inputs = [b"", b"\x00", b"\xff" * 64]
    for _, data in list(seeds().values())[:6]:
        inputs.append(data)
        inputs.extend(blob for _, blob in list(generic(data, rng, flips=3, smashes=3))[:12])
    for data in inputs:
        harness.TestOneInput(data)
