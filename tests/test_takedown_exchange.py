"""List files: share_guard JSON Lines (with checksum trailer) and the formats we import."""

from __future__ import annotations

import hashlib
import json

import pytest

from share_guard.core.hashing.values import HashType, PDQHash
from share_guard.core.hashing.video import FrameHash
from share_guard.core.takedown import NewEntry, TakedownStore
from share_guard.core.takedown.exchange import ListFileError, export_list, import_file

PDQ_A = "ad66d9ec57a0dcb6bf0caa7d8ac4f0bc5d60544e0950aeadcff85a030054b5d5"
PDQ_B = "51187640bdf0d5986e1c0f8708be30fbe12fb3c9d5756a4ce8810aef64d35a6d"
PDQ_C = "302d665bccbdd908707c625fcdad88597164336c5da61423229352a7fb45efb4"
MD5 = "5d41402abc4b2a76b9719d911017c592"
SHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


@pytest.fixture
def publisher(tmp_path):
    with TakedownStore(tmp_path / "pub.sqlite3") as s:
        s.ensure_list("helpline", publisher="Helpline Org")
        frames = (FrameHash(0, 80, PDQHash.from_hex(PDQ_C, 80), 0.0),
                  FrameHash(30, 75, PDQHash.from_hex(PDQ_B, 75), 1.0))
        ids = s.add(
            [
                NewEntry(HashType.PDQ, PDQ_A, 90, "case 1", "report form"),
                NewEntry(HashType.MD5, MD5, label="case 2"),
                NewEntry(HashType.VPDQ, label="clip 3", frames=frames),
                NewEntry(HashType.PDQ, PDQ_B, 70, "case 4"),
            ],
            "helpline",
        )
        s.withdraw(ids=[ids[3]])
        yield s


@pytest.fixture
def subscriber(tmp_path):
    with TakedownStore(tmp_path / "sub.sqlite3") as s:
        yield s


def _snapshot(store):
    return sorted(
        (e.list, e.type.value, e.value, e.quality, e.label, e.source, e.added, e.status)
        for e in store.entries(include_withdrawn=True)
    )


def test_round_trip_keeps_entries_frames_and_tombstones(tmp_path, publisher, subscriber):
    out = tmp_path / "helpline.sgl"
    assert export_list(publisher, "helpline", out) == 4
    lines = out.read_text().splitlines()
    header, trailer = json.loads(lines[0]), json.loads(lines[-1])
    assert header["format"] == "share_guard-takedown-list" and header["version"] == 1
    assert header["publisher"] == "Helpline Org" and header["sequence"] >= 1
    body = out.read_bytes()[: -len(lines[-1]) - 1]
    assert trailer == {"trailer": True, "entries": 4, "sha256": hashlib.sha256(body).hexdigest()}

    result = import_file(subscriber, out)
    assert (result.list_name, result.added, result.withdrawn) == ("helpline", 3, 1)
    assert _snapshot(subscriber) == _snapshot(publisher)
    (clip,) = [e for e in subscriber.entries() if e.type is HashType.VPDQ]
    assert [(f.frame, f.pdq.hex) for f in subscriber.frames(clip.id)] == [(0, PDQ_C), (30, PDQ_B)]
    assert subscriber.list_info("helpline").uid == publisher.list_info("helpline").uid


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace(PDQ_A, PDQ_A[:-1] + "4"),  # one hash digit changed
        lambda t: t.replace('"case 1"', '"case one"'),  # a label changed
        lambda t: t.replace('"withdrawn"', '"active"'),  # a tombstone revived
        lambda t: "\n".join(t.splitlines()[:2] + t.splitlines()[3:]) + "\n",  # entry dropped
        lambda t: "\n".join(t.splitlines()[:-1]) + "\n",  # trailer cut off
        lambda t: t[:-40],  # truncated
    ],
)
def test_tampered_file_rejected_and_store_unchanged(tmp_path, publisher, subscriber, tamper):
    out = tmp_path / "list.sgl"
    export_list(publisher, "helpline", out)
    subscriber.add([NewEntry(HashType.SHA256, SHA, label="already here")])
    before, gen = _snapshot(subscriber), subscriber.generation
    out.write_text(tamper(out.read_text()))
    with pytest.raises(ListFileError):
        import_file(subscriber, out)
    assert _snapshot(subscriber) == before and subscriber.generation == gen


def test_bad_entry_with_valid_checksum_rejected_whole(tmp_path, subscriber):
    """A publisher's own bad hash (checksum fine) still changes nothing."""
    head = json.dumps({"format": "share_guard-takedown-list", "version": 1, "list_id": "u1",
                       "name": "x", "publisher": "p", "sequence": 1}) + "\n"
    good = json.dumps({"type": "pdq", "value": PDQ_A}) + "\n"
    bad = json.dumps({"type": "pdq", "value": "0" * 64}) + "\n"
    body = (head + good + bad).encode()
    trailer = json.dumps({"trailer": True, "entries": 2, "sha256": hashlib.sha256(body).hexdigest()})
    f = tmp_path / "x.sgl"
    f.write_bytes(body + trailer.encode() + b"\n")
    with pytest.raises(ListFileError, match="line 3"):
        import_file(subscriber, f)
    assert list(subscriber.entries(include_withdrawn=True)) == []


def test_older_sequence_refused_newer_applies_withdrawals(tmp_path, publisher, subscriber):
    v1 = tmp_path / "v1.sgl"
    export_list(publisher, "helpline", v1)
    import_file(subscriber, v1)
    case1 = next(e for e in publisher.entries() if e.label == "case 1")
    publisher.withdraw(ids=[case1.id])
    v2 = tmp_path / "v2.sgl"
    export_list(publisher, "helpline", v2)
    import_file(subscriber, v2)
    assert "case 1" not in {e.label for e in subscriber.entries()}
    with pytest.raises(ListFileError, match="older"):
        import_file(subscriber, v1)
    assert "case 1" not in {e.label for e in subscriber.entries()}


def test_export_never_overwrites(tmp_path, publisher):
    out = tmp_path / "exists.sgl"
    out.write_text("keep me")
    with pytest.raises(ListFileError, match="already exists"):
        export_list(publisher, "helpline", out)
    assert out.read_text() == "keep me"


@pytest.mark.parametrize(
    ("text", "kwargs", "fmt", "expected"),
    [
        (f"pdq {PDQ_A}\npdq {PDQ_B}\n", {}, "threatexchange", {("pdq", PDQ_A), ("pdq", PDQ_B)}),
        (
            f"signal_type,signal_str,tags\npdq,{PDQ_A},csam\nvideo_md5,{MD5.upper()},x\n",
            {},
            "csv",
            {("pdq", PDQ_A), ("md5", MD5)},
        ),
        (
            f"# my list\n{PDQ_A}\n{PDQ_B}\n",
            {"hash_type": HashType.PDQ},
            "hex",
            {("pdq", PDQ_A), ("pdq", PDQ_B)},
        ),
        (f"{SHA}\n", {"hash_type": HashType.SHA256}, "hex", {("sha256", SHA)}),
        (f"{MD5}\n", {}, "hex", {("md5", MD5)}),
        (f"0,100,{PDQ_A},0\n1,90,{PDQ_B},0.033\n", {}, "vpdq", None),
    ],
)
def test_import_other_formats(tmp_path, subscriber, text, kwargs, fmt, expected):
    f = tmp_path / "in.txt"
    f.write_text(text)
    result = import_file(subscriber, f, list_name="ext", **kwargs)
    assert result.format == fmt
    got = {(e.type.value, e.value) for e in subscriber.entries("ext")}
    if expected is None:
        (entry,) = subscriber.entries("ext")
        assert entry.type is HashType.VPDQ and entry.label == "in"
        assert [f.pdq.hex for f in subscriber.frames(entry.id)] == [PDQ_A, PDQ_B]
    else:
        assert got == expected
        assert all(e.source == "in.txt" for e in subscriber.entries("ext"))


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        (f"pdq {PDQ_A}\npdq nothex\n", {}, "hex digits"),
        (f"{PDQ_A}\n", {}, "say which"),
        ("signal_type,signal_str\nsha1,abc\n", {}, "unknown signal type"),
        (f"0,100,{PDQ_A},0\n1,900,{PDQ_B},0.1\n", {}, "out of range"),
        ("", {}, "empty"),
    ],
)
def test_bad_imports_change_nothing(tmp_path, subscriber, text, kwargs, message):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(ListFileError, match=message):
        import_file(subscriber, f, **kwargs)
    assert list(subscriber.entries(include_withdrawn=True)) == []


def test_endless_input_is_refused_within_the_size_cap(subscriber, monkeypatch):
    """/dev/zero (size 0 to stat) was read whole: import never ended and ate all memory."""
    monkeypatch.setattr("share_guard.core.takedown.exchange.MAX_FILE_BYTES", 1 << 20)
    with pytest.raises(ListFileError, match="larger than"):
        import_file(subscriber, "/dev/zero")
    assert list(subscriber.entries(include_withdrawn=True)) == []
