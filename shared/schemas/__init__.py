"""The JSON Schema files derived from the SMS doc, and their loader.

The files are data: deploy (OpenAPI), the docs and the tests point at them here. Each is read once
per process, on first use, never at import time."""
from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent
_SCHEMA_NAME = re.compile(r"^[a-z0-9_]+$")


def schema_path(name: str) -> Path:
    """``shared/schemas/<name>.schema.json``; ``name`` is a bare name like 'list_tasks_response'."""
    if not _SCHEMA_NAME.match(name):
        raise ValueError(f"schema name must match {_SCHEMA_NAME.pattern}, got {name!r}")
    return SCHEMA_DIR / f"{name}.schema.json"


@cache
def shared_schema(name: str) -> dict[str, Any]:
    """The schema ``name``, read once; shared, so callers must not change it (``load_schema``
    gives a copy)."""
    with schema_path(name).open(encoding="utf-8") as handle:
        return json.load(handle)


def load_schema(name: str) -> dict[str, Any]:
    """The schema file ``name`` as a dict of the caller's own."""
    return copy.deepcopy(shared_schema(name))
