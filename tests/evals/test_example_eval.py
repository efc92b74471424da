"""The bundled example eval (examples/evals/travel_eval.py) runs offline in a subprocess and books nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agentkit.evals import EvalReport, eval_session_id
from agentkit.storage import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "evals" / "travel_eval.py"


def _offline_env() -> dict[str, str]:
    """The environment with every provider key blanked (as noxfile's ``_quiet_env``) and no way out."""
    env = dict(os.environ)
    env.update(
        {
            key: ""
            for key in os.environ
            if key.endswith("_API_KEY") or key in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")
        }
    )
    # An unroutable proxy: an accidental request fails fast instead of reaching the internet.
    env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="")
    env["PYTHONWARNINGS"] = "error"
    return env


def test_the_example_eval_runs_offline_and_writes_its_reports(tmp_path: Path) -> None:
    """Exit 0, the table and summary printed, JSON/HTML/SQLite written, and book_flight only dry-run."""
    out = tmp_path / "eval"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)],
        capture_output=True,
        text=True,
        env=_offline_env(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    stdout = result.stdout
    for line in (
        "FAIL  weather-madrid-fahrenheit",
        "travel-agent: 4/5 cases passed, pass rate 80.0% (4/5 runs), 0 errors",
        f"wrote {out / 'report.json'} and {out / 'report.html'}",
        "book_flight ran dry_run; seats booked: 0",
        "offline replay: pass rate 80%",
        "0 regressed, 0 improved, 5 unchanged",
    ):
        assert line in stdout, f"{line!r} missing from:\n{stdout}"
    header = next(line for line in stdout.splitlines() if line.startswith("CASE"))
    assert header.split()[-2:] == ["COST", "MODE"]

    report = EvalReport.load(out / "report.json")
    assert [c.name for c in report.cases if not c.passed] == ["weather-madrid-fahrenheit"]
    assert {c.mode for c in report.cases} == {"live, destructive: dry_run"}
    booking = report.case("book-tp1944").runs[0]
    assert [(c.name, c.mode) for c in booking.tool_calls] == [("book_flight", "dry_run")]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<th>mode</th>" in page
    assert "<script" not in page

    # The stored events of the booking case say the same: the call ran dry_run.
    store = SQLiteStore(out / "runs.sqlite3")
    try:
        (summary,) = store.runs(None, session_id=eval_session_id("travel-agent", "book-tp1944"))
        modes = [
            (e.tool_name, e.mode)  # type: ignore[attr-defined]
            for e in store.read(summary.run_id)
            if e.type == "tool.call.succeeded"
        ]
    finally:
        store.close()
    assert modes == [("book_flight", "dry_run")]
