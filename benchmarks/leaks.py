#!/usr/bin/env python3
"""The leak table: crafted files with planted markers, cleaned by each tool side by side.

    python benchmarks/leaks.py [--tools sg,exiftool,mat2] [--only PREFIX,...] [--keep DIR]
                               [--verbose]

Every case from benchmarks/redteam.py hides unique markers in one place (ICC text,
coded-stream metadata, side structures, unreferenced bytes, allow-listed chunks with
extra bytes...). Each tool cleans each case once; an output counts as *leaked* when a
marker is found in it raw, as UTF-16, as hex or inside any zlib stream, *refused* when
the tool wrote nothing, *changed* when share_guard's copy holds no marker but does not
show what the original shows (pixels, frames, audio: benchmarks/fidelity.py), *clean*
otherwise. One row per case, one summary line per tool, and share_guard's results by class
of issue 13 (1-6; 0 are real-world layouts that must be cleaned, not refused).
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

from fidelity import same  # noqa: E402
from redteam import all_cases  # noqa: E402

from tests.leakscan import leaked_markers  # noqa: E402

EXT = {"jpeg": ".jpg", "png": ".png", "gif": ".gif", "webp": ".webp", "tiff": ".tif",
       "heic": ".heic", "avif": ".avif", "mp4": ".mp4", "mov": ".mov", "mkv": ".mkv",
       "webm": ".webm", "avi": ".avi", "3gp": ".3gp", "m4v": ".m4v"}
CLASSES = {0: "real-world layouts", 1: "colour profiles", 2: "inside coded streams",
           3: "side structures", 4: "unreferenced bytes", 5: "allow-listed, extra bytes",
           6: "covert channels"}


def run_tool(tool: str, src: Path, out_dir: Path) -> tuple[Path | None, str]:
    """The tool's output (None: it wrote nothing) and, for share_guard, what it said."""
    out = out_dir / src.name
    said = ""
    if tool == "sg":
        cmd = [sys.executable, "-m", "share_guard", "clean", "--consent", "--no-faces",
               "--suffix", "", "-o", str(out_dir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, timeout=300, check=False,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                   "HOME": str(out_dir.parent)})
        if b"--no-faces" in proc.stderr and b"unrecognized" in proc.stderr:
            cmd.remove("--no-faces")
            proc = subprocess.run(cmd, capture_output=True, timeout=300, check=False,
                                  env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                       "HOME": str(out_dir.parent)})
        said = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()
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
    return (produced[0] if produced else None), said


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", default="sg,exiftool,mat2")
    ap.add_argument("--keep", help="keep inputs and outputs in this folder")
    ap.add_argument("--verbose", action="store_true", help="print one row per case")
    ap.add_argument("--only", help="cases whose names start with one of these (comma-separated)")
    args = ap.parse_args()
    tools = [t for t in args.tools.split(",") if t == "sg" or shutil.which(t)]
    cases = all_cases(tuple(args.only.split(",")) if args.only else ())
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="leaks-"))
    tmp.mkdir(parents=True, exist_ok=True)
    totals = {t: {"leaked": 0, "refused": 0, "changed": 0, "clean": 0} for t in tools}
    by_class: dict[int, dict[str, int]] = {}
    reasons: list[str] = []
    rows = []
    for name, data, markers, cls in cases:
        src = tmp / "in" / (name + EXT.get(name.split("-")[0], ".bin"))
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(data)
        row = [name]
        for tool in tools:
            out_dir = tmp / tool / name
            shutil.rmtree(out_dir, ignore_errors=True)
            out_dir.mkdir(parents=True)
            out, said = run_tool(tool, src, out_dir)
            if out is None:
                verdict = "refused"
                if tool == "sg":
                    reasons.append(f"{name}: {said.splitlines()[-1] if said else '?'}")
            else:
                leaked = leaked_markers(out.read_bytes(), markers)
                verdict = "leaked" if leaked else "clean"
                if verdict == "clean" and tool == "sg" and not same(src, out):
                    verdict = "changed"
            totals[tool][verdict] += 1
            if tool == "sg":
                counts = by_class.setdefault(cls, {"cases": 0, "leaked": 0, "refused": 0,
                                                   "changed": 0, "clean": 0})
                counts["cases"] += 1
                counts[verdict] += 1
            row.append(verdict)
        rows.append([row[0], str(cls), *row[1:]])
    if args.verbose:
        print("| case | class | " + " | ".join(tools) + " |")
        print("|---|---|" + "---|" * len(tools))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()
        for line in reasons:
            print(f"refused by share_guard: {line}")
        if reasons:
            print()
    print(f"{len(cases)} crafted files, one hiding place each")
    print("| tool | leaked | refused | changed | clean |")
    print("|---|---|---|---|---|")
    for tool in tools:
        t = totals[tool]
        changed = t["changed"] if tool == "sg" else "-"
        print(f"| {tool} | {t['leaked']} | {t['refused']} | {changed} | {t['clean']} |")
    if by_class:
        print()
        print("share_guard by class of issue 13")
        print("| class | cases | leaked | refused | changed | clean |")
        print("|---|---|---|---|---|---|")
        for cls in sorted(by_class):
            c = by_class[cls]
            print(f"| {cls} {CLASSES.get(cls, '')} | {c['cases']} | {c['leaked']} | "
                  f"{c['refused']} | {c['changed']} | {c['clean']} |")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
