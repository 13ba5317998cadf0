#!/usr/bin/env python3
"""Clean a folder with share_guard, exiftool and mat2 side by side; print one table.

    python benchmarks/clean.py [FOLDER] [--tools sg,exiftool,mat2,copy] [--no-leakcheck]

Speed is measured with ONE call per tool over a copy of the whole folder
(verification included for share_guard). Leaks, pixel identity and orientation
come from ../shared/tools/leakcheck.py (exiftool -ee as the reader), which runs
each cleaner once per file on private copies; the folder itself is never touched.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEAKCHECK = ROOT.parent / "shared" / "tools" / "leakcheck.py"
SKIP_EXT = {".tsv", ".md", ".txt", ".json"}
SG = f"PYTHONPATH={ROOT} {sys.executable} -m share_guard"

# tool -> (batch command over IN/ into OUT/, per-file leakcheck template, leakcheck output)
TOOLS = {
    # --no-faces: the other tools clean metadata only; faces are timed apart (README)
    "sg": (f"{SG} clean --consent --no-faces --suffix '' -o {{out}} {{inp}}",
           f"{SG} clean --consent --no-faces --suffix '' -o {{outdir}} {{in}}", "{out}"),
    "exiftool": ("exiftool -q -q -all= -o {out}/ {inp}",
                 "exiftool -q -q -all= -o {out} {in}", "{out}"),
    "mat2": ("mat2 {files}", "mat2 {in}", "{indir}/{stem}.cleaned{ext}"),
    "copy": ("cp -r {inp}/. {out}/", "cp {in} {out}", "{out}"),
}
NEEDS = {"exiftool": "exiftool", "mat2": "mat2"}


def media_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() not in SKIP_EXT)


def batch_speed(tool: str, files: list[Path]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{tool}-") as tmp:
        inp, out = Path(tmp) / "in", Path(tmp) / "out"
        inp.mkdir()
        out.mkdir()
        for f in files:
            shutil.copyfile(f, inp / f.name)
        cmd = TOOLS[tool][0].format(inp=inp, out=out,
                                    files=" ".join(str(inp / f.name) for f in files))
        t0 = time.perf_counter()
        subprocess.run(cmd, shell=True, capture_output=True, check=False, cwd=tmp)
        elapsed = time.perf_counter() - t0
        produced = len(list(out.iterdir())) + len(list(inp.glob("*.cleaned.*")))
    return elapsed, produced


def leak_figures(tool: str, folder: Path, files: list[Path]) -> dict | None:
    if not LEAKCHECK.exists() or shutil.which("exiftool") is None:
        return None
    spec = importlib.util.spec_from_file_location("leakcheck", LEAKCHECK)
    assert spec and spec.loader
    lc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lc)
    with tempfile.TemporaryDirectory(prefix=f"leak-{tool}-") as tmp:
        staged = Path(tmp) / "in"
        staged.mkdir()
        for f in files:
            shutil.copyfile(f, staged / f.name)
        args = argparse.Namespace(input=str(staged), cmd=TOOLS[tool][1], output=TOOLS[tool][2],
                                  name=tool, keep_outputs=str(Path(tmp) / "work"), timeout=120,
                                  limit=0, verbose=False)
        t0 = time.perf_counter()
        records, _ = lc.run(args)
        return lc.summarize(tool, args.cmd, records, time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--tools", default="sg,exiftool,mat2,copy")
    ap.add_argument("--no-leakcheck", action="store_true", help="speed only")
    args = ap.parse_args()
    folder = Path(args.folder)
    files = media_files(folder)
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"{len(files)} files, {size_mb:.1f} MB from {folder}\n")
    rows = []
    for tool in args.tools.split(","):
        if tool in NEEDS and shutil.which(NEEDS[tool]) is None:
            print(f"{tool}: not installed, skipped")
            continue
        elapsed, produced = batch_speed(tool, files)
        s = None if args.no_leakcheck or tool == "copy" else leak_figures(tool, folder, files)
        rows.append((tool, elapsed, produced, s))
    head = ("tool", "files/s", "MB/s", "outputs", "failed", "files w/ leaks", "tags left",
            "pixel-exact", "wrong way up", "videos identical")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for tool, elapsed, produced, s in rows:
        cells = [tool, f"{len(files) / elapsed:.0f}", f"{size_mb / elapsed:.1f}", str(produced)]
        if s is None:
            cells += ["-"] * 6
        else:
            left = sum(v for k, v in s["leftover_tags"].items()
                       if k not in ("ICC", "FINGERPRINT", "ORIENTATION"))
            cells += [str(len(s["failed_files"])), str(s["files_with_any_identifying"]), str(left),
                      f"{s['images_pixel_exact']}/{s['images_compared']}",
                      str(len(s["orientation_wrong"])),
                      f"{s['videos_bitstream_identical']}/{s['videos_compared']}"]
        print("| " + " | ".join(cells) + " |")
    print("\nfiles/s and MB/s: one call over the whole folder; the other columns: leakcheck.py "
          "(exiftool -ee), which also counts refused files as failed.")
    for tool, _, _, s in rows:
        if s and s["failed_files"]:
            print(f"{tool} failed on: {', '.join(s['failed_files'][:12])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
