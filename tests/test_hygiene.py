"""Patterns the code base must not contain, checked over the source text (no code is run)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_TREES = ("src", "tests", "examples", "benchmarks")
# The same mistake inside a docs code block (tests/test_docs.py runs every python block).
DOCS_PATTERN = re.compile(r"\bwith\s+(?:sqlite3\.)?connect\(")


def _sqlite_connects_used_as_context_managers(tree: ast.AST) -> list[int]:
    """Line numbers of ``with sqlite3.connect(...)`` (or ``connect`` imported from sqlite3) items."""
    bare = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "sqlite3"
        for alias in node.names
        if alias.name == "connect"
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.With, ast.AsyncWith)):
            continue
        for item in node.items:
            call = item.context_expr
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "connect"
                and isinstance(func.value, ast.Name)
                and func.value.id == "sqlite3"
            ) or (isinstance(func, ast.Name) and func.id in bare):
                lines.append(call.lineno)
    return sorted(lines)


def test_no_sqlite_connection_is_used_as_a_context_manager() -> None:
    """``with sqlite3.connect(...)`` commits but never closes (3.13 warns): ``closing(...)`` must wrap it."""
    hits = []
    for tree_name in PYTHON_TREES:
        for path in sorted((ROOT / tree_name).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            if "connect" not in source:
                continue
            for line in _sqlite_connects_used_as_context_managers(ast.parse(source, str(path))):
                hits.append(f"{path.relative_to(ROOT)}:{line}")
    for path in sorted((ROOT / "docs").rglob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DOCS_PATTERN.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}")
    assert hits == [], (
        "use `with closing(sqlite3.connect(...)) as db, db:` instead at " + ", ".join(hits)
    )


def test_the_check_finds_each_spelling() -> None:
    """The check catches the attribute form, an imported ``connect`` and a second ``with`` item, not ``closing``."""
    source = (
        "import sqlite3\n"
        "from sqlite3 import connect as open_db\n"
        "from contextlib import closing\n"
        "with sqlite3.connect('a') as db:\n"
        "    pass\n"
        "with open('x') as f, open_db('b') as db:\n"
        "    pass\n"
        "with closing(sqlite3.connect('c')) as db, db:\n"
        "    pass\n"
        "async def f():\n"
        "    async with sqlite3.connect('d') as db:\n"
        "        pass\n"
    )
    assert _sqlite_connects_used_as_context_managers(ast.parse(source)) == [4, 6, 11]
    assert DOCS_PATTERN.search("    with sqlite3.connect(path) as db:")
    assert not DOCS_PATTERN.search("with closing(sqlite3.connect(path)) as db, db:")
