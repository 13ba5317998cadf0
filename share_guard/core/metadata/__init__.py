"""Readers for metadata blocks shared by several containers (EXIF, XMP, IPTC)."""
