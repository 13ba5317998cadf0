#!/usr/bin/env bash
# Build the Linux bundle and .deb (packaging/build_linux.sh) with the test environment, then
# run the bundled program with no Python environment anywhere in reach (env -i, PATH of the
# system only): --version; inspect and clean --consent on a generated photo, parsed in the
# sandbox's worker processes (the forkserver start is checked under strace); the window
# under offscreen Qt for a few seconds with the photo opened; the .deb's contents.
#   bash .ci/bundle_smoke.sh [PYTHON]     (default: .venv/bin/python, as .ci/run makes it)
#   SKIP_BUILD=1 bash .ci/bundle_smoke.sh  (test what dist/ already holds)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}

fail() { echo "bundle_smoke: FAILED: $*" >&2; exit 1; }

start=$(date +%s)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  PYTHON=$PY bash packaging/build_linux.sh
  echo "bundle_smoke: build and .deb took $(( $(date +%s) - start )) s"
fi
BIN=$PWD/dist/share-guard/share-guard
[ -x "$BIN" ] || fail "no $BIN"
DEB=$(ls dist/share-guard_*.deb)

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/home" "$T/out"
# the test photo: GPS, an owner name and a camera serial (written with the dev environment)
"$PY" - "$T/photo.jpg" <<'EOF'
import sys
import piexif
from PIL import Image
exif = {"0th": {piexif.ImageIFD.Make: b"Canon", piexif.ImageIFD.Artist: b"Jane Doe"},
        "Exif": {piexif.ExifIFD.BodySerialNumber: b"SN123456"},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((52, 1), (30, 1), (0, 1)),
                piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((13, 1), (24, 1), (0, 1))}}
Image.new("RGB", (320, 240), (90, 140, 200)).save(sys.argv[1], "JPEG", quality=90, exif=piexif.dump(exif))
EOF

# no venv, no PYTHONPATH, no user site: only what the bundle carries
bare() { env -i PATH=/usr/bin:/bin HOME="$T/home" LANG=C.UTF-8 SHARE_GUARD_HOME="$T/data" "$@"; }
command -v strace >/dev/null || fail "strace is needed to see the sandbox start (apt install strace)"

bare "$BIN" --version | grep -q "share_guard" || fail "--version"

rc=0
bare strace -f -qq -s 300 -e trace=execve -o "$T/inspect.trace" \
  "$BIN" inspect "$T/photo.jpg" > "$T/inspect.txt" || rc=$?
[ "$rc" -eq 1 ] || fail "inspect exited $rc (expected 1: something found)"
grep -q "GPS position" "$T/inspect.txt" || fail "inspect did not report the location"
grep -q "from multiprocessing.forkserver import main" "$T/inspect.trace" \
  || fail "inspect did not start the sandbox's forkserver"

bare "$BIN" clean --consent -o "$T/out" "$T/photo.jpg" || fail "clean --consent"
bare "$BIN" inspect "$T/out/photo_clean.jpg" | grep -q "nothing found" || fail "the clean copy still tells something"
if command -v exiftool >/dev/null; then
  left=$(exiftool -q -q -gps:all -artist -serialnumber "$T/out/photo_clean.jpg")
  [ -z "$left" ] || fail "exiftool still reads: $left"
fi

rc=0
bare QT_QPA_PLATFORM=offscreen strace -f -qq -s 300 -e trace=execve -o "$T/gui.trace" \
  timeout 20 "$BIN" gui "$T/photo.jpg" > "$T/gui.log" 2>&1 || rc=$?
[ "$rc" -eq 124 ] || { cat "$T/gui.log"; fail "the window exited with $rc before 20 s"; }
! grep -q "Traceback" "$T/gui.log" || { cat "$T/gui.log"; fail "the window printed a traceback"; }
grep -q "from multiprocessing.forkserver import main" "$T/gui.trace" \
  || fail "the window did not check the photo in the sandbox"

# (the window is stopped by SIGTERM, so multiprocessing may warn about semaphores left behind)
# the .deb: metadata, contents, the program runs from its unpacked tree, desktop files validate
[ "$(dpkg-deb --field "$DEB" Package)" = share-guard ] || fail ".deb control"
dpkg-deb -x "$DEB" "$T/deb"
for f in usr/bin/share-guard opt/share-guard/share-guard usr/share/applications/ usr/share/metainfo/ \
         usr/share/icons/hicolor/scalable/apps/; do
  [ -e "$T/deb/$f" ] || [ -L "$T/deb/$f" ] || fail ".deb lacks $f"
done
bare "$T/deb/opt/share-guard/share-guard" --version >/dev/null || fail "the unpacked .deb does not run"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$T"/deb/usr/share/applications/*.desktop || fail "desktop file"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate-tree --no-net "$T/deb" || fail "appstream tree"
fi
# install it for real where that cannot touch this machine: dpkg -i inside a private mount
# namespace whose /usr, /opt, /var and /etc are overlays (root only; skipped elsewhere)
if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
  cp "$DEB" "$T/pkg.deb"
  rc=0
  unshare --mount --propagation private sh -c '
    set -e
    for d in usr opt var etc; do
      mkdir -p "$1/ov/$d/u" "$1/ov/$d/w"
      mount -t overlay overlay -o "lowerdir=/$d,upperdir=$1/ov/$d/u,workdir=$1/ov/$d/w" "/$d" || exit 99
    done
    dpkg -i "$1/pkg.deb" >/dev/null
    env -i PATH=/usr/bin:/bin HOME="$1/home" LANG=C.UTF-8 share-guard inspect "$1/out/photo_clean.jpg"
    grep -q "io.github.shareguard.ShareGuard.desktop" /usr/share/applications/mimeinfo.cache
    dpkg -r share-guard >/dev/null 2>&1
    [ ! -e /usr/bin/share-guard ] && [ ! -e /opt/share-guard ]
  ' sh "$T" > "$T/dpkg.log" 2>&1 || rc=$?
  if [ "$rc" = 99 ]; then
    echo "bundle_smoke: no overlay mounts here; the .deb was not installed for real"
  elif [ "$rc" != 0 ]; then
    cat "$T/dpkg.log"; fail "installing, running or removing the .deb"
  fi
fi
echo "bundle_smoke: OK in $(( $(date +%s) - start )) s ($(du -sh dist/share-guard | cut -f1) bundle, $(du -h "$DEB" | cut -f1) .deb)"
