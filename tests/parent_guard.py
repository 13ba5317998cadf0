"""A tripwire for the sandbox boundary: every model and decoder entry point in this process
records its call and raises. Whatever the sandbox runs is untouched (its workers are fresh
interpreters started by the forkserver, not copies of this one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def forbid_decoders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch the entry points of every model (onnxruntime, cv2.dnn) and every image/video
    decoder (Pillow, pillow-heif, PyAV, OpenCV, zxing) in this process; returns the list of
    calls made to them (each also raises)."""
    import av
    import cv2
    import onnxruntime
    import pillow_heif
    import zxingcpp
    from PIL import Image, ImageFile

    calls: list[str] = []

    def trap(name: str) -> Callable[..., Any]:
        def called(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise RuntimeError(f"{name} ran in the calling process")
        return called

    targets: list[tuple[Any, str]] = [
        (onnxruntime, "InferenceSession"),
        (cv2.dnn, "readNet"), (cv2.dnn, "readNetFromONNX"), (cv2.dnn, "readNetFromCaffe"),
        (cv2, "imread"), (cv2, "imdecode"), (cv2, "VideoCapture"),
        (Image, "open"), (ImageFile.ImageFile, "load"),
        (pillow_heif, "open_heif"), (pillow_heif, "read_heif"),
        (av, "open"),
        (zxingcpp, "read_barcodes"),
    ]
    for owner, attr in targets:
        if hasattr(owner, attr):
            monkeypatch.setattr(owner, attr, trap(f"{getattr(owner, '__name__', owner)}.{attr}"))
    return calls
