"""Every wrapper forwards the provider contract: system, model, profile and secrets() of what it wraps."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agentkit.providers import ModelProfile, Provider
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.gemini import GeminiProvider
from agentkit.providers.openai import OpenAIChatProvider, OpenAICompatibleProvider
from agentkit.providers.openai_responses import OpenAIResponsesProvider
from agentkit.resilience import (
    CircuitBreaker,
    CircuitRegistry,
    Deadline,
    Fallback,
    RateLimiter,
    RetryPolicy,
)
from agentkit.storage import CachingProvider, Recording, ReplayProvider
from agentkit.testing import FakeProvider, FunctionProvider

PROFILE = ModelProfile(dialect="openai-strict", seed=False)

WRAPPERS: dict[str, Callable[[Provider], Provider]] = {
    "RetryPolicy": RetryPolicy,
    "CircuitBreaker": lambda p: CircuitBreaker(p, registry=CircuitRegistry()),
    "Deadline": lambda p: Deadline(p, timeout=5.0),
    "RateLimiter": lambda p: RateLimiter(p, requests_per_minute=60),
    "Fallback": lambda p: Fallback([p]),
    "CachingProvider": CachingProvider,
    "all of them": lambda p: RetryPolicy(
        CachingProvider(
            RateLimiter(
                CircuitBreaker(Deadline(Fallback([p]), timeout=5.0), registry=CircuitRegistry()),
                max_concurrency=2,
            )
        )
    ),
}


@pytest.mark.parametrize("wrap", list(WRAPPERS))
def test_each_wrapper_forwards_the_contract(wrap: str) -> None:
    """system, model, profile and secrets() through a wrapper are the wrapped provider's."""
    inner = FakeProvider(model="m-7", profile=PROFILE, secrets=["key-one-1234"])
    wrapped = WRAPPERS[wrap](inner)
    assert wrapped.system == "fake"
    assert wrapped.model == "m-7"
    assert wrapped.profile is PROFILE
    assert wrapped.secrets() == {"key-one-1234"}


def test_fallback_reports_the_primary_and_every_members_secrets() -> None:
    """A chain is named after its primary, and masks the keys of every provider in it."""
    primary = OpenAIChatProvider("gpt-4.1", api_key="sk-primary-0001")
    spare = RetryPolicy(AnthropicProvider("claude-haiku-4-5", api_key="sk-ant-spare-0002"))
    chain = Fallback([primary, spare, FakeProvider(model="last")])
    assert (chain.system, chain.model, chain.profile) == ("openai", "gpt-4.1", primary.profile)
    assert chain.secrets() == {"sk-primary-0001", "sk-ant-spare-0002"}


@pytest.mark.parametrize(
    ("provider", "system"),
    [
        (OpenAIChatProvider("gpt-4.1", api_key="key-adapter-1"), "openai"),
        (OpenAIResponsesProvider("gpt-4.1", api_key="key-adapter-1"), "openai"),
        (AnthropicProvider("claude-haiku-4-5", api_key="key-adapter-1"), "anthropic"),
        (GeminiProvider("gemini-2.5-flash", api_key="key-adapter-1"), "gemini"),
        (OpenAICompatibleProvider("llama-3.3-70b", server="groq", api_key="key-adapter-1"), "groq"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_adapters_report_their_key_as_their_secret(provider: Provider, system: str) -> None:
    """Each adapter's secrets() is its API key (also what its auth header carries), and its system names it."""
    assert provider.system == system
    assert provider.secrets() == {"key-adapter-1"}


def test_a_keyless_local_server_has_no_secrets() -> None:
    """An OpenAI-compatible server without a key has nothing to mask."""
    provider = OpenAICompatibleProvider("llama3.2", server="ollama")
    assert provider.secrets() == frozenset()


def test_test_doubles_and_replay_implement_the_contract() -> None:
    """FakeProvider, FunctionProvider and ReplayProvider report their members; replay can carry secrets."""
    function = FunctionProvider(lambda request: "ok", model="fn", secrets=["fn-secret"])
    assert (function.system, function.model, function.secrets()) == (
        "function",
        "fn",
        {"fn-secret"},
    )
    recording = Recording(run_id="r", events=(), steps=())
    replay = ReplayProvider(recording, model="m", secrets=["orig-key-1"])
    assert (replay.system, replay.model, replay.secrets()) == ("replay", "m", {"orig-key-1"})
    assert ReplayProvider(recording).secrets() == frozenset()
