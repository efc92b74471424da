"""The HTML report: one self-contained page, inline CSS and SVG charts drawn here, no script, nothing fetched.

Every value that came from a model, a dataset or a user goes through `html.escape`; the page has no ``<script>``
and no URL, so it can be opened from a CI artifact or an email attachment and show the same thing.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit.evals._report import CaseResult, EvalReport, RunRecord

__all__ = ("format_cost", "format_seconds", "histogram", "render_report", "score_color")

CHART_IDS = ("scorers", "cases", "latency", "cost")
"""The ``data-chart`` attribute of each chart the page always has (a chart with no data says so inside it)."""

_CSS = """
:root{--bg:#f7f8fa;--card:#fff;--ink:#1d2330;--muted:#6b7385;--line:#e3e6ec;--good:#1f9d55;--bad:#d64545;
--warn:#d98b1f;--accent:#3b6fd8;--bar:#3b6fd8;--bar2:#9db7ee;font-family:system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#14171d;--card:#1d2129;--ink:#e6e9ef;--muted:#9aa3b5;
--line:#2e3440;--bar2:#34518f}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);font-size:14px;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:28px 24px 60px}
header h1{margin:0 0 4px;font-size:24px}header p{margin:0;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;
vertical-align:middle;background:var(--line);color:var(--ink)}
.badge.pass{background:var(--good);color:#fff}.badge.fail{background:var(--bad);color:#fff}
.badge.flaky{background:var(--warn);color:#fff}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:22px 0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.kpi b{display:block;font-size:20px;margin-top:2px}.kpi span{color:var(--muted);font-size:12px;
text-transform:uppercase;letter-spacing:.04em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
section.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;
margin-top:16px;overflow-x:auto}
section.card h2{margin:0 0 10px;font-size:15px}
svg{display:block;max-width:100%;height:auto}svg text{fill:var(--ink);font-size:12px}
svg .muted{fill:var(--muted)}svg .axis{stroke:var(--line)}
table{border-collapse:collapse;width:100%}th,td{padding:6px 8px;border-bottom:1px solid var(--line);
text-align:left;vertical-align:top}th{color:var(--muted);font-weight:600;font-size:12px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.cell{display:inline-block;min-width:46px;padding:1px 6px;border-radius:5px;color:#fff;text-align:center;
font-variant-numeric:tabular-nums}
details{margin:4px 0}summary{cursor:pointer}
pre{white-space:pre-wrap;word-break:break-word;background:var(--bg);border:1px solid var(--line);
border-radius:6px;padding:8px;margin:6px 0;max-height:320px;overflow:auto;font-size:12px}
.run{border-left:3px solid var(--line);padding-left:10px;margin:10px 0}.run.pass{border-color:var(--good)}
.run.fail{border-color:var(--bad)}.reason{color:var(--muted)}
footer{margin-top:28px;color:var(--muted);font-size:12px}
"""


# ------------------------------------------------------------------------------------------------ formatting


def format_seconds(value: float | None) -> str:
    """Seconds for people: ``-`` for none, ``ms`` below one second.

    Examples:
        >>> from agentkit.evals._html import format_seconds
        >>> format_seconds(None), format_seconds(0.0123), format_seconds(2.5)
        ('-', '12ms', '2.50s')
    """
    if value is None:
        return "-"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


def format_cost(value: float | None) -> str:
    """US dollars for people: ``-`` when unknown, more digits for small amounts.

    Examples:
        >>> from agentkit.evals._html import format_cost
        >>> format_cost(None), format_cost(0.000123), format_cost(1.5)
        ('-', '$0.000123', '$1.50')
    """
    if value is None:
        return "-"
    return f"${value:.2f}" if value >= 0.01 or value == 0 else f"${value:.6f}"


def score_color(value: float | None) -> str:
    """A red-to-green colour for a score in [0, 1] (grey for none), readable under white text.

    Examples:
        >>> from agentkit.evals._html import score_color
        >>> score_color(0.0), score_color(1.0), score_color(None)
        ('hsl(0,62%,45%)', 'hsl(140,62%,34%)', '#8a93a6')
    """
    if value is None or math.isnan(value):
        return "#8a93a6"
    v = min(max(value, 0.0), 1.0)
    return f"hsl({round(140 * v)},62%,{round(45 - 11 * v)}%)"


def histogram(values: Sequence[float], bins: int | None = None) -> list[tuple[float, float, int]]:
    """Equal-width bins ``(low, high, count)`` over ``values`` (about sqrt(n) bins, at most 12).

    Examples:
        >>> from agentkit.evals._html import histogram
        >>> histogram([1.0, 2.0, 2.5, 4.0], bins=3)
        [(1.0, 2.0, 1), (2.0, 3.0, 2), (3.0, 4.0, 1)]
        >>> histogram([0.5, 0.5])
        [(0.5, 0.5, 2)]
        >>> histogram([])
        []
    """
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [(low, high, len(values))]
    n = bins or min(12, max(2, math.ceil(math.sqrt(len(values)))))
    width = (high - low) / n
    counts = [0] * n
    for v in values:
        counts[min(int((v - low) / width), n - 1)] += 1
    return [(low + i * width, low + (i + 1) * width, c) for i, c in enumerate(counts)]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _json(value: Any) -> str:
    import json

    from pydantic_core import to_jsonable_python

    return json.dumps(to_jsonable_python(value, fallback=repr), indent=2, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------ charts


def _svg(chart: str, width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg data-chart="{chart}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_attr(label)}">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _empty(chart: str, label: str, message: str) -> str:
    return _svg(
        chart,
        460,
        60,
        label,
        [f'<text x="10" y="34" class="muted">{escape(message)}</text>'],
    )


def _scorer_chart(report: EvalReport) -> str:
    label = "Mean score and pass rate per scorer"
    stats = report.summary().scorers
    if not stats:
        return _empty("scorers", label, "No scores: the eval ran without scorers.")
    left, width, row = 140, 300, 34
    height = 30 + row * len(stats)
    body = [
        f'<text x="{left}" y="14" class="muted">0</text>',
        f'<text x="{left + width}" y="14" class="muted" text-anchor="end">1</text>',
    ]
    for i, s in enumerate(stats):
        y = 24 + i * row
        name = s.scorer if len(s.scorer) <= 20 else s.scorer[:19] + "…"
        body += [
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(name)}</text>',
            f'<rect x="{left}" y="{y + 4}" width="{width}" height="18" rx="4" fill="var(--line)"/>',
            f'<rect x="{left}" y="{y + 4}" width="{width * s.mean:.1f}" height="18" rx="4" '
            f'fill="{score_color(s.mean)}"><title>{escape(s.scorer)}: mean {s.mean:.3f}</title></rect>',
            f'<line x1="{left + width * s.pass_rate:.1f}" x2="{left + width * s.pass_rate:.1f}" '
            f'y1="{y}" y2="{y + 26}" stroke="var(--ink)" stroke-width="2">'
            f"<title>pass rate {s.pass_rate:.0%}</title></line>",
            f'<text x="{left + width + 8}" y="{y + 17}">{s.mean:.2f} · {s.pass_rate:.0%} pass</text>',
        ]
    return _svg("scorers", 580, height, label, body)


def _case_chart(report: EvalReport) -> str:
    label = "Mean score per case and scorer"
    scorers = report.scorers
    if not report.cases:
        return _empty("cases", label, "No cases.")
    columns = [*scorers, "pass rate"]
    left, cell, row = 196, 78, 26
    width = left + cell * len(columns) + 10
    height = 34 + row * len(report.cases)
    body = []
    for j, column in enumerate(columns):
        text = column if len(column) <= 11 else column[:10] + "…"
        x = left + j * cell + cell / 2
        body.append(
            f'<text x="{x:.0f}" y="18" text-anchor="middle" class="muted">{escape(text)}</text>'
        )
    for i, case in enumerate(report.cases):
        y = 28 + i * row
        name = case.name if len(case.name) <= 26 else case.name[:25] + "…"
        body.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{escape(name)}</text>')
        values = [case.mean_score(s) for s in scorers] + [case.pass_rate if case.runs else None]
        for j, value in enumerate(values):
            x = left + j * cell
            shown = "n/a" if value is None else f"{value:.2f}"
            body += [
                f'<rect x="{x + 2}" y="{y + 2}" width="{cell - 4}" height="{row - 4}" rx="4" '
                f'fill="{score_color(value)}"><title>{escape(case.name)} · {escape(columns[j])}: '
                f"{shown}</title></rect>",
                f'<text x="{x + cell / 2:.0f}" y="{y + 17}" text-anchor="middle" '
                f'style="fill:#fff">{shown}</text>',
            ]
    return _svg("cases", width, height, label, body)


def _distribution(chart: str, label: str, values: list[float], unit: str) -> str:
    if not values:
        return _empty(chart, label, f"No {unit} data recorded.")
    bins = histogram(values)
    left, bottom, width, height = 40, 150, 400, 120
    top = max(c for _, _, c in bins)
    bar = width / len(bins)
    fmt = format_seconds if unit == "latency" else format_cost
    body = [
        f'<line class="axis" x1="{left}" x2="{left + width}" y1="{bottom}" y2="{bottom}"/>',
        f'<text x="{left - 6}" y="{bottom - height + 4}" text-anchor="end" class="muted">{top}</text>',
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end" class="muted">0</text>',
        f'<text x="{left}" y="{bottom + 16}" class="muted">{escape(fmt(bins[0][0]))}</text>',
        f'<text x="{left + width}" y="{bottom + 16}" text-anchor="end" class="muted">'
        f"{escape(fmt(bins[-1][1]))}</text>",
    ]
    for i, (low, high, count) in enumerate(bins):
        h = height * count / top
        body.append(
            f'<rect x="{left + i * bar + 1:.1f}" y="{bottom - h:.1f}" width="{max(bar - 2, 1):.1f}" '
            f'height="{h:.1f}" rx="2" fill="var(--bar)"><title>{escape(fmt(low))}&ndash;{escape(fmt(high))}: '
            f"{count} run{'s' if count != 1 else ''}</title></rect>"
        )
    from agentkit.evals._report import percentile

    span = bins[-1][1] - bins[0][0]
    for q, dash in ((50, "4 3"), (95, "2 2")):
        p = percentile(values, q)
        assert p is not None  # values is not empty
        x = left + (width * (p - bins[0][0]) / span if span else width / 2)
        anchor, dx = ("end", -3) if x > left + width * 0.6 else ("start", 3)
        body += [
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom - height - 6}" y2="{bottom}" '
            f'stroke="var(--ink)" stroke-dasharray="{dash}"/>',
            f'<text x="{x + dx:.1f}" y="{bottom - height - 8 + (12 if q == 95 else 0)}" '
            f'text-anchor="{anchor}" class="muted">'
            f"p{q} {escape(fmt(p))}</text>",
        ]
    return _svg(chart, left + width + 20, bottom + 24, label, body)


# ------------------------------------------------------------------------------------------------ the page


def _status(case: CaseResult) -> str:
    if case.passed:
        return '<span class="badge pass">pass</span>'
    if case.pass_rate > 0:
        return f'<span class="badge flaky">flaky {case.pass_rate:.0%}</span>'
    return '<span class="badge fail">fail</span>'


def _run_detail(run: RunRecord) -> str:
    parts = [
        f'<div class="run {"pass" if run.passed else "fail"}"><b>run {run.repeat + 1}</b> '
        f"{'passed' if run.passed else 'failed'} · {format_seconds(run.latency_s)} · "
        f"{format_cost(run.cost_usd)} · {run.input_tokens} in / {run.output_tokens} out"
    ]
    if run.mode:
        parts.append(f" · mode {escape(run.mode)}")
    if run.run_id:
        parts.append(f" · run <code>{escape(run.run_id)}</code>")
    if run.error:
        parts.append(f"<pre>{escape(run.error)}</pre>")
    if run.tool_calls:
        calls = "\n".join(
            f"{c.name}({_json(c.arguments)})"
            + (f"  [{c.mode}]" if c.mode and c.mode != "live" else "")
            for c in run.tool_calls
        )
        parts.append(f"<div>tool calls</div><pre>{escape(calls)}</pre>")
    shown = (
        run.text if run.text is not None else (None if run.output is None else _json(run.output))
    )
    if shown is not None:
        parts.append(f"<div>output</div><pre>{escape(shown)}</pre>")
    for s in run.scores:
        mark = "&ndash;" if s.skipped else "✓" if s.passed else "✗"
        reason = f' <span class="reason">{escape(s.reason)}</span>' if s.reason else ""
        parts.append(f"<div>{mark} {escape(s.scorer)} {s.value:.2f}{reason}</div>")
    parts.append("</div>")
    return "".join(parts)


def _case_rows(report: EvalReport) -> str:
    scorers = report.scorers
    modes = any(case.mode for case in report.cases)
    head = "".join(f"<th>{escape(s)}</th>" for s in scorers) + "<th>latency</th><th>cost</th>"
    head += "<th>mode</th>" if modes else ""
    rows = [f"<table><thead><tr><th>case</th><th>status</th>{head}</tr></thead><tbody>"]
    for case in report.cases:
        cells = []
        for scorer in scorers:
            mean = case.mean_score(scorer)
            shown = "n/a" if mean is None else f"{mean:.2f}"
            cells.append(
                f'<td><span class="cell" style="background:{score_color(mean)}">{shown}</span></td>'
            )
        expected = []
        if case.inputs is not None:
            expected.append(f"<div>inputs</div><pre>{escape(_json(case.inputs))}</pre>")
        if case.expected_output is not None:
            expected.append(
                f"<div>expected output</div><pre>{escape(_json(case.expected_output))}</pre>"
            )
        if case.expected_tools is not None:
            expected.append(
                f"<div>expected tools</div><pre>{escape(_json(case.expected_tools))}</pre>"
            )
        tags = "".join(f' <span class="badge">{escape(t)}</span>' for t in case.tags)
        detail = "".join(expected) + "".join(_run_detail(r) for r in case.runs)
        rows.append(
            f"<tr><td><details><summary>{escape(case.name)}</summary>{detail}</details>{tags}</td>"
            f"<td>{_status(case)}</td>{''.join(cells)}"
            f'<td class="num">{format_seconds(case.mean_latency_s)}</td>'
            f'<td class="num">{format_cost(case.cost_usd)}</td>'
            + (f'<td class="mode">{escape(case.mode or "-")}</td>' if modes else "")
            + "</tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def render_report(report: EvalReport) -> str:
    """The report as one self-contained HTML page.

    Examples:
        >>> from agentkit.evals import EvalReport
        >>> page = render_report(EvalReport(name="smoke <1>"))
        >>> page.startswith("<!DOCTYPE html>"), "smoke &lt;1&gt;" in page, "<script" in page
        (True, True, False)
    """
    s = report.summary()
    rate_class = "pass" if s.runs and s.runs_passed == s.runs else "fail"
    latencies = [r.latency_s for r in report.runs if r.latency_s is not None]
    costs = [r.cost_usd for r in report.runs if r.cost_usd is not None]
    kpis = [
        ("pass rate", f"{s.pass_rate:.0%}"),
        ("cases passed", f"{s.cases_passed} / {s.cases}"),
        ("runs", f"{s.runs_passed} / {s.runs} passed"),
        ("errors", str(s.errors)),
        (
            "latency p50 · p95",
            f"{format_seconds(s.latency_p50_s)} · {format_seconds(s.latency_p95_s)}",
        ),
        ("cost", format_cost(s.cost_usd)),
        ("tokens in / out", f"{s.input_tokens:,} / {s.output_tokens:,}"),
    ]
    meta = [
        f"target <b>{escape(report.target or '-')}</b>",
        f"{report.started_at.isoformat(timespec='seconds')}",
        f"{report.repeats} repeat{'s' if report.repeats != 1 else ''} per case",
    ]
    if report.duration_s is not None:
        meta.append(f"took {format_seconds(report.duration_s)}")
    if report.offline:
        meta.append('<span class="badge">offline replay</span>')
    meta += [f"{escape(str(k))}: {escape(str(v))}" for k, v in report.metadata.items()]
    return "".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            f"<title>Eval: {escape(report.name)}</title><style>{_CSS}</style></head><body><main>",
            f"<header><h1>{escape(report.name)} ",
            f'<span class="badge {rate_class}">{s.pass_rate:.0%} pass</span></h1>',
            f"<p>{' · '.join(meta)}</p></header>",
            '<div class="kpis">',
            *(f"<div class='kpi'><span>{k}</span><b>{v}</b></div>" for k, v in kpis),
            "</div>",
            '<div class="grid">',
            f'<section class="card"><h2>Score per scorer</h2>{_scorer_chart(report)}</section>',
            f'<section class="card"><h2>Score per case</h2>{_case_chart(report)}</section>',
            '<section class="card"><h2>Latency per run</h2>',
            _distribution("latency", "Latency distribution", latencies, "latency"),
            "</section>",
            '<section class="card"><h2>Cost per run</h2>',
            _distribution("cost", "Cost distribution", costs, "cost"),
            "</section></div>",
            f'<section class="card"><h2>Cases</h2>{_case_rows(report)}</section>',
            f"<footer>agentkit {escape(report.agentkit_version or '')} · eval report schema "
            f"{report.schema_version}</footer>",
            "</main></body></html>\n",
        ]
    )
