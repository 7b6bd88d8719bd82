"""FunctionGraph handler behind the TIMER trigger: summarise every task and push the summary to
the configured webhooks. All logic lives in ``shared.triggers.timer``."""
from typing import Any

from shared.triggers.timer import run


def handler(event: Any, context: Any) -> dict[str, Any]:
    return run(event, context)
