"""Takedown-list benchmark: hashing speed, index vs brute force at scale, memory, `clean` cost.

Run from the repository root:

    PYTHONPATH=. python benchmarks/takedown.py [--sizes 100000,1000000,10000000] [--clean-list 1000000]
                                               [--faiss]

Prints, in one run:
* hashing: a 12 MP JPEG (for the list, and for a check with the 8 rotations/flips),
  a 144 MP RGBA PNG (time and resident peak), a 1080p video (dense vPDQ, 2 fps check);
* queries: 8 variants per query against N stored PDQ hashes, the index next to the
  brute-force scan (ratio), recall against brute force on planted near-duplicates
  (matches <= 31 and the possible band <= 52), index file and mapped bytes per entry,
  index build and open (load) time;
* `share-guard clean` of a small folder with no list and with a list of --clean-list
  entries (first call, which builds the index once, and a later call).
Inputs are generated (photos from skimage.data, random hashes); nothing is downloaded.
Timings are CPU-bound and single-threaded; the machine's load shows in the wall times.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from share_guard.core.hashing.image import hash_image
from share_guard.core.takedown import index as index_mod
from share_guard.core.takedown.index import HashIndex, brute_force

ROOT = Path(__file__).resolve().parent.parent


def _best(fn, repeat: int, clock=time.perf_counter) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def _cpu(fn, repeat: int) -> float:
    """Processor time: single-threaded work, less disturbed by a busy machine than wall time."""
    return _best(fn, repeat, time.process_time)


def _photo(width: int, height: int, seed: int = 0) -> np.ndarray:
    import skimage.data

    base = Image.fromarray(skimage.data.astronaut()).resize((width, height), Image.BICUBIC)
    noise = np.random.default_rng(seed).integers(-6, 7, (height, width, 3))
    return np.clip(np.asarray(base, dtype=np.int16) + noise, 0, 255).astype(np.uint8)


def _child(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True).stdout


# -- hashing ---------------------------------------------------------------------------


def bench_image(folder: Path) -> None:
    from share_guard.core.hashing.image import dihedral, load_rgb
    from share_guard.core.hashing.pdq import luma_from_rgb, pdq_dihedral, pdq_from_luma

    path = folder / "12mp.jpg"
    Image.fromarray(_photo(4000, 3000)).save(path, quality=90)
    store_t = _cpu(lambda: hash_image(path, queries=False, draft=False), 3)
    query_t = _cpu(lambda: hash_image(path, phash_queries=False), 5)
    both_t = _cpu(lambda: hash_image(path), 5)
    decode_t = _cpu(lambda: load_rgb(path), 5)
    luma = luma_from_rgb(load_rgb(path))
    one_by_one = _cpu(lambda: [pdq_from_luma(v) for _, v in dihedral(luma)], 3)
    together = _cpu(lambda: pdq_dihedral(luma), 3)
    print("\nHashing a 12 MP JPEG (4000x3000; EXIF orientation, border check), CPU time")
    print(f"  for the list (full decode; PDQ + trimmed PDQ + pHash): {store_t * 1000:7.1f} ms")
    print(f"  for a check (draft decode {decode_t * 1000:.0f} ms), PDQ-only list:    "
          f"{query_t * 1000:7.1f} ms")
    print(f"  for a check, PDQ + pHash list (8 + 8 variants):        {both_t * 1000:7.1f} ms")
    print(f"  8 PDQ variants: one by one {one_by_one * 1000:.1f} ms, together {together * 1000:.1f}"
          f" ms (x{one_by_one / together:.1f}; same bits)")


def bench_big_png(folder: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_takedown_decode import big_png

    path = folder / "144mp.png"
    big_png(path, 12_000, 12_000)
    out = _child(f"""
import resource, time
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
from share_guard.core.hashing.image import hash_image
t = time.process_time(); hash_image({str(path)!r}); t = time.process_time() - t
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(t, peak)
""")
    seconds, peak = out.split()
    print(f"\n144 MP RGBA PNG (12000x12000) hashed under a 2 GiB address-space cap: "
          f"{float(seconds):.1f} s CPU, resident peak {int(peak) / 1024:.0f} MB "
          f"(decoded whole it needed ~1.9 GB and failed)")


def bench_video(folder: Path) -> None:
    import av

    from share_guard.core.hashing.video import hash_video

    path = folder / "1080p.mp4"
    frames, fps = 60, 30
    still = _photo(1920 + 400, 1080)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.bit_rate = 8_000_000
        for i in range(frames):
            rgb = np.ascontiguousarray(still[:, i * 6 : i * 6 + 1920])
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    dense = _cpu(lambda: hash_video(path, dense=True), 1)
    sampled = _cpu(lambda: hash_video(path, dense=False), 1)
    print(f"\n1080p video ({frames} frames, {frames / fps:.0f} s, mpeg4), CPU time")
    print(f"  dense vPDQ (adding):  {dense:6.2f} s  {frames / dense:6.1f} frames/s")
    print(f"  2 fps + trim (check): {sampled:6.2f} s  for {frames / fps:.0f} s of video")


# -- the index -------------------------------------------------------------------------


def _near(rng: np.random.Generator, row: np.ndarray, distance: int) -> np.ndarray:
    bits = np.unpackbits(row)
    bits[rng.choice(256, distance, replace=False)] ^= 1
    return np.packbits(bits)


def bench_queries(sizes: list[int]) -> None:
    print("\nPDQ queries, 8 variants each (match <= 31 exact; possible band to 52 as the budget allows)")
    print(f"  {'entries':>10}  {'index ms':>8}  {'+band ms':>8}  {'scan ms':>8}  {'ratio':>6}  "
          f"{'recall<=31':>10}  {'band exact to':>13}  {'band recall':>11}  {'file B/e':>8}  "
          f"{'mapped B/e':>10}  {'build s':>7}  {'open ms':>7}")
    rng = np.random.default_rng(1)
    for n in sizes:
        _bench_size(rng, n)
        gc.collect()
    print("  (mapped = address space a process keeps between searches; the posting lists are mapped"
          " per search when a memory cap leaves no room to keep them)")


def _bench_size(rng: np.random.Generator, n: int) -> None:
    raw = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    ids = np.arange(n, dtype=np.int64)
    t = time.perf_counter()
    index = HashIndex.build(ids, raw, 256)
    build = time.perf_counter() - t
    path = Path(tempfile.mkdtemp()) / "bench.idx"
    index_mod.write(path, "bench", ids, raw, 256)
    t = time.perf_counter()
    opened = HashIndex.open(path, "bench")
    open_ms = (time.perf_counter() - t) * 1000
    assert opened is not None
    # 8 variants: 4 planted near-duplicates (distances 5..31), 4 unrelated
    targets = rng.choice(n, 4, replace=False)
    q = np.array([_near(rng, raw[r], d) for r, d in zip(targets, (5, 17, 28, 31), strict=True)]
                 + [rng.integers(0, 256, 32, dtype=np.uint8) for _ in range(4)])
    match_ms = _best(lambda: opened.search(q, 31), 5) * 1000
    band_ms = _best(lambda: opened.search(q, 52, exact_to=31), 3) * 1000
    scan_ms = _best(lambda: brute_force(raw, q, 31), 1 if n > 2_000_000 else 3) * 1000
    # recall on 200 planted copies (distances 0..52) against brute force
    planted = rng.choice(n, 200, replace=False)
    dists = rng.integers(0, 53, 200)
    pq = np.array([_near(rng, raw[r], int(d)) for r, d in zip(planted, dists, strict=True)])
    ref = {(a, b): d for a, b, d in brute_force(raw, pq, 52)}
    got = set()
    for s in range(0, 200, 8):  # the check's batch: 8 variants
        got |= {(s + h.query, h.entry_id) for h in opened.search(pq[s : s + 8], 52, exact_to=31)}
    ref31 = {x for x, d in ref.items() if d <= 31}
    band = set(ref) - ref31
    recall31 = len(got & ref31) / max(1, len(ref31))
    band_recall = len(got & band) / max(1, len(band))
    p = opened.probe_for(8, 52, 31)
    print(f"  {n:>10,}  {match_ms:8.1f}  {band_ms:8.1f}  {scan_ms:8.0f}  "
          f"{scan_ms / match_ms:5.0f}x  {recall31:10.3f}  {16 * (p + 1) - 1:>13}  "
          f"{band_recall:11.3f}  {opened.nbytes / n:8.1f}  {opened.mapped_bytes / n:10.1f}  "
          f"{build:7.2f}  {open_ms:7.1f}")
    opened.close()
    index.close()
    path.unlink()
    path.parent.rmdir()


def bench_faiss(n: int) -> None:
    try:
        import faiss
    except ImportError:
        print("\nfaiss: not installed (pip install faiss-cpu to compare)")
        return
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    q = rng.integers(0, 256, (8, 32), dtype=np.uint8)
    q[0] = _near(rng, data[7], 31)
    print(f"\nfaiss {faiss.__version__} at {n:,} hashes, one thread (8-variant query, radius 31)")
    for name, make in (("IndexBinaryFlat", lambda: faiss.IndexBinaryFlat(256)),
                       ("IndexBinaryMultiHash 16x16", lambda: faiss.IndexBinaryMultiHash(256, 16, 16))):
        idx = make()
        if hasattr(idx, "nflip"):
            idx.nflip = 1
        t = time.perf_counter()
        idx.add(data)
        build = time.perf_counter() - t
        ms = _best(lambda idx=idx: idx.range_search(q, 32), 3) * 1000
        print(f"  {name:28s} query {ms:7.1f} ms, build {build:5.1f} s")


# -- the store and `clean` ---------------------------------------------------------------


def _fill_store(db: Path, n: int) -> None:
    from share_guard.core.hashing.values import HashType
    from share_guard.core.takedown.store import TakedownStore

    rng = np.random.default_rng(2)
    with TakedownStore(db) as store:
        list_id = store.ensure_list("bench")
        step = 100_000
        for start in range(0, n, step):
            raw = rng.integers(0, 256, (min(step, n - start), 32), dtype=np.uint8)
            raw[:, 0] |= 1
            with store.transaction() as db_:
                db_.executemany(
                    "INSERT INTO entries (list_id, item, type, value, bits, quality, label, added,"
                    " changed) VALUES (?, ?, 'pdq', ?, ?, 90, 'bench', '2024-01-01', '2024-01-01')",
                    [(list_id, f"b{start + i}", r.tobytes().hex(), r.tobytes())
                     for i, r in enumerate(raw)],
                )
                store._touched.add(HashType.PDQ)


def bench_clean(folder: Path, list_size: int) -> None:
    photos = folder / "photos"
    photos.mkdir()
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "BenchCam", "Model 1"
    for i in range(20):
        Image.fromarray(_photo(3000, 2000, seed=i)).save(photos / f"p{i:02d}.jpg", quality=88,
                                                          exif=exif)
    empty, listed = folder / "data-empty", folder / "data-list"
    db = listed / "takedown.sqlite3"
    t = time.perf_counter()
    _fill_store(db, list_size)
    fill = time.perf_counter() - t

    def clean(data: Path, n: int) -> float:
        out = folder / f"out-{data.name}-{n}"
        out.mkdir()
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "share_guard", "--data-dir", str(data), "clean",
                               "--consent", "-o", str(out), str(photos)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        elapsed = time.perf_counter() - t
        if done.returncode != 0 or len(list(out.iterdir())) != 20:
            raise SystemExit(f"clean failed ({done.returncode}): {done.stderr[-500:]}")
        return elapsed

    no_list = min(clean(empty, 1), clean(empty, 2))
    first = clean(listed, 1)
    later = min(clean(listed, 2), clean(listed, 3))
    size = sum(p.stat().st_size for p in listed.glob("takedown.sqlite3.pdq-*.idx"))
    print("\n`share-guard clean --consent` of 20 photos (6 MP JPEG), one call each, isolated workers")
    print(f"  no takedown list:                                              {no_list:6.2f} s")
    print(f"  {list_size:>10,}-entry PDQ list, first call (builds the index once): {first:6.2f} s")
    print(f"  {list_size:>10,}-entry PDQ list, later calls (map the index):        {later:6.2f} s "
          f"(x{later / no_list:.2f} of no list)")
    print(f"  (list written in {fill:.0f} s; index file {size / 1e6:.0f} MB, one copy for every process)")
    code = f"""
import time
from share_guard.core.takedown import Matcher, TakedownStore
m = Matcher(TakedownStore({str(db)!r}))
t = time.perf_counter(); m.warm(); print(time.perf_counter() - t)
"""
    for p in listed.glob("takedown.sqlite3.pdq-*.idx"):
        p.unlink()
    build = float(_child(code))
    load = min(float(_child(code)) for _ in range(3))
    print(f"  index of the {list_size:,}-entry SQLite list: built in {build:.2f} s once per list "
          f"change (SQLite read included); a new process maps it in {load * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000,10000000",
                    help="comma-separated list sizes for the query benchmark")
    ap.add_argument("--clean-list", type=int, default=1_000_000,
                    help="entries in the list used for the `clean` comparison (0: skip)")
    ap.add_argument("--faiss", action="store_true", help="also time faiss, when installed")
    ap.add_argument("--skip-hashing", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_hashing:
            bench_image(folder)
            bench_big_png(folder)
            bench_video(folder)
        sizes = [int(s) for s in args.sizes.split(",") if s]
        bench_queries(sizes)
        if args.faiss:
            bench_faiss(max(sizes))
        if args.clean_list:
            bench_clean(folder, args.clean_list)


if __name__ == "__main__":
    main()
