"""FunctionGraph handler behind the SMN, EventGrid, DMS for Kafka and CTS triggers (and direct
invocations): task details or summaries on request. All logic lives in ``shared.triggers.events``."""
from typing import Any

from shared.triggers.events import handle


def handler(event: Any, context: Any) -> dict[str, Any]:
    return handle(event, context)
