"""Template triggers -> FunctionGraph trigger bodies, identity and comparison."""
from __future__ import annotations

from pathlib import Path

import pytest

from deploy import triggers as trig
from project.template import Function, Trigger


def fn(*triggers: Trigger) -> Function:
    return Function("f", Path("functions/f"), "index.handler", "Python3.12", 256, 30, {}, list(triggers))


def make(spec: dict, env: dict | None = None, **kw: bool) -> trig.DesiredTrigger:
    trigger = Trigger(spec["type"], spec["name"], spec)
    return trig.desired_trigger(trigger, fn(trigger), env or {}, **kw)


def test_apig_on_shared_and_dedicated_gateways() -> None:
    spec = {"type": "APIG", "name": "api", "path": "/v3/tasks", "match": "prefix", "method": "any",
            "instance_id": "${APIG_INSTANCE_ID:-}", "group_id": "${G}"}
    shared = make(spec, {"G": "g1"})
    assert shared.type_code == "APIG" and "instance_id" not in shared.event_data
    assert shared.event_data["func_info"] == {"timeout": 30000, "invocation_type": "sync"}
    assert shared.event_type_code == "APICreated"
    dedicated = make(spec, {"G": "g1", "APIG_INSTANCE_ID": "inst-1"})
    assert dedicated.type_code == "DEDICATEDGATEWAY" and dedicated.event_data["instance_id"] == "inst-1"
    assert dedicated.key() == shared.key() == ("APIG", "api")


def test_unset_placeholder() -> None:
    spec = {"type": "SMN", "name": "topic", "topic_urn": "urn:smn:${REGION}:x"}
    with pytest.raises(trig.Unresolved, match="REGION"):
        make(spec)
    dry = make(spec, allow_unresolved=True)
    assert dry.unresolved == ("REGION",) and dry.event_data["topic_urn"] == "urn:smn:${REGION}:x"
    assert make(spec, {"REGION": "cn-north-4"}).event_data == {"topic_urn": "urn:smn:cn-north-4:x"}


def test_kafka_password_comes_from_the_environment_and_is_masked() -> None:
    spec = {"type": "KAFKA", "name": "k", "instance_id": "i", "topics": ["t2", "t1"], "user": "u",
            "password_from": "KAFKA_PW"}
    with pytest.raises(trig.Unresolved, match="KAFKA_PW"):
        make(spec)
    t = make(spec, {"KAFKA_PW": "hunter2"})
    assert t.body()["event_data"]["kafka_password"] == "hunter2"
    assert "hunter2" not in str(t.masked())
    assert t.key() == ("KAFKA", "i/t1,t2")
    # FunctionGraph does not return the password: still the same trigger.
    assert trig.matches(t.event_data, {**t.event_data, "kafka_password": None})


def test_timer_eventgrid_dms_cts_and_passthrough() -> None:
    cron = make({"type": "TIMER", "name": "tick", "cron": "0 */5 * * * *", "enabled": False})
    assert (cron.type_code, cron.status, cron.event_data["schedule_type"]) == ("TIMER", "DISABLED", "Cron")
    eg = make({"type": "EG", "name": "eg_sms", "source_name": "HC.SMS", "event_types": ["a"]})
    assert eg.type_code == "EVENTGRID" and eg.key() == ("EVENTGRID", "eg_sms")
    dms = make({"type": "DMS", "name": "q", "queue_id": "q1", "consumer_group_id": "g1", "batch_size": 10})
    assert dms.key() == ("DMS", "q1/g1") and dms.event_data["batch_size"] == 10
    cts = make({"type": "CTS", "name": "audit", "operations": ["SMS:task:deleteTask"]})
    assert cts.event_data == {"name": "audit", "operations": ["SMS:task:deleteTask"]}
    obs = make({"type": "OBS", "name": "bucket_events", "event_data": {"bucket": "b", "events": ["ObjectCreated"]}})
    assert obs.type_code == "OBS" and obs.event_data == {"bucket": "b", "events": ["ObjectCreated"]}


def test_event_data_overrides_friendly_keys() -> None:
    t = make({"type": "TIMER", "name": "tick", "rate": "5m", "event_data": {"schedule": "10m"}})
    assert t.event_data["schedule"] == "10m"


def test_apig_cannot_be_disabled() -> None:
    with pytest.raises(ValueError, match="cannot disable"):
        make({"type": "APIG", "name": "api", "path": "/x", "enabled": False})


def test_matches_ignores_what_functiongraph_adds() -> None:
    want = {"name": "api", "type": 1, "func_info": {"timeout": 30000}, "operations": ["b", "a"]}
    have = {"name": "api", "type": "1", "api_id": "x", "func_info": {"timeout": 30000, "function_urn": "u"},
            "operations": ["a", "b"]}
    assert trig.matches(want, have)
    assert not trig.matches(want, {**have, "func_info": {"timeout": 5000}})
    assert not trig.matches({"flag": True}, {"flag": "true"})
    assert not trig.matches(want, {**have, "operations": ["a"]})


def test_dedicated_gateway_refuses_without_an_instance_naming_the_setting() -> None:
    spec = {"type": "DEDICATEDGATEWAY", "name": "api", "path": "/v3/tasks", "group_id": "g1", "env_id": "e1",
            "instance_id": "${APIG_INSTANCE_ID}"}
    with pytest.raises(trig.Unresolved, match="APIG_INSTANCE_ID"):
        make(spec)
    with pytest.raises(trig.Unresolved, match="set APIG_INSTANCE_ID"):
        make({**spec, "instance_id": "${APIG_INSTANCE_ID:-}"})  # an empty default is no instance either
    t = make(spec, {"APIG_INSTANCE_ID": "inst-1"})
    assert (t.type_code, t.event_type_code, t.event_data["instance_id"]) == ("DEDICATEDGATEWAY", "APICreated", "inst-1")
    assert (t.event_data["group_id"], t.event_data["env_id"]) == ("g1", "e1")


def test_eventgrid_passes_agency_and_event_types() -> None:
    eg = make({"type": "EVENTGRID", "name": "eg", "source_name": "s", "channel_id": "c", "agency": "eg-agency",
               "event_types": ["sms.task.request"]})
    assert eg.event_data == {"trigger_name": "eg", "source_name": "s", "channel_id": "c", "agency": "eg-agency",
                             "event_types": ["sms.task.request"]}
