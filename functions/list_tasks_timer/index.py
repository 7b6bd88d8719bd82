"""FunctionGraph handler behind the TIMER trigger: summarise every task and push the summary to
the configured webhooks. All logic lives in ``shared.timer_job``."""
from shared.timer_job import run


def handler(event, context):
    return run(event, context)
