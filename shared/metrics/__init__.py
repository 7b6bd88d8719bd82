"""Prometheus exposition of a migration summary (``GET /metrics``): the fleet as gauges that the
metrics tools operators already watch (Prometheus, Grafana, Huawei Cloud AOM) can scrape."""
