"""The SQLite takedown store: lists, entries, validation, tombstones, data folder."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from PIL import Image

from share_guard.core.hashing.values import HashType, MalformedHash, PDQHash
from share_guard.core.hashing.video import FrameHash
from share_guard.core.paths import data_dir
from share_guard.core.takedown import NewEntry, TakedownStore, entries_for_file
from share_guard.core.takedown.store import DB_NAME, StoreError

PDQ_A = "ad66d9ec57a0dcb6bf0caa7d8ac4f0bc5d60544e0950aeadcff85a030054b5d5"
PDQ_B = "51187640bdf0d5986e1c0f8708be30fbe12fb3c9d5756a4ce8810aef64d35a6d"


@pytest.fixture
def store(tmp_path):
    with TakedownStore(tmp_path / "list.sqlite3") as s:
        yield s


def test_default_path_is_in_the_data_folder():
    with TakedownStore() as s:
        assert s.path == data_dir() / DB_NAME
        assert s.path.exists()


def test_add_list_and_fields(store):
    (eid,) = store.add([NewEntry(HashType.PDQ, PDQ_A.upper(), 88, "case 12", "helpline")])
    (e,) = list(store.entries())
    assert (e.id, e.type, e.value, e.quality, e.label, e.source, e.status, e.list) == (
        eid, HashType.PDQ, PDQ_A, 88, "case 12", "helpline", "active", "default",
    )
    assert e.added.endswith("Z") and e.item


def test_named_lists_are_separate(store):
    store.add([NewEntry(HashType.PDQ, PDQ_A)], "family")
    store.add([NewEntry(HashType.PDQ, PDQ_A)], "newsroom")
    store.add([NewEntry(HashType.MD5, "5d41402abc4b2a76b9719d911017c592")], "newsroom")
    info = {i.name: i for i in store.lists()}
    assert info["family"].active == 1 and info["newsroom"].active == 2
    assert info["family"].uid != info["newsroom"].uid
    assert [e.type for e in store.entries("newsroom")] == [HashType.PDQ, HashType.MD5]


@pytest.mark.parametrize(
    "entry",
    [
        NewEntry(HashType.PDQ, "ab" * 31),
        NewEntry(HashType.PDQ, "xy" * 32),
        NewEntry(HashType.PDQ, "0" * 64),
        NewEntry(HashType.SHA256, "abc"),
        NewEntry(HashType.MD5, "0" * 32),
        NewEntry(HashType.PHASH, "f" * 15),
        NewEntry(HashType.PDQ, PDQ_A, quality=101),
        NewEntry(HashType.PDQ, PDQ_A, status="maybe"),
        NewEntry(HashType.VPDQ),
    ],
)
def test_malformed_entries_rejected_and_nothing_added(store, entry):
    with pytest.raises(MalformedHash):
        store.add([NewEntry(HashType.PDQ, PDQ_B), entry])
    assert list(store.entries(include_withdrawn=True)) == []


def test_withdraw_keeps_a_tombstone_and_readding_revives(store):
    ids = store.add([NewEntry(HashType.PDQ, PDQ_A), NewEntry(HashType.PDQ, PDQ_B)])
    gen = store.generation
    assert store.withdraw(ids=[ids[0]]) == 1
    assert store.generation > gen
    assert [e.value for e in store.entries()] == [PDQ_B]
    tomb = [e for e in store.entries(include_withdrawn=True) if e.status == "withdrawn"]
    assert [e.value for e in tomb] == [PDQ_A]
    assert store.withdraw(ids=[ids[0]]) == 0  # already withdrawn
    assert store.add([NewEntry(HashType.PDQ, PDQ_A)]) == [ids[0]]
    assert len(list(store.entries())) == 2


def test_duplicate_add_keeps_one_row(store):
    a = store.add([NewEntry(HashType.PDQ, PDQ_A, label="first")])
    b = store.add([NewEntry(HashType.PDQ, PDQ_A, label="second")])
    assert a == b and [e.label for e in store.entries()] == ["first"]


def test_vpdq_entry_stores_frames(store):
    h = PDQHash.from_hex(PDQ_A, 90)
    frames = (FrameHash(0, 90, h, 0.0), FrameHash(5, 70, PDQHash(h.value ^ 1, 70), 0.2))
    (eid,) = store.add([NewEntry(HashType.VPDQ, label="clip", frames=frames)])
    got = store.frames(eid)
    assert [(f.frame, f.quality, f.pdq.hex, f.time) for f in got] == [
        (0, 90, PDQ_A, 0.0), (5, 70, PDQHash(h.value ^ 1).hex, 0.2),
    ]


def test_add_from_file_keeps_only_hashes(tmp_path, store):
    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(3)
    img = np.kron(rng.integers(0, 255, (24, 32, 3)), np.ones((8, 8, 1))).astype(np.uint8)
    Image.fromarray(img).save(photo)
    before = sorted(p.name for p in store.path.parent.iterdir())
    store.add(entries_for_file(photo, label="mine", source="me"))
    kinds = sorted(e.type.value for e in store.entries())
    assert kinds == ["md5", "pdq", "phash", "sha256"]
    assert len({e.item for e in store.entries()}) == 1
    # Nothing but the database (and its journal) appeared: the photo was not copied.
    after = sorted(p.name for p in store.path.parent.iterdir())
    assert set(after) - set(before) <= {DB_NAME + "-wal", DB_NAME + "-shm", "photo.png"}
    raw = b"".join(p.read_bytes() for p in store.path.parent.glob("list.sqlite3*"))
    assert photo.read_bytes()[:64] not in raw
    item = next(store.entries()).item
    assert store.withdraw(items=[item]) == 4


def test_unreadable_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        TakedownStore(bad)


def test_schema_rejects_unknown_type_even_via_sql(store):
    list_id = store.ensure_list("x")
    sql = ("INSERT INTO entries (list_id, item, type, value, added, changed)"
           " VALUES (?, 'x', ?, 'abc', 'now', 'now')")
    store._db.execute(sql, (list_id, "md5"))  # the statement itself is fine
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        store._db.execute(sql, (list_id, "sha1"))


def test_store_shared_between_threads(store):
    import threading

    rng = np.random.default_rng(9)
    values = [rng.bytes(32).hex() for _ in range(60)]
    errors: list[BaseException] = []

    def writer(chunk):
        try:
            for v in chunk:
                store.add([NewEntry(HashType.PDQ, v)])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def reader():
        try:
            for _ in range(30):
                list(store.entries())
                store.count_active()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(values[i::2],)) for i in range(2)]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.count_active() == 60
