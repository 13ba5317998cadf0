"""share_guard: check photos and videos before they are shared."""

__version__ = "0.1.0"
#: Reverse-DNS application ID: names the .desktop file, the AppStream metainfo, the icon,
#: Qt's desktop file name (Wayland app id) and the bundles' identifiers.
APP_ID = "io.github.shareguard.ShareGuard"
