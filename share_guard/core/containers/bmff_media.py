"""The media data of a clean movie: kept samples scrubbed, every other ``mdat`` byte zeroed.

A vendor can write a GPS log, a second recording or anything else into ``mdat`` where no
sample table points; players never see it, a clean copy must not keep it. The samples of
kept tracks are scrubbed (:mod:`bmff_scrub`); everything between them is zeroed and,
when it held data, reported.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from share_guard.core.containers.bmff_boxes import Bytes
from share_guard.core.containers.bmff_entries import Entry
from share_guard.core.containers.bmff_movie import MovieScan
from share_guard.core.containers.bmff_scrub import Notes, SampleError, runs, scrub_run
from share_guard.core.containers.inplace import merged
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.report import Category, Finding

#: a sample of this codec, and where it is
Span = tuple[int, int, Entry | None]
CHECK_CHUNK = 4 * 1024 * 1024


def size_words(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    if n >= 1000:
        return f"{n / 1e3:.0f} kB"
    return f"{n} bytes"


def kept_spans(scan: MovieScan) -> tuple[list[Span], list[tuple[int, int]]]:
    """Samples of kept tracks (with their sample description) and of removed tracks."""
    kept: list[Span] = []
    dropped: list[tuple[int, int]] = []
    for track in scan.tracks:
        if track.drop is not None:
            dropped.extend((a, b) for a, b, _ in track.samples if b > a)
            continue
        entries = track.entries
        if any(not 1 <= e <= len(entries) for _, _, e in track.samples):
            scan.problems.append(N_("a sample points at a sample description that is missing"))
            return kept, dropped
        if len(entries) == 1:
            only = entries[0]
            kept.extend((a, b, only) for a, b, _ in track.samples if b > a)
        else:
            kept.extend((a, b, entries[e - 1]) for a, b, e in track.samples if b > a)
    return kept, dropped


def unique(spans: list[Span]) -> list[Span]:
    """Sorted spans with exact repeats folded (an AVIF's still picture is often the first
    frame of its sequence: one range, two references, coded the same way)."""
    out: list[Span] = []
    for span in spans:
        if out and out[-1][:2] == span[:2]:
            mine, theirs = out[-1][2], span[2]
            if (mine.scrub if mine else "") != (theirs.scrub if theirs else ""):
                out.append(span)  # coded two ways: reported as sharing bytes
            continue
        out.append(span)
    return out


def check_spans(spans: list[Span], media: Sequence[tuple[int, int]]) -> str:
    """"" when every span lies inside the media data and none overlaps another."""
    starts = [a for a, _ in media]
    last = -1
    for start, end, _ in spans:
        if start < last:
            return "two samples share the same bytes"
        i = bisect_right(starts, start) - 1
        if i < 0 or end > media[i][1]:
            return "a sample lies outside the media data"
        last = end
    return ""


def plan_media(scan: MovieScan, mm: Bytes, extra: Sequence[Span] = (),
               removed: Sequence[tuple[int, int]] = (), what: str = "video") -> None:
    """Scrub kept samples and ``extra`` ranges (HEIF pictures) and zero the rest of every
    'mdat'; ``removed`` are ranges already reported (items removed on purpose)."""
    kept, dropped = kept_spans(scan)
    dropped.extend(removed)
    spans = unique(sorted([*kept, *extra], key=lambda s: (s[0], s[1])))
    media = sorted(scan.media)
    problem = check_spans(spans, media)
    if problem:
        scan.problems.append(problem)
        return
    notes = Notes()
    coded = ((a, b, entry.scrub if entry else "", entry.length_size if entry else 0)
             for a, b, entry in spans)
    for run in runs(coded):
        try:
            scrub_run(mm, run, scan.plan, notes)
        except SampleError as exc:
            scan.problems.append(message(N_("a {what} sample cannot be scrubbed ({exc})"),
                                         what=what, exc=exc))
            return
    scan.findings.extend(note_findings(notes, what))
    used = merged((s, e) for s, e, _ in spans)
    unused = gaps(media, used)
    for a, b in unused:
        scan.plan.zero_range(a, b)
    stray = gaps(unused, merged(dropped))
    held = sum(b - a for a, b in stray if _holds_data(mm, a, b))
    if held:
        scan.findings.append(Finding(
            Category.HIDDEN, "media data", N_("Data no track uses"), size_words(held),
            message(N_("bytes inside the {what}'s media data that nothing plays (a vendor log, an old "
                       "recording); zeroed"),
                    what=what)))


def gaps(ranges: Sequence[tuple[int, int]], used: Sequence[tuple[int, int]],
         ) -> list[tuple[int, int]]:
    """Parts of ``ranges`` not covered by ``used`` (both sorted and disjoint)."""
    out: list[tuple[int, int]] = []
    j = 0
    for a, b in ranges:
        pos = a
        while j < len(used) and used[j][1] <= pos:
            j += 1
        k = j
        while k < len(used) and used[k][0] < b:
            if used[k][0] > pos:
                out.append((pos, used[k][0]))
            pos = max(pos, used[k][1])
            k += 1
        if pos < b:
            out.append((pos, b))
    return out


def _holds_data(mm: Bytes, a: int, b: int) -> bool:
    while a < b:
        n = min(CHECK_CHUNK, b - a)
        if any(mm[a : a + n]):
            return True
        a += n
    return False


NOTE_WORDS = {
    "encoder or camera text (SEI user data)": (
        Category.DEVICE, N_("Text inside the {what} data (SEI user data)"),
        N_("encoders write their name and settings there, cameras serial numbers or GPS; "
        "replaced by filler the decoder skips")),
    "MPEG-4 user data": (
        Category.DEVICE, N_("Encoder name inside the {what} data (MPEG-4 user data)"),
        N_("names the software that encoded the video; overwritten")),
}


def note_findings(notes: Notes, what: str) -> list[Finding]:
    out: list[Finding] = []
    where = f"{what} data"
    for kind, count in notes.kinds.items():
        category, name, why = NOTE_WORDS.get(kind, (
            Category.HIDDEN, N_("Data inside the {what} data"),
            N_("data decoders skip; neutralised without changing a picture")))
        name = name.format(what=what)
        text = notes.text.get(kind, kind)
        value = f"{text} ({count} place{'s' if count > 1 else ''})"
        if kind.startswith("JPEG "):
            name = "Metadata inside every video frame"
            value = f"{kind[5:]} ({count})"
            why = "each Motion-JPEG frame carried it (EXIF can hold GPS); zeroed"
        out.append(Finding(category, where, name, value, why))
    if notes.exif is not None:
        out.extend(f for f in exif_findings(notes.exif, "video frame EXIF").findings
                   if f.category is not Category.KEPT)
    return out
