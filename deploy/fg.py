"""The FunctionGraph calls ``deploy`` makes, through the official SDK (huaweicloudsdkfunctiongraph).

The SDK signs (AK/SK, security token), sends and raises its exceptions; answers are read as raw
JSON (``to_json_object``) so fields the SDK's models do not know are kept and compared. Request
bodies are the SDK's own model classes, except ``event_data``, which differs per trigger type
and is sent as a plain dict (the SDK serialises both the same way)."""
from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkfunctiongraph.v2 import (
    CreateDependencyRequestBody,
    CreateDependencyVersionRequest,
    CreateFunctionRequest,
    CreateFunctionRequestBody,
    CreateFunctionTriggerRequest,
    CreateFunctionTriggerRequestBody,
    CreateFunctionVersionRequest,
    CreateFunctionVersionRequestBody,
    CreateVersionAliasRequest,
    CreateVersionAliasRequestBody,
    DeleteFunctionRequest,
    DeleteFunctionTriggerRequest,
    FuncAsyncDestinationConfig,
    FuncCode,
    FuncDestinationConfig,
    FunctionGraphClient,
    ListDependenciesRequest,
    ListDependencyVersionRequest,
    ListFunctionTriggersRequest,
    ListFunctionVersionsRequest,
    ListVersionAliasesRequest,
    ShowFunctionAsyncInvokeConfigRequest,
    ShowFunctionConfigRequest,
    UpdateFunctionAsyncInvokeConfigRequest,
    UpdateFunctionAsyncInvokeConfigRequestBody,
    UpdateFunctionCodeRequest,
    UpdateFunctionCodeRequestBody,
    UpdateFunctionConfigRequest,
    UpdateFunctionConfigRequestBody,
    UpdateriggerEventData,
    UpdateTriggerRequest,
    UpdateTriggerRequestBody,
    UpdateVersionAliasRequest,
    UpdateVersionAliasRequestBody,
)
from huaweicloudsdkfunctiongraph.v2.region.functiongraph_region import FunctionGraphRegion

PAGE = 400


class DeployError(SystemExit):
    """A deploy that cannot go on; the message says what to fix."""


# Answers that mean "it does not exist", whatever the HTTP status: FSS.1051 function (404 in the
# CreateVersionAlias example), FSS.1053 alias (answered with 401, not 404). Any other 404 counts too.
# Sources and what stays unchecked: docs/deploy.md, "Platform assumptions".
NOT_FOUND_CODES = frozenset({"FSS.1051", "FSS.1053"})


@dataclass(frozen=True)
class Account:
    region: str
    project_id: str

    def function_urn(self, app: str, name: str, qualifier: str | None = None) -> str:
        """``qualifier`` is a version (``latest``, ``v20260101-000000``): ``<urn>:<version>``."""
        urn = f"urn:fss:{self.region}:{self.project_id}:function:{app}:{name}"
        return f"{urn}:{qualifier}" if qualifier else urn

    def alias_urn(self, app: str, name: str, alias: str) -> str:
        """An alias is addressed as ``<urn>:!<alias>`` (ListVersionAliases/ShowVersionAlias examples);
        ``<urn>:<alias>`` would name a version called like the alias."""
        return f"{self.function_urn(app, name)}:!{alias}"

    def target_urn(self, app: str, name: str, alias: str | None) -> str:
        """What triggers and async settings hang on: the alias, or the latest code without one."""
        return self.alias_urn(app, name, alias) if alias else self.function_urn(app, name, "latest")


def _json(response: Any) -> Any:
    return response.to_json_object() if response is not None else None


def _pages(call: Callable[[str | None], Any], key: str) -> list[dict[str, Any]]:
    """Every item of a listing FunctionGraph pages with ``marker``/``maxitems``/``next_marker``
    (ListFunctionVersions, ListDependencies, ListDependencyVersion)."""
    out: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = _json(call(marker)) or {}
        items = page.get(key) or []
        out.extend(items)
        nxt = page.get("next_marker")
        if not items or not nxt or str(nxt) == str(marker):
            return out
        marker = str(nxt)


def is_missing(exc: ServiceResponseException) -> bool:
    return exc.status_code == 404 or str(getattr(exc, "error_code", "") or "") in NOT_FOUND_CODES


class FunctionGraph:
    def __init__(self, client: FunctionGraphClient, account: Account) -> None:
        self.client = client
        self.account = account

    @classmethod
    def connect(cls, region: str, endpoint: str | None = None, env: dict[str, str] | None = None) -> FunctionGraph:
        """Credentials of the deployer: HUAWEICLOUD_SDK_AK / _SK / _PROJECT_ID (and _SECURITY_TOKEN
        for temporary credentials). ``endpoint`` (FG_ENDPOINT) replaces the region's endpoint."""
        env = dict(os.environ) if env is None else env
        ak, sk = env.get("HUAWEICLOUD_SDK_AK"), env.get("HUAWEICLOUD_SDK_SK")
        project_id = env.get("HUAWEICLOUD_SDK_PROJECT_ID")
        if not (ak and sk and project_id):
            raise DeployError("set HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID "
                              "(the deployer's credentials and the region's project id)")
        credentials = BasicCredentials(ak, sk, project_id)
        if env.get("HUAWEICLOUD_SDK_SECURITY_TOKEN"):
            credentials.with_security_token(env["HUAWEICLOUD_SDK_SECURITY_TOKEN"])
        config = HttpConfig.get_default_config()
        config.timeout = (10, 120)  # code and dependency uploads are megabytes
        config.retry_times = 0
        builder = FunctionGraphClient.new_builder().with_credentials(credentials).with_http_config(config)
        if endpoint:
            builder = builder.with_endpoints([endpoint])
        else:
            try:
                builder = builder.with_region(FunctionGraphRegion.value_of(region))
            except KeyError:
                raise DeployError(f"region {region!r} is not a FunctionGraph region of the SDK; "
                                  "set FG_ENDPOINT") from None
        return cls(builder.build(), Account(region, project_id))

    # --- functions ---------------------------------------------------------------------------

    def show_function(self, urn: str) -> dict[str, Any] | None:
        try:
            return _json(self.client.show_function_config(ShowFunctionConfigRequest(function_urn=urn)))
        except ServiceResponseException as exc:
            if is_missing(exc):
                return None
            raise

    def create_function(self, fields: dict[str, Any], code: bytes) -> dict[str, Any]:
        body = CreateFunctionRequestBody(**fields, code_type="zip",
                                         func_code=FuncCode(file=base64.b64encode(code).decode("ascii")))
        return _json(self.client.create_function(CreateFunctionRequest(body=body)))

    def update_code(self, urn: str, code: bytes, filename: str, depend_version_list: list[str]) -> dict[str, Any]:
        body = UpdateFunctionCodeRequestBody(
            code_type="zip", code_filename=filename, depend_version_list=depend_version_list,
            func_code=FuncCode(file=base64.b64encode(code).decode("ascii")))
        return _json(self.client.update_function_code(UpdateFunctionCodeRequest(function_urn=urn, body=body)))

    def update_config(self, urn: str, fields: dict[str, Any]) -> dict[str, Any]:
        body = UpdateFunctionConfigRequestBody(**fields)
        return _json(self.client.update_function_config(UpdateFunctionConfigRequest(function_urn=urn, body=body)))

    # --- versions and aliases ----------------------------------------------------------------

    def list_versions(self, urn: str) -> list[dict[str, Any]]:
        return _pages(lambda marker: self.client.list_function_versions(
            ListFunctionVersionsRequest(function_urn=urn, marker=marker, maxitems=str(PAGE))), "versions")

    def delete_version(self, urn: str, version: str) -> None:
        """DeleteFunction on a version URN removes that version only (never ``latest``)."""
        base = urn.rsplit(":", 1)[0] if urn.endswith(":latest") else urn
        self.client.delete_function(DeleteFunctionRequest(function_urn=f"{base}:{version}"))

    def publish_version(self, urn: str, version: str, description: str) -> dict[str, Any]:
        body = CreateFunctionVersionRequestBody(version=version, description=description)
        return _json(self.client.create_function_version(CreateFunctionVersionRequest(function_urn=urn, body=body)))

    def list_aliases(self, urn: str) -> list[dict[str, Any]]:
        return _json(self.client.list_version_aliases(ListVersionAliasesRequest(function_urn=urn))) or []

    def create_alias(self, urn: str, name: str, version: str, description: str) -> dict[str, Any]:
        body = CreateVersionAliasRequestBody(name=name, version=version, description=description)
        return _json(self.client.create_version_alias(CreateVersionAliasRequest(function_urn=urn, body=body)))

    def update_alias(self, urn: str, name: str, version: str, description: str) -> dict[str, Any]:
        body = UpdateVersionAliasRequestBody(version=version, description=description)
        return _json(self.client.update_version_alias(
            UpdateVersionAliasRequest(function_urn=urn, alias_name=name, body=body)))

    # --- asynchronous invocation -------------------------------------------------------------------

    def show_async_config(self, urn: str) -> dict[str, Any] | None:
        try:
            return _json(self.client.show_function_async_invoke_config(
                ShowFunctionAsyncInvokeConfigRequest(function_urn=urn)))
        except ServiceResponseException as exc:
            if is_missing(exc):
                return None
            raise

    def put_async_config(self, urn: str, fields: dict[str, Any]) -> dict[str, Any]:
        destinations = fields.get("destination_config") or {}
        config = FuncAsyncDestinationConfig(**{
            when: FuncDestinationConfig(destination=d["destination"], param=d["param"])
            for when, d in destinations.items()})
        body = UpdateFunctionAsyncInvokeConfigRequestBody(
            max_async_retry_attempts=fields.get("max_async_retry_attempts"),
            max_async_event_age_in_seconds=fields.get("max_async_event_age_in_seconds"),
            destination_config=config)
        return _json(self.client.update_function_async_invoke_config(
            UpdateFunctionAsyncInvokeConfigRequest(function_urn=urn, body=body)))

    # --- triggers ------------------------------------------------------------------------------

    def list_triggers(self, urn: str) -> list[dict[str, Any]]:
        try:
            return _json(self.client.list_function_triggers(ListFunctionTriggersRequest(function_urn=urn))) or []
        except ServiceResponseException as exc:
            if is_missing(exc):
                return []
            raise

    def create_trigger(self, urn: str, body: dict[str, Any]) -> dict[str, Any]:
        request_body = CreateFunctionTriggerRequestBody(
            trigger_type_code=body["trigger_type_code"], trigger_status=body["trigger_status"],
            event_type_code=body["event_type_code"], event_data=body["event_data"])
        return _json(self.client.create_function_trigger(
            CreateFunctionTriggerRequest(function_urn=urn, body=request_body)))

    def delete_trigger(self, urn: str, type_code: str, trigger_id: str) -> None:
        self.client.delete_function_trigger(DeleteFunctionTriggerRequest(
            function_urn=urn, trigger_type_code=type_code, trigger_id=trigger_id))

    def update_trigger(self, urn: str, type_code: str, trigger_id: str, status: str,
                       event_data: dict[str, Any] | None = None) -> None:
        """UpdateTrigger: the status, and the few event_data fields it documents (``UPDATABLE``)."""
        body = UpdateTriggerRequestBody(
            trigger_status=status, event_data=[UpdateriggerEventData(**event_data)] if event_data else None)
        self.client.update_trigger(UpdateTriggerRequest(
            function_urn=urn, trigger_type_code=type_code, trigger_id=trigger_id, body=body))

    # --- dependencies --------------------------------------------------------------------------

    def find_dependency(self, name: str) -> dict[str, Any] | None:
        found = [d for d in _pages(lambda marker: self.client.list_dependencies(ListDependenciesRequest(
            name=name, ispublic="false", marker=marker, maxitems=str(PAGE))), "dependencies") if d.get("name") == name]
        return found[0] if found else None

    def list_dependency_versions(self, depend_id: str) -> list[dict[str, Any]]:
        return _pages(lambda marker: self.client.list_dependency_version(ListDependencyVersionRequest(
            depend_id=depend_id, marker=marker, maxitems=str(PAGE))), "dependencies")

    def create_dependency_version(self, name: str, runtime: str, data: bytes, description: str) -> dict[str, Any]:
        body = CreateDependencyRequestBody(depend_type="zip", depend_file=base64.b64encode(data).decode("ascii"),
                                           runtime=runtime, name=name, description=description)
        return _json(self.client.create_dependency_version(CreateDependencyVersionRequest(body=body)))
