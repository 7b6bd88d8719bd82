"""``requests`` on ``shared.transport.bounded``'s guarded pools, for webhook delivery. Apart so that
the SMS client, which talks urllib3 directly, never imports ``requests`` (~60 ms of a cold start)."""
from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from shared.transport.bounded import GuardedHTTPPool, GuardedHTTPSPool


class DeadlineExceeded(requests.Timeout):
    """The exchange was cut because the deadline came before its end."""


class GuardedAdapter(HTTPAdapter):
    """An adapter whose connections obey ``deadline_guard``; retries are never urllib3's."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_retries", 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}
