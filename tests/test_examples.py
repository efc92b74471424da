"""Every script in examples/ runs offline, without API keys, and prints what its docs promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

# Lines (or fragments of lines) each example must print; scripts not listed only have to exit cleanly.
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        "travel.search_flights  v1.2.0",
        "fingerprint    sha256:",
        "departs        date (required)  Day of departure.",
        "status        success",
        "status        invalid_arguments",
        '"problem": "missing"',
        '"problem": "wrong_type"',
        '"did_you_mean": "destination"',
        "model gets    flight TP1349 is sold out; pick another flight",
        "developer gets InvalidToolArguments with 3 issues",
        "convert_price(120, 'USD') -> '129.60 USD'",
    ],
    "context_and_events.py": [
        "schema properties  ['member_id']",
        "model gets         M-1001 has 1200 points",
        "event arguments    {'card_number': '***', 'amount': 20.0}",
        "timeout            timeout: The tool slow_quote timed out after 0.05s.",
        "crash              error: The tool failed with an internal error.",
        "developer sees   ToolExecutionError: tool 'parse_pnr' raised IndexError",
        "retry attempt 1    retry:",
        "retry attempt 2    retries_exhausted:",
        '"did_you_mean":"city"',
        "#0  09:30 tool.call.started        loyalty_balance",
    ],
    "registry_toolsets.py": [
        "versions of travel.search_flights: ['1.4.0', '2.0.0']",
        'get("travel.search_flights", "^1") -> 1.4.0',
        "error    travel.search_flights: 1.4.0 is taken, 1.5.0 collides",
        "prefix   registered as travel.fast_search_flights 1.5.0",
        "replace  travel.search_flights ^1 is now 1.5.0",
        "prefixed('acme')    ['acme_book_flight', 'acme_fast_search_flights', 'acme_search_flights']",
        "did you mean 'search_docs'?",
    ],
}


def _offline_env() -> dict[str, str]:
    """The current environment minus anything that looks like a credential or a proxy."""
    secret_markers = ("API_KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
    env = {
        key: value
        for key, value in os.environ.items()
        if not any(marker in key.upper() for marker in secret_markers)
        and not key.lower().endswith("_proxy")
    }
    # An unroutable proxy: any accidental network access fails fast instead of reaching the internet.
    env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="")
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONWARNINGS"] = "error"
    return env


def _run(script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=_offline_env(),
        cwd=EXAMPLES.parent,
        timeout=60,
        check=False,
    )


def test_examples_are_found() -> None:
    """The examples directory holds every script this test knows the output of."""
    names = {script.name for script in SCRIPTS}
    assert set(EXPECTED) <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_runs(script: Path) -> None:
    """The example exits with 0, writes nothing to stderr, and prints its key lines."""
    result = _run(script)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for line in EXPECTED.get(script.name, []):
        assert line in result.stdout, f"{line!r} missing from:\n{result.stdout}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_has_a_docstring_saying_how_to_run_it(script: Path) -> None:
    """Each example opens with a module docstring that says how to run it."""
    import ast

    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    assert docstring, f"{script.name} has no module docstring"
    assert f"python examples/{script.name}" in docstring


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_output_is_deterministic(script: Path) -> None:
    """Two runs print the same thing, so the docs can quote the output."""
    assert _run(script).stdout == _run(script).stdout


def test_sensitive_values_never_reach_the_output() -> None:
    """The card number is masked in events and left out of the repair hint."""
    stdout = _run(EXAMPLES / "context_and_events.py").stdout
    assert "4111111111111111" not in stdout


def test_quickstart_repair_hint_is_what_the_model_receives() -> None:
    """The hint printed by the quickstart is the tool's real repair hint, issue for issue."""
    result = _run(EXAMPLES / "quickstart.py")
    lines = result.stdout.splitlines()
    start = next(i for i, text in enumerate(lines) if text.startswith('{"error": "invalid'))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith('], "hint"'))
    issues = [json.loads(line.strip().rstrip(",")) for line in lines[start + 1 : end]]
    assert [issue["problem"] for issue in issues] == ["missing", "wrong_type", "unknown_field"]
    assert issues[2] == {
        "path": "destinaton",
        "problem": "unknown_field",
        "message": "Extra inputs are not permitted",
        "did_you_mean": "destination",
    }
