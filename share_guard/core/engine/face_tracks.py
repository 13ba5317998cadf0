"""A video's face tracks for a front end that shows them frame by frame.

The face check reports each face in a video as the area it moves through; the tracks it
was made from hold the box at every sampled time (``Track.box_at``). The check cached
them for this session (``analysis.detect_cache``), so asking again reads the cache. Run by
the engine's runner (the sandbox reads the video, as for every other look at it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from share_guard.core.analysis.tracks import Track


def face_tracks(path: str) -> list[Track]:
    """Every face track in the video at ``path`` (possible faces included)."""
    from share_guard.core.analysis.analyzers import video_faces

    return video_faces(path, use_cache=True)
