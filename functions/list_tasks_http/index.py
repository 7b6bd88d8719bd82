"""FunctionGraph handler behind the API Gateway trigger: ``GET /v3/tasks`` and
``GET /v3/tasks/summary``. All logic lives in ``shared.triggers.http_routes``."""
from typing import Any

from shared.triggers.http_routes import handle


def handler(event: Any, context: Any) -> dict[str, Any]:
    return handle(event, context)
