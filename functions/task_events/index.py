"""FunctionGraph handler behind the SMN, EventGrid, DMS for Kafka and CTS triggers (and direct
invocations): task details or summaries on request. All logic lives in ``shared.events``."""
from shared.events import handle


def handler(event, context):
    return handle(event, context)
