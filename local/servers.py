"""The lifecycle every local server shares (emulator, gateway, webhook sink, the tests' fakes):
serve on a daemon thread, stop by shutting down, closing the socket and joining the thread; and
the foreground wait of the command-line tools."""
from __future__ import annotations

import threading
import time
from socketserver import BaseServer


def serve_in_background(server: BaseServer, name: str, poll_interval: float = 0.05) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval},
                              name=name, daemon=True)
    thread.start()
    return thread


def stop_server(server: BaseServer, thread: threading.Thread | None) -> None:
    """Stops serving, releases the port and waits for the serving thread (never forever)."""
    if thread is not None and thread.is_alive():
        server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)


def wait_for_ctrl_c() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
