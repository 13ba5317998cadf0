"""Content analysis: what the pixels and frames show, not what the metadata says.

Face detection (CenterFace, tiled), face tracks in videos, readable codes (QR and
barcodes), the sensitive-content check, and the per-session detection cache. Each
analyzer is a small picklable object with ``analyze(src, report, progress, cancel)``
that the sandbox runs in a worker; none of them writes anything.
"""
