"""Assertions shared by the round-trip tests: an independent reader, pixel identity, and the
two ways a test cleans a file (a handler's strip alone, or the whole consented export)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from witness import Witness

from share_guard.core.containers import Source, detect
from share_guard.core.containers.base import StripResult
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.engine.engine import Engine
from share_guard.core.export.consent import (
    CONFIRMATIONS,
    ConsentAnswer,
    ConsentChannel,
    ConsentHook,
    ConsentRequest,
    refuse,
)
from share_guard.core.export.pipeline import ExportOptions, ExportResult


def consent_yes(request: ConsentRequest) -> ConsentAnswer:
    return ConsentAnswer(True, tuple(CONFIRMATIONS), via=ConsentChannel.DIALOG)


def in_process_engine(**features: object) -> Engine:
    """The engine the front ends build, reading files in this process (tests may patch the
    core), with no face or takedown check unless asked."""
    settings: dict[str, object] = {"isolated": False, "faces": False, "takedown": False}
    settings.update(features)
    return build_engine(Features(**settings))  # type: ignore[arg-type]


def clean_files(paths: list[Path], options: ExportOptions, consent: ConsentHook = refuse,
                **kw: object) -> list[ExportResult]:
    """The whole consented export (plan, consent, write, verify, record) through an
    in-process engine; the results, one per file."""
    return in_process_engine().export(paths, options, consent, **kw).results  # type: ignore[arg-type]


def export_consented(path: Path, out_dir: Path) -> Path:
    """Clean through the real export pipeline (consent given, output verified by re-inspection)."""
    [result] = clean_files([path], ExportOptions(output_dir=out_dir), consent=consent_yes)
    assert result.ok, result.reason
    assert result.output is not None
    return result.output


def strip_to(path: Path, out: Path) -> StripResult:
    """Only the handler's strip, written to ``out`` (no consent, no verification)."""
    src = Source(path)
    handler = detect(src.head)
    with open(out, "wb") as fh:
        return handler.strip(src, fh)


def assert_witness_clean(witness: Witness, path: Path, planted: list[str]) -> None:
    """The independent witness must not read any of the planted values in the output."""
    text = witness.text(path)
    leaked = [v for v in planted if v in text]
    assert not leaked, f"{witness.name} still reads {leaked} in {path.name}"


def displayed_pixels(path: Path) -> list[np.ndarray]:
    """Every frame as displayed (orientation applied)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    frames = []
    with Image.open(path) as img:
        for i in range(getattr(img, "n_frames", 1)):
            img.seek(i)
            frames.append(np.asarray(ImageOps.exif_transpose(img.convert("RGBA")
                                                             if img.mode == "P" else img.copy())))
    return frames


def assert_same_pixels(a: Path, b: Path) -> None:
    fa, fb = displayed_pixels(a), displayed_pixels(b)
    assert len(fa) == len(fb), "frame count changed"
    for x, y in zip(fa, fb, strict=True):
        assert x.shape == y.shape, f"size or orientation changed: {x.shape} vs {y.shape}"
        assert np.array_equal(x, y), "pixels changed"


def digest(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns
