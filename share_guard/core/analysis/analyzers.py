"""Content analyzers for ``inspect``: faces (images and video) and readable codes.

Each is a plain object with ``name`` and ``analyze(src, report, progress,
cancel)``; the front end passes the ones the person asked for in
``InspectOptions(analyzers=[FaceAnalyzer(), CodeAnalyzer()])``. Regions are in
pixels of the picture as displayed (EXIF orientation or video rotation
applied). Results are cached per file hash (see :mod:`detect_cache`), and the
same cached results feed the redaction, via :func:`image_faces`,
:func:`video_faces` and :func:`image_codes`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from share_guard.core.analysis import detect_cache
from share_guard.core.analysis.codes import Code, find_codes
from share_guard.core.analysis.faces import FACE_THRESHOLD, MODEL_SHA256, POSSIBLE_THRESHOLD
from share_guard.core.analysis.tracks import SAMPLE_FPS, Track
from share_guard.core.containers.base import Source
from share_guard.core.i18n import N_
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Category, Finding, Region, Report, Severity, crowd_area

if TYPE_CHECKING:  # pixels are decoded only where a check looks at them
    from share_guard.core.media.pixels import Picture

_PICTURE_KEY = "displayed_picture"
_MODEL = sorted(MODEL_SHA256)[0][:12]


def _picture(src: Source) -> Picture:
    """The picture as displayed, decoded once for all the analyzers (``Source.cache``)."""
    from share_guard.core.media.pixels import Picture

    if _PICTURE_KEY not in src.cache:
        src.cache[_PICTURE_KEY] = Picture(src.path)
    picture: Picture = src.cache[_PICTURE_KEY]
    return picture


def _src(path: Source | str | os.PathLike[str]) -> Source:
    return path if isinstance(path, Source) else Source(path)


def image_faces(
    path: Source | str | os.PathLike[str],
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    backend: str = "auto",
    use_cache: bool = True,
) -> list[Region]:
    """Faces (label "face", score >= 0.2) and possible faces (0.1-0.2) in a still image."""
    from share_guard.core.analysis.faces import get_detector

    src = _src(path)

    def scan() -> list[Region]:
        boxes = get_detector(backend).detect(
            _picture(src), min_score=POSSIBLE_THRESHOLD, cancel=cancel,
            progress=lambda f: progress(f, "looking for faces"),
        )
        return [b.region() for b in boxes]

    return detect_cache.memo(src.path, src.cache, "faces-image", f"faces:{_MODEL}:{POSSIBLE_THRESHOLD}",
                             scan, detect_cache.region_to_json, detect_cache.region_from_json,
                             use_cache=use_cache)


def video_faces(
    path: Source | str | os.PathLike[str],
    *,
    sample_fps: float = SAMPLE_FPS,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    backend: str = "auto",
    use_cache: bool = True,
) -> list[Track]:
    """Face tracks in a video (what :func:`redact_video_file` takes)."""
    from share_guard.core.analysis.tracks import detect_video_faces

    src = _src(path)
    return detect_cache.memo(
        src.path, src.cache, "faces-video", f"faces:{_MODEL}:{POSSIBLE_THRESHOLD}:{sample_fps}",
        lambda: detect_video_faces(src.path, sample_fps=sample_fps, progress=progress,
                                   cancel=cancel, backend=backend),
        Track.to_json, Track.from_json, use_cache=use_cache)


def image_codes(
    path: Source | str | os.PathLike[str],
    *,
    cancel: CancelToken | None = None,
    use_cache: bool = True,
) -> list[Code]:
    """Readable codes in a still image (regions labelled "qr", "pdf417"... "barcode").

    Not cached on disk: the decoded text (names, booking references) must not be
    written anywhere, and reading codes is fast. ``use_cache`` is accepted for
    symmetry with the face functions.
    """
    del use_cache
    return find_codes(_picture(_src(path)).gray(), cancel=cancel)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class FaceAnalyzer:
    """Finds faces in photos and videos (Category.PEOPLE, not removable by stripping)."""

    name = "faces"

    def __init__(self, backend: str = "auto", sample_fps: float = SAMPLE_FPS,
                 use_cache: bool = True) -> None:
        self.backend, self.sample_fps, self.use_cache = backend, sample_fps, use_cache

    def warm_up(self, kind: str) -> None:
        """Load the face model in the background while the file's metadata is read."""
        if kind in ("image", "video"):
            from share_guard.core.analysis.faces import warm_up

            warm_up(self.backend)

    def ready(self, kind: str) -> None:
        """Load the face model now and return when it is (see ``engine.deferred.get_ready``)."""
        if kind in ("image", "video"):
            from share_guard.core.analysis.faces import get_detector

            get_detector(self.backend)

    def analyze(
        self, src: Source, report: Report, progress: ProgressFn, cancel: CancelToken | None
    ) -> Iterable[Finding]:
        if report.kind == "video":
            tracks = video_faces(src, sample_fps=self.sample_fps, progress=progress,
                                 cancel=cancel, backend=self.backend, use_cache=self.use_cache)
            regions = [t.region() for t in tracks]
            where = "video frames"
        elif report.kind == "image":
            progress(0.0, N_("looking for faces"))
            regions = image_faces(src, progress=progress, cancel=cancel, backend=self.backend,
                                  use_cache=self.use_cache)
            where = "pixels"
        else:
            return []
        return face_findings(regions, where, video=report.kind == "video")


#: a picture is flagged as showing people only when some face scores at least this
PICTURE_THRESHOLD = 0.5


#: ...and a crowd when at least this many boxes score FACE_THRESHOLD or more
CROWD_FACES = 3
#: in a crowd, boxes from this score up are pre-selected (the trade: 9-21 px faces
#: covered 0.88 of their area instead of 0.77 on the benchmark's crowds, for about 8
#: more covers per crowd picture that show no labelled face)
CROWD_THRESHOLD = POSSIBLE_THRESHOLD


def preselected(scores: Iterable[float]) -> float:
    """The lowest score pre-selected for covering among detections with these ``scores``.

    In a crowd (a confident face and at least CROWD_FACES faces), every box from
    CROWD_THRESHOLD up is pre-selected: small faces in a crowd score 0.1-0.3, and a
    cover too many on a photo of a crowd is the safe side (the person can untick it). Elsewhere boxes from
    FACE_THRESHOLD up are (a portrait keeps its one face, not a weak box on a sleeve).
    """
    scores = list(scores)
    crowd = (max(scores, default=0.0) >= PICTURE_THRESHOLD
             and sum(s >= FACE_THRESHOLD for s in scores) >= CROWD_FACES)
    return CROWD_THRESHOLD if crowd else FACE_THRESHOLD


def face_findings(regions: list[Region], where: str, *, video: bool = False) -> list[Finding]:
    """"Faces" (pre-selected) and "Possible faces" (not selected).

    In a picture with a confident face (>= 0.5), boxes from 0.2 up are faces, in a crowd
    from 0.1 up (see :func:`preselected`); weaker ones are possible faces. Possible faces
    alone do not flag a picture as showing people: in people-free photos (textures, the
    night sky) low scores turn up in about one in ten, so there they are listed as not
    identifying (still with their regions, for the preview to offer).
    """
    if max((r.score for r in regions), default=0.0) >= PICTURE_THRESHOLD:
        floor = preselected(r.score for r in regions)
        sure = [r if r.label == "face" else replace(r, label="face")
                for r in regions if r.score >= floor]
        maybe = [r for r in regions if r.score < floor]
    else:
        # No detection is confident: on people-free photos (foliage, fabric, toys) the
        # detector scores up to ~0.45, real faces 0.6 and up. Offer the boxes, do not
        # pre-select them or flag the picture.
        sure = []
        maybe = [r if r.label == "possible face" else replace(r, label="possible face")
                 for r in regions]
    out: list[Finding] = []
    if sure:
        crowd = [r for r in sure if crowd_area(r)]
        value = _plural(len(sure) - len(crowd), "face")
        if crowd:  # covered too, but not counted as people who can surely be recognised
            value += f" and {_plural(len(crowd), 'more area')} in the crowd"
        out.append(Finding(
            Category.PEOPLE, where, N_("Faces"), value + _span(sure, video),
            N_("People in the picture can be recognised even with every tag removed. "
            "The faces are pre-selected for redaction."),
            removable=False, regions=tuple(sure),
            detail={"count": len(sure) - len(crowd), "crowd_areas": len(crowd)},
        ))
    if maybe:
        out.append(Finding(
            Category.PEOPLE, where, N_("Possible faces"),
            _plural(len(maybe), "possible face") + _span(maybe, video),
            N_("These areas may show a face. Check them and select any you want redacted."),
            identifying=bool(sure), removable=False,
            severity=Severity.LOW if sure else Severity.INFO, regions=tuple(maybe),
            detail={"count": len(maybe), "confidence": "low"},
        ))
    return out


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


def _span(regions: list[Region], video: bool) -> str:
    """", seen 0:03-1:12" for video findings (each region has its own range)."""
    if not video:
        return ""
    start = min(r.t_start or 0.0 for r in regions)
    end = max(r.t_end or 0.0 for r in regions)
    return f", seen {_clock(start)}-{_clock(end)}"


class CodeAnalyzer:
    """Finds QR codes and barcodes in photos (Category.CODES). Videos are not scanned."""

    name = "codes"

    def __init__(self, use_cache: bool = True) -> None:
        self.use_cache = use_cache

    def analyze(
        self, src: Source, report: Report, progress: ProgressFn, cancel: CancelToken | None
    ) -> Iterable[Finding]:
        if report.kind != "image":
            return []
        progress(0.0, N_("looking for readable codes"))
        found = image_codes(src, cancel=cancel, use_cache=self.use_cache)
        if not found:
            return []
        kinds: dict[str, int] = {}
        for code in found:
            kinds[code.kind] = kinds.get(code.kind, 0) + 1
        detail: dict[str, Any] = {
            "count": len(found),
            "codes": [{"kind": c.kind, "content": c.text, "readable": c.readable}
                      for c in found],
        }
        return [Finding(
            Category.CODES, "pixels", N_("Readable codes"),
            ", ".join(_plural(n, k) for k, n in kinds.items()),
            N_("QR codes and barcodes (boarding passes, tickets, parcels) can carry names, "
            "booking references or links. They are pre-selected for redaction."),
            removable=False, regions=tuple(c.region for c in found), detail=detail,
        )]
