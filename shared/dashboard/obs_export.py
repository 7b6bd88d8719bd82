"""A CSV export too large for an answer, streamed to OBS (``EXPORT_BUCKET``) with the official OBS
SDK (``esdk-obs-python``) as a multipart upload, then handed out as a short-lived signed link.

Memory is one part: bytes are buffered up to ``PART_BYTES`` and each full part is uploaded before
more is read, whatever the fleet's size (OBS's parts are 100 KB to 5 GB, 10,000 at most: 5 MiB
parts carry 48 GiB; S3-compatible stores want at least 5 MiB but for the last). The function's
agency credentials (``context.getSecurityAccessKey/SecretKey/Token``) sign, as for SMS; the
settings' AK/SK only where there is no agency (local runs). A failed upload is aborted so no
orphan parts are billed, and answers 502 ``SMSFN.0515`` with OBS's error code, never its body."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from shared.errors import ApiError, fn_error
from shared.scope import Invocation
from shared.settings import ExportSettings, Settings

PART_BYTES = 5 * 1024 * 1024
CONTENT_TYPE = "text/csv;charset=UTF-8"
OBS_TIMEOUT_S = 10.0  # one OBS call at most; less when the function's deadline is nearer


def _credentials(settings: Settings, invocation: Invocation) -> tuple[str, str, str | None]:
    creds = invocation.credentials
    if creds is not None:
        return creds.ak, creds.sk, creds.security_token
    if settings.ak and settings.sk:
        return settings.ak, settings.sk, settings.security_token
    raise fn_error("SMSFN.0500", "Configuration error: EXPORT_BUCKET is set but the function has no agency "
                   "credentials (nor HUAWEICLOUD_SDK_AK/SK) to write to it")


def _failed(step: str, resp: Any) -> ApiError:
    code = getattr(resp, "errorCode", None) or f"HTTP {getattr(resp, 'status', '?')}"
    return fn_error("SMSFN.0515", f"OBS refused the export's {step}: {code}")


def _checked(step: str, call: Callable[[], Any]) -> Any:
    """An SDK call's answer, or 502 ``SMSFN.0515`` when it failed or raised (the exception's type
    only: its text may carry a signed URL)."""
    try:
        resp = call()
    except Exception as exc:
        raise fn_error("SMSFN.0515", f"OBS failed the export's {step}: {type(exc).__name__}") from None
    if resp is None or resp.status >= 300:
        raise _failed(step, resp)
    return resp


def object_key(export: ExportSettings, now: datetime | None = None) -> str:
    """``<prefix>sms-tasks-<UTC stamp>-<random>.csv``: unguessable, sortable, never user text."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"{export.prefix}sms-tasks-{stamp}-{uuid.uuid4().hex}.csv"


class ObsUpload:
    """One object written part by part. ``write`` as bytes come, then ``finish`` for the link."""

    def __init__(self, settings: Settings, invocation: Invocation, filename: str) -> None:
        from obs import ObsClient  # only an export that overflows pays for the SDK's import

        export = settings.export
        assert export.bucket and export.endpoint
        ak, sk, token = _credentials(settings, invocation)
        timeout = max(1, int(invocation.deadline.cap(OBS_TIMEOUT_S)))
        self._client = ObsClient(access_key_id=ak, secret_access_key=sk, security_token=token,
                                 server=export.endpoint, signature=export.signature,
                                 is_signature_negotiation=False, max_retry_count=1, timeout=timeout,
                                 ssl_verify=settings.verify_tls)
        self._bucket, self._ttl = export.bucket, export.link_ttl_s
        self.key = object_key(export)
        self._buffer = bytearray()
        self._parts: list[Any] = []
        self._aborted = False
        self.bytes = 0
        disposition = f'attachment; filename="{filename}"'
        try:
            resp = _checked("start", lambda: self._client.initiateMultipartUpload(
                self._bucket, self.key, contentType=CONTENT_TYPE,
                extensionHeaders={"Content-Disposition": disposition}))
        except ApiError:
            self._client.close()
            raise
        self._upload_id = resp.body.uploadId

    def write(self, data: bytes) -> None:
        self._buffer += data
        self.bytes += len(data)
        while len(self._buffer) >= PART_BYTES:
            part = bytes(self._buffer[:PART_BYTES])
            del self._buffer[:PART_BYTES]
            self._put(part)

    def _put(self, part: bytes) -> None:
        from obs import CompletePart

        number = len(self._parts) + 1
        try:
            resp = _checked(f"part {number}", lambda: self._client.uploadPart(
                self._bucket, self.key, number, self._upload_id, object=part, isFile=False))
        except ApiError:
            self.abort()
            raise
        self._parts.append(CompletePart(partNum=number, etag=resp.body.etag))

    def finish(self) -> str:
        """Uploads the last part, completes the object and returns its signed GET link."""
        from obs import CompleteMultipartUploadRequest

        if self._buffer or not self._parts:
            self._put(bytes(self._buffer))
            self._buffer = bytearray()
        request = CompleteMultipartUploadRequest(parts=self._parts)
        try:
            _checked("completion", lambda: self._client.completeMultipartUpload(
                self._bucket, self.key, self._upload_id, request))
        except ApiError:
            self.abort()
            raise
        try:
            return str(self._client.createSignedUrl("GET", self._bucket, self.key, expires=self._ttl).signedUrl)
        finally:
            self._client.close()

    def abort(self) -> None:
        """Drops the parts uploaded so far (best effort: the error being answered matters more).
        Once only: the upload's own failures abort it, and so does the export around it."""
        if self._aborted:
            return
        self._aborted = True
        try:
            self._client.abortMultipartUpload(self._bucket, self.key, self._upload_id)
        except Exception:  # the caller raises the real failure
            pass
        finally:
            self._client.close()
