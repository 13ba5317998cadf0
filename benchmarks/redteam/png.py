"""png cases."""

from __future__ import annotations
