"""Error pages speak the page's language: every SMSFN code an HTTP answer can carry has its own
sentence, translated in the zh-CN catalog (read with the standard library's gettext)."""
from __future__ import annotations

import re

from shared import i18n
from shared.dashboard.error_messages import CODE_MESSAGES, FALLBACK, STATUS_MESSAGES, error_message
from shared.errors import CODES

EVENT_ONLY = {"SMSFN.0503"}  # raised by event functions only: no page answers it
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_http_code_has_a_sentence() -> None:
    assert set(CODES) - EVENT_ONLY == set(CODE_MESSAGES)


def test_every_sentence_is_translated() -> None:
    zh = i18n.gettext_for("zh-CN")
    for message in (*CODE_MESSAGES.values(), *STATUS_MESSAGES.values(), FALLBACK):
        assert zh(message) != message and CJK.search(zh(message)), message


def test_smss_own_errors_go_by_status() -> None:
    assert error_message(401, "SMSFN.0401") == CODE_MESSAGES["SMSFN.0401"]
    assert error_message(401, "APIGW.0301") == STATUS_MESSAGES[401]  # SMS refusing the function: not the link
    assert error_message(418, "SMS.9999") == FALLBACK
