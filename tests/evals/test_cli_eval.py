"""``agentkit eval run | compare | add-run``: reports, the --fail-under gate, offline replay, and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.evals import CaseResult, Dataset, EvalReport, RunRecord, ScoreRecord
from agentkit.runtime import Agent
from agentkit.storage import SQLiteStore, StoreSink
from agentkit.testing import FakeProvider

ROOT = Path(__file__).resolve().parents[2]
DATASET = str(ROOT / "examples" / "evals" / "travel.yaml")
AGENT = "examples.evals.travel_eval:agent"


@pytest.fixture(autouse=True)
def _from_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository root, so ``examples.evals.travel_eval`` imports as it does for a user there."""
    monkeypatch.chdir(ROOT)


def _main(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def test_eval_run_prints_the_table_and_writes_json_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bundled example: five cases, one failing on purpose; JSON and HTML written; progress on stderr."""
    report_json, page = tmp_path / "r.json", tmp_path / "r.html"
    code, out = _main(
        "eval", "run", DATASET, "--agent", AGENT, "--json", str(report_json), "--html", str(page)
    )
    assert code == 0
    assert "travel-agent: 4/5 cases passed, pass rate 80.0% (4/5 runs), 0 errors" in out
    assert out.splitlines()[0].split() == [
        "CASE",
        "PASS",
        "trajectory",
        "exact_match",
        "LATENCY",
        "COST",
        "MODE",
    ]
    assert out.splitlines()[1].endswith("live, destructive: dry_run")  # the eval default
    report = EvalReport.from_json(report_json.read_text(encoding="utf-8"))
    assert [c.name for c in report.cases if not c.passed] == ["weather-madrid-fahrenheit"]
    booking = report.case("book-tp1944").runs[0]
    assert [(c.name, c.mode) for c in booking.tool_calls] == [("book_flight", "dry_run")]
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    err = capsys.readouterr().err
    assert "FAIL  weather-madrid-fahrenheit" in err
    assert f"wrote {page}" in err


def test_fail_under_is_the_ci_gate() -> None:
    """Below --fail-under the command exits 1 and says why; at or above it, 0; a percentage works too."""
    code, out = _main("eval", "run", DATASET, "--agent", AGENT, "--fail-under", "0.9", "--quiet")
    assert code == 1
    assert out.rstrip().endswith("pass rate 80.0% is below --fail-under 90.0%")
    assert _main("eval", "run", DATASET, "--agent", AGENT, "--fail-under", "80", "--quiet")[0] == 0


def test_offline_replays_what_a_store_recorded(tmp_path: Path) -> None:
    """A run with --store records; --offline --store replays (with or without the agent) and scores the same."""
    db = str(tmp_path / "runs.sqlite3")
    first = tmp_path / "first.json"
    assert (
        _main(
            "eval", "run", DATASET, "--agent", AGENT, "--store", db, "--json", str(first), "--quiet"
        )[0]
        == 0
    )
    code, out = _main(
        "eval", "run", DATASET, "--agent", AGENT, "--store", db, "--offline", "--quiet"
    )
    assert code == 0
    assert "pass rate 80.0%" in out
    code, out = _main(
        "eval",
        "run",
        DATASET,
        "--store",
        f"sqlite:///{db}",
        "--offline",
        "--quiet",
        "--repeats",
        "1",
    )
    assert code == 0
    assert "pass rate 80.0%" in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["eval", "run", DATASET], 2, "--agent MODULE:NAME is required"),
        (["eval", "run", DATASET, "--offline"], 2, "--offline needs --store"),
        (["eval", "run", DATASET, "--agent", "nocolon"], 2, "must look like 'package.module:name'"),
        (
            ["eval", "run", DATASET, "--agent", "examples.evals.travel_eval:nope"],
            3,
            "has no attribute 'nope'",
        ),
        (
            ["eval", "run", DATASET, "--agent", "examples.evals.travel_eval:HERE"],
            3,
            "not an Agent or a function",
        ),
        (["eval", "run", "missing.yaml", "--agent", AGENT], 4, "no dataset file 'missing.yaml'"),
        (["eval", "run", DATASET, "--offline", "--store", "nowhere.sqlite3"], 4, "does not exist"),
        (["eval", "compare", "a.json", "b.json"], 4, "no report file 'a.json'"),
        (["eval", "add-run", "r1", "--db", "nowhere.sqlite3"], 4, "does not exist"),
    ],
)
def test_errors_exit_with_the_documented_codes(
    argv: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Usage errors exit 2, import errors 3, missing inputs 4, each with a message on stderr."""
    assert _main(*argv)[0] == code
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "run", DATASET, "--fail-under", "2000"],
        ["eval", "run", DATASET, "--fail-under", "x"],
        ["eval", "run", DATASET, "--concurrency", "0"],
        ["eval", "run", DATASET, "--repeats", "x"],
        ["eval", "run", DATASET, "--timeout", "-1"],
        ["eval", "run", DATASET, "--timeout", "soon"],
        ["eval", "run", DATASET, "--mode", "reckless"],
    ],
)
def test_malformed_values_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed number or mode is refused by the parser with exit code 2."""
    assert _main(*argv)[0] == 2
    assert "error:" in capsys.readouterr().err


def test_eval_without_a_subcommand_prints_help_and_exits_2() -> None:
    """``agentkit eval`` alone prints its help and exits 2."""
    code, out = _main("eval")
    assert code == 2
    assert "run" in out
    assert "compare" in out


def test_a_dataset_that_does_not_validate_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dataset file with an unknown field is reported as unreadable (exit 4)."""
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"name": "x", "cases": [{"name": "c", "inputs": "hi", "oops": 1}]}),
        encoding="utf-8",
    )
    assert _main("eval", "run", str(bad), "--agent", AGENT)[0] == 4
    assert "cannot read dataset" in capsys.readouterr().err


def test_a_report_that_cannot_be_written_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--html into a directory that does not exist exits 4 naming the file."""
    code, _ = _main(
        "eval",
        "run",
        DATASET,
        "--agent",
        AGENT,
        "--quiet",
        "--html",
        str(tmp_path / "no" / "r.html"),
    )
    assert code == 4
    assert "cannot write" in capsys.readouterr().err


def _report(path: Path, *values: float) -> str:
    cases = [
        CaseResult(
            name=f"c{i}",
            runs=[RunRecord(scores=[ScoreRecord(scorer="s", value=v, passed=v == 1.0)])],
        )
        for i, v in enumerate(values)
    ]
    path.write_text(EvalReport(name=path.stem, cases=cases).to_json(), encoding="utf-8")
    return str(path)


def test_compare_shows_regressions_and_gates_on_them(tmp_path: Path) -> None:
    """A regressed case is listed first; --fail-on-regression turns it into exit 1; --json prints the changes."""
    base = _report(tmp_path / "base.json", 1.0, 0.0)
    cand = _report(tmp_path / "cand.json", 0.0, 1.0)
    code, out = _main("eval", "compare", base, cand)
    assert code == 0
    assert out.splitlines()[1].startswith("c0    regressed")
    assert out.rstrip().endswith("1 regressed, 1 improved, 0 unchanged, 0 added, 0 removed")
    assert _main("eval", "compare", base, cand, "--fail-on-regression")[0] == 1
    assert _main("eval", "compare", base, base, "--fail-on-regression")[0] == 0
    code, out = _main("eval", "compare", base, cand, "--json")
    assert [c["status"] for c in json.loads(out)["changes"]] == ["regressed", "improved"]


def test_compare_refuses_a_file_that_is_not_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON file that is not a report exits 4 and says what it expected."""
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}', encoding="utf-8")
    assert _main("eval", "compare", str(other), str(other))[0] == 4
    assert "not a readable eval report" in capsys.readouterr().err


def test_add_run_turns_a_stored_run_into_a_case_in_a_dataset(tmp_path: Path) -> None:
    """add-run prints a case, or appends it to a dataset file it creates, and refuses a duplicate name."""
    db = tmp_path / "runs.sqlite3"
    store = SQLiteStore(db)
    Agent(FakeProvider(["Bonjour !"])).run_sync(
        "Say hi in French", run_id="prod-1", sinks=[StoreSink(store)]
    )
    store.close()
    code, out = _main("eval", "add-run", "prod-1", "--db", str(db))
    assert code == 0
    assert json.loads(out)["expected_output"] == "Bonjour !"
    data = tmp_path / "regressions.yaml"
    code, out = _main("eval", "add-run", "prod-1", "--store", str(db), "--dataset", str(data))
    assert code == 0
    assert "added case 'run-prod-1'" in out
    dataset = Dataset.from_yaml(data)
    assert dataset.name == "regressions"
    (case,) = dataset.cases
    assert (case.name, case.inputs, case.expected_output) == (
        "run-prod-1",
        "Say hi in French",
        "Bonjour !",
    )
    assert case.metadata["source_run"] == "prod-1"
    assert _main("eval", "add-run", "prod-1", "--db", str(db), "--dataset", str(data))[0] == 2
    code, _ = _main(
        "eval", "add-run", "prod-1", "--db", str(db), "--dataset", str(data), "--name", "second"
    )
    assert code == 0
    assert [c.name for c in Dataset.from_yaml(data).cases] == ["run-prod-1", "second"]
    as_json = tmp_path / "d.json"
    assert _main("eval", "add-run", "prod-1", "--db", str(db), "--dataset", str(as_json))[0] == 0
    assert Dataset.from_json(as_json).cases[0].name == "run-prod-1"
    assert _main("eval", "add-run", "nope", "--db", str(db))[0] == 4
