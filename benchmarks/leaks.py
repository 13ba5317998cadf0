#!/usr/bin/env python3
"""The leak table: crafted files with planted markers, cleaned by each tool side by side.

    python benchmarks/leaks.py [--tools sg,exiftool,mat2] [--keep DIR] [--verbose]

Every case from benchmarks/redteam.py hides unique markers in one place (ICC text,
coded-stream metadata, side structures, unreferenced bytes, allow-listed chunks with
extra bytes...). Each tool cleans each case once; an output counts as *leaked* when a
marker is found in it raw, as UTF-16, as hex or inside any zlib stream, *refused* when
the tool wrote nothing, *clean* otherwise. One row per case, one summary line per tool.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from redteam import all_cases  # noqa: E402

from tests.leakscan import leaked_markers  # noqa: E402

EXT = {"jpeg": ".jpg", "png": ".png", "gif": ".gif", "webp": ".webp", "tiff": ".tif",
       "heic": ".heic", "mp4": ".mp4", "mov": ".mov", "mkv": ".mkv", "avi": ".avi"}


def run_tool(tool: str, src: Path, out_dir: Path) -> Path | None:
    out = out_dir / src.name
    if tool == "sg":
        cmd = [sys.executable, "-m", "share_guard", "clean", "--consent", "--no-faces",
               "--suffix", "", "-o", str(out_dir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, timeout=300, check=False,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                   "HOME": str(out_dir.parent)})
        if b"--no-faces" in proc.stderr and b"unrecognized" in proc.stderr:
            cmd.remove("--no-faces")
            subprocess.run(cmd, capture_output=True, timeout=300, check=False,
                           env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                "HOME": str(out_dir.parent)})
    elif tool == "exiftool":
        subprocess.run(["exiftool", "-q", "-q", "-all=", "-o", str(out), str(src)],
                       capture_output=True, timeout=300, check=False)
    elif tool == "mat2":
        work = out_dir / "mat2-in"
        work.mkdir(exist_ok=True)
        staged = work / src.name
        shutil.copyfile(src, staged)
        subprocess.run(["mat2", str(staged)], capture_output=True, timeout=300, check=False)
        cleaned = work / f"{staged.stem}.cleaned{staged.suffix}"
        if cleaned.exists():
            shutil.move(cleaned, out)
    produced = [p for p in out_dir.iterdir() if p.is_file()]
    return produced[0] if produced else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", default="sg,exiftool,mat2")
    ap.add_argument("--keep", help="keep inputs and outputs in this folder")
    ap.add_argument("--verbose", action="store_true", help="print one row per case")
    args = ap.parse_args()
    tools = [t for t in args.tools.split(",") if t == "sg" or shutil.which(t)]
    cases = all_cases()
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="leaks-"))
    tmp.mkdir(parents=True, exist_ok=True)
    totals = {t: {"leaked": 0, "refused": 0, "clean": 0} for t in tools}
    rows = []
    for name, data, markers in cases:
        src = tmp / "in" / (name + EXT.get(name.split("-")[0], ".bin"))
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(data)
        row = [name]
        for tool in tools:
            out_dir = tmp / tool / name
            shutil.rmtree(out_dir, ignore_errors=True)
            out_dir.mkdir(parents=True)
            out = run_tool(tool, src, out_dir)
            if out is None:
                verdict = "refused"
            else:
                leaked = leaked_markers(out.read_bytes(), markers)
                verdict = "leaked" if leaked else "clean"
            totals[tool][verdict] += 1
            row.append(verdict)
        rows.append(row)
    if args.verbose:
        print("| case | " + " | ".join(tools) + " |")
        print("|---|" + "---|" * len(tools))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()
    print(f"{len(cases)} crafted files, one hiding place each")
    print("| tool | leaked | refused | clean |")
    print("|---|---|---|---|")
    for tool in tools:
        t = totals[tool]
        print(f"| {tool} | {t['leaked']} | {t['refused']} | {t['clean']} |")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
