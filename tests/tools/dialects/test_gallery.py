"""A gallery of tricky pydantic-defined tools: snapshots of every dialect and the round-trip properties."""

from __future__ import annotations

import copy
import string
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from inline_snapshot import snapshot
from pydantic import BaseModel, Field

from agentkit import tool
from agentkit.exceptions import SchemaCompileError
from agentkit.tools import ToolContract
from agentkit.tools.dialects import CompiledTool, available_dialects, get_dialect


class Color(str, Enum):
    RED = "red"
    GREEN = "green"


class Address(BaseModel):
    street: str
    city: str
    postcode: str | None = None


class Cat(BaseModel):
    kind: Literal["cat"]
    indoor: bool = True


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Node(BaseModel):
    value: int
    children: list[Node] = []


class Item(BaseModel):
    sku: str
    qty: int = 1


@tool
def search(query: str, limit: int = 10, order: Literal["asc", "desc"] = "asc") -> list[str]:
    """Optional fields with defaults."""
    return []


@tool
def assign(ticket: str, assignee: str | None) -> None:
    """A nullable field without a default (required)."""


@tool
def set_value(value: int | str | list[int], note: str | None = None) -> None:
    """Plain unions."""


@tool
def adopt(pet: Annotated[Cat | Dog, Field(discriminator="kind")]) -> None:
    """A discriminated union."""


@tool
def paint(color: Color, size: Literal[1, 2, 3] = 1, shade: Color | None = None) -> None:
    """Enums and integer literals."""


@tool
def move_in(name: str, address: Address, previous: list[Address] | None = None) -> None:
    """Nested models."""


@tool
def plant(root: Node) -> None:
    """A recursive model."""


@tool
def stock(levels: dict[str, int], items: list[Item], index: dict[str, Item] | None = None) -> None:
    """Maps and lists of models."""


@tool
def register(
    username: Annotated[str, Field(min_length=3, max_length=12, pattern=r"^[a-z]+$")],
    age: Annotated[int, Field(ge=0, le=150)],
    step: Annotated[int, Field(multiple_of=5)] = 5,
    tags: Annotated[list[str], Field(max_length=3)] = [],  # noqa: B006  (pydantic copies defaults)
) -> None:
    """Constrained strings and numbers."""


@tool
def book(day: date, at: datetime | None = None) -> None:
    """Dates."""


@tool
def upload(name: str, data: bytes) -> None:
    """Bytes."""


GALLERY = [search, assign, set_value, adopt, paint, move_in, plant, stock, register, book, upload]
DIALECTS = available_dialects()


def _gallery(dialect: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in GALLERY:
        try:
            compiled = get_dialect(dialect).compile(t.contract)
        except SchemaCompileError as exc:
            out[t.contract.name] = {"refused": exc.reason}
            continue
        entry: dict[str, Any] = {"definition": compiled.definition}
        if compiled.warnings:
            entry["warnings"] = [str(w) for w in compiled.warnings]
        out[t.contract.name] = entry
    return out


def test_openai_strict_gallery() -> None:
    """OpenAI strict output of the gallery is stable."""
    assert _gallery("openai-strict") == snapshot(
        {
            "search": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "search",
                        "description": "Optional fields with defaults.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "query": {"type": "string"},
                                "limit": {
                                    "description": "(default: 10)",
                                    "type": ["integer", "null"],
                                },
                                "order": {
                                    "description": '(default: "asc")',
                                    "type": ["string", "null"],
                                    "enum": ["asc", "desc", None],
                                },
                            },
                            "required": ["query", "limit", "order"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "assign": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "assign",
                        "description": "A nullable field without a default (required).",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "ticket": {"type": "string"},
                                "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            },
                            "required": ["ticket", "assignee"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "set_value": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "set_value",
                        "description": "Plain unions.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "value": {
                                    "anyOf": [
                                        {"type": "integer"},
                                        {"type": "string"},
                                        {"type": "array", "items": {"type": "integer"}},
                                    ]
                                },
                                "note": {
                                    "description": "(default: null)",
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                },
                            },
                            "required": ["value", "note"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "adopt": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "adopt",
                        "description": "A discriminated union.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}
                            },
                            "required": ["pet"],
                            "additionalProperties": False,
                            "$defs": {
                                "Cat": {
                                    "type": "object",
                                    "properties": {
                                        "kind": {"type": "string", "const": "cat"},
                                        "indoor": {
                                            "description": "(default: true)",
                                            "type": ["boolean", "null"],
                                        },
                                    },
                                    "required": ["kind", "indoor"],
                                    "additionalProperties": False,
                                },
                                "Dog": {
                                    "type": "object",
                                    "properties": {
                                        "kind": {"type": "string", "const": "dog"},
                                        "good": {"type": "boolean"},
                                    },
                                    "required": ["kind", "good"],
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "strict": True,
                    },
                }
            },
            "paint": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "paint",
                        "description": "Enums and integer literals.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "color": {"$ref": "#/$defs/Color"},
                                "size": {
                                    "description": "(default: 1)",
                                    "type": ["integer", "null"],
                                    "enum": [1, 2, 3, None],
                                },
                                "shade": {
                                    "description": "(default: null)",
                                    "anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}],
                                },
                            },
                            "required": ["color", "size", "shade"],
                            "additionalProperties": False,
                            "$defs": {"Color": {"type": "string", "enum": ["red", "green"]}},
                        },
                        "strict": True,
                    },
                }
            },
            "move_in": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "move_in",
                        "description": "Nested models.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "address": {"$ref": "#/$defs/Address"},
                                "previous": {
                                    "description": "(default: null)",
                                    "anyOf": [
                                        {"type": "array", "items": {"$ref": "#/$defs/Address"}},
                                        {"type": "null"},
                                    ],
                                },
                            },
                            "required": ["name", "address", "previous"],
                            "additionalProperties": False,
                            "$defs": {
                                "Address": {
                                    "type": "object",
                                    "properties": {
                                        "street": {"type": "string"},
                                        "city": {"type": "string"},
                                        "postcode": {
                                            "description": "(default: null)",
                                            "anyOf": [{"type": "string"}, {"type": "null"}],
                                        },
                                    },
                                    "required": ["street", "city", "postcode"],
                                    "additionalProperties": False,
                                }
                            },
                        },
                        "strict": True,
                    },
                }
            },
            "plant": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "plant",
                        "description": "A recursive model.",
                        "parameters": {
                            "type": "object",
                            "properties": {"root": {"$ref": "#/$defs/Node"}},
                            "required": ["root"],
                            "additionalProperties": False,
                            "$defs": {
                                "Node": {
                                    "type": "object",
                                    "properties": {
                                        "value": {"type": "integer"},
                                        "children": {
                                            "description": "(default: [])",
                                            "type": ["array", "null"],
                                            "items": {"$ref": "#/$defs/Node"},
                                        },
                                    },
                                    "required": ["value", "children"],
                                    "additionalProperties": False,
                                }
                            },
                        },
                        "strict": True,
                    },
                }
            },
            "stock": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "stock",
                        "description": "Maps and lists of models.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "levels": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "key": {"type": "string"},
                                            "value": {"type": "integer"},
                                        },
                                        "required": ["key", "value"],
                                        "additionalProperties": False,
                                    },
                                },
                                "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                                "index": {
                                    "description": "(default: null)",
                                    "anyOf": [
                                        {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "key": {"type": "string"},
                                                    "value": {"$ref": "#/$defs/Item"},
                                                },
                                                "required": ["key", "value"],
                                                "additionalProperties": False,
                                            },
                                        },
                                        {"type": "null"},
                                    ],
                                },
                            },
                            "required": ["levels", "items", "index"],
                            "additionalProperties": False,
                            "$defs": {
                                "Item": {
                                    "type": "object",
                                    "properties": {
                                        "sku": {"type": "string"},
                                        "qty": {
                                            "description": "(default: 1)",
                                            "type": ["integer", "null"],
                                        },
                                    },
                                    "required": ["sku", "qty"],
                                    "additionalProperties": False,
                                }
                            },
                        },
                        "strict": True,
                    },
                },
                "warnings": [
                    "map-as-pairs at /properties/levels: openai-strict cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                    "map-as-pairs at /properties/index/anyOf/0: openai-strict cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                ],
            },
            "register": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "register",
                        "description": "Constrained strings and numbers.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "username": {
                                    "description": "(maxLength: 12; minLength: 3)",
                                    "type": "string",
                                    "pattern": "^[a-z]+$",
                                },
                                "age": {"type": "integer", "maximum": 150, "minimum": 0},
                                "step": {
                                    "description": "(default: 5)",
                                    "type": ["integer", "null"],
                                    "multipleOf": 5,
                                },
                                "tags": {
                                    "description": "(default: [])",
                                    "type": ["array", "null"],
                                    "items": {"type": "string"},
                                    "maxItems": 3,
                                },
                            },
                            "required": ["username", "age", "step", "tags"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                },
                "warnings": [
                    "moved-to-description at /properties/username/maxLength: openai-strict does not support 'maxLength' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                    "moved-to-description at /properties/username/minLength: openai-strict does not support 'minLength' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                ],
            },
            "book": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "book",
                        "description": "Dates.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "day": {"type": "string", "format": "date"},
                                "at": {
                                    "description": "(default: null)",
                                    "anyOf": [
                                        {"type": "string", "format": "date-time"},
                                        {"type": "null"},
                                    ],
                                },
                            },
                            "required": ["day", "at"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "upload": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "upload",
                        "description": "Bytes.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "data": {"description": '(format: "binary")', "type": "string"},
                            },
                            "required": ["name", "data"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                },
                "warnings": [
                    "moved-to-description at /properties/data/format: openai-strict does not support 'format' (supported formats: date, date-time, duration, email, hostname, ipv4, ipv6, time, uuid); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)"
                ],
            },
        }
    )


def test_openai_auto_gallery() -> None:
    """OpenAI auto output of the gallery is stable."""
    assert _gallery("openai-auto") == snapshot(
        {
            "search": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "search",
                        "description": "Optional fields with defaults.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "query": {"type": "string"},
                                "limit": {
                                    "description": "(default: 10)",
                                    "type": ["integer", "null"],
                                },
                                "order": {
                                    "description": '(default: "asc")',
                                    "type": ["string", "null"],
                                    "enum": ["asc", "desc", None],
                                },
                            },
                            "required": ["query", "limit", "order"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "assign": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "assign",
                        "description": "A nullable field without a default (required).",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "ticket": {"type": "string"},
                                "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            },
                            "required": ["ticket", "assignee"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "set_value": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "set_value",
                        "description": "Plain unions.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "value": {
                                    "anyOf": [
                                        {"type": "integer"},
                                        {"type": "string"},
                                        {"type": "array", "items": {"type": "integer"}},
                                    ]
                                },
                                "note": {
                                    "description": "(default: null)",
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                },
                            },
                            "required": ["value", "note"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "adopt": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "adopt",
                        "description": "A discriminated union.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}
                            },
                            "required": ["pet"],
                            "additionalProperties": False,
                            "$defs": {
                                "Cat": {
                                    "type": "object",
                                    "properties": {
                                        "kind": {"type": "string", "const": "cat"},
                                        "indoor": {
                                            "description": "(default: true)",
                                            "type": ["boolean", "null"],
                                        },
                                    },
                                    "required": ["kind", "indoor"],
                                    "additionalProperties": False,
                                },
                                "Dog": {
                                    "type": "object",
                                    "properties": {
                                        "kind": {"type": "string", "const": "dog"},
                                        "good": {"type": "boolean"},
                                    },
                                    "required": ["kind", "good"],
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "strict": True,
                    },
                }
            },
            "paint": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "paint",
                        "description": "Enums and integer literals.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "color": {"$ref": "#/$defs/Color"},
                                "size": {
                                    "description": "(default: 1)",
                                    "type": ["integer", "null"],
                                    "enum": [1, 2, 3, None],
                                },
                                "shade": {
                                    "description": "(default: null)",
                                    "anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}],
                                },
                            },
                            "required": ["color", "size", "shade"],
                            "additionalProperties": False,
                            "$defs": {"Color": {"type": "string", "enum": ["red", "green"]}},
                        },
                        "strict": True,
                    },
                }
            },
            "move_in": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "move_in",
                        "description": "Nested models.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "address": {"$ref": "#/$defs/Address"},
                                "previous": {
                                    "description": "(default: null)",
                                    "anyOf": [
                                        {"type": "array", "items": {"$ref": "#/$defs/Address"}},
                                        {"type": "null"},
                                    ],
                                },
                            },
                            "required": ["name", "address", "previous"],
                            "additionalProperties": False,
                            "$defs": {
                                "Address": {
                                    "type": "object",
                                    "properties": {
                                        "street": {"type": "string"},
                                        "city": {"type": "string"},
                                        "postcode": {
                                            "description": "(default: null)",
                                            "anyOf": [{"type": "string"}, {"type": "null"}],
                                        },
                                    },
                                    "required": ["street", "city", "postcode"],
                                    "additionalProperties": False,
                                }
                            },
                        },
                        "strict": True,
                    },
                }
            },
            "plant": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "plant",
                        "description": "A recursive model.",
                        "parameters": {
                            "type": "object",
                            "properties": {"root": {"$ref": "#/$defs/Node"}},
                            "required": ["root"],
                            "additionalProperties": False,
                            "$defs": {
                                "Node": {
                                    "type": "object",
                                    "properties": {
                                        "value": {"type": "integer"},
                                        "children": {
                                            "description": "(default: [])",
                                            "type": ["array", "null"],
                                            "items": {"$ref": "#/$defs/Node"},
                                        },
                                    },
                                    "required": ["value", "children"],
                                    "additionalProperties": False,
                                }
                            },
                        },
                        "strict": True,
                    },
                }
            },
            "stock": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "stock",
                        "description": "Maps and lists of models.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "levels": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "key": {"type": "string"},
                                            "value": {"type": "integer"},
                                        },
                                        "required": ["key", "value"],
                                        "additionalProperties": False,
                                    },
                                },
                                "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                                "index": {
                                    "description": "(default: null)",
                                    "anyOf": [
                                        {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "key": {"type": "string"},
                                                    "value": {"$ref": "#/$defs/Item"},
                                                },
                                                "required": ["key", "value"],
                                                "additionalProperties": False,
                                            },
                                        },
                                        {"type": "null"},
                                    ],
                                },
                            },
                            "required": ["levels", "items", "index"],
                            "additionalProperties": False,
                            "$defs": {
                                "Item": {
                                    "type": "object",
                                    "properties": {
                                        "sku": {"type": "string"},
                                        "qty": {
                                            "description": "(default: 1)",
                                            "type": ["integer", "null"],
                                        },
                                    },
                                    "required": ["sku", "qty"],
                                    "additionalProperties": False,
                                }
                            },
                        },
                        "strict": True,
                    },
                },
                "warnings": [
                    "map-as-pairs at /properties/levels: openai-strict cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                    "map-as-pairs at /properties/index/anyOf/0: openai-strict cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                ],
            },
            "register": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "register",
                        "description": "Constrained strings and numbers.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "username": {
                                    "description": "(maxLength: 12; minLength: 3)",
                                    "type": "string",
                                    "pattern": "^[a-z]+$",
                                },
                                "age": {"type": "integer", "maximum": 150, "minimum": 0},
                                "step": {
                                    "description": "(default: 5)",
                                    "type": ["integer", "null"],
                                    "multipleOf": 5,
                                },
                                "tags": {
                                    "description": "(default: [])",
                                    "type": ["array", "null"],
                                    "items": {"type": "string"},
                                    "maxItems": 3,
                                },
                            },
                            "required": ["username", "age", "step", "tags"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                },
                "warnings": [
                    "moved-to-description at /properties/username/maxLength: openai-strict does not support 'maxLength' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                    "moved-to-description at /properties/username/minLength: openai-strict does not support 'minLength' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                ],
            },
            "book": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "book",
                        "description": "Dates.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "day": {"type": "string", "format": "date"},
                                "at": {
                                    "description": "(default: null)",
                                    "anyOf": [
                                        {"type": "string", "format": "date-time"},
                                        {"type": "null"},
                                    ],
                                },
                            },
                            "required": ["day", "at"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            },
            "upload": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "upload",
                        "description": "Bytes.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "data": {"description": '(format: "binary")', "type": "string"},
                            },
                            "required": ["name", "data"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                },
                "warnings": [
                    "moved-to-description at /properties/data/format: openai-strict does not support 'format' (supported formats: date, date-time, duration, email, hostname, ipv4, ipv6, time, uuid); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)"
                ],
            },
        }
    )


def test_openai_gallery() -> None:
    """OpenAI non-strict output of the gallery is stable."""
    assert _gallery("openai") == snapshot(
        {
            "search": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "search",
                        "description": "Optional fields with defaults.",
                        "parameters": {
                            "additionalProperties": False,
                            "properties": {
                                "query": {"type": "string"},
                                "limit": {"default": 10, "type": "integer"},
                                "order": {
                                    "default": "asc",
                                    "enum": ["asc", "desc"],
                                    "type": "string",
                                },
                            },
                            "required": ["query"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "assign": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "assign",
                        "description": "A nullable field without a default (required).",
                        "parameters": {
                            "additionalProperties": False,
                            "properties": {
                                "ticket": {"type": "string"},
                                "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            },
                            "required": ["ticket", "assignee"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "set_value": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "set_value",
                        "description": "Plain unions.",
                        "parameters": {
                            "additionalProperties": False,
                            "properties": {
                                "value": {
                                    "anyOf": [
                                        {"type": "integer"},
                                        {"type": "string"},
                                        {"items": {"type": "integer"}, "type": "array"},
                                    ]
                                },
                                "note": {
                                    "anyOf": [{"type": "string"}, {"type": "null"}],
                                    "default": None,
                                },
                            },
                            "required": ["value"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "adopt": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "adopt",
                        "description": "A discriminated union.",
                        "parameters": {
                            "$defs": {
                                "Cat": {
                                    "additionalProperties": False,
                                    "properties": {
                                        "kind": {"const": "cat", "type": "string"},
                                        "indoor": {"default": True, "type": "boolean"},
                                    },
                                    "required": ["kind"],
                                    "type": "object",
                                },
                                "Dog": {
                                    "additionalProperties": False,
                                    "properties": {
                                        "kind": {"const": "dog", "type": "string"},
                                        "good": {"type": "boolean"},
                                    },
                                    "required": ["kind", "good"],
                                    "type": "object",
                                },
                            },
                            "additionalProperties": False,
                            "properties": {
                                "pet": {
                                    "discriminator": {
                                        "mapping": {"cat": "#/$defs/Cat", "dog": "#/$defs/Dog"},
                                        "propertyName": "kind",
                                    },
                                    "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
                                }
                            },
                            "required": ["pet"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "paint": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "paint",
                        "description": "Enums and integer literals.",
                        "parameters": {
                            "$defs": {"Color": {"enum": ["red", "green"], "type": "string"}},
                            "additionalProperties": False,
                            "properties": {
                                "color": {"$ref": "#/$defs/Color"},
                                "size": {"default": 1, "enum": [1, 2, 3], "type": "integer"},
                                "shade": {
                                    "anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}],
                                    "default": None,
                                },
                            },
                            "required": ["color"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "move_in": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "move_in",
                        "description": "Nested models.",
                        "parameters": {
                            "$defs": {
                                "Address": {
                                    "additionalProperties": False,
                                    "properties": {
                                        "street": {"type": "string"},
                                        "city": {"type": "string"},
                                        "postcode": {
                                            "anyOf": [{"type": "string"}, {"type": "null"}],
                                            "default": None,
                                        },
                                    },
                                    "required": ["street", "city"],
                                    "type": "object",
                                }
                            },
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string"},
                                "address": {"$ref": "#/$defs/Address"},
                                "previous": {
                                    "anyOf": [
                                        {"items": {"$ref": "#/$defs/Address"}, "type": "array"},
                                        {"type": "null"},
                                    ],
                                    "default": None,
                                },
                            },
                            "required": ["name", "address"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "plant": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "plant",
                        "description": "A recursive model.",
                        "parameters": {
                            "$defs": {
                                "Node": {
                                    "additionalProperties": False,
                                    "properties": {
                                        "value": {"type": "integer"},
                                        "children": {
                                            "default": [],
                                            "items": {"$ref": "#/$defs/Node"},
                                            "type": "array",
                                        },
                                    },
                                    "required": ["value"],
                                    "type": "object",
                                }
                            },
                            "additionalProperties": False,
                            "properties": {"root": {"$ref": "#/$defs/Node"}},
                            "required": ["root"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "stock": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "stock",
                        "description": "Maps and lists of models.",
                        "parameters": {
                            "$defs": {
                                "Item": {
                                    "additionalProperties": False,
                                    "properties": {
                                        "sku": {"type": "string"},
                                        "qty": {"default": 1, "type": "integer"},
                                    },
                                    "required": ["sku"],
                                    "type": "object",
                                }
                            },
                            "additionalProperties": False,
                            "properties": {
                                "levels": {
                                    "additionalProperties": {"type": "integer"},
                                    "type": "object",
                                    "properties": {},
                                },
                                "items": {"items": {"$ref": "#/$defs/Item"}, "type": "array"},
                                "index": {
                                    "anyOf": [
                                        {
                                            "additionalProperties": {"$ref": "#/$defs/Item"},
                                            "type": "object",
                                            "properties": {},
                                        },
                                        {"type": "null"},
                                    ],
                                    "default": None,
                                },
                            },
                            "required": ["levels", "items"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "register": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "register",
                        "description": "Constrained strings and numbers.",
                        "parameters": {
                            "additionalProperties": False,
                            "properties": {
                                "username": {
                                    "maxLength": 12,
                                    "minLength": 3,
                                    "pattern": "^[a-z]+$",
                                    "type": "string",
                                },
                                "age": {"maximum": 150, "minimum": 0, "type": "integer"},
                                "step": {"default": 5, "multipleOf": 5, "type": "integer"},
                                "tags": {
                                    "default": [],
                                    "items": {"type": "string"},
                                    "maxItems": 3,
                                    "type": "array",
                                },
                            },
                            "required": ["username", "age"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "book": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "book",
                        "description": "Dates.",
                        "parameters": {
                            "additionalProperties": False,
                            "properties": {
                                "day": {"format": "date", "type": "string"},
                                "at": {
                                    "anyOf": [
                                        {"format": "date-time", "type": "string"},
                                        {"type": "null"},
                                    ],
                                    "default": None,
                                },
                            },
                            "required": ["day"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
            "upload": {
                "definition": {
                    "type": "function",
                    "function": {
                        "name": "upload",
                        "description": "Bytes.",
                        "parameters": {
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string"},
                                "data": {"format": "binary", "type": "string"},
                            },
                            "required": ["name", "data"],
                            "type": "object",
                        },
                        "strict": False,
                    },
                }
            },
        }
    )


def test_anthropic_gallery() -> None:
    """Anthropic output of the gallery is stable."""
    assert _gallery("anthropic") == snapshot(
        {
            "search": {
                "definition": {
                    "name": "search",
                    "description": "Optional fields with defaults.",
                    "input_schema": {
                        "additionalProperties": False,
                        "properties": {
                            "query": {"type": "string"},
                            "limit": {"default": 10, "type": "integer"},
                            "order": {"default": "asc", "enum": ["asc", "desc"], "type": "string"},
                        },
                        "required": ["query"],
                        "type": "object",
                    },
                }
            },
            "assign": {
                "definition": {
                    "name": "assign",
                    "description": "A nullable field without a default (required).",
                    "input_schema": {
                        "additionalProperties": False,
                        "properties": {
                            "ticket": {"type": "string"},
                            "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        },
                        "required": ["ticket", "assignee"],
                        "type": "object",
                    },
                }
            },
            "set_value": {
                "definition": {
                    "name": "set_value",
                    "description": "Plain unions.",
                    "input_schema": {
                        "additionalProperties": False,
                        "properties": {
                            "value": {
                                "anyOf": [
                                    {"type": "integer"},
                                    {"type": "string"},
                                    {"items": {"type": "integer"}, "type": "array"},
                                ]
                            },
                            "note": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                            },
                        },
                        "required": ["value"],
                        "type": "object",
                    },
                }
            },
            "adopt": {
                "definition": {
                    "name": "adopt",
                    "description": "A discriminated union.",
                    "input_schema": {
                        "$defs": {
                            "Cat": {
                                "additionalProperties": False,
                                "properties": {
                                    "kind": {"const": "cat", "type": "string"},
                                    "indoor": {"default": True, "type": "boolean"},
                                },
                                "required": ["kind"],
                                "type": "object",
                            },
                            "Dog": {
                                "additionalProperties": False,
                                "properties": {
                                    "kind": {"const": "dog", "type": "string"},
                                    "good": {"type": "boolean"},
                                },
                                "required": ["kind", "good"],
                                "type": "object",
                            },
                        },
                        "additionalProperties": False,
                        "properties": {
                            "pet": {
                                "discriminator": {
                                    "mapping": {"cat": "#/$defs/Cat", "dog": "#/$defs/Dog"},
                                    "propertyName": "kind",
                                },
                                "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
                            }
                        },
                        "required": ["pet"],
                        "type": "object",
                    },
                }
            },
            "paint": {
                "definition": {
                    "name": "paint",
                    "description": "Enums and integer literals.",
                    "input_schema": {
                        "$defs": {"Color": {"enum": ["red", "green"], "type": "string"}},
                        "additionalProperties": False,
                        "properties": {
                            "color": {"$ref": "#/$defs/Color"},
                            "size": {"default": 1, "enum": [1, 2, 3], "type": "integer"},
                            "shade": {
                                "anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}],
                                "default": None,
                            },
                        },
                        "required": ["color"],
                        "type": "object",
                    },
                }
            },
            "move_in": {
                "definition": {
                    "name": "move_in",
                    "description": "Nested models.",
                    "input_schema": {
                        "$defs": {
                            "Address": {
                                "additionalProperties": False,
                                "properties": {
                                    "street": {"type": "string"},
                                    "city": {"type": "string"},
                                    "postcode": {
                                        "anyOf": [{"type": "string"}, {"type": "null"}],
                                        "default": None,
                                    },
                                },
                                "required": ["street", "city"],
                                "type": "object",
                            }
                        },
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "address": {"$ref": "#/$defs/Address"},
                            "previous": {
                                "anyOf": [
                                    {"items": {"$ref": "#/$defs/Address"}, "type": "array"},
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["name", "address"],
                        "type": "object",
                    },
                }
            },
            "plant": {
                "definition": {
                    "name": "plant",
                    "description": "A recursive model.",
                    "input_schema": {
                        "$defs": {
                            "Node": {
                                "additionalProperties": False,
                                "properties": {
                                    "value": {"type": "integer"},
                                    "children": {
                                        "default": [],
                                        "items": {"$ref": "#/$defs/Node"},
                                        "type": "array",
                                    },
                                },
                                "required": ["value"],
                                "type": "object",
                            }
                        },
                        "additionalProperties": False,
                        "properties": {"root": {"$ref": "#/$defs/Node"}},
                        "required": ["root"],
                        "type": "object",
                    },
                }
            },
            "stock": {
                "definition": {
                    "name": "stock",
                    "description": "Maps and lists of models.",
                    "input_schema": {
                        "$defs": {
                            "Item": {
                                "additionalProperties": False,
                                "properties": {
                                    "sku": {"type": "string"},
                                    "qty": {"default": 1, "type": "integer"},
                                },
                                "required": ["sku"],
                                "type": "object",
                            }
                        },
                        "additionalProperties": False,
                        "properties": {
                            "levels": {
                                "additionalProperties": {"type": "integer"},
                                "type": "object",
                            },
                            "items": {"items": {"$ref": "#/$defs/Item"}, "type": "array"},
                            "index": {
                                "anyOf": [
                                    {
                                        "additionalProperties": {"$ref": "#/$defs/Item"},
                                        "type": "object",
                                    },
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["levels", "items"],
                        "type": "object",
                    },
                }
            },
            "register": {
                "definition": {
                    "name": "register",
                    "description": "Constrained strings and numbers.",
                    "input_schema": {
                        "additionalProperties": False,
                        "properties": {
                            "username": {
                                "maxLength": 12,
                                "minLength": 3,
                                "pattern": "^[a-z]+$",
                                "type": "string",
                            },
                            "age": {"maximum": 150, "minimum": 0, "type": "integer"},
                            "step": {"default": 5, "multipleOf": 5, "type": "integer"},
                            "tags": {
                                "default": [],
                                "items": {"type": "string"},
                                "maxItems": 3,
                                "type": "array",
                            },
                        },
                        "required": ["username", "age"],
                        "type": "object",
                    },
                }
            },
            "book": {
                "definition": {
                    "name": "book",
                    "description": "Dates.",
                    "input_schema": {
                        "additionalProperties": False,
                        "properties": {
                            "day": {"format": "date", "type": "string"},
                            "at": {
                                "anyOf": [
                                    {"format": "date-time", "type": "string"},
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["day"],
                        "type": "object",
                    },
                }
            },
            "upload": {
                "definition": {
                    "name": "upload",
                    "description": "Bytes.",
                    "input_schema": {
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "data": {"format": "binary", "type": "string"},
                        },
                        "required": ["name", "data"],
                        "type": "object",
                    },
                }
            },
        }
    )


def test_anthropic_strict_gallery() -> None:
    """Anthropic strict output of the gallery is stable."""
    assert _gallery("anthropic-strict") == snapshot(
        {
            "search": {
                "definition": {
                    "name": "search",
                    "description": "Optional fields with defaults.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "limit": {"type": "integer", "default": 10},
                            "order": {"type": "string", "default": "asc", "enum": ["asc", "desc"]},
                        },
                        "required": ["query"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                }
            },
            "assign": {
                "definition": {
                    "name": "assign",
                    "description": "A nullable field without a default (required).",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "ticket": {"type": "string"},
                            "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        },
                        "required": ["ticket", "assignee"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                }
            },
            "set_value": {
                "definition": {
                    "name": "set_value",
                    "description": "Plain unions.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "value": {
                                "anyOf": [
                                    {"type": "integer"},
                                    {"type": "string"},
                                    {"type": "array", "items": {"type": "integer"}},
                                ]
                            },
                            "note": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                            },
                        },
                        "required": ["value"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                }
            },
            "adopt": {
                "definition": {
                    "name": "adopt",
                    "description": "A discriminated union.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}
                        },
                        "required": ["pet"],
                        "additionalProperties": False,
                        "$defs": {
                            "Cat": {
                                "type": "object",
                                "properties": {
                                    "kind": {"type": "string", "const": "cat"},
                                    "indoor": {"type": "boolean", "default": True},
                                },
                                "required": ["kind"],
                                "additionalProperties": False,
                            },
                            "Dog": {
                                "type": "object",
                                "properties": {
                                    "kind": {"type": "string", "const": "dog"},
                                    "good": {"type": "boolean"},
                                },
                                "required": ["kind", "good"],
                                "additionalProperties": False,
                            },
                        },
                    },
                    "strict": True,
                }
            },
            "paint": {
                "definition": {
                    "name": "paint",
                    "description": "Enums and integer literals.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "color": {"$ref": "#/$defs/Color"},
                            "size": {"type": "integer", "default": 1, "enum": [1, 2, 3]},
                            "shade": {
                                "anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}],
                                "default": None,
                            },
                        },
                        "required": ["color"],
                        "additionalProperties": False,
                        "$defs": {"Color": {"type": "string", "enum": ["red", "green"]}},
                    },
                    "strict": True,
                }
            },
            "move_in": {
                "definition": {
                    "name": "move_in",
                    "description": "Nested models.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "address": {"$ref": "#/$defs/Address"},
                            "previous": {
                                "anyOf": [
                                    {"type": "array", "items": {"$ref": "#/$defs/Address"}},
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["name", "address"],
                        "additionalProperties": False,
                        "$defs": {
                            "Address": {
                                "type": "object",
                                "properties": {
                                    "street": {"type": "string"},
                                    "city": {"type": "string"},
                                    "postcode": {
                                        "anyOf": [{"type": "string"}, {"type": "null"}],
                                        "default": None,
                                    },
                                },
                                "required": ["street", "city"],
                                "additionalProperties": False,
                            }
                        },
                    },
                    "strict": True,
                }
            },
            "plant": {
                "refused": "recursive schema ($ref '#/$defs/Node' refers to itself): Anthropic strict tool use does not support recursive schemas; bound the depth or use a dialect that allows it (openai-strict, anthropic, mcp) at /$defs/Node/properties/children/items"
            },
            "stock": {
                "definition": {
                    "name": "stock",
                    "description": "Maps and lists of models.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "levels": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "key": {"type": "string"},
                                        "value": {"type": "integer"},
                                    },
                                    "required": ["key", "value"],
                                    "additionalProperties": False,
                                },
                            },
                            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                            "index": {
                                "anyOf": [
                                    {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "key": {"type": "string"},
                                                "value": {"$ref": "#/$defs/Item"},
                                            },
                                            "required": ["key", "value"],
                                            "additionalProperties": False,
                                        },
                                    },
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["levels", "items"],
                        "additionalProperties": False,
                        "$defs": {
                            "Item": {
                                "type": "object",
                                "properties": {
                                    "sku": {"type": "string"},
                                    "qty": {"type": "integer", "default": 1},
                                },
                                "required": ["sku"],
                                "additionalProperties": False,
                            }
                        },
                    },
                    "strict": True,
                },
                "warnings": [
                    "map-as-pairs at /properties/levels: anthropic-strict cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                    "map-as-pairs at /properties/index/anyOf/0: anthropic-strict cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                ],
            },
            "register": {
                "definition": {
                    "name": "register",
                    "description": "Constrained strings and numbers.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "username": {
                                "description": "(maxLength: 12; minLength: 3)",
                                "type": "string",
                                "pattern": "^[a-z]+$",
                            },
                            "age": {"description": "(maximum: 150; minimum: 0)", "type": "integer"},
                            "step": {
                                "description": "(multipleOf: 5)",
                                "type": "integer",
                                "default": 5,
                            },
                            "tags": {
                                "description": "(maxItems: 3)",
                                "type": "array",
                                "items": {"type": "string"},
                                "default": [],
                            },
                        },
                        "required": ["username", "age"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                },
                "warnings": [
                    "moved-to-description at /properties/username/maxLength: anthropic-strict does not support 'maxLength' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                    "moved-to-description at /properties/username/minLength: anthropic-strict does not support 'minLength' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                    "moved-to-description at /properties/age/maximum: anthropic-strict does not support 'maximum' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                    "moved-to-description at /properties/age/minimum: anthropic-strict does not support 'minimum' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                    "moved-to-description at /properties/step/multipleOf: anthropic-strict does not support 'multipleOf' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                    "moved-to-description at /properties/tags/maxItems: anthropic-strict does not support 'maxItems' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)",
                ],
            },
            "book": {
                "definition": {
                    "name": "book",
                    "description": "Dates.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "day": {"type": "string", "format": "date"},
                            "at": {
                                "anyOf": [
                                    {"type": "string", "format": "date-time"},
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["day"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                }
            },
            "upload": {
                "definition": {
                    "name": "upload",
                    "description": "Bytes.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "data": {"description": '(format: "binary")', "type": "string"},
                        },
                        "required": ["name", "data"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                },
                "warnings": [
                    "moved-to-description at /properties/data/format: anthropic-strict does not support 'format' (supported formats: date, date-time, duration, email, hostname, ipv4, ipv6, time, uri, uuid); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)"
                ],
            },
        }
    )


def test_gemini_gallery() -> None:
    """Gemini output of the gallery is stable."""
    assert _gallery("gemini") == snapshot(
        {
            "search": {
                "definition": {
                    "name": "search",
                    "description": "Optional fields with defaults.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "query": {"type": "STRING"},
                            "limit": {"type": "INTEGER", "default": 10},
                            "order": {"type": "STRING", "default": "asc", "enum": ["asc", "desc"]},
                        },
                        "required": ["query"],
                    },
                }
            },
            "assign": {
                "definition": {
                    "name": "assign",
                    "description": "A nullable field without a default (required).",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "ticket": {"type": "STRING"},
                            "assignee": {"type": "STRING", "nullable": True},
                        },
                        "required": ["ticket", "assignee"],
                    },
                }
            },
            "set_value": {
                "definition": {
                    "name": "set_value",
                    "description": "Plain unions.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "value": {
                                "anyOf": [
                                    {"type": "INTEGER"},
                                    {"type": "STRING"},
                                    {"type": "ARRAY", "items": {"type": "INTEGER"}},
                                ]
                            },
                            "note": {"type": "STRING", "nullable": True},
                        },
                        "required": ["value"],
                    },
                }
            },
            "adopt": {
                "definition": {
                    "name": "adopt",
                    "description": "A discriminated union.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "pet": {
                                "anyOf": [
                                    {
                                        "type": "OBJECT",
                                        "properties": {
                                            "kind": {"type": "STRING", "enum": ["cat"]},
                                            "indoor": {"type": "BOOLEAN", "default": True},
                                        },
                                        "required": ["kind"],
                                    },
                                    {
                                        "type": "OBJECT",
                                        "properties": {
                                            "kind": {"type": "STRING", "enum": ["dog"]},
                                            "good": {"type": "BOOLEAN"},
                                        },
                                        "required": ["kind", "good"],
                                    },
                                ]
                            }
                        },
                        "required": ["pet"],
                    },
                }
            },
            "paint": {
                "definition": {
                    "name": "paint",
                    "description": "Enums and integer literals.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "color": {"type": "STRING", "enum": ["red", "green"]},
                            "size": {"type": "STRING", "default": "1", "enum": ["1", "2", "3"]},
                            "shade": {"type": "STRING", "enum": ["red", "green"], "nullable": True},
                        },
                        "required": ["color"],
                    },
                },
                "warnings": [
                    "enum-stringified at /properties/size/enum: gemini enums hold strings only; the values are sent as strings (1, 2, 3) and decoded back to their original types"
                ],
            },
            "move_in": {
                "definition": {
                    "name": "move_in",
                    "description": "Nested models.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "name": {"type": "STRING"},
                            "address": {
                                "type": "OBJECT",
                                "properties": {
                                    "street": {"type": "STRING"},
                                    "city": {"type": "STRING"},
                                    "postcode": {"type": "STRING", "nullable": True},
                                },
                                "required": ["street", "city"],
                            },
                            "previous": {
                                "type": "ARRAY",
                                "items": {
                                    "type": "OBJECT",
                                    "properties": {
                                        "street": {"type": "STRING"},
                                        "city": {"type": "STRING"},
                                        "postcode": {"type": "STRING", "nullable": True},
                                    },
                                    "required": ["street", "city"],
                                },
                                "nullable": True,
                            },
                        },
                        "required": ["name", "address"],
                    },
                }
            },
            "plant": {
                "refused": "recursive schema ($ref '#/$defs/Node' refers to itself): gemini has no $ref, so recursion cannot be inlined; bound the depth (e.g. a model per level) or use a dialect that keeps $ref (openai-strict, anthropic, mcp) at /properties/root/properties/children/items"
            },
            "stock": {
                "definition": {
                    "name": "stock",
                    "description": "Maps and lists of models.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "levels": {
                                "type": "ARRAY",
                                "items": {
                                    "type": "OBJECT",
                                    "properties": {
                                        "key": {"type": "STRING"},
                                        "value": {"type": "INTEGER"},
                                    },
                                    "required": ["key", "value"],
                                },
                            },
                            "items": {
                                "type": "ARRAY",
                                "items": {
                                    "type": "OBJECT",
                                    "properties": {
                                        "sku": {"type": "STRING"},
                                        "qty": {"type": "INTEGER", "default": 1},
                                    },
                                    "required": ["sku"],
                                },
                            },
                            "index": {
                                "type": "ARRAY",
                                "items": {
                                    "type": "OBJECT",
                                    "properties": {
                                        "key": {"type": "STRING"},
                                        "value": {
                                            "type": "OBJECT",
                                            "properties": {
                                                "sku": {"type": "STRING"},
                                                "qty": {"type": "INTEGER", "default": 1},
                                            },
                                            "required": ["sku"],
                                        },
                                    },
                                    "required": ["key", "value"],
                                },
                                "nullable": True,
                            },
                        },
                        "required": ["levels", "items"],
                    },
                },
                "warnings": [
                    "map-as-pairs at /properties/levels: gemini cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                    "map-as-pairs at /properties/index/anyOf/0: gemini cannot describe an object with arbitrary keys; this map is sent as a list of {key, value} objects and decoded back into an object",
                ],
            },
            "register": {
                "definition": {
                    "name": "register",
                    "description": "Constrained strings and numbers.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "username": {
                                "type": "STRING",
                                "maxLength": 12,
                                "minLength": 3,
                                "pattern": "^[a-z]+$",
                            },
                            "age": {"type": "INTEGER", "maximum": 150, "minimum": 0},
                            "step": {
                                "description": "(multipleOf: 5)",
                                "type": "INTEGER",
                                "default": 5,
                            },
                            "tags": {
                                "type": "ARRAY",
                                "items": {"type": "STRING"},
                                "default": [],
                                "maxItems": 3,
                            },
                        },
                        "required": ["username", "age"],
                    },
                },
                "warnings": [
                    "moved-to-description at /properties/step/multipleOf: gemini does not support 'multipleOf' (not in its documented schema subset); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)"
                ],
            },
            "book": {
                "definition": {
                    "name": "book",
                    "description": "Dates.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "day": {"description": '(format: "date")', "type": "STRING"},
                            "at": {"type": "STRING", "format": "date-time", "nullable": True},
                        },
                        "required": ["day"],
                    },
                },
                "warnings": [
                    "moved-to-description at /properties/day/format: gemini does not support 'format' (supported formats: date-time, double, enum, float, int32, int64); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)"
                ],
            },
            "upload": {
                "definition": {
                    "name": "upload",
                    "description": "Bytes.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "name": {"type": "STRING"},
                            "data": {"description": '(format: "binary")', "type": "STRING"},
                        },
                        "required": ["name", "data"],
                    },
                },
                "warnings": [
                    "moved-to-description at /properties/data/format: gemini does not support 'format' (supported formats: date-time, double, enum, float, int32, int64); it was moved into the description, so the provider no longer enforces it (agentkit still validates it)"
                ],
            },
        }
    )


def test_mcp_gallery() -> None:
    """MCP output of the gallery is stable."""
    assert _gallery("mcp") == snapshot(
        {
            "search": {
                "definition": {
                    "name": "search",
                    "description": "Optional fields with defaults.",
                    "inputSchema": {
                        "additionalProperties": False,
                        "properties": {
                            "query": {"type": "string"},
                            "limit": {"default": 10, "type": "integer"},
                            "order": {"default": "asc", "enum": ["asc", "desc"], "type": "string"},
                        },
                        "required": ["query"],
                        "type": "object",
                    },
                    "annotations": {},
                },
                "warnings": [
                    "output-schema-omitted at (root): MCP requires outputSchema to be an object schema; this tool returns 'array', so its results go out as text content"
                ],
            },
            "assign": {
                "definition": {
                    "name": "assign",
                    "description": "A nullable field without a default (required).",
                    "inputSchema": {
                        "additionalProperties": False,
                        "properties": {
                            "ticket": {"type": "string"},
                            "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        },
                        "required": ["ticket", "assignee"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "set_value": {
                "definition": {
                    "name": "set_value",
                    "description": "Plain unions.",
                    "inputSchema": {
                        "additionalProperties": False,
                        "properties": {
                            "value": {
                                "anyOf": [
                                    {"type": "integer"},
                                    {"type": "string"},
                                    {"items": {"type": "integer"}, "type": "array"},
                                ]
                            },
                            "note": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                            },
                        },
                        "required": ["value"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "adopt": {
                "definition": {
                    "name": "adopt",
                    "description": "A discriminated union.",
                    "inputSchema": {
                        "$defs": {
                            "Cat": {
                                "additionalProperties": False,
                                "properties": {
                                    "kind": {"const": "cat", "type": "string"},
                                    "indoor": {"default": True, "type": "boolean"},
                                },
                                "required": ["kind"],
                                "title": "Cat",
                                "type": "object",
                            },
                            "Dog": {
                                "additionalProperties": False,
                                "properties": {
                                    "kind": {"const": "dog", "type": "string"},
                                    "good": {"type": "boolean"},
                                },
                                "required": ["kind", "good"],
                                "title": "Dog",
                                "type": "object",
                            },
                        },
                        "additionalProperties": False,
                        "properties": {
                            "pet": {
                                "discriminator": {
                                    "mapping": {"cat": "#/$defs/Cat", "dog": "#/$defs/Dog"},
                                    "propertyName": "kind",
                                },
                                "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
                            }
                        },
                        "required": ["pet"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "paint": {
                "definition": {
                    "name": "paint",
                    "description": "Enums and integer literals.",
                    "inputSchema": {
                        "$defs": {
                            "Color": {"enum": ["red", "green"], "title": "Color", "type": "string"}
                        },
                        "additionalProperties": False,
                        "properties": {
                            "color": {"$ref": "#/$defs/Color"},
                            "size": {"default": 1, "enum": [1, 2, 3], "type": "integer"},
                            "shade": {
                                "anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}],
                                "default": None,
                            },
                        },
                        "required": ["color"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "move_in": {
                "definition": {
                    "name": "move_in",
                    "description": "Nested models.",
                    "inputSchema": {
                        "$defs": {
                            "Address": {
                                "additionalProperties": False,
                                "properties": {
                                    "street": {"type": "string"},
                                    "city": {"type": "string"},
                                    "postcode": {
                                        "anyOf": [{"type": "string"}, {"type": "null"}],
                                        "default": None,
                                    },
                                },
                                "required": ["street", "city"],
                                "title": "Address",
                                "type": "object",
                            }
                        },
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "address": {"$ref": "#/$defs/Address"},
                            "previous": {
                                "anyOf": [
                                    {"items": {"$ref": "#/$defs/Address"}, "type": "array"},
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["name", "address"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "plant": {
                "definition": {
                    "name": "plant",
                    "description": "A recursive model.",
                    "inputSchema": {
                        "$defs": {
                            "Node": {
                                "additionalProperties": False,
                                "properties": {
                                    "value": {"type": "integer"},
                                    "children": {
                                        "default": [],
                                        "items": {"$ref": "#/$defs/Node"},
                                        "type": "array",
                                    },
                                },
                                "required": ["value"],
                                "title": "Node",
                                "type": "object",
                            }
                        },
                        "additionalProperties": False,
                        "properties": {"root": {"$ref": "#/$defs/Node"}},
                        "required": ["root"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "stock": {
                "definition": {
                    "name": "stock",
                    "description": "Maps and lists of models.",
                    "inputSchema": {
                        "$defs": {
                            "Item": {
                                "additionalProperties": False,
                                "properties": {
                                    "sku": {"type": "string"},
                                    "qty": {"default": 1, "type": "integer"},
                                },
                                "required": ["sku"],
                                "title": "Item",
                                "type": "object",
                            }
                        },
                        "additionalProperties": False,
                        "properties": {
                            "levels": {
                                "additionalProperties": {"type": "integer"},
                                "type": "object",
                            },
                            "items": {"items": {"$ref": "#/$defs/Item"}, "type": "array"},
                            "index": {
                                "anyOf": [
                                    {
                                        "additionalProperties": {"$ref": "#/$defs/Item"},
                                        "type": "object",
                                    },
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["levels", "items"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "register": {
                "definition": {
                    "name": "register",
                    "description": "Constrained strings and numbers.",
                    "inputSchema": {
                        "additionalProperties": False,
                        "properties": {
                            "username": {
                                "maxLength": 12,
                                "minLength": 3,
                                "pattern": "^[a-z]+$",
                                "type": "string",
                            },
                            "age": {"maximum": 150, "minimum": 0, "type": "integer"},
                            "step": {"default": 5, "multipleOf": 5, "type": "integer"},
                            "tags": {
                                "default": [],
                                "items": {"type": "string"},
                                "maxItems": 3,
                                "type": "array",
                            },
                        },
                        "required": ["username", "age"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "book": {
                "definition": {
                    "name": "book",
                    "description": "Dates.",
                    "inputSchema": {
                        "additionalProperties": False,
                        "properties": {
                            "day": {"format": "date", "type": "string"},
                            "at": {
                                "anyOf": [
                                    {"format": "date-time", "type": "string"},
                                    {"type": "null"},
                                ],
                                "default": None,
                            },
                        },
                        "required": ["day"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
            "upload": {
                "definition": {
                    "name": "upload",
                    "description": "Bytes.",
                    "inputSchema": {
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "data": {"format": "binary", "type": "string"},
                        },
                        "required": ["name", "data"],
                        "type": "object",
                    },
                    "annotations": {},
                }
            },
        }
    )


def test_canonical_gallery() -> None:
    """The canonical dialect returns the contract's own schema."""
    for t in GALLERY:
        assert get_dialect("canonical").compile(t.contract).schema == t.contract.input_schema


# ---------------------------------------------------------------------------------------------- strategies
_FORMATS = {
    "date": st.dates().map(date.isoformat),
    "date-time": st.datetimes().map(lambda d: d.isoformat() + "Z"),
    "binary": st.text(string.ascii_letters, max_size=5),
}


def gemini_to_json_schema(schema: Any) -> Any:
    """Read a Gemini (OpenAPI subset) schema as JSON Schema, to validate against it."""
    if isinstance(schema, list):
        return [gemini_to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: gemini_to_json_schema(v) for k, v in schema.items() if k != "nullable"}
    if "properties" in schema:
        out["properties"] = {k: gemini_to_json_schema(v) for k, v in schema["properties"].items()}
    if isinstance(out.get("type"), str):
        out["type"] = out["type"].lower()
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        target: Any = root
        for token in ref[2:].split("/") if ref != "#" else []:
            target = target[token]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def values(schema: Any, root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values drawn from a JSON Schema (the subset the gallery uses); validity is checked separately."""
    if schema is True or schema == {}:
        return st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=3))
    schema = _resolve(schema, root)
    if isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return values({**_resolve(schema["allOf"][0], root), **rest}, root, depth)
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of(
            [values(s, root, depth + 1) for s in schema.get("anyOf", schema.get("oneOf"))]
        )
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([values({**schema, "type": k}, root, depth) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        lo, hi = schema.get("minimum", -1000), schema.get("maximum", 1000)
        step = schema.get("multipleOf", 1)
        return st.integers(lo // step, hi // step).map(lambda n: n * step)
    if kind == "number":
        return st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-100, 100)
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        return st.text(
            string.ascii_letters,
            min_size=schema.get("minLength", 0),
            max_size=schema.get("maxLength", 6),
        )
    if kind == "array":
        item = schema.get("items", {})
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", 3), 3 if depth < 3 else low)
        if max(low, high) == 0:
            return st.just([])
        if depth > 8:
            return st.nothing()
        return st.lists(values(item, root, depth + 1), min_size=low, max_size=max(low, high))
    if kind == "object" or "properties" in schema:
        if depth > 8:
            return st.nothing()
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {k: values(v, root, depth + 1) for k, v in props.items() if k in required}
        optional = {k: values(v, root, depth + 1) for k, v in props.items() if k not in required}
        extra = schema.get("additionalProperties")
        base = st.fixed_dictionaries(fixed, optional=optional if depth < 3 else {})
        if isinstance(extra, dict) and extra and not props:
            return st.dictionaries(
                st.text(string.ascii_lowercase, max_size=3),
                values(extra, root, depth + 1),
                max_size=3,
            )
        if props and (extra is True or extra == {}):
            # An object that allows extra keys: sometimes send one.
            return st.tuples(base, st.sampled_from([{}, {"zz_extra": 1}])).map(
                lambda pair: {**pair[1], **pair[0]}
            )
        return base
    return st.nothing()


def with_defaults(value: Any, schema: Any, root: dict[str, Any]) -> Any:
    """``value`` with every omitted property that declares a default filled in (recursively)."""
    if not isinstance(schema, dict):
        return value
    schema = _resolve(schema, root)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            for branch in schema[key]:
                if jsonschema.Draft202012Validator(
                    {**branch, "$defs": root.get("$defs", {})}
                ).is_valid(value):
                    return with_defaults(value, branch, root)
            return value
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out = {
            k: with_defaults(v, props.get(k, schema.get("additionalProperties")), root)
            for k, v in value.items()
        }
        for key, sub in props.items():
            if key not in out and isinstance(sub, dict) and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
        return out
    if isinstance(value, list):
        return [with_defaults(v, schema.get("items"), root) for v in value]
    return value


@cache
def _validator(schema_json: str) -> jsonschema.Draft202012Validator:
    import json

    schema = json.loads(schema_json)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    import json

    return _validator(json.dumps(schema, sort_keys=True))


def dialect_schema(compiled: CompiledTool) -> dict[str, Any]:
    """The compiled schema as JSON Schema."""
    if compiled.dialect == "gemini":
        converted = gemini_to_json_schema(compiled.schema)
        assert isinstance(converted, dict)
        return converted
    return compiled.schema


def _compiled(contract: ToolContract, dialect: str) -> CompiledTool | None:
    try:
        return get_dialect(dialect).compile(contract)
    except SchemaCompileError:
        return None


_SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("fn", GALLERY, ids=lambda t: t.contract.name)
@_SETTINGS
@given(data=st.data())
def test_canonical_arguments_survive_encode_decode(
    fn: Any, dialect: str, data: st.DataObject
) -> None:
    """Every canonical-valid argument is dialect-valid once encoded and decodes back unchanged (up to defaults)."""
    contract = fn.contract
    compiled = _compiled(contract, dialect)
    if compiled is None:
        return
    canonical = contract.input_schema
    arguments = data.draw(values(canonical, canonical))
    assume(validator(canonical).is_valid(arguments))
    encoded = compiled.encode(arguments)
    errors = list(validator(dialect_schema(compiled)).iter_errors(encoded))
    assert not errors, (encoded, errors[0].message)
    decoded = compiled.decode(encoded)
    assert with_defaults(decoded, canonical, canonical) == with_defaults(
        arguments, canonical, canonical
    )


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("fn", GALLERY, ids=lambda t: t.contract.name)
@_SETTINGS
@given(data=st.data())
def test_dialect_arguments_decode_to_canonical(fn: Any, dialect: str, data: st.DataObject) -> None:
    """Every argument valid under the dialect schema decodes to a canonical-valid one.

    The only exceptions allowed are the constraints the dialect said it moved into the description (the provider
    does not enforce them, agentkit's own validation still does).
    """
    contract = fn.contract
    compiled = _compiled(contract, dialect)
    if compiled is None:
        return
    schema = dialect_schema(compiled)
    arguments = data.draw(values(schema, schema))
    assume(validator(schema).is_valid(arguments))
    decoded = compiled.decode(arguments)
    relaxed = {
        w.pointer.rsplit("/", 1)[-1] for w in compiled.warnings if w.code == "moved-to-description"
    }
    if any(w.code == "oneof-as-anyof" for w in compiled.warnings):
        relaxed.add("oneOf")
    errors = [
        e
        for e in validator(contract.input_schema).iter_errors(decoded)
        if e.validator not in relaxed
    ]
    assert not errors, (arguments, decoded, errors[0].message)


# Generated schemas: the keywords the rewriting paths touch ($ref and one-entry allOf with siblings, objects that
# allow or forbid extra keys, bounds, patterns, optional fields), combined at random.
_LEAVES = [
    {"type": "string"},
    {"type": "string", "maxLength": 4},
    {"type": "string", "pattern": "^[a-c]+$"},
    {"type": "string", "pattern": "^[b-d]+$"},
    {"type": "integer", "minimum": 0},
    {"type": "integer", "maximum": 10},
    {"type": "integer", "minimum": 3, "maximum": 7},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "string", "enum": ["a", "b"]},
]
_SIBLINGS = [
    {},
    {"maximum": 5},
    {"minimum": 2},
    {"minimum": -50},
    {"maximum": 50},
    {"maxLength": 2},
    {"maxLength": 40},
    {"pattern": "^[a-c]+$"},
    {"description": "beside"},
]


@st.composite
def _generated_schema(draw: st.DrawFn) -> dict[str, Any]:
    defs: dict[str, Any] = {}

    def leaf() -> dict[str, Any]:
        base = copy.deepcopy(draw(st.sampled_from(_LEAVES)))
        wrap = draw(st.sampled_from(["plain", "plain", "ref", "allOf"]))
        if wrap == "plain":
            return base
        sibling = copy.deepcopy(draw(st.sampled_from(_SIBLINGS)))
        if wrap == "ref":
            name = f"D{len(defs)}"
            defs[name] = base
            return {"$ref": f"#/$defs/{name}", **sibling}
        return {"allOf": [base], **sibling}

    def obj(depth: int) -> dict[str, Any]:
        names = draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=3, unique=True))
        props = {n: obj(depth + 1) if depth < 1 and draw(st.booleans()) else leaf() for n in names}
        out: dict[str, Any] = {"type": "object", "properties": props}
        required = [n for n in names if draw(st.booleans())]
        if required:
            out["required"] = required
        extra = draw(st.sampled_from(["absent", False, True, {}]))
        if extra != "absent":
            out["additionalProperties"] = extra
        return out

    root = obj(0)
    if defs:
        root["$defs"] = defs
    return root


@pytest.mark.parametrize("dialect", DIALECTS)
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(schema=_generated_schema(), data=st.data())
def test_generated_schemas_are_kept_or_refused_never_rewritten(
    dialect: str, schema: dict[str, Any], data: st.DataObject
) -> None:
    """A generated schema compiles to one that accepts and decodes the same values (bar warnings), or is refused."""
    contract = ToolContract(name="generated", input_schema=schema)
    compiled = _compiled(contract, dialect)
    if compiled is None:
        return
    canonical = contract.input_schema
    arguments = data.draw(values(canonical, canonical))
    assume(validator(canonical).is_valid(arguments))
    encoded = compiled.encode(arguments)
    errors = list(validator(dialect_schema(compiled)).iter_errors(encoded))
    assert not errors, (encoded, errors[0].message)
    assert with_defaults(compiled.decode(encoded), canonical, canonical) == with_defaults(
        arguments, canonical, canonical
    )
    target = dialect_schema(compiled)
    sent = data.draw(values(target, target))
    assume(validator(target).is_valid(sent))
    relaxed = {
        w.pointer.rsplit("/", 1)[-1] for w in compiled.warnings if w.code == "moved-to-description"
    }
    problems = [
        e
        for e in validator(canonical).iter_errors(compiled.decode(sent))
        if e.validator not in relaxed
    ]
    assert not problems, (sent, problems[0].message)
