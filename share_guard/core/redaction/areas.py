"""Where covers go: detected regions enlarged as the redaction enlarges them, the person's
own choices applied, all clipped to the picture. Plain geometry, no pixels: the window asks
for it on the first face it shows (numpy is not loaded for it; see :mod:`regions` for the
covering itself)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from share_guard.core.report import Region

#: detected regions are grown this much per side...
ENLARGE = 1.3
#: ...and by at least this many pixels on each side
MIN_PAD = 4
MANUAL = "manual"  # the label of a region the person drew (used as drawn)


def plan_regions(
    detected: Iterable[Region],
    added: Iterable[Region] = (),
    removed: Iterable[Region] = (),
) -> list[Region]:
    """Detections the person kept plus the regions they drew.

    ``removed`` lists detections the person switched off; a detection is removed
    when it has the same box (and time range, for video) as one of them.
    """
    gone = {(r.x, r.y, r.w, r.h, r.t_start, r.t_end) for r in removed}
    kept = [r for r in detected if (r.x, r.y, r.w, r.h, r.t_start, r.t_end) not in gone]
    return kept + [r if r.label else replace(r, label=MANUAL) for r in added]


def enlarged(region: Region, factor: float, width: int, height: int) -> Region:
    """``region`` grown ``factor`` times per side around its centre, clipped to the image."""
    if region.label == MANUAL or factor == 1.0:
        grown = region
    else:
        cx, cy = region.x + region.w / 2, region.y + region.h / 2
        w = max(region.w * factor, region.w + 2 * MIN_PAD)
        h = max(region.h * factor, region.h + 2 * MIN_PAD)
        x0, y0 = math.floor(cx - w / 2), math.floor(cy - h / 2)
        x1, y1 = math.ceil(cx + w / 2), math.ceil(cy + h / 2)
        grown = replace(region, x=x0, y=y0, w=x1 - x0, h=y1 - y0)
    return clip(grown, width, height)


def clip(region: Region, width: int, height: int) -> Region:
    x0, y0 = max(0, region.x), max(0, region.y)
    x1, y1 = min(width, region.x + region.w), min(height, region.y + region.h)
    return replace(region, x=x0, y=y0, w=max(0, x1 - x0), h=max(0, y1 - y0))
