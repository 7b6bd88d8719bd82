"""One table of SMSFN codes: the code raises only codes it lists, with their statuses, and
README's error table lists exactly the same rows."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.errors import CODES, ApiError, bad_request, fn_error, rescoped

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"SMSFN\.\d{4}")


def test_every_code_in_the_source_is_in_the_table() -> None:
    used = {code for path in (ROOT / "shared").rglob("*.py") for code in CODE.findall(path.read_text())}
    assert used and used <= set(CODES), sorted(used - set(CODES))


def test_readme_error_table_is_the_code_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| (\d{3}) \| `(SMSFN\.\d{4})` \|", readme, flags=re.M))
    assert rows == {(str(status), code) for code, (status, _) in CODES.items()}


def test_codes_carry_their_status() -> None:
    for code, (status, _) in CODES.items():
        assert fn_error(code, "x").status == status
    with pytest.raises(KeyError):
        fn_error("SMSFN.0999", "no such code")


def test_errors_carry_parts_and_rescoping_builds_from_them() -> None:
    exc = bad_request("limit", "must be an integer from 1 to 200")
    assert (exc.param, exc.reason, exc.error_param) == ("limit", "must be an integer from 1 to 200", ["limit"])
    scoped = rescoped(exc, "query")
    assert scoped.error_msg == "Invalid parameter 'query.limit': must be an integer from 1 to 200"
    assert scoped.error_param == ["query.limit"] and scoped.status == 400
    # an error naming no parameter is scoped to the prefix itself
    assert rescoped(ApiError(400, "SMSFN.0400", "bad"), "filters").error_param == ["filters"]
