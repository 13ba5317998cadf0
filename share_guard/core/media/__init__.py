"""Decoding untrusted pixels and frames under limits.

The only door through which an untrusted file's pixels are decoded: Pillow with a
fixed list of formats and bomb limits (``images``, ``pixels``), PyAV for video frames
with rotation applied and bounded frame counts (``frames``), and small previews handed
to the GUI as plain bytes (``preview``). Nothing here is called outside a sandbox
worker by the front ends.
"""
