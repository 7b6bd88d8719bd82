"""User text on a page shows every character it holds: a bidi override, isolate or mark, a
zero-width or other invisible character (``U+202A``-``U+202E``, ``U+2066``-``U+2069``,
``U+200B``-``U+200F``, ``U+2060``-``U+2064``, ``U+FEFF``, ``U+00AD`` ...) never reaches the
document; it is written as a visible ``<U+202E>`` instead, so ``evil`` can't pose as ``live`` and
two look-alike names stay told apart. Applied by the pages' Jinja environment to every value it
outputs (``finalize``), before autoescaping."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from markupsafe import Markup

# Cc controls (but tab and newline, plain whitespace in HTML), Cf format characters, Cs lone
# surrogates, Co private use, Zl/Zp separators, and letters that render as nothing (Hangul fillers).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_KEPT = frozenset("\t\n")
# ``str.isprintable`` (C speed) is False for every category above (and for spaces other than
# U+0020, unassigned code points, tab and newline, which the closer look keeps); the fillers are
# letters, so they are looked for by themselves.
_FILLERS = re.compile("[" + "".join(sorted(_INVISIBLE_LETTERS)) + "]")


def _hidden(ch: str) -> bool:
    return ch not in _KEPT and (ch in _INVISIBLE_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES)


def visible(text: str) -> str:
    """``text`` with each invisible or reordering character written as ``<U+XXXX>``."""
    if text.isprintable() and not _FILLERS.search(text):
        return text
    return "".join(f"<U+{ord(ch):04X}>" if _hidden(ch) else ch for ch in text)


def finalize(value: Any) -> Any:
    """Jinja's ``finalize``: text from data made visible; our own markup (``Markup``) untouched.
    Called for every expression of every page: the common case (printable ASCII) returns first."""
    if value.__class__ is str:
        return value if value.isascii() and value.isprintable() else visible(value)
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value
