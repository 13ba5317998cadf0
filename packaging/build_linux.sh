#!/usr/bin/env bash
# Build the Linux bundle and a .deb wrapping it.
#
#   packaging/build_linux.sh                          # its own build venv in build/venv-linux
#   PYTHON=.venv/bin/python packaging/build_linux.sh  # an environment with the app installed
#
# Leaves the one-folder bundle in dist/share-guard/ (the program: dist/share-guard/share-guard,
# runs without Python or a venv) and dist/share-guard_VERSION_ARCH.deb, which installs it in
# /opt/share-guard with /usr/bin/share-guard, the menu entry, icon and AppStream metainfo.
# Needs: python3 (3.11+) with venv, dpkg-deb; PyInstaller is installed into the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PYTHONNOUSERSITE=1

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  python3 -m venv build/venv-linux
  PY=build/venv-linux/bin/python
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q .
fi
"$PY" -m pip install -q "pyinstaller>=6.10"

APP_ID=$("$PY" -c 'import share_guard; print(share_guard.APP_ID)')
VERSION=$("$PY" -c 'import share_guard; print(share_guard.__version__)')
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

start=$(date +%s)
rm -rf dist/share-guard
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/share-guard.spec
echo "build_linux: bundle built in $(( $(date +%s) - start )) s: $(du -sh dist/share-guard | cut -f1)"
dist/share-guard/share-guard --version

# ---- the .deb: the bundle in /opt/share-guard, desktop files under /usr/share
command -v dpkg-deb >/dev/null || { echo "build_linux: dpkg-deb not found; no .deb built" >&2; exit 1; }
start=$(date +%s)
STAGE=build/deb/share-guard
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/metainfo" "$STAGE/usr/share/icons/hicolor/scalable/apps" \
  "$STAGE/usr/share/doc/share-guard"
cp -a dist/share-guard "$STAGE/opt/share-guard"
ln -s /opt/share-guard/share-guard "$STAGE/usr/bin/share-guard"
RES=share_guard/resources
install -m 644 "$RES/desktop/$APP_ID.desktop" "$STAGE/usr/share/applications/"
install -m 644 "$RES/desktop/$APP_ID.metainfo.xml" "$STAGE/usr/share/metainfo/"
install -m 644 "$RES/icons/$APP_ID.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: share_guard"
  echo
  echo "Files: *"
  echo "License: MIT"
  echo
  sed 's/^$/./; s/^/ /' LICENSE
  echo
  echo "Comment: /opt/share-guard bundles Python, Qt (LGPL-3.0), FFmpeg (PyAV), libheif and"
  echo " onnxruntime under their own licences; see the README's licence table."
} > "$STAGE/usr/share/doc/share-guard/copyright"

# What the bundle still takes from the system (ldd over every library in it): glibc (the
# build machine's: Debian 12 here, glibc 2.36), OpenGL/EGL, fontconfig's settings. PyInstaller
# copies the X11/xcb libraries in, so the bundle does not depend on them; the Wayland client
# libraries are used only on a Wayland session.
cat > "$STAGE/DEBIAN/control" <<EOF
Package: share-guard
Version: $VERSION
Architecture: $ARCH
Maintainer: share_guard contributors <share-guard@users.noreply.github.com>
Installed-Size: $(du -sk "$STAGE" | cut -f1)
Section: graphics
Priority: optional
Depends: libc6 (>= $(ldd --version | head -1 | grep -o '[0-9]*\.[0-9]*$')), libgl1, libegl1, fontconfig-config
Recommends: libwayland-client0, libwayland-cursor0, libwayland-egl1, fonts-dejavu-core | fonts-liberation2
Homepage: https://github.com/shareguard/ShareGuard
Description: check photos and videos before you share them
 share_guard shows what a photo or video gives away (location, device, dates,
 names, hidden thumbnails and videos, faces, a match on a takedown list),
 writes a clean copy without re-encoding, and asks for consent before the
 copy is written. Everything runs on this computer: no network, ever.
EOF
find "$STAGE" -type d -exec chmod 755 {} +
OUT="dist/share-guard_${VERSION}_${ARCH}.deb"
rm -f "$OUT"
# zstd: seconds where xz took over 15 minutes on 2 busy cores; dpkg reads it since 1.21.18
# (Debian 12, Ubuntu 21.10), older than the glibc the bundle needs anyway
dpkg-deb --root-owner-group -Zzstd --threads-max="$(nproc)" --build "$STAGE" "$OUT" >/dev/null
echo "build_linux: $OUT ($(du -h "$OUT" | cut -f1)) built in $(( $(date +%s) - start )) s"
cd "$ROOT"
