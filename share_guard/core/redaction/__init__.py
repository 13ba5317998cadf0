"""Irreversible redaction: covering faces, codes and drawn areas in pixels.

``regions`` turns detections into the areas a cover fills (enlarged, clipped,
rectangles or ellipses), ``image`` burns covers into still images at the best quality
the format allows, ``video`` re-encodes frames with covers held between samples, and
``transform`` plugs both into the export pipeline as a pixel transform.
"""
