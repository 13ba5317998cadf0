"""`clean --remove-sound`: copies with no audio stream, the video's frames identical, every
container we clean; consent says so; the copy is proved like every copy."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from video_fixtures import decoded, frame_image, make_video

from share_guard.cli import main
from share_guard.core.containers.base import Source
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.export.consent import ConsentAnswer, ConsentChannel
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.export.sound import SOUND, RemoveSound, mute_plan
from share_guard.core.inspect import inspect

CASES = [  # (extension, PyAV container, video codec, audio codec)
    ("mp4", "mp4", "libx264", "aac"),
    ("mov", "mov", "libx264", "aac"),
    ("mkv", "matroska", "libx264", "aac"),
    ("webm", "webm", "libvpx-vp9", "libopus"),
    ("avi", "avi", "mpeg4", "mp3"),
]


def streams(path: Path) -> list[str]:
    """Stream types as a player sees them (ffprobe when installed, else PyAV)."""
    if shutil.which("ffprobe"):
        out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                             capture_output=True, text=True, check=True).stdout
        return [s["codec_type"] for s in json.loads(out)["streams"]]
    with av.open(str(path)) as c:
        return [s.type for s in c.streams]


def video_frames(path: Path) -> list[tuple[str, int | None, str]]:
    return [f for f in decoded(path) if f[0] == "video"]


def audio_first_avi(path: Path) -> Path:
    """An AVI whose audio is stream 0: muting it numbers the video stream again."""
    out = av.open(str(path), "w", format="avi")
    aus = out.add_stream("pcm_s16le", rate=8000)
    aus.layout = "mono"
    vs = out.add_stream("mpeg4", rate=10)
    vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
    for i in range(10):
        frame = av.VideoFrame.from_ndarray(frame_image(i), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, 10)
        out.mux(vs.encode(frame))
        sound = av.AudioFrame.from_ndarray(np.full((1, 800), 1000 * i, np.int16), format="s16",
                                           layout="mono")
        sound.sample_rate, sound.pts = 8000, i * 800
        out.mux(aus.encode(sound))
    out.mux(vs.encode())
    out.mux(aus.encode())
    out.close()
    return path


def _yes(request):
    return ConsentAnswer(True, tuple(request.confirmations), ConsentChannel.FLAG)


@pytest.mark.parametrize(("ext", "container", "vcodec", "acodec"), CASES)
def test_clean_remove_sound_gives_a_copy_without_audio(tmp_path, capsys, ext, container, vcodec,
                                                       acodec):
    src = make_video(tmp_path / f"talk.{ext}", container=container, vcodec=vcodec, acodec=acodec)
    assert "audio" in streams(src)
    out = tmp_path / "out"
    code = main(["--data-dir", str(tmp_path / "data"), "clean", "--consent", "--no-faces",
                 "--no-isolation", "--remove-sound", "--json", "-o", str(out), str(src)])
    doc = json.loads(capsys.readouterr().out)
    result = doc["files"][0]
    assert code == 0, result
    copy = Path(result["output"])
    assert streams(copy) == ["video"]
    assert video_frames(copy) == video_frames(src)  # not re-encoded: every frame identical
    assert any(c.startswith("sound removed: 1 audio track") for c in result["changed"])
    assert result["accounting"]  # proved byte by byte like every copy
    assert copy.stat().st_size == src.stat().st_size  # in place: nothing moved


def test_audio_first_avi_numbers_the_video_again(tmp_path):
    src = audio_first_avi(tmp_path / "first.avi")
    assert streams(src) == ["audio", "video"]
    engine = build_engine(Features(faces=False, takedown=False, isolated=False,
                                   data_dir=tmp_path / "data"))
    outcome = engine.export([src], ExportOptions(output_dir=tmp_path, transforms=[RemoveSound()]),
                            _yes)
    result = outcome.results[0]
    assert result.ok, result.reason
    assert streams(result.output) == ["video"]
    assert video_frames(result.output) == video_frames(src)


def test_fragmented_mp4_loses_its_audio_fragments(tmp_path):
    src = make_video(tmp_path / "frag.mp4", container="mp4", options={
        "movflags": "frag_keyframe+empty_moov"}, gop=3)
    plan = mute_plan(Source(src))
    assert plan.tracks == 1 and plan.pieces > 0
    engine = build_engine(Features(faces=False, takedown=False, isolated=False,
                                   data_dir=tmp_path / "data"))
    outcome = engine.export([src], ExportOptions(output_dir=tmp_path, transforms=[RemoveSound()]),
                            _yes)
    result = outcome.results[0]
    assert result.ok, result.reason
    assert streams(result.output) == ["video"]
    assert video_frames(result.output) == video_frames(src)


def test_consent_says_the_sound_goes_and_photos_pass_through(tmp_path):
    from PIL import Image

    video = make_video(tmp_path / "v.mkv")
    photo = tmp_path / "p.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(photo)
    engine = build_engine(Features(faces=False, takedown=False, isolated=False,
                                   data_dir=tmp_path / "data"))
    asked = []

    def consent(request):
        asked.append(request)
        return _yes(request)

    (tmp_path / "o").mkdir()
    outcome = engine.export([video, photo], ExportOptions(output_dir=tmp_path / "o",
                                                          transforms=[RemoveSound()]), consent)
    items = {item.name: item for item in asked[0].items}
    assert SOUND in items["v.mkv"].will_remove
    assert SOUND not in items["p.png"].will_remove
    assert [r.ok for r in outcome.results] == [True, True]


def test_a_silent_video_is_copied_as_it_is(tmp_path):
    src = make_video(tmp_path / "quiet.mkv", acodec=None)
    report = inspect(src)
    assert RemoveSound().covers(report).removes == ()
    assert mute_plan(Source(src)).tracks == 0
