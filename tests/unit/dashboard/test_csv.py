"""CSV cells: every fragment an importer could make of a cell is inert, ordinary text is kept as it
is; the export's sizing and Accept-Encoding reading. (LibreOffice itself reads the cells in
tests/integration/test_csv_spreadsheet.py.)"""
from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import result_limits
from shared.dashboard.csv_cells import FORMULA_CHARS, is_inert
from shared.dashboard.csv_export import COLUMNS, neutralise, task_row
from shared.dashboard.csv_spool import CsvSpool, json_len
from shared.triggers.apigw import ApiGatewayEvent


def accepts_gzip(accept_encoding: str | None) -> bool:
    """The CSV route's rule: the request's own ``accepts_gzip`` (one parser for all=true and the CSV)."""
    headers = {} if accept_encoding is None else {"accept-encoding": accept_encoding}
    return ApiGatewayEvent("GET", "/dashboard/tasks.csv", headers=headers).accepts_gzip()

HOSTILE = ["x;=1+20;", "a\t=1+7", " =1+2", '=HYPERLINK("http://evil","x")', "@SUM(1)", "-2+3",
           "+cmd|' /C calc'!A0", "\uff1d1+2", "\u3000\uff0b1", "\u2212 1", "+AD0-1+2", "x+ADs-+AD0-1+5",
           "\r=1", "ok,\"=1\"", "\u200b=1", "\x1b(B=1"]
SIGNS = st.sampled_from([*sorted(FORMULA_CHARS), ";", "\t", ",", " ", '"', "\r", "\n", "+AD0-", "+ADs-"])


@given(st.lists(st.one_of(st.text(max_size=8), SIGNS), max_size=12).map("".join))
def test_every_fragment_of_every_cell_is_inert(value: str) -> None:
    assert is_inert(neutralise(value))


@given(st.lists(st.one_of(st.text(max_size=4), SIGNS), max_size=8).map("".join))
def test_the_fast_pattern_agrees_with_the_definition(value: str) -> None:
    from shared.dashboard.csv_cells import _CUT, _OPENS, _opens_formula

    assert bool(_OPENS.search(value)) == any(_opens_formula(part) for part in _CUT.split(value)[::2])


@given(st.text(alphabet=st.characters(blacklist_characters="=+-@\uff0b\uff0d\uff1d\uff20\u2212"
                                      "\u207a\u207c\u208a\u208c\u2a75\u2a76\ufb29\ufe62\ufe63\ufe66\ufe6b",
                                      blacklist_categories=("Cc", "Cs"))))
def test_text_without_a_sign_is_kept(value: str) -> None:
    assert neutralise(value) == value


def test_hostile_payloads() -> None:
    for payload in HOSTILE:
        out = neutralise(payload)
        assert is_inert(out) and not is_inert(payload), payload
    assert neutralise("x;=1+20;") == "x;'=1+20;" and neutralise("a\t=1+7") == "a\t'=1+7"
    assert neutralise("C++ a-b x+y") == "C++ a-b x+y"  # ordinary signs inside text stay


def test_accept_encoding() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("br, gzip;q=0.5") and accepts_gzip("*")
    assert not accepts_gzip(None) and not accepts_gzip("gzip;q=0") and not accepts_gzip("identity")
    assert not accepts_gzip("*, gzip;q=0") and not accepts_gzip("deflate")


def test_the_spool_counts_what_json_dumps_counts() -> None:
    spool = CsvSpool()
    parts = ["\ufeff\"id\",\"名字\"\r\n", "\"a\",\"b\\c\"\r\n" * 1000, "\"迁移\"\r\n" * 500]
    for part in parts:
        spool.write(part)
    assert spool.plain_json_chars == len(json.dumps("".join(parts))) - 2 == json_len("".join(parts))
    estimate = spool.inline_len(gzip=True)
    import base64
    body = spool.gzip_body()
    assert len(body) <= estimate and zlib.decompress(base64.b64decode(body), 31).decode() == "".join(parts)


def test_numbers_and_odd_tasks() -> None:
    assert neutralise(-5) == -5 and neutralise(None) is None
    assert task_row("not a task") == [None] * len(COLUMNS)
    row = dict(zip(COLUMNS, task_row({"id": "t", "name": "-x", "error_json": '{"error_code":"SMS.1","error_msg":"@m"}',
                                      "create_date": 1700000000000, "total_time": 5000}), strict=True))
    assert row["name"] == "'-x" and row["error_code"] == "SMS.1" and row["error_msg"] == "'@m"
    assert row["create_date"] == "2023-11-14T22:13:20Z" and row["total_time_s"] == 5


def test_an_error_object_is_split_as_the_task_page_and_the_chat_split_it() -> None:
    from shared.dashboard.render import error_parts

    error_json = '{"code": "SMS.1903", "message": "agent offline", "detail": "x"}'
    row = dict(zip(COLUMNS, task_row({"id": "t", "error_json": error_json}), strict=True))
    page = error_parts({"code": "SMS.1903", "message": "agent offline", "detail": "x"})
    assert (row["error_code"], row["error_msg"]) == (page["code"], page["message"]) == ("SMS.1903", "agent offline")


@pytest.mark.parametrize("gzip", [True, False])
def test_an_inline_csv_body_says_its_exact_cost_so_it_is_not_serialised_again(gzip: bool) -> None:
    spool = CsvSpool(plain=True)
    for text in ('id,name\r\n', '"迁移",=1+1\r\n', 'tab\there "quoted" \\ 😀\r\n', '\u202etxt\x7f\r\n'):
        spool.write(text)
    body = spool.gzip_body() if gzip else spool.plain_body()
    sized = result_limits._sized.get()
    assert sized is not None and sized[0] is body
    assert sized[1] == len(json.dumps(body))  # the runtime's serialiser is the reference
