"""The translation workflow, with GNU gettext's own tools (apt: gettext).

    python packaging/i18n.py update [LANG...]  # extract (xgettext) -> po/share_guard.pot,
                                               # merge into po/*.po (or those named)
    python packaging/i18n.py compile   # po/*.po -> share_guard/resources/locale/*/.../share_guard.mo
    python packaging/i18n.py check     # fails when a string cannot be extracted, the template
                                       # or a catalog is stale, an entry is unfinished, or a
                                       # compiled catalog is not the one its .po makes

Strings are marked with ``_``, ``N_``, ``ngettext`` and ``pgettext`` (share_guard.core.i18n).
The check is also run by tests/test_i18n.py.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "share_guard"
PO = ROOT / "po"
POT = PO / "share_guard.pot"
LOCALE = PACKAGE / "resources" / "locale"
if str(ROOT) not in sys.path:  # the package of this checkout, also when run as a script
    sys.path.insert(0, str(ROOT))
KEYWORDS = ["_", "N_", "ngettext:1,2", "pgettext:1c,2"]
MARKERS = {"_": 1, "N_": 1, "ngettext": 2, "pgettext": 2}
LANGS = ["hi", "bn", "ur", "ta", "te", "mr", "es", "pt_BR", "ar", "fr"]
#: each language's plural rule (CLDR's, in gettext's form): Hindi, Bengali, French and
#: Brazilian Portuguese say 0 in the singular; Arabic has six forms
PLURALS = {
    "hi": "nplurals=2; plural=(n > 1);",
    "bn": "nplurals=2; plural=(n > 1);",
    "ur": "nplurals=2; plural=(n != 1);",
    "ta": "nplurals=2; plural=(n != 1);",
    "te": "nplurals=2; plural=(n != 1);",
    "mr": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "pt_BR": "nplurals=2; plural=(n > 1);",
    "ar": ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
           ": n%100>=11 ? 4 : 5);"),
    "fr": "nplurals=2; plural=(n > 1);",
}


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def unextractable(paths: list[Path] | None = None) -> list[str]:
    """Calls a translation tool cannot read: a marker whose text is not a literal string, a
    Qt ``tr()`` (the app uses the same catalog as the core), or a plural put together by hand."""
    problems: list[str] = []
    for path in paths or sources():
        rel = path.relative_to(ROOT)
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(
                fn, ast.Attribute) else ""
            if name in MARKERS and isinstance(fn, ast.Name):
                texts = node.args[: MARKERS[name]]
                if len(texts) < MARKERS[name] or not all(
                        isinstance(a, ast.Constant) and isinstance(a.value, str) for a in texts):
                    problems.append(f"{rel}:{node.lineno}: {name}() of something that is "
                                    "not a literal string")
                elif any("\\u" in (ast.get_source_segment(source, a) or "")
                         or "\\N{" in (ast.get_source_segment(source, a) or "") for a in texts):
                    # xgettext keeps Python's \u escapes as text: the catalog would hold a
                    # msgid the program never looks up
                    problems.append(f"{rel}:{node.lineno}: {name}() of a string with a \\u "
                                    "escape: write the character itself")
            elif name in ("tr", "translate") and isinstance(fn, ast.Attribute):
                problems.append(f"{rel}:{node.lineno}: Qt {name}(): use _() / ngettext()")
            elif (name == "replace" and node.args and isinstance(node.args[0], ast.Constant)
                  and node.args[0].value == "%n"):
                problems.append(f"{rel}:{node.lineno}: a plural made with replace('%n'): "
                                "use ngettext()")
    return problems


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"i18n: {name} is missing: install gettext (apt-get install gettext)")
    return found


HELP = PACKAGE / "resources" / "help"


def data_strings() -> list[tuple[str, str]]:
    """(context, English) of the texts kept as data: the help page's paragraphs and every
    English text of the helplines table (translated with pgettext where they are shown)."""
    from share_guard.core.i18n import paragraphs  # the split the help page is shown with

    found = [("help page", p) for p in paragraphs(
        (HELP / "help.en.txt").read_text(encoding="utf-8"))]

    def walk(node: object, top: bool = False) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("en"), str) and not top:
                found.append(("helplines", node["en"]))
            for key, value in node.items():
                if not (top and key == "language_names"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((HELP / "helplines.json").read_text(encoding="utf-8")), top=True)
    return list(dict.fromkeys(found))


def extract(out: Path) -> None:
    files = [str(p.relative_to(ROOT)) for p in sources()]
    # the data texts, as calls xgettext reads (named for where they come from; removed after)
    stub = PO / "help_and_helplines.py"
    PO.mkdir(exist_ok=True)
    try:
        stub.write_text("".join(f"pgettext({json.dumps(c)}, {json.dumps(t, ensure_ascii=False)})\n"
                                for c, t in data_strings()), encoding="utf-8")
        subprocess.run([_tool("xgettext"), "--language=Python", "--from-code=UTF-8",
                        *[f"--keyword={k}" for k in KEYWORDS], "--add-comments=Translators:",
                        "--sort-by-file", "--no-wrap", "--package-name=share_guard",
                        "--msgid-bugs-address=https://github.com/shareguard/share_guard/issues",
                        "-o", str(out), *files, str(stub.relative_to(ROOT))],
                       cwd=ROOT, check=True)
    finally:
        stub.unlink(missing_ok=True)
    if not out.exists():  # nothing marked: xgettext writes no file
        out.write_text("", encoding="utf-8")


def msgids(po: Path) -> set[tuple[str, str, str]]:
    """(context, msgid, msgid_plural) of every entry (not the header, not obsolete ones)."""
    text = po.read_text(encoding="utf-8")
    found: set[tuple[str, str, str]] = set()
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#")]
        fields: dict[str, str] = {}
        key = ""
        for ln in lines:
            m = re.match(r'(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', ln)
            if m:
                key = m.group(1)
                fields[key] = m.group(2)
            elif ln.startswith('"') and key:
                fields[key] += ln[1:-1]
        if fields.get("msgid"):
            found.add((fields.get("msgctxt", ""), fields["msgid"], fields.get("msgid_plural", "")))
    return found


def unfinished(po: Path) -> str:
    """msgfmt's statistics when a catalog has fuzzy or untranslated entries, else ""."""
    proc = subprocess.run([_tool("msgfmt"), "--check", "--statistics", "-o", "/dev/null",
                           str(po)], capture_output=True, text=True)
    if proc.returncode != 0:
        return proc.stderr.strip()
    stats = proc.stderr.strip()
    return stats if ("fuzzy" in stats or "untranslated" in stats) else ""


def mo_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "share_guard.mo"


def compile_one(lang: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("msgfmt"), "--check", "-o", str(out), str(PO / f"{lang}.po")],
                   check=True)


def update(langs: list[str] | None = None) -> None:
    PO.mkdir(exist_ok=True)
    extract(POT)
    for lang in langs or LANGS:
        po = PO / f"{lang}.po"
        if po.exists():
            subprocess.run([_tool("msgmerge"), "--quiet", "--update", "--backup=none",
                            "--no-wrap", "--no-fuzzy-matching", str(po), str(POT)], check=True)
            # entries the program no longer has are dropped, not kept as #~ comments
            subprocess.run([_tool("msgattrib"), "--no-obsolete", "--no-wrap", "-o", str(po),
                            str(po)], check=True)
        else:
            subprocess.run([_tool("msginit"), "--no-translator", "--no-wrap", "-l",
                            f"{lang}.UTF-8", "-i", str(POT), "-o", str(po)], check=True,
                           capture_output=True)
        _header(po, lang)


def _header(po: Path, lang: str) -> None:
    """UTF-8 and the language's plural rule in the catalog's header (msginit guesses both
    from installed locales, which a build machine may not have)."""
    text = po.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n\n")
    head = re.sub(r'charset=[\w-]+', "charset=UTF-8", head)
    head = re.sub(r'\n?"Plural-Forms: [^"]*\\n"', "", head)
    head += f'\n"Plural-Forms: {PLURALS[lang]}\\n"'
    po.write_text(head + sep + rest, encoding="utf-8")


def compile_all() -> None:
    for lang in LANGS:
        compile_one(lang, mo_path(lang))


def check() -> list[str]:
    problems = unextractable()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.pot"
        extract(fresh)
        if not POT.exists() or msgids(fresh) != msgids(POT):
            problems.append("po/share_guard.pot is stale: run python packaging/i18n.py update")
        want = msgids(fresh)
        for lang in LANGS:
            po = PO / f"{lang}.po"
            if not po.exists():
                problems.append(f"po/{lang}.po is missing")
                continue
            if msgids(po) != want:
                problems.append(f"po/{lang}.po is stale: run python packaging/i18n.py update")
            stats = unfinished(po)
            if stats:
                problems.append(f"po/{lang}.po is not finished: {stats}")
            built = Path(tmp) / f"{lang}.mo"
            compile_one(lang, built)
            if not mo_path(lang).exists() or mo_path(lang).read_bytes() != built.read_bytes():
                problems.append(f"{mo_path(lang).relative_to(ROOT)} is not compiled from "
                                f"po/{lang}.po: run python packaging/i18n.py compile")
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update(argv[2:] or None)
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = check()
        for line in problems:
            print(line)
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
