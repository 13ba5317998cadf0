"""Video: face tracks between samples, redaction of every frame, audio and rotation kept."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest
from skimage import data

from share_guard.core.analysis.analyzers import FaceAnalyzer, video_faces
from share_guard.core.analysis.tracks import Track, link_tracks
from share_guard.core.containers.base import Source
from share_guard.core.errors import Cancelled
from share_guard.core.media.frames import iter_frames
from share_guard.core.progress import CancelToken, no_progress
from share_guard.core.redaction.video import redact_video_file
from share_guard.core.report import Category, Report

FPS = 12
FACE_SIDE = 160  # the astronaut is pasted at 160x160: her face is at +57,+18 size 27x38


def make_clip(path, *, n=24, size=(240, 320), rotation_cw=90, step=3):
    """A clip whose frames, as displayed, show the astronaut moving right.

    Frames are stored turned back so the container's display rotation shows them
    upright. Returns the true face box (x, y, w, h) in displayed pixels per frame.
    """
    face = cv2.resize(data.astronaut(), (FACE_SIDE, FACE_SIDE))
    dw, dh = size
    sw, sh = (dh, dw) if rotation_cw in (90, 270) else (dw, dh)
    truth = []
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = sw, sh, "yuv420p"
        if rotation_cw:
            v.set_display_rotation(-rotation_cw)
        a = out.add_stream("aac", rate=16000)
        a.layout = "mono"
        for i in range(n):
            img = np.full((dh, dw, 3), 40, np.uint8)
            x, y = 5 + i * step, 60
            img[y : y + FACE_SIDE, x : x + FACE_SIDE] = face
            truth.append((x + 57, y + 18, 27, 38))
            stored = np.ascontiguousarray(np.rot90(img, k=rotation_cw // 90))
            for pkt in v.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")):
                out.mux(pkt)
        for pkt in v.encode(None):
            out.mux(pkt)
        pts = 0
        for k in range(int(16000 * n / FPS) // 1024):
            tone = (np.sin(np.arange(1024) * 0.05 + k) * 8000).astype(np.int16)[None]
            frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 16000, pts
            pts += 1024
            for pkt in a.encode(frame):
                out.mux(pkt)
        for pkt in a.encode(None):
            out.mux(pkt)
    return truth


def audio_packets(path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]


def decoded_audio(path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(f.planes[0]) for f in c.decode(c.streams.audio[0])]


def first_rotation(path) -> int:
    with av.open(str(path)) as c:
        return next(c.decode(c.streams.video[0])).rotation


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    return path, make_clip(path)


def test_every_frame_with_the_face_is_redacted(clip, tmp_path):
    path, truth = clip
    tracks = video_faces(path, sample_fps=4, use_cache=False)
    assert any(t.label == "face" for t in tracks)
    out = tmp_path / "red.mp4"
    result = redact_video_file(path, tracks, "solid", out)
    assert result.frames == len(truth) and result.rotation == 90
    frames = list(iter_frames(out))
    assert len(frames) == len(truth)
    for frame, (x, y, w, h) in zip(frames, truth, strict=True):
        face = frame.image[y + 2 : y + h - 2, x + 2 : x + w - 2]
        assert face.max() < 30, f"frame {frame.index} shows the face"
    # rotation and audio kept: the display matrix, and the very same audio packets
    assert first_rotation(out) == first_rotation(path) == -90
    assert audio_packets(out) == audio_packets(path)
    assert result.audio_packets == len(audio_packets(path))


def test_noisy_style_and_untouched_background(clip, tmp_path):
    path, truth = clip
    tracks = video_faces(path, sample_fps=4)
    out = tmp_path / "noisy.mp4"
    redact_video_file(path, tracks, "noisy", out)
    before, after = list(iter_frames(path)), list(iter_frames(out))
    for a, b, (x, y, w, h) in zip(before, after, truth, strict=True):
        fa, fb = (f.image[y : y + h, x : x + w].astype(int) for f in (a, b))
        assert np.abs(fa - fb).mean() > 20, f"frame {a.index} face still there"
        # far from the face the picture is as it was (one H.264 generation apart)
        corner = (slice(280, 320), slice(0, 60))
        assert np.abs(a.image[corner].astype(int) - b.image[corner]).mean() < 6


def test_face_analyzer_reports_time_ranges(clip):
    path, _ = clip
    report = Report(path=path, kind="video")
    found = list(FaceAnalyzer().analyze(Source(path), report, no_progress, None))
    faces = [f for f in found if f.name == "Faces"]
    assert faces and faces[0].category is Category.PEOPLE and not faces[0].removable
    r = faces[0].to_json()["regions"][0]
    assert r["t_start"] == 0.0 and r["t_end"] >= 1.9
    assert r["box"][0] < 62 and r["box"][0] + r["box"][2] > 145  # spans the motion


def test_cancel_leaves_no_output(clip, tmp_path):
    path, _ = clip
    token = CancelToken()
    token.cancel()
    out = tmp_path / "never.mp4"
    with pytest.raises(Cancelled):
        redact_video_file(path, [], "solid", out, cancel=token)
    assert not out.exists()


def test_track_interpolates_between_samples_and_holds_at_the_ends():
    samples = [
        (0.0, [((0.0, 0.0, 10.0, 10.0), 0.9)]),
        (0.5, [((10.0, 0.0, 20.0, 10.0), 0.8)]),
        (1.0, []),
        (1.5, [((500.0, 500.0, 510.0, 510.0), 0.15)]),
    ]
    tracks = link_tracks(samples, interval=0.5)
    assert [t.label for t in tracks] == ["face", "possible face"]
    t = tracks[0]
    mid = t.box_at(0.25)
    assert mid is not None and mid[0] <= 5.0 and mid[2] >= 15.0
    after = t.box_at(0.75)  # held past the last sample and carried along its motion
    assert after is not None and after[2] >= 25.0 and after[0] <= 10.0
    assert t.box_at(1.2) is None
    assert Track.from_json(t.to_json()) == t


def test_cli_clean_redacts_a_matroska_video(tmp_path, capsys):
    import json

    from share_guard.cli import main as cli_main

    path = tmp_path / "clip.mkv"
    truth = make_clip(path, n=12)
    assert cli_main(["clean", "--redact-faces", "--consent", "--json", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)["files"][0]
    assert any("re-encoded once as H.264" in c for c in result["changed"])
    frames = list(iter_frames(result["output"]))
    assert len(frames) == len(truth)
    for frame, (x, y, w, h) in zip(frames, truth, strict=True):
        assert frame.image[y + 2 : y + h - 2, x + 2 : x + w - 2].max() < 30
    # the sound is not re-encoded: the same packets, except the encoder's banner (an AAC fill
    # element) blanked at the same size, so it decodes to the same samples
    kept, original = audio_packets(result["output"]), audio_packets(path)
    assert [len(p) for p in kept] == [len(p) for p in original]
    assert decoded_audio(result["output"]) == decoded_audio(path)
    assert not any(b"Lavc" in p for p in kept)


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_bad_video_gives_a_clear_error_and_no_output(clip, tmp_path, damage):
    from share_guard.core.errors import ShareGuardError

    path, _ = clip
    body = path.read_bytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(body[: len(body) // 3] if damage == "truncated" else b"\0" * 4096)
    out = tmp_path / "out.mp4"
    try:
        result = redact_video_file(bad, [], "solid", out)
    except ShareGuardError as exc:
        assert "\n" not in str(exc) and str(exc)
        assert not out.exists()
    else:  # a truncated file may still hold whole frames: those come out, and only those
        assert 0 < result.frames < 24


def test_a_redacted_avi_is_named_for_the_matroska_it_became(tmp_path, capsys):
    # The re-encoded copy of an AVI is Matroska: it was written as "clip_clean.avi".
    import json

    from share_guard.cli import main as cli_main

    path = tmp_path / "clip.avi"
    face = cv2.resize(data.astronaut(), (FACE_SIDE, FACE_SIDE))
    with av.open(str(path), "w") as out:  # MPEG-4 Part 2 video, as AVI files usually hold
        v = out.add_stream("mpeg4", rate=FPS)
        v.width, v.height, v.pix_fmt = 240, 320, "yuv420p"
        for _ in range(6):
            img = np.full((320, 240, 3), 40, np.uint8)
            img[60 : 60 + FACE_SIDE, 20 : 20 + FACE_SIDE] = face
            for pkt in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in v.encode(None):
            out.mux(pkt)
    assert cli_main(["clean", "--redact-faces", "--consent", "--json", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)["files"][0]
    assert result["output"] == str(tmp_path / "clip_clean.mkv")
    with open(result["output"], "rb") as fh:
        assert fh.read(4) == b"\x1a\x45\xdf\xa3"  # EBML: Matroska
    assert not (tmp_path / "clip_clean.avi").exists()


@pytest.mark.parametrize("dest, exts, want", [
    ("a_clean.avi", (".mkv", ".mka"), "a_clean.mkv"),
    ("a_clean.MKV", (".mkv",), "a_clean.MKV"),
    ("a_clean.3gp", (".mp4", ".m4a"), "a_clean.mp4"),
    ("a_clean.jpg", (".jpg", ".jpeg"), "a_clean.jpg"),
])
def test_output_extension_follows_the_written_container(dest, exts, want):
    from pathlib import Path

    from share_guard.core.export.pipeline import named_for

    assert named_for(Path("/x") / dest, exts) == Path("/x") / want


def make_bframe_avi(path, n=36):
    """An AVI holding H.264 with B-frames (AVI stamps packets in decode order).

    The astronaut moves right; each frame's background grey level grows with its
    number, so the order frames come back in can be read off their pixels.
    """
    face = cv2.resize(data.astronaut(), (FACE_SIDE, FACE_SIDE))
    truth = []
    with av.open(str(path), "w", format="avi") as out:
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 320, 240, "yuv420p"
        v.options = {"preset": "medium", "bf": "3", "g": "12"}
        for i in range(n):
            img = np.full((240, 320, 3), 30 + 4 * i, np.uint8)
            x, y = 5 + 3 * i, 40
            img[y : y + FACE_SIDE, x : x + FACE_SIDE] = face
            truth.append((x + 57, y + 18, 27, 38))
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for pkt in v.encode(frame):
                out.mux(pkt)
        for pkt in v.encode(None):
            out.mux(pkt)
    return truth


def test_bframe_avi_frames_come_in_display_order_and_redact(tmp_path, capsys):
    import json

    from share_guard.cli import main as cli_main

    path = tmp_path / "bframes.avi"
    truth = make_bframe_avi(path)
    with av.open(str(path)) as c:  # the premise: PyAV's own times are out of order here
        raw = [f.pts for f in c.decode(c.streams.video[0])]
    assert raw != sorted(raw)

    frames = list(iter_frames(path))
    times = [f.time for f in frames]
    assert times == sorted(times) and len(set(times)) == len(truth)
    greys = [int(f.image[-5:, -5:].mean()) for f in frames]
    assert greys == sorted(greys)  # display order: the background only ever gets lighter

    assert cli_main(["clean", "--redact-faces", "--consent", "--json", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)["files"][0]
    assert result["status"] == "cleaned" and result["output"].endswith(".mkv")
    out = list(iter_frames(result["output"]))
    assert len(out) == len(truth)
    for frame, (x, y, w, h) in zip(out, truth, strict=True):
        assert frame.image[y + 2 : y + h - 2, x + 2 : x + w - 2].max() < 30, frame.index
    out_greys = [int(f.image[-5:, -5:].mean()) for f in out]
    assert all(abs(a - b) <= 3 for a, b in zip(out_greys, greys, strict=True))


def test_samples_between_whole_frame_looks_follow_faces_only(clip, monkeypatch):
    # every other sample looks only around the faces found before: less to look at, same tracks
    from share_guard.core.analysis import faces, tracks

    path, truth = clip
    seen: list[tuple[int, int]] = []
    real = faces.FaceDetector.detect

    def spy(self, rgb, **kw):
        seen.append(rgb.shape[:2])
        return real(self, rgb, **kw)

    monkeypatch.setattr(faces.FaceDetector, "detect", spy)
    found = tracks.detect_video_faces(path, sample_fps=6)
    whole = [s for s in seen if s == (320, 240)]
    assert 0 < len(whole) < len(seen) and all(s[0] * s[1] < 320 * 240 for s in seen if s not in whole)
    (face,) = [t for t in found if t.label == "face"]
    for i, (x, y, w, h) in enumerate(truth):
        box = face.box_at(i / FPS)
        assert box is not None and box[0] <= x + 2 and box[2] >= x + w - 2, i
