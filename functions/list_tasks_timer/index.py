"""FunctionGraph handler behind the TIMER trigger: summarise every task and push the summary to
the configured webhooks. All logic lives in ``shared.timer_job``."""
from typing import Any

from shared.timer_job import run


def handler(event: Any, context: Any) -> dict[str, Any]:
    return run(event, context)
