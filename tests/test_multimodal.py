"""Images, audio and documents: in user messages and tool results, on every wire format, in events and replay."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent, tool
from agentkit.exceptions import InvalidRequest, UnsupportedContent
from agentkit.messages import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    ToolCallPart,
    ToolResultPart,
    attach_media,
    detach_media,
)
from agentkit.observability import SecretRedactor
from agentkit.providers import ModelProfile, ModelRequest
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.gemini import GeminiProvider
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.providers.openai_responses import OpenAIResponsesProvider
from agentkit.storage import Recording, SQLiteStore, StoreSink, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))
PNG64 = base64.b64encode(PNG).decode()
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
PDF64 = base64.b64encode(PDF).decode()
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "
WAV64 = base64.b64encode(WAV).decode()
KEY = "sk-test-0123456789abcdefghijklmn"

IMAGE = ImagePart(data=PNG, media_type="image/png")
IMAGE_URL = ImagePart(url="https://example.com/cat.jpg")
PDF_PART = DocumentPart(data=PDF, media_type="application/pdf", filename="fares.pdf")
PDF_URL = DocumentPart(url="https://example.com/fares.pdf")
AUDIO = AudioPart(data=WAV, media_type="audio/wav")


def _history(*media: Any, tool_media: tuple[Any, ...] = ()) -> list[Message]:
    messages = [Message.user("Look:", *media)]
    if tool_media:
        messages += [
            Message(
                role="assistant", parts=(ToolCallPart(id="call_1", name="shot", arguments="{}"),)
            ),
            Message(
                role="tool",
                parts=(
                    ToolResultPart(
                        tool_call_id="call_1", name="shot", content="the page", media=tool_media
                    ),
                ),
            ),
        ]
    return messages


def _openai(model: str = "gpt-4.1") -> OpenAIChatProvider:
    return OpenAIChatProvider(model, api_key=KEY)


def _body(provider: Any, messages: list[Message]) -> dict[str, Any]:
    body = provider.build_body(ModelRequest(messages=messages))
    return body[0] if isinstance(body, tuple) else body


# ------------------------------------------------------------------------------------------ the part types


def test_media_part_round_trips_through_json_with_hash_and_size() -> None:
    """Bytes travel as base64 in JSON, and come back equal with the same sha256 and size."""
    message = Message.user("see", IMAGE, PDF_PART)
    restored = Message.model_validate_json(message.model_dump_json())
    assert restored == message
    assert json.loads(message.model_dump_json())["parts"][1]["data"] == PNG64
    assert IMAGE.size == len(PNG)
    assert len(IMAGE.sha256 or "") == 64


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"data": PNG},
        {"data": PNG, "url": "https://x", "media_type": "image/png"},
        {"data": "not base64!"},
    ],
    ids=["nothing", "no-media-type", "both", "bad-base64"],
)
def test_a_media_part_needs_bytes_with_a_type_or_a_url(fields: dict[str, Any]) -> None:
    """A part with neither, both, untyped bytes or text that is not base64 does not validate."""
    with pytest.raises(ValueError, match=r"data|url|media_type|base64"):
        ImagePart(**fields)


def test_detach_keeps_the_first_copy_and_attach_restores_later_references() -> None:
    """The first message keeps the bytes, a later one names them by hash, and attach fills them back."""
    seen: set[str] = set()
    first = detach_media(Message.user("a", IMAGE), seen)
    second = detach_media(_history(tool_media=(IMAGE,))[2], seen)
    assert first.media[0].data == PNG
    assert second.media[0].is_reference
    assert second.media[0].sha256 == IMAGE.sha256
    assert PNG64 not in second.model_dump_json()
    blobs: dict[str, bytes] = {}
    assert attach_media(first, blobs) == first
    assert attach_media(second, blobs).media[0] == IMAGE


def test_redaction_leaves_binary_parts_intact_and_masks_text() -> None:
    """A secret pattern that base64 happens to contain is not masked inside the image; the text still is."""
    redactor = SecretRedactor(patterns=[PNG64[20:40]])
    message = Message.user(f"key {KEY}", IMAGE)
    redacted = redactor.redact_value(message)
    assert redacted.media[0] == IMAGE
    assert KEY not in redacted.text
    result = _history(tool_media=(IMAGE,))[2]
    assert redactor.redact_value(result).media == (IMAGE,)


# ------------------------------------------------------------------------------------------ OpenAI Chat


def test_openai_chat_user_parts_are_image_url_input_audio_and_file() -> None:
    """User media become image_url (data URL or URL), input_audio (wav) and file (PDF data URL) parts."""
    messages = [Message.user("Look:", IMAGE, IMAGE_URL, AUDIO, PDF_PART)]
    body = _body(_openai("gpt-4o-audio-preview"), messages)
    assert body["messages"][-1] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Look:"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}},
            {
                "type": "file",
                "file": {
                    "filename": "fares.pdf",
                    "file_data": f"data:application/pdf;base64,{PDF64}",
                },
            },
        ],
    }


def test_openai_chat_moves_tool_result_media_to_a_following_user_message() -> None:
    """Tool messages take text only, so a screenshot follows them in a user message naming the call."""
    body = _body(_openai(), _history(tool_media=(IMAGE,)))
    tool_message, follower = body["messages"][-2:]
    assert tool_message == {"role": "tool", "tool_call_id": "call_1", "content": "the page"}
    assert follower == {
        "role": "user",
        "content": [
            {"type": "text", "text": "The result of tool call call_1:"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
        ],
    }


@pytest.mark.parametrize(
    ("part", "problem"),
    [(PDF_URL, "bytes only"), (AudioPart(data=WAV, media_type="audio/ogg"), "wav or mp3")],
    ids=["document-url", "ogg-audio"],
)
def test_openai_chat_refuses_what_its_wire_cannot_express(part: Any, problem: str) -> None:
    """A document URL or an ogg clip is UnsupportedContent before sending, never dropped."""
    with pytest.raises(UnsupportedContent, match=problem) as caught:
        _body(_openai(), [Message.user("x", part)])
    assert isinstance(caught.value, InvalidRequest)
    assert not caught.value.retryable


# ------------------------------------------------------------------------------------------ OpenAI Responses


def test_openai_responses_uses_input_image_and_input_file_in_messages_and_outputs() -> None:
    """User media and function_call_output media are input_image / input_file items."""
    provider = OpenAIResponsesProvider("gpt-4.1", api_key=KEY)
    body = _body(provider, _history(IMAGE_URL, PDF_URL, tool_media=(IMAGE, PDF_PART)))
    user = body["input"][0]
    assert user["content"] == [
        {"type": "input_text", "text": "Look:"},
        {"type": "input_image", "image_url": "https://example.com/cat.jpg", "detail": "auto"},
        {"type": "input_file", "file_url": "https://example.com/fares.pdf"},
    ]
    output = next(i for i in body["input"] if i.get("type") == "function_call_output")
    assert output == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": [
            {"type": "input_text", "text": "the page"},
            {
                "type": "input_image",
                "image_url": f"data:image/png;base64,{PNG64}",
                "detail": "auto",
            },
            {
                "type": "input_file",
                "filename": "fares.pdf",
                "file_data": f"data:application/pdf;base64,{PDF64}",
            },
        ],
    }


def test_openai_responses_refuses_audio() -> None:
    """The Responses API has no audio input: its profile says so and the request is refused."""
    provider = OpenAIResponsesProvider("gpt-4.1", api_key=KEY)
    with pytest.raises(UnsupportedContent, match="audio in a user message") as caught:
        _body(provider, [Message.user("x", AUDIO)])
    assert caught.value.kind == "audio"
    assert caught.value.where == "user"


# ------------------------------------------------------------------------------------------ Anthropic


def test_anthropic_image_and_document_blocks_with_base64_url_and_text_sources() -> None:
    """User media and tool_result content hold image / document blocks with their documented sources."""
    provider = AnthropicProvider("claude-sonnet-4-5", api_key=KEY)
    text_doc = DocumentPart(data=b"plain notes", media_type="text/plain")
    body = _body(provider, _history(IMAGE_URL, text_doc, tool_media=(IMAGE, PDF_PART)))
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "Look:"},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "plain notes"},
        },
    ]
    result = body["messages"][-1]["content"][0]
    assert result["type"] == "tool_result"
    assert result["content"] == [
        {"type": "text", "text": "the page"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
            "title": "fares.pdf",
        },
    ]


def test_anthropic_refuses_audio_in_a_tool_result() -> None:
    """Audio from a tool is UnsupportedContent naming the tool result, before sending."""
    provider = AnthropicProvider("claude-sonnet-4-5", api_key=KEY)
    with pytest.raises(UnsupportedContent) as caught:
        _body(provider, _history(tool_media=(AUDIO,)))
    assert caught.value.where == "tool-result"
    assert caught.value.kind == "audio"


# ------------------------------------------------------------------------------------------ Gemini


def test_gemini_inline_and_file_data_and_media_inside_gemini_3_function_responses() -> None:
    """User media are inlineData / fileData parts; Gemini 3 nests a tool's media in functionResponse.parts."""
    provider = GeminiProvider("gemini-3-pro-preview", api_key=KEY)
    body = _body(provider, _history(IMAGE, PDF_URL, tool_media=(IMAGE,)))
    assert body["contents"][0]["parts"] == [
        {"text": "Look:"},
        {"inlineData": {"mimeType": "image/png", "data": PNG64}},
        {"fileData": {"fileUri": "https://example.com/fares.pdf", "mimeType": "application/pdf"}},
    ]
    response = body["contents"][-1]["parts"][0]["functionResponse"]
    assert response["parts"] == [{"inlineData": {"mimeType": "image/png", "data": PNG64}}]


def test_gemini_2_sends_tool_media_after_the_function_response() -> None:
    """Before Gemini 3, a functionResponse holds no media: they follow it in the same user turn."""
    provider = GeminiProvider("gemini-2.5-flash", api_key=KEY)
    body = _body(provider, _history(tool_media=(IMAGE,)))
    parts = body["contents"][-1]["parts"]
    assert "parts" not in parts[0]["functionResponse"]
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": PNG64}}


def test_gemini_3_refuses_a_url_in_a_function_response() -> None:
    """Gemini 3 function responses take inline bytes only: a URL there is refused."""
    provider = GeminiProvider("gemini-3-pro-preview", api_key=KEY)
    with pytest.raises(UnsupportedContent, match="bytes only"):
        _body(provider, _history(tool_media=(IMAGE_URL,)))


# ------------------------------------------------------------------------------------------ capability checks


@pytest.mark.parametrize("where", ["user", "tool-result"])
def test_a_profile_without_a_media_kind_refuses_it_before_sending(where: str) -> None:
    """A model whose profile takes no images gets UnsupportedContent, in user messages and tool results alike."""
    provider = OpenAIChatProvider(
        "text-only",
        api_key=KEY,
        profile=ModelProfile(media_input=frozenset(), media_in_tool_results=frozenset()),
    )
    messages = _history(IMAGE) if where == "user" else _history(tool_media=(IMAGE,))
    with pytest.raises(UnsupportedContent, match="profile takes no media") as caught:
        _body(provider, messages)
    assert caught.value.where == where


def test_a_reference_without_its_bytes_is_refused() -> None:
    """A part whose bytes were never restored cannot be sent."""
    with pytest.raises(UnsupportedContent, match="no bytes"):
        _body(_openai(), [Message.user("x", IMAGE.as_reference())])


def test_media_in_an_assistant_message_is_refused() -> None:
    """Media go in user messages and tool results only."""
    with pytest.raises(UnsupportedContent, match="assistant"):
        _body(_openai(), [Message(role="assistant", parts=(IMAGE,))])


# ------------------------------------------------------------------------------------------ through the front door


@tool
def screenshot(url: str) -> list[Any]:
    """Take a screenshot of a web page."""
    return [f"screenshot of {url}", ImagePart(data=PNG, media_type="image/png")]


def _responder(request: ServedRequest) -> Reply:
    """First a screenshot call, then an answer once the image came back."""
    if '"role": "tool"' in json.dumps(request.body):
        return Reply("The page shows a login form.")
    return Reply("", tool_calls=(("screenshot", '{"url": "https://example.com"}'),))


@pytest.mark.anyio
async def test_a_screenshot_tool_over_the_wire_is_stored_once_and_replayed(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The image reaches the server, the store holds its bytes once, and a replay restores and resends them."""
    store = SQLiteStore(tmp_path / "runs.db")
    request.addfinalizer(store.close)
    async with FakeProviderServer(responder=_responder) as server:
        provider = OpenAIChatProvider("gpt-4.1", api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(provider, tools=[screenshot], sinks=[StoreSink(store)])
        result = await agent.run([Message.user("What is on the page?", IMAGE)], run_id="shot")
        await provider.aclose()
    assert result.output == "The page shows a login form."
    second = server.requests[1].body["messages"]
    assert second[-2]["role"] == "tool"
    assert "screenshot of https://example.com" in second[-2]["content"]
    assert second[-1]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{PNG64}"},
    }

    stored = [e.model_dump_json() for e in store.read("shot")]
    assert sum(PNG64 in line for line in stored) == 1  # the user's copy; the tool's is a reference
    assert result.messages[-2].tool_results[0].media == (IMAGE,)

    recording = Recording.load(store, "shot")
    tool_result = recording.tool_results["call_0"]
    assert tool_result.media == (IMAGE,)
    assert recording.steps[1].request_messages[-1].tool_results[0].media == (IMAGE,)
    replayed = await replay(agent, recording)
    assert replayed.output == "The page shows a login form."
    assert replayed.messages[-2].tool_results[0].media == (IMAGE,)
