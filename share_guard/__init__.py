"""share_guard: check photos and videos before they are shared."""

__version__ = "0.1.0"
