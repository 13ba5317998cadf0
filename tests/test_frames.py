"""Frame access: every frame or a sampled rate, rotation applied, bounded, cancellable."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from share_guard.core.errors import Cancelled, CorruptFile, LimitExceeded, UnsupportedFormat
from share_guard.core.media import frames
from share_guard.core.media.frames import iter_frames, video_info
from share_guard.core.progress import CancelToken
from tests.video_fixtures import H, W, make_video


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("frames")
    return {
        "mkv90": make_video(d / "r90.mkv", rotation=90, frames=30, gop=5),
        "mp4": make_video(d / "plain.mp4", container="mp4", frames=30, gop=5),
        "mp4_180": make_video(d / "r180.mp4", container="mp4", rotation=180, frames=3,
                              acodec=None),
        "mp4_270": make_video(d / "r270.mp4", container="mp4", rotation=270, frames=3,
                              acodec=None),
        "webm": make_video(d / "v.webm", container="webm", vcodec="libvpx-vp9",
                           acodec="libopus", frames=10),
        "avi": make_video(d / "v.avi", container="avi", vcodec="mjpeg", acodec="pcm_s16le",
                          frames=10),
        "long": make_video(d / "long.mp4", container="mp4", frames=300, rate=25, gop=25,
                           acodec=None),
    }


@pytest.mark.parametrize(
    ("key", "size", "rotation", "frame_count", "audio", "codec"),
    [
        ("mkv90", (H, W), 90, 30, True, "h264"),
        ("mp4", (W, H), 0, 30, True, "h264"),
        ("mp4_180", (W, H), 180, 3, False, "h264"),
        ("mp4_270", (H, W), 270, 3, False, "h264"),
        ("webm", (W, H), 0, 10, True, "vp9"),
        ("avi", (W, H), 0, 10, True, "mjpeg"),
    ],
)
def test_video_info(videos, key, size, rotation, frame_count, audio, codec) -> None:
    info = video_info(videos[key])
    assert (info.width, info.height) == size
    assert info.rotation == rotation
    assert info.frame_count == frame_count
    assert info.fps == pytest.approx(10.0)
    assert info.duration == pytest.approx(frame_count / 10, abs=0.11)
    assert (info.has_audio, info.video_codec) == (audio, codec)


def _grey(image: np.ndarray) -> float:
    """Mean level below the red bar (the bar is on the right after a 90-degree turn)."""
    h, w, _ = image.shape
    return float(image[h // 2 :, : w // 2].mean())


@pytest.mark.parametrize("key", ["mp4", "mkv90", "webm", "avi"])
def test_every_frame_in_order(videos, key) -> None:
    got = list(iter_frames(videos[key]))
    n = video_info(videos[key]).frame_count
    assert [f.index for f in got] == list(range(n))
    assert [f.time for f in got] == pytest.approx([i / 10 for i in range(n)], abs=1e-3)
    for f in got:
        assert f.image.dtype == np.uint8 and f.image.flags["C_CONTIGUOUS"]
        assert abs(_grey(f.image) - (20 + 8 * f.index)) < 8, f.index  # the right frame


@pytest.mark.parametrize(
    ("key", "red_side"),
    [("mp4", "top"), ("mkv90", "right"), ("mp4_180", "bottom"), ("mp4_270", "left")],
)
def test_rotation_applied(videos, key, red_side) -> None:
    image = next(iter_frames(videos[key])).image
    edges = {"top": image[:2], "bottom": image[-2:], "left": image[:, :2], "right": image[:, -2:]}
    for side, pixels in edges.items():
        red = pixels[..., 0].mean() > 200 and pixels[..., 1].mean() < 60
        assert red == (side == red_side), side


def test_rotation_matches_ffmpeg_autorotate(videos) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg not installed")
    raw = subprocess.run([ffmpeg, "-v", "error", "-i", str(videos["mkv90"]), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    ours = next(iter_frames(videos["mkv90"])).image
    theirs = np.frombuffer(raw, np.uint8).reshape(ours.shape)
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 3


def test_fps_sampling(videos) -> None:
    got = list(iter_frames(videos["mp4"], fps=2))
    assert [f.time for f in got] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], abs=1e-3)
    assert [f.index for f in got] == [0, 5, 10, 15, 20, 25]


def test_sparse_sampling_seeks_and_skips_conversion(videos, monkeypatch) -> None:
    seeks, decoded, converted = [], [0], [0]
    real_decode, real_image = frames._decode, frames._to_image

    def counting_decode(container, stream, seek_pts):
        if seek_pts is not None:
            seeks.append(seek_pts)
        for frame in real_decode(container, stream, seek_pts):
            decoded[0] += 1
            yield frame

    def counting_image(*args):
        converted[0] += 1
        return real_image(*args)

    monkeypatch.setattr(frames, "_decode", counting_decode)
    monkeypatch.setattr(frames, "_to_image", counting_image)
    got = list(iter_frames(videos["long"], fps=0.25))  # 12 s at 25 fps, a keyframe each second
    assert [f.time for f in got] == pytest.approx([0.0, 4.0, 8.0], abs=1e-3)
    assert [f.index for f in got] == [0, 100, 200]
    assert converted[0] == 3
    assert len(seeks) == 2
    assert decoded[0] < 120  # far fewer than the 300 frames of the file


def test_start_end_window(videos) -> None:
    got = list(iter_frames(videos["long"], start=4.0, end=5.0, fps=4))
    assert [f.time for f in got] == pytest.approx([4.0, 4.25, 4.5, 4.75, 5.0], abs=0.04)
    assert got[0].index == 100


def test_downscale_keeps_aspect(videos) -> None:
    got = next(iter_frames(videos["mp4"], max_pixels=800))
    h, w, _ = got.image.shape
    assert h * w <= 800 and w / h == pytest.approx(W / H, rel=0.1)
    rotated = next(iter_frames(videos["mkv90"], max_pixels=800)).image
    assert rotated.shape[0] > rotated.shape[1]


def test_decode_size_cap(videos, monkeypatch) -> None:
    monkeypatch.setattr(frames, "MAX_DECODE_SIDE", 32)
    with pytest.raises(LimitExceeded):
        next(iter_frames(videos["mp4"]))
    with pytest.raises(LimitExceeded):
        video_info(videos["mp4"])


def test_cancel(videos) -> None:
    token = CancelToken()
    it = iter_frames(videos["long"], cancel=token)
    next(it)
    token.cancel()
    with pytest.raises(Cancelled):
        next(it)


def test_invalid_fps(videos) -> None:
    with pytest.raises(ValueError):
        next(iter_frames(videos["mp4"], fps=0))


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        s = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        out.mux(s.encode(frame))
        out.mux(s.encode())
    return path


@pytest.mark.parametrize(
    ("name", "make", "error"),
    [
        ("garbage", lambda p, v: p.write_bytes(b"\x00\x01garbage" * 100), CorruptFile),
        ("truncated", lambda p, v: p.write_bytes(v["mkv90"].read_bytes()[:6000]), CorruptFile),
        ("head only", lambda p, v: p.write_bytes(v["mp4"].read_bytes()[:300]), CorruptFile),
        ("no video", lambda p, v: _audio_only(p), UnsupportedFormat),
        ("missing", lambda p, v: None, UnsupportedFormat),
    ],
)
def test_bad_files_one_line_error(videos, tmp_path, name, make, error) -> None:
    path = tmp_path / ("bad.wav" if name == "no video" else "bad.mkv")
    make(path, videos)
    with pytest.raises(error) as exc:
        list(iter_frames(path))
    assert "\n" not in str(exc.value) and 0 < len(str(exc.value)) < 200
