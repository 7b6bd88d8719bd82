"""``make deploy``: create or update every function of template.yaml in FunctionGraph, with its
code, dependency, settings, version alias and triggers. ``DRY_RUN=1`` prints the plan only.

Idempotent: every step reads what FunctionGraph holds first and changes only what differs, so a
second run with nothing changed makes no change at all.

* dependency: a version whose description carries the zip's sha256 is reused, else uploaded;
* code: unchanged when FunctionGraph's digest is the zip's SHA-512 or its code_filename carries the
  zip's sha256, and the attached dependency versions are the same;
* settings: runtime, handler, memory, timeout, agency, description and environment compared field by
  field; secrets through a digest (see ``deploy.state``), never by value;
* versions: each distinct state (code, dependencies, settings, secrets) is published once, with its
  fingerprint in the description; the alias is pointed at the version holding this state, reusing
  an older one if it matches (so re-deploying an older commit is an instant rollback);
* triggers (on the alias): matched by type and name (or topic, queue ...); compared only on the
  fields ListFunctionTriggers documents returning, the rest through a fingerprint kept in the alias
  description; a matching one is left alone, one whose status or UpdateTrigger fields changed is
  updated in place, any other change replaces it (an API Gateway one only after a warning and with
  REPLACE_APIS=1), a missing one is created, and one the template no longer declares deleted
  (``deployment.prune_triggers``).

Before the first call: prerequisites FunctionGraph would refuse late (a KAFKA trigger without VPC
access) and every missing setting, all at once, with what each is for.

``rollback FUNCTION [--to VERSION]`` points the alias at the previous (or given) version;
``versions FUNCTION`` lists them."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from huaweicloudsdkcore.exceptions.exceptions import SdkException

from deploy import triggers as trig
from deploy.fg import Account, DeployError, FunctionGraph
from deploy.package import DIRECT_UPLOAD_LIMITS, DIST, over_limit_advice
from deploy.state import (
    VERSION_FIELDS,
    Artifact,
    DesiredFunction,
    Manifest,
    config_changes,
    desired_function,
    missing_settings,
)
from deploy.validate import PLACEHOLDER, prerequisite_problems
from project import template

T = TypeVar("T")
OFFLINE_PROJECT = "offline"  # never printed: a dry run without credentials says so instead
FUNCTION_TYPE = "v2"
MAX_VERSIONS = 20  # per function, latest included (user guide, "Versions")
# The names deploy gives the versions it publishes: v<UTC time>[-NN], so name order is publish order.
OUR_VERSION = re.compile(r"v\d{8}-\d{6}(-\d{2})?")


@dataclass
class Change:
    action: str
    target: str
    details: str = ""


@dataclass
class Runner:
    """Runs (or, dry, only records) each change; reads always run when there is an account."""

    fg: FunctionGraph | None
    dry_run: bool
    say: Callable[[str], None] = print
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    changes: list[Change] = field(default_factory=list)

    @property
    def api(self) -> FunctionGraph:
        """The account, for calls that change it (only made when not dry, so never without one)."""
        if self.fg is None:
            raise DeployError("no FunctionGraph account to change")
        return self.fg

    @property
    def ref(self) -> str:
        return _git_ref(self.env)

    def tell(self, line: str) -> None:
        """A line of the plan; a dry run shows an unset ``${NAME}`` as ``<NAME unset>``."""
        self.say(PLACEHOLDER.sub(lambda m: f"<{m.group(1)} unset>", line) if self.dry_run else line)

    def change(self, action: str, target: str, details: str, call: Callable[[], T], placeholder: T) -> T:
        self.changes.append(Change(action, target, details))
        self.tell(f"  {'plan' if self.dry_run else 'call'} {action} {target}" + (f"  {details}" if details else ""))
        if self.dry_run:
            return placeholder
        return call()

    def note(self, text: str) -> None:
        self.tell(f"  ok   {text}")


def _show(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)


def _git_ref(env: dict[str, str]) -> str:
    """What is being deployed, for version descriptions: DEPLOY_REF or the git commit."""
    if env.get("DEPLOY_REF"):
        return env["DEPLOY_REF"]
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                             cwd=template.ROOT, check=False, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


# --- dependency ------------------------------------------------------------------------------------

def ensure_dependency(run: Runner, artifact: Artifact, runtime: str) -> str:
    """The id of a FunctionGraph dependency version holding exactly this zip."""
    tag = f"sha256:{artifact.sha256}"
    if run.fg is not None:
        dependency = run.fg.find_dependency(artifact.name)
        if dependency is not None:
            for version in run.fg.list_dependency_versions(str(dependency["id"])):
                if tag in str(version.get("description") or ""):
                    run.note(f"dependency {artifact.name} version {version.get('version')} holds {artifact.describe()}")
                    return str(version["id"])
    if artifact.size > DIRECT_UPLOAD_LIMITS["dependency"]:
        raise DeployError(f"{artifact.path} is over FunctionGraph's {DIRECT_UPLOAD_LIMITS['dependency'] // 1_000_000} "
                          f"MB limit for a direct upload: {over_limit_advice('dependency')}")

    def upload() -> str:
        created = run.api.create_dependency_version(artifact.name, runtime, artifact.read(), tag)
        return str(created["id"])

    return run.change("CreateDependencyVersion", artifact.name, artifact.describe(), upload,
                      f"<new version of {artifact.name}>")


# --- function code and settings ------------------------------------------------------------------------

def _masked_create(want: DesiredFunction, app: str, deps: list[str]) -> str:
    config = want.config()
    shown = {**config, "user_data": json.loads(config["user_data"]), "package": app, "depend_version_list": deps,
             "code": want.code.describe()}
    if want.secrets:
        shown["encrypted_user_data"] = {name: "***" for name in sorted(want.secrets)}
    return _show(shown)


def ensure_function(run: Runner, want: DesiredFunction, account: Account, app: str, deps: list[str]) -> bool:
    """Creates the function or brings code and settings in line; True when it exists afterwards
    (in a dry run: when it existed before)."""
    urn = account.function_urn(app, want.name, "latest")
    current = run.fg.show_function(urn) if run.fg is not None else None
    if current is None:
        # type v2: v1 is deprecated, and CreateFunction still defaults to it.
        fields = {**want.config(), "type": FUNCTION_TYPE, "package": app, "code_filename": want.code_filename,
                  "depend_version_list": deps, "encrypted_user_data": want.encrypted_user_data()}
        run.change("CreateFunction", want.name, _masked_create(want, app, deps),
                   lambda: run.api.create_function(fields, want.code.read()), None)
        return not run.dry_run

    have_deps = sorted(str(d) for d in current.get("depend_version_list") or [])
    same_code = want.code.sha512 == current.get("digest") or current.get("code_filename") == want.code_filename
    if not same_code or have_deps != sorted(deps):
        why = "code " + want.code.describe() if not same_code else f"dependencies {have_deps} -> {sorted(deps)}"
        run.change("UpdateFunctionCode", want.name, why,
                   lambda: run.api.update_code(urn, want.code.read(), want.code_filename, deps), None)
    else:
        run.note(f"{want.name} code {want.code.describe()}")

    changed = config_changes(want.config(), current)
    if changed:
        # No secrets any more but some deployed: send an empty set so the old ones are dropped.
        encrypted = want.encrypted_user_data() or ("{}" if current.get("encrypted_user_data") else None)
        fields = {**want.config(), "encrypted_user_data": encrypted}
        shown = {k: f"{v[0]} -> {v[1]}" if k != "user_data" else v[1] for k, v in changed.items()}
        run.change("UpdateFunctionConfig", want.name, _show(shown),
                   lambda: run.api.update_config(urn, fields), None)
    else:
        run.note(f"{want.name} settings")
    return True


# --- versions and alias -----------------------------------------------------------------------------------

def _holds(version: dict[str, Any], want: DesiredFunction, fingerprint: str) -> bool:
    """Does this published version hold the wanted state? By the fingerprint deploy wrote into its
    description, or, where FunctionGraph lists no description, by its snapshot of code and settings."""
    description = str(version.get("version_description") or version.get("description") or "")
    if "fp:" in description:
        return f"fp:{fingerprint}" in description
    config = {k: v for k, v in want.config().items() if k in VERSION_FIELDS}
    if want.vpc and str(version.get("func_vpc_id") or "") != str(want.vpc.get("vpc_id")):
        return False
    return version.get("code_filename") == want.code_filename and not config_changes(config, version)


def _ours(version: dict[str, Any]) -> bool:
    description = str(version.get("version_description") or version.get("description") or "")
    return "fp:" in description or bool(OUR_VERSION.fullmatch(str(version.get("version"))))


def _aliased(aliases: list[dict[str, Any]]) -> set[str]:
    """Versions an alias points at, its weighted (canary) versions included."""
    out = {str(a.get("version")) for a in aliases}
    for a in aliases:
        out.update(str(v) for v in (a.get("additional_version_weights") or {}))
    return out


def _next_version_name(base: str, existing: list[str]) -> str:
    """``base`` or ``base-NN`` after every name of that second: two-digit suffixes keep name order =
    publish order within one second, and a name freed by pruning is never reused (it would sort
    before versions published after it)."""
    used = [1 if n == base else int(n[len(base) + 1:]) for n in existing
            if n == base or (n.startswith(base + "-") and n[len(base) + 1:].isdigit())]
    nxt = max(used, default=0) + 1
    if nxt > 99:
        raise DeployError(f"over 99 versions published within one second ({base}); wait a second and retry")
    return base if nxt == 1 else f"{base}-{nxt:02d}"


def prune_versions(run: Runner, name: str, urn: str, versions: list[dict[str, Any]],
                   aliases: list[dict[str, Any]], keep: int, room: int = 0) -> list[dict[str, Any]]:
    """Deletes versions deploy published that no alias points to, oldest first, keeping the ``keep``
    newest of them, and more if ``room`` new ones must fit under the cap. Returns what remains."""
    published = sorted((v for v in versions if str(v.get("version")).lower() != "latest"),
                       key=lambda v: str(v.get("version")))
    spare = MAX_VERSIONS - 1 - len(published) - room  # latest counts against the cap
    pinned = _aliased(aliases)
    candidates = [v for v in published if _ours(v) and str(v.get("version")) not in pinned]
    excess = max(len(candidates) - keep, -spare if spare < 0 else 0)
    doomed = candidates[:excess] if excess > 0 else []
    if spare + len(doomed) < 0:
        raise DeployError(f"{name} holds {len(published)} versions (FunctionGraph allows {MAX_VERSIONS - 1} besides "
                          "latest) and not enough of them are deploy's own unaliased ones to make room; lower "
                          "deployment.keep_versions or delete versions by hand")
    for version in doomed:
        label = str(version["version"])
        run.change("DeleteFunctionVersion", name, f"{label} (no alias points to it; keep_versions={keep})",
                   lambda v=label: run.api.delete_version(urn, v), None)
    gone = {str(v["version"]) for v in doomed}
    return [v for v in versions if str(v.get("version")) not in gone]


@dataclass(frozen=True)
class AliasState:
    """Where the alias points after ``ensure_alias``, and the trigger fingerprints its description
    kept before this deploy (None: none kept yet)."""

    version: str
    moved: bool
    kept: frozenset[str] | None
    written: frozenset[str] | None  # what the description holds now


TRIGGER_TAG = re.compile(r"\btrg:([0-9a-f,]*)")


def kept_fingerprints(description: str | None) -> frozenset[str] | None:
    """Trigger fingerprints deploy wrote into the alias description (ListVersionAliases documents
    ``description``, ListFunctionTriggers does not document every field deploy sets)."""
    found = TRIGGER_TAG.search(description or "")
    return None if found is None else frozenset(x for x in found.group(1).split(",") if x)


def alias_description(ref: str, fingerprints: frozenset[str] | None) -> str:
    tail = f" trg:{','.join(sorted(fingerprints))}" if fingerprints is not None else ""
    return f"managed by make deploy ({ref[:40]}){tail}"


def ensure_alias(run: Runner, want: DesiredFunction, account: Account, settings: template.Deployment,
                 deps: list[str], exists: bool, fingerprints: frozenset[str]) -> AliasState:
    """Points the alias at a version holding exactly this state, publishing one when none does
    (after making room under the version cap), then prunes versions nothing needs any more.
    ``fingerprints``: the triggers' fingerprints, written when the alias is created (no triggers
    hang on a new alias, so they are all created from the template)."""
    app, alias = settings.app, settings.alias or ""
    urn = account.function_urn(app, want.name, "latest")
    fingerprint = want.fingerprint(deps)
    versions = run.fg.list_versions(urn) if exists and run.fg is not None else []
    aliases = run.fg.list_aliases(urn) if exists and run.fg is not None else []
    held = [v for v in versions if str(v.get("version")).lower() != "latest" and _holds(v, want, fingerprint)]
    if held:
        version = str(held[-1]["version"])
        run.note(f"{want.name} version {version} holds this state (fp:{fingerprint})")
    else:
        versions = prune_versions(run, want.name, urn, versions, aliases, settings.keep_versions, room=1)
        base = "v" + datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        name = _next_version_name(base, [str(v.get("version")) for v in versions])
        description = f"{run.ref} code:{want.code.sha256[:12]} fp:{fingerprint}"
        version = run.change("CreateFunctionVersion", want.name, f"{name} ({description})",
                             lambda: str(run.api.publish_version(urn, name, description).get("version", name)),
                             name)
        versions = [*versions, {"version": version, "version_description": description}]
    current = next((a for a in aliases if a.get("name") == alias), None)
    kept = kept_fingerprints(current.get("description")) if current else None
    moved = current is None or str(current.get("version")) != version
    # A new alias has no triggers yet (all are created from the template), and with none kept yet
    # the triggers are taken as they are (adopted): either way their fingerprints go in now.
    written = kept if kept is not None else fingerprints
    if current is None:
        kept = fingerprints
        run.change("CreateVersionAlias", want.name, f"{alias} -> {version}",
                   lambda: run.api.create_alias(urn, alias, version, alias_description(run.ref, written)), None)
    elif moved:
        run.change("UpdateVersionAlias", want.name, f"{alias}: {current.get('version')} -> {version}",
                   lambda: run.api.update_alias(urn, alias, version, alias_description(run.ref, written)), None)
    else:
        written = kept
        run.note(f"{want.name} alias {alias} -> {version}")
    others = [a for a in aliases if a.get("name") != alias]
    prune_versions(run, want.name, urn, versions, [*others, {"name": alias, "version": version}],
                   settings.keep_versions)
    return AliasState(version, moved, kept, written)


def keep_fingerprints(run: Runner, want: DesiredFunction, account: Account, settings: template.Deployment,
                      state: AliasState, fingerprints: frozenset[str]) -> None:
    """After the triggers match the template: their fingerprints into the alias description."""
    if state.written == fingerprints:
        return
    urn = account.function_urn(settings.app, want.name, "latest")
    alias = settings.alias or ""
    run.change("UpdateVersionAlias", want.name, f"{alias}: trigger fingerprints {','.join(sorted(fingerprints))}",
               lambda: run.api.update_alias(urn, alias, state.version, alias_description(run.ref, fingerprints)),
               None)


# --- asynchronous invocation -------------------------------------------------------------------------

def ensure_async_config(run: Runner, want: DesiredFunction, urn: str, exists: bool, moved: bool) -> None:
    """Retries and on-success/on-failure destinations of asynchronous invocations (timers, SMN,
    EventGrid ... invoke asynchronously), set on what the triggers call. Whether FunctionGraph keeps
    them per alias or per version behind it is not documented: they are read back through the
    alias after it moved, so either way a version without them gets them."""
    desired = want.async_config
    if desired is None:
        return
    # A dry run cannot read the settings of a version it only planned to publish or point at.
    readable = exists and run.fg is not None and not (run.dry_run and moved)
    current = run.fg.show_async_config(urn) if readable and run.fg is not None else None
    if current is not None and trig.matches(desired, current):
        run.note(f"{want.name} async invocation settings")
        return
    run.change("UpdateFunctionAsyncInvokeConfig", want.name, _show(desired),
               lambda: run.api.put_async_config(urn, desired), None)


# --- triggers ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TriggerStep:
    action: str  # create | update | replace | delete | keep | same
    want: trig.DesiredTrigger | None
    have: dict[str, Any] | None
    why: str = ""

    @property
    def replaces_api(self) -> bool:
        return self.action == "replace" and self.want is not None and self.want.type_code in trig.API_GATEWAY


def _difference(want: trig.DesiredTrigger, have: dict[str, Any], kept: frozenset[str] | None) -> tuple[str, str]:
    """('same' | 'update' | 'replace', why) for a trigger FunctionGraph already has. Only the
    fields ListFunctionTriggers documents are compared; the rest through the fingerprint the alias
    keeps (none kept yet: assumed unchanged, and recorded)."""
    code = str(have.get("trigger_type_code"))
    shown, _hidden = trig.echoed(want.type_code, want.event_data)
    current = have.get("event_data") or {}
    changed = sorted(k for k, v in shown.items() if not trig.matches(v, current.get(k)))
    if code != want.type_code:
        return "replace", f"type {code} -> {want.type_code}"
    if kept is not None and want.fingerprint() not in kept:
        return "replace", "fields FunctionGraph does not return changed (" + ", ".join(
            sorted(trig.echoed(want.type_code, want.event_data)[1]) or ["-"]) + ")"
    if changed and set(changed) <= trig.UPDATABLE:
        return "update", "event_data " + ", ".join(changed)
    if changed:
        return "replace", "changed: " + ", ".join(changed)
    if str(have.get("trigger_status")).upper() != want.status:
        return "update", f"status {have.get('trigger_status')} -> {want.status}"
    return "same", ""


def plan_triggers(run: Runner, desired: list[trig.DesiredTrigger], urn: str, exists: bool, prune: bool,
                  kept: frozenset[str] | None) -> list[TriggerStep]:
    """What ``ensure_triggers`` would do, from reads only."""
    current = run.fg.list_triggers(urn) if exists and run.fg is not None else []
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for t in current:
        by_key.setdefault(trig.identity(str(t.get("trigger_type_code")), t.get("event_data") or {}), t)
    steps = []
    for want in desired:
        have = by_key.pop(want.key(), None)
        if have is None:
            steps.append(TriggerStep("create", want, None))
            continue
        action, why = _difference(want, have, kept)
        steps.append(TriggerStep(action, want, have, why))
    steps.extend(TriggerStep("delete" if prune else "keep", None, have) for have in by_key.values())
    return steps


def _replacement_warning(step: TriggerStep) -> str:
    have = step.have or {}
    data = have.get("event_data") or {}
    return (f"REPLACES API {data.get('api_name') or data.get('name')} ({data.get('api_id', '?')}): FunctionGraph "
            f"cannot update an API Gateway trigger in place, so the API is deleted and created again with a new "
            f"id; {data.get('path', 'its path')} answers 404 in between ({step.why})")


def _announce_replacements(run: Runner, wanted: list[DesiredFunction],
                           triggers: dict[str, list[trig.DesiredTrigger]], account: Account,
                           settings: template.Deployment) -> None:
    """Reads every function's triggers before the first change: an API Gateway trigger that can
    only be replaced (deleting its API) is announced in the plan, and a real deploy goes ahead only
    with REPLACE_APIS=1."""
    if run.fg is None:
        return
    replaced = []
    for want in wanted:
        if not any(t.type_code in trig.API_GATEWAY for t in triggers[want.name]):
            continue
        latest = account.function_urn(settings.app, want.name, "latest")
        if run.fg.show_function(latest) is None:
            continue
        kept = None
        if settings.alias:
            alias = next((a for a in run.fg.list_aliases(latest) if a.get("name") == settings.alias), None)
            kept = kept_fingerprints(alias.get("description")) if alias else None
        target = account.target_urn(settings.app, want.name, settings.alias)
        steps = plan_triggers(run, triggers[want.name], target, True, settings.prune_triggers, kept)
        replaced += [f"{want.name}/{s.want.name}: {_replacement_warning(s)}" for s in steps if s.replaces_api]
    for line in replaced:
        run.tell(f"  WARN {line}")
    if replaced and not run.dry_run and run.env.get("REPLACE_APIS") != "1":
        raise DeployError(f"{len(replaced)} API Gateway trigger(s) can only be replaced, which deletes their APIs "
                          "(see above); nothing was changed. Run again with REPLACE_APIS=1 to go ahead.")


def ensure_triggers(run: Runner, fn: template.Function, urn: str, steps: list[TriggerStep]) -> None:
    target = f"{fn.name} on {urn.rsplit(':', 1)[-1].lstrip('!')}"
    for step in steps:
        want, have = step.want, step.have or {}
        tid, code = str(have.get("trigger_id")), str(have.get("trigger_type_code"))
        if want is None:
            kind, name = trig.identity(code, have.get("event_data") or {})
            if step.action == "delete":
                run.change("DeleteFunctionTrigger", f"{target}: {code} {name}", "no longer in template.yaml",
                           lambda t=tid, c=code: run.api.delete_trigger(urn, c, t), None)
            else:
                run.say(f"  keep {kind} {name}: not in template.yaml (prune_triggers is false)")
            continue
        if want.unresolved:
            run.say(f"  note {fn.name}/{want.name}: {', '.join(want.unresolved)} not set; a real deploy needs it")
        label = f"{target}: {want.type_code} {want.name}"
        if step.action == "same":
            run.note(f"trigger {want.type_code} {want.name}")
        elif step.action == "create":
            run.change("CreateFunctionTrigger", label, _show(want.masked()),
                       lambda w=want: run.api.create_trigger(urn, w.body()), None)
        elif step.action == "update":
            current = have.get("event_data") or {}
            fields = {k: v for k, v in want.event_data.items()
                      if k in trig.UPDATABLE and not trig.matches(v, current.get(k))}
            run.change("UpdateTrigger", label, step.why,
                       lambda t=tid, w=want, f=fields: run.api.update_trigger(urn, w.type_code, t, w.status, f), None)
        else:
            why = _replacement_warning(step) if step.replaces_api else f"replaced: {step.why}"
            run.change("DeleteFunctionTrigger", label, why,
                       lambda t=tid, c=code: run.api.delete_trigger(urn, c, t), None)
            run.change("CreateFunctionTrigger", label, _show(want.masked()),
                       lambda w=want: run.api.create_trigger(urn, w.body()), None)


# --- the whole deploy --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    dist: Path = DIST
    template_path: Path = template.TEMPLATE
    only: tuple[str, ...] = ()
    dry_run: bool = False


def _connect(settings: template.Deployment, dry_run: bool, env: dict[str, str]) -> FunctionGraph | None:
    region = env.get("FG_REGION") or settings.region
    try:
        return FunctionGraph.connect(region, env.get("FG_ENDPOINT") or None, env)
    except DeployError:
        if not dry_run:
            raise
        return None


def deploy(options: Options, fg: FunctionGraph | None = None, env: dict[str, str] | None = None,
           say: Callable[[str], None] = print) -> list[Change]:
    env = dict(os.environ) if env is None else env
    template.load.cache_clear()
    template.document.cache_clear()
    settings = template.deployment(options.template_path)
    functions = template.load(options.template_path)
    unknown = [n for n in options.only if n not in functions]
    if unknown:
        raise DeployError(f"not in template.yaml: {', '.join(unknown)}")
    manifest = Manifest.load(options.dist)
    forbidden = {"access key": env.get("HUAWEICLOUD_SDK_AK", ""), "secret key": env.get("HUAWEICLOUD_SDK_SK", "")}
    # Everything is resolved before the first call, so a missing prerequisite, secret or id stops
    # the deploy before it has changed anything, all of them named at once.
    chosen = [functions[n] for n in (options.only or sorted(functions))]
    refused = [p for fn in chosen for p in prerequisite_problems(fn)]
    if refused:
        raise DeployError("FunctionGraph would refuse this after earlier changes; nothing was changed:\n  "
                          + "\n  ".join(refused))
    missing = missing_settings(chosen, env, template.parameters(options.template_path),
                               credentials=not (options.dry_run or fg is not None))
    if missing and not options.dry_run:
        raise DeployError(f"{len(missing)} setting(s) missing from the environment; nothing was changed:\n  "
                          + "\n  ".join(missing))
    wanted = [desired_function(fn, manifest, env, forbidden, options.dry_run) for fn in chosen]
    triggers = {fn.name: [trig.desired_trigger(t, fn, env, allow_unresolved=options.dry_run) for t in fn.triggers]
                for fn in chosen}

    fg = fg or _connect(settings, options.dry_run, env)
    account = fg.account if fg else Account(env.get("FG_REGION") or settings.region, OFFLINE_PROJECT)
    run = Runner(fg, options.dry_run, say, env)
    project = account.project_id if fg else "(unknown: no credentials)"
    say(f"deploy to {account.region}, project {project}, app {settings.app}, alias {settings.alias}"
        + (" (DRY_RUN: nothing is changed)" if options.dry_run else ""))
    if fg is None:
        say("  note no credentials: planning against an empty account")
        missing = missing_settings(chosen, env, template.parameters(options.template_path))
    if missing:
        say(f"  note {len(missing)} setting(s) missing; a real deploy stops before its first call until they are set:")
        for line in missing:
            say(f"    {line}")
    _announce_replacements(run, wanted, triggers, account, settings)

    dep_ids: dict[str, str] = {}
    for want in wanted:
        dep = want.dependency
        if dep and dep.name not in dep_ids:
            dep_ids[dep.name] = ensure_dependency(run, dep, manifest.runtimes[dep.name])
    for want in wanted:
        deps = [dep_ids[want.dependency.name]] if want.dependency else []
        exists = ensure_function(run, want, account, settings.app, deps)
        fingerprints = frozenset(t.fingerprint() for t in triggers[want.name])
        alias = (ensure_alias(run, want, account, settings, deps, exists, fingerprints) if settings.alias
                 else None)
        target = account.target_urn(settings.app, want.name, settings.alias)
        ensure_async_config(run, want, target, exists, alias.moved if alias else False)
        steps = plan_triggers(run, triggers[want.name], target, exists, settings.prune_triggers,
                              alias.kept if alias else None)
        ensure_triggers(run, want.fn, target, steps)
        if alias is not None:
            keep_fingerprints(run, want, account, settings, alias, fingerprints)
    n = len(run.changes)
    if options.dry_run:
        say(f"DRY_RUN: {n} change(s) planned, nothing changed")
    else:
        say(f"{n} change(s) applied" if n else "no changes: FunctionGraph already matches template.yaml")
    return run.changes


# --- rollback --------------------------------------------------------------------------------------

def _published(fg: FunctionGraph, urn: str) -> list[dict[str, Any]]:
    # deploy names versions v<UTC timestamp>, so name order is publish order
    return sorted((v for v in fg.list_versions(urn) if str(v.get("version")).lower() != "latest"),
                  key=lambda v: str(v.get("version")))


def rollback(fg: FunctionGraph, function: str, to: str | None = None, dry_run: bool = False,
             template_path: Path = template.TEMPLATE, say: Callable[[str], None] = print) -> list[Change]:
    settings = template.deployment(template_path)
    if not settings.alias:
        raise DeployError("deployment.alias is null: there is no alias to roll back; re-deploy an older commit")
    urn = fg.account.function_urn(settings.app, function, "latest")
    versions = [str(v["version"]) for v in _published(fg, urn)]
    alias = next((a for a in fg.list_aliases(urn) if a.get("name") == settings.alias), None)
    if alias is None:
        raise DeployError(f"{function} has no alias {settings.alias}: deploy it first")
    now = str(alias.get("version"))
    if to is None:
        older = [v for v in versions if v < now]
        if not older:
            raise DeployError(f"{function}: no version older than {now}; versions: {', '.join(versions) or 'none'}")
        to = older[-1]
    elif to not in versions:
        raise DeployError(f"{function} has no version {to}; versions: {', '.join(versions)}")
    run = Runner(fg, dry_run, say)
    if to == now:
        say(f"{function}: alias {settings.alias} already points at {to}")
        return []
    kept = kept_fingerprints(alias.get("description"))  # the triggers did not change: keep their fingerprints
    description = f"rollback from {now}" + (f" trg:{','.join(sorted(kept))}" if kept is not None else "")
    run.change("UpdateVersionAlias", function, f"{settings.alias}: {now} -> {to}",
               lambda: fg.update_alias(urn, settings.alias or "", to or "", description), None)
    return run.changes


def list_versions(fg: FunctionGraph, function: str, template_path: Path = template.TEMPLATE,
                  say: Callable[[str], None] = print) -> None:
    settings = template.deployment(template_path)
    urn = fg.account.function_urn(settings.app, function, "latest")
    aliases = {str(a.get("version")): str(a.get("name")) for a in fg.list_aliases(urn)}
    for v in _published(fg, urn):
        name = str(v.get("version"))
        mark = f"  <- {aliases[name]}" if name in aliases else ""
        say(f"{name}  {v.get('version_description') or v.get('description') or ''}{mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    apply = sub.add_parser("apply", help="create or update functions, code, settings and triggers")
    apply.add_argument("functions", nargs="*")
    apply.add_argument("--dist", type=Path, default=DIST)
    back = sub.add_parser("rollback", help="point the alias at the previous (or given) version")
    back.add_argument("function")
    back.add_argument("--to", help="a version name (see `versions`)")
    ls = sub.add_parser("versions", help="list published versions and where the alias points")
    ls.add_argument("function")
    for p in (apply, back):
        p.add_argument("--dry-run", action="store_true", default=os.environ.get("DRY_RUN", "") not in ("", "0"))
    args = parser.parse_args(argv)
    try:
        if args.command == "apply":
            deploy(Options(dist=args.dist, only=tuple(args.functions), dry_run=args.dry_run))
        else:
            settings = template.deployment()
            fg = FunctionGraph.connect(os.environ.get("FG_REGION") or settings.region,
                                       os.environ.get("FG_ENDPOINT") or None)
            if args.command == "rollback":
                rollback(fg, args.function, args.to, args.dry_run)
            else:
                list_versions(fg, args.function)
    except (trig.Unresolved, ValueError) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    except SdkException as exc:
        # The SDK's message names the API error; request bodies (code, secrets) are never printed.
        print(f"deploy: FunctionGraph refused: {getattr(exc, 'error_code', '')} {getattr(exc, 'error_msg', exc)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
