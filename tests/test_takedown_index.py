"""The takedown index: exact radius search against brute force, the shared file, its cache key."""

from __future__ import annotations

import mmap
import os
import pickle
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

import share_guard.core.takedown.index as index_mod
from share_guard.core.hashing.values import HashType, PDQHash
from share_guard.core.takedown import Matcher, NewEntry, TakedownAnalyzer, TakedownStore
from share_guard.core.takedown.index import HashIndex, brute_force, query_array
from share_guard.core.takedown.indexfiles import index_key, index_path


def _near(rng, row: np.ndarray, distance: int) -> np.ndarray:
    bits = np.unpackbits(row)
    bits[rng.choice(bits.size, distance, replace=False)] ^= 1
    return np.packbits(bits)


def _planted(n=30_000, bits=256, seed=3, distances=(0, 1, 7, 16, 24, 30, 31, 31)):
    """Random hashes, and queries: near-duplicates of stored rows at given distances, plus noise."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, (n, bits // 8), dtype=np.uint8)
    targets = rng.choice(n, len(distances), replace=False)
    queries = [_near(rng, raw[t], d) for t, d in zip(targets, distances, strict=True)]
    queries += [rng.integers(0, 256, bits // 8, dtype=np.uint8) for _ in range(4)]
    return raw, np.array(queries)


def _hits(index, q, radius, **kw):
    return sorted((h.query, h.entry_id, h.distance) for h in index.search(q, radius, **kw))


def _reference(raw, ids, q, radius):
    return sorted((qi, int(ids[r]), d) for qi, r, d in brute_force(raw, q, radius))


@pytest.mark.parametrize(("bits", "radius"), [(256, 31), (64, 8), (64, 10)])
def test_radius_search_equals_brute_force_on_planted_near_duplicates(bits, radius):
    distances = (0, 1, 3, radius - 1, radius, radius, radius + 1, 2 * radius)
    raw, q = _planted(bits=bits, distances=distances)
    ids = np.arange(raw.shape[0], dtype=np.int64) * 5 + 11  # entry ids are not row numbers
    index = HashIndex.build(ids, raw, bits)
    assert len(index) > index_mod.SCAN_ROWS  # the multi-index path, not the small-list scan
    got = _hits(index, q, radius)
    assert got == _reference(raw, ids, q, radius)
    assert {qi for qi, _, _ in got} >= set(range(6))  # every planted copy within radius found


def test_possible_band_is_exact_as_far_as_the_probe_reaches(monkeypatch):
    raw, q = _planted(distances=(5, 31, 32, 40, 47, 48, 52, 60))
    ids = np.arange(raw.shape[0], dtype=np.int64)
    index = HashIndex.build(ids, raw, 256)
    reference = _reference(raw, ids, q, 52)
    for budget in (10**9, 200_000, 1):  # p = 3 (exact to 63), 2 (to 47), 1 (to 31)
        monkeypatch.setattr(index_mod, "BUDGET", budget)
        p = index.probe_for(q.shape[0], 52, 31)
        exact = 16 * (p + 1) - 1
        got = _hits(index, q, 52, exact_to=31)
        assert set(got) <= set(reference)  # never a wrong hit or distance
        assert [h for h in reference if h[2] <= exact] == [h for h in got if h[2] <= exact]
        if budget == 1:
            assert p == 1


def test_same_hash_in_two_entries_and_tiny_lists():
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 256, (2, 32), dtype=np.uint8)
    raw = np.array([a, a, b])
    index = HashIndex.build([10, 11, 12], raw, 256)  # below SCAN_ROWS: a plain scan
    q = np.array([_near(rng, a, 4)])
    assert _hits(index, q, 31) == [(0, 10, 4), (0, 11, 4)]
    empty = HashIndex.build([], np.zeros((0, 32), np.uint8), 256)
    assert len(empty) == 0 and empty.search(q, 52) == []


def test_damaged_or_foreign_files_are_never_trusted(tmp_path):
    raw, q = _planted(n=6000)
    path = tmp_path / "x.idx"
    index_mod.write(path, "key-1", np.arange(6000), raw, 256)
    assert HashIndex.open(path, "key-2") is None  # another list state
    good = HashIndex.open(path, "key-1")
    assert good is not None and len(good) == 6000
    good.close()
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(data[:-100]))
    assert HashIndex.open(path, "key-1") is None  # truncated
    lay = index_mod._layout(6000, 256)
    data[lay["posts"] : lay["posts"] + 4 * 6000] = b"\xff" * (4 * 6000)  # postings past the end
    path.write_bytes(bytes(data))
    bad = HashIndex.open(path, "key-1")
    with pytest.raises(index_mod.DamagedIndex):
        bad.search(q, 31)


def test_no_room_to_map_falls_back_to_a_scan(monkeypatch):
    raw, q = _planted()
    ids = np.arange(raw.shape[0], dtype=np.int64)
    index = HashIndex.build(ids, raw, 256)
    index._kept = None

    def refuse(*args, **kwargs):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(index_mod.mmap, "mmap", refuse)
    assert _hits(index, q, 31) == _reference(raw, ids, q, 31)


def test_query_array_is_the_stored_byte_order():
    value = int("ad66d9ec57a0dcb6bf0caa7d8ac4f0bc5d60544e0950aeadcff85a030054b5d5", 16)
    assert query_array([value], 256)[0].tobytes() == value.to_bytes(32, "big")


# -- the shared file in the data folder ---------------------------------------------------


def _fill(store, n, seed=1):
    """n random PDQ entries, written straight into SQLite (add() validates one by one: slow)."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    list_id = store.ensure_list("bulk")
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO entries (list_id, item, type, value, bits, quality, added, changed)"
            " VALUES (?, ?, 'pdq', ?, ?, 90, '2024-01-01', '2024-01-01')",
            [(list_id, f"i{i}", r.tobytes().hex(), r.tobytes()) for i, r in enumerate(raw)],
        )
        store._touched.add(HashType.PDQ)
    return raw


def _index_files(tmp_path):
    return sorted(p.name for p in tmp_path.glob("*.idx"))


def test_opening_the_store_changes_no_key(tmp_path):
    path = tmp_path / "list.sqlite3"
    with TakedownStore(path) as s:
        s.add([NewEntry(HashType.MD5, "5d41402abc4b2a76b9719d911017c592")])
        key, gen = s.type_key(HashType.PDQ), s.generation
        s.ensure_list("default")  # exists: nothing written
    with TakedownStore(path) as s:
        assert (s.type_key(HashType.PDQ), s.generation) == (key, gen)
        s.add([NewEntry(HashType.SHA256, "a" * 64)])
        assert s.type_key(HashType.PDQ) == key  # other types do not touch the PDQ index
        s.add([NewEntry(HashType.PDQ, "ad66d9ec57a0dcb6bf0caa7d8ac4f0bc5d60544e0950aeadcff85a030054b5d5")])
        assert s.type_key(HashType.PDQ) != key


def test_a_writer_without_type_counters_invalidates_every_index(tmp_path):
    path = tmp_path / "list.sqlite3"
    with TakedownStore(path) as s:
        _fill(s, 10)
        key = s.type_key(HashType.PDQ)
    conn = sqlite3.connect(path)  # what an older share_guard does: bump the generation only
    conn.execute("UPDATE entries SET status = 'withdrawn' WHERE id = 1")
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    conn.commit()
    conn.close()
    with TakedownStore(path) as s:
        legacy = s.type_key(HashType.PDQ)
        assert legacy != key
        s.add([NewEntry(HashType.MD5, "5d41402abc4b2a76b9719d911017c592")])
        assert s.type_key(HashType.PDQ) not in (key, legacy)  # all counters moved on


def test_index_is_built_once_and_shared_across_processes(tmp_path):
    path = tmp_path / "list.sqlite3"
    with TakedownStore(path) as store:
        raw = _fill(store, 6000)
        matcher = Matcher(store)
        assert _index_files(tmp_path) == []  # opening costs nothing
        matcher.warm()
        (name,) = _index_files(tmp_path)
        key = index_key(store.type_key(HashType.PDQ), "pdq", 50)
        assert index_path(path, "pdq", key).name == name
        stamp = (tmp_path / name).stat()
    query = _near(np.random.default_rng(9), raw[123], 20).tobytes().hex()
    code = f"""
import numpy as np, sys
from share_guard.core.takedown import Matcher, TakedownStore
from share_guard.core.hashing.values import HashType, PDQHash
from share_guard.core.takedown.match import PDQ_POSSIBLE, PDQ_MATCH
store = TakedownStore({str(path)!r})
m = Matcher(store)
hits = m._bit_matches(HashType.PDQ, [("original", PDQHash.from_hex({query!r}))], PDQ_POSSIBLE, PDQ_MATCH)
print(hits)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert "(124, 20, 'original')" in out.stdout  # entry 124 is row 123
    after = (tmp_path / name).stat()
    assert (after.st_ino, after.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)  # not rebuilt
    assert _index_files(tmp_path) == [name]


def test_a_list_change_replaces_the_file(tmp_path):
    path = tmp_path / "list.sqlite3"
    with TakedownStore(path) as store:
        raw = _fill(store, 5000)
        matcher = Matcher(store)
        q = [("original", PDQHash(int.from_bytes(raw[7].tobytes(), "big")))]
        assert [h[0] for h in matcher._bit_matches(HashType.PDQ, q, 52, 31)] == [8]
        (before,) = _index_files(tmp_path)
        store.withdraw(ids=[8])
        assert matcher._bit_matches(HashType.PDQ, q, 52, 31) == []  # same matcher sees it
        (after,) = _index_files(tmp_path)
        assert after != before  # the old file is gone


def test_analyzer_builds_before_it_is_sent_and_the_copy_only_maps(tmp_path, monkeypatch):
    path = tmp_path / "list.sqlite3"
    with TakedownStore(path) as store:
        _fill(store, 5000)
    analyzer = TakedownAnalyzer(path=path)
    blob = pickle.dumps(analyzer)
    assert len(_index_files(tmp_path)) == 1  # built by the sender, outside any worker
    import share_guard.core.takedown.indexfiles as files

    def no_build(*a, **k):
        raise AssertionError("a worker must not rebuild a current index")

    monkeypatch.setattr(files, "write", no_build)
    copy = pickle.loads(blob)
    assert copy._store is None and copy._matcher is None
    copy.matcher.warm()
    assert pickle.dumps(analyzer) == blob  # same state: workers keep their unpickled copy


def test_kept_mapping_only_when_there_is_room():
    assert index_mod._roomy(10)
    code = """
import resource, sys
from share_guard.core.takedown import index as m
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, resource.RLIM_INFINITY))
print(m._roomy(200 * 1024**2), m._roomy(300 * 1024**2))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.split() == ["True", "False"]
    assert mmap.ALLOCATIONGRANULARITY <= index_mod.ALIGN


def test_a_damaged_index_file_is_rebuilt(tmp_path):
    path = tmp_path / "list.sqlite3"
    with TakedownStore(path) as store:
        raw = _fill(store, 5000)
        q = [("original", PDQHash(int.from_bytes(raw[3].tobytes(), "big")))]
        Matcher(store).warm()
        (name,) = _index_files(tmp_path)
        data = bytearray((tmp_path / name).read_bytes())
        lay = index_mod._layout(5000, 256)
        data[lay["posts"] : lay["posts"] + 4 * 5000] = b"\xff" * (4 * 5000)
        (tmp_path / name).write_bytes(bytes(data))
        assert [h[0] for h in Matcher(store)._bit_matches(HashType.PDQ, q, 52, 31)] == [4]
        assert (tmp_path / name).read_bytes() != bytes(data)  # rebuilt, not trusted
