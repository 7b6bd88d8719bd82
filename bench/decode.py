"""*decode*: what a page's bytes cost to become checked tasks, against merely parsing them.

On the same 200-task page (bytes as SMS sent them, valid in both rule sets):

* project warn / strict: ``shared.validation.decode.decode_page``, the bytes decoded straight into
  the checked types of the rule set (parse and every rule in one pass);
* json.loads: parsing alone, what the raw baseline does;
* json.loads + jsonschema_rs: how the project checked a page before (parse, then the compiled
  validator), for the record;
* jsonschema: the pure-Python reference on the parsed page (tests only)."""
from __future__ import annotations

import json
from typing import Any

import jsonschema

from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, RawFetcher
from shared.validation.decode import decode_page
from shared.validation.validate import RESPONSE_SCHEMA, compile_validator, derived_schema

PAGE = 200
ROUNDS = 8
PER_ROUND = 10  # each takes a few ms at most: several per round for a steadier median


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    fetcher = RawFetcher(emulator.url)
    content = fetcher.raw(PAGE)
    fetcher.close()
    doc: Any = json.loads(content)
    reference = jsonschema.Draft202012Validator(derived_schema(RESPONSE_SCHEMA, "warn"))
    rs_warn = compile_validator(RESPONSE_SCHEMA, "warn")
    for mode in ("warn", "strict"):  # the page is valid, and proven so by the typed decode alone
        page = decode_page(content, mode)
        assert page.report is not None and page.report.ok and not isinstance(page.tasks[0], dict), mode
    assert reference.is_valid(doc) and rs_warn.is_valid(doc)

    def repeated(fn: Any) -> Any:
        def run_all() -> None:
            for _ in range(PER_ROUND):
                fn()
        return run_all

    samples = interleave({
        "project warn": repeated(lambda: decode_page(content, "warn")),
        "project strict": repeated(lambda: decode_page(content, "strict")),
        "json.loads": repeated(lambda: json.loads(content)),
        "json.loads + jsonschema_rs": repeated(lambda: rs_warn.is_valid(json.loads(content))),
        "jsonschema (parsed)": lambda: reference.is_valid(doc),
    }, repeats=ROUNDS, warmup=1)
    for name in ("project warn", "project strict", "json.loads", "json.loads + jsonschema_rs"):
        samples[name].values = [v / PER_ROUND for v in samples[name].values]
    table(f"decode: one {PAGE}-task page ({len(content) // 1024} KiB) from bytes to checked tasks",
          list(samples.values()), baseline=samples["json.loads"],
          note="project = validation.decode.decode_page (typed msgspec decode: parse + checks in one pass);\n"
               "a page it does not accept goes to json.loads + jsonschema_rs (see the invalid section)")
    return samples
