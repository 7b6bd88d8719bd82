"""Trigger adapters: what each FunctionGraph trigger hands a function (API Gateway, HTTP routes, timer,
event sources), turned into one call of the read path, the summary or the webhooks."""
