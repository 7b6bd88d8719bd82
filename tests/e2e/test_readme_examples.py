"""README cannot drift: every example in it is run against ``make run``'s stack and its output compared.

Generic, so a new example is checked without a new test:

* every ```` ```console ```` block is a list of ``$ <command>`` lines, each followed by the output it
  shows. ``curl`` commands run against the stack (``http://127.0.0.1:8080`` is replaced by its URL),
  ``make ...`` commands run in the repository; any other command fails the test until it is taught here.
* every ```` ```pycon ```` block is a doctest, run with ``ak``, ``sk`` and ``project_id`` defined and
  the stack's URL for ``http://127.0.0.1:8080``.

Comparison, after normalising what differs per run (ids, request ids, times, link tokens, ports):
an HTTP answer's status line is equal; each header shown is sent with that value, and without a
``...`` line no other header is sent (transport headers aside); a body is equal, where ``...``
stands for anything (a whole line, or part of one). JSON bodies are compared without whitespace, so
README may wrap and indent them anywhere. Output shown empty means nothing may be printed."""
from __future__ import annotations

import doctest
import json
import re
import subprocess
from dataclasses import dataclass

import pytest

from tests.e2e.conftest import ROOT, Stack, clean_env

pytestmark = pytest.mark.e2e
README = ROOT / "README.md"
README_BASE = "http://127.0.0.1:8080"
ELLIPSIS = "..."
TRANSPORT_HEADERS = {"server", "date", "content-length", "connection", "transfer-encoding", "keep-alive"}
_NORMALISE = [
    (re.compile(r"sdl1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "<token>"),
    (re.compile(r"\b[0-9a-fx]{8}-[0-9a-fx]{4}-[0-9a-fx]{4}-[0-9a-fx]{4}-[0-9a-fx]{12}\b"), "<id>"),
    (re.compile(r"\b(tick_)?[0-9a-f]{32}\b"), "<hex>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"), "<time>"),
    (re.compile(r"http://127\.0\.0\.1:\d+"), "<base>"),
    (re.compile(r'"elapsed_ms": ?[\d.]+'), '"elapsed_ms":<n>'),
]


def normalise(text: str) -> str:
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Example:
    line: int  # README line of the command
    command: str
    expected: list[str]

    def __str__(self) -> str:
        return f"README.md:{self.line}: $ {self.command}"


def fenced_blocks(text: str, language: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of every fenced block in ``language``."""
    blocks: list[tuple[int, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == f"```{language}":
            start, body = i + 2, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            blocks.append((start, body))
        i += 1
    return blocks


def console_examples(text: str) -> list[Example]:
    examples: list[Example] = []
    for start, body in fenced_blocks(text, "console"):
        current: tuple[int, str] | None = None
        expected: list[str] = []
        for offset, line in enumerate(body):
            if line.startswith("$ "):
                if current:
                    examples.append(Example(current[0], current[1], _trim(expected)))
                current, expected = (start + offset, line[2:]), []
            elif current:
                expected.append(line)
        if current:
            examples.append(Example(current[0], current[1], _trim(expected)))
    return examples


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _pattern(expected: str) -> re.Pattern[str]:
    """``...`` matches anything (shortest first); the rest literally."""
    parts = [re.escape(part) for part in expected.split(ELLIPSIS)]
    return re.compile(".*?".join(parts), re.S)


def compact_json(text: str) -> str:
    """JSON with no whitespace at all: README wraps and indents it, anywhere (inside strings too)."""
    return "".join(text.split())


def compare_body(expected: list[str], actual: str) -> str | None:
    """None when the body matches, else why not."""
    actual = actual.strip("\n")
    if not expected:
        return None if not actual.strip() else f"printed output, README shows none:\n{actual[:500]}"
    want = "\n".join(expected)
    if want.lstrip().startswith(("{", "[")):
        try:
            got = json.dumps(json.loads(actual), ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            got = actual
        got, want = compact_json(got), compact_json(want)
    else:
        got = actual
    want, got = normalise(want), normalise(got)
    if _pattern(want).fullmatch(got):
        return None
    return f"body differs\n  README: {want[:1500]}\n  actual: {got[:1500]}"


def compare_http(expected: list[str], actual: str) -> str | None:
    """An ``HTTP/1.1 ...`` answer as curl -i / -D - prints it."""
    head, _, body = actual.replace("\r\n", "\n").partition("\n\n")
    got_lines = head.split("\n")
    try:
        blank = expected.index("")
    except ValueError:
        blank = len(expected)
    want_head, want_body = expected[:blank], expected[blank + 1:]
    if normalise(want_head[0]) != normalise(got_lines[0]):
        return f"status line: README {want_head[0]!r}, actual {got_lines[0]!r}"
    got = {}
    for line in got_lines[1:]:
        name, _, value = line.partition(":")
        got[name.strip().lower()] = value.strip()
    shown = set()
    for line in want_head[1:]:
        if line.strip() == ELLIPSIS:
            continue
        name, _, value = line.partition(":")
        key = name.strip().lower()
        shown.add(key)
        if key not in got:
            return f"header {name.strip()} shown in README is not sent (sent: {', '.join(sorted(got))})"
        if not _pattern(normalise(value.strip())).fullmatch(normalise(got[key])):
            return f"header {name.strip()}: README {value.strip()!r}, actual {got[key]!r}"
    if ELLIPSIS not in [line.strip() for line in want_head]:
        extra = set(got) - shown - TRANSPORT_HEADERS
        if extra:
            return f"headers sent but not shown (add them or a '...' line): {', '.join(sorted(extra))}"
    return compare_body(want_body, body)


def compare(expected: list[str], actual: str) -> str | None:
    if expected and expected[0].startswith("HTTP/"):
        return compare_http(expected, actual)
    return compare_body(expected, actual)


def run_command(example: Example, stack: Stack) -> str:
    command = example.command
    if command.startswith("curl "):
        command = command.replace(README_BASE, stack.gateway)
    elif not command.startswith("make "):
        pytest.fail(f"{example}: no runner for this command (tests/e2e/test_readme_examples.py)")
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, f"{example}: exit {done.returncode}\n{done.stderr[-2000:]}"
    return done.stdout


EXAMPLES = console_examples(README.read_text(encoding="utf-8"))


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 5
    assert any(" invoke " in e.command for e in EXAMPLES if e.command.startswith("make"))
    assert fenced_blocks(README.read_text(encoding="utf-8"), "pycon")


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line{e.line}" for e in EXAMPLES])
def test_readme_console_example(example: Example, run_stack: Stack) -> None:
    problem = compare(example.expected, run_command(example, run_stack))
    assert problem is None, f"{example}: {problem}"


@pytest.mark.parametrize("block", fenced_blocks(README.read_text(encoding="utf-8"), "pycon"),
                         ids=lambda b: f"line{b[0]}")
def test_readme_python_example(block: tuple[int, list[str]], run_stack: Stack) -> None:
    start, lines = block
    source = "\n".join(lines).replace(README_BASE, run_stack.gateway)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(source, {"ak": "LOCALAK0000000000000", "sk": "local-sk", "project_id": "0" * 32},
                              f"README.md:{start}", str(README), start)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"README.md:{start}: {runner.failures} doctest example(s) differ (output above)"


# --- the comparison itself can fail (negative controls, no stack needed) ---


def test_drifted_header_value_and_absent_header_are_caught() -> None:
    answer = "HTTP/1.1 200 OK\r\nX-Schema-Violations: 0\r\nContent-Length: 2\r\n\r\n{}"
    assert compare(["HTTP/1.1 200 OK", "X-Schema-Violations: 0", "", "{}"], answer) is None
    assert "X-Scan-Pages" in (compare(["HTTP/1.1 200 OK", "X-Scan-Pages: 1", "..."], answer) or "")
    assert compare(["HTTP/1.1 200 OK", "X-Schema-Violations: 3", "", "{}"], answer)
    assert compare(["HTTP/1.1 400 Bad Request", "..."], answer)


def test_unshown_headers_need_an_ellipsis() -> None:
    answer = "HTTP/1.1 200 OK\nX-Request-Id: 3f61326bad47414583c4738501c76fe6\nX-Other: 1\n\n"
    assert "X-Other".lower() in (compare(["HTTP/1.1 200 OK", "X-Request-Id: 0123456789abcdef0123456789abcdef"],
                                         answer) or "")
    assert compare(["HTTP/1.1 200 OK", "X-Request-Id: 0123456789abcdef0123456789abcdef", "..."], answer) is None


def test_body_ellipsis_and_normalised_ids() -> None:
    body = '{"count":2,"tasks":[{"id":"a67153f7-4531-4a83-f209-672c756e4c65","when":"2026-11-04T02:20:35.679Z"}]}'
    wrapped = ['{"count":2,"tasks":[{"id":"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001",', ' "when":"2026-01-01T00:00:00Z"}]}']
    assert compare_body(wrapped, body) is None
    assert compare_body(['{"count":2,...}'], body) is None
    assert compare_body(['{"count":3,...}'], body)
    assert compare_body([], "something") and compare_body([], "") is None


def test_console_blocks_are_parsed_into_commands_and_outputs() -> None:
    text = "x\n```console\n$ curl -s a\n{}\n\n$ make invoke FN=x\nout\n...\n```\n"
    examples = console_examples(text)
    assert [(e.command, e.expected) for e in examples] == [("curl -s a", ["{}"]), ("make invoke FN=x", ["out", "..."])]
