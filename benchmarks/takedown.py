"""Takedown-list benchmark: hashing speed, query latency at scale, memory per entry.

Run from the repository root:  PYTHONPATH=. python benchmarks/takedown.py [--sizes 100000,1000000]

Prints tables: hashes/s for a 12 MP JPEG and a 1080p video; query latency
against N stored PDQ hashes with all 8 dihedral variants per query (bar: 1M
in <= 50 ms); index and SQLite bytes per entry; cold index build and cached load.
Inputs are generated (photo from skimage.data, random hashes); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from share_guard.core.hashing.image import hash_image
from share_guard.core.hashing.values import HashType, PDQHash
from share_guard.core.takedown.index import HashIndex, words_from_ints
from share_guard.core.takedown.match import Matcher
from share_guard.core.takedown.store import NewEntry, TakedownStore


def _timeit(fn, repeat: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _photo(width: int, height: int) -> np.ndarray:
    import skimage.data

    base = Image.fromarray(skimage.data.astronaut()).resize((width, height), Image.BICUBIC)
    noise = np.random.default_rng(0).integers(-6, 7, (height, width, 3))
    return np.clip(np.asarray(base, dtype=np.int16) + noise, 0, 255).astype(np.uint8)


def bench_image(folder: Path) -> None:
    path = folder / "12mp.jpg"
    Image.fromarray(_photo(4000, 3000)).save(path, quality=90)
    store_t = _timeit(lambda: hash_image(path, queries=False), 3)
    query_t = _timeit(lambda: hash_image(path, queries=True), 3)
    print("\n12 MP JPEG (4000x3000, draft decode + EXIF orientation + trim check)")
    print(f"  hash for the list (PDQ + pHash):         {store_t * 1000:7.1f} ms  "
          f"{1 / store_t:6.1f} hashes/s")
    print(f"  hash for a check (8 PDQ + 8 pHash vars): {query_t * 1000:7.1f} ms  "
          f"{1 / query_t:6.1f} queries/s")


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
    dense = _timeit(lambda: hash_video(path, dense=True), 1)
    sampled = _timeit(lambda: hash_video(path, dense=False), 1)
    print(f"\n1080p video ({frames} frames, {frames / fps:.0f} s, mpeg4)")
    print(f"  dense vPDQ (adding):  {dense:6.2f} s  {frames / dense:6.1f} frames/s")
    print(f"  2 fps + trim (check): {sampled:6.2f} s  for {frames / fps:.0f} s of video")


def bench_queries(sizes: list[int]) -> None:
    print("\nQuery latency, PDQ, 8 dihedral variants per query, radius 52 (best of 5)")
    print(f"  {'entries':>10}  {'build s':>8}  {'query ms':>9}  {'index B/entry':>13}  hits")
    rng = np.random.default_rng(1)
    for n in sizes:
        raw = rng.integers(0, 256, n * 32, dtype=np.uint8).tobytes()
        t = time.perf_counter()
        index = HashIndex.build(np.arange(n, dtype=np.int64), raw, 256)
        build = time.perf_counter() - t
        target = int.from_bytes(raw[32 * 7 : 32 * 8], "big")
        variants = [target ^ 0b1011] + [
            int.from_bytes(rng.bytes(32), "big") for _ in range(7)
        ]  # one near-duplicate, seven unrelated
        q = words_from_ints(variants, 256)
        best = _timeit(lambda index=index, q=q: index.search(q, 52), 5)
        hits = index.search(q, 52)
        print(f"  {n:>10,}  {build:8.2f}  {best * 1000:9.1f}  {index.nbytes / n:13.1f}  "
              f"{len(hits)}")
        del index, raw
        gc.collect()


def bench_store(folder: Path, n: int) -> None:
    path = folder / "bench.sqlite3"
    rng = np.random.default_rng(2)
    with TakedownStore(path) as store:
        t = time.perf_counter()
        batch = 10_000
        for start in range(0, n, batch):
            store.add(
                [
                    NewEntry(HashType.PDQ, PDQHash(int.from_bytes(rng.bytes(32), "big") | 1).hex,
                             90, f"entry {start + i}", "bench")
                    for i in range(min(batch, n - start))
                ],
                "bench",
            )
        add_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in folder.glob("bench.sqlite3*"))
        t = time.perf_counter()
        store_open = TakedownStore(path)
        Matcher(store_open)
        open_ms = (time.perf_counter() - t) * 1000
        matcher = Matcher(store_open)
        t = time.perf_counter()
        matcher.warm()
        cold = time.perf_counter() - t
        t = time.perf_counter()
        Matcher(store_open).warm()
        cached = time.perf_counter() - t
        store_open.close()
    print(f"\nSQLite store with {n:,} PDQ entries")
    print(f"  add: {n / add_s:,.0f} entries/s; on disk {size / n:.0f} bytes/entry "
          f"(hash as hex + raw bytes, label, source, dates)")
    print(f"  open store + matcher: {open_ms:.1f} ms (nothing loaded at start)")
    print(f"  first check builds the index: {cold:.2f} s; later starts load the cache: "
          f"{cached * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000,10000000",
                    help="comma-separated list sizes for the query benchmark")
    ap.add_argument("--store-entries", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_image(folder)
        bench_video(folder)
        bench_queries([int(s) for s in args.sizes.split(",") if s])
        bench_store(folder, args.store_entries)


if __name__ == "__main__":
    main()
