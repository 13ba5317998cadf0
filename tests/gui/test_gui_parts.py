"""The panels and dialogs on their own: words, plain text, regions, help and packaging."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel

from share_guard.core.export.consent import (
    CONFIRMATIONS,
    REMINDER,
    ConsentFlag,
    ConsentItem,
    ConsentRequest,
)
from share_guard.core.export.pipeline import ExportResult
from share_guard.core.report import Category, Finding, Region, Report
from share_guard.gui import status
from share_guard.gui.dialogs.about_dialog import AboutDialog
from share_guard.gui.dialogs.consent_dialog import ConsentDialog
from share_guard.gui.service import Preview
from share_guard.gui.session import Entry
from share_guard.gui.widgets.findings_view import FindingsView, group_findings
from share_guard.gui.widgets.preview import PreviewPanel

ROOT = Path(__file__).resolve().parents[2]


def _finding(category: Category, name: str = "x", **kw) -> Finding:
    return Finding(category, "EXIF", name, "v", f"{name}: says something", **kw)


def _report(*findings: Finding, **kw) -> Report:
    return Report(Path("/x/a.jpg"), format="jpeg", kind="image", findings=list(findings), **kw)


@pytest.mark.parametrize(("entry", "expected"), [
    (Entry(Path("a"), state="waiting"), ("Waiting…", status.MUTED)),
    (Entry(Path("a"), state="checking"), ("Checking…", status.BUSY)),
    (Entry(Path("a"), state="cancelled"), ("Stopped", status.MUTED)),
    (Entry(Path("a"), state="failed", message="boom"), ("Could not be checked", status.DANGER)),
    (Entry(Path("a"), state="checked", report=_report()), ("Nothing found", status.OK)),
    (Entry(Path("a"), state="checked", report=_report(_finding(Category.TIME))),
     ("1 thing found", status.WARN)),
    (Entry(Path("a"), state="checked", report=_report(_finding(Category.TIME), _finding(Category.LOCATION),
                                                      _finding(Category.KEPT, identifying=False))),
     ("2 things found", status.WARN)),
    (Entry(Path("a"), state="checked",
           report=_report(_finding(Category.TAKEDOWN, detail={"match": "match"}))),
     ("On the takedown list", status.DANGER)),
    (Entry(Path("a"), state="checked", report=_report(problems=["truncated"])),
     ("Needs a rebuild", status.WARN)),
    (Entry(Path("a"), state="checked", report=_report(problems=["truncated"],
                                                       properties={"rebuildable": False})),
     ("Can't be cleaned", status.WARN)),
    (Entry(Path("a"), state="checked", report=Report(Path("a"), error="not a photo")),
     ("Not supported", status.MUTED)),
    (Entry(Path("a"), state="checked", report=Report(Path("a"), format="jpeg", error="bad segment")),
     ("Can't be read", status.DANGER)),
    (Entry(Path("a"), state="checked", report=_report(),
           result=ExportResult(Path("a"), "cleaned", output=Path("a_clean.jpg"))),
     ("Clean copy saved", status.OK)),
    (Entry(Path("a"), state="checked", report=_report(),
           result=ExportResult(Path("a"), "refused", reason="no")),
     ("Not saved", status.DANGER)),
])
def test_status_badges(entry, expected):
    from share_guard.core.engine.verdict import assess
    from share_guard.core.family.gates import TAKEDOWN_GATE

    if entry.report is not None:  # as the session does when a check ends
        entry.assessment = assess(entry.report, [TAKEDOWN_GATE])
    assert status.badge(entry) == expected


def test_findings_are_grouped_as_a_person_reads_them(qtbot):
    report = _report(
        _finding(Category.DEVICE, "Camera model"), _finding(Category.IDENTITY, "Artist"),
        _finding(Category.LOCATION, "GPS"), _finding(Category.HIDDEN, "Thumbnail"),
        _finding(Category.UNKNOWN, "Odd block"), _finding(Category.CODES, "QR code"),
        _finding(Category.PEOPLE, "Face"), _finding(Category.SENSITIVE, "Nudity"),
        _finding(Category.KEPT, "Orientation", identifying=False),
    )
    grouped = [(g.title, [f.name for f in fs]) for g, fs in group_findings(report)]
    assert grouped == [
        ("Location", ["GPS"]),
        ("Who & which device", ["Camera model", "Artist"]),
        ("People", ["QR code", "Face"]),
        ("Sensitive content", ["Nudity"]),
        ("Hidden content", ["Thumbnail", "Odd block"]),
    ]
    view = FindingsView()
    qtbot.addWidget(view)
    view.set_report(report)
    assert "Orientation" in view.kept.text()
    assert not view.empty.isVisibleTo(view)
    view.set_report(_report())
    assert view.sections == [] and "not a guarantee" in view.empty.text()


@pytest.mark.parametrize(("name", "value", "explanation", "shown"), [
    ("Camera make", "Apple", "Camera make: tells which brand of device took it",
     "Camera make: Apple — tells which brand of device took it"),
    ("WritingApp", "Lavf58", "names the software that wrote the file",
     "WritingApp: Lavf58 — names the software that wrote the file"),
    ("GPS position", "40.44697, -3.72475", "GPS position 40.447, -3.725: shows where it was taken",
     "GPS position 40.447, -3.725: shows where it was taken"),
    ("Comment", "v", "", "Comment: v"),
    ("Comment", "", "", "Comment"),
    ("Owner", "a " * 40, "names a person", "Owner: " + ("a " * 24).strip() + "… — names a person"),
])
def test_finding_headline(name, value, explanation, shown):
    from share_guard.gui.widgets.findings_view import headline

    assert headline(Finding(Category.DEVICE, "x", name, value, explanation)) == shown


def test_untrusted_text_is_never_rendered_as_markup(qtbot):
    nasty = Finding(Category.IDENTITY, "XMP", "Creator", "<b>bold</b><img src=x>\u202egnp.exe",
                    "<a href='http://x'>click</a> names the author")
    view = FindingsView()
    qtbot.addWidget(view)
    view.set_report(_report(nasty))
    labels = view.findChildren(QLabel)
    shown = [lab for lab in labels if "click" in lab.text() or "bold" in lab.text()]
    assert shown
    for label in shown:
        assert label.textFormat() == Qt.TextFormat.PlainText
        assert not label.openExternalLinks()
        assert "\u202e" not in label.text()


def test_preview_draws_region_boxes_scaled_and_toggles_them(qtbot):
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.resize(416, 400)
    panel.show()
    image = QImage(200, 100, QImage.Format.Format_RGB888)
    image.fill(Qt.GlobalColor.gray)
    panel.set_regions([Region(1000, 500, 400, 200, label="face")])
    panel.set_preview(Preview(image, (2000, 1000)), "")
    assert panel.toggle.isVisibleTo(panel)
    target = panel.view.picture_rect()
    (box,) = panel.view.region_rects()
    assert box.x() == pytest.approx(target.x() + target.width() / 2)
    assert box.width() == pytest.approx(target.width() / 5)
    assert box.height() == pytest.approx(target.height() / 5)
    panel.toggle.click()
    assert panel.view.show_regions is False
    # video: a region only shows around its time
    panel.set_regions([Region(0, 0, 10, 10, t_start=5.0, t_end=6.0)])
    panel.set_preview(Preview(image, (2000, 1000), time=1.0, duration=10.0), "")
    assert panel.view.regions == [] and panel.slider.isVisibleTo(panel)
    panel.set_preview(Preview(image, (2000, 1000), time=5.5, duration=10.0), "")
    assert len(panel.view.regions) == 1


def _request(n: int = 2, warnings=(), people: bool = True) -> ConsentRequest:
    items = tuple(ConsentItem(f"p{i}.jpg", "image", ("Location: GPS position", "Who: Artist"),
                              tuple(warnings) if i == 0 else (), people=people and i == 0)
                  for i in range(n))
    return ConsentRequest(items)


def test_consent_dialog_shows_what_is_shared_and_needs_every_box(qtbot):
    thumb = QImage(40, 30, QImage.Format.Format_RGB888)
    thumb.fill(Qt.GlobalColor.red)
    dialog = ConsentDialog(_request(2, ["p0.jpg: people can be recognised and will not be covered"]),
                           {"p0.jpg": thumb})
    qtbot.addWidget(dialog)
    dialog.launch()
    texts = " ".join(lab.text() for lab in dialog.findChildren(QLabel) if lab.isVisibleTo(dialog))
    assert "save 2 clean copies" in texts
    assert "Will remove:" in texts and "Location: GPS position\nWho: Artist" in texts
    assert "will not be covered" in texts
    assert REMINDER in texts  # someone can be recognised: the reminder is for this
    boxes = dialog.findChildren(QCheckBox)
    assert [b.text() for b in boxes] == list(CONFIRMATIONS.values())
    assert not dialog.confirm_button.isEnabled()
    boxes[1].click()
    assert not dialog.confirm_button.isEnabled()
    boxes[0].click()
    assert dialog.confirm_button.isEnabled()
    dialog.confirm_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    answer = dialog.answer()
    assert answer.granted and set(answer.confirmed) == set(CONFIRMATIONS) and answer.via == "dialog"
    assert answer.overridden_warnings == dialog.request.warnings


def test_the_intimate_images_reminder_only_where_people_or_nudity_were_found(qtbot):
    landscape = ConsentDialog(_request(1, people=False))
    qtbot.addWidget(landscape)
    landscape.launch()
    assert not landscape.reminder.isVisibleTo(landscape)
    sensitive = ConsentRequest((ConsentItem("p.jpg", "image", (), ("p.jpg: may show nudity",),
                                            (ConsentFlag.SENSITIVE,)),))
    dialog = ConsentDialog(sensitive)
    qtbot.addWidget(dialog)
    dialog.launch()
    assert dialog.reminder.isVisibleTo(dialog) and REMINDER in dialog.reminder.label.text()


def test_removals_are_summarised_by_kind():
    assert status.summarise(("Which device: Camera make", "When: Date taken", "Which device: Camera model",
                      "EXIF block")) == ["Which device: Camera make, Camera model", "When: Date taken",
                                         "EXIF block"]
    many = tuple(f"Hidden content: item {i}" for i in range(9))
    assert status.summarise(many) == ["Hidden content: item 0, item 1, item 2, item 3, item 4, item 5 +3"]


def test_consent_dialog_rejected_or_closed_is_a_refusal(qtbot):
    dialog = ConsentDialog(_request(1))
    qtbot.addWidget(dialog)
    dialog.launch()
    for box in dialog.findChildren(QCheckBox):
        box.click()
    dialog.close()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.answer().granted is False and dialog.answer().confirmed == ()


def test_about_says_what_it_cannot_promise(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = " ".join(dialog.texts)
    assert "nothing is uploaded" in text.lower()
    assert "miss a face" in text
    assert '"Nothing found" is not a guarantee' in text


GUI = ROOT / "share_guard" / "gui"
#: what widgets and dialogs may use from the core: dataclasses, enums (the verdict) and
#: display helpers; no parsers, no engine (app.py builds it, service.py drives it)
ALLOWED_CORE = {"share_guard.core.report", "share_guard.core.export.consent",
                "share_guard.core.export.pipeline", "share_guard.core.engine.verdict",
                "share_guard.core.engine.outcome", "share_guard.core.engine.tally",
                "share_guard.core.family.sensitive_words", "share_guard.core.family.records",
                "share_guard.core.family.policy", "share_guard.core.family.lock",
                "share_guard.core.textsafe", "share_guard.core.progress", "share_guard.core.errors",
                "share_guard.core.helplines",  # the help page's table: data, no parsing of files
                "share_guard.core.i18n"}  # the one translation catalog: words, no parsing


@pytest.mark.parametrize("module", sorted(p.relative_to(ROOT).as_posix() for p in GUI.rglob("*.py")
                                          if p.name not in ("service.py", "app.py")))
def test_only_the_service_calls_the_core(module):
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    core = {n for n in names if n.startswith("share_guard.core")}
    assert core <= ALLOWED_CORE, f"{module} reaches into the core: {core - ALLOWED_CORE}"
    assert not {n for n in names if n.split(".")[0] in ("cv2", "av", "onnxruntime", "piexif")}


def test_gui_modules_stay_small():
    for path in GUI.rglob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 400, path


def test_startup_does_not_import_heavy_modules():
    import subprocess

    code = ("import sys; from share_guard.gui.app import make_application, build_service;"
            "from share_guard.gui.main_window import MainWindow;"
            "app = make_application(); w = MainWindow(build_service()); w.show(); app.processEvents();"
            "print(sorted(m for m in ('cv2', 'av', 'onnxruntime', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_qt_binding_keeps_reference_counts():
    """PySide6 6.12.0 on Python < 3.12 drops a reference to True on every emit (and to None
    on every void call) until the interpreter aborts; pyproject excludes it."""
    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        ping = Signal()

    emitter = Emitter()
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(500):
        emitter.ping.emit()
        emitter.setObjectName("x")
    assert abs(sys.getrefcount(True) - before_true) < 50
    assert abs(sys.getrefcount(None) - before_none) < 50


@pytest.mark.parametrize(("argv", "paths"), [
    ([], []), (["gui"], []), (["gui", "a.jpg", "dir"], ["a.jpg", "dir"])])
def test_cli_opens_the_window(monkeypatch, argv, paths):
    import share_guard.gui.app as app_module
    from share_guard.cli import main

    seen = {}

    def fake_run(given, data_dir=None):
        seen["paths"], seen["data_dir"] = [str(p) for p in given], data_dir
        return 0

    monkeypatch.setattr(app_module, "run", fake_run)
    assert main(argv) == 0
    assert seen["paths"] == paths and seen["data_dir"] is not None


def test_the_empty_state_lists_every_format_without_loading_the_handlers() -> None:
    from share_guard.core.containers import all_handlers
    from share_guard.gui.service import Service

    assert Service.supported_formats() == list(dict.fromkeys(h.name.upper() for h in all_handlers()))
