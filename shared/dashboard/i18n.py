"""Languages of the pages and the chat messages: ``zh-CN`` and ``en``, from gettext catalogs.

The sources are ``locale/<lang>/LC_MESSAGES/messages.po`` (msgids are the English text); the
compiled ``.mo`` beside them are built by ``make catalogs`` (Babel, a build and test tool: the
functions only need the standard library's ``gettext`` to read them) and shipped in the package.
"""
from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from shared.errors import bad_request, config_error

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "en"
# Chat platforms whose users mostly read Chinese get Chinese unless a target says otherwise.
CHAT_DEFAULTS = {"feishu": "zh-CN", "dingtalk": "zh-CN", "wecom": "zh-CN", "slack": "en", "generic": "en"}

Translate = Callable[[str], str]


def catalog_dir(lang: str) -> str:
    return lang.replace("-", "_")


@lru_cache(maxsize=len(LANGUAGES))
def translator(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    if lang == "en":  # msgids are the English text
        return gettext.NullTranslations()
    mo = LOCALE_DIR / catalog_dir(lang) / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    except OSError:
        raise config_error(f"the {lang} translation catalog is not compiled (run `make catalogs`)") from None


def gettext_for(lang: str) -> Translate:
    return translator(lang).gettext


def ngettext_for(lang: str) -> Callable[[str, str, int], str]:
    return translator(lang).ngettext


def parse_language(value: str, param: str = "lang") -> str:
    """An explicit choice (``?lang=``, a target's ``lang``): one of LANGUAGES, case-insensitive."""
    for lang in LANGUAGES:
        if value.strip().lower() == lang.lower():
            return lang
    raise bad_request(param, f"must be one of {', '.join(LANGUAGES)}, got {value!r}")


def negotiate(accept_language: str | None) -> str:
    """The best of LANGUAGES for an ``Accept-Language`` header (RFC 9110 weights; any ``zh``
    range means Chinese, as there is only one Chinese here); ``en`` when nothing matches."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        # Strictly greater: earlier entries win ties, as browsers list preferences in order.
        if lang and q > best_q:
            best, best_q = lang, q
    return best
