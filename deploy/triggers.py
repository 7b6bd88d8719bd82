"""template.yaml triggers -> FunctionGraph CreateFunctionTrigger bodies, and how to tell whether a
trigger FunctionGraph already has is the one the template declares.

Each type maps its friendly template keys to FunctionGraph's ``event_data``; ``event_data`` given
in the template is merged over the result, so any field FunctionGraph knows can be set even where
no friendly key exists. ``${NAME}`` / ``${NAME:-default}`` in any string are filled from the
deployer's environment (ids of existing cloud resources); an empty result drops the key."""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from huaweicloudsdkfunctiongraph.v2 import TriggerEventDataResponseBody, UpdateriggerEventData

from deploy.validate import PLACEHOLDER
from project.template import Function, Trigger

# event_data fields whose values are credentials: taken from the environment, never printed and
# never compared (FunctionGraph does not return them).
SECRET_FIELDS = frozenset({"kafka_password", "db_password", "access_password"})
# Types FunctionGraph lets you disable (the others are always ACTIVE).
DISABLEABLE = frozenset({"TIMER", "DDS", "DMS", "KAFKA", "LTS", "OPENSOURCEKAFKA", "RABBITMQ"})
TYPE_CODES = {"EG": "EVENTGRID"}
EVENT_TYPE_CODES = {"APIG": "APICreated", "DEDICATEDGATEWAY": "APICreated"}


# What ListFunctionTriggers documents returning in event_data, per type: only these fields are
# compared with the template; the rest is compared through a fingerprint deploy keeps itself
# (deploy.deploy, alias description). TIMER and API Gateway: the API reference's examples
# (support.huaweicloud.com/api-functiongraph/functiongraph_06_0119.html; TIMER: name, schedule,
# schedule_type, no user_event; DEDICATEDGATEWAY: no backend_type, no instance_id). Other types have no
# example: the fields of the SDK's TriggerEventDataResponseBody.
_APIG_ECHO = frozenset({"api_id", "api_name", "auth", "env_id", "env_name", "func_info", "group_id", "group_name",
                        "invoke_url", "match_mode", "name", "path", "protocol", "req_method", "triggerid", "type"})
ECHOED: dict[str, frozenset[str]] = {
    "TIMER": frozenset({"name", "schedule", "schedule_type"}),
    "APIG": _APIG_ECHO,
    "DEDICATEDGATEWAY": _APIG_ECHO,
}
ECHOED_NESTED = {"func_info": frozenset({"function_urn", "invocation_type", "timeout", "version"})}
_MODEL_ECHO = frozenset(TriggerEventDataResponseBody.attribute_map.values()) - SECRET_FIELDS
# UpdateTrigger's event_data (SDK UpdateriggerEventData, API reference functiongraph_06_0124): the only
# trigger fields FunctionGraph changes in place; anything else means delete and create.
UPDATABLE = frozenset(UpdateriggerEventData.attribute_map.values())
API_GATEWAY = frozenset({"APIG", "DEDICATEDGATEWAY"})


# Names API Gateway resolves from the ids sent with them: the answer carries the group's and the
# environment's own names, which need not be the template's, so the ids are what is compared.
_RESOLVED_NAMES = {"group_name": "group_id", "env_name": "env_id"}


def echoed(type_code: str, event_data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``event_data`` split into what ListFunctionTriggers documents returning and the rest."""
    fields = ECHOED.get(type_code, _MODEL_ECHO)
    if type_code in API_GATEWAY:
        fields = fields - {name for name, by in _RESOLVED_NAMES.items() if event_data.get(by)}
    shown: dict[str, Any] = {}
    hidden: dict[str, Any] = {}
    for key, value in event_data.items():
        if key in SECRET_FIELDS:
            continue
        if key not in fields:
            hidden[key] = value
        elif key in ECHOED_NESTED and type_code in ECHOED and isinstance(value, dict):
            inner = ECHOED_NESTED[key]
            shown[key] = {k: v for k, v in value.items() if k in inner}
            rest = {k: v for k, v in value.items() if k not in inner}
            if rest:
                hidden[key] = rest
        else:
            shown[key] = value
    return shown, hidden


class Unresolved(Exception):
    """A ``${NAME}`` whose variable is not set."""


@dataclass(frozen=True)
class DesiredTrigger:
    name: str
    type_code: str
    status: str
    event_data: dict[str, Any]
    event_type_code: str = "MessageCreated"
    unresolved: tuple[str, ...] = field(default=())  # placeholders left open (dry runs only)

    def key(self) -> tuple[str, str]:
        return identity(self.type_code, self.event_data)

    def fingerprint(self) -> str:
        """Short digest of what FunctionGraph does not document returning (TIMER payload, API
        Gateway backend type and instance ...), kept by deploy itself. Credentials stay out: a short
        digest would make guessing a weak one cheap (they are not compared, as before)."""
        hidden = echoed(self.type_code, self.event_data)[1]
        payload = json.dumps({"key": self.key(), "hidden": hidden}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:8]

    def body(self) -> dict[str, Any]:
        return {"trigger_type_code": self.type_code, "trigger_status": self.status,
                "event_type_code": self.event_type_code, "event_data": self.event_data}

    def masked(self) -> dict[str, Any]:
        data = {k: ("***" if k in SECRET_FIELDS else v) for k, v in self.event_data.items()}
        return {"type": self.type_code, "status": self.status, "event_data": data}


def _family(type_code: str) -> str:
    return "APIG" if type_code in ("APIG", "DEDICATEDGATEWAY") else type_code


def identity(type_code: str, event_data: Mapping[str, Any]) -> tuple[str, str]:
    """What makes two triggers 'the same trigger' across deploys."""
    family = _family(type_code)
    if family == "SMN":
        return family, str(event_data.get("topic_urn", ""))
    if family == "KAFKA":
        return family, f"{event_data.get('instance_id')}/{','.join(sorted(event_data.get('topic_ids') or []))}"
    if family == "DMS":
        return family, f"{event_data.get('queue_id')}/{event_data.get('consumer_group_id')}"
    if family == "EVENTGRID" and event_data.get("trigger_name"):
        return family, str(event_data["trigger_name"])
    if event_data.get("name"):
        return family, str(event_data["name"])
    rest = {k: v for k, v in event_data.items() if k not in SECRET_FIELDS}
    return family, json.dumps(rest, sort_keys=True, default=str)


def matches(desired: Any, current: Any) -> bool:
    """Everything the template sets has that value in FunctionGraph; fields FunctionGraph adds on
    its own (ids, URLs, timestamps) are ignored. Numbers and numeric strings compare equal."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return False
        return all(k in SECRET_FIELDS or matches(v, current.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(current, list) and len(desired) == len(current) and all(
            matches(d, c) for d, c in zip(sorted(desired, key=str), sorted(current, key=str), strict=True))
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired == current
    if isinstance(desired, (int, float)) and isinstance(current, (int, float, str)):
        return str(desired) == str(current)
    return desired == current


# --- substitution ------------------------------------------------------------------------------

def substitute(node: Any, env: Mapping[str, str], missing: list[str]) -> Any:
    """``node`` with ``${NAME}`` filled from ``env``; names without a value go to ``missing``.
    Dict entries whose value becomes empty are dropped (optional ids)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            new = substitute(value, env, missing)
            if not (isinstance(value, str) and PLACEHOLDER.search(value) and new == ""):
                out[key] = new
        return out
    if isinstance(node, list):
        return [substitute(v, env, missing) for v in node]
    if not isinstance(node, str):
        return node

    def one(match: Any) -> str:
        name, default = match.group(1), match.group(2)
        if env.get(name):
            return env[name]
        if default is not None:
            return default
        missing.append(name)
        return match.group(0)

    return PLACEHOLDER.sub(one, node)


# --- per type ------------------------------------------------------------------------------------

def _apig(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {
        "name": spec.get("name"),
        "path": spec["path"],
        "req_method": str(spec.get("method", "GET")).upper(),
        "match_mode": "SWA" if str(spec.get("match", "exact")).lower() == "prefix" else "NORMAL",
        "auth": str(spec.get("auth", "IAM")).upper(),
        "protocol": str(spec.get("protocol", "HTTPS")).upper(),
        "type": 2 if spec.get("visibility") == "private" else 1,
        "backend_type": "FUNCTION",
        "env_name": spec.get("env", "RELEASE"),
        "func_info": {"timeout": int(spec.get("timeout_ms", fn.timeout_s * 1000)), "invocation_type": "sync"},
    }
    for ours, theirs in (("group", "group_name"), ("group_id", "group_id"), ("env_id", "env_id"),
                         ("instance_id", "instance_id")):
        if spec.get(ours):
            data[theirs] = spec[ours]
    # APIG is the shared gateway; with an instance id left after substitution it is a dedicated one.
    return "APIG", data


def _dedicated(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    return "DEDICATEDGATEWAY", _apig(spec, fn)[1]


def _timer(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    payload = spec.get("payload", "")
    data = {
        "name": spec.get("name"),
        "schedule_type": "Rate" if "rate" in spec else "Cron",
        "schedule": spec.get("rate") or spec.get("cron"),
        "user_event": payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True),
    }
    return "TIMER", data


def _smn(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    return "SMN", {"topic_urn": spec["topic_urn"]}


def _eventgrid(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    data = {"trigger_name": spec.get("name")}
    for key in ("channel_id", "channel_name", "source_name", "event_types", "agency"):
        if key in spec:
            data[key] = spec[key]
    return "EVENTGRID", data


def _kafka(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {"instance_id": spec["instance_id"], "topic_ids": list(spec["topics"]),
                            "batch_size": int(spec.get("batch_size", 100))}
    if spec.get("user"):
        data["kafka_user"] = spec["user"]
    if spec.get("password_from"):
        data["kafka_password"] = "${" + str(spec["password_from"]) + "}"
    return "KAFKA", data


def _dms(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    data = {"queue_id": spec["queue_id"], "consumer_group_id": spec["consumer_group_id"]}
    for key in ("polling_interval", "batch_size"):
        if key in spec:
            data[key] = int(spec[key])
    return "DMS", data


def _cts(spec: Mapping[str, Any], fn: Function) -> tuple[str, dict[str, Any]]:
    return "CTS", {"name": spec.get("name"), "operations": list(spec["operations"])}


MAPPERS: dict[str, Callable[[Mapping[str, Any], Function], tuple[str, dict[str, Any]]]] = {
    "APIG": _apig, "DEDICATEDGATEWAY": _dedicated, "TIMER": _timer, "SMN": _smn, "EVENTGRID": _eventgrid,
    "KAFKA": _kafka, "DMS": _dms, "CTS": _cts,
}


def desired_trigger(trigger: Trigger, fn: Function, env: Mapping[str, str] | None = None,
                    allow_unresolved: bool = False) -> DesiredTrigger:
    env = os.environ if env is None else env
    kind = TYPE_CODES.get(trigger.type.upper(), trigger.type.upper())
    spec = {**trigger.spec, "name": trigger.name}
    mapper = MAPPERS.get(kind)
    type_code, data = mapper(spec, fn) if mapper else (kind, {})
    data = {k: v for k, v in {**data, **(trigger.spec.get("event_data") or {})}.items() if v is not None}
    missing: list[str] = []
    data = substitute(data, env, missing)
    if type_code == "APIG" and data.get("instance_id"):  # a dedicated gateway has its own trigger type
        type_code = "DEDICATEDGATEWAY"
    if type_code == "DEDICATEDGATEWAY" and not data.get("instance_id") and not missing:
        raise Unresolved(f"{fn.name}/{trigger.name}: a DEDICATEDGATEWAY trigger needs the gateway's instance id: "
                         "set APIG_INSTANCE_ID (instance_id in template.yaml); the shared gateway (APIG) is "
                         "closed to new accounts")
    if missing and not allow_unresolved:
        raise Unresolved(f"{fn.name}/{trigger.name}: set {', '.join(sorted(set(missing)))} in the environment")
    status = "ACTIVE" if trigger.spec.get("enabled", True) else "DISABLED"
    if status == "DISABLED" and type_code not in DISABLEABLE:
        raise ValueError(f"{fn.name}/{trigger.name}: FunctionGraph cannot disable a {type_code} trigger")
    return DesiredTrigger(trigger.name, type_code, status, data,
                          EVENT_TYPE_CODES.get(type_code, "MessageCreated"), tuple(sorted(set(missing))))
