"""*validation*: the compiled validator (``jsonschema_rs``, what the project runs) against the
pure-Python ``jsonschema`` reference, on the same parsed 200-task page, same rule set."""
from __future__ import annotations

from typing import Any

import jsonschema

from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, RawFetcher
from shared.validation import RESPONSE_SCHEMA, derived_schema, validate_response

PAGE = 200
ROUNDS = 8
COMPILED_PER_ROUND = 10  # the compiled check is ~1 ms: several per round for a steadier median


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    fetcher = RawFetcher(emulator.url)
    doc: Any = fetcher.get(PAGE)
    fetcher.close()
    schemas = {mode: derived_schema(RESPONSE_SCHEMA, mode) for mode in ("warn", "strict")}
    reference = {mode: jsonschema.validators.validator_for(s)(s) for mode, s in schemas.items()}
    for mode in schemas:  # same verdict from both before timing either
        assert validate_response(doc, mode).ok == reference[mode].is_valid(doc), mode

    def compiled(mode: str) -> None:
        for _ in range(COMPILED_PER_ROUND):
            validate_response(doc, mode)

    samples = interleave({"compiled warn": lambda: compiled("warn"), "compiled strict": lambda: compiled("strict"),
                          "jsonschema warn": lambda: reference["warn"].is_valid(doc)},
                         repeats=ROUNDS, warmup=1)
    for name in ("compiled warn", "compiled strict"):
        samples[name].values = [v / COMPILED_PER_ROUND for v in samples[name].values]
    table(f"validation: one parsed {PAGE}-task page against list_tasks_response",
          list(samples.values()), baseline=samples["compiled warn"],
          note="compiled = shared.validation.validate_response (jsonschema_rs, compiled once); "
               "jsonschema = the reference package, same derived schema")
    return samples
