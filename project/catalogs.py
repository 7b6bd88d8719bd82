"""Translation catalogs of the pages and chat messages (shared/i18n/locale/).

``python -m project.catalogs`` compiles every ``messages.po`` into the ``messages.mo`` the
functions read (``make catalogs``; ``make test``/``package``/``run`` do it first);
``python -m project.catalogs extract`` refreshes the ``.po`` files from the sources (new msgids
appear with an empty translation, which a test refuses for zh-CN). Babel is a build and test
tool here: the functions read ``.mo`` files with the standard library's gettext."""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from project.template import ROOT

LOCALE_DIR = ROOT / "shared" / "i18n" / "locale"
SOURCES = ROOT / "shared"
# Python sources use _() / N_() / ngettext; the page templates use Jinja's i18n calls.
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "n_": (1, 2), "N_": None}


def po_files() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


def compile_catalog(po: Path) -> Path:
    mo = po.with_suffix(".mo")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name)
    tmp = mo.with_suffix(".mo.tmp")
    with tmp.open("wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    tmp.replace(mo)  # atomic: a concurrent reader sees the old or the new catalog, never half
    return mo


def compile_all(only_stale: bool = False) -> list[Path]:
    done = []
    for po in po_files():
        mo = po.with_suffix(".mo")
        if only_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        done.append(compile_catalog(po))
    return done


def extracted() -> dict[str, tuple[str, ...] | str]:
    """msgid (or plural pair) -> where it came from, for every message in the sources."""
    found: dict[str, tuple[str, ...] | str] = {}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        SOURCES, METHOD_MAP, keywords=KEYWORDS, options_map={"**/templates/**.html": {
            "extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trim_blocks": "true",
            "lstrip_blocks": "true"}},
    ):
        key = message[0] if isinstance(message, tuple) else message
        found[key] = message
    return found


def extract() -> None:
    messages = extracted()
    for po in po_files():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        for key, message in messages.items():
            if key not in catalog:
                catalog.add(message)
        for msg in list(catalog):
            if msg.id and (msg.id[0] if isinstance(msg.id, tuple) else msg.id) not in messages:
                catalog.delete(msg.id)
        with po.open("wb") as fh:
            write_po(fh, catalog, width=120, omit_header=False, sort_output=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["extract"]:
        extract()
        return 0
    for mo in compile_all(only_stale="--stale" in argv):
        print(f"compiled {mo.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
