"""A HEIC's picture for a takedown check: its luma, decoded by FFmpeg, fitted to the working size.

PDQ is computed from luma, and a grey picture made from the luma plane hashes within a few
bits of pillow-heif's RGB decode (tested), as a JPEG decoded at reduced size does, in about
half the time (:mod:`..media.heic_tiles`). What the list stores is still made from
pillow-heif's full decode.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np

from share_guard.core.hashing.resample import OrientedBoxFit
from share_guard.core.media import heic_tiles


def fitted_luma(path: str | os.PathLike[str], work_side: int) -> np.ndarray | None:
    """The primary picture's luma as an upright grey RGB array fitted to ``work_side``.

    None when the file is not the plain case :mod:`..media.heic_tiles` takes.
    """
    from share_guard.core.hashing.decode import fitted_size

    def make(fh: BinaryIO, heic: heic_tiles.PlainHeic) -> np.ndarray:
        turned = heic.orientation in (5, 6, 7, 8)
        upright = (heic.height, heic.width) if turned else (heic.width, heic.height)
        fitter = OrientedBoxFit((heic.width, heic.height), heic.orientation,
                                fitted_size(*upright, work_side))
        for band in heic_tiles.luma_rows(fh, heic):
            fitter.feed(band[:, :, None])
        return fitter.result()

    return heic_tiles.plain(path, make)
