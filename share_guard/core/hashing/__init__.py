"""Hashes of photos and videos for the takedown list.

* :mod:`.pdq` - PDQ in numpy, bit for bit with Meta's reference.
* :mod:`.values` - hashes as value objects (hex in/out, ``a - b`` = Hamming distance).
* :mod:`.image` - decoding upright, border trimming, the 8 dihedral variants, pHash.
* :mod:`.video` - vPDQ (per-frame PDQ) over :mod:`share_guard.core.media.frames`.
"""
