"""FunctionGraph handler behind the API Gateway trigger: ``GET /v3/tasks`` and
``GET /v3/tasks/summary``. All logic lives in ``shared.http_api``."""
from typing import Any

from shared.http_api import handle


def handler(event: Any, context: Any) -> dict[str, Any]:
    return handle(event, context)
