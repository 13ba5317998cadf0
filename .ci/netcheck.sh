#!/usr/bin/env bash
# No network, checked from outside the process: run one end-to-end CLI flow (inspect + clean,
# through the sandbox) and, when share_guard.gui exists, a GUI flow (offscreen) under
# `strace -f -e trace=network,openat`, inside `unshare -rn` (no network namespace access) where
# allowed. Fails on any socket that is not a local Unix socket, and when the CLI process itself
# (not its sandbox workers) opens a photo or a model. Installs nothing: needs strace
# (apt: strace) and, optionally, unshare (util-linux).
#
# usage: .ci/netcheck.sh [PYTHON]     (default: .venv/bin/python, else python3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${1:-${PYTHON:-}}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3)"; fi
fi
if ! command -v strace >/dev/null 2>&1; then
  echo "netcheck: strace is not installed (apt-get install strace)" >&2
  exit 2
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export HOME="$WORK/home" SHARE_GUARD_HOME="$WORK/home/share_guard" QT_QPA_PLATFORM=offscreen
mkdir -p "$HOME" "$WORK/in" "$WORK/out"

"$PY" - "$WORK/in" <<'PYEOF'
import io, sys
from pathlib import Path
import numpy as np
from PIL import Image
folder = Path(sys.argv[1])
img = Image.fromarray(np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8))
exif = Image.Exif()
exif[0x010F] = "NetcheckMake"
exif.get_ifd(0x8825).update({1: "N", 2: (43.0, 28.0, 2.0), 3: "E", 4: (11.0, 53.0, 6.0)})
img.save(folder / "photo.jpg", "JPEG", exif=exif)
img.save(folder / "photo.png", "PNG")
PYEOF

PREFIX=()
if command -v unshare >/dev/null 2>&1 && unshare -rn true 2>/dev/null; then
  PREFIX=(unshare -rn)
fi

fails=0
traced() {  # traced NAME ALLOWED_EXIT_CODES... -- COMMAND...
  local name="$1"; shift
  local allowed=()
  while [ "$1" != "--" ]; do allowed+=("$1"); shift; done
  shift
  local rc=0
  "${PREFIX[@]}" strace -f -qq -e signal=none -e trace=network,openat -o "$WORK/trace.$name" -- "$@" \
    >"$WORK/out.$name" 2>&1 || rc=$?
  if [[ ! " ${allowed[*]} " =~ " $rc " ]]; then
    echo "netcheck: $name exited $rc" >&2
    tail -n 20 "$WORK/out.$name" >&2
    fails=$((fails + 1))
  fi
  local total bad
  total=$(grep -c -E '(^|[[:space:]])(socket|socketpair)\(' "$WORK/trace.$name" || true)
  bad=$(grep -E '(^|[[:space:]])(socket|socketpair)\(' "$WORK/trace.$name" \
        | grep -v -E '(socket|socketpair)\((AF_UNIX|AF_LOCAL|PF_UNIX|PF_LOCAL),' || true)
  if [ -n "$bad" ]; then
    echo "netcheck: $name opened non-Unix sockets:" >&2
    echo "$bad" | head -n 20 >&2
    fails=$((fails + 1))
  fi
  echo "netcheck: $name: exit $rc, $total socket calls, $(printf '%s' "$bad" | grep -c . || true) not local"
}

# The sandbox boundary, seen from outside: the command itself (the first process traced)
# never opens the photos it cleans, nor a model; its sandbox workers do.
boundary() {  # boundary NAME [expect-model]  (a later run reuses the cached face detections)
  local main opened in_workers
  main=$(head -n 1 "$WORK/trace.$1" | awk '{print $1}')
  opened=$(grep -E "^$main +openat\(" "$WORK/trace.$1" | grep -E '\.onnx"|/in/photo\.' || true)
  in_workers=$(grep -v -E "^$main " "$WORK/trace.$1" | grep -c -E '\.onnx"' || true)
  if [ -n "$opened" ]; then
    echo "netcheck: $1: the command itself opened a photo or a model:" >&2
    echo "$opened" | head -n 5 >&2
    fails=$((fails + 1))
  elif [ "${2:-}" = expect-model ] && [ "$in_workers" -eq 0 ]; then
    echo "netcheck: $1: no worker opened the face model (faces are looked for by default)" >&2
    fails=$((fails + 1))
  else
    echo "netcheck: $1: photos and models were opened only in the sandbox"
  fi
}

traced cli-inspect 0 1 -- "$PY" -m share_guard inspect --json "$WORK/in"
boundary cli-inspect expect-model
traced cli-clean 0 -- "$PY" -m share_guard clean --consent -o "$WORK/out" "$WORK/in"
boundary cli-clean
if [ ! -s "$WORK/out/photo_clean.jpg" ]; then
  echo "netcheck: the clean flow wrote nothing" >&2
  fails=$((fails + 1))
fi
if "$PY" -c "import share_guard.gui" >/dev/null 2>&1; then
  # The window opens the files, checks them and shows a preview, then closes.
  cat >"$WORK/gui_flow.py" <<'PYEOF'
import sys, time
from share_guard.gui.app import build_service, make_application
from share_guard.gui.main_window import MainWindow

app = make_application()
window = MainWindow(build_service())
window.show()
window.open_paths(sys.argv[1:])
deadline, checked = time.monotonic() + 30, None
while time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
    entries = window.session.entries
    if entries and window.session.exportable(entries) and checked is None:
        checked = time.monotonic()
    if checked is not None and time.monotonic() - checked > 1.5:  # let the preview arrive
        break
window.close()
app.processEvents()
print(f"gui: {len(window.session.entries)} files, checked: {checked is not None}")
sys.exit(0 if checked is not None else 3)
PYEOF
  traced gui 0 -- timeout -k 5 60 "$PY" "$WORK/gui_flow.py" "$WORK/in/photo.jpg" "$WORK/in/photo.png"
else
  echo "netcheck: share_guard.gui not present; GUI flow skipped"
fi
if [ "$fails" -ne 0 ]; then
  echo "netcheck: FAILED ($fails)" >&2
  exit 1
fi
echo "netcheck: no network sockets opened"
