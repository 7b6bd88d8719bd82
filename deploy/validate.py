"""``make validate``: template.yaml against template.schema.json, then everything it points to.

Schema errors come first (a file that breaks the schema is not checked further); then the
references: code folders, handler files and handler functions (found by parsing, not importing,
so a handler with heavy imports or side effects is still checked), event files (valid JSON),
secrets not also given as plain environment, unique trigger names, well-formed ``${NAME}``, and
FunctionGraph's limits the schema cannot express: a function's environment (plain and secret
variables together) at most 20 entries and 4096 characters, an API Gateway backend timeout at
least the function's, and no path twice in one API group."""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from project import template

ROOT = template.ROOT
SCHEMA = ROOT / "template.schema.json"
# ${NAME} or ${NAME:-default}: ids of existing cloud resources, filled in at deploy time.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_ANY_DOLLAR_BRACE = re.compile(r"\$\{[^}]*\}?")
# FunctionGraph's environment limits, per function, encrypted variables included.
MAX_ENV_ENTRIES = 20
MAX_ENV_CHARS = 4096
# deploy adds a digest of the secrets as one more plain variable (deploy.state.SECRETS_DIGEST_VAR)
_DIGEST_ENTRY = ("DEPLOY_SECRETS_DIGEST", "0" * 32)
API_GATEWAY_TYPES = ("APIG", "DEDICATEDGATEWAY")
# Trigger types FunctionGraph creates only on a function with VPC access (CreateFunctionTrigger:
# "DDS: Configure a VPC for the function first"; user guide "Using a Kafka Trigger", prerequisites:
# "You have enabled VPC access for the function"; FAQ: only in the same VPC subnet as the function).
_GUIDE = "support.huaweicloud.com/intl/en-us/usermanual-functiongraph/"
NEEDS_VPC = {"KAFKA": _GUIDE + "functiongraph_01_0214.html", "OPENSOURCEKAFKA": _GUIDE + "functiongraph_01_1838.html",
             "DDS": "support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0122.html"}
# Runtime names: the SDK's CreateFunctionRequestBody.runtime enum (huaweicloudsdkfunctiongraph 3.1.219,
# the newest on PyPI, names Python3.9 and Python3.10 but not 3.12) plus what the user guide lists
# ("Supported Runtimes": Python 2.7, 3.6, 3.9, 3.10, 3.12). docs/deploy.md explains the choice.
DOCUMENTED_RUNTIMES = {"Python3.12": _GUIDE + "functiongraph_01_0151.html"}


def sdk_runtimes() -> frozenset[str]:
    """The runtime names the SDK's CreateFunctionRequestBody documents (its docstring's list)."""
    from huaweicloudsdkfunctiongraph.v2 import CreateFunctionRequestBody

    text = CreateFunctionRequestBody.runtime.__doc__ or ""
    return frozenset(re.findall(r"(Python\d\.\d+|Java\d+|Go1\.(?:8|x)|Node\.js\d+\.\d+|PHP\d\.\d|Custom|http)(?=[:：])",
                                text))


def runtime_problems(where: str, runtime: str) -> list[str]:
    if runtime in sdk_runtimes() or runtime in DOCUMENTED_RUNTIMES:
        return []
    return [f"{where}: runtime {runtime!r} is neither in the FunctionGraph SDK's runtime list "
            f"({', '.join(sorted(r for r in sdk_runtimes() if r.startswith('Python')))}) nor in the user guide's"]


def placeholder_uses(fn: template.Function) -> list[tuple[str, str]]:
    """(NAME, where) for every ``${NAME}`` without a default that deploy fills from its environment."""
    parts: list[tuple[str, Any]] = [("vpc", fn.vpc), ("logs", fn.logs), ("async_invoke", fn.async_invoke)]
    parts += [(f"triggers/{t.name}", {k: v for k, v in t.spec.items() if k != "events"}) for t in fn.triggers]
    out = []
    for where, node in parts:
        for text in _strings(node or {}):
            for match in PLACEHOLDER.finditer(text):
                if match.group(2) is None:
                    out.append((match.group(1), f"{fn.name}/{where}"))
    for t in fn.triggers:
        if t.spec.get("password_from"):  # a credential from the deployer's environment (deploy.triggers._kafka)
            out.append((str(t.spec["password_from"]), f"{fn.name}/triggers/{t.name}"))
    return out


def prerequisite_problems(fn: template.Function) -> list[str]:
    """What FunctionGraph refuses only after earlier calls succeeded: checked before the first one."""
    return [f"functions/{fn.name}/triggers/{t.name}: a {t.type.upper()} trigger needs VPC access on the function "
            f"(declare vpc: {{vpc_id, subnet_id}} in the instance's subnet; {NEEDS_VPC[t.type.upper()]})"
            for t in fn.triggers if t.type.upper() in NEEDS_VPC and not fn.vpc]


def environment_problems(where: str, plain: dict[str, str], secrets: dict[str, str]) -> list[str]:
    """Counts as the strictest reading of "4096 characters": the JSON text of the variables (names,
    values and punctuation), plain and encrypted together. Names only in the message, never values."""
    entries = dict(plain)
    if secrets:
        entries.update(secrets)
        entries.setdefault(*_DIGEST_ENTRY)
    chars = len(json.dumps(dict(plain), separators=(",", ":")))
    if secrets:
        chars += len(json.dumps({**secrets, _DIGEST_ENTRY[0]: _DIGEST_ENTRY[1]}, separators=(",", ":")))
    out = []
    if len(entries) > MAX_ENV_ENTRIES:
        out.append(f"{where}: {len(entries)} environment variables (secrets included); FunctionGraph allows "
                   f"{MAX_ENV_ENTRIES}")
    if chars > MAX_ENV_CHARS:
        out.append(f"{where}: environment variables take {chars} characters; FunctionGraph allows {MAX_ENV_CHARS}")
    return out


def schema_errors(doc: Any, schema_path: Path = SCHEMA) -> list[str]:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(f"{where}: {err.message}")
    return out


def _defines(path: Path, name: str) -> bool:
    """True when the module at ``path`` binds ``name`` at top level (def, async def or assignment)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == name for a in node.names):
            return True
    return False


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _check_function(fn: template.Function, root: Path) -> list[str]:
    problems: list[str] = []
    where = f"functions/{fn.name}"
    if not fn.code.is_dir():
        return [f"{where}: code folder {fn.code.relative_to(root)} does not exist"]
    handler_file = fn.handler_file
    if not handler_file.is_file():
        problems.append(f"{where}: handler file {handler_file.relative_to(root)} does not exist")
    else:
        try:
            if not _defines(handler_file, fn.handler_name):
                problems.append(f"{where}: {handler_file.relative_to(root)} defines no {fn.handler_name!r}")
        except SyntaxError as exc:
            problems.append(f"{where}: {handler_file.relative_to(root)} does not parse: {exc.msg} (line {exc.lineno})")
    # Secret values are unknown here: counted empty (deploy counts them again with their values).
    problems.extend(environment_problems(where, fn.environment, {s.name: "" for s in fn.secrets}))
    clash = sorted({s.name for s in fn.secrets} & set(fn.environment))
    if clash:
        problems.append(f"{where}: {', '.join(clash)} listed as secret and as plain environment; keep it secret only")
    names = [t.name for t in fn.triggers]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{where}: trigger name {dup!r} is used twice")
    samples = [(f"{where}/triggers/{t.name}", e) for t in fn.triggers for e in t.events]
    samples += [(f"{where}/invoke_events", e) for e in fn.invoke_events]
    for tw, event in samples:
        path = root / event
        if not path.is_file():
            problems.append(f"{tw}: event file {event} does not exist")
            continue
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"{tw}: event file {event} is not JSON: {exc}")
    for trigger in fn.triggers:
        tw = f"{where}/triggers/{trigger.name}"
        for text in _strings({k: v for k, v in trigger.spec.items() if k != "events"}):
            for token in _ANY_DOLLAR_BRACE.findall(text):
                if not PLACEHOLDER.fullmatch(token):
                    problems.append(f"{tw}: malformed placeholder {token!r}; use ${{NAME}} or ${{NAME:-default}}")
        backend_ms = int(trigger.spec.get("timeout_ms", 5000))  # API Gateway's default backend timeout
        if trigger.type.upper() in API_GATEWAY_TYPES and backend_ms < fn.timeout_s * 1000:
            problems.append(f"{tw}: timeout_ms {trigger.spec.get('timeout_ms', 5000)} is below the function's "
                            f"timeout ({fn.timeout_s}s): API Gateway would give up first")
    return problems


def validate(path: Path = template.TEMPLATE, schema_path: Path = SCHEMA) -> list[str]:
    """Every problem found, as 'where: what' lines; empty when the template is deployable."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path.name}: cannot read: {exc}"]
    problems = schema_errors(doc, schema_path)
    if problems:
        return problems
    root = path.resolve().parent
    template.load.cache_clear()
    template.document.cache_clear()
    functions = template.load(path)
    if not (root / "shared" / "__init__.py").is_file():
        problems.append("shared/__init__.py does not exist: every function package needs the shared package")
    if template.deployment(path).dependency and not (root / "requirements.txt").is_file():
        problems.append("deployment.dependency is set but requirements.txt does not exist")
    described = template.parameters(path)
    for fn in functions.values():
        problems.extend(_check_function(fn, root))
        problems.extend(prerequisite_problems(fn))
        problems.extend(runtime_problems(f"functions/{fn.name}", fn.runtime))
        for name, where in placeholder_uses(fn):
            if name not in described:
                problems.append(f"{where}: ${{{name}}} is not described under parameters: (what it is for)")
    problems.extend(_route_clashes(functions))
    return problems


def _route_clashes(functions: dict[str, template.Function]) -> list[str]:
    """One path once per API group: two API Gateway triggers whose methods overlap (equal, or
    either ANY) on the same path of the same group would define it twice."""
    routes: list[tuple[str, str, str, str]] = []
    problems = []
    for fn in functions.values():
        for trigger in fn.triggers_of("APIG"):
            spec = trigger.spec
            group = str(spec.get("group_id") or spec.get("group") or "")
            method = str(spec.get("method", "GET")).upper()
            path = str(spec["path"]).rstrip("/") or "/"
            earlier = next((who for g, p, m, who in routes
                            if (g, p) == (group, path) and (m == method or "ANY" in (m, method))), None)
            if earlier:
                problems.append(f"functions/{fn.name}/triggers/{trigger.name}: {method} {path} is already defined "
                                f"in API group {group or '(unnamed)'} by {earlier}")
            routes.append((group, path, method, f"{fn.name}/{trigger.name}"))
    return problems

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", type=Path, default=template.TEMPLATE)
    args = parser.parse_args(argv)
    problems = validate(args.template)
    if problems:
        for line in problems:
            print(f"{args.template.name}: {line}", file=sys.stderr)
        print(f"{args.template.name}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    functions = template.load(args.template)
    triggers = sum(len(f.triggers) for f in functions.values())
    print(f"{args.template.name}: OK ({len(functions)} function(s), {triggers} trigger(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
