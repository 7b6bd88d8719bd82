"""All the logic behind the SMS task functions: settings, SDK client, query rules, paging,
schemas and validation, summaries, webhook delivery, error mapping and API Gateway helpers.

Handlers in ``functions/`` stay thin and call into this package."""
