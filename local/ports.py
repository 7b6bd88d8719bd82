"""The ports of the local listeners: the one place they are defined (README's settings table and
``make help`` point here).

| setting             | default | listener                                                          |
|---------------------|---------|-------------------------------------------------------------------|
| ``PORT``            | 8080    | the local API Gateway (``make run``, ``make gateway``)              |
| ``WEBHOOK_SINK_PORT`` | 8091  | the webhook sink and its chat preview (``make run``, ``make sink``)  |
| ``SMS_EMULATOR_PORT`` | 8090  | the SMS emulator of ``make emulator``; ``make run`` embeds its own on a free port |

A default port that is taken is replaced by a free one (the tools print every URL they serve); a port
set explicitly is kept or the tool stops with one line naming the port and the setting. Every
listener binds 127.0.0.1 only."""
from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Listener:
    setting: str
    default: int
    what: str


GATEWAY = Listener("PORT", 8080, "the local API Gateway")
SINK = Listener("WEBHOOK_SINK_PORT", 8091, "the webhook sink")
EMULATOR = Listener("SMS_EMULATOR_PORT", 8090, "the SMS emulator")
LISTENERS = (GATEWAY, SINK, EMULATOR)


class PortError(Exception):
    """An expected start-up problem with a port: its message is one line for the user."""


def configured(listener: Listener) -> tuple[int, bool]:
    """The port to try and whether the user chose it (the setting is present and not empty)."""
    raw = os.environ.get(listener.setting, "").strip()
    if not raw:
        return listener.default, False
    if not (raw.isascii() and raw.isdigit() and 0 <= int(raw) <= 65535):
        raise PortError(f"{listener.setting}={raw!r} is not a port number (0-65535; 0 picks a free one)")
    return int(raw), True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _why(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "is already in use"
    if exc.errno == errno.EACCES:
        return "needs privileges to bind"
    return f"cannot be bound ({exc.strerror or exc})"


def bind(listener: Listener, start: Callable[[int], T], notes: list[str] | None = None,
         port: int | None = None) -> T:
    """``start(port)`` on ``port`` (a ``--port`` option) or the configured one. A taken default port is
    replaced by a free one (said in ``notes``); any other failure is a ``PortError`` naming the port
    and the setting to change."""
    setting = listener.setting if port is None else "--port"
    port, explicit = configured(listener) if port is None else (port, True)
    try:
        return start(port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE and not explicit:
            server = start(0)
            if notes is not None:
                notes.append(f"port {port} ({listener.setting}) was taken: {listener.what} uses a free port instead")
            return server
        raise PortError(f"port {port} for {listener.what} {_why(exc)}: set {setting} to another port "
                        f"(e.g. {setting}={free_port()}) or 0 for any free one") from None


def start_tool(tool: str, listener: Listener, start: Callable[[int], T], port: int | None = None) -> T | None:
    """A command-line tool's listener (``make gateway``, ``make sink``, ``make emulator``): an expected
    start-up problem is one line on stderr and None, never a traceback; notes go to stderr too."""
    notes: list[str] = []
    try:
        server = bind(listener, start, notes, port)
    except (OSError, ValueError, PortError) as exc:
        print(f"{tool}: {exc}", file=sys.stderr)
        return None
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return server
