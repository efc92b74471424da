"""``create_app``: tools and agent runs over HTTP, as a FastAPI application with production defaults."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentkit.exceptions import (
    DialectNotFoundError,
    MissingExtraError,
    ToolNotFoundError,
    UsageError,
)
from agentkit.registry import Registry, Toolset
from agentkit.runtime import Agent, ApprovalDecision
from agentkit.server._auth import APIKeys, AuthChecker, NoAuth
from agentkit.server._limits import BodyLimit, RateLimits, ServerLimits
from agentkit.server._openapi import add_tool_operations, finish_document
from agentkit.server._problems import PROBLEM_JSON, Problem, problem_body
from agentkit.server._runs import RunManager

try:
    from fastapi import Depends, FastAPI, Header, Path, Request, Response
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - the extra is installed wherever the tests run
    raise MissingExtraError(extra="server", package="fastapi") from exc

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from agentkit.storage import EventStore
    from agentkit.tools import Tool

__all__ = ("create_app",)

_log = logging.getLogger("agentkit.server")

_ID = r"^[A-Za-z0-9_.:-]{1,128}$"


# ----------------------------------------------------------------------------------------------- bodies


class StartRun(BaseModel):
    """Start a run."""

    input: str = Field(description="The user's message.")
    agent: str | None = Field(default=None, description="The agent to run (required if several).")
    session_id: str | None = Field(
        default=None, pattern=_ID, description="Continue this session (created on first use)."
    )


class SessionRun(BaseModel):
    """Continue a session with a new run."""

    input: str = Field(description="The user's message.")
    agent: str | None = Field(default=None, description="The agent to run (required if several).")


class Decision(BaseModel):
    """A decision on one paused call, naming it by ``index`` (its position in the step) or ``tool_call_id``."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["index"]}, {"required": ["tool_call_id"]}]}
    )

    approved: bool
    reason: str | None = None
    index: int | None = Field(default=None, ge=0)
    tool_call_id: str | None = None


class Decisions(BaseModel):
    """A decision for every paused call of a run."""

    decisions: list[Decision] = Field(min_length=1)


class RunAccepted(BaseModel):
    """A run started or resumed in the background."""

    run_id: str
    agent: str
    status: Literal["running"] = "running"
    events: str = Field(description="Where to stream its events (SSE).")


class PendingCallInfo(BaseModel):
    """A call waiting for a decision."""

    tool_call_id: str
    tool_name: str
    arguments: str
    reason: str | None = None
    index: int | None = None


class RunInfo(BaseModel):
    """What the store knows about a run."""

    run_id: str
    session_id: str | None
    agent: str | None
    status: Literal["running", "completed", "paused", "failed", "cancelled"]
    steps: int
    usage: dict[str, int]
    output: str | None
    events: int
    pending: list[PendingCallInfo]


class SessionRunInfo(BaseModel):
    """One run of a session."""

    run_id: str
    status: Literal["running", "completed", "paused", "failed", "cancelled"]
    output: str | None


class SessionInfo(BaseModel):
    """A session's runs, oldest first."""

    session_id: str
    runs: list[SessionRunInfo]


class ToolInfo(BaseModel):
    """One tool version the service offers."""

    name: str
    version: str
    fingerprint: str
    description: str
    requires_approval: bool


class ToolList(BaseModel):
    """Every tool version the service offers."""

    tools: list[ToolInfo]


# ----------------------------------------------------------------------------------------------- app


def _registry(tools: Registry | Toolset | Sequence[Tool[Any, Any]] | None) -> Registry:
    if isinstance(tools, Registry):
        return tools
    registry = Registry()
    for item in tools.tools() if isinstance(tools, Toolset) else tools or ():
        registry.register(item)
    return registry


def _agents(
    agents: Agent[Any, Any] | Mapping[str, Agent[Any, Any]] | Sequence[Agent[Any, Any]] | None,
) -> dict[str, Agent[Any, Any]]:
    if agents is None:
        return {}
    if isinstance(agents, Agent):
        return {agents.name: agents}
    if isinstance(agents, Mapping):
        return dict(agents)
    found: dict[str, Agent[Any, Any]] = {}
    for agent in agents:
        if agent.name in found:
            raise UsageError(
                f"two agents are named {agent.name!r}; give them distinct names, or pass a mapping"
            )
        found[agent.name] = agent
    return found


def create_app(
    *,
    tools: Registry | Toolset | Sequence[Tool[Any, Any]] | None = None,
    agents: Agent[Any, Any]
    | Mapping[str, Agent[Any, Any]]
    | Sequence[Agent[Any, Any]]
    | None = None,
    store: EventStore | None = None,
    auth: AuthChecker | NoAuth | None,
    limits: ServerLimits | None = None,
    cors_origins: Sequence[str] = (),
    title: str = "agentkit",
) -> FastAPI:
    """Build the application: the implementation of `agentkit.server.create_app` (documented there)."""
    if auth is None:
        raise UsageError(
            "create_app needs auth=: APIKeys({...}), your own AuthChecker, or NoAuth() to serve without "
            "authentication (an explicit opt-out)"
        )
    if not isinstance(auth, (NoAuth, AuthChecker)):
        raise UsageError(f"auth must be an AuthChecker (or NoAuth()), got {auth!r}")
    from agentkit.observability import SecretRedactor
    from agentkit.storage import MemoryStore

    limits = limits or ServerLimits()
    registry = _registry(tools)
    served = _agents(agents)
    secrets: set[str] = set()
    if isinstance(auth, APIKeys):
        secrets.update(key.decode() for key, _ in auth._keys if len(key) >= 4)
    for agent in served.values():
        secrets.update(s for s in agent.provider.secrets() if len(s) >= 4)
    redactor = SecretRedactor(secrets=sorted(secrets))
    redact: Callable[[str], str] = redactor.redact_text
    runs = RunManager(store if store is not None else MemoryStore(), served, limits, redact)
    rate = RateLimits(limits)

    class _Json(JSONResponse):
        def render(self, content: Any) -> bytes:
            return redact(super().render(content).decode()).encode()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runs.running():
            yield

    app = FastAPI(
        title=title,
        version="1",
        lifespan=lifespan,
        default_response_class=_Json,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runs = runs
    app.state.registry = registry

    def problem_response(problem: Problem, request: Request | None = None) -> _Json:
        body = problem_body(problem)
        if request is not None:
            body.setdefault("instance", request.url.path)
        return _Json(
            body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON
        )

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> _Json:
        return problem_response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> _Json:
        detail = str(exc.detail)
        return problem_response(
            Problem(exc.status_code, detail, headers=dict(exc.headers or {})), request
        )

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> _Json:
        # The offending input is never echoed: it may be a secret.
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        return problem_response(
            Problem(
                422, "the request is not valid", kind="invalid-request", extra={"errors": errors}
            ),
            request,
        )

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> _Json:
        _log.error(
            "unhandled error on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return problem_response(Problem(500, "internal error", kind="internal-error"), request)

    async def client(
        request: Request,
        authorization: str | None = Header(default=None, include_in_schema=False),
        x_api_key: str | None = Header(default=None, include_in_schema=False),
    ) -> str:
        if isinstance(auth, NoAuth):
            name = request.client.host if request.client else "anonymous"
        else:
            credential = x_api_key
            if authorization is not None:
                scheme, _, token = authorization.partition(" ")
                credential = token.strip() if scheme.lower() == "bearer" else None
            found = auth.authenticate(credential) if credential else None
            if found is None:
                raise Problem(
                    401,
                    "a valid API key (X-API-Key) or bearer token (Authorization: Bearer) is required",
                    kind="unauthorized",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            name = found
        rate.check(name)
        return name

    secured = [Depends(client)]

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, str]:
        """Whether the service is up (no authentication)."""
        return {"status": "ok" if runs.accepting else "stopping"}

    # ------------------------------------------------------------------------------------------ tools

    def find(name: str, version: str | None) -> Tool[Any, Any]:
        try:
            return registry.get(name, version)
        except ToolNotFoundError as exc:
            raise Problem(404, str(exc), kind="tool-not-found") from exc
        except (UsageError, ValueError) as exc:
            raise Problem(422, f"version {version!r}: {exc}", kind="bad-version") from exc

    @app.get("/v1/tools", tags=["tools"], dependencies=secured, response_model=ToolList)
    async def list_tools() -> dict[str, Any]:
        """Every tool version the service offers."""
        return {
            "tools": [
                {
                    "name": t.contract.qualified_name,
                    "version": t.contract.version,
                    "fingerprint": t.contract.fingerprint,
                    "description": t.contract.description or "",
                    "requires_approval": t.contract.requires_approval,
                }
                for t in registry.tools()
            ]
        }

    @app.get("/v1/tools/{name}/contract", tags=["tools"], dependencies=secured)
    async def get_contract(
        name: str, version: str | None = None, dialect: str | None = None
    ) -> dict[str, Any]:
        """A tool's contract, or (with ``dialect``) its definition compiled for that schema dialect."""
        contract = find(name, version).contract
        if dialect is None:
            return contract.model_dump(mode="json")
        from agentkit.tools.dialects import get_dialect

        try:
            compiled = get_dialect(dialect).compile(contract)
        except DialectNotFoundError as exc:
            raise Problem(404, str(exc), kind="dialect-not-found") from exc
        except UsageError as exc:
            raise Problem(422, str(exc), kind="dialect-refused") from exc
        return {
            "name": contract.qualified_name,
            "version": contract.version,
            "dialect": compiled.dialect,
            "definition": compiled.definition,
            "warnings": [str(w) for w in compiled.warnings],
        }

    async def invoke(item: Tool[Any, Any], request: Request) -> _Json:
        raw = await request.body()
        outcome = await item.invoke_json(raw)
        body = {
            "tool": item.contract.qualified_name,
            "version": item.contract.version,
            "status": outcome.status,
            "content": outcome.content,
            "is_error": outcome.is_error,
        }
        if outcome.status == "invalid_arguments":
            problem = Problem(
                422,
                "the arguments do not match the tool's contract",
                kind="invalid-arguments",
                extra={"outcome": body},
            )
            return problem_response(problem, request)
        return _Json(body)

    any_object = {"type": "object", "additionalProperties": True}
    invoke_doc: dict[str, Any] = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": any_object}}},
        "responses": {
            "200": {
                "description": "The tool's outcome.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ToolOutcome"}}
                },
            },
            "422": {"description": "The arguments do not match the contract."},
        },
    }

    @app.post(
        "/v1/tools/{name}/invoke",
        tags=["tools"],
        dependencies=secured,
        openapi_extra=invoke_doc,
        response_class=_Json,
    )
    async def invoke_latest(name: str, request: Request, version: str | None = None) -> Response:
        """Invoke the highest version of a tool matching ``version`` (a requirement such as ``^1``)."""
        return await invoke(find(name, version), request)

    @app.post(
        "/v1/tools/{name}/versions/{version}/invoke",
        dependencies=secured,
        include_in_schema=False,
        response_class=_Json,
    )
    async def invoke_version(name: str, version: str, request: Request) -> Response:
        """Invoke one exact version of a tool (documented once per tool in the OpenAPI document)."""
        item = find(name, version)
        if item.contract.version != version:
            raise Problem(404, f"no version {version!r} of tool {name!r}", kind="tool-not-found")
        return await invoke(item, request)

    # ------------------------------------------------------------------------------------------ runs

    def accepted(run_id: str, agent: str) -> _Json:
        body = RunAccepted(run_id=run_id, agent=agent, events=f"/v1/runs/{run_id}/events")
        return _Json(body.model_dump(), status_code=202, headers={"Location": f"/v1/runs/{run_id}"})

    @app.post(
        "/v1/runs", tags=["runs"], dependencies=secured, status_code=202, response_model=RunAccepted
    )
    async def start_run(body: StartRun) -> Response:
        """Start a run in the background; its id comes back at once."""
        run_id, agent = runs.start(body.agent, body.input, body.session_id)
        return accepted(run_id, agent)

    @app.get("/v1/runs/{run_id}", tags=["runs"], dependencies=secured, response_model=RunInfo)
    async def get_run(run_id: str) -> dict[str, Any]:
        """A run's status, usage and output, and the calls it waits on when paused."""
        return await runs.describe(run_id)

    @app.get(
        "/v1/runs/{run_id}/events",
        tags=["runs"],
        dependencies=secured,
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    )
    async def run_events(
        run_id: str, last_event_id: str | None = Header(default=None)
    ) -> StreamingResponse:
        """The run's events as server-sent events, live until it finishes or pauses.

        Each event's ``id`` is its ``seq``: send it back as ``Last-Event-ID`` to continue after it.
        """
        await runs.exists(run_id)
        after = -1
        if last_event_id is not None:
            try:
                after = int(last_event_id)
            except ValueError:
                raise Problem(
                    422, "Last-Event-ID must be an event's seq", kind="bad-last-event-id"
                ) from None
        return StreamingResponse(
            runs.stream(run_id, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.post(
        "/v1/runs/{run_id}/approvals",
        tags=["runs"],
        dependencies=secured,
        status_code=202,
        response_model=RunAccepted,
    )
    async def approve_run(run_id: str, body: Decisions) -> Response:
        """Decide on a paused run's calls; the run resumes in the background."""
        await runs.exists(run_id)
        decisions: dict[Any, ApprovalDecision] = {}
        for item in body.decisions:
            key: Any = item.index if item.index is not None else item.tool_call_id
            if key is None:
                raise Problem(
                    422, "each decision needs an index or a tool_call_id", kind="bad-decisions"
                )
            decisions[key] = ApprovalDecision(approved=item.approved, reason=item.reason)
        agent = await runs.resume(run_id, decisions)
        return accepted(run_id, agent)

    @app.post(
        "/v1/sessions/{session_id}/runs",
        tags=["sessions"],
        dependencies=secured,
        status_code=202,
        response_model=RunAccepted,
    )
    async def continue_session(body: SessionRun, session_id: str = Path(pattern=_ID)) -> Response:
        """Run the agent on the next message of a session (created on first use)."""
        run_id, agent = runs.start(body.agent, body.input, session_id)
        return accepted(run_id, agent)

    @app.get(
        "/v1/sessions/{session_id}",
        tags=["sessions"],
        dependencies=secured,
        response_model=SessionInfo,
    )
    async def get_session(session_id: str) -> dict[str, Any]:
        """A session's runs, oldest first."""
        return await runs.session(session_id)

    # ------------------------------------------------------------------------------------------ openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            add_tool_operations(document, registry.tools())
            app.openapi_schema = finish_document(document, secured=not isinstance(auth, NoAuth))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Last-Event-ID"],
        )
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    return app
