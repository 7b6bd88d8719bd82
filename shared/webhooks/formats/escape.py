"""User text as plain text in each chat markup: one function per markup, the only place that knows it.

Task names, ids, error texts and sub task names are written by SMS users. Whatever they hold, in
the message they can add no link, image, mention or formatting, and can't reorder the line; what a
message links to is only what the project's own markup puts there. Each function takes one piece of
user text (already clipped to one line) and returns it ready to place inside that markup:

    ``plain(text)``         any plain_text field (Slack header, Feishu plain_text) and the common base
    ``slack_mrkdwn(text)``  Slack ``mrkdwn`` text
    ``lark_md(text)``       Feishu / Lark ``lark_md`` text
    ``markdown(text)``      DingTalk and WeCom ``markdown`` text

``plain`` removes control and format characters (bidi overrides and isolates, zero-width
characters, lone surrogates) and defangs what clients turn into links or mentions on their own:
``scheme://`` (``：//``), ``www.``, dotted host names in any script (``evil．example``, ``evil．рф``),
``@`` and emoji shortcodes (``∶name:``). The markup
functions then replace each character their markup gives meaning to with a look-alike that has
none (full-width forms, entities where the platform decodes them): backslash escapes are not used
because the chat platforms don't all honour them. An underscore between two letters or digits stays
(``sms_task_01``): there no markup reads it as emphasis.
"""
from __future__ import annotations

import re
import unicodedata

# Unicode categories removed from user text: Cc controls, Cf format (bidi controls, zero-width
# characters, soft hyphen ...), Cs surrogates, Zl/Zp line and paragraph separators.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.\-]*):(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
# A dot between a name and a label starting with a letter of any script: how a bare host name looks
# to linkifiers, internationalised ones (``evil.рф``, ``例子.中国``) and punycode (``xn--p1ai``) included.
_HOST_DOT = re.compile(r"(?<=[\w\-])\.(?=[^\W\d_])")
# The opening colon of anything shaped like an emoji shortcode (Slack ``:name:``, ``:+1:``,
# ``::skin-tone-2:``; Feishu ``:OK:``), which would render a (workspace) image.
_SHORTCODE_COLON = re.compile(r":(?=[\w+'\-]+:)")
_LONE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")

# Look-alikes with no meaning in any markup.
_MARKDOWN_TABLE = str.maketrans({
    "*": "∗", "~": "～", "`": "ˋ", "[": "［", "]": "］", "\\": "＼", "|": "｜", "#": "＃",
})
_ANGLES_FULLWIDTH = str.maketrans({"<": "＜", ">": "＞", "&": "＆"})


def _kept(ch: str) -> bool:
    return unicodedata.category(ch) not in _REMOVED_CATEGORIES


def plain(text: str) -> str:
    """Text no client turns into a link or a mention, with nothing that reorders or hides characters."""
    # Spaces are collapsed and trimmed after the removal: ``** x**`` would be no bold.
    text = " ".join("".join(ch for ch in text if _kept(ch)).split())
    text = _SCHEME.sub(r"\1：", text)
    text = _WWW.sub(r"\1．", text)
    text = _HOST_DOT.sub("．", text)
    text = _SHORTCODE_COLON.sub("∶", text)
    return text.replace("@", "＠")


def _markdown_chars(text: str) -> str:
    return _LONE_UNDERSCORE.sub("＿", text.translate(_MARKDOWN_TABLE))


def html_entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _entity_markup(text: str) -> str:
    return _markdown_chars(html_entities(plain(text)))


def slack_mrkdwn(text: str) -> str:
    """Slack documents ``&``, ``<``, ``>`` as entities (which also defuses ``<!channel>``, ``<@U..>``
    and ``<url|text>``); ``*``, ``_``, ``~`` and backticks get look-alikes."""
    return _entity_markup(text)


def lark_md(text: str) -> str:
    """Feishu decodes entities in ``lark_md`` (so ``<at id=all>`` and ``<a>`` tags can't form);
    Markdown's link, image and emphasis characters get look-alikes."""
    return _entity_markup(text)


def markdown(text: str) -> str:
    """DingTalk and WeCom markdown: no entity decoding to rely on, so ``<``, ``>``, ``&`` become
    full-width (no ``<font>``, ``<@userid>`` or entity can form), plus Markdown's characters."""
    return _markdown_chars(plain(text).translate(_ANGLES_FULLWIDTH))
