"""What one file may report: repeated findings collapse into one, and the rest is capped.

A file's metadata is attacker-controlled and cheap to repeat: a 40 KB PNG held 393,594
Artist tags (six compressed text chunks of 64 IFDs x 1,024 tags), which became as many
findings, 125 MB of JSON and gigabytes in the process that showed them. Two rules bound it:

* **Repeats collapse where findings are made.** The metadata readers add findings to a
  :class:`Collector`, which keeps the first few of a kind (same category and name) as
  they are and turns a longer run into one finding: "65,536 values in 64 blocks: Ann,
  Bob...", with the count, the number of places and a few examples in ``detail``. No
  Finding object is made for the repeats, so the cost of a flood is counting it.
* **A file may report so much and no more.** :func:`seal` (run on every report
  ``inspect`` makes) collapses across readers, then keeps at most :data:`MAX_FINDINGS`
  findings and :data:`MAX_TEXT` characters of their text, and bounds the problems and
  properties. Whatever did not fit is counted by kind and becomes a problem: the file
  "holds more metadata than share_guard lists", so the lossless export is refused (fail
  closed: consent cannot be asked about what was not listed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, Finding, Report, Severity
from share_guard.core.textsafe import display_text

#: findings of one kind listed one by one; more collapse into one finding
KEEP_EACH = 8
#: example values a collapsed finding shows
EXAMPLES = 3
#: findings one file may report (after collapsing)
MAX_FINDINGS = 1_000
#: characters of finding text (name, value, place, explanation, detail) one file may report
MAX_TEXT = 500_000
#: metadata items one file's readers may read (about a second of work)
MAX_ITEMS = 200_000
#: problems (and characters of each) one file may report
MAX_PROBLEMS, PROBLEM_CHARS = 100, 400
#: distinct places counted for a collapsed finding ("in 64 blocks")
MAX_PLACES = 100_000
#: items of one list in a report's properties
MAX_PROPERTY_ITEMS = 256

#: categories made by the content checks: their findings carry regions or verdicts and are
#: few by construction, so they are never collapsed
_CONTENT = frozenset({Category.PEOPLE, Category.CODES, Category.TAKEDOWN, Category.SENSITIVE})

#: ``detail`` keys of a collapsed finding and of the overflow marker
REPEATED, PLACES, SHOWN, OVERFLOW, KINDS = "repeated", "places", "examples", "overflow", "kinds"
OVERFLOW_NAME = N_("More metadata than listed")
UNREAD = "unread "
TOO_MUCH = N_("the file holds more metadata than share_guard lists")

_Key = tuple[Category, str, bool, bool]


@dataclass
class _Group:
    template: Finding  # the first finding of its kind: category, name, explanation, detail
    first: list[Finding] = field(default_factory=list)  # up to KEEP_EACH, as made
    count: int = 0
    collapsed: bool = False  # holds a finding that was already collapsed elsewhere
    places: set[str] = field(default_factory=set)
    more_places: int = 0  # places of collapsed findings (they cannot be told apart)
    examples: list[str] = field(default_factory=list)
    tries: int = 0  # values looked at for examples (a flood of one value is looked at once)
    last_where: str = ""

    def example(self, value: object) -> None:
        if len(self.examples) < EXAMPLES and self.tries < 4 * EXAMPLES:
            self.tries += 1
            text = display_text(value, limit=60)
            if text and text not in self.examples:
                self.examples.append(text)

    def place(self, where: str) -> None:
        if where != self.last_where:
            self.last_where = where
            if len(self.places) < MAX_PLACES:
                self.places.add(where)


class Collector:
    """Findings of one file or block, collapsed as they are added (see the module doc).

    ``add`` takes the parts of a finding and makes one only while its kind has fewer than
    :data:`KEEP_EACH`; ``add_finding`` takes made ones (another reader's, perhaps already
    collapsed: their counts add up). At most ``limit`` kinds are kept; findings of further
    kinds are counted by category and reported as one "More metadata than listed" finding,
    which :func:`seal` turns into a refusal.
    """

    def __init__(self, limit: int = MAX_FINDINGS) -> None:
        self.limit = limit
        self._groups: dict[_Key, _Group] = {}
        self._order: list[Finding | _Key] = []  # findings that never collapse, and groups
        #: what did not fit, by kind ("Who", "When"... or a block left unread)
        self.overflow: Counter[str] = Counter()
        self.added = 0  # findings added, repeats and overflow included

    def __len__(self) -> int:
        return len(self._order)

    def add(self, category: Category, where: str, name: str, value: object,
            explanation: str, *, identifying: bool = True, removable: bool = True,
            severity: Severity | None = None, detail: Mapping[str, Any] | None = None) -> None:
        """A finding, made only if it will be listed on its own."""
        group = self._groups.get((category, name, identifying, removable))
        if group is not None and group.count >= KEEP_EACH:
            self.added += 1
            group.count += 1
            group.place(where)
            group.example(value)
            return
        self.add_finding(Finding(category, where, name, str(value), explanation, identifying,
                                 removable, severity, detail=dict(detail or {})))

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.add_finding(finding)

    def add_finding(self, f: Finding) -> None:
        self.added += 1
        if OVERFLOW in f.detail and f.name == OVERFLOW_NAME:  # another collector's excess
            for label, n in dict(f.detail.get(KINDS, {})).items():
                self.overflow[str(label)] += int(n)
            return
        if f.regions or f.category in _CONTENT:
            if self._room(f.category, 1):
                self._order.append(f)
            return
        key = (f.category, f.name, f.identifying, f.removable)
        group = self._groups.get(key)
        repeated = int(f.detail.get(REPEATED, 0))
        if group is None:
            if not self._room(f.category, repeated or 1):
                return
            group = self._groups[key] = _Group(f)
            self._order.append(key)
        if repeated:
            group.collapsed = True
            group.count += repeated
            group.more_places += int(f.detail.get(PLACES, 1))
            for example in f.detail.get(SHOWN, ()):
                group.example(example)
            return
        if group.count < KEEP_EACH:
            group.first.append(f)
        group.count += 1
        group.place(f.where)
        group.example(f.value)

    def _room(self, category: Category, n: int) -> bool:
        if len(self._order) < self.limit:
            return True
        self.overflow[category.label] += n
        return False

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for item in self._order:
            if isinstance(item, Finding):
                out.append(item)
                continue
            group = self._groups[item]
            if group.count <= KEEP_EACH and not group.collapsed:
                out.extend(group.first)
            else:
                out.append(_collapsed(group))
        if self.overflow:
            out.append(overflow_finding(self.overflow))
        return out


def _collapsed(group: _Group) -> Finding:
    first = group.template
    places = len(group.places) + group.more_places
    wheres = [first.where, group.last_where or first.where]
    where = _common_where(wheres) if places > 1 else first.where
    shown = ", ".join(group.examples)
    many = "over " if len(group.places) >= MAX_PLACES else ""
    spread = f" in {many}{places:,} places" if places > 1 else ""
    value = f"{group.count:,} values{spread}" + (f": {shown}" if shown else "")
    detail = {k: v for k, v in first.detail.items() if k not in (REPEATED, PLACES, SHOWN)}
    detail.update({REPEATED: group.count, PLACES: places, SHOWN: list(group.examples)})
    return replace(first, where=where, value=value, detail=detail)


def _common_where(wheres: list[str]) -> str:
    """The words the places share ("EXIF IFD0", "EXIF IFD7" -> "EXIF")."""
    split = [w.split(" ") for w in wheres]
    common: list[str] = []
    for words in zip(*split, strict=False):
        if len(set(words)) != 1:
            break
        common.append(words[0])
    return " ".join(common) or wheres[0]


def overflow_finding(kinds: Mapping[str, int]) -> Finding:
    """The marker of what did not fit: ``kinds`` maps a kind ("Who", or "unread EXIF" for
    blocks left unread) to how many items of it were left out. :func:`seal` turns it into
    a refusal."""
    order = {c.label: i for i, c in enumerate(Category)}
    labels = sorted(kinds, key=lambda k: (order.get(k, len(order)), k))
    return Finding(Category.UNKNOWN, "metadata", OVERFLOW_NAME, describe_overflow(kinds),
                   N_("more metadata than share_guard lists one by one; a clean copy can only "
                   "be made from the pixels"),
                   detail={OVERFLOW: sum(kinds.values()), KINDS: {k: kinds[k] for k in labels}})


def describe_overflow(kinds: Mapping[str, int]) -> str:
    """"1,200 items not listed (Who, When); 2 EXIF blocks left unread"."""
    order = {c.label: i for i, c in enumerate(Category)}
    listed = sorted((k for k in kinds if k in order), key=order.__getitem__)
    parts = []
    if listed:
        n = sum(kinds[k] for k in listed)
        parts.append(message(N_("{n} item not listed ({kinds})") if n == 1 else
                             N_("{n} items not listed ({kinds})"), n=f"{n:,}",
                             kinds=", ".join(listed)))
    for kind in sorted(k for k in kinds if k not in order):
        n, what = kinds[kind], kind.removeprefix(UNREAD)
        parts.append(message(N_("{n} {what} block left unread") if n == 1 else
                             N_("{n} {what} blocks left unread"), n=f"{n:,}", what=what))
    return "; ".join(parts)


# -- the reading budget of one file ---------------------------------------------------------

class ReadBudget:
    """How many metadata items (EXIF entries, XMP properties, IPTC datasets, text chunks)
    the readers may still read for one file: each block is bounded by its reader, this
    bounds their number (a PNG may hold hundreds of compressed EXIF blocks)."""

    def __init__(self, items: int = MAX_ITEMS) -> None:
        self.remaining = items

    def spend(self, n: int) -> bool:
        self.remaining -= n
        return self.remaining >= 0


_CURRENT: ContextVar[ReadBudget | None] = ContextVar("share_guard_read_budget", default=None)


@contextmanager
def reading(items: int = MAX_ITEMS) -> Iterator[ReadBudget]:
    """The budget of the file being read (``inspect`` opens one per file)."""
    budget = ReadBudget(items)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def exhausted() -> bool:
    """True when the file being read has spent its budget: leave the next block unread."""
    budget = _CURRENT.get()
    return budget is not None and budget.remaining < 0


def spend(n: int) -> bool:
    """Charge ``n`` items read to the file being read; False once it is over budget."""
    budget = _CURRENT.get()
    return budget is None or budget.spend(n)


def unread(what: str) -> Finding:
    """A ``what`` block ("EXIF", "XMP") left unread because the file spent its budget: it
    goes with the rest of the metadata, and is a reason to refuse the lossless copy."""
    return overflow_finding({f"{UNREAD}{what}": 1})


def _text_size(f: Finding) -> int:
    return len(f.name) + len(f.value) + len(f.where) + len(f.explanation) + _size(f.detail, 0)


def _size(value: object, depth: int) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping) and depth < 8:
        return sum(len(str(k)) + _size(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple) and depth < 8:
        return sum(_size(v, depth + 1) for v in value) + len(value)
    return 8


def seal(report: Report) -> Report:
    """Hold ``report`` to the budget of one file, in place (and return it): repeats
    collapsed across readers, at most :data:`MAX_FINDINGS` findings and :data:`MAX_TEXT`
    characters of their text, problems and properties bounded. What did not fit is a
    problem naming its kinds, so the lossless export is refused."""
    collector = Collector()
    collector.extend(report.findings)
    made = collector.findings()
    dropped = collector.overflow
    kept: list[Finding] = []
    spent = 0
    for f in made:
        if OVERFLOW in f.detail and f.name == OVERFLOW_NAME:
            continue
        size = _text_size(f)
        if spent + size > MAX_TEXT and f.category not in _CONTENT:
            dropped[f.category.label] += int(f.detail.get(REPEATED, 1))
            continue
        spent += size
        kept.append(f)
    if dropped:
        marker = overflow_finding(dropped)
        kept.append(marker)
        problem = message(N_("the file holds more metadata than share_guard lists: {what}"),
                          what=marker.value)
        if not any(p.startswith(TOO_MUCH) for p in report.problems):
            report.problems.insert(0, problem)
    report.findings = kept
    if len(report.problems) > MAX_PROBLEMS:
        extra = len(report.problems) - MAX_PROBLEMS + 1
        report.problems = [*report.problems[: MAX_PROBLEMS - 1], f"{extra:,} more problems"]
    report.problems = [display_text(p, limit=PROBLEM_CHARS) for p in report.problems]
    if report.error is not None:
        report.error = display_text(report.error, limit=PROBLEM_CHARS)
    report.properties = {display_text(k, limit=60): _bounded(v, 0)
                         for k, v in list(report.properties.items())[:MAX_PROPERTY_ITEMS]}
    return report


def _bounded(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= PROBLEM_CHARS else display_text(value, limit=PROBLEM_CHARS)
    if depth >= 4:
        return value if isinstance(value, int | float | bool) or value is None else None
    if isinstance(value, list | tuple):
        items = [_bounded(v, depth + 1) for v in list(value)[:MAX_PROPERTY_ITEMS]]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, Mapping):
        return {str(k)[:60]: _bounded(v, depth + 1)
                for k, v in list(value.items())[:MAX_PROPERTY_ITEMS]}
    return value
