"""Contract snapshots (a reviewable JSON lock of every contract) and the diff that classifies changes.

The rules ``diff`` follows, from the point of view of a *caller* of the tool (a model, a remote client):

======================================================  =======
Change                                                  Level
======================================================  =======
tool removed                                            major
field removed (or renamed: removed + added)             major
new required field, optional field became required      major
type narrowed or changed, enum value removed            major
constraint tightened (min up, max down, new pattern)    major
output schema changed (beyond descriptions)             major
new optional field, required field became optional      minor
type widened, enum value added, constraint loosened     minor
default changed, behaviour hints or approval changed    minor
new tool                                                minor
description, title, tags, timeout, sensitive changed    patch
======================================================  =======

A change is *unbumped* when the contract changed but its version did not, and *breaking without a major bump*
when the level is major but the major version did not increase (for ``0.x`` versions, a minor increase counts, as
SemVer allows anything in ``0.x`` but callers of agentkit contracts rely on ``0.MINOR`` as the breaking line).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentkit.tools import ToolContract
from agentkit.tools._semver import Version, parse_version

__all__ = (
    "SNAPSHOT_FORMAT",
    "ChangeLevel",
    "ContractChange",
    "ContractDiff",
    "ContractSnapshot",
    "diff",
)

SNAPSHOT_FORMAT = 1
"""Version of the snapshot file format."""

ChangeLevel = Literal["patch", "minor", "major"]
_RANK = {"patch": 0, "minor": 1, "major": 2}


@dataclass(frozen=True)
class ContractSnapshot:
    """Every contract of a registry at one moment, keyed by ``qualified_name@version``.

    Examples:
        >>> from agentkit import Registry
        >>> registry = Registry()
        >>> @registry.tool(version="1.0.0")
        ... def ping() -> str:
        ...     '''Ping.'''
        ...     return "pong"
        >>> snap = registry.snapshot()
        >>> list(snap.contracts)
        ['ping@1.0.0']
        >>> ContractSnapshot.from_json(snap.to_json()) == snap
        True
    """

    contracts: Mapping[str, ToolContract]

    @classmethod
    def of(cls, contracts: Iterable[ToolContract]) -> ContractSnapshot:
        """Build a snapshot from contracts."""
        items = {f"{c.qualified_name}@{c.version}": c for c in contracts}
        return cls(contracts=dict(sorted(items.items())))

    def to_json(self) -> str:
        """Stable, reviewable JSON: sorted keys, two-space indent, one entry per contract with its fingerprint."""
        payload = {
            "format": SNAPSHOT_FORMAT,
            "contracts": {
                key: {"fingerprint": c.fingerprint, **c.model_dump(mode="json")}
                for key, c in self.contracts.items()
            },
        }
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> ContractSnapshot:
        """Parse a snapshot written by `to_json`."""
        payload = json.loads(text)
        if not isinstance(payload, dict) or payload.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(
                f"not an agentkit contract snapshot of format {SNAPSHOT_FORMAT} (missing or different 'format')"
            )
        contracts = []
        for entry in payload.get("contracts", {}).values():
            data = dict(entry)
            data.pop("fingerprint", None)
            contracts.append(ToolContract.model_validate(data))
        return cls.of(contracts)

    def write(self, path: str | Path) -> None:
        """Write `to_json` to ``path``."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> ContractSnapshot:
        """Read a snapshot file."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ContractChange:
    """How one tool's contract changed between two snapshots.

    Attributes:
        name: Qualified tool name.
        old_version: Version in the old snapshot (``None`` for a new tool).
        new_version: Version in the new snapshot (``None`` for a removed tool).
        level: ``"patch"``, ``"minor"`` or ``"major"``.
        reasons: Each change found, with its level (``"field `date` became required: major"``).
        problem: Why this change fails a check (unbumped, breaking without a major bump, removed), or ``None``.
    """

    name: str
    old_version: str | None
    new_version: str | None
    level: ChangeLevel
    reasons: tuple[str, ...]
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the version bump matches the change."""
        return self.problem is None


@dataclass(frozen=True)
class ContractDiff:
    """Every change between two snapshots.

    Examples:
        >>> from agentkit.tools import ToolContract
        >>> old = ContractSnapshot.of([ToolContract(name="t", version="1.0.0", input_schema={
        ...     "type": "object", "properties": {"day": {"type": "string"}}})])
        >>> new = ContractSnapshot.of([ToolContract(name="t", version="1.0.1", input_schema={
        ...     "type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]})])
        >>> print(diff(old, new).report())
        t 1.0.0 -> 1.0.1: major change without a major version bump
          - field `day` became required: major
    """

    changes: tuple[ContractChange, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether every change is versioned correctly."""
        return all(c.ok for c in self.changes)

    @property
    def problems(self) -> tuple[ContractChange, ...]:
        """The changes that fail a check."""
        return tuple(c for c in self.changes if not c.ok)

    def report(self, *, only_problems: bool = False) -> str:
        """A readable report, one block per changed tool."""
        lines: list[str] = []
        for change in self.changes:
            if only_problems and change.ok:
                continue
            head = f"{change.name} {change.old_version or '(new)'} -> {change.new_version or '(removed)'}: "
            head += change.problem or f"{change.level} change, versioned correctly"
            lines.append(head)
            lines.extend(f"  - {reason}" for reason in change.reasons)
        return "\n".join(lines) if lines else "no contract changes"


def diff(old: ContractSnapshot, new: ContractSnapshot) -> ContractDiff:
    """Classify every change from ``old`` to ``new`` as patch / minor / major and flag bad version bumps.

    Tools are paired by qualified name and major version; a major that disappeared is paired with the next
    higher major of the same tool when there is one (an upgrade), else reported as removed.
    """
    old_by = _by_name_major(old.contracts.values())
    new_by = _by_name_major(new.contracts.values())
    changes: list[ContractChange] = []
    paired_new: set[tuple[str, int]] = set()
    for key, before in sorted(old_by.items()):
        name, major = key
        after = new_by.get(key)
        if after is None:
            higher = sorted(k for k in new_by if k[0] == name and k[1] > major and k not in old_by)
            if higher:
                after = new_by[higher[0]]
                paired_new.add(higher[0])
        else:
            paired_new.add(key)
        if after is None:
            changes.append(
                ContractChange(
                    name=name,
                    old_version=before.version,
                    new_version=None,
                    level="major",
                    reasons=("tool removed: major",),
                    problem="tool removed; callers of it break (keep it registered and deprecate it instead)",
                )
            )
            continue
        change = _compare(before, after)
        if change is not None:
            changes.append(change)
    for key, after in sorted(new_by.items()):
        if key not in paired_new and key not in old_by:
            changes.append(
                ContractChange(
                    name=key[0],
                    old_version=None,
                    new_version=after.version,
                    level="minor",
                    reasons=("new tool: minor",),
                )
            )
    return ContractDiff(changes=tuple(changes))


def _by_name_major(contracts: Iterable[ToolContract]) -> dict[tuple[str, int], ToolContract]:
    out: dict[tuple[str, int], ToolContract] = {}
    for c in contracts:
        key = (c.qualified_name, parse_version(c.version).major)
        if key not in out or parse_version(c.version) > parse_version(out[key].version):
            out[key] = c
    return out


def _compare(before: ToolContract, after: ToolContract) -> ContractChange | None:
    if before == after:
        return None
    reasons: list[tuple[ChangeLevel, str]] = []
    if before.description != after.description:
        reasons.append(("patch", "description changed"))
    _compare_schema(
        before.input_schema,
        after.input_schema,
        before.input_schema,
        after.input_schema,
        "",
        reasons,
        set(),
    )
    if before.output_schema != after.output_schema:
        out_reasons: list[tuple[ChangeLevel, str]] = []
        _compare_schema(
            before.output_schema or {},
            after.output_schema or {},
            before.output_schema or {},
            after.output_schema or {},
            "",
            out_reasons,
            set(),
        )
        if any(level != "patch" for level, _ in out_reasons) or (before.output_schema is None) != (
            after.output_schema is None
        ):
            reasons.append(("major", "output type changed"))
        elif out_reasons:
            reasons.append(("patch", "output descriptions changed"))
    if before.annotations != after.annotations:
        reasons.append(("minor", "behaviour hints changed"))
    if before.requires_approval != after.requires_approval:
        reasons.append(("minor", "requires_approval changed"))
    for attr in ("tags", "timeout", "sensitive"):
        if getattr(before, attr) != getattr(after, attr):
            reasons.append(("patch", f"{attr} changed"))
    if not reasons:
        reasons.append(("patch", "schema details changed"))
    level: ChangeLevel = max((lv for lv, _ in reasons), key=_RANK.__getitem__)
    old_v, new_v = parse_version(before.version), parse_version(after.version)
    problem = _bump_problem(level, old_v, new_v)
    return ContractChange(
        name=after.qualified_name,
        old_version=before.version,
        new_version=after.version,
        level=level,
        reasons=tuple(f"{text}: {lv}" for lv, text in reasons),
        problem=problem,
    )


def _bump_problem(level: ChangeLevel, old: Version, new: Version) -> str | None:
    if new < old:
        return f"version went down ({old} -> {new})"
    if new == old:
        return f"{level} change without a version bump"
    if level == "major":
        breaking_line = (
            (new.major > old.major) if old.major > 0 else (new.major > 0 or new.minor > old.minor)
        )
        if not breaking_line:
            return "major change without a major version bump"
    return None


def _deref(schema: Any, root: Mapping[str, Any]) -> Any:
    hops = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and hops < 32:
        ref: str = schema["$ref"]
        if not ref.startswith("#/"):
            return schema
        target: Any = root
        for token in ref[2:].split("/"):
            target = target.get(token, {}) if isinstance(target, Mapping) else {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra} if isinstance(target, Mapping) else {}
        hops += 1
    return schema


_NOISE = {"description", "title", "examples", "$comment"}


def _types(schema: Mapping[str, Any], root: Mapping[str, Any]) -> set[str] | None:
    """The JSON types a schema admits (``None`` when unconstrained)."""
    schema = _deref(schema, root)
    if "anyOf" in schema or "oneOf" in schema:
        found: set[str] = set()
        for sub in schema.get("anyOf", schema.get("oneOf", [])):
            sub_types = _types(sub, root)
            if sub_types is None:
                return None
            found |= sub_types
        return found
    if "const" in schema:
        return {type(schema["const"]).__name__}
    kind = schema.get("type")
    if kind is None:
        return None if "enum" not in schema else {type(v).__name__ for v in schema["enum"]}
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "number" in kinds:
        kinds.add("integer")
    return kinds


def _compare_schema(
    old: Any,
    new: Any,
    old_root: Mapping[str, Any],
    new_root: Mapping[str, Any],
    path: str,
    reasons: list[tuple[ChangeLevel, str]],
    seen: set[tuple[int, int]],
) -> None:
    old = _deref(old, old_root)
    new = _deref(new, new_root)
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        if old != new:
            reasons.append(("major", f"schema of {_where(path)} changed"))
        return
    marker = (id(old), id(new))
    if marker in seen:
        return
    seen.add(marker)
    label = _where(path)
    for key in ("description", "title"):
        if old.get(key) != new.get(key) and path:
            reasons.append(("patch", f"{key} of {label} changed"))
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if old_types != new_types:
        if new_types is None or (old_types is not None and old_types < new_types):
            reasons.append(("minor", f"type of {label} widened"))
        else:
            reasons.append(("major", f"type of {label} narrowed or changed"))
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum != new_enum:
        if old_enum is None:
            reasons.append(("major", f"{label} now only accepts {new_enum}"))
        elif new_enum is None:
            reasons.append(("minor", f"{label} no longer restricted to an enum"))
        else:
            removed = [v for v in old_enum if v not in new_enum]
            added = [v for v in new_enum if v not in old_enum]
            if removed:
                reasons.append(("major", f"enum of {label} lost {removed}"))
            if added:
                reasons.append(("minor", f"enum of {label} gained {added}"))
    if old.get("const") != new.get("const"):
        reasons.append(("major", f"constant of {label} changed"))
    for key, tighter_when_larger in (
        ("minimum", True),
        ("exclusiveMinimum", True),
        ("minLength", True),
        ("minItems", True),
        ("maximum", False),
        ("exclusiveMaximum", False),
        ("maxLength", False),
        ("maxItems", False),
    ):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if a is None:
            reasons.append(("major", f"{label} gained {key} {b}"))
        elif b is None:
            reasons.append(("minor", f"{label} dropped {key}"))
        elif (b > a) == tighter_when_larger:
            reasons.append(("major", f"{key} of {label} tightened from {a} to {b}"))
        else:
            reasons.append(("minor", f"{key} of {label} loosened from {a} to {b}"))
    for key in ("pattern", "format"):
        if old.get(key) != new.get(key):
            level: ChangeLevel = "minor" if new.get(key) is None else "major"
            reasons.append((level, f"{key} of {label} changed"))
    if ("default" in old or "default" in new) and old.get("default") != new.get("default"):
        reasons.append(("minor", f"default of {label} changed"))
    # Object properties.
    old_props: Mapping[str, Any] = old.get("properties") or {}
    new_props: Mapping[str, Any] = new.get("properties") or {}
    old_req, new_req = set(old.get("required") or ()), set(new.get("required") or ())
    for name in old_props:
        if name not in new_props:
            reasons.append(("major", f"field {_field(path, name)} removed"))
    for name in new_props:
        if name not in old_props:
            level = "major" if name in new_req else "minor"
            kind = "required" if name in new_req else "optional"
            reasons.append((level, f"new {kind} field {_field(path, name)}"))
    for name in old_props:
        if name in new_props:
            if name in new_req and name not in old_req:
                reasons.append(("major", f"field {_field(path, name)} became required"))
            elif name in old_req and name not in new_req:
                reasons.append(("minor", f"field {_field(path, name)} became optional"))
            _compare_schema(
                old_props[name],
                new_props[name],
                old_root,
                new_root,
                f"{path}.{name}" if path else name,
                reasons,
                seen,
            )
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if old_extra != new_extra:
        if isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            _compare_schema(old_extra, new_extra, old_root, new_root, f"{path}.*", reasons, seen)
        elif new_extra is False:
            reasons.append(("major", f"{label} no longer accepts extra fields"))
        else:
            reasons.append(("minor", f"{label} accepts more extra fields"))
    if isinstance(old.get("items"), Mapping) and isinstance(new.get("items"), Mapping):
        _compare_schema(old["items"], new["items"], old_root, new_root, f"{path}[]", reasons, seen)
    for key in ("anyOf", "oneOf"):
        a_list, b_list = old.get(key), new.get(key)
        if isinstance(a_list, list) and isinstance(b_list, list) and len(a_list) == len(b_list):
            for i, (a_sub, b_sub) in enumerate(zip(a_list, b_list, strict=True)):
                if _deref(a_sub, old_root) != _deref(b_sub, new_root):
                    _compare_schema(
                        a_sub, b_sub, old_root, new_root, f"{path}<{key}{i}>", reasons, seen
                    )
    leftovers = {
        k
        for k in set(old) | set(new)
        if k not in _NOISE
        and k
        not in {
            "type",
            "enum",
            "const",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "anyOf",
            "oneOf",
            "default",
            "pattern",
            "format",
            "$ref",
            "$defs",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
        }
        and old.get(k) != new.get(k)
    }
    for key in sorted(leftovers):
        reasons.append(("major", f"`{key}` of {label} changed"))


def _where(path: str) -> str:
    return f"field `{path}`" if path else "the arguments"


def _field(path: str, name: str) -> str:
    return f"`{path}.{name}`" if path else f"`{name}`"
