"""webp cases."""

from __future__ import annotations
