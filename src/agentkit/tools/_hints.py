"""Turning validation failures into repair hints a model can act on.

This runs only on the error path, but models send bad arguments often, so it is kept cheap: schema lookups are
cached per tool and path, and at most ``MAX_ISSUES`` problems are reported.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import ArgumentIssue
from agentkit.tools._schema import describe_expected, field_names_at, subschema_at
from agentkit.tools._sensitive import pointer_matches

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails, ValidationError

__all__ = ("MAX_HINT_CHARS", "MAX_ISSUES", "HintBuilder", "safe_text")

MAX_ISSUES = 10
MAX_HINT_CHARS = 4_000
"""Rough size cap of the issues of one repair hint: issues past it are summed up in one ``more_issues`` entry."""
_MAX_GOT_CHARS = 120
# A message, path or expected text: pydantic and jsonschema messages may quote the input.
_MAX_FIELD_CHARS = 300
_MAX_INT_BITS = 400  # about 120 digits: longer integers are described, not echoed

_PROBLEMS = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "json_invalid": "invalid_json",
    "literal_error": "not_allowed",
    "enum": "not_allowed",
    "string_pattern_mismatch": "pattern_mismatch",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "multiple_of": "out_of_range",
    "string_too_short": "wrong_length",
    "string_too_long": "wrong_length",
    "too_short": "wrong_length",
    "too_long": "wrong_length",
    "union_tag_invalid": "not_allowed",
    "union_tag_not_found": "missing",
}

_CONSTRAINT_CTX = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
    "multiple_of": ("multiple_of", "multiple of"),
    "string_too_short": ("min_length", "min length"),
    "string_too_long": ("max_length", "max length"),
    "too_short": ("min_length", "min length"),
    "too_long": ("max_length", "max length"),
}


_DIFFLIB: Any = None


def _close_matches(word: str, possibilities: Any, n: int, cutoff: float) -> list[str]:
    global _DIFFLIB
    if _DIFFLIB is None:  # only bad calls need difflib: it is not loaded with the tools
        import difflib

        _DIFFLIB = difflib
    return _DIFFLIB.get_close_matches(word, possibilities, n=n, cutoff=cutoff)  # type: ignore[no-any-return]  # difflib's own annotation


def _path_text(loc: tuple[str | int, ...]) -> str:
    # A path names fields the model sent, so it may be anything the model wrote (an unknown key of any length).
    return safe_text(".".join(str(p) for p in loc), _MAX_FIELD_CHARS)


def safe_text(text: str, limit: int | None = None) -> str:
    r"""``text`` made safe to encode and to echo: lone surrogates escaped (``\ud800``), cut to ``limit`` characters.

    A model (or a tool) can produce a string holding half of a UTF-16 surrogate pair, which no UTF-8 encoder
    accepts: echoing it in a repair hint would make building the hint raise.
    """
    if text.isascii() and (limit is None or len(text) <= limit):
        return text  # the common case: nothing to cut or escape
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _compact(value: Any) -> Any:
    """Echo a value back to the model, but keep it short and encodable."""
    if isinstance(value, str):
        if len(value) <= _MAX_GOT_CHARS and value.isascii():
            return value
        return safe_text(value, _MAX_GOT_CHARS)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() <= _MAX_INT_BITS:
            return value
        digits = int(value.bit_length() * 0.30103) + 1  # str() of a huge int may raise or take long
        return f"{'-' if value < 0 else ''}an integer of about {digits} digits"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no Infinity or NaN
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        return f"a {type(value).__name__} that cannot be shown"
    if len(text) <= _MAX_GOT_CHARS and safe_text(text) is text:
        return value
    return safe_text(text, _MAX_GOT_CHARS)


_Static = tuple[
    str, str, str | None, str | None, bool, list[str] | None, int, tuple[str, ArgumentIssue] | None
]
"""What an issue owes to its error kind and place only: path, problem, expected, did-you-mean, sensitive, the
allowed values (literals), the size of those parts, and the whole issue when it never echoes the input."""

_new_issue: Any = tuple.__new__  # ArgumentIssue without its generated __init__: a third of the cost
_NO_ECHO = frozenset({"missing", "extra_forbidden"})  # error kinds whose input is never echoed


class HintBuilder:
    """Builds ``ArgumentIssue`` lists for one tool's input schema."""

    __slots__ = ("_expected_cache", "_names_cache", "_static_cache", "schema", "sensitive")

    def __init__(self, schema: dict[str, Any], sensitive: tuple[str, ...]) -> None:
        self.schema = schema
        self.sensitive = sensitive
        self._expected_cache: dict[tuple[str | int, ...], str | None] = {}
        self._names_cache: dict[tuple[str | int, ...], list[str]] = {}
        self._static_cache: dict[tuple[str, tuple[str | int, ...]], _Static] = {}

    def _is_sensitive(self, loc: tuple[str | int, ...]) -> bool:
        return any(pointer_matches(p, loc) for p in self.sensitive)

    def _expected(self, loc: tuple[str | int, ...]) -> str | None:
        # Array indexes do not change the schema: cache on the shape of the path.
        key = tuple(0 if isinstance(p, int) else p for p in loc)
        try:
            return self._expected_cache[key]
        except KeyError:
            value = (
                describe_expected(self.schema, subschema_at(self.schema, key)) if key else "object"
            )
            self._expected_cache[key] = value
            return value

    def _names(self, parent: tuple[str | int, ...]) -> list[str]:
        key = tuple(0 if isinstance(p, int) else p for p in parent)
        try:
            return self._names_cache[key]
        except KeyError:
            names = field_names_at(self.schema, key)
            self._names_cache[key] = names
            return names

    def from_pydantic(self, exc: ValidationError) -> tuple[ArgumentIssue, ...]:
        """Issues for a pydantic ``ValidationError``."""
        errors = exc.errors(include_url=False)
        one = self._one_pydantic
        issues = []
        size = 0
        for err in errors[:MAX_ISSUES]:
            issue, issue_size = one(err)
            issues.append(issue)
            size += issue_size
        if size <= MAX_HINT_CHARS and len(issues) == len(errors):
            return tuple(issues)  # the common case: a few short issues, nothing to cut or count
        return self._finish(issues, len(errors))

    def _one_pydantic(self, err: ErrorDetails) -> tuple[ArgumentIssue, int]:
        """One issue, and roughly how many characters it adds to the hint."""
        kind = err["type"]
        loc = err["loc"]  # a tuple already
        if kind == "json_invalid":
            ctx = err.get("ctx") or {}
            detail = safe_text(str(ctx.get("error", err["msg"])), _MAX_FIELD_CHARS)
            issue = ArgumentIssue(
                path="",
                problem="invalid_json",
                message=f"arguments are not valid JSON: {detail}",
                expected="a JSON object",
            )
            return issue, _issue_size(issue)
        if kind == "string_unicode" and not loc:
            # The raw text itself cannot be encoded: it holds a lone UTF-16 surrogate. Never echo it.
            issue = ArgumentIssue(
                path="",
                problem="invalid_json",
                message="arguments are not valid Unicode text: they contain a lone UTF-16 surrogate "
                "(half of an escaped pair such as \\ud83d without its \\ude00)",
                expected="a JSON object in valid UTF-8",
            )
            return issue, _issue_size(issue)
        message = err["msg"]
        # Everything but the input itself depends only on the error kind and where it happened: build it once.
        key = (kind, loc)
        static = self._static_cache.get(key)
        if static is None:
            static = self._static(kind, loc, err.get("ctx") or {}, message)
            if len(self._static_cache) < 1024:
                self._static_cache[key] = static
        path, problem, expected, did_you_mean, sensitive, allowed, size, whole = static
        if whole is not None and whole[0] == message:
            return whole[1], size  # nothing of the input in it: the same issue as last time
        value = err.get("input")
        got: Any = None
        if allowed is not None and isinstance(value, str) and not sensitive:
            close = _close_matches(value, allowed, n=1, cutoff=0.6)
            if close:
                did_you_mean = close[0]
                size += len(did_you_mean)
        if kind not in _NO_ECHO and not sensitive:
            got = _compact(value)
            if got is not None:
                size += len(got) if isinstance(got, str) else _MAX_GOT_CHARS
        if sensitive and isinstance(value, str) and value and value in message:
            message = f"the value is not valid ({problem}); it is sensitive and not shown"
        elif len(message) > _MAX_FIELD_CHARS or not message.isascii():
            message = safe_text(
                message, _MAX_FIELD_CHARS
            )  # only then: most messages are short ASCII
        issue = _new_issue(ArgumentIssue, (path, problem, message, expected, got, did_you_mean))
        return issue, size + len(message)

    def _static(
        self, kind: str, loc: tuple[str | int, ...], ctx: dict[str, Any], message: str
    ) -> _Static:
        problem = _PROBLEMS.get(kind)
        if problem is None:
            problem = "wrong_type" if kind.endswith(("_type", "_parsing")) else kind
        sensitive = self._is_sensitive(loc)
        expected: str | None
        did_you_mean: str | None = None
        allowed: list[str] | None = None
        if kind == "extra_forbidden":
            expected = None
            name = str(loc[-1]) if loc else ""
            candidates = self._names(loc[:-1])
            close = _close_matches(name, candidates, n=1, cutoff=0.6)
            did_you_mean = close[0] if close else None
            if candidates and not did_you_mean:
                expected = "one of the fields " + ", ".join(candidates)
        elif kind in _CONSTRAINT_CTX and _CONSTRAINT_CTX[kind][0] in ctx:
            ctx_key, sign = _CONSTRAINT_CTX[kind]
            expected = f"{sign} {ctx[ctx_key]}"
        elif kind in ("literal_error", "enum") and "expected" in ctx:
            expected = f"one of {ctx['expected']}"
            allowed = [
                v.strip().strip("'\"") for v in str(ctx["expected"]).replace(" or ", ",").split(",")
            ]
        elif kind == "string_pattern_mismatch" and "pattern" in ctx:
            expected = f"a string matching {ctx['pattern']}"
        else:
            expected = self._expected(loc) if loc or kind != "missing" else None
        if expected is not None:
            expected = safe_text(expected, _MAX_FIELD_CHARS)
        path = _path_text(loc)
        size = (
            len(path) + len(expected or "") + len(did_you_mean or "") + 60
        )  # 60: keys and punctuation
        whole = None
        if kind in _NO_ECHO and not sensitive:
            text = safe_text(message, _MAX_FIELD_CHARS)
            issue = _new_issue(ArgumentIssue, (path, problem, text, expected, None, did_you_mean))
            whole = (message, issue)
            size += len(text)
        return path, problem, expected, did_you_mean, sensitive, allowed, size, whole

    def from_jsonschema(self, errors: list[Any]) -> tuple[ArgumentIssue, ...]:
        """Issues for ``jsonschema`` validation errors (raw-schema tools)."""
        issues = []
        for err in errors[:MAX_ISSUES]:
            loc = tuple(err.absolute_path)
            validator = str(err.validator)
            sensitive = self._is_sensitive(loc)
            did_you_mean = None
            if validator == "required":
                missing = next(
                    (name for name in err.validator_value if name not in (err.instance or {})), None
                )
                path = (*loc, missing) if missing is not None else loc
                issues.append(
                    ArgumentIssue(
                        path=_path_text(path),
                        problem="missing",
                        message="Field required",
                        expected=self._expected(path),
                    )
                )
                continue
            if validator in ("additionalProperties", "unevaluatedProperties"):
                allowed = self._names(loc)
                extras = [k for k in (err.instance or {}) if k not in allowed]
                for extra in extras:
                    close = _close_matches(extra, allowed, n=1, cutoff=0.6)
                    issues.append(
                        ArgumentIssue(
                            path=_path_text((*loc, extra)),
                            problem="unknown_field",
                            message="Extra inputs are not permitted",
                            did_you_mean=close[0] if close else None,
                            expected=None
                            if close
                            else safe_text(
                                "one of the fields " + ", ".join(allowed), _MAX_FIELD_CHARS
                            ),
                        )
                    )
                continue
            problem = {
                "type": "wrong_type",
                "enum": "not_allowed",
                "const": "not_allowed",
                "pattern": "pattern_mismatch",
                "minimum": "out_of_range",
                "maximum": "out_of_range",
                "exclusiveMinimum": "out_of_range",
                "exclusiveMaximum": "out_of_range",
                "minLength": "wrong_length",
                "maxLength": "wrong_length",
                "minItems": "wrong_length",
                "maxItems": "wrong_length",
            }.get(validator, validator)
            if validator == "enum" and isinstance(err.instance, str) and not sensitive:
                close = _close_matches(
                    err.instance, [str(v) for v in err.validator_value], n=1, cutoff=0.6
                )
                did_you_mean = close[0] if close else None
            message = (
                safe_text(err.message, _MAX_FIELD_CHARS)
                if not sensitive
                else f"value does not satisfy {validator!r}"
            )
            issues.append(
                ArgumentIssue(
                    path=_path_text(loc),
                    problem=problem,
                    message=message,
                    expected=self._expected(loc),
                    got=None if sensitive else _compact(err.instance),
                    did_you_mean=did_you_mean,
                )
            )
        return self._finish(issues, len(errors))

    @staticmethod
    def _finish(issues: list[ArgumentIssue], total: int) -> tuple[ArgumentIssue, ...]:
        hidden = max(total - len(issues), 0)
        if len(issues) > MAX_ISSUES:  # one jsonschema error may list many unknown fields
            hidden += len(issues) - MAX_ISSUES
            del issues[MAX_ISSUES:]
        # Keep the hint small whatever the model sent: stop adding issues once their text passes the cap.
        size = 0
        for index, issue in enumerate(issues):
            size += _issue_size(issue)
            if size > MAX_HINT_CHARS and index > 0:
                hidden += len(issues) - index
                del issues[index:]
                break
        if hidden:
            issues.append(
                ArgumentIssue(
                    path="",
                    problem="more_issues",
                    message=f"{hidden} more problems not shown; fix these first",
                )
            )
        return tuple(issues)


def _issue_size(issue: ArgumentIssue) -> int:
    got = issue.got
    got_size = len(got) if isinstance(got, str) else _MAX_GOT_CHARS if got is not None else 0
    return (
        len(issue.path)
        + len(issue.message)
        + len(issue.expected or "")
        + len(issue.did_you_mean or "")
        + got_size
        + 60  # the keys and punctuation around them
    )


def _scrub(message: str, value: Any) -> str:
    if isinstance(value, str) and value and value in message:
        return message.replace(value, "***")
    return message
