"""Describe data found after the end of an image (Motion Photos, vendor trailers)."""

from __future__ import annotations

from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, Finding


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def describe_trailer(tail: bytes, offset: int) -> Finding:
    """One HIDDEN finding naming what the bytes after the image are, in plain words."""
    size = human_size(len(tail))
    where = f"trailer at byte {offset}"
    video_at = _find_video(tail)
    if video_at is not None:
        video = human_size(len(tail) - video_at)
        return Finding(Category.HIDDEN, where, N_("Motion Photo video"), f"{video} video",
                       message(N_("a {video} video recorded around the moment of the photo (Motion Photo)"),
                               video=video),
                       detail={"bytes": len(tail), "video_offset": offset + video_at})
    if tail.rstrip(b"\x00") == b"":
        return Finding(Category.HIDDEN, where, N_("Padding after the image"), size,
                       N_("empty bytes after the image; removed"))
    if tail.startswith(b"\xff\xd8\xff"):
        return Finding(Category.HIDDEN, where, N_("Extra image after the photo"), size,
                       N_("a second picture (preview, depth map or original) hidden after the photo"))
    if tail.endswith(b"SEFT") or b"SEFH" in tail[-4096:]:
        return Finding(Category.HIDDEN, where, N_("Samsung trailer"), size,
                       N_("Samsung camera data (may hold a video, depth or edit data)"))
    return Finding(Category.HIDDEN, where, N_("Data after the image"), size,
                   N_("unknown data appended after the picture"))


def _find_video(tail: bytes) -> int | None:
    """Offset of an MP4/MOV (``ftyp`` box) inside the trailer, or None."""
    search_from = 0
    for _ in range(64):
        at = tail.find(b"ftyp", search_from)
        if at < 0:
            return None
        if at >= 4:
            size = int.from_bytes(tail[at - 4 : at], "big")
            if 8 <= size <= 256:
                return at - 4
        search_from = at + 4
    return None
