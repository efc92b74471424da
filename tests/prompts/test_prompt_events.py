"""The prompt.rendered event: emitted on request, with names, version, hash and values (redacted, sensitive masked)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, SecretStr
from typing_extensions import TypedDict

from agentkit import Sensitive
from agentkit.events import EventEmitter
from agentkit.observability import SecretRedactor
from agentkit.prompts import Prompt, PromptRendered, PromptRenderError, emit_prompt_rendered

from ._models import SupportVars


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=timezone.utc)

    def monotonic(self) -> float:
        return 0.0


PROMPT = Prompt(
    "support",
    vars=SupportVars,
    version="1.4.0",
    system="You help {customer_name}.",
    user="{#each tags as t}{t}{/each}",
)
SECRET = "Ada Lovelace, card 4111111111111111"


def test_render_with_an_emitter_emits_one_prompt_rendered_event() -> None:
    """The event carries name, version, hash, variable names and values, and message count."""
    emitter = EventEmitter(run_id="run-1", clock=FixedClock())
    rendered = PROMPT.render(SupportVars(customer_name="Ada"), emitter=emitter)
    (event,) = emitter.events
    assert isinstance(event, PromptRendered)
    assert event.model_dump(mode="json") == {
        "schema_version": 2,
        "run_id": "run-1",
        "seq": 0,
        "at": "2026-01-01T00:00:00Z",
        "type": "prompt.rendered",
        "prompt_name": "support",
        "prompt_version": "1.4.0",
        "content_hash": rendered.content_hash,
        "variables": list(PROMPT.variables),
        "message_count": 2,
        "values": SupportVars(customer_name="Ada").model_dump(mode="json"),
    }


def test_the_event_values_pass_the_emitters_redactor() -> None:
    """Values are recorded as the run's redactor leaves them: a card number never reaches a sink."""
    seen: list[str] = []
    emitter = EventEmitter(
        run_id="r", sinks=[lambda e: seen.append(e.model_dump_json())], redactor=SecretRedactor()
    )
    PROMPT.render(SupportVars(customer_name=SECRET, tags=[SECRET]), emitter=emitter)
    assert len(seen) == 1
    assert "4111" not in seen[0]
    assert "Ada Lovelace" in seen[0]


class Vault(TypedDict):
    user: str
    token: Annotated[str, Sensitive()]


class VaultModel(BaseModel):
    user: str
    token: SecretStr


@pytest.mark.parametrize("vars_type", [Vault, VaultModel], ids=["TypedDict", "model"])
def test_a_sensitive_variable_is_masked_in_the_event(vars_type: Any) -> None:
    """A variable marked Sensitive() (or typed SecretStr) is recorded as ``***``, even with no redactor."""
    prompt = Prompt("vault", vars=vars_type, system="Token for {user}.")
    emitter = EventEmitter(run_id="r")
    rendered = prompt.render({"user": "ann", "token": "tok-98765-secret"}, emitter=emitter)
    (event,) = emitter.events
    assert isinstance(event, PromptRendered)
    assert event.values == {"user": "ann", "token": "***"}
    assert rendered.values == event.values
    assert "tok-98765-secret" not in event.model_dump_json()
    assert "tok-98765-secret" not in repr(rendered)
    assert "tok-98765-secret" not in rendered.model_dump_json()


def test_without_an_emitter_nothing_is_emitted() -> None:
    """render() without an emitter and the helper with None emit nothing."""
    rendered = PROMPT.render(SupportVars(customer_name="Ada"))
    assert emit_prompt_rendered(None, rendered) is None


def test_the_helper_emits_for_a_rendering_done_elsewhere() -> None:
    """emit_prompt_rendered stamps the event with the emitter's run id and next sequence number."""
    emitter = EventEmitter(run_id="r")
    rendered = PROMPT.render(SupportVars(customer_name="Ada"))
    first = emit_prompt_rendered(emitter, rendered)
    second = emit_prompt_rendered(emitter, rendered)
    assert first is not None
    assert second is not None
    assert (first.seq, second.seq, second.run_id) == (0, 1, "r")


def test_the_event_round_trips_through_json() -> None:
    """The event model validates back from its own JSON."""
    emitter = EventEmitter(run_id="r", clock=FixedClock())
    event = emit_prompt_rendered(emitter, PROMPT.render(SupportVars(customer_name="Ada")))
    assert event is not None
    assert PromptRendered.model_validate_json(event.model_dump_json()) == event


def test_a_failed_render_emits_nothing() -> None:
    """Invalid variables raise before any event is emitted."""
    emitter = EventEmitter(run_id="r")
    with pytest.raises(PromptRenderError):
        PROMPT.render({}, emitter=emitter)  # type: ignore[arg-type]
    assert emitter.events == ()
