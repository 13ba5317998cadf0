"""Matching files against the takedown list: images, videos, index, analyzer wiring."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from share_guard.core.hashing.values import HashType, PDQHash
from share_guard.core.inspect import InspectOptions, inspect
from share_guard.core.report import Category, Severity
from share_guard.core.takedown import Matcher, NewEntry, TakedownAnalyzer, TakedownStore
from share_guard.core.takedown import entries_for_file as hash_file
from share_guard.core.takedown.match import MATCH, POSSIBLE, classify

skdata = pytest.importorskip("skimage.data")

ASTRONAUT = np.ascontiguousarray(skdata.astronaut())
COFFEE = np.ascontiguousarray(skdata.coffee())
CAMERA = np.stack([skdata.camera()] * 3, -1)


def _save(path, rgb, **kw):
    Image.fromarray(np.ascontiguousarray(rgb)).save(path, **kw)
    return path


@pytest.fixture
def store(tmp_path):
    with TakedownStore(tmp_path / "list.sqlite3") as s:
        yield s


@pytest.fixture
def listed(tmp_path, store):
    """The astronaut photo on the list (hashes only), plus an unrelated entry."""
    src = _save(tmp_path / "listed.png", ASTRONAUT)
    store.add(hash_file(src, label="case 7", source="helpline"), "family")
    store.add(hash_file(_save(tmp_path / "other.png", CAMERA), label="other"), "family")
    return store


@pytest.mark.parametrize(("kind", "distance", "expected"), [
    (HashType.PDQ, 0, MATCH), (HashType.PDQ, 31, MATCH), (HashType.PDQ, 32, POSSIBLE),
    (HashType.PDQ, 52, POSSIBLE), (HashType.PDQ, 53, None),
    (HashType.PHASH, 8, MATCH), (HashType.PHASH, 10, POSSIBLE), (HashType.PHASH, 11, None),
])
def test_thresholds(kind, distance, expected):
    assert classify(kind, distance) == expected


def test_edited_copy_matches_with_entry_details(tmp_path, listed):
    edited = np.asarray(Image.fromarray(ASTRONAUT).resize((300, 300)).rotate(90, expand=True))
    path = _save(tmp_path / "q.jpg", edited, quality=40)
    (m, *_rest) = Matcher(listed).check_file(path)
    assert m.is_match and m.entry.label == "case 7" and m.entry.source == "helpline"
    assert m.hash_type in (HashType.PDQ, HashType.PHASH) and m.distance <= 31
    assert m.entry.list == "family" and m.entry.added


def test_exact_copy_matches_by_bytes(tmp_path, listed):
    matches = Matcher(listed).check_file(tmp_path / "listed.png")
    kinds = {(m.hash_type, m.distance) for m in matches}
    assert (HashType.SHA256, 0) in kinds and (HashType.MD5, 0) in kinds


def test_unrelated_photo_does_not_match(tmp_path, listed):
    assert Matcher(listed).check_file(_save(tmp_path / "coffee.jpg", COFFEE)) == []


def test_withdrawn_entry_no_longer_matches(tmp_path, listed):
    query = _save(tmp_path / "q.jpg", ASTRONAUT[:, ::-1], quality=70)
    matcher = Matcher(listed)
    assert any(m.is_match for m in matcher.check_file(query))
    item = next(e.item for e in listed.entries() if e.label == "case 7")
    listed.withdraw(items=[item])
    assert matcher.check_file(query) == []  # same matcher: its cached index is refreshed


def test_low_quality_hashes_are_ignored(tmp_path, store):
    flat = np.full((200, 200, 3), 128, np.uint8)
    flat[:, 100:] = 129  # almost blank: PDQ quality far below 50
    src = _save(tmp_path / "flat.png", flat)
    store.add(hash_file(src, label="flat"))
    pdq = [e for e in store.entries() if e.type is HashType.PDQ]
    assert pdq and all(e.quality < 50 for e in pdq)
    other = flat.copy()
    other[0, 0] = 0  # different bytes, same flat picture
    matches = Matcher(store).check_file(_save(tmp_path / "flat2.png", other))
    assert all(m.hash_type is not HashType.PDQ for m in matches)


def test_possible_match_is_reported_as_such(store, tmp_path):
    query = _save(tmp_path / "q.png", COFFEE)
    from share_guard.core.hashing.image import hash_image

    h = hash_image(query, queries=False).pdq
    near = h.value ^ sum(1 << i for i in range(0, 256, 6))  # 43 bits flipped
    store.add([NewEntry(HashType.PDQ, PDQHash(near).hex, 90, "near")])
    (m,) = Matcher(store).check_file(query)
    assert m.strength == POSSIBLE and 32 <= m.distance <= 52


def test_analyzer_reports_match_through_inspect(tmp_path, listed):
    query = _save(tmp_path / "shared.jpg", ASTRONAUT[::-1], quality=80)
    report = inspect(query, InspectOptions(analyzers=[TakedownAnalyzer(listed)]))
    (f,) = [f for f in report.by_category(Category.TAKEDOWN) if f.detail["match"] == MATCH][:1]
    assert f.severity is Severity.CRITICAL and f.removable is False
    assert f.value == "case 7"
    assert {"label", "source", "added", "hash_type", "distance", "list"} <= set(f.detail)
    assert "not proof" in f.explanation
    assert report.summary() == "blocked by takedown list"
    js = f.to_json()
    assert js["detail"]["hash_type"] in ("pdq", "phash") and js["detail"]["distance"] <= 31


def test_analyzer_without_a_list_reports_nothing_and_creates_nothing(tmp_path):
    query = _save(tmp_path / "x.jpg", ASTRONAUT)
    analyzer = TakedownAnalyzer(data_dir=tmp_path / "data")
    report = inspect(query, InspectOptions(analyzers=[analyzer]))
    assert not report.has(Category.TAKEDOWN)
    assert not (tmp_path / "data" / "takedown.sqlite3").exists()


# -- video ---------------------------------------------------------------------------------


def _write_video(path, frames, fps=10):
    av = pytest.importorskip("av")
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.bit_rate = 2_000_000
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _pan(photo, n=30, size=(160, 120)):
    """A short clip panning across a photo: every frame differs."""
    w, h = size
    frames = []
    for i in range(n):
        x = int(i * (photo.shape[1] - 2 * w) / n)
        crop = photo[100 : 100 + 2 * h, x : x + 2 * w]
        frames.append(np.asarray(Image.fromarray(crop).resize(size)))
    return frames


@pytest.fixture
def listed_video(tmp_path, store):
    pytest.importorskip("share_guard.core.media.frames")
    clip = _write_video(tmp_path / "clip.mp4", _pan(ASTRONAUT))
    entries = hash_file(clip, label="clip 1", source="helpline")
    assert {e.type for e in entries} == {HashType.SHA256, HashType.MD5, HashType.VPDQ}
    store.add(entries)
    return store


def _letterbox(frame):
    h, w = frame.shape[:2]
    out = np.zeros((h, w * 16 // 9 * 3 // 4 + w // 3, 3), np.uint8)
    x = (out.shape[1] - w) // 2
    out[:, x : x + w] = frame
    return out[:, : out.shape[1] // 2 * 2]


@pytest.mark.parametrize("variant", ["bigger", "letterbox"])
def test_reencoded_video_matches(tmp_path, listed_video, variant):
    frames = _pan(ASTRONAUT)
    if variant == "bigger":
        frames = [np.asarray(Image.fromarray(f).resize((320, 240))) for f in frames]
    else:
        frames = [_letterbox(f) for f in frames]
    query = _write_video(tmp_path / f"{variant}.mp4", frames, fps=10)
    matches = Matcher(listed_video).check_file(query)
    assert [m.hash_type for m in matches] == [HashType.VPDQ] and matches[0].is_match
    assert matches[0].entry.label == "clip 1"


def test_unrelated_video_does_not_match(tmp_path, listed_video):
    query = _write_video(tmp_path / "other.mp4", _pan(COFFEE))
    assert Matcher(listed_video).check_file(query) == []


def test_only_the_work_the_list_needs(tmp_path, store, monkeypatch):
    import share_guard.core.takedown.match as match_mod

    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 5000)
    store.add([NewEntry(HashType.PDQ, "ad66d9ec57a0dcb6bf0caa7d8ac4f0bc5d60544e0950aeadcff85a030054b5d5")])
    calls = []
    monkeypatch.setattr(match_mod, "file_digests", lambda p: calls.append(p) or {})
    assert Matcher(store).check_file(junk, "video") == []  # no vPDQ: the video is not decoded
    assert calls == []  # no digest entries: the bytes are not hashed
    store.add([NewEntry(HashType.MD5, "5d41402abc4b2a76b9719d911017c592")])
    assert Matcher(store).check_file(junk, "video") == [] and calls == [junk]


def test_flat_pictures_never_match_each_other(tmp_path):
    """pHash of a flat picture is nearly constant; such pictures must not match at all."""
    from PIL import Image

    from share_guard.core.takedown.hashfile import entries_for_file
    from share_guard.core.takedown.match import Matcher
    from share_guard.core.takedown.store import TakedownStore

    red, green = tmp_path / "red.jpg", tmp_path / "green.jpg"
    Image.new("RGB", (320, 240), (200, 30, 30)).save(red, "JPEG")
    Image.new("RGB", (320, 240), (30, 200, 30)).save(green, "JPEG")
    store = TakedownStore(tmp_path / "list.sqlite3")
    store.add(entries_for_file(red, label="flat"))
    assert Matcher(store).check_file(green) == []
    assert [m.strength for m in Matcher(store).check_file(red)] == ["match"] * 2  # sha256 + md5
