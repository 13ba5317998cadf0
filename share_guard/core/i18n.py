"""Translations: one gettext catalog for everything a person reads (app, CLI and core).

The core makes its reports in English, the language the JSON output and the consent records
keep; the front ends translate what they show. Strings are marked where they are written:

* ``_("text")``, ``ngettext("one file", "{n} files", n)`` and ``pgettext("context", "text")``
  translate at once (front ends: the language is chosen before a window or a line exists);
* ``N_("text")`` only marks a string for extraction (tables built at import, the core's
  finding names and explanations): what shows it calls :func:`translated`;
* a core message with values in it is written ``message(N_("{what} was removed"), what=x)``:
  English as before, and :func:`translated` finds the template again (by its fixed words),
  translates it and puts the values back (each value translated too, where it is a message).

Catalogs: ``po/<lang>.po`` in the repository (``tools/i18n.py`` extracts with xgettext, merges
with msgmerge and compiles with msgfmt), ``share_guard/resources/locale/<lang>/LC_MESSAGES/
share_guard.mo`` in the package (read by the standard library's ``gettext``: no dependency).

The language: ``--lang`` / the app's menu (remembered in the data folder's ``language`` file),
else the environment (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

DOMAIN = "share_guard"
#: the languages shipped, by code, each named in itself (the menu shows these names)
LANGUAGES: dict[str, str] = {
    "en": "English",
    "hi": "हिन्दी",
    "bn": "বাংলা",
    "ur": "اردو",
    "ta": "தமிழ்",
    "te": "తెలుగు",
    "mr": "मराठी",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "ar": "العربية",
    "fr": "Français",
}
#: languages written right to left (the window mirrors, text is isolated)
RTL = frozenset({"ur", "ar"})
#: the script each language needs a font for (checked at start by the app)
SCRIPTS: dict[str, str] = {"hi": "Devanagari", "mr": "Devanagari", "bn": "Bengali",
                           "ta": "Tamil", "te": "Telugu", "ur": "Arabic", "ar": "Arabic"}
#: the file in the data folder that remembers a chosen language
REMEMBERED = "language"

_current: _gettext.NullTranslations = _gettext.NullTranslations()
_code = "en"


def _(text: str) -> str:
    """``text`` in the current language."""
    return _current.gettext(text)


def N_(text: str) -> str:  # noqa: N802 - the gettext convention
    """Marks ``text`` for extraction; it is translated where it is shown (:func:`translated`)."""
    return text


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message the language uses for ``n``, with ``{n}`` filled in."""
    return _current.ngettext(singular, plural, n).replace("{n}", str(n))


def pgettext(context: str, text: str) -> str:
    """``text`` in the current language, where the same English has several meanings."""
    return _current.pgettext(context, text)


def paragraphs(text: str) -> list[str]:
    """A data text's paragraphs (blank-line separated), each one catalog entry: the same
    split for extraction (packaging/i18n.py) and for showing (the help page)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def data_text(context: str, text: str) -> str:
    """A text kept as data (a help page paragraph, a helplines table text), extracted by
    packaging/i18n.py under ``context``, in the current language."""
    return _current.pgettext(context, text)


def language() -> str:
    """The code of the language in use ("en", "hi", "pt_BR"...)."""
    return _code


def is_rtl(code: str | None = None) -> bool:
    return (code or _code) in RTL


def isolate(text: object) -> str:
    """``text`` as a unit inside a sentence of either direction (a file name, a number, a
    place): first-strong isolate ... pop, so "photo_1.jpg" stays readable in Urdu."""
    return f"\u2068{text}\u2069" if _code in RTL else str(text)


def message(template: str, **values: object) -> str:
    """A core message with values: English now, translatable later by :func:`translated`
    (``template`` is marked with :func:`N_` where it is written)."""
    return template.format(**values)


def locale_dir() -> Path:
    from importlib import resources  # (a few ms: only where a translation is loaded)

    return Path(str(resources.files("share_guard") / "resources" / "locale"))


def from_locale(name: str | None) -> str | None:
    """The shipped language for a locale name ("hi_IN.UTF-8" -> "hi", "pt_BR" -> "pt_BR",
    "pt_PT" -> None: Brazilian Portuguese is not European Portuguese), None if none fits."""
    if not name:
        return None
    base = name.split(".")[0].split("@")[0].replace("-", "_")
    if base in LANGUAGES:
        return base
    lang = base.split("_")[0].lower()
    if lang == "pt":
        return "pt_BR" if base.upper().endswith("BR") else None
    return lang if lang in LANGUAGES else None


def from_environment(env: dict[str, str] | os._Environ[str] | None = None) -> str | None:
    """The language the environment asks for, in gettext's order (``LANGUAGE`` may list
    several, the first shipped one wins); None when it names none we ship."""
    env = os.environ if env is None else env
    if env.get("LANGUAGE"):
        for part in env["LANGUAGE"].split(":"):
            found = from_locale(part)
            if found:
                return found
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(var):
            return from_locale(env[var])
    return None


def remembered(data_dir: Path | None) -> str | None:
    """The language chosen in the app or with ``--lang --remember`` (None: follow the system)."""
    if data_dir is None:
        return None
    try:
        text = (data_dir / REMEMBERED).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if text in LANGUAGES else None


def remember(data_dir: Path, code: str | None) -> None:
    """Remember ``code`` for the next start (None: follow the system again)."""
    path = data_dir / REMEMBERED
    if code is None:
        path.unlink(missing_ok=True)
        return
    if code not in LANGUAGES:
        raise ValueError(f"not a shipped language: {code}")
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(code + "\n", encoding="utf-8")
    os.replace(tmp, path)


def choose(explicit: str | None = None, data_dir: Path | None = None) -> str:
    """The language to use: ``explicit`` (``--lang``), else the remembered choice, else the
    environment's, else English. An explicit name that is not shipped raises ValueError."""
    if explicit:
        found = from_locale(explicit)
        if found is None:
            raise ValueError(f"no translation for {explicit!r}; choose one of "
                             f"{', '.join(LANGUAGES)}")
        return found
    return remembered(data_dir) or from_environment() or "en"


def set_language(code: str) -> str:
    """Use ``code`` from now on (a language without a compiled catalog falls back to
    English); returns the code in use."""
    global _current, _code
    code = code if code in LANGUAGES else "en"
    if code == "en":
        _current, _code = _gettext.NullTranslations(), "en"
    else:
        try:
            _current = _gettext.translation(DOMAIN, locale_dir(), languages=[code])
            _code = code
        except OSError:
            _current, _code = _gettext.NullTranslations(), "en"
    _templates.cache_clear()
    translated.cache_clear()
    return _code


# -- translating the core's messages where they are shown --------------------------------------

_FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


def _pattern(template: str) -> tuple[int, re.Pattern[str]] | None:
    """(length of the fixed text, a pattern reading the fields back) for a template with
    ``{fields}``; None for a text without fields."""
    parts = _FIELD.split(template)
    if len(parts) < 3:
        return None
    fixed, pattern = 0, ["^"]
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pattern.append(re.escape(part))
            fixed += len(part)
        else:
            pattern.append(f"(?P<{part}>.+?)" if f"(?P<{part}>" not in "".join(pattern)
                           else f"(?P={part})")
    pattern.append("$")
    try:
        return fixed, re.compile("".join(pattern), re.DOTALL)
    except re.error:
        return None


def _plural_pairs() -> list[tuple[str, str]]:
    """(singular, plural) English of every counted entry of the loaded catalog (the standard
    library keeps only the singular, so the .mo file's own table is read for the plural)."""
    found = _gettext.find(DOMAIN, str(locale_dir()), [_code])
    if found is None:
        return []
    try:
        data = Path(found).read_bytes()
        magic, _rev, count, originals = struct.unpack_from("<4I", data)
        if magic != 0x950412DE:
            return []
        pairs: list[tuple[str, str]] = []
        for i in range(count):
            length, offset = struct.unpack_from("<2I", data, originals + 8 * i)
            text = data[offset : offset + length].decode("utf-8")
            if "\0" in text and "\x04" not in text:
                singular, plural = text.split("\0", 1)
                pairs.append((singular, plural))
        return pairs
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return []


Template = tuple[re.Pattern[str], str, "tuple[str, str] | None"]


@lru_cache(maxsize=1)
def _templates() -> tuple[Template, ...]:
    """Every catalog entry with ``{fields}`` (counted ones in both their English forms), as a
    pattern that reads the values back, longest fixed text first (the most specific wins)."""
    catalog: dict[Any, str] = getattr(_current, "_catalog", {})
    found: list[tuple[int, re.Pattern[str], str, tuple[str, str] | None]] = []
    for key in catalog:
        if not isinstance(key, str) or "{" not in key or "\x04" in key:
            continue
        made = _pattern(key)
        if made is not None:
            found.append((made[0], made[1], key, None))
    for singular, plural in _plural_pairs():
        for form in (singular, plural):
            made = _pattern(form)
            if made is not None:
                found.append((made[0], made[1], form, (singular, plural)))
    found.sort(key=lambda t: -t[0])
    return tuple((p, k, pair) for _fixed, p, k, pair in found)


@lru_cache(maxsize=4096)
def translated(text: str) -> str:
    """A core text (a finding's name or explanation, a refusal, a problem) in the current
    language: an exact catalog entry, else a template that matches it with its values put
    back, else the English as it is."""
    if _code == "en" or not text:
        return text
    exact = _current.gettext(text)
    if exact != text:
        return exact
    for pattern, key, pair in _templates():
        match = pattern.match(text)
        if match is None:
            continue
        raw = match.groupdict()
        values = {name: translated(value) for name, value in raw.items()}
        try:
            if pair is None:
                return _current.gettext(key).format(**values)
            count = raw.get("n", "").replace(",", "")
            if not count.isdigit():
                continue  # a counted template reads its number back, or it is not this one
            values["n"] = raw["n"]
            return _current.ngettext(pair[0], pair[1], int(count)).format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text
