"""No bidi or invisible character from data reaches a page (issue 21): each is written visibly."""
from __future__ import annotations

import sys
import unicodedata

from markupsafe import Markup

from shared.dashboard.visible import finalize, visible

NAMED = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\ufeff\u2060\u00ad\u061c"


def test_the_named_controls_are_written_visibly() -> None:
    for ch in NAMED:
        assert visible(f"a{ch}b") == f"a<U+{ord(ch):04X}>b"
    assert visible("\u202eevil") == "<U+202E>evil"
    assert visible("迁移任务 web-01\tx\ny") == "迁移任务 web-01\tx\ny"  # text, tabs and newlines stay


def test_no_invisible_code_point_slips_through_the_fast_path() -> None:
    """Every code point of the categories the rule names (checked by unicodedata, independently of
    the module's own predicate) comes out visible."""
    hidden = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
    missed = [hex(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in hidden and chr(c) not in "\t\n" and visible(chr(c)) == chr(c)]
    assert missed == []
    assert visible("\u3164") == "<U+3164>"  # a Hangul filler: a letter that renders as nothing


def test_finalize_leaves_our_markup_and_non_text_alone() -> None:
    css = Markup("a{b:c}\u200b")
    assert finalize(css) is css and finalize(5) == 5 and finalize(None) is None
    assert finalize("x\u202ey") == "x<U+202E>y"
