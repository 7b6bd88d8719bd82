"""Languages of the dashboard's pages and of the chat messages: ``zh-CN`` and ``en``, from
gettext catalogs (cross-cutting: the dashboard and the webhooks both speak them).

The sources are ``locale/<lang>/LC_MESSAGES/messages.po`` (msgids are the English text); the
compiled ``.mo`` beside them are built by ``make catalogs`` (Babel, a build and test tool: the
functions only need the standard library's ``gettext`` to read them) and shipped in the package.
Display names of the doc's states, types and OS types are in ``labels``.
"""
from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.errors import bad_request, config_error

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "en"

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


def known_language(value: str) -> str | None:
    """One of LANGUAGES for ``value`` (case-insensitive, ``_`` or ``-``), else None."""
    wanted = value.strip().lower().replace("_", "-")
    return next((lang for lang in LANGUAGES if wanted == lang.lower()), None)


def parse_language(value: str, param: str = "lang") -> str:
    """An explicit choice (``?lang=``): one of LANGUAGES, case-insensitive; else a 400."""
    lang = known_language(value)
    if lang is None:
        raise bad_request(param, f"must be one of {', '.join(LANGUAGES)}, got {value[:32]!r}")
    return lang


def duration(seconds: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """An idle or elapsed time in two units at most (``3d 4h``, ``2h 05m``, ``7m``, ``40s``): one
    wording for the pages and the chat messages."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        return "?"
    _ = gettext_for(lang)
    s = int(seconds)
    days, rem = divmod(s, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        return _("{days}d {hours}h").format(days=days, hours=hours)
    if hours:
        return _("{hours}h {minutes:02d}m").format(hours=hours, minutes=minutes)
    if minutes:
        return _("{minutes}m").format(minutes=minutes)
    return _("{seconds}s").format(seconds=s)


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
