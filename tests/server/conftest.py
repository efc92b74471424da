"""The service tests' API key, and a uvicorn server on 127.0.0.1 for them: a real socket, a real HTTP stack."""

from __future__ import annotations

import sys

# schemathesis 4.31+ needs Python >= 3.11, and 4.0-4.30 need typing-extensions >= 4.12.2, above our floor: on 3.10 the
# `lowest` session could not install it, so the test sessions install it on 3.11+ only (noxfile TEST_DEPS) and its
# test cannot be collected on 3.10. Everything else here runs on every supported Python.
collect_ignore = ["test_schemathesis.py"] if sys.version_info < (3, 11) else []

KEY = "srv-Hq7Zt3Lm9Xc2Vb8Nw4Pe"  # the service's API key: no well-known shape, so only redaction can mask it

# Run an app under uvicorn on 127.0.0.1 in a thread (tests/_servers.py, loaded by tests/conftest.py).
serving = sys.modules["_agentkit_test_servers"].serving
run_events = sys.modules["_agentkit_test_servers"].run_events
