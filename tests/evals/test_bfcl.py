"""The trajectory scorer over the BFCL ground truth: every correct answer accepted, systematic mistakes caught.

Each BFCL question comes with its functions and a ground truth: the calls to make, every argument with its list
of acceptable values (``""`` meaning "may be left out"). From each ground truth this test builds answers a model
could give. Correct ones: the first acceptable value of every argument; and the last acceptable value with every
optional argument left out and parallel calls in reverse order. Wrong ones, one systematic mistake each: another
function called, a required argument dropped, an argument of the wrong JSON type, an argument with a value of the
right type that the ground truth does not accept, an extra call, a call left out. Whether a mistake applies, and
which value is wrong, is decided from the ground truth alone (never by asking the scorer); when no argument of an
entry allows the mistake, the entry is counted as "not applicable" for it. The counts are the table in
docs/guide/evals.md, which this test keeps true.
"""

from __future__ import annotations

import copy
import gzip
import json
import runpy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentkit.evals import ExpectedCall, ObservedCall, TrajectoryMatch, bfcl_normalize

_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))

CATEGORIES = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "irrelevance",
)
PERTURBATIONS = (
    "wrong_function",
    "missing_required",
    "wrong_type",
    "wrong_value",
    "extra_call",
    "missing_call",
)
DOC = Path(__file__).resolve().parents[2] / "docs" / "guide" / "evals.md"
BEGIN, END = "<!-- bfcl-confusion:begin -->", "<!-- bfcl-confusion:end -->"


def _lines(relative: str) -> list[dict[str, Any]]:
    path = _fixtures["fixture"](relative)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _entries(category: str) -> list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]:
    """``(id, functions, ground_truth)`` per question; no ground truth (no call expected) for irrelevance."""
    name = f"BFCL_v4_{category}.json"
    questions = {
        q["id"]: q["function"]
        for q in _lines(f"bfcl/{name}" if category != "live_multiple" else f"bfcl/{name}.gz")
    }
    if category == "irrelevance":
        return [(qid, functions, []) for qid, functions in questions.items()]
    answers = _lines(f"bfcl/possible_answer/{name}")
    assert len(answers) == len(questions)
    return [(a["id"], questions[a["id"]], a["ground_truth"]) for a in answers]


# ----------------------------------------------------------------- answers built from the ground truth


def _value(values: list[Any], pick: int) -> tuple[bool, Any]:
    """``(present, value)``: one acceptable value of a BFCL list; ``""`` alone means "leave it out"."""
    present = [v for v in values if v != ""]
    if not present:
        return False, None
    return True, _concrete(present[pick if pick < 0 else 0])


def _concrete(value: Any) -> Any:
    """A BFCL acceptable value as a model would send it: nested dicts hold lists of acceptable values."""
    if isinstance(value, dict):
        out = {}
        for key, values in value.items():
            present, chosen = _value(values, 0) if isinstance(values, list) else (True, values)
            if present:
                out[key] = chosen
        return out
    if isinstance(value, list):
        return [_concrete(v) for v in value]
    return value


def _required(functions: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {f["name"]: set(f["parameters"].get("required", ())) for f in functions}


def _answer(
    truth: list[dict[str, Any]], *, variant: int, required: dict[str, set[str]] | None = None
) -> list[ObservedCall]:
    """A correct answer: variant 0 takes first values; variant 1 last values, optional ones left out, reversed.

    An argument the ground truth marks optional but the function's schema requires is kept: BFCL's checker
    requires it (see the guide).
    """
    calls = []
    for entry in truth:
        ((name, params),) = entry.items()
        arguments = {}
        for param, values in params.items():
            needed = param in (required or {}).get(name, ())
            if variant == 1 and "" in values and not needed:
                continue
            present, chosen = _value(values, 0 if variant == 0 else -1)
            if present:
                arguments[param] = chosen
            elif needed and values == [""]:
                arguments[param] = ""  # required by the schema, "" the only answer: BFCL accepts ""
        calls.append(ObservedCall(name=name, arguments=arguments))
    return calls if variant == 0 else calls[::-1]


def _same(a: Any, b: Any) -> bool:
    """Equal as the ground truth means it (strings after BFCL's normalisation, a bool never a number)."""
    if isinstance(a, str) and isinstance(b, str):
        return bfcl_normalize(a) == bfcl_normalize(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _unsatisfiable(params: Any) -> bool:
    """Whether a ground-truth argument (or a key nested in one) lists no acceptable value: ``[]``."""
    if isinstance(params, dict):
        return any(_unsatisfiable(values) for values in params.values())
    if isinstance(params, list):
        return not params or any(_unsatisfiable(v) for v in params if isinstance(v, dict))
    return False


def _unsatisfiable_entry(functions: list[dict[str, Any]], truth: list[dict[str, Any]]) -> bool:
    """An argument with no acceptable value (``[]``), or a required argument the ground truth never names."""
    required = _required(functions)
    for call in truth:
        ((name, params),) = call.items()
        if _unsatisfiable(params) or required.get(name, set()) - set(params):
            return True
    return False


_BFCL_TYPES = {"string": "string", "integer": "number", "float": "number", "number": "number",
               "boolean": "boolean", "array": "array", "tuple": "array", "dict": "object", "object": "object"}  # fmt: skip


def _schema_types(functions: list[dict[str, Any]], name: str, param: str) -> set[str]:
    """The JSON types the function's schema allows for a parameter (every type for ``any`` or none given)."""
    for function in functions:
        if function["name"] == name:
            declared = function["parameters"].get("properties", {}).get(param, {}).get("type")
            if declared in _BFCL_TYPES:
                return {_BFCL_TYPES[declared]}
    return {"string", "number", "boolean", "array", "object", "null"}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def _wrong_type(value: Any) -> Any:
    """The same content as another JSON type: a number or bool as text, text as a number, a list as text."""
    if isinstance(value, str):
        return 7
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value).lower()


def _wrong_value(value: Any) -> Any:
    """A value of the same type that differs: text changed, a number moved, a bool flipped, a list lengthened."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1009
    if isinstance(value, float):
        return value + 1009.5
    if isinstance(value, str):
        return value + " zq"
    if isinstance(value, list):
        return [*value, value[-1] if value else "zq"]
    return None  # a dict: its keys are checked one by one; not used as a whole


def _perturb(
    kind: str, functions: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> list[ObservedCall] | None:
    """The correct answer with one mistake of ``kind``, or ``None`` when the entry allows no such mistake."""
    calls = _answer(truth, variant=0, required=_required(functions))
    if kind == "extra_call":
        if calls:
            return [*calls, calls[0]]
        first = functions[0]
        return [ObservedCall(name=first["name"], arguments={})]
    if not calls:
        return None
    if kind == "missing_call":
        return calls[1:] if len(calls) > 1 else None
    if kind == "wrong_function":
        others = [f["name"] for f in functions if f["name"] != calls[0].name]
        name = others[0] if others else calls[0].name + "_v2"
        return [ObservedCall(name=name, arguments=calls[0].arguments), *calls[1:]]
    for index, (entry, call) in enumerate(zip(truth, calls, strict=True)):
        ((_, params),) = entry.items()
        for param, values in params.items():
            if param not in call.arguments:
                continue
            present = [v for v in values if v != ""]
            arguments = copy.deepcopy(call.arguments)
            if kind == "missing_required":
                if "" in values:
                    continue
                del arguments[param]
            else:
                change = _wrong_type if kind == "wrong_type" else _wrong_value
                new = change(arguments[param])
                if new is None:
                    continue
                if kind == "wrong_type" and _json_type(new) in {
                    *(_json_type(v) for v in present),
                    *_schema_types(functions, call.name, param),
                }:
                    continue  # another acceptable value, or the schema, already allows that type
                if kind == "wrong_value" and any(_same(new, _concrete(v)) for v in present):
                    continue
                arguments[param] = new
            changed = ObservedCall(name=call.name, arguments=arguments)
            return [*calls[:index], changed, *calls[index + 1 :]]
    return None


# ------------------------------------------------------------------------------------------- the check


def _confusion() -> dict[str, dict[str, Counter[str]]]:
    """Per category: accepted/rejected correct answers, caught/missed/not applicable per perturbation."""
    table: dict[str, dict[str, Counter[str]]] = {}
    for category in CATEGORIES:
        counts: dict[str, Counter[str]] = {"correct": Counter()} | {
            k: Counter() for k in PERTURBATIONS
        }
        for _qid, functions, truth in _entries(category):
            scorer = TrajectoryMatch(order="any", tools=functions)
            expected = [ExpectedCall.from_bfcl(call) for call in truth]
            if _unsatisfiable_entry(functions, truth):
                # No answer passes, in BFCL's checker or ours: see _unsatisfiable_entry.
                answer = _answer(truth, variant=0)
                counts["correct"]["unsatisfiable"] += 1
                counts["correct"]["unsatisfiable accepted"] += scorer.compare(
                    expected, answer
                ).passed
                for kind in PERTURBATIONS:
                    counts[kind]["n/a"] += 1
                continue
            variants = (0,) if not truth else (0, 1)
            for variant in variants:
                answer = _answer(truth, variant=variant, required=_required(functions))
                passed = scorer.compare(expected, answer).passed
                counts["correct"]["accepted" if passed else "rejected"] += 1
            for kind in PERTURBATIONS:
                wrong = _perturb(kind, functions, truth)
                if wrong is None:
                    counts[kind]["n/a"] += 1
                    continue
                score = scorer.compare(expected, wrong)
                counts[kind]["missed" if score.passed else "caught"] += 1
                if not score.passed:
                    counts[kind][f"kind:{score.details['kinds'][0]}"] += 1
        table[category] = counts
    return table


def _markdown(table: dict[str, dict[str, Counter[str]]]) -> str:
    head = "| category | correct answers: accepted / rejected | unsatisfiable | " + " | ".join(
        f"{k.replace('_', ' ')}: caught / missed (n/a)" for k in PERTURBATIONS
    )
    rows = [head + " |", "|" + "---|" * (len(PERTURBATIONS) + 3)]
    total: dict[str, Counter[str]] = {k: Counter() for k in ("correct", *PERTURBATIONS)}
    for category, counts in [*table.items(), ("**all**", total)]:
        correct = counts["correct"]
        cells = [f"{correct['accepted']} / {correct['rejected']}", str(correct["unsatisfiable"])]
        for kind in PERTURBATIONS:
            c = counts[kind]
            cells.append(f"{c['caught']} / {c['missed']} ({c['n/a']})")
        rows.append(f"| {category} | " + " | ".join(cells) + " |")
        if category != "**all**":
            for key, counter in counts.items():
                total[key].update(counter)
    return "\n".join(rows)


@pytest.fixture(scope="module")
def confusion() -> dict[str, dict[str, Counter[str]]]:
    return _confusion()


def test_every_correct_answer_is_accepted(confusion: dict[str, dict[str, Counter[str]]]) -> None:
    """Both correct answers built from each BFCL ground truth pass, in every category."""
    for category, counts in confusion.items():
        assert counts["correct"]["rejected"] == 0, category
        assert counts["correct"]["accepted"] > 0, category
    unsatisfiable = sum(c["correct"]["unsatisfiable"] for c in confusion.values())
    assert unsatisfiable == 3  # live_simple_106-63-0, live_simple_112-68-0, live_multiple_964-207-0
    assert sum(c["correct"]["unsatisfiable accepted"] for c in confusion.values()) == 0
    assert sum(c["correct"]["accepted"] for c in confusion.values()) == 2 * (2351 - 3) + 240


def test_every_applicable_perturbation_is_caught_as_what_it_is(
    confusion: dict[str, dict[str, Counter[str]]],
) -> None:
    """Each systematic mistake fails the scorer, and the scorer names the mistake it made."""
    names = {
        "wrong_function": "wrong_function",
        "missing_required": "missing_argument",
        "wrong_type": "wrong_type",
        "wrong_value": "wrong_value",
        "extra_call": "extra_call",
        "missing_call": "missing_call",
    }
    for category, counts in confusion.items():
        for kind in PERTURBATIONS:
            assert counts[kind]["missed"] == 0, (category, kind)
            assert counts[kind][f"kind:{names[kind]}"] == counts[kind]["caught"], (category, kind)
    assert sum(c["wrong_type"]["caught"] for c in confusion.values()) > 2000


def test_the_confusion_table_in_the_guide_is_current(
    confusion: dict[str, dict[str, Counter[str]]],
) -> None:
    """docs/guide/evals.md shows the counts this test measures (paste the table below when it changes)."""
    text = DOC.read_text(encoding="utf-8")
    table = _markdown(confusion)
    assert BEGIN in text, f"the guide lacks the {BEGIN} marker"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == table, "update docs/guide/evals.md with:\n" + table
