"""PromptRegistry: versions, lifecycle transitions, lookups, deprecation warnings and the snapshot."""

from __future__ import annotations

import json
import pickle
import warnings

import pytest

from agentkit.events import EventEmitter
from agentkit.exceptions import UsageError
from agentkit.prompts import (
    Prompt,
    PromptCollisionError,
    PromptDeprecationWarning,
    PromptError,
    PromptLifecycleError,
    PromptNotFoundError,
    PromptRegistry,
    PromptState,
)

from ._models import CartVars, SupportVars


def support(version: str, text: str | None = None) -> Prompt[SupportVars]:
    return Prompt(
        "support",
        vars=SupportVars,
        version=version,
        system=text or f"v{version} for {{customer_name}}",
    )


@pytest.fixture
def registry() -> PromptRegistry:
    registry = PromptRegistry()
    registry.register(support("1.0.0"))
    registry.register(support("1.1.0"))
    registry.register(support("2.0.0"))
    return registry


# ------------------------------------------------------------------------------------------ registering


def test_new_versions_are_drafts(registry: PromptRegistry) -> None:
    """register() adds a draft; nothing is active yet."""
    assert [registry.state("support", v) for v in registry.versions("support")] == ["draft"] * 3
    with pytest.raises(PromptNotFoundError) as info:
        registry.get("support")
    assert str(info.value) == (
        "no version of prompt 'support' matches 'active' (no version is active; registered: "
        "2.0.0 (draft), 1.1.0 (draft), 1.0.0 (draft))"
    )


def test_register_with_activate(registry: PromptRegistry) -> None:
    """activate=True registers and activates in one step."""
    registry.register(support("3.0.0"), activate=True)
    assert registry.get("support").version == "3.0.0"


def test_registering_the_same_content_again_is_a_no_op(registry: PromptRegistry) -> None:
    """An identical prompt (same hash) is accepted again; its state is kept."""
    registry.activate("support", "1.0.0")
    registry.register(support("1.0.0"))
    assert registry.state("support", "1.0.0") == "active"
    assert len(registry) == 3


def test_same_version_with_different_content_collides(registry: PromptRegistry) -> None:
    """A published version is immutable: different text under the same version is refused."""
    with pytest.raises(PromptCollisionError) as info:
        registry.register(support("1.0.0", "changed"))
    err = info.value
    assert (err.name, err.version) == ("support", "1.0.0")
    assert err.existing_hash == support("1.0.0").content_hash
    assert err.new_hash == support("1.0.0", "changed").content_hash
    assert "bump the version" in str(err)


def test_only_prompts_can_be_registered() -> None:
    """Registering something else is a PromptError."""
    with pytest.raises(PromptError, match="expected a Prompt, got str"):
        PromptRegistry().register("support")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ lifecycle


def test_activate_deprecates_the_previously_active_version(registry: PromptRegistry) -> None:
    """At most one version is active; activating another deprecates the old one."""
    registry.activate("support", "1.0.0")
    registry.activate("support", "2.0.0")
    assert registry.state("support", "1.0.0") == "deprecated"
    assert registry.state("support", "2.0.0") == "active"
    assert registry.get("support").version == "2.0.0"
    assert registry.get("support", "active").version == "2.0.0"


def test_rollback_reactivates_a_deprecated_version(registry: PromptRegistry) -> None:
    """Reactivating a deprecated version is legal: it is how a bad release is rolled back."""
    registry.activate("support", "1.0.0")
    registry.activate("support", "2.0.0")
    registry.activate("support", "1.0.0")
    assert (registry.state("support", "1.0.0"), registry.state("support", "2.0.0")) == (
        "active",
        "deprecated",
    )


LEGAL: list[tuple[list[str], str, PromptState]] = [
    ([], "activate", "active"),
    ([], "retire", "retired"),
    (["activate"], "deprecate", "deprecated"),
    (["activate", "deprecate"], "activate", "active"),
    (["activate", "deprecate"], "retire", "retired"),
    # asking for the current state is a no-op
    (["activate"], "activate", "active"),
    (["activate", "deprecate"], "deprecate", "deprecated"),
    (["retire"], "retire", "retired"),
]


@pytest.mark.parametrize(("before", "action", "after"), LEGAL)
def test_legal_transitions(
    registry: PromptRegistry, before: list[str], action: str, after: PromptState
) -> None:
    """Draft → active/retired, active → deprecated, deprecated → active/retired are allowed."""
    for step in [*before, action]:
        getattr(registry, step)("support", "1.0.0")
    assert registry.state("support", "1.0.0") == after


ILLEGAL: list[tuple[list[str], str, str, str]] = [
    ([], "deprecate", "draft", "deprecated"),
    (["activate"], "retire", "active", "retired"),
    (["retire"], "activate", "retired", "active"),
    (["retire"], "deprecate", "retired", "deprecated"),
    (["activate", "deprecate", "retire"], "activate", "retired", "active"),
]


@pytest.mark.parametrize(("before", "action", "state", "target"), ILLEGAL)
def test_illegal_transitions(
    registry: PromptRegistry, before: list[str], action: str, state: str, target: str
) -> None:
    """Everything else raises PromptLifecycleError and changes nothing."""
    for step in before:
        getattr(registry, step)("support", "1.0.0")
    with pytest.raises(PromptLifecycleError) as info:
        getattr(registry, action)("support", "1.0.0")
    err = info.value
    assert (err.name, err.version, err.state, err.target) == ("support", "1.0.0", state, target)
    assert registry.state("support", "1.0.0") == state


def test_lifecycle_error_message_says_what_is_allowed(registry: PromptRegistry) -> None:
    """The message names the current state and the legal next states."""
    registry.activate("support", "1.0.0")
    with pytest.raises(PromptLifecycleError) as info:
        registry.retire("support", "1.0.0")
    assert str(info.value) == (
        "prompt 'support' 1.0.0 is active and cannot become retired; allowed from active: deprecated"
    )
    registry.activate("support", "2.0.0")
    registry.retire("support", "1.0.0")
    with pytest.raises(
        PromptLifecycleError, match=r"allowed from retired: nothing \(retired is final\)"
    ):
        registry.activate("support", "1.0.0")


def test_deprecating_the_active_version_leaves_none_active(registry: PromptRegistry) -> None:
    """After deprecate, get(name) fails until another version is activated."""
    registry.activate("support", "1.0.0")
    registry.deprecate("support", "1.0.0")
    with pytest.raises(PromptNotFoundError, match="no version is active"):
        registry.get("support")


@pytest.mark.parametrize("action", ["activate", "deprecate", "retire", "state"])
def test_lifecycle_calls_on_unknown_versions_fail(registry: PromptRegistry, action: str) -> None:
    """Lifecycle calls need an exact registered version."""
    with pytest.raises(
        PromptNotFoundError, match=r"no version of prompt 'support' matches '9.9.9'"
    ):
        getattr(registry, action)("support", "9.9.9")
    with pytest.raises(PromptError, match="not a semantic version"):
        getattr(registry, action)("support", "^1")
    with pytest.raises(PromptNotFoundError, match="did you mean 'support'"):
        getattr(registry, action)("suport", "1.0.0")


# ------------------------------------------------------------------------------------------ lookups


def test_get_by_range_prefers_the_active_version(registry: PromptRegistry) -> None:
    """A range matches active and deprecated versions; the active one wins, then the highest."""
    registry.activate("support", "1.1.0")
    registry.activate("support", "1.0.0")  # rollback: 1.1.0 is now deprecated
    assert registry.get("support", "^1").version == "1.0.0"
    registry.activate("support", "2.0.0")  # 1.0.0 deprecated too
    with pytest.warns(
        PromptDeprecationWarning,
        match=r"'support' 1.1.0 is deprecated; the active version is 2.0.0",
    ):
        assert registry.get("support", "^1").version == "1.1.0"
    assert registry.get("support", ">=1.0.0").version == "2.0.0"


def test_ranges_never_serve_drafts_but_exact_versions_do(registry: PromptRegistry) -> None:
    """Drafts are fetched only by exact version, to try them before activating."""
    registry.activate("support", "1.0.0")
    assert registry.get("support", "^1").version == "1.0.0"
    assert registry.get("support", "1.1.0").version == "1.1.0"
    assert registry.state("support", "1.1.0") == "draft"
    with pytest.raises(PromptNotFoundError, match=r"matches '\^2' \(registered: 2.0.0 \(draft\)"):
        registry.get("support", "^2")


def test_prereleases_lose_to_releases_in_ranges() -> None:
    """Within a range, a release is preferred over a higher pre-release."""
    registry = PromptRegistry()
    for v in ("1.0.0", "1.1.0-rc.1"):
        registry.register(support(v))
        registry.activate("support", v)
    registry.deprecate("support", "1.1.0-rc.1")
    with pytest.warns(PromptDeprecationWarning):
        assert registry.get("support", "^1").version == "1.0.0"
    with pytest.warns(PromptDeprecationWarning):
        assert registry.get("support", ">=1.0.0").version == "1.0.0"


def test_retired_versions_are_not_served_by_default(registry: PromptRegistry) -> None:
    """Retired versions are invisible to get and render unless include_retired=True."""
    registry.activate("support", "1.0.0")
    registry.activate("support", "2.0.0")
    registry.retire("support", "1.0.0")
    with pytest.raises(PromptNotFoundError, match=r"1.0.0 \(retired\)"):
        registry.get("support", "1.0.0")
    with pytest.raises(PromptNotFoundError):
        registry.render("support", {"customer_name": "Ada"}, version="1.0.0")
    with pytest.raises(PromptNotFoundError):
        registry.get("support", "<2")
    assert registry.get("support", "1.0.0", include_retired=True).version == "1.0.0"
    assert registry.get("support", "<2", include_retired=True).version == "1.0.0"


def test_fetching_a_deprecated_version_warns(registry: PromptRegistry) -> None:
    """Fetching or rendering a deprecated version warns with PromptDeprecationWarning, pointing at the caller."""
    registry.activate("support", "1.0.0")
    registry.activate("support", "2.0.0")
    with pytest.warns(PromptDeprecationWarning) as record:
        registry.get("support", "1.0.0")
    assert record[0].filename == __file__
    with pytest.warns(PromptDeprecationWarning) as record:
        registry.render("support", SupportVars(customer_name="Ada"), version="1.0.0")
    assert record[0].filename == __file__
    assert issubclass(PromptDeprecationWarning, DeprecationWarning)


def test_deprecated_warning_without_an_active_version(registry: PromptRegistry) -> None:
    """When nothing is active the warning just says the version is deprecated."""
    registry.activate("support", "1.0.0")
    registry.deprecate("support", "1.0.0")
    with pytest.warns(PromptDeprecationWarning) as record:
        registry.get("support", "1.0.0")
    assert str(record[0].message) == "prompt 'support' 1.0.0 is deprecated"


def test_active_versions_do_not_warn(registry: PromptRegistry) -> None:
    """Fetching the active version is silent (pytest turns any warning into an error here)."""
    registry.activate("support", "1.0.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.get("support")
        registry.get("support", "1.0.0")


def test_unknown_names_suggest_close_ones(registry: PromptRegistry) -> None:
    """A typo in a name gets a "did you mean"."""
    with pytest.raises(PromptNotFoundError) as info:
        registry.get("suport")
    err = info.value
    assert err.suggestions == ("support",)
    assert isinstance(err, LookupError)
    assert isinstance(err, UsageError)
    assert str(err) == "no prompt named 'suport' is registered; did you mean 'support'?"


def test_malformed_version_requirement_is_a_prompt_error(registry: PromptRegistry) -> None:
    """A requirement that is neither a version nor a range is a PromptError, not a tool error."""
    with pytest.raises(PromptError, match="version requirement 'one' is not understood") as info:
        registry.get("support", "one")
    assert info.value.prompt == "support"


def test_get_with_vars_types_the_result_and_checks_it(registry: PromptRegistry) -> None:
    """vars= checks the prompt's variables type at runtime."""
    registry.activate("support", "1.0.0")
    assert registry.get("support", vars=SupportVars).vars_type is SupportVars
    with pytest.raises(PromptError, match="declares its variables as SupportVars, not CartVars"):
        registry.get("support", vars=CartVars)


def test_render_uses_the_active_version_and_emits(registry: PromptRegistry) -> None:
    """registry.render fetches like get and renders, emitting prompt.rendered when asked."""
    registry.activate("support", "1.1.0")
    emitter = EventEmitter(run_id="r")
    rendered = registry.render("support", SupportVars(customer_name="Ada"), emitter=emitter)
    assert rendered.messages[0].text == "v1.1.0 for Ada"
    assert [e.type for e in emitter.events] == ["prompt.rendered"]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ listing


def test_listing_and_container_protocol(registry: PromptRegistry) -> None:
    """names, versions, len, in, iteration and repr describe what is registered."""
    registry.register(Prompt("alpha", system="x"))
    assert registry.names() == ["alpha", "support"]
    assert registry.versions("support") == ["1.0.0", "1.1.0", "2.0.0"]
    assert len(registry) == 4
    assert "support" in registry
    assert "nope" not in registry
    assert [(p.name, p.version) for p in registry] == [
        ("alpha", "1.0.0"),
        ("support", "1.0.0"),
        ("support", "1.1.0"),
        ("support", "2.0.0"),
    ]
    assert repr(registry) == "PromptRegistry(2 prompts, 4 versions)"


def test_snapshot_lists_every_version_with_state_and_hash(registry: PromptRegistry) -> None:
    """The snapshot is sorted, carries state, hash and templates, and its JSON is stable."""
    registry.activate("support", "1.0.0")
    registry.activate("support", "1.1.0")
    snapshot = registry.snapshot()
    assert [(r.version, r.state) for r in snapshot.prompts] == [
        ("1.0.0", "deprecated"),
        ("1.1.0", "active"),
        ("2.0.0", "draft"),
    ]
    first = snapshot.prompts[0]
    assert first.content_hash == support("1.0.0").content_hash
    assert first.variables == support("1.0.0").variables
    data = json.loads(snapshot.to_json())
    assert data["format"] == 1
    assert data["prompts"][0]["templates"] == [["system", "v1.0.0 for {customer_name}"]]
    assert snapshot.to_json() == registry.snapshot().to_json()
    assert type(snapshot).model_validate_json(snapshot.to_json()) == snapshot


@pytest.mark.parametrize(
    "err",
    [
        PromptNotFoundError(
            name="a", version="^1", suggestions=("b",), detail="registered: nothing"
        ),
        PromptLifecycleError(name="a", version="1.0.0", state="draft", target="deprecated"),
        PromptCollisionError(
            name="a", version="1.0.0", existing_hash="sha256:a", new_hash="sha256:b"
        ),
        PromptError("plain", prompt="a"),
    ],
)
def test_registry_errors_pickle(err: PromptError) -> None:
    """Every prompt error survives pickle with its typed fields."""
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is type(err)
    assert str(clone) == str(err)
    assert {f: getattr(clone, f) for f in err._fields} == {f: getattr(err, f) for f in err._fields}
