"""Hash a file for the takedown list: only hashes are kept, never the file."""

from __future__ import annotations

import os
import uuid

from share_guard.core.errors import CorruptFile
from share_guard.core.hashing.image import hash_image
from share_guard.core.hashing.values import HashType, file_digests
from share_guard.core.hashing.video import FrameHash, hash_video
from share_guard.core.i18n import N_
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.takedown.match import MIN_QUALITY, media_kind
from share_guard.core.takedown.store import NewEntry


def entries_for_file(
    path: str | os.PathLike[str],
    *,
    label: str = "",
    source: str = "",
    kind: str | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[NewEntry]:
    """The entries that describe one file: exact digests plus perceptual hashes.

    An image gives SHA-256, MD5, PDQ (and PDQ of a copy with uniform borders
    trimmed, when it has any) and pHash; a video gives SHA-256, MD5 and a dense
    vPDQ. All share one ``item`` id so they can be withdrawn together.
    """
    kind = kind or media_kind(path)
    item = uuid.uuid4().hex[:12]

    def entry(
        t: HashType, value: str = "", quality: int | None = None,
        frames: tuple[FrameHash, ...] = ()
    ) -> NewEntry:
        return NewEntry(t, value, quality, label, source, frames=frames, item=item)

    out = [entry(t, d.hex) for t, d in file_digests(path).items()]
    if kind == "video":
        frames = hash_video(path, dense=True, cancel=cancel, progress=progress)
        if not frames:
            raise CorruptFile(N_("no video frame could be hashed (blank or undecodable video)"))
        out.append(entry(HashType.VPDQ, frames=tuple(frames)))
        return out
    # Full-size decode: the stored values are the reference ones (a check's draft
    # decode stays within a few bits of them; see docs/takedown.md).
    hashes = hash_image(path, queries=False, draft=False, progress=progress)
    if hashes.pdq is None and hashes.phash is None:
        raise CorruptFile(N_("the image is too small or too flat to hash"))
    if hashes.pdq is not None:
        out.append(entry(HashType.PDQ, hashes.pdq.hex, hashes.pdq.quality))
    if hashes.pdq_trimmed is not None and hashes.pdq_trimmed != hashes.pdq:
        out.append(entry(HashType.PDQ, hashes.pdq_trimmed.hex, hashes.pdq_trimmed.quality))
    # pHash has no quality measure: a flat or near-blank picture hashes to almost the
    # same value as every other one, so it is only kept when PDQ says there is detail.
    if hashes.phash is not None and hashes.pdq is not None and hashes.pdq.quality >= MIN_QUALITY:
        out.append(entry(HashType.PHASH, hashes.phash.hex))
    return out
