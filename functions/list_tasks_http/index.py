"""FunctionGraph handler behind the API Gateway trigger: ``GET /v3/tasks`` and
``GET /v3/tasks/summary``. All logic lives in ``shared.http_api``."""
from shared.http_api import handle


def handler(event, context):
    return handle(event, context)
