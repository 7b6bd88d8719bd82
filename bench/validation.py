"""*validation*: what the project runs (``validate_response``: the msgspec fast path, jsonschema_rs
only for documents it does not accept) against the compiled ``jsonschema_rs`` validator alone and the
pure-Python ``jsonschema`` reference, on the same parsed 200-task page, same rule set."""
from __future__ import annotations

from typing import Any

import jsonschema

from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, RawFetcher
from shared.validation.validate import (
    RESPONSE_SCHEMA,
    compile_fast_check,
    compile_validator,
    derived_schema,
    validate_response,
)

PAGE = 200
ROUNDS = 8
PER_ROUND = 10  # the compiled checks take well under 1 ms: several per round for a steadier median


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    fetcher = RawFetcher(emulator.url)
    doc: Any = fetcher.get(PAGE)
    fetcher.close()
    schemas = {mode: derived_schema(RESPONSE_SCHEMA, mode) for mode in ("warn", "strict")}
    reference = {mode: jsonschema.validators.validator_for(s)(s) for mode, s in schemas.items()}
    rs_warn = compile_validator(RESPONSE_SCHEMA, "warn")
    for mode in schemas:  # same verdict from every engine before timing any
        assert validate_response(doc, mode).ok == reference[mode].is_valid(doc), mode
    fast_warn = compile_fast_check(RESPONSE_SCHEMA, "warn")
    # The page is valid in warn mode, so the project's figure is the fast path's alone, not a detour.
    assert fast_warn is not None and fast_warn(doc) and rs_warn.is_valid(doc)

    def repeated(fn: Any) -> Any:
        def run_all() -> None:
            for _ in range(PER_ROUND):
                fn()
        return run_all

    samples = interleave({
        "project warn": repeated(lambda: validate_response(doc, "warn")),
        "project strict": repeated(lambda: validate_response(doc, "strict")),
        "jsonschema_rs warn": repeated(lambda: rs_warn.is_valid(doc)),
        "jsonschema warn": lambda: reference["warn"].is_valid(doc),
    }, repeats=ROUNDS, warmup=1)
    for name in ("project warn", "project strict", "jsonschema_rs warn"):
        samples[name].values = [v / PER_ROUND for v in samples[name].values]
    table(f"validation: one parsed {PAGE}-task page against list_tasks_response",
          list(samples.values()), baseline=samples["project warn"],
          note="project = validation.validate_response (msgspec fast path; jsonschema_rs only for a page it\n"
               "does not accept); jsonschema_rs = its compiled validator alone; jsonschema = the pure-Python\n"
               "reference; all three on the same derived schema")
    return samples
