"""What one export did (plain data, for front ends): results, the consent asked, the record."""

from __future__ import annotations

from dataclasses import dataclass

from share_guard.core.export.consent import ConsentAnswer, ConsentRequest
from share_guard.core.export.pipeline import ExportResult
from share_guard.core.family.records import ConsentRecord


@dataclass
class ExportOutcome:
    """What one export did: a result per file, the consent question and answer, the record."""

    results: list[ExportResult]
    request: ConsentRequest | None = None  # None: nothing could be exported, nobody was asked
    answer: ConsentAnswer | None = None  # as the policy took it (a refused flag is not granted)
    record: ConsentRecord | None = None  # what was written to the consent log
    parent_approved: bool = False

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)
