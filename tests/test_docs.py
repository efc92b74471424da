"""The docs tell the truth: their Python runs, their commands exist, and they read the same on a code host.

Every fenced ``python`` block in README.md and docs/ is one of three kinds, chosen by an HTML comment on the line
before the fence (invisible on the site and on a code host):

- no comment: the block runs. The blocks of one page run in order, in one namespace (a page reads like one
  script), in a subprocess in an empty directory, offline; top-level ``await`` is allowed.
- ``<!-- from: examples/FILE.py:SECTION -->``: the block is a copy of that section of a tested example (marked
  ``# --8<-- [start:SECTION]`` / ``[end:SECTION]`` there), and must stay identical to it; tests/test_examples.py
  runs the example. Long examples stay in examples/ and the page quotes them this way instead of including them
  with a snippet marker, which a code host would show as an empty block.
- ``<!-- not-tested: REASON -->``: a fragment or a block that needs a network; counted below, so adding one is
  a deliberate change.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<lang>[\w-]*)[ \t]*$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>from|not-tested):\s*(?P<arg>.*?)\s*-->\s*$")
# The blocks that are neither run nor copied from an example. Lower it when one becomes tested; raising it needs a
# reason in the block's marker.
UNTESTED_BLOCKS = 10
SNIPPET = "--8" + "<--"  # spelled apart so that this file never looks like a snippet include itself


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    kind: str  # "run", "from" or "not-tested"
    arg: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, with the marker before each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = next(
            j
            for j in range(i + 1, len(lines))
            if lines[j].strip() == fence and lines[j].startswith(indent)
        )
        body = "\n".join(line[len(indent) :] for line in lines[i + 1 : end])
        before = next((line for line in reversed(lines[:i]) if line.strip()), "")
        marker = MARKER.match(before)
        kind, arg = (marker["kind"], marker["arg"]) if marker else ("run", "")
        found.append(Block(page, i + 1, opening["lang"], body + "\n", kind, arg))
        i = end + 1
    return found


def python_blocks(kind: str) -> list[Block]:
    return [b for page in PAGES for b in blocks(page) if b.lang == "python" and b.kind == kind]


def example_section(path: str, name: str) -> str:
    """A section of an example file, without its markers, dedented."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    start = [i for i, line in enumerate(lines) if line.strip() == f"# {SNIPPET} [start:{name}]"]
    end = [i for i, line in enumerate(lines) if line.strip() == f"# {SNIPPET} [end:{name}]"]
    assert len(start) == 1, f"{path}: section {name!r} should start exactly once"
    assert len(end) == 1, f"{path}: section {name!r} should end exactly once"
    body = [line for line in lines[start[0] + 1 : end[0]] if SNIPPET not in line]
    return textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def offline_env() -> dict[str, str]:
    """The current environment minus credentials and proxies: docs examples never reach a real service."""
    secret = ("API_KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL", "PROXY", "BASE_URL")
    env = {k: v for k, v in os.environ.items() if not any(s in k.upper() for s in secret)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


RUNNER = """
import ast, inspect, json, sys
import anyio

ns = {"__name__": "__docs__"}
for block in json.loads(open(sys.argv[1], encoding="utf-8").read()):
    code = compile(block["code"], block["where"], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if code.co_flags & inspect.CO_COROUTINE:
        async def main(code=code):
            await eval(code, ns)
        anyio.run(main)
    else:
        exec(code, ns)
"""


def test_markdown_has_no_snippet_includes() -> None:
    """No Markdown file includes a snippet: a code host would show the marker, not the code."""
    offenders = [
        str(page.relative_to(ROOT))
        for page in [*PAGES, ROOT / "CHANGELOG.md"]
        if SNIPPET in page.read_text(encoding="utf-8")
    ]
    assert offenders == []


@pytest.mark.parametrize("block", python_blocks("from"), ids=lambda b: b.where)
def test_quoted_example_matches_its_source(block: Block) -> None:
    """A block quoted from an example is the example's section, character for character."""
    path, _, section = block.arg.rpartition(":")
    assert path.startswith("examples/"), f"{block.where}: quote tested examples only"
    assert block.code == example_section(path, section), (
        f"{block.where} no longer matches {block.arg}: copy the section again"
    )


def test_every_example_section_is_quoted() -> None:
    """Every section marked in examples/ is quoted by some page (no dead markers)."""
    quoted = {b.arg for b in python_blocks("from")}
    marked = {
        f"examples/{path.name}:{name}"
        for path in sorted((ROOT / "examples").glob("*.py"))
        for name in re.findall(
            rf"# {re.escape(SNIPPET)} \[start:([\w-]+)\]", path.read_text(encoding="utf-8")
        )
    }
    assert marked == quoted


PAGES_WITH_CODE = [p for p in PAGES if any(b.lang == "python" for b in blocks(p))]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(page: Path, tmp_path: Path) -> None:
    """The page's runnable Python blocks run, in order, offline, in an empty directory."""
    runnable = [b for b in blocks(page) if b.lang == "python" and b.kind == "run"]
    for block in runnable:
        ast.parse(block.code, block.where)  # a syntax error names its block even before running
    script = tmp_path / "blocks.json"
    script.write_text(json.dumps([{"where": b.where, "code": b.code} for b in runnable]), "utf-8")
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(script)],
        cwd=tmp_path,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_untested_blocks_say_why_and_are_counted() -> None:
    """Each block left untested gives a reason, and their number only changes on purpose."""
    untested = python_blocks("not-tested")
    assert all(len(b.arg) > 10 for b in untested), [b.where for b in untested if len(b.arg) <= 10]
    listing = "\n".join(f"{b.where}: {b.arg}" for b in untested)
    assert len(untested) == UNTESTED_BLOCKS, listing
    assert python_blocks("run"), "some blocks should run"


def test_markers_sit_on_python_blocks_only() -> None:
    """A marker on a block that is not Python is a mistake (it would mark nothing)."""
    misplaced = [
        b.where for page in PAGES for b in blocks(page) if b.kind != "run" and b.lang != "python"
    ]
    assert misplaced == []


# --------------------------------------------------------------------------------------- commands and names


def nox_sessions() -> set[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("nox.session" in ast.unparse(d) for d in node.decorator_list)
    }


def test_nox_sessions_named_in_docs_exist() -> None:
    """Every ``nox -s NAME`` in the docs names a session the noxfile defines."""
    sessions = nox_sessions()
    assert {"tests", "lint", "typecheck", "docs", "demo"} <= sessions
    named = {
        (str(page.relative_to(ROOT)), name)
        for page in PAGES
        for name in re.findall(r"\bnox -s ([\w-]+)", page.read_text(encoding="utf-8"))
    }
    assert named
    assert [(page, name) for page, name in sorted(named) if name not in sessions] == []


def cli_lines() -> list[tuple[str, str]]:
    """Every ``agentkit ...`` command line in the console blocks of the docs."""
    found = []
    for page in PAGES:
        for block in blocks(page):
            if block.lang not in ("console", "bash", "shell", "sh"):
                continue
            for offset, raw in enumerate(block.code.splitlines(), 1):
                line = raw.strip().removeprefix("$ ").split("#", 1)[0].strip()
                if line.startswith("agentkit "):
                    found.append((f"{page.relative_to(ROOT)}:{block.line + offset}", line))
    return found


@pytest.mark.parametrize(("where", "line"), cli_lines(), ids=[f"{w} {c}" for w, c in cli_lines()])
def test_cli_commands_in_docs_exist(where: str, line: str) -> None:
    """A documented ``agentkit`` command exists, and so does every option it shows."""
    words = line.split()[1:]
    command = []
    for word in words:
        if not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        command.append(word)
    result = subprocess.run(
        [sys.executable, "-m", "agentkit", *command, "--help"],
        capture_output=True,
        text=True,
        env=offline_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{where}: `agentkit {' '.join(command)}` {result.stderr}"
    options = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[a-zA-Z])\b", line))
    missing = [option for option in sorted(options) if option not in result.stdout]
    assert missing == [], f"{where}: `agentkit {' '.join(command)} --help` shows no {missing}"


# ------------------------------------------------------------------------------------------ distribution name

TEXTS = sorted(
    [
        *PAGES,
        ROOT / "CHANGELOG.md",
        *(p for p in (ROOT / "src").rglob("*.py")),
    ]
)


def test_no_text_sends_users_to_the_wrong_distribution() -> None:
    """Install hints name ``agentkit-contracts``: the index name ``agentkit`` is someone else's project."""
    offenders = []
    for path in TEXTS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            wrong_extra = re.search(r"(?<![\w/-])agentkit\[", line)
            # Saying that this command installs the unrelated project is the one allowed mention.
            wrong_install = (
                re.search(r"pip install agentkit(?![\w-])", line) and "unrelated" not in line
            )
            if wrong_extra or wrong_install:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_install_page_warns_about_the_other_project() -> None:
    """The install page and the README say that ``pip install agentkit`` is not this project."""
    for page in (ROOT / "docs" / "install.md", ROOT / "README.md"):
        text = page.read_text(encoding="utf-8")
        assert "`pip install agentkit` installs" in text, page.name
        assert "unrelated" in text, page.name
        assert "agentkit-contracts" in text, page.name


def test_extras_named_in_docs_exist() -> None:
    """Every ``agentkit-contracts[...]`` extra in the docs exists, and the install page lists them all."""
    from importlib.metadata import metadata

    extras = set(metadata("agentkit-contracts").get_all("Provides-Extra") or [])
    named = {
        extra.strip()
        for path in TEXTS
        for group in re.findall(
            r"agentkit-contracts\[([\w,\s-]+)\]", path.read_text(encoding="utf-8")
        )
        for extra in group.split(",")
    }
    assert named
    assert named <= extras
    table = (ROOT / "docs" / "install.md").read_text(encoding="utf-8").split("## Extras", 1)[1]
    assert set(re.findall(r"^\| `([\w-]+)` \|", table, re.M)) == extras


def test_install_page_names_the_wheel_that_gets_built() -> None:
    """The wheel file name on the install page is the one ``python -m build`` writes for this version."""
    import agentkit

    text = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    wheels = set(re.findall(r"agentkit_contracts-[\w.]+-py3-none-any\.whl", text))
    assert wheels == {f"agentkit_contracts-{agentkit.__version__}-py3-none-any.whl"}


# --------------------------------------------------------------------------------------------------- links


def test_repository_links_point_at_files_that_exist() -> None:
    """Links into the repository use its real address and name files that exist in this checkout."""
    repo = "https://github.com/agentkit-contracts/agentkit-contracts"
    offenders = []
    for page in [*PAGES, ROOT / "CHANGELOG.md"]:
        text = page.read_text(encoding="utf-8")
        for url in re.findall(r"https://github\.com/[^\s)>\]\"'`]+", text):
            if not url.startswith(repo):
                offenders.append(f"{page.name}: {url} is not the project's repository")
            elif "/blob/main/" in url and not (ROOT / url.split("/blob/main/", 1)[1]).exists():
                offenders.append(f"{page.name}: {url} names a file that does not exist")
    assert offenders == []


def test_readme_links_resolve() -> None:
    """The README's relative links (read on a code host) name files that exist."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [t for t in re.findall(r"\]\(([^)#]+)\)", readme) if "://" not in t]
    assert targets
    assert [t for t in targets if not (ROOT / t).exists()] == []


# ------------------------------------------------------------------------------------------- architecture


def public_modules() -> set[str]:
    """Every public module of agentkit: no part of its dotted name starts with an underscore."""
    found = set()
    for path in (ROOT / "src" / "agentkit").rglob("*.py"):
        parts = path.relative_to(ROOT / "src").with_suffix("").parts
        if parts[-1] in ("__init__", "__main__"):
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            found.add(".".join(parts))
    return found


def test_architecture_lists_the_modules_that_exist() -> None:
    """The architecture page's module table is exactly the public modules, and what it calls planned is absent."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `(agentkit[\w.]*)` \|", text, re.M))
    assert table == public_modules()
    planned = set(
        re.findall(r"`(agentkit\.\w+)`", text.split("**Planned**", 1)[1].split("\n\n")[0])
    )
    assert planned.isdisjoint(public_modules())


def test_site_url_is_the_documentation_url_of_the_package() -> None:
    """The docs site's ``site_url`` is the Documentation address the package metadata gives."""
    from importlib.metadata import metadata

    urls = dict(
        url.split(", ", 1) for url in metadata("agentkit-contracts").get_all("Project-URL") or []
    )
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    site_url = re.search(r"^site_url: (\S+)$", mkdocs, re.M)
    assert site_url is not None
    assert site_url[1] == urls["Documentation"]
