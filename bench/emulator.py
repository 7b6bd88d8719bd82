"""The SMS emulator in a process of its own, and the credentials and clients that talk to it.

A separate process keeps the emulator's CPU off the measured interpreter's GIL and its memory
(a warm 50,000-task fleet is ~110 MB of JSON) out of any RSS we measure. ``warm`` serialises
the fleet before serving, so the emulator only joins bytes per page. Auth stays ON: every
variant signs its requests (the SDK's signer), so all pay the same signing and verification."""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from bench.common import ROOT
from local import fleet
from local.backend import LOCAL_AK, LOCAL_SK

START_TIMEOUT_S = 120.0
PROJECT_ID = "bench-project"


class EmulatorProcess:
    """``python -m local.sms_emulator`` serving exactly ``tasks`` tasks on a free loopback port."""

    def __init__(self, tasks: int, dataset: str = "fleet", delay_ms: int = 0) -> None:
        self.tasks = tasks
        self.dataset = dataset  # fleet-cjk: every task named in CJK
        self.delay_ms = delay_ms
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> EmulatorProcess:
        generated = self.tasks - len(fleet.load_doc_tasks())  # the fleet dataset adds the doc's examples
        env = {**os.environ, "SMS_EMULATOR_AK": LOCAL_AK, "SMS_EMULATOR_SK": LOCAL_SK}
        cmd = [sys.executable, "-m", "local.sms_emulator", "--host", "127.0.0.1", "--port", "0",
               "--dataset", self.dataset, "--tasks", str(generated), "--warm", "--delay-ms", str(self.delay_ms)]
        self._proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True)
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], START_TIMEOUT_S)
        line = self._proc.stdout.readline().strip() if ready else ""
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the emulator did not start within {START_TIMEOUT_S:.0f}s (got {line!r})")
        self.url = line
        return self

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._proc = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_delay(self, delay_ms: int) -> None:
        """Every later ``GET /v3/tasks`` answers ``delay_ms`` late (a real SMS page: 50-400 ms)."""
        requests.post(f"{self.url}/_emulator/faults", timeout=30, json={"delay_ms": delay_ms}).raise_for_status()
        self.delay_ms = delay_ms

    def answer_next(self, body: Any) -> None:
        """The next ``GET /v3/tasks`` is answered 200 with ``body`` (a fault of the emulator's)."""
        done = requests.post(f"{self.url}/_emulator/faults", timeout=30,
                             json={"responses": [{"kind": "respond", "status": 200, "body": body}]})
        done.raise_for_status()

    def env(self) -> dict[str, str]:
        """What the functions read to reach this emulator."""
        return {"SMS_ENDPOINT": self.url, "HUAWEICLOUD_SDK_AK": LOCAL_AK, "HUAWEICLOUD_SDK_SK": LOCAL_SK,
                "SMS_PROJECT_ID": PROJECT_ID}


def use_emulator(emulator: EmulatorProcess) -> None:
    """Point this process's settings at ``emulator`` and drop the cached client of another one."""
    from shared.read import sms_client

    os.environ.update(emulator.env())
    sms_client.reset_client_cache()


def sdk_client(url: str) -> Any:
    """The official SDK client as the doc's sample builds it (an endpoint instead of a region)."""
    from huaweicloudsdksms.v3 import SmsClient  # deferred: every model class of the SDK

    credentials = BasicCredentials(LOCAL_AK, LOCAL_SK, PROJECT_ID)
    return SmsClient.new_builder().with_credentials(credentials).with_endpoints([url]).build()


class RawFetcher:
    """The least work that gets a page: SDK-signed ``requests`` GET on a kept-alive session and
    ``json.loads``. One session per thread (``requests.Session`` is not meant to be shared)."""

    def __init__(self, url: str) -> None:
        self._url = urlsplit(url)
        self._signer = Signer(BasicCredentials(LOCAL_AK, LOCAL_SK, PROJECT_ID))
        self._local = threading.local()
        self._sessions: list[Any] = []

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            self._sessions.append(session)
        return session

    def raw(self, limit: int, offset: int = 0) -> bytes:
        """The page's body as bytes, unparsed."""
        request = SdkRequest(method="GET", schema=self._url.scheme, host=self._url.netloc, resource_path="/v3/tasks",
                             query_params=[("limit", str(limit)), ("offset", str(offset))],
                             header_params={"Content-Type": "application/json"}, body="")
        self._signer.sign(request)
        response = self._session().get(request.url, headers=request.header_params, timeout=30)
        response.raise_for_status()
        return response.content

    def get(self, limit: int, offset: int = 0) -> dict[str, Any]:
        return json.loads(self.raw(limit, offset))

    def close(self) -> None:
        for session in self._sessions:
            session.close()

