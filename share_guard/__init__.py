"""share_guard: check photos and videos before they are shared."""

import os as _os

__version__ = "0.1.0"
#: Reverse-DNS application ID: names the .desktop file, the AppStream metainfo, the icon,
#: Qt's desktop file name (Wayland app id) and the bundles' identifiers.
APP_ID = "io.github.shareguard.ShareGuard"

# onnxruntime (1.32 here) records telemetry on Linux and macOS as well: on its first use it
# writes a persistent device ID and a queue of events about the models it runs under
# ~/.cache/Microsoft/DeveloperTools/.onnxruntime, for upload to Microsoft. A record that
# this app looked for faces, on the person's own disk, is what share_guard exists to
# prevent. Its documented opt-out (read when the runtime starts) is set here, before any of
# our modules can import it, in every process: the command, the app, the sandbox's fork
# server and workers inherit it. Not a setting: it cannot be turned back on.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"
_os.environ["ORT_TELEMETRY_DISABLED"] = "1"  # the name a later onnxruntime also reads
