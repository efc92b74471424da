"""`TrajectoryMatch`: the model called the expected tools with acceptable arguments, in the style of BFCL's checker.

The rules follow the Berkeley Function Calling Leaderboard's AST checker:

- the function name must match exactly;
- every expected argument must be there unless it is optional; an argument the case does not list is unexpected;
- types are checked before values: a string never matches a number, a bool is never an integer; an ``int`` is
  accepted where a float is expected (the pattern is a float, or the tool's schema says ``number``/``float``),
  never the other way round; tuples are lists;
- a string matches after BFCL's normalisation (spaces and ``,./-_*^`` removed, lower case, ``'`` as ``"``);
- an argument may list several acceptable values (``one_of``); dicts match key by key (their keys may be
  optional too) and lists element by element;
- parallel calls (a ``group``, or ``order="any"``) match in any order, each observed call used once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from agentkit.evals._case import ExpectedCall, TrajectoryOptions
from agentkit.evals._scorers import Score
from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit.evals._case import Case
    from agentkit.evals._outcome import CaseOutcome, ObservedCall
    from agentkit.tools import ToolContract

__all__ = ("Mismatch", "MismatchKind", "TrajectoryMatch", "bfcl_normalize")

MismatchKind = Literal[
    "wrong_function",
    "missing_argument",
    "unexpected_argument",
    "wrong_type",
    "wrong_value",
    "invalid_arguments",
    "missing_call",
    "extra_call",
    "wrong_order",
]
"""What is wrong with a call: the kinds a `Mismatch` reports."""


@dataclass(frozen=True)
class Mismatch:
    """One reason an observed call does not match an expected one.

    Attributes:
        kind: What is wrong (see `MismatchKind`).
        message: The reason, for a person.
        path: Where: the argument (dotted for nested fields, ``[i]`` for list items), empty for the whole call.

    Examples:
        >>> from agentkit.evals import Mismatch
        >>> Mismatch("wrong_value", "city: 'Lyon' is not 'Paris'", "city").kind
        'wrong_value'
    """

    kind: MismatchKind
    message: str
    path: str = ""


_BFCL_STRIP = re.compile(r"[ ,./\-_*^]")


def bfcl_normalize(text: str) -> str:
    """A string as BFCL's checker compares it: spaces and ``,./-_*^`` removed, lower case, ``'`` as ``"``.

    Examples:
        >>> from agentkit.evals import bfcl_normalize
        >>> bfcl_normalize("San Francisco, CA") == bfcl_normalize("san-francisco ca")
        True
    """
    return _BFCL_STRIP.sub("", text).lower().replace("'", '"')


# ------------------------------------------------------------------------------------------- schemas

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "float": (int, float),  # BFCL's dialect: an int is accepted for a float
    "boolean": (bool,),
    "array": (list, tuple),
    "tuple": (list, tuple),
    "object": (dict,),
    "dict": (dict,),
    "null": (type(None),),
}


def _resolve(schema: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with a local ``$ref`` followed (a few hops at most)."""
    for _ in range(8):
        if not isinstance(schema, Mapping):
            return {}
        ref = schema.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/")):
            return schema
        target: Any = root
        for key in ref[2:].split("/"):
            target = target.get(key, {}) if isinstance(target, Mapping) else {}
        schema = target
    return {}  # pragma: no cover - a reference cycle: check nothing rather than loop


def _allowed(schema: Mapping[str, Any], root: Mapping[str, Any]) -> tuple[type, ...] | None:
    """The Python types a schema accepts, or ``None`` when it does not say (``any``, no type)."""
    schema = _resolve(schema, root)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(branches, list):
        found: list[type] = []
        for branch in branches:
            types = _allowed(branch, root)
            if types is None:
                return None
            found.extend(types)
        return tuple(found)
    declared = schema.get("type")
    names = declared if isinstance(declared, list) else [declared]
    found = []
    for name in names:
        types = _JSON_TYPES.get(name) if isinstance(name, str) else None
        if types is None:
            return None
        found.extend(types)
    return tuple(found)


def _child(
    schema: Mapping[str, Any] | None, root: Mapping[str, Any], key: str | int
) -> Mapping[str, Any] | None:
    """The schema of a property (``key`` a name) or of a list item (``key`` an index)."""
    if schema is None:
        return None
    schema = _resolve(schema, root)
    for branch in schema.get("anyOf") or schema.get("oneOf") or ():
        found = _child(branch, root, key)
        if found is not None:
            return found
    if isinstance(key, int):
        items = schema.get("items")
        if isinstance(items, list):  # a tuple, old style
            return _resolve(items[key], root) if key < len(items) else None
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and key < len(prefix):
            return _resolve(prefix[key], root)
        return _resolve(items, root) if isinstance(items, Mapping) else None
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and key in properties:
        return _resolve(properties[key], root)
    return None


@dataclass(frozen=True)
class _ToolSchema:
    schema: Mapping[str, Any]

    @property
    def properties(self) -> Mapping[str, Any]:
        found = _resolve(self.schema, self.schema).get("properties")
        return found if isinstance(found, Mapping) else {}

    @property
    def required(self) -> frozenset[str]:
        found = _resolve(self.schema, self.schema).get("required")
        return frozenset(found) if isinstance(found, list) else frozenset()


def _tool_schema(tool: ToolContract | Mapping[str, Any]) -> tuple[str, _ToolSchema]:
    if isinstance(tool, Mapping):
        name = tool.get("name")
        schema = tool.get("parameters", tool.get("input_schema", tool.get("inputSchema")))
        if not isinstance(name, str) or not isinstance(schema, Mapping):
            raise UsageError(
                "a tool definition is a ToolContract or a mapping with 'name' and 'parameters' (or 'input_schema'), "
                f"got keys {sorted(tool)!r}"
            )
        return name, _ToolSchema(schema)
    return tool.name, _ToolSchema(tool.input_schema)


# ------------------------------------------------------------------------------------------ matching


def _is_marker(pattern: Any, key: str) -> bool:
    return isinstance(pattern, Mapping) and len(pattern) == 1 and key in pattern


def _optional(pattern: Any) -> tuple[bool, Any]:
    if _is_marker(pattern, "$optional"):
        return True, pattern["$optional"]
    return False, pattern


def _type_name(value: Any) -> str:
    return {
        dict: "object",
        list: "array",
        tuple: "array",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class _Matcher:
    normalize_strings: bool
    extra_arguments: bool

    def value(
        self,
        pattern: Any,
        value: Any,
        path: str,
        schema: Mapping[str, Any] | None,
        root: Mapping[str, Any],
    ) -> list[Mismatch]:
        """What is wrong with ``value`` against ``pattern`` (nothing when it matches)."""
        if _is_marker(pattern, "$any"):
            return []
        if _is_marker(pattern, "$optional"):
            return self.value(pattern["$optional"], value, path, schema, root)
        if _is_marker(pattern, "$one_of"):
            alternatives = pattern["$one_of"]
            if not alternatives:
                return [
                    Mismatch(
                        "wrong_value",
                        f"{path}: no value is acceptable (the pattern lists none)",
                        path,
                    )
                ]
            tried = [self.value(alt, value, path, schema, root) for alt in alternatives]
            if any(not problems for problems in tried):
                return []
            if len(tried) == 1:
                return tried[0]
            if all(
                problems and all(p.kind == "wrong_type" for p in problems) for problems in tried
            ):
                return [
                    Mismatch(
                        "wrong_type",
                        f"{path}: {_type_name(value)} {_show(value)} has none of the "
                        "acceptable types",
                        path,
                    )
                ]
            shown = ", ".join(_show(a, 30) for a in alternatives[:5]) + (
                ", …" if len(alternatives) > 5 else ""
            )
            return [
                Mismatch(
                    "wrong_value",
                    f"{path}: {_show(value)} is not one of the acceptable values [{shown}]",
                    path,
                )
            ]
        types = _allowed(schema, root) if schema is not None else None
        if types is not None and not _instance(value, types) and _kind(value) == _kind(pattern):
            # BFCL's rule: a value of the expected answer's own type passes whatever the schema says (the
            # ground truth wins; BFCL reads such a value as a variable the model named).
            types = None
        if types is not None and not _instance(value, types):
            names = "/".join(sorted({_type_name_of(t) for t in types}))
            return [
                Mismatch(
                    "wrong_type",
                    f"{path}: expected {names}, got {_type_name(value)} {_show(value)}",
                    path,
                )
            ]
        if isinstance(pattern, Mapping):
            if not isinstance(value, Mapping):
                return [
                    Mismatch(
                        "wrong_type",
                        f"{path}: expected an object, got {_type_name(value)} {_show(value)}",
                        path,
                    )
                ]
            return self.mapping(
                pattern, value, path, schema, root, optional=frozenset(), required=frozenset()
            )
        if isinstance(pattern, list | tuple):
            if not isinstance(value, list | tuple):
                return [
                    Mismatch(
                        "wrong_type",
                        f"{path}: expected an array, got {_type_name(value)} {_show(value)}",
                        path,
                    )
                ]
            if len(value) != len(pattern):
                return [
                    Mismatch(
                        "wrong_value",
                        f"{path}: expected {len(pattern)} items, got {len(value)}",
                        path,
                    )
                ]
            problems: list[Mismatch] = []
            for index, (want, have) in enumerate(zip(pattern, value, strict=True)):
                problems += self.value(
                    want, have, f"{path}[{index}]", _child(schema, root, index), root
                )
            return problems
        return self.scalar(pattern, value, path, typed=types is not None)

    def scalar(self, pattern: Any, value: Any, path: str, *, typed: bool) -> list[Mismatch]:
        """Compare a plain value; ``typed``: the tool's schema already checked its type (its rules win)."""
        if typed:
            ok_type = True
        elif isinstance(pattern, bool) or pattern is None:
            ok_type = isinstance(value, bool) if isinstance(pattern, bool) else value is None
        elif isinstance(pattern, float):
            ok_type = isinstance(value, int | float) and not isinstance(value, bool)
        elif isinstance(pattern, int):
            ok_type = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(pattern, str):
            ok_type = isinstance(value, str)
        else:
            ok_type = True
        if not ok_type:
            return [
                Mismatch(
                    "wrong_type",
                    f"{path}: expected {_type_name(pattern)}, got {_type_name(value)} "
                    f"{_show(value)}",
                    path,
                )
            ]
        if isinstance(pattern, str) and isinstance(value, str) and self.normalize_strings:
            same = bfcl_normalize(pattern) == bfcl_normalize(value)
        else:
            same = bool(pattern == value)
        if same:
            return []
        return [
            Mismatch("wrong_value", f"{path}: expected {_show(pattern)}, got {_show(value)}", path)
        ]

    def mapping(
        self,
        pattern: Mapping[str, Any],
        value: Mapping[str, Any],
        path: str,
        schema: Mapping[str, Any] | None,
        root: Mapping[str, Any],
        *,
        optional: frozenset[str],
        required: frozenset[str],
    ) -> list[Mismatch]:
        problems: list[Mismatch] = []
        prefix = f"{path}." if path else ""
        for key, want in pattern.items():
            where = f"{prefix}{key}"
            is_optional, inner = _optional(want)
            if key not in value:
                if (is_optional or key in optional) and key not in required:
                    continue
                kind: MismatchKind = "missing_argument"
                problems.append(Mismatch(kind, f"{where}: required but missing", where))
                continue
            problems += self.value(inner, value[key], where, _child(schema, root, key), root)
        for key in required - set(pattern):
            if key not in value:
                problems.append(
                    Mismatch(
                        "missing_argument",
                        f"{prefix}{key}: required by the tool but missing",
                        f"{prefix}{key}",
                    )
                )
        for key in value:
            if key in pattern:
                continue
            where = f"{prefix}{key}"
            known = schema is not None and _child(schema, root, key) is not None
            if self.extra_arguments and (schema is None or known):
                continue
            problems.append(Mismatch("unexpected_argument", f"{where}: not expected", where))
        return problems


def _kind(value: Any) -> str:
    """The JSON type of a value, an int and a float both being numbers."""
    name = _type_name(value)
    return "number" if name == "integer" else name


def _instance(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _type_name_of(kind: type) -> str:
    return {
        dict: "object",
        list: "array",
        tuple: "array",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        type(None): "null",
    }.get(kind, kind.__name__)


def _matching(edges: Sequence[Sequence[int]], size: int) -> dict[int, int]:
    """A maximum matching of left nodes to right nodes (Kuhn's augmenting paths): ``{left: right}``."""
    owner: dict[int, int] = {}

    def augment(left: int, seen: set[int]) -> bool:
        for right in edges[left]:
            if right in seen:
                continue
            seen.add(right)
            if right not in owner or augment(owner[right], seen):
                owner[right] = left
                return True
        return False

    for left in range(size):
        augment(left, set())
    return {left: right for right, left in owner.items()}


class TrajectoryMatch:
    """The model made the expected tool calls with acceptable arguments (BFCL's AST-checker rules; see the module).

    The value is the share of calls that match: matched calls over the expected ones (over the observed ones too,
    when there are more of them and extra calls are not allowed). The case passes when every expected call is
    matched and no unexpected call was made. A case with ``expected_tools=[]`` expects no call at all; one with
    ``expected_tools=None`` is skipped.

    Args:
        order: ``"strict"`` (in order; calls sharing a ``group`` in any order) or ``"any"``.
        extra_calls: Allow calls the case does not expect.
        extra_arguments: Allow arguments the expected call does not list (when tool schemas are given, only those
            the tool declares).
        normalize_strings: Compare strings after BFCL's normalisation (`bfcl_normalize`); exactly otherwise.
        tools: The tools' definitions (`ToolContract`, or ``{"name", "parameters"}`` mappings as OpenAI and BFCL
            write them): their schemas add the type rules (``number`` accepts an int, ``integer`` does not accept
            a float) and their required arguments. A case's own ``trajectory`` options override the first three.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, ExpectedCall, ObservedCall, TrajectoryMatch, one_of
        >>> case = Case(name="weather", inputs="Weather in Paris and Lyon?", expected_tools=[
        ...     ExpectedCall(name="weather", arguments={"city": "Paris", "unit": one_of("C", "celsius")},
        ...                  optional=["unit"], group="cities"),
        ...     ExpectedCall(name="weather", arguments={"city": "Lyon"}, group="cities")])
        >>> outcome = CaseOutcome(tool_calls=[ObservedCall(name="weather", arguments={"city": "lyon"}),
        ...                                   ObservedCall(name="weather", arguments={"city": "Paris", "unit": "C"})])
        >>> anyio.run(TrajectoryMatch().score, case, outcome).passed
        True
        >>> outcome = CaseOutcome(tool_calls=[ObservedCall(name="weather", arguments={"city": "Paris", "unit": "F"}),
        ...                                   ObservedCall(name="weather", arguments={"city": "Lyon"})])
        >>> score = anyio.run(TrajectoryMatch().score, case, outcome)
        >>> score.value, score.reason
        (0.5, "expected call 1 (weather): unit: 'F' is not one of the acceptable values ['C', 'celsius']")
    """

    name = "trajectory"

    def __init__(
        self,
        *,
        order: Literal["strict", "any"] = "strict",
        extra_calls: bool = False,
        extra_arguments: bool = False,
        normalize_strings: bool = True,
        tools: Iterable[ToolContract | Mapping[str, Any]] = (),
    ) -> None:
        self.options = TrajectoryOptions(
            order=order, extra_calls=extra_calls, extra_arguments=extra_arguments
        )
        self.normalize_strings = normalize_strings
        self.schemas: dict[str, _ToolSchema] = dict(_tool_schema(tool) for tool in tools)

    def check_call(
        self, expected: ExpectedCall, observed: ObservedCall, *, extra_arguments: bool | None = None
    ) -> list[Mismatch]:
        """What is wrong with ``observed`` as the call ``expected`` (an empty list when it matches).

        Examples:
            >>> from agentkit.evals import ExpectedCall, ObservedCall, TrajectoryMatch
            >>> [m.kind for m in TrajectoryMatch().check_call(
            ...     ExpectedCall(name="add", arguments={"a": 2.0, "b": 2}),
            ...     ObservedCall(name="add", arguments={"a": 2, "b": "2"}))]
            ['wrong_type']
        """
        if observed.name != expected.name:
            return [
                Mismatch("wrong_function", f"called {observed.name!r} instead of {expected.name!r}")
            ]
        if observed.raw_arguments is not None:
            return [
                Mismatch(
                    "invalid_arguments",
                    f"the arguments are not a JSON object: {_show(observed.raw_arguments)}",
                )
            ]
        allow = self.options.extra_arguments if extra_arguments is None else extra_arguments
        matcher = _Matcher(normalize_strings=self.normalize_strings, extra_arguments=allow)
        tool = self.schemas.get(expected.name)
        schema = tool.schema if tool is not None else None
        return matcher.mapping(
            expected.arguments,
            observed.arguments,
            "",
            schema,
            schema or {},
            optional=frozenset(expected.optional),
            required=tool.required if tool is not None else frozenset(),
        )

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Compare the outcome's tool calls with ``case.expected_tools``."""
        if case.expected_tools is None:
            return Score.skip(self.name, "the case expects no particular tool calls")
        return self.compare(case.expected_tools, outcome.tool_calls, case.trajectory)

    def compare(
        self,
        expected: Sequence[ExpectedCall],
        observed: Sequence[ObservedCall],
        options: TrajectoryOptions | None = None,
    ) -> Score:
        """Score ``observed`` calls against ``expected`` ones (what `score` does, without a case).

        Examples:
            >>> from agentkit.evals import ExpectedCall, ObservedCall, TrajectoryMatch
            >>> score = TrajectoryMatch().compare([ExpectedCall(name="a")], [ObservedCall(name="a"),
            ...                                                               ObservedCall(name="b")])
            >>> score.passed, score.details["kinds"]
            (False, ['extra_call'])
        """
        opts = options or self.options
        problems = [
            [self.check_call(want, have, extra_arguments=opts.extra_arguments) for have in observed]
            for want in expected
        ]
        edges = [[j for j, found in enumerate(row) if not found] for row in problems]
        assigned = (
            _matching(edges, len(expected))
            if opts.order == "any"
            else self._in_order(expected, edges, len(observed), opts.extra_calls)
        )
        used = set(assigned.values())
        mismatches: list[dict[str, Any]] = []
        reasons: list[str] = []
        kinds: set[str] = set()
        claimed: set[int] = set()
        for i, want in enumerate(expected):
            if i in assigned:
                continue
            free = [j for j in range(len(observed)) if j not in used and j not in claimed]
            closest: int | None = None
            if not free:
                found = [Mismatch("missing_call", f"no call to {want.name!r} was made")]
            else:
                # The closest unused call is this expected call gone wrong, not an extra call as well.
                closest = min(free, key=lambda j: (_rank(problems[i][j]), j))
                claimed.add(closest)
                found = problems[i][closest] or [
                    Mismatch("wrong_order", f"the call to {want.name!r} came out of order")
                ]
            kinds.update(m.kind for m in found)
            mismatches.append(
                {
                    "expected": i,
                    "name": want.name,
                    "closest": closest,
                    "problems": [
                        {"kind": m.kind, "path": m.path, "message": m.message} for m in found
                    ],
                }
            )
            reasons.append(
                f"expected call {i + 1} ({want.name}): " + "; ".join(m.message for m in found[:2])
            )
        extra = [j for j in range(len(observed)) if j not in used and j not in claimed]
        if extra and not opts.extra_calls:
            kinds.add("extra_call")
            reasons.append(
                "unexpected call"
                + ("s" if len(extra) > 1 else "")
                + ": "
                + ", ".join(observed[j].name for j in extra)
            )
        total = len(expected) if opts.extra_calls else max(len(expected), len(observed))
        value = len(assigned) / total if total else 1.0
        passed = len(assigned) == len(expected) and (opts.extra_calls or not extra)
        if passed:
            reason = (
                f"all {len(expected)} expected calls made"
                if expected
                else "no call expected, none made"
            )
        else:
            reason = "; ".join(reasons[:3]) + ("; …" if len(reasons) > 3 else "")
        return Score(
            scorer=self.name,
            value=value,
            passed=passed,
            reason=reason,
            details={
                "matched": sorted([i, j] for i, j in assigned.items()),
                "mismatches": mismatches,
                "extra_calls": extra,
                "kinds": sorted(kinds),
            },
        )

    @staticmethod
    def _in_order(
        expected: Sequence[ExpectedCall],
        edges: Sequence[Sequence[int]],
        observed: int,
        extra_calls: bool,
    ) -> dict[int, int]:
        """Match group by group, in order: each group's calls among the next observed calls, in any order."""
        segments: list[list[int]] = []
        for i, want in enumerate(expected):
            if (
                segments
                and want.group is not None
                and expected[segments[-1][0]].group == want.group
            ):
                segments[-1].append(i)
            else:
                segments.append([i])
        assigned: dict[int, int] = {}
        position = 0
        for segment in segments:
            ends = (
                range(position + len(segment), observed + 1)
                if extra_calls
                else [position + len(segment)]
            )
            best: dict[int, int] = {}
            for end in ends:
                window = range(position, min(end, observed))
                local = [[j for j in edges[i] if j in window] for i in segment]
                found = _matching(local, len(segment))
                if len(found) > len(best):
                    best = found
                if len(found) == len(segment):
                    break
            for k, j in best.items():
                assigned[segment[k]] = j
            if extra_calls:
                position = max(best.values()) + 1 if best else position
            else:
                position += len(segment)
        return assigned


def _rank(problems: Sequence[Mismatch]) -> tuple[int, int]:
    """Order candidate calls for a report: the same function first, then the fewest problems."""
    return (1 if any(m.kind == "wrong_function" for m in problems) else 0, len(problems))
