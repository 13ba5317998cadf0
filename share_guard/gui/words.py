"""Counts in words with real plurals, through Qt's translations.

``counted(context, n, one, many)`` asks the translator for ``many`` with ``n`` (Qt's "%n"
numerus form: a translation gives every plural form its language has). Without a
translation, English picks ``one`` or ``many`` by ``n``. Sentences are whole: the count is
a placeholder inside them, never glued to a word from elsewhere.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def counted(context: str, n: int, one: str, many: str) -> str:
    source = many.replace("%n", str(n))
    text = QCoreApplication.translate(context, many, None, n)
    if text == source and n == 1:  # untranslated English: the singular sentence
        return one.replace("%n", str(n))
    return text


def arg(text: str, *values: object) -> str:
    """Fill %1, %2... in a translated sentence (values are display-safe text)."""
    for i in range(len(values), 0, -1):
        text = text.replace(f"%{i}", str(values[i - 1]))
    return text
