"""CSV cells: formula starts are neutralised, everything else is kept as it is."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.dashboard.csv_export import COLUMNS, FORMULA_STARTS, neutralise, task_row


@given(st.text())
def test_no_cell_starts_a_formula(value: str) -> None:
    out = neutralise(value)
    assert not out.startswith(FORMULA_STARTS)
    assert out == value or out == "'" + value


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
