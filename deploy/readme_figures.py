"""``make readme-figures``: the package sizes README quotes, regenerated from ``make package``'s
``dist/manifest.json``.

README keeps them between ``<!-- figures:package -->`` and ``<!-- /figures:package -->``; this
rewrites that span (``--check`` only compares, exit 1 when README is stale). Sizes are rounded (code
zips to 10 KiB, the dependency to 0.1 MiB) so that ordinary code changes don't make README stale;
tests/deploy/test_package.py compares the span with a fresh build."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from deploy.package import DIRECT_UPLOAD_LIMITS, DIST
from project import template

README = template.ROOT / "README.md"
START, END = "<!-- figures:package -->", "<!-- /figures:package -->"


def figures(manifest: dict[str, Any]) -> str:
    """The README sentence for a manifest: code zip size per function, dependency zip size and share."""
    code = max(r["size"] for r in manifest["functions"].values())
    text = f"one ~{round(code / 1024 / 10) * 10} KiB code zip per function (handler + `shared/`)"
    for dep in manifest["dependencies"].values():
        share = 100 * dep["size"] / DIRECT_UPLOAD_LIMITS["dependency"]
        text += (f" and one {dep['size'] / 1024 / 1024:.1f} MiB dependency zip (only what runs; {share:.0f}% of "
                 f"the {DIRECT_UPLOAD_LIMITS['dependency'] // 1_000_000} MB direct-upload limit, printed per zip)")
    return text


def quoted(readme: str) -> str:
    """The span README holds now."""
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[start:end]


def rewrite(readme: str, text: str) -> str:
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[:start] + text + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=DIST, help="where make package wrote manifest.json")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when README is stale")
    args = parser.parse_args(argv)
    try:
        manifest = json.loads((args.dist / "manifest.json").read_text(encoding="utf-8"))
    except OSError:
        print(f"no {args.dist / 'manifest.json'}: run `make package` first", file=sys.stderr)
        return 2
    readme = README.read_text(encoding="utf-8")
    text = figures(manifest)
    if quoted(readme) == text:
        print("README's package figures are current")
        return 0
    if args.check:
        print(f"README's package figures are stale:\n  README: {quoted(readme)}\n  built:  {text}", file=sys.stderr)
        return 1
    README.write_text(rewrite(readme, text), encoding="utf-8")
    print(f"README updated: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
