"""CSV cells no spreadsheet can run (issue 21 item 3), whatever separator, encoding or trim option
its import uses.

Every field is quoted (``QUOTE_ALL``, in ``csv_export``), but an import with another separator
(``;`` in many Excel locales, TAB) or no text delimiter splits a field at its own ``;``/TAB/``,``
and each fragment becomes a cell; an import that trims spaces turns `` =1+2`` into ``=1+2``. So
each fragment of a text cell, split where any importer could split it, is checked after what an
importer could strip (spaces, controls, quotes); one that then starts with ``= + - @`` or a
compatibility variant of them (fullwidth ``＝``, small ``﹦``, super/subscript signs: anything NFKC
folds to them, and U+2212) gets a leading ``'`` (OWASP's CSV-injection rule, applied per fragment).

Two encodings can also make structure out of text: C0/C1 controls (ISO-2022 escape sequences
switch a decoder's character set) are replaced with U+FFFD; and a UTF-7 import decodes ``+AD0-``
to ``=`` and ``+ADs-`` to ``;``: a text whose UTF-7 reading would still carry a formula has each
``+`` that opens a UTF-7 run written ``+-`` (UTF-7's literal ``+``), so that reading is harmless too.
A UTF-8 file read as Latin-1, GBK or Shift-JIS cannot turn bytes into these ASCII signs."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

# Everything NFKC folds to = + - @ (computed over all of Unicode), and U+2212 MINUS SIGN.
FORMULA_CHARS = frozenset(
    "=+-@\u2212\u207a\u207c\u208a\u208c\u2a75\u2a76\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20")
# Where any importer could cut a field: the separators people pick, and line ends.
_CUT = re.compile(r"([,;\t\r\n])")
_CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"  # and lone surrogates: not UTF-8
_CONTROLS = re.compile(f"[{_CONTROL_CHARS}]")
_UTF7_RUN = re.compile(r"\+(?=[A-Za-z0-9+/])")
_SKIPPED_CATEGORIES = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp"))
# The same as one pattern, for the hot path: what an import could strip (every character in those
# categories or ``str.isspace``, computed over all of Unicode, and ``"``), then a sign, at the
# start or after a cut. ``_opens_formula`` stays the definition; the tests hold both to agree.
_SKIPPABLE = ('"\x00-\x20\x7f-\xa0\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u1680\u180e'
              '\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb\U000110bd'
              '\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001'
              '\U000e0020-\U000e007f')
_OPENS = re.compile(f"(?:^|[,;\t\r\n])[{_SKIPPABLE}]*[{re.escape(''.join(sorted(FORMULA_CHARS)))}]")
# A cell with none of these needs nothing: no sign, no control, no UTF-7 run.
_WORK = re.compile(f"[{_CONTROL_CHARS}{re.escape(''.join(sorted(FORMULA_CHARS)))}]")
# A text ``neutralise`` provably keeps as it is: no control, no ``+`` (so no UTF-7 run), no sign
# where a fragment starts. Searched over a whole row's texts joined by a cut (``,``), each text's
# start stays a fragment's start: one check per row instead of one or more per cell.
_CHANGES = re.compile(f"[{_CONTROL_CHARS}+]|{_OPENS.pattern}")
# The same for printable text (``str.isprintable``: no character of categories C* or Z* but the
# space, so no control, no cut but ``,;`` and nothing skippable but space and ``"``): with ``;``
# read as ``,`` a pattern with a literal start, several times faster; the usual row is printable.
_PRINTABLE_OPENS = re.compile(f',[ "]*[{re.escape("".join(sorted(FORMULA_CHARS)))}]')
_PLAIN = frozenset((str, int, float, bool, type(None)))


def _opens_formula(fragment: str) -> bool:
    """True when ``fragment``, once spaces, controls, invisibles and quotes are stripped, starts with
    a formula sign."""
    for ch in fragment:
        if ch in FORMULA_CHARS:
            return True
        if ch == '"' or ch.isspace() or unicodedata.category(ch) in _SKIPPED_CATEGORIES:
            continue
        return False
    return False


def _guard(text: str) -> str:
    """``text`` with a ``'`` before every fragment that would open a formula."""
    if not _OPENS.search(text):
        return text
    parts = _CUT.split(text)
    for i in range(0, len(parts), 2):  # even items are fragments, odd ones the cuts
        if _opens_formula(parts[i]):
            parts[i] = "'" + parts[i]
    return "".join(parts)


def _utf7_reading(text: str) -> str:
    return text.encode("utf-8").decode("utf-7", errors="replace")


def neutralise(value: Any) -> Any:
    """A text cell made inert for any spreadsheet import; numbers and ``None`` stay as they are."""
    if not isinstance(value, str) or not _WORK.search(value):
        return value
    text = _guard(_CONTROLS.sub("\ufffd", value))
    if _UTF7_RUN.search(text):
        reading = _utf7_reading(text)
        if _guard(reading) != reading:  # only then: an ordinary "C++" or "a+b" stays as written
            text = _guard(_UTF7_RUN.sub("+-", text))
    return text


def is_inert(value: str) -> bool:
    """The check ``neutralise`` guarantees, stated on its own (tests use it as an oracle)."""
    views = [value, _utf7_reading(value)]
    return not _CONTROLS.search(value) and all(
        not _opens_formula(part) for view in views for part in _CUT.split(view)[::2])


def _kept(joined: str) -> bool:
    """Whether ``neutralise`` keeps every text of a row, ``joined``: ``,`` before each."""
    if joined.isprintable():
        return "+" not in joined and not _PRINTABLE_OPENS.search(joined.replace(";", ","))
    return not _CHANGES.search(joined)


def neutralise_row(cells: list[Any]) -> list[Any]:
    """``neutralise`` of every cell, a dict or list cell as its ``str`` first. Most rows need
    nothing: one check of the row's texts says so, and the row is returned as it is."""
    if _PLAIN.issuperset(map(type, cells)) and _kept(",".join(["", *[c for c in cells if type(c) is str]])):
        return cells
    return [neutralise(str(cell) if isinstance(cell, (dict, list)) else cell) for cell in cells]
