"""A uvicorn server on 127.0.0.1 for the service tests: a real socket, a real HTTP stack."""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

# schemathesis 4.31+ needs Python >= 3.11, and 4.0-4.30 need typing-extensions >= 4.12.2, above our floor: on 3.10 the
# `lowest` session could not install it, so the test sessions install it on 3.11+ only (noxfile TEST_DEPS) and its
# test cannot be collected on 3.10. Everything else here runs on every supported Python.
collect_ignore = ["test_schemathesis.py"] if sys.version_info < (3, 11) else []

KEY = "srv-Hq7Zt3Lm9Xc2Vb8Nw4Pe"  # the service's API key: no well-known shape, so only redaction can mask it


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a thread; yield its URL; shut it down gracefully."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # a hang guard, not a speed assertion
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        if thread.is_alive():
            raise RuntimeError("uvicorn did not stop")
