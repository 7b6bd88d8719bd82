"""Reads ``template.yaml``: the functions, their settings and triggers, for every local tool."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


@dataclass(frozen=True)
class Trigger:
    type: str
    name: str
    spec: dict[str, Any]

    @property
    def events(self) -> list[str]:
        return list(self.spec.get("events", []))


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

    @property
    def handler_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code / f"{module.replace('.', '/')}.py"

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]

    def triggers_of(self, kind: str) -> list[Trigger]:
        return [t for t in self.triggers if t.type.upper() == kind.upper()]


@lru_cache(maxsize=4)
def load(path: Path = TEMPLATE) -> dict[str, Function]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    defaults = doc.get("defaults", {})
    functions: dict[str, Function] = {}
    for name, spec in (doc.get("functions") or {}).items():
        env = {str(k): str(v) for k, v in (defaults.get("environment") or {}).items()}
        env.update({str(k): str(v) for k, v in (spec.get("environment") or {}).items()})
        specs = spec.get("triggers") or []
        triggers = [Trigger(t["type"], t.get("name", f"{name}_{i}"), t) for i, t in enumerate(specs)]
        functions[name] = Function(
            name=name,
            code=ROOT / spec.get("code", f"functions/{name}"),
            handler=spec.get("handler", defaults.get("handler", "index.handler")),
            runtime=spec.get("runtime", defaults.get("runtime", "")),
            memory_mb=int(spec.get("memory_mb", defaults.get("memory_mb", 256))),
            timeout_s=int(spec.get("timeout_s", defaults.get("timeout_s", 30))),
            environment=env,
            triggers=triggers,
            description=spec.get("description", ""),
        )
    return functions


def function(name: str) -> Function:
    functions = load()
    if name not in functions:
        raise SystemExit(f"unknown function {name!r}; template.yaml declares: {', '.join(functions)}")
    return functions[name]
