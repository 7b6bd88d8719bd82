"""Languages: negotiation, and catalogs that translate every message the sources use."""
from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from project.catalogs import extracted, po_files
from shared import i18n
from shared.errors import ApiError

# Messages that read the same in Chinese (product and OS names).
SAME_IN_CHINESE = {"Linux", "Windows"}


@pytest.mark.parametrize(("header", "lang"), [
    (None, "en"), ("", "en"), ("zh-CN,zh;q=0.9", "zh-CN"), ("zh-TW", "zh-CN"), ("fr, de;q=0.5", "en"),
    ("en;q=0.4, zh;q=0.8", "zh-CN"), ("zh;q=0.5, en;q=0.5", "zh-CN"), ("en-GB,zh;q=0.1", "en"), ("zh;q=0", "en"),
    ("zh;q=abc", "en"),
])
def test_accept_language(header: str | None, lang: str) -> None:
    assert i18n.negotiate(header) == lang


def test_explicit_language() -> None:
    assert i18n.parse_language("ZH-cn") == "zh-CN" and i18n.parse_language("en") == "en"
    with pytest.raises(ApiError) as info:
        i18n.parse_language("fr")
    assert info.value.status == 400 and info.value.error_param == ["lang"]


def test_every_message_of_the_sources_is_in_every_catalog_and_translated_to_chinese() -> None:
    messages = extracted()
    assert len(messages) > 50
    for po in po_files():
        with po.open("rb") as fh:
            catalog = read_po(fh)
        missing = [m for m in messages if m not in catalog]
        assert not missing, f"{po}: run `python -m project.catalogs extract`: {missing}"
    translate = i18n.gettext_for("zh-CN")
    untranslated = [m for m in messages if translate(m) == m and m not in SAME_IN_CHINESE]
    assert not untranslated, f"zh-CN has no translation for {untranslated}"
