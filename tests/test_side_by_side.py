"""The looks at one file's pixels on workers of their own, side by side (the app's second
step after the metadata), and the app's warm-up of its workers."""

from __future__ import annotations

import copy
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.engine.side_by_side import merged
from share_guard.core.report import Category, Finding, Report
from share_guard.core.sandbox.inprocess import InProcessRunner

BOARDING = "M1DOE/JOHN            EABC123 LHRJFKBA 0117 123Y012A0001 100"


class TwoAtOnce(InProcessRunner):
    """Reads in this process, two checks at once: the first two checks of one analyzer
    each wait at a barrier for the other, so the test fails unless they really run side by
    side (a third one waits for a worker: it runs after one of them)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.meet = threading.Barrier(2, timeout=20)
        self.lock = threading.Lock()

    @property
    def parallel(self) -> int:
        return 2

    def with_checks(self, report, analyzers, progress=None, cancel=None):  # type: ignore[override]
        names = [a.name for a in analyzers]
        with self.lock:
            self.calls.append(names)
            first_two = len(names) == 1 and sum(len(c) == 1 for c in self.calls) <= 2
        if first_two:
            self.meet.wait()
        return super().with_checks(report, analyzers, progress or (lambda f, t: None), cancel)


def face_and_code_photo(path: Path) -> Path:
    """The astronaut beside a boarding-pass QR code on a light card, an artist in its EXIF."""
    img = cv2.resize(data.coffee(), (1000, 600))
    img[60:460, 40:440] = cv2.resize(data.astronaut(), (400, 400))
    code = cv2.resize(cv2.QRCodeEncoder.create().encode(BOARDING), None, fx=5, fy=5,
                      interpolation=cv2.INTER_NEAREST)
    h, w = code.shape[:2]
    img[80 : 120 + h, 520 : 560 + w] = 245
    img[100 : 100 + h, 540 : 540 + w] = code[..., None]
    exif = Image.Exif()
    exif[0x013B] = "Alice Plantedname"  # Artist: the metadata's own finding
    Image.fromarray(img).save(path, quality=92, exif=exif)
    return path


def _seen(report: Report) -> list[tuple[str, str, str, tuple[object, ...]]]:
    return [(f.category.label, f.name, f.value, tuple(f.regions)) for f in report.findings]


def test_the_checks_run_side_by_side_and_report_as_one_task_would(tmp_path: Path) -> None:
    photo = face_and_code_photo(tmp_path / "boarding.jpg")
    runner = TwoAtOnce()
    engine = build_engine(Features(runner=runner, faces=True, codes=True, takedown=True,
                                   data_dir=tmp_path / "data"))
    base = engine.inspect(photo, content=False)
    assert base.checked == []  # the takedown hashes are a look at the pixels too
    side = engine.complete(base)
    # the face search on one worker, the takedown hashes then the codes on the other;
    # none again
    assert runner.calls[0] in (["takedown"], ["faces"])
    assert sorted(runner.calls) == [["codes"], ["faces"], ["takedown"]]

    whole = InProcessRunner().inspect(photo, engine.inspect_options(content=True))
    assert _seen(side) == _seen(whole)
    assert side.checked == whole.checked == ["takedown", "codes", "faces"]
    assert side.problems == whole.problems and side.failed_checks == whole.failed_checks == []
    kinds = {f.category for f in side.findings}
    assert {Category.PEOPLE, Category.CODES} <= kinds  # both looks found what they look for
    assert base.checked == [] and not {Category.PEOPLE, Category.CODES} & {
        f.category for f in base.findings}  # the report given is not changed


def test_without_a_look_at_the_pixels_the_takedown_check_comes_with_the_metadata(
        tmp_path: Path) -> None:
    photo = face_and_code_photo(tmp_path / "boarding.jpg")
    engine = build_engine(Features(runner=InProcessRunner(), faces=False, codes=False,
                                   takedown=True, data_dir=tmp_path / "data"))
    assert not engine.has_content_checks()  # the app checks in one step: nothing is left out
    assert engine.inspect(photo, content=False).checked == ["takedown"]


def _part(base: Report, *extra: Finding, **changed: object) -> Report:
    part = copy.deepcopy(base)
    part.findings.extend(extra)
    for key, value in changed.items():
        setattr(part, key, value)
    return part


def test_parts_are_put_together_in_order_and_an_error_or_a_stranger_is_not_guessed_at() -> None:
    meta = Finding(Category.LOCATION, "EXIF", "GPS position", "52.1, 4.3", "where")
    base = Report(Path("/x/p.jpg"), format="jpeg", kind="image", findings=[meta],
                  checked=["takedown"])
    codes = Finding(Category.CODES, "pixels", "Readable codes", "1 QR code", "codes",
                    removable=False)
    faces = Finding(Category.PEOPLE, "pixels", "Faces", "1 face", "people", removable=False)
    a = _part(base, codes, checked=["takedown", "codes"])
    b = _part(base, faces, checked=["takedown", "faces"], problems=["faces check failed: x"],
              failed_checks=["faces"])
    out = merged(base, [a, b])
    assert out is not None
    assert [f.name for f in out.findings] == ["GPS position", "Readable codes", "Faces"]
    assert out.checked == ["takedown", "codes", "faces"]
    assert out.problems == ["faces check failed: x"] and out.failed_checks == ["faces"]
    assert [f.name for f in base.findings] == ["GPS position"]  # untouched

    changed = _part(base, error="the file changed since it was checked")
    assert merged(base, [a, changed]) is changed
    stranger = _part(base, findings=[faces])  # does not begin with the report given
    assert merged(base, [a, stranger]) is None


def test_a_part_that_is_not_the_report_given_runs_the_checks_again_in_one_task(
        tmp_path: Path) -> None:
    photo = face_and_code_photo(tmp_path / "boarding.jpg")

    class Forgetful(TwoAtOnce):
        def with_checks(self, report, analyzers, progress=None, cancel=None):  # type: ignore[override]
            out = super().with_checks(report, analyzers, progress, cancel)
            if len(analyzers) == 1:
                out.findings = out.findings[1:]  # loses the report's first finding
            return out

    runner = Forgetful()
    engine = build_engine(Features(runner=runner, faces=True, codes=True, takedown=False,
                                   data_dir=tmp_path / "data"))
    base = engine.inspect(photo, content=False)
    assert base.findings  # the artist in its EXIF
    side = engine.complete(base)
    assert runner.calls[-1] == ["codes", "faces"]  # again, in one task
    assert _seen(side)[: len(base.findings)] == _seen(base)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_app_warm_up_starts_every_worker_with_the_face_model_loaded(tmp_path: Path) -> None:
    engine = build_engine(Features(faces=True, codes=True, takedown=False, workers=2,
                                   data_dir=tmp_path / "data"))
    try:
        assert engine.runner.worker_pids() == []
        engine.warm_up()
        pids = engine.runner.worker_pids()
        assert len(pids) == 2
        for pid in pids:
            maps = Path(f"/proc/{pid}/maps").read_text()
            assert "onnxruntime" in maps, f"worker {pid} has no face model runtime loaded"
        # and a check after it works as before
        photo = tmp_path / "face.jpg"
        Image.fromarray(np.ascontiguousarray(data.astronaut())).save(photo)
        report = engine.complete(engine.inspect(photo, content=False))
        assert any(f.category is Category.PEOPLE for f in report.findings), report.findings
    finally:
        engine.close()
