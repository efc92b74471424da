"""A deterministic registry of 1,000 distinct, realistic tool functions for the dialect-export benchmark.

The functions are generated as Python *source* from a fixed seed and executed into a real module
(``_bench_manytools_gen``), so every contender sees ordinary functions with real annotations, defaults and Google
docstrings, exactly as if a user had written them. Each tool has 2 to 12 parameters drawn from: scalars (``str``,
``int``, ``float``, ``bool``, ``date``, ``datetime``), ``Literal`` and ``enum.Enum`` choices, constrained
``Annotated[..., Field(...)]`` values, optional fields (``T | None = None``), defaults, ``list[...]`` and
``dict[str, ...]`` maps, and nested pydantic models (shared across tools, some two levels deep, some with lists of
models or maps of models inside).

Like ``_tool.py``, the generated module does not use ``from __future__ import annotations``: real annotation
objects keep the comparison about export, not about string resolution.
"""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ("SEED", "ToolSpec", "generate", "load")

SEED = 20261124
MODULE_NAME = "_bench_manytools_gen"

_DOMAINS = (
    "crm", "billing", "travel", "calendar", "repo", "files", "weather", "inventory", "analytics", "support",
    "hr", "shipping", "payments", "marketing", "search", "iot", "media", "legal", "devops", "finance",
)  # fmt: skip
_VERBS = (
    "get", "list", "create", "update", "delete", "search", "cancel", "archive", "export", "sync", "schedule",
    "approve", "reject", "assign", "merge", "refund", "estimate", "summarize", "tag", "restore",
)  # fmt: skip
_NOUNS = (
    "invoice", "customer", "ticket", "order", "shipment", "flight", "hotel", "event", "repository", "issue",
    "document", "report", "user", "product", "campaign", "contract", "device", "playlist", "payment", "alert",
    "deployment", "budget", "employee", "warehouse", "subscription", "lead", "forecast", "dashboard",
)  # fmt: skip
_QUALIFIERS = ("", "", "", "_by_id", "_batch", "_summary", "_details", "_history", "_status", "_bulk")  # fmt: skip
_FIELD_WORDS = (
    "name", "title", "query", "email", "phone", "city", "country", "region", "amount", "currency", "start",
    "end", "limit", "offset", "page", "status", "priority", "owner", "team", "notes", "label", "color", "size",
    "weight", "quantity", "price", "discount", "reason", "comment", "language", "timezone", "source", "target",
    "channel", "category", "version", "branch", "path", "url", "code", "reference", "budget", "score", "rating",
    "threshold", "interval", "window", "metric", "dimension", "filter", "sort", "cursor", "locale", "account",
)  # fmt: skip
_ENUMS = {
    "Priority": ("low", "normal", "high", "urgent"),
    "Status": ("draft", "open", "pending", "closed", "archived"),
    "Currency": ("EUR", "USD", "GBP", "JPY", "CHF"),
    "Region": ("eu-west", "eu-central", "us-east", "us-west", "ap-south"),
    "Visibility": ("private", "internal", "public"),
    "Unit": ("metric", "imperial"),
}
_LITERALS = (
    ("asc", "desc"),
    ("json", "csv", "xlsx"),
    ("economy", "premium", "business", "first"),
    ("day", "week", "month", "quarter", "year"),
    ("email", "sms", "push"),
    ("draft", "final"),
)


@dataclass(frozen=True)
class ToolSpec:
    """One generated tool: its function, its registry namespace and its parameter count."""

    func: Callable[..., Any]
    namespace: str
    n_params: int


def _scalar(rng: random.Random) -> tuple[str, str | None]:
    """A scalar annotation and, sometimes, a default (as source text)."""
    kind = rng.randrange(12)
    if kind == 0:
        return "int", str(rng.randrange(1, 50))
    if kind == 1:
        return "float", None
    if kind == 2:
        return "bool", rng.choice(("True", "False"))
    if kind == 3:
        return "dt.date", None
    if kind == 4:
        return "dt.datetime | None", "None"
    if kind == 5:
        lo, hi = rng.randrange(0, 5), rng.randrange(50, 1000)
        return f"Annotated[int, Field(ge={lo}, le={hi})]", str(lo + 10)
    if kind == 6:
        return f"Annotated[str, Field(min_length=1, max_length={rng.randrange(16, 300)})]", None
    if kind == 7:
        return 'Annotated[str, Field(pattern=r"^[A-Z]{2}-[0-9]{4}$")]', None
    if kind == 8:
        values = rng.choice(_LITERALS)
        return "Literal[" + ", ".join(repr(v) for v in values) + "]", repr(values[0])
    if kind == 9:
        name = rng.choice(tuple(_ENUMS))
        return name, None
    if kind == 10:
        return "str | None", "None"
    return "str", None


def _models_source(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    """Source of ``count`` nested models (later ones may embed earlier ones) and their names."""
    lines: list[str] = []
    names: list[str] = []
    for i in range(count):
        noun = _NOUNS[i % len(_NOUNS)].capitalize()
        name = f"{noun}{rng.choice(('Info', 'Spec', 'Ref', 'Details', 'Input', 'Filter'))}{i}"
        lines.append(f"class {name}(BaseModel):")
        lines.append(f'    """A {noun.lower()} as the API sees it ({i})."""')
        if rng.random() < 0.5:
            lines.append('    model_config = ConfigDict(extra="forbid")')
        used: set[str] = set()
        for _ in range(rng.randrange(2, 7)):
            field = rng.choice(_FIELD_WORDS)
            if field in used:
                continue
            used.add(field)
            roll = rng.random()
            if names and roll < 0.15:
                ref = rng.choice(names[-20:])
                annotation, default = (
                    (f"{ref} | None", "None") if rng.random() < 0.5 else (ref, None)
                )
            elif names and roll < 0.22:
                annotation, default = f"list[{rng.choice(names[-20:])}]", None
            elif roll < 0.30:
                annotation, default = "dict[str, int]", None
            elif roll < 0.36:
                annotation, default = "list[str]", None
            else:
                annotation, default = _scalar(rng)
            described = f'Field(description="The {field} of the {noun.lower()}.")'
            if default is None and rng.random() < 0.4:
                lines.append(f"    {field}: {annotation} = {described}")
            elif default is None:
                lines.append(f"    {field}: {annotation}")
            else:
                lines.append(f"    {field}: {annotation} = {default}")
        if not used:
            lines.append("    id: str")
        lines.append("")
        lines.append("")
        names.append(name)
    return lines, names


def _param(rng: random.Random, models: list[str]) -> tuple[str, str | None]:
    roll = rng.random()
    if roll < 0.16:
        return rng.choice(models), None
    if roll < 0.22:
        return f"{rng.choice(models)} | None", "None"
    if roll < 0.28:
        return f"list[{rng.choice(models)}]", None
    if roll < 0.33:
        return rng.choice(("dict[str, int]", "dict[str, str]", "dict[str, float]")), None
    if roll < 0.35:
        return f"dict[str, {rng.choice(models)}]", None
    if roll < 0.42:
        return rng.choice(("list[str]", "list[int]", "list[str] | None")), None
    return _scalar(rng)


def generate(count: int = 1000, *, seed: int = SEED, n_models: int = 120) -> tuple[str, list[str]]:
    """The generated module's source and, in order, ``namespace:function`` of each tool."""
    rng = random.Random(seed)
    out = [
        '"""Generated by benchmarks/_manytools.py; do not edit."""',
        "",
        "import datetime as dt",
        "import enum",
        "from typing import Annotated, Any, Literal",
        "",
        "from pydantic import BaseModel, ConfigDict, Field",
        "",
        "",
    ]
    for enum_name, values in _ENUMS.items():
        out.append(f"class {enum_name}(str, enum.Enum):")
        out.append(f'    """{enum_name} choices."""')
        out.extend(f"    {v.upper().replace('-', '_')} = {v!r}" for v in values)
        out.extend(["", ""])
    model_lines, models = _models_source(rng, n_models)
    out.extend(model_lines)
    seen: set[str] = set()
    index: list[str] = []
    while len(index) < count:
        domain = rng.choice(_DOMAINS)
        name = f"{rng.choice(_VERBS)}_{rng.choice(_NOUNS)}{rng.choice(_QUALIFIERS)}"
        fq = f"{domain}_{name}"
        if fq in seen:
            continue
        seen.add(fq)
        n_params = rng.randrange(2, 13)
        params: list[tuple[str, str, str | None]] = []
        used: set[str] = set()
        while len(params) < n_params:
            field = rng.choice(_FIELD_WORDS)
            if field in used:
                field = f"{field}_{len(params)}"
            used.add(field)
            annotation, default = _param(rng, models)
            if default is None and rng.random() < 0.25 and annotation in ("str", "int", "bool"):
                default = {"str": '""', "int": "0", "bool": "False"}[annotation]
            params.append((field, annotation, default))
        params.sort(key=lambda p: p[2] is not None)  # required first
        signature = ", ".join(f"{f}: {a}" if d is None else f"{f}: {a} = {d}" for f, a, d in params)
        returns = rng.choice(
            ("str", "dict[str, Any]", rng.choice(models), f"list[{rng.choice(models)}]")
        )
        is_async = rng.random() < 0.5
        noun = name.split("_", 1)[1].replace("_", " ")
        out.append(f"{'async ' if is_async else ''}def {fq}({signature}) -> {returns}:")
        out.append(f'    """{name.split("_")[0].capitalize()} {noun} in {domain}.')
        out.append("")
        out.append("    Args:")
        out.extend(
            f"        {f}: The {f.replace('_', ' ')} to use for this {noun}." for f, _, _ in params
        )
        out.append('    """')
        out.append("    raise NotImplementedError")
        out.extend(["", ""])
        index.append(f"{domain}:{fq}")
    return "\n".join(out), index


def load(count: int = 1000, *, seed: int = SEED) -> list[ToolSpec]:
    """Generate the tools, execute them into the module ``_bench_manytools_gen`` and return them in order."""
    source, index = generate(count, seed=seed)
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = f"<{MODULE_NAME}>"
    sys.modules[MODULE_NAME] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    specs = []
    for entry in index:
        namespace, fname = entry.split(":")
        func = module.__dict__[fname]
        specs.append(ToolSpec(func, namespace, func.__code__.co_argcount))
    return specs
