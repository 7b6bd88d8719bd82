"""What FunctionGraph should hold for each function, from template.yaml and ``dist/manifest.json``:
settings, environment, secrets (values only in memory), code and dependency artifacts."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.fg import DeployError
from deploy.package import MANIFEST, human_size
from deploy.triggers import matches, substitute
from deploy.validate import environment_problems, placeholder_uses
from project.template import Function

# Plain environment variable holding a salted, slow hash of the function's secrets: FunctionGraph
# never returns encrypted values in a comparable form, so this is how a changed secret is noticed.
SECRETS_DIGEST_VAR = "DEPLOY_SECRETS_DIGEST"
_DIGEST_ROUNDS = 200_000  # PBKDF2: the digest must not make guessing a weak secret cheap


@dataclass(frozen=True)
class Artifact:
    name: str
    path: Path
    sha256: str
    sha512: str
    size: int

    def read(self) -> bytes:
        data = self.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise DeployError(f"{self.path} changed since `make package`; package again")
        return data

    def describe(self) -> str:
        return f"{self.path.name} {human_size(self.size)} sha256 {self.sha256[:12]}"


@dataclass(frozen=True)
class Manifest:
    functions: dict[str, Artifact]
    dependencies: dict[str, Artifact]
    function_dependency: dict[str, str | None]
    runtimes: dict[str, str]  # dependency -> runtime
    function_runtimes: dict[str, str]

    @classmethod
    def load(cls, dist: Path) -> Manifest:
        path = dist / MANIFEST
        if not path.is_file():
            raise DeployError(f"{path} does not exist: run `make package` first")
        raw = json.loads(path.read_text(encoding="utf-8"))

        def artifact(name: str, rec: dict[str, Any]) -> Artifact:
            return Artifact(name, dist / rec["zip"], rec["sha256"], rec["sha512"], int(rec["size"]))

        return cls(
            functions={n: artifact(n, r) for n, r in raw["functions"].items()},
            dependencies={n: artifact(n, r) for n, r in raw["dependencies"].items()},
            function_dependency={n: r.get("dependency") for n, r in raw["functions"].items()},
            runtimes={n: r["runtime"] for n, r in raw["dependencies"].items()},
            function_runtimes={n: r["runtime"] for n, r in raw["functions"].items()},
        )


# The deployer's own settings (deploy.fg.FunctionGraph.connect).
CREDENTIALS = {
    "HUAWEICLOUD_SDK_AK": "the deployer's access key, for the FunctionGraph calls",
    "HUAWEICLOUD_SDK_SK": "the deployer's secret key",
    "HUAWEICLOUD_SDK_PROJECT_ID": "the project id of the FunctionGraph region (part of every function URN)",
}


def missing_settings(functions: list[Function], env: Mapping[str, str], described: Mapping[str, str],
                     credentials: bool = True) -> list[str]:
    """Every setting a real deploy needs from its environment and does not have, one line each:
    name, what it is for (template.yaml ``parameters``), where it is used."""
    uses: dict[str, list[str]] = {}
    secrets: set[str] = set()
    for fn in functions:
        for name, where in placeholder_uses(fn):
            if not env.get(name):
                uses.setdefault(name, []).append(where)
        for secret in fn.secrets:
            if secret.required and not env.get(secret.source):
                uses.setdefault(secret.source, []).append(f"{fn.name}/secrets/{secret.name}")
                secrets.add(secret.source)
    lines = [f"{name}: {what}" for name, what in CREDENTIALS.items() if credentials and not env.get(name)]
    for name in sorted(uses):
        what = described.get(name) or ("a secret the function gets encrypted" if name in secrets else "(undescribed)")
        lines.append(f"{name}: {what} (used by {', '.join(sorted(set(uses[name])))})")
    return lines


def read_secrets(fn: Function, env: Mapping[str, str], forbidden: Mapping[str, str],
                 allow_missing: bool = False) -> dict[str, str]:
    """The function's secret values from the deployer's environment. ``forbidden`` maps names of
    the deployer's own credentials to their values: those must never be copied into a function."""
    values: dict[str, str] = {}
    missing = []
    for secret in fn.secrets:
        value = env.get(secret.source, "")
        if not value:
            if secret.required:
                missing.append(secret.source)
            continue
        for what, own in forbidden.items():
            if own and value == own:
                raise DeployError(f"{fn.name}: secret {secret.name} would carry the deployer's {what}; give the "
                                  "function an agency, or its own key through `from:`")
        values[secret.name] = value
    if missing and not allow_missing:
        raise DeployError(f"{fn.name}: set {', '.join(missing)} in the environment (secrets are never in the template)")
    return values


def secrets_digest(function: str, values: Mapping[str, str]) -> str:
    if not values:
        return ""
    payload = json.dumps(dict(sorted(values.items())), separators=(",", ":")).encode()
    salt = f"sms-tasks-secrets:{function}".encode()  # fixed per function, so equal secrets compare equal
    return hashlib.pbkdf2_hmac("sha256", payload, salt, _DIGEST_ROUNDS).hex()[:32]


@dataclass(frozen=True)
class DesiredFunction:
    fn: Function
    code: Artifact
    dependency: Artifact | None
    secrets: dict[str, str] = field(repr=False)
    environment: dict[str, str] = field(default_factory=dict)
    vpc: dict[str, Any] | None = None  # ${NAME} already filled in
    log_config: dict[str, str] | None = None  # LTS group/stream, ${NAME} filled in; None: FunctionGraph's own
    async_config: dict[str, Any] | None = None  # UpdateFunctionAsyncInvokeConfig body, ${NAME} filled in

    @property
    def name(self) -> str:
        return self.fn.name

    @property
    def code_filename(self) -> str:
        # A hash of code and dependency zips in the name: FunctionGraph returns code_filename for
        # the function and for each published version, so unchanged code is recognised even where
        # its digest is computed differently from ours.
        dep = self.dependency.sha256 if self.dependency else ""
        return f"{self.fn.name}-{hashlib.sha256((self.code.sha256 + dep).encode()).hexdigest()[:16]}.zip"

    def config(self) -> dict[str, Any]:
        """The settings UpdateFunctionConfig takes and ShowFunctionConfig returns, as deployed."""
        return {
            "func_name": self.fn.name,
            "runtime": self.fn.runtime,
            "handler": self.fn.handler,
            "memory_size": self.fn.memory_mb,
            "timeout": self.fn.timeout_s,
            "xrole": self.fn.agency or "",
            "description": self.fn.description,
            "user_data": json.dumps(self.environment, sort_keys=True, separators=(",", ":")),
            # Only when the template asks for one: a VPC set up outside the template is left alone.
            **({"func_vpc": self.vpc} if self.vpc else {}),
            **self._logs(),
        }

    def _logs(self) -> dict[str, Any]:
        if not (self.fn.logs or {}).get("lts", True):
            return {"enable_lts_log": False}
        # enable_lts_log without log_config: FunctionGraph creates a log group and stream itself
        # (CreateFunction reference); with one, the function logs to that group/stream.
        return {"enable_lts_log": True, **({"log_config": self.log_config} if self.log_config else {})}

    def encrypted_user_data(self) -> str | None:
        return json.dumps(self.secrets, sort_keys=True, separators=(",", ":")) if self.secrets else None

    def fingerprint(self, dependency_versions: list[str]) -> str:
        """Identifies what a published version holds: code, dependencies, settings, secrets."""
        payload = {"code": self.code.sha256, "dependencies": sorted(dependency_versions), "config": self.config()}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _filled(fn: Function, what: str, node: Any, env: Mapping[str, str], allow_unresolved: bool) -> Any:
    """``node`` with ``${NAME}`` from the deployer's environment; a real deploy stops on a missing one."""
    if not node:
        return None
    missing: list[str] = []
    out = substitute(node, env, missing)
    if missing and not allow_unresolved:
        raise DeployError(f"{fn.name}: {what} needs {', '.join(sorted(set(missing)))} in the environment")
    return out


# template key -> UpdateFunctionAsyncInvokeConfig field
ASYNC_FIELDS = {"retries": "max_async_retry_attempts", "max_event_age_s": "max_async_event_age_in_seconds"}


def async_config(fn: Function, env: Mapping[str, str], allow_unresolved: bool = False) -> dict[str, Any] | None:
    """The function's ``async_invoke`` as FunctionGraph's body: retries, event age and the
    on_success/on_failure destinations (``param`` is a JSON string, e.g. ``{"topic_urn": ...}``)."""
    spec = _filled(fn, "async_invoke", fn.async_invoke, env, allow_unresolved)
    if not spec:
        return None
    body: dict[str, Any] = {theirs: int(spec[ours]) for ours, theirs in ASYNC_FIELDS.items() if ours in spec}
    destinations = {}
    for when in ("on_success", "on_failure"):
        target = spec.get(when)
        if target:
            params = {k: v for k, v in target.items() if k != "destination"}
            destinations[when] = {"destination": target["destination"],
                                  "param": json.dumps(params, sort_keys=True, separators=(",", ":"))}
    if destinations:
        body["destination_config"] = destinations
    return body


def desired_function(fn: Function, manifest: Manifest, env: Mapping[str, str],
                     forbidden: Mapping[str, str], allow_unresolved: bool = False) -> DesiredFunction:
    if fn.name not in manifest.functions:
        raise DeployError(f"{fn.name} is not in dist/{MANIFEST}: run `make package`")
    if manifest.function_runtimes.get(fn.name) != fn.runtime:
        raise DeployError(f"{fn.name} was packaged for {manifest.function_runtimes.get(fn.name)}, template.yaml "
                          f"says {fn.runtime}: run `make package`")
    dep_name = manifest.function_dependency.get(fn.name)
    secrets = read_secrets(fn, env, forbidden, allow_unresolved)
    too_big = environment_problems(fn.name, dict(fn.environment), secrets)  # now with the secrets' lengths
    if too_big:
        raise DeployError("; ".join(too_big))
    environment = dict(fn.environment)
    digest = secrets_digest(fn.name, secrets)
    if digest:
        environment[SECRETS_DIGEST_VAR] = digest
    vpc = _filled(fn, "vpc", fn.vpc, env, allow_unresolved)
    logs = _filled(fn, "logs", {k: v for k, v in (fn.logs or {}).items() if k != "lts"}, env, allow_unresolved)
    return DesiredFunction(fn, manifest.functions[fn.name], manifest.dependencies.get(dep_name) if dep_name else None,
                           secrets, environment, vpc, {k: str(v) for k, v in logs.items() if v} if logs else None,
                           async_config(fn, env, allow_unresolved))


# What a published version's snapshot carries and a deploy sets (ListFunctionVersionResult documents
# no description; it documents these, code_filename and func_vpc_id).
VERSION_FIELDS = ("runtime", "handler", "memory_size", "timeout", "xrole", "user_data")


# Fields ShowFunctionConfig may leave out (the documented response does not promise them): compared
# only when FunctionGraph returns them, so a deploy stays idempotent under either reading.
ECHO_OPTIONAL = frozenset({"enable_lts_log"})
# ShowFunctionConfig documents the LTS group and stream as log_group_id/log_stream_id, never the
# log_config UpdateFunctionConfig takes (SDK ShowFunctionConfigResponse; API reference ShowFunctionConfig).
LOG_FIELDS = {"group_id": "log_group_id", "stream_id": "log_stream_id"}


def _log_changes(want: dict[str, Any], current: dict[str, Any]) -> dict[str, Any] | None:
    """The wanted group/stream ids against the ones ShowFunctionConfig documents (or a log_config
    it may also return); names are not compared (ids identify them)."""
    echoed = current.get("log_config") if isinstance(current.get("log_config"), dict) else {}
    have = {ours: current.get(theirs) or echoed.get(ours) for ours, theirs in LOG_FIELDS.items()}
    diff = {k: (have.get(k), v) for k, v in want.items() if k in LOG_FIELDS and str(have.get(k) or "") != str(v)}
    return diff or None


def config_changes(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose deployed value differs: name -> (current, desired). ``user_data`` compares as
    the environment it encodes, so key order or spacing never counts as a change."""
    out: dict[str, tuple[Any, Any]] = {}
    for key, want in desired.items():
        if key in ECHO_OPTIONAL and key not in current:
            continue
        have = current.get(key)
        if key == "log_config":
            diff = _log_changes(want, current)
            if diff:
                out[key] = ({k: v[0] for k, v in diff.items()}, {k: v[1] for k, v in diff.items()})
        elif key == "user_data":
            try:
                have_env = json.loads(have) if have else {}
            except ValueError:
                have_env = {"<unparsable>": str(have)}
            want_env = json.loads(want)
            if have_env != want_env:
                keys = sorted(k for k in set(have_env) | set(want_env) if have_env.get(k) != want_env.get(k))
                out[key] = ("", "changed: " + ", ".join(keys))
        elif isinstance(want, dict):
            if not matches(want, have):  # FunctionGraph adds names, cidr ... to func_vpc
                out[key] = (have, want)
        elif (have if have is not None else "") != want and str(have) != str(want):
            out[key] = (have, want)
    return out
