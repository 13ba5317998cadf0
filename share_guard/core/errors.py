"""Exceptions whose message is a one-line explanation fit to show a person."""

from __future__ import annotations


class ShareGuardError(Exception):
    """Base class: ``str(err)`` is a short, human, single-line reason."""

    def __str__(self) -> str:
        text = super().__str__()
        return " ".join(text.split())


class UnsupportedFormat(ShareGuardError):
    """The bytes are not a photo or video format we handle."""


class CorruptFile(ShareGuardError):
    """The container could not be parsed with confidence (truncated, malformed)."""


class LimitExceeded(CorruptFile):
    """The file asks for more time, memory or nesting than we allow."""


class ExportRefused(ShareGuardError):
    """The export was refused on purpose (no consent, policy, unclean result...)."""


class OutputError(ShareGuardError):
    """The destination cannot be written safely (exists, symlink, read-only...)."""


class Cancelled(ShareGuardError):
    """The person cancelled the operation."""
