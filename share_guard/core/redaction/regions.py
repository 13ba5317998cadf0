"""Irreversible redaction of regions in a pixel array.

Two styles, both destroying what was there:

* ``solid`` (default): an opaque fill of the region.
* ``noisy``: the region shrunk to at most 6 cells across, fresh random noise
  added, scaled back up and blurred. It looks softer than a black box but keeps
  nothing recoverable beyond a handful of noisy average colours.

Never a plain blur or a fixed-size mosaic: both can be partly reversed
(McPherson et al. 2016 re-identified faces under both; Depix recovers
pixelated text).

Detected regions are enlarged 1.3x per side (coverage of crowd faces 0.87 ->
0.95), and by at least ``MIN_PAD`` px on each side (a box off by 2-3 px leaves a
third of a 10 px face showing); regions drawn by hand (label "manual") are used
as drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from share_guard.core.redaction.areas import ENLARGE, MANUAL, MIN_PAD, clip, enlarged, plan_regions
from share_guard.core.report import Region

NOISY_CELLS = 6
NOISE_SIGMA = 48.0
FILL = 0  # black; the alpha channel (if any) is made opaque


class Style(StrEnum):
    SOLID = "solid"
    NOISY = "noisy"


@dataclass(frozen=True)
class RedactionPlan:
    """What to redact in one image or video (all in displayed pixels)."""

    regions: tuple[Region, ...] = ()
    style: Style = Style.SOLID
    #: when set, everything *outside* this region is redacted too
    outside: Region | None = None
    enlarge: float = ENLARGE

    def __post_init__(self) -> None:
        object.__setattr__(self, "style", Style(self.style))
        object.__setattr__(self, "regions", tuple(self.regions))

    @property
    def empty(self) -> bool:
        return not self.regions and self.outside is None


def redact_array(
    pixels: np.ndarray,
    plan: RedactionPlan,
    *,
    rng: np.random.Generator | None = None,
    alpha: bool = False,
    fill: int = FILL,
) -> list[Region]:
    """Redact ``pixels`` (HxW or HxWxC uint8) in place; returns the regions as applied.

    ``alpha``: the last channel is alpha and is set opaque where redacted, so the
    silhouette of what was there cannot survive in the transparency. ``fill`` is
    the solid value (video planes: 16 for limited-range luma, 128 for chroma).
    """
    if pixels.dtype != np.uint8:
        raise ValueError("redaction works on uint8 pixels")
    h, w = pixels.shape[:2]
    rng = rng if rng is not None else np.random.default_rng()
    applied: list[Region] = []
    for region in plan.regions:
        r = enlarged(region, plan.enlarge, w, h)
        if r.w == 0 or r.h == 0:
            continue
        patch = pixels[r.y : r.y + r.h, r.x : r.x + r.w]
        mask = None if r.shape == "rect" else _ellipse_mask(r.w, r.h)
        _fill(patch, mask, plan.style, rng, alpha, fill)
        applied.append(r)
    if plan.outside is not None:
        keep = clip(plan.outside, w, h)
        inside = np.zeros((h, w), bool)
        if keep.w and keep.h:
            local = (
                np.ones((keep.h, keep.w), bool)
                if keep.shape == "rect"
                else _ellipse_mask(keep.w, keep.h)
            )
            inside[keep.y : keep.y + keep.h, keep.x : keep.x + keep.w] = local
        _fill(pixels, ~inside, plan.style, rng, alpha, fill)
        applied.append(replace(keep, label="outside"))
    return applied


def _ellipse_mask(w: int, h: int) -> np.ndarray:
    yy, xx = np.ogrid[:h, :w]
    nx = (xx + 0.5 - w / 2) / (w / 2)
    ny = (yy + 0.5 - h / 2) / (h / 2)
    return (nx * nx + ny * ny) <= 1.0


def _fill(
    patch: np.ndarray,
    mask: np.ndarray | None,
    style: Style,
    rng: np.random.Generator,
    alpha: bool,
    fill: int = FILL,
) -> None:
    colour = patch[..., :-1] if alpha else patch
    if style is Style.SOLID:
        new = np.full_like(colour, fill)
    else:
        new = _coarse_noise(colour, rng)
    if mask is None:
        colour[...] = new
        if alpha:
            patch[..., -1] = 255
    else:
        colour[mask] = new[mask]
        if alpha:
            patch[..., -1][mask] = 255


def _coarse_noise(patch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image, ImageFilter

    h, w = patch.shape[:2]
    long_side = max(w, h)
    cw = max(1, round(NOISY_CELLS * w / long_side))
    ch = max(1, round(NOISY_CELLS * h / long_side))
    k = max(3, (min(w, h) // NOISY_CELLS) | 1)
    # the sigma OpenCV picks for a k x k Gaussian kernel (this fill used cv2.GaussianBlur)
    blur = ImageFilter.GaussianBlur(0.3 * ((k - 1) * 0.5 - 1) + 0.8)
    planes = patch.reshape(h, w, -1)
    out = np.empty((h, w, planes.shape[2]), np.uint8)
    # one channel at a time as 8-bit greyscale: any channel count, video planes included
    for c in range(planes.shape[2]):
        plane = Image.fromarray(np.ascontiguousarray(planes[..., c]), "L")
        small = np.asarray(plane.resize((cw, ch), Image.Resampling.BOX), np.float32)
        small = small + np.asarray(rng.normal(0.0, NOISE_SIGMA, small.shape), np.float32)
        noisy = Image.fromarray(np.clip(small, 0, 255).astype(np.uint8), "L")
        big = noisy.resize((w, h), Image.Resampling.BILINEAR).filter(blur)
        out[..., c] = np.asarray(big)
    # fine grain on top so the fill never looks like a smooth (invertible) gradient
    grain = np.asarray(rng.normal(0.0, NOISE_SIGMA / 4, out.shape), dtype=np.float32)
    result: np.ndarray = np.clip(out.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    return result.reshape(patch.shape)


def redaction_plan(
    regions: Sequence[Region],
    style: Style | str = Style.SOLID,
    outside: Region | None = None,
    enlarge: float = ENLARGE,
) -> RedactionPlan:
    return RedactionPlan(tuple(regions), Style(style), outside, enlarge)


__all__ = ["ENLARGE", "MANUAL", "MIN_PAD", "RedactionPlan", "Style", "clip", "enlarged",
           "plan_regions", "redact_array", "redaction_plan"]
