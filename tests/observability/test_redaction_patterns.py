"""Built-in secret shapes, Luhn-checked card numbers, bounded redaction work, and a bare string of secrets."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.exceptions import UsageError
from agentkit.observability import SecretRedactor
from agentkit.testing import FakeProvider


@pytest.mark.parametrize(
    "key",
    [
        "sk-proj-" + "Ab3_" * 10,
        "sk-ant-api03-" + "x" * 40,
        "gsk_" + "A1b2" * 13,
        "hf_" + "aBcD" * 9,
        "csk-" + "k2m9" * 12,
        "xai-" + "Q7w" * 27,
        "AIza" + "S" * 35,
        "ghp_" + "a" * 36,
        "github_pat_" + "B" * 82,
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-1234567890-abcdefghij",
        "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "glpat-" + "x" * 20,
        "pplx-" + "p" * 48,
        "r8_" + "R" * 37,
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    ],
)
def test_each_common_key_shape_is_masked(key: str) -> None:
    """Every key shape a gateway commonly sees is masked inside ordinary text."""
    assert SecretRedactor().redact_text(f"use {key} now") == "use *** now"


@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "4012888888881881"]
)
def test_luhn_valid_card_numbers_are_masked(card: str) -> None:
    """A card number passing the Luhn check is masked, whatever its separators."""
    assert SecretRedactor().redact_text(f"card {card}.") == "card ***."


@pytest.mark.parametrize(
    "number",
    ["4111 1111 1111 1112", "order 4000123412341235", "ts 1700000000000", "v3.4111111111111111"],
)
def test_numbers_that_are_not_cards_stay(number: str) -> None:
    """A 16-digit order id failing Luhn, a millisecond timestamp and a decimal stay readable."""
    text = f"see {number}"
    assert SecretRedactor().redact_text(text) is text


@pytest.mark.parametrize(
    "make",
    [
        lambda: SecretRedactor(secrets="sk-key-value"),  # type: ignore[arg-type]  # the mistake under test
        lambda: FakeProvider(["x"], secrets="sk-key-value"),
    ],
    ids=["SecretRedactor", "FakeProvider"],
)
def test_a_bare_string_of_secrets_is_refused(make: Any) -> None:
    """``secrets="key"`` raises instead of registering each character, and the error shows no secret."""
    with pytest.raises(UsageError, match="not one string") as caught:
        make()
    assert "sk-key-value" not in str(caught.value)


def test_a_huge_text_is_cut_before_redaction_and_a_straddling_secret_is_masked() -> None:
    """Above the cap the text is cut with a notice, and a key crossing the cut is masked, not half-kept."""
    key = "gsk_" + "Z9" * 26
    text = "a" * 99_989 + " " + key + " " + "b" * 200_000
    out = SecretRedactor(max_text_chars=100_000).redact_text(text)
    assert out.startswith("a" * 99_989 + " ***")
    assert out.endswith(f"[agentkit: cut to 100000 of {len(text)} characters before redaction]")
    assert "Z9Z9" not in out
    assert SecretRedactor(max_text_chars=None).redact_text("x" * 2_000_000).endswith("x")
    with pytest.raises(UsageError):
        SecretRedactor(max_text_chars=0)
