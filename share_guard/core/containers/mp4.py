"""MP4, QuickTime MOV, 3GP/3G2 and M4V movies: sniffing, inspection and lossless cleaning.

The work is done by :mod:`bmff_movie` (findings + an in-place neutralising plan for
the boxes), :mod:`bmff_media` (samples scrubbed, unused media bytes zeroed) and the
in-place engine (one streamed copy); :mod:`bmff_account` proves a clean copy byte by
byte. See :mod:`bmff_movie` for why the movie is neutralised in place, not rewritten.
"""

from __future__ import annotations

from typing import ClassVar

from share_guard.core.containers.base import Source
from share_guard.core.containers.bmff_account import MovieAccountant
from share_guard.core.containers.bmff_boxes import mapped, walk_top
from share_guard.core.containers.bmff_handler import ScanHandler
from share_guard.core.containers.bmff_media import plan_media
from share_guard.core.containers.bmff_meta import cap_findings
from share_guard.core.containers.bmff_movie import MovieScan, MovieScanner
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.magic import MOVIE_BRANDS, movie_brand
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.samsung import is_sef, sef_findings
from share_guard.core.report import Category, Finding

MAX_TRAILER_READ = 16 * 1024 * 1024


def trailer_finding(size: int, media: str) -> Finding:
    return Finding(Category.HIDDEN, "trailer", N_("Data after the end of the file structure"),
                   f"{size} bytes", message(N_("data appended after the {media}; removed"), media=media))


class MovieHandler(ScanHandler):
    kind: ClassVar[str] = "video"
    priority: ClassVar[int] = 40
    brands: ClassVar[tuple[bytes, ...]] = ()
    accounts: ClassVar[bool] = True

    def sniff(self, head: bytes) -> bool:
        brand = movie_brand(head)
        return brand is not None and brand.startswith(self.brands)

    def scan(self, src: Source) -> MovieScan:
        with src.open() as fh:
            top = walk_top(fh, src.size)
            scan = MovieScanner(fh, top, "video").run()
            if not scan.problems:
                with mapped(fh) as mm:
                    plan_media(scan, mm)
        scan.plan.settle()
        scan.findings = cap_findings(scan.findings)
        if top.trailer:
            with src.open() as fh:
                fh.seek(top.end)
                tail = fh.read(min(top.trailer, MAX_TRAILER_READ))
            if is_sef(tail) and len(tail) == top.trailer:
                scan.findings.extend(sef_findings(tail, "Samsung trailer", "video"))
            else:
                scan.findings.append(trailer_finding(top.trailer, "video"))
        if not any(b.type == b"moov" for b in top.boxes):
            scan.problems.append(N_("the movie has no header ('moov'); it cannot be played"))
        return scan

    def account(self, src: Source) -> Ledger:
        ledger = Ledger(src.size)
        with src.open() as fh:
            top = walk_top(fh, src.size)
            with mapped(fh) as mm:
                MovieAccountant(mm, ledger).run(top)
        return ledger


class Mp4Handler(MovieHandler):
    name: ClassVar[str] = "mp4"
    mime: ClassVar[str] = "video/mp4"
    extensions: ClassVar[tuple[str, ...]] = (".mp4", ".m4a", ".f4v")
    priority: ClassVar[int] = 45  # after the specific brands below
    brands: ClassVar[tuple[bytes, ...]] = MOVIE_BRANDS["mp4"]


class MovHandler(MovieHandler):
    name: ClassVar[str] = "mov"
    mime: ClassVar[str] = "video/quicktime"
    extensions: ClassVar[tuple[str, ...]] = (".mov", ".qt")
    brands: ClassVar[tuple[bytes, ...]] = MOVIE_BRANDS["mov"]


class ThreeGppHandler(MovieHandler):
    name: ClassVar[str] = "3gp"
    mime: ClassVar[str] = "video/3gpp"
    extensions: ClassVar[tuple[str, ...]] = (".3gp", ".3g2")
    brands: ClassVar[tuple[bytes, ...]] = MOVIE_BRANDS["3gp"]


class M4vHandler(MovieHandler):
    name: ClassVar[str] = "m4v"
    mime: ClassVar[str] = "video/x-m4v"
    extensions: ClassVar[tuple[str, ...]] = (".m4v",)
    brands: ClassVar[tuple[bytes, ...]] = MOVIE_BRANDS["m4v"]


HANDLERS = [MovHandler(), ThreeGppHandler(), M4vHandler(), Mp4Handler()]
