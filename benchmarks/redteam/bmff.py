"""bmff cases."""

from __future__ import annotations
