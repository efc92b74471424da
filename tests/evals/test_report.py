"""Eval reports: JSON round trip, summary numbers, the terminal table, the HTML page's structure, and compare()."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest

from agentkit.evals import (
    CaseResult,
    EvalReport,
    RunRecord,
    ScoreRecord,
    ToolCallRecord,
    compare,
)
from agentkit.evals._html import CHART_IDS, histogram

if TYPE_CHECKING:
    from pathlib import Path


def _run(
    repeat: int, value: float, *, latency: float = 0.5, cost: float | None = 0.001
) -> RunRecord:
    return RunRecord(
        repeat=repeat,
        run_id=f"r{repeat}",
        text="answer",
        latency_s=latency,
        cost_usd=cost,
        input_tokens=100,
        output_tokens=10,
        tool_calls=[ToolCallRecord(name="search", arguments={"q": "x"})],
        scores=[
            ScoreRecord(scorer="trajectory", value=value, passed=value == 1.0, reason="why"),
            ScoreRecord(scorer="exact_match", value=1.0, passed=True, skipped=True),
        ],
    )


HOSTILE = '<script>alert(1)</script><img src="https://evil.example/x.png">'


def _report() -> EvalReport:
    return EvalReport(
        name="travel",
        target="travel (gpt-4.1-mini)",
        repeats=2,
        cases=[
            CaseResult(name="good", runs=[_run(0, 1.0, latency=0.2), _run(1, 1.0, latency=0.4)]),
            CaseResult(name="flaky", runs=[_run(0, 1.0, latency=1.0), _run(1, 0.0, latency=3.0)]),
            CaseResult(
                name=HOSTILE,
                inputs=HOSTILE,
                tags=[HOSTILE],
                runs=[RunRecord(error=f"ValueError: {HOSTILE}", text=HOSTILE)],
            ),
        ],
        metadata={"commit": HOSTILE},
    )


def test_a_report_round_trips_through_json_exactly(tmp_path: Path) -> None:
    """``from_json(to_json())`` and ``load(save())`` give back an equal report."""
    report = _report()
    assert EvalReport.from_json(report.to_json()) == report
    report.save(tmp_path / "r.json")
    assert EvalReport.load(tmp_path / "r.json") == report


def test_the_summary_counts_runs_cases_scorers_latency_and_cost() -> None:
    """Pass rates, per-scorer stats without skipped scores, percentiles, cost and tokens add up."""
    s = _report().summary()
    assert (s.cases, s.cases_passed, s.runs, s.runs_passed, s.errors) == (3, 1, 5, 3, 1)
    assert s.pass_rate == pytest.approx(3 / 5)
    assert [(x.scorer, x.mean, x.pass_rate, x.runs) for x in s.scorers] == [
        ("trajectory", 0.75, 0.75, 4)
    ]
    assert s.latency_p50_s == pytest.approx(0.7)
    assert s.latency_max_s == 3.0
    assert s.cost_usd == pytest.approx(0.004)
    assert (s.input_tokens, s.output_tokens) == (400, 40)
    flaky = _report().case("flaky")
    assert (flaky.pass_rate, flaky.passed, flaky.mean_score("trajectory")) == (0.5, False, 0.5)
    assert flaky.mean_score("exact_match") is None  # skipped everywhere
    with pytest.raises(KeyError):
        _report().case("nope")


def test_the_table_has_a_row_per_case_and_a_summary_line() -> None:
    """The table shows passes per case, mean scores, latency, cost, errors, and the overall pass rate."""
    lines = _report().table().splitlines()
    assert lines[0].split() == ["CASE", "PASS", "trajectory", "exact_match", "LATENCY", "COST"]
    assert lines[1].split() == ["good", "2/2", "1.00", "-", "300ms", "$0.002000"]
    assert lines[2].split() == ["flaky", "1/2", "0.50", "-", "2.00s", "$0.002000"]
    assert lines[3].endswith("(error)  0/1   -           -            -        -")
    assert lines[-1] == "travel: 1/3 cases passed, pass rate 60.0% (3/5 runs), 1 error"


class _Page(HTMLParser):
    """Collects the tags, attributes and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_the_html_page_has_every_chart_and_fetches_nothing() -> None:
    """Each chart is an inline SVG; no script, link, image, iframe, external URL or CSS import."""
    report = _report()
    # The hostile case holds a URL as text (escaped): the check for URLs runs on a page without it.
    html = report.model_copy(update={"cases": report.cases[:2], "metadata": {}}).to_html()
    page = _parse(html)
    charts = [attrs.get("data-chart") for tag, attrs in page.tags if tag == "svg"]
    assert charts == list(CHART_IDS)
    assert {tag for tag, _ in page.tags}.isdisjoint(
        {"script", "link", "img", "iframe", "object", "embed"}
    )
    for _, attrs in page.tags:
        assert "src" not in attrs
        assert "href" not in attrs
        assert not any(name.startswith("on") for name in attrs)
    assert not re.search(r"(?i)(https?:|//[a-z]|url\(|@import)", html)
    hostile = _parse(report.to_html())
    assert "https://evil" not in "".join(v or "" for _, a in hostile.tags for v in a.values())


def test_the_html_page_escapes_everything_it_shows() -> None:
    """A case name, input, tag, error and metadata holding markup show as text, never as markup."""
    html = _report().to_html()
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = _parse(html)
    assert any(HOSTILE in text for text in page.text)


def test_the_html_page_shows_scores_latency_and_cost() -> None:
    """The per-scorer chart, the heatmap, both histograms and the case table carry the report's numbers."""
    page = _parse(_report().to_html())
    text = " ".join(page.text)
    assert "0.75 · 75% pass" in text  # trajectory: mean and pass rate
    assert "flaky · trajectory: 0.50" in text  # a heatmap cell's tooltip
    assert "p50 700ms" in text
    assert "flaky 50%" in text  # the status badge of a case passing half its repeats
    assert "60%" in text  # the headline pass rate
    bars = [a for tag, a in page.tags if tag == "rect" and a.get("fill") == "var(--bar)"]
    assert len(bars) >= 2


def test_an_empty_report_renders_with_charts_saying_there_is_no_data() -> None:
    """With no cases or scores, each chart is still there, saying what is missing."""
    html = EvalReport(name="empty").to_html()
    page = _parse(html)
    assert [a.get("data-chart") for t, a in page.tags if t == "svg"] == list(CHART_IDS)
    assert "No scores" in html
    assert "No latency data recorded." in html
    assert "No cost data recorded." in html


def test_histogram_bins_cover_every_value() -> None:
    """Bins are equal-width, cover min to max, and count every value once."""
    values = [0.1 * i for i in range(50)]
    bins = histogram(values)
    assert sum(c for _, _, c in bins) == 50
    assert bins[0][0] == 0.0
    assert bins[-1][1] == pytest.approx(4.9)
    assert len(bins) == 8


def test_save_writes_html_for_an_html_suffix(tmp_path: Path) -> None:
    """``save("x.html")`` writes the page, anything else JSON."""
    _report().save(tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _one(name: str, *values: float, errors: int = 0) -> CaseResult:
    runs = [
        RunRecord(repeat=i, scores=[ScoreRecord(scorer="s", value=v, passed=v >= 0.5)])
        for i, v in enumerate(values)
    ]
    runs += [RunRecord(repeat=len(runs) + i, error="E: x") for i in range(errors)]
    return CaseResult(name=name, runs=runs)


def test_compare_classifies_each_case() -> None:
    """Regressions (pass rate, score or errors), improvements, unchanged within tolerance, added and removed."""
    base = EvalReport(
        name="base",
        cases=[
            _one("drops", 1.0),
            _one("score-down", 0.9),
            _one("wobble", 0.8),
            _one("better", 0.0),
            _one("erring", 1.0),
            _one("gone", 1.0),
        ],
    )
    cand = EvalReport(
        name="cand",
        cases=[
            _one("drops", 0.0),
            _one("score-down", 0.6),
            _one("wobble", 0.805),
            _one("better", 1.0),
            _one("erring", 1.0, errors=1),
            _one("new", 1.0),
        ],
    )
    result = compare(base, cand)
    assert {c.name: c.status for c in result.changes} == {
        "drops": "regressed",
        "score-down": "regressed",
        "wobble": "unchanged",
        "better": "improved",
        "erring": "regressed",
        "gone": "removed",
        "new": "added",
    }
    assert [c.name for c in result.regressions] == ["drops", "score-down", "erring"]
    assert [c.name for c in result.improvements] == ["better"]
    assert result.changes[1].reasons == ["s 0.90 -> 0.60"]
    assert result.changes[1].score_deltas["s"] == pytest.approx(-0.3)
    table = result.table().splitlines()
    assert table[1].startswith("drops ")
    assert table[-1].endswith("3 regressed, 1 improved, 1 unchanged, 1 added, 1 removed")
    assert compare(base, cand, tolerance=0.5).changes[1].status == "unchanged"
