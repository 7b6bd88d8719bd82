"""The layout the README describes holds: stages import only what the data flow allows, the
cross-cutting modules stay few and import no stage, deploy/ never imports local/, and each
handler imports exactly one function."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
STAGES = ("triggers", "read", "validation", "summary", "webhooks", "dashboard", "metrics")
# What each stage may import besides itself and the cross-cutting modules. Triggers call every
# later stage; the summary API reads tasks through the read path; nothing calls back into triggers.
ALLOWED = {
    "triggers": {"read", "validation", "summary", "webhooks", "dashboard", "metrics"},
    "read": {"validation"},
    "validation": set(),
    "summary": {"read", "validation"},
    "webhooks": set(),
    # pages beside the chat messages: the summary's data (their shared wording is in shared.i18n)
    "dashboard": {"read", "summary"},
    # gauges of the same summary, for Prometheus: its data only, no pages or chat
    "metrics": {"summary"},
}
TOP_LEVEL_MAX = 8
# settings.py types the webhook section and builds it on first use (never at import): one
# typed Settings for every setting, without the top level importing a stage when loaded. The
# summary section parses SUMMARY_GROUPS with the summary's own parser, also on first use.
LAZY_EXCEPTIONS = {("settings", "webhooks"), ("settings", "summary")}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def part_of(module: str) -> str | None:
    """``shared.read.pager`` -> read; ``shared.errors`` -> errors; other packages -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "shared" and len(parts) > 1 else None


def test_top_level_is_small_and_imports_no_stage() -> None:
    modules = sorted(p.stem for p in SHARED.glob("*.py") if p.stem != "__init__")
    assert len(modules) <= TOP_LEVEL_MAX, modules
    assert not [m for m in modules if m.endswith("_service")]
    for name in modules:
        for target in map(part_of, imports(SHARED / f"{name}.py")):
            if target in STAGES:
                assert (name, target) in LAZY_EXCEPTIONS, f"shared/{name}.py imports stage {target}"


@pytest.mark.parametrize("stage", STAGES)
def test_stages_import_only_what_the_flow_allows(stage: str) -> None:
    for path in (SHARED / stage).rglob("*.py"):
        assert not path.stem.endswith("_service"), path
        for target in map(part_of, imports(path)):
            if target in STAGES and target != stage:
                assert target in ALLOWED[stage], f"{path.relative_to(ROOT)} imports stage {target}"


def test_deploy_never_imports_local() -> None:
    for path in (ROOT / "deploy").rglob("*.py"):
        assert not [m for m in imports(path) if m == "local" or m.startswith("local.")], path


def test_each_handler_imports_exactly_one_function() -> None:
    handlers = sorted((ROOT / "functions").glob("*/index.py"))
    assert handlers
    for path in handlers:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        shared = [n for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("shared")]
        assert len(shared) == 1 and len(shared[0].names) == 1, path
