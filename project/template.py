"""Reads ``template.yaml``: the functions, their settings and triggers, for every local tool and
for ``deploy/`` (packaging, validation, FunctionGraph deployment).

``template.schema.json`` describes the file; ``make validate`` checks it."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


# An API Gateway trigger is APIG on the shared gateway (closed to new accounts) or DEDICATEDGATEWAY
# on a dedicated instance: the local gateway, openapi.py and the tests treat both as "APIG".
TRIGGER_FAMILIES = {"APIG": {"APIG", "DEDICATEDGATEWAY"}}


@dataclass(frozen=True)
class Trigger:
    type: str
    name: str
    spec: dict[str, Any]

    @property
    def events(self) -> list[str]:
        return list(self.spec.get("events", []))


@dataclass(frozen=True)
class Secret:
    """A setting the function gets as an encrypted environment variable. Its value never lives in
    the template: deploy reads it from the deployer's environment variable ``source``."""

    name: str
    source: str
    required: bool = True


@dataclass(frozen=True)
class Function:
    name: str
    code: Path
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]
    triggers: list[Trigger] = field(default_factory=list)
    description: str = ""
    agency: str | None = None
    secrets: tuple[Secret, ...] = ()
    vpc: dict[str, Any] | None = None
    invoke_events: tuple[str, ...] = ()  # samples for direct invocations (no trigger)
    logs: dict[str, Any] | None = None  # LTS log delivery (enable_lts_log, log_config)
    async_invoke: dict[str, Any] | None = None  # retries and destinations of asynchronous invocations

    def __hash__(self) -> int:
        # Fields hold dicts and lists; a function is identified by its name and code folder
        # (``local.functions.load_handler`` caches handlers per function).
        return hash((self.name, str(self.code), self.handler))

    @property
    def handler_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code / f"{module.replace('.', '/')}.py"

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]

    def triggers_of(self, kind: str) -> list[Trigger]:
        """Triggers of one type; ``APIG`` means any API Gateway trigger (shared or dedicated)."""
        kinds = TRIGGER_FAMILIES.get(kind.upper(), {kind.upper()})
        return [t for t in self.triggers if t.type.upper() in kinds]

    @property
    def sample_events(self) -> list[str]:
        """Every sample event of the function: its triggers' and its direct-invocation ones."""
        return [e for t in self.triggers for e in t.events] + list(self.invoke_events)


@dataclass(frozen=True)
class Deployment:
    """Account-level settings of ``make deploy`` (the ``deployment`` section)."""

    project: str
    region: str
    app: str = "default"
    alias: str | None = "live"
    dependency: str | None = None
    prune_triggers: bool = True
    keep_versions: int = 5  # published versions no alias points to, kept for `make rollback`


@lru_cache(maxsize=4)
def document(path: Path = TEMPLATE) -> dict[str, Any]:
    """The parsed YAML as is (callers must not modify it)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else {}


def _secrets(entries: list[Any] | None) -> dict[str, Secret]:
    out: dict[str, Secret] = {}
    for entry in entries or []:
        if isinstance(entry, str):
            out[entry] = Secret(entry, entry, True)
        else:
            name = str(entry["name"])
            out[name] = Secret(name, str(entry.get("from", name)), bool(entry.get("required", True)))
    return out


@lru_cache(maxsize=4)
def load(path: Path = TEMPLATE) -> dict[str, Function]:
    doc = document(path)
    root = path.resolve().parent
    defaults = doc.get("defaults", {})
    functions: dict[str, Function] = {}
    for name, spec in (doc.get("functions") or {}).items():
        env = {str(k): str(v) for k, v in (defaults.get("environment") or {}).items()}
        env.update({str(k): str(v) for k, v in (spec.get("environment") or {}).items()})
        secrets = _secrets(defaults.get("secrets"))
        secrets.update(_secrets(spec.get("secrets")))
        specs = spec.get("triggers") or []
        triggers = [Trigger(t["type"], t.get("name", f"{name}_{i}"), t) for i, t in enumerate(specs)]
        functions[name] = Function(
            name=name,
            code=root / spec.get("code", f"functions/{name}"),
            handler=spec.get("handler", defaults.get("handler", "index.handler")),
            runtime=spec.get("runtime", defaults.get("runtime", "")),
            memory_mb=int(spec.get("memory_mb", defaults.get("memory_mb", 256))),
            timeout_s=int(spec.get("timeout_s", defaults.get("timeout_s", 30))),
            environment=env,
            triggers=triggers,
            description=spec.get("description", ""),
            agency=spec.get("agency", defaults.get("agency")) or None,
            secrets=tuple(secrets[k] for k in sorted(secrets)),
            vpc=spec.get("vpc", defaults.get("vpc")) or None,
            invoke_events=tuple(spec.get("invoke_events") or ()),
            logs=spec.get("logs", defaults.get("logs")) or None,
            async_invoke=spec.get("async_invoke") or None,
        )
    return functions


def deployment(path: Path = TEMPLATE) -> Deployment:
    doc = document(path)
    spec = doc.get("deployment") or {}
    project = str(doc.get("project", "functions"))
    return Deployment(
        project=project,
        region=str(spec.get("region", "")),
        app=str(spec.get("app", "default")),
        alias=spec.get("alias", "live") or None,
        dependency=spec.get("dependency", f"{project}-deps") or None,
        prune_triggers=bool(spec.get("prune_triggers", True)),
        keep_versions=int(spec.get("keep_versions", 5)),
    )


def parameters(path: Path = TEMPLATE) -> dict[str, str]:
    """``${NAME}`` -> what it is for (the ``parameters`` section)."""
    return {str(k): str(v) for k, v in (document(path).get("parameters") or {}).items()}


def function(name: str) -> Function:
    functions = load()
    if name not in functions:
        raise SystemExit(f"unknown function {name!r}; template.yaml declares: {', '.join(functions)}")
    return functions[name]
