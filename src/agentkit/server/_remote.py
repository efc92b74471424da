"""``RemoteToolset``: another agentkit service's tools, used as if they were local."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from agentkit.exceptions import ProviderError, ToolFailed, UsageError
from agentkit.registry import Toolset
from agentkit.resilience import RetryPolicy
from agentkit.tools import JsonSchemaTool, ToolContract
from agentkit.tools._semver import parse_version

if TYPE_CHECKING:
    import httpx

    from agentkit.tools import RunContext, Tool

__all__ = ("RemoteToolset",)

_SYSTEM = "agentkit-server"


class RemoteToolset(Toolset):
    """The tools of another agentkit service (``agentkit serve``, `create_app`), callable like local ones.

    `refresh` (or `connect`) reads the service's contracts; each becomes a tool that validates its arguments
    locally against the contract's input schema, then invokes the remote tool over HTTP (httpx). Failed requests
    are retried as `agentkit.resilience.RetryPolicy` says (429 with ``Retry-After``, 5xx, timeouts, connection
    errors; exponential backoff with jitter, waits instant under ``testing_mode``); a remote failure reaches the
    model as the remote outcome's message (a `agentkit.ToolFailed`), never as a stack trace.

    Args:
        base_url: The service's root, such as ``http://127.0.0.1:8000``.
        api_key: Sent as ``Authorization: Bearer <api_key>``; masked in the run's events (`secrets`).
        retry: The retry policy (a template, ``RetryPolicy()`` by default; ``RetryPolicy(max_attempts=1)`` turns
            retries off).
        timeout: Seconds for each HTTP request.
        latest_only: Offer only the highest version of each tool (two versions of a name would collide in one
            agent); ``False`` offers every version.
        http_client: An ``httpx.AsyncClient`` to use (you close it); one is made (and closed by `aclose`)
            otherwise.

    Examples:
        >>> from agentkit.server import RemoteToolset
        >>> remote = RemoteToolset("http://127.0.0.1:8000", api_key="k-123")
        >>> remote.loaded, remote
        (False, RemoteToolset('http://127.0.0.1:8000', 0 tools))
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        latest_only: bool = True,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry if retry is not None else RetryPolicy()
        self.timeout = timeout
        self.latest_only = latest_only
        self._api_key = api_key
        self._client = http_client
        self._owns_client = http_client is None
        self._remote: list[Tool[Any, Any]] | None = None
        super().__init__(self._listing)

    @classmethod
    async def connect(cls, base_url: str, **options: Any) -> RemoteToolset:
        """A toolset for ``base_url`` with its contracts read (`refresh`); the options are the constructor's."""
        toolset = cls(base_url, **options)
        await toolset.refresh()
        return toolset

    @property
    def loaded(self) -> bool:
        """Whether the contracts were read."""
        return self._remote is not None

    def secrets(self) -> frozenset[str]:
        """The API key, for redaction."""
        return frozenset({self._api_key}) if self._api_key else frozenset()

    def _listing(self) -> list[Tool[Any, Any]]:
        if self._remote is None:
            raise UsageError(
                f"RemoteToolset({self.base_url!r}) has not read its tools yet: "
                "`await toolset.refresh()` (or build it with `await RemoteToolset.connect(url)`)"
            )
        return self._remote

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client, if this toolset made it."""
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> RemoteToolset:
        if not self.loaded:
            await self.refresh()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def refresh(self) -> list[ToolContract]:
        """Read the service's contracts again and rebuild the tools; returns the contracts offered.

        Raises:
            ProviderError: The service could not be reached, or refused (after retries).
        """
        listing = (await self._request("GET", "/v1/tools")).json()["tools"]
        chosen: dict[str, dict[str, Any]] = {}
        for entry in listing:
            key = entry["name"] if self.latest_only else f"{entry['name']}@{entry['version']}"
            old = chosen.get(key)
            if old is None or parse_version(entry["version"]) > parse_version(old["version"]):
                chosen[key] = entry
        contracts: list[ToolContract] = []
        for entry in sorted(chosen.values(), key=lambda e: (e["name"], e["version"])):
            path = f"/v1/tools/{quote(entry['name'], safe='')}/contract"
            response = await self._request("GET", path, params={"version": entry["version"]})
            contracts.append(ToolContract.model_validate(response.json()))
        self._remote = [self._tool(c) for c in contracts]
        return contracts

    def _tool(self, contract: ToolContract) -> Tool[Any, Any]:
        path = (
            f"/v1/tools/{quote(contract.qualified_name, safe='')}"
            f"/versions/{quote(contract.version, safe='')}/invoke"
        )
        return JsonSchemaTool(
            name=contract.name,
            namespace=contract.namespace,
            version=contract.version,
            description=contract.description,
            input_schema=dict(contract.input_schema),
            output_schema=dict(contract.output_schema) if contract.output_schema else None,
            annotations=contract.annotations,
            tags=contract.tags,
            timeout=contract.timeout,
            requires_approval=contract.requires_approval,
            sensitive=contract.sensitive,
            handler=functools.partial(self._invoke, path),
        )

    async def _invoke(self, path: str, arguments: dict[str, Any], ctx: RunContext[Any]) -> str:
        import json

        try:
            response = await self._request(
                "POST",
                path,
                content=json.dumps(arguments).encode(),
                ok=(200, 422),
                headers={"Content-Type": "application/json"},
            )
        except ProviderError as exc:
            status = f" (HTTP {exc.status_code})" if exc.status_code is not None else ""
            raise ToolFailed(f"the remote tool service failed{status}; try again later") from exc
        body = response.json()
        outcome = body.get("outcome", body) if response.status_code == 422 else body
        if outcome.get("status") != "success":
            raise ToolFailed(str(outcome.get("content", "the remote tool failed")))
        return str(outcome.get("content", ""))

    async def _request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any
    ) -> httpx.Response:
        """One request, retried as ``self.retry`` says; errors translated to the provider error tree."""
        from agentkit.providers._http import error_from_response, translate_transport_error
        from agentkit.resilience._context import resolve_clock, resolve_sleep

        policy = self.retry
        headers = dict(kwargs.pop("headers", {}))
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        clock = resolve_clock(None)
        started = clock.monotonic()
        attempt = 0
        while True:
            attempt += 1
            error: ProviderError
            try:
                response = await self._http().request(
                    method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs
                )
            except Exception as exc:
                from agentkit.providers._http import is_http_error

                if not is_http_error(exc):
                    raise
                error = translate_transport_error(exc, provider=_SYSTEM, model=None)
            else:
                if response.status_code in ok:
                    return response
                content = response.content
                if self._api_key and self._api_key.encode() in content:
                    # A service (or a proxy) that echoes the key in its error must not leak it into ours.
                    content = content.replace(self._api_key.encode(), b"***")
                error = error_from_response(
                    provider=_SYSTEM,
                    model=None,
                    status=response.status_code,
                    headers=response.headers,
                    content=content,
                )
            retryable = error.retryable or (
                error.status_code is not None and error.status_code in policy.retry_statuses
            )
            if not retryable or attempt >= policy.max_attempts:
                raise error
            delay = policy.backoff(attempt, error)
            elapsed = clock.monotonic() - started
            if policy.max_elapsed is not None and elapsed + delay > policy.max_elapsed:
                raise error
            await resolve_sleep(None)(delay)

    def __repr__(self) -> str:
        count = len(self._remote) if self._remote is not None else 0
        return f"RemoteToolset({self.base_url!r}, {count} tool{'s' if count != 1 else ''})"
