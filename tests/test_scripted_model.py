"""The scripted model server, seen through real HTTP the way Letta (an OpenAI client) sees it."""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from claude_compat.testing import (
    HttpError,
    RecordedRequest,
    Rule,
    ScriptedModel,
    ScriptedModelServer,
    ToolCall,
    Turn,
    Usage,
)

USER_HI = [{"role": "system", "content": "You are a test."}, {"role": "user", "content": "hi"}]


@pytest.fixture
def client(scripted_model_server: ScriptedModelServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=scripted_model_server.base_url, timeout=60) as c:
        yield c


def chat(client: httpx.Client, messages: list[Any], **extra: Any) -> dict[str, Any]:
    response = client.post("/chat/completions", json={"model": "m", "messages": messages, **extra})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def reply_text(client: httpx.Client, messages: list[Any]) -> str | None:
    text: str | None = chat(client, messages)["choices"][0]["message"]["content"]
    return text


def stream_chat(client: httpx.Client, messages: list[Any], **extra: Any) -> list[dict[str, Any]]:
    """The decoded ``data:`` events of a streamed completion; checks the ``[DONE]`` ending."""
    body = {"model": "m", "messages": messages, "stream": True, **extra}
    with client.stream("POST", "/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line[len("data: ") :]) for line in lines[:-1]]


def assemble(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Rebuild the reply from stream chunks the way an OpenAI client does."""
    text, reasoning, finish, usage = "", "", None, None
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        assert chunk["object"] == "chat.completion.chunk"
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk["choices"]:
            delta = choice["delta"]
            text += delta.get("content") or ""
            reasoning += delta.get("reasoning_content") or ""
            for part in delta.get("tool_calls", []):
                call = calls.setdefault(part["index"], {"id": "", "name": "", "arguments": ""})
                call["id"] += part.get("id") or ""
                call["name"] += part.get("function", {}).get("name") or ""
                call["arguments"] += part.get("function", {}).get("arguments") or ""
            finish = choice["finish_reason"] or finish
    return {
        "text": text,
        "reasoning": reasoning,
        "tool_calls": [calls[i] for i in sorted(calls)],
        "finish_reason": finish,
        "usage": usage,
    }


def tool_message(content: str, call_id: str = "call_x") -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


# --- what answers a request -------------------------------------------------------------


def test_queued_replies_answer_in_order_then_the_model_echoes(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push(Turn(text="first"), Turn(text="second"))
    assert reply_text(client, USER_HI) == "first"
    assert reply_text(client, USER_HI) == "second"
    assert reply_text(client, USER_HI) == "echo: hi"


def test_a_string_is_a_text_reply(scripted_model_offline: ScriptedModel) -> None:
    scripted_model_offline.push("just text", Turn(text="a turn"))
    request = RecordedRequest.from_body("/v1/chat/completions", {"messages": USER_HI})
    assert scripted_model_offline.next_reply(request) == Turn(text="just text")
    assert scripted_model_offline.next_reply(request) == Turn(text="a turn")


def test_a_user_rule_answers_only_its_number_of_times(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.add_rule(Rule(reply=Turn(text="it is sunny"), last_user=r"(?i)weather", times=1))
    scripted_model_offline.push("queued")
    weather = [{"role": "user", "content": "What is the WEATHER?"}]
    assert reply_text(client, [{"role": "user", "content": "hello"}]) == "queued"
    assert reply_text(client, weather) == "it is sunny"
    assert reply_text(client, weather) == "echo: What is the WEATHER?"


def test_rules_win_over_the_queue_and_unlimited_rules_keep_answering(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push("queued")
    scripted_model_offline.add_rule(Rule(reply=Turn(text="always"), last_user="ping"))
    for _ in range(3):
        assert reply_text(client, [{"role": "user", "content": "ping"}]) == "always"
    assert reply_text(client, USER_HI) == "queued"


def test_a_tool_rule_matches_the_raw_tool_result_letta_sends(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.add_rule(
        Rule(reply=Turn(text="read it"), last_tool=r'"status": "OK".*hello file', times=2)
    )
    scripted_model_offline.add_rule(Rule(reply=Turn(text="it failed"), last_tool='"Failed"'))
    ok = json.dumps({"status": "OK", "message": "hello file", "time": "now"})
    failed = json.dumps({"status": "Failed", "message": "ENOENT", "time": "now"})
    history = [
        {"role": "user", "content": "read f"},
        {"role": "assistant", "content": None, "tool_calls": []},
    ]
    assert reply_text(client, [*history, tool_message(ok)]) == "read it"
    assert reply_text(client, [*history, tool_message(failed)]) == "it failed"
    assert reply_text(client, [*history, tool_message(ok)]) == "read it"
    assert reply_text(client, [*history, tool_message(ok)]) == "echo: read f"


def test_a_rule_with_both_patterns_needs_both(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.add_rule(Rule(reply=Turn(text="both"), last_user="read", last_tool="contents"))
    assert reply_text(client, [{"role": "user", "content": "read f"}]) == "echo: read f"
    messages = [{"role": "user", "content": "read f"}, tool_message("the contents")]
    assert reply_text(client, messages) == "both"


def test_user_text_given_as_content_parts_is_matched_and_echoed(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.add_rule(Rule(reply=Turn(text="parts matched"), last_user="^ab$"))
    parts = [{"type": "text", "text": "a"}, {"type": "image_url"}, {"type": "text", "text": "b"}]
    assert reply_text(client, [{"role": "user", "content": parts}]) == "parts matched"
    parts2 = [{"type": "text", "text": "x"}, {"type": "text", "text": "y"}]
    assert reply_text(client, [{"role": "user", "content": parts2}]) == "echo: xy"


def test_the_default_reply_can_be_replaced_and_reset_restores_the_echo(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.default = lambda request: Turn(text=f"{len(request.messages)} msgs")
    assert reply_text(client, USER_HI) == "2 msgs"
    scripted_model_offline.reset()
    assert reply_text(client, USER_HI) == "echo: hi"


def test_concurrent_requests_each_get_a_distinct_queued_turn(
    scripted_model_offline: ScriptedModel, scripted_model_server: ScriptedModelServer
) -> None:
    expected = {f"turn {i}" for i in range(12)}
    scripted_model_offline.push(*sorted(expected))
    answers: list[str | None] = []

    def ask() -> None:
        with httpx.Client(base_url=scripted_model_server.base_url, timeout=60) as c:
            answers.append(reply_text(c, USER_HI))

    threads = [threading.Thread(target=ask) for _ in expected]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(answers) == expected


# --- reply shapes ---------------------------------------------------------------------------

FULL_TURN = Turn(
    text="Let me read both.",
    reasoning="I should read two files.",
    tool_calls=[
        ToolCall("Read", {"file_path": "/tmp/a.txt"}, id="call_a"),
        ToolCall("Bash", {"command": "echo 'hi there'", "nested": {"list": [1, 2, {"k": None}]}}),
    ],
    usage=Usage(input_tokens=123, output_tokens=45),
)


def test_a_plain_reply_has_the_chat_completion_shape(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push(Turn(text="hello"))
    data = chat(client, USER_HI)
    assert data["object"] == "chat.completion"
    assert data["model"] == "m"
    (choice,) = data["choices"]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "hello"
    assert "tool_calls" not in choice["message"]
    assert "reasoning_content" not in choice["message"]
    assert choice["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def test_reasoning_text_and_two_tool_calls_in_one_reply_without_streaming(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push(FULL_TURN)
    data = chat(client, USER_HI)
    message = data["choices"][0]["message"]
    assert message["content"] == "Let me read both."
    assert message["reasoning_content"] == "I should read two files."
    first, second = message["tool_calls"]
    assert first["id"] == "call_a"
    assert second["id"].startswith("call_")
    assert second["id"] != first["id"]
    assert [c["type"] for c in message["tool_calls"]] == ["function", "function"]
    assert first["function"]["name"] == "Read"
    assert json.loads(first["function"]["arguments"]) == {"file_path": "/tmp/a.txt"}
    assert json.loads(second["function"]["arguments"]) == FULL_TURN.tool_calls[1].input
    assert data["choices"][0]["finish_reason"] == "tool_calls"
    assert data["usage"] == {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}


def test_the_same_reply_streamed_reassembles_to_the_same_content(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push(FULL_TURN)
    chunks = stream_chat(client, USER_HI, stream_options={"include_usage": True})
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content_chunks = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content_chunks) > 1, "text should arrive in several deltas"
    reply = assemble(chunks)
    assert reply["text"] == "Let me read both."
    assert reply["reasoning"] == "I should read two files."
    first, second = reply["tool_calls"]
    assert (first["id"], first["name"]) == ("call_a", "Read")
    assert second["name"] == "Bash"
    assert second["id"].startswith("call_")
    assert json.loads(first["arguments"]) == {"file_path": "/tmp/a.txt"}
    assert json.loads(second["arguments"]) == FULL_TURN.tool_calls[1].input
    assert reply["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == []
    assert reply["usage"] == {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}


def test_tool_call_arguments_arrive_in_pieces_after_the_name(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push(Turn(tool_calls=[ToolCall("Write", {"content": "x" * 50})]))
    chunks = stream_chat(client, USER_HI)
    parts = [
        part for c in chunks for choice in c["choices"] for part in choice["delta"].get("tool_calls", [])
    ]
    assert parts[0]["id"].startswith("call_")
    assert parts[0]["function"]["name"] == "Write"
    assert len(parts) > 2
    assert all(p["index"] == 0 and "name" not in p["function"] for p in parts[1:])
    assert json.loads("".join(p["function"]["arguments"] for p in parts)) == {"content": "x" * 50}


def test_streaming_without_include_usage_sends_no_usage_chunk(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push("short")
    chunks = stream_chat(client, USER_HI)
    assert all("usage" not in c for c in chunks)
    assert assemble(chunks)["text"] == "short"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_a_scripted_finish_reason_is_sent_as_is(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push(Turn(text="cut", finish_reason="length"))
    scripted_model_offline.push(Turn(text="cut", finish_reason="length"))
    assert chat(client, USER_HI)["choices"][0]["finish_reason"] == "length"
    assert assemble(stream_chat(client, USER_HI))["finish_reason"] == "length"


# --- failures the model can be scripted to produce -----------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_a_scripted_http_error_answers_with_its_status_and_an_openai_error_body(
    scripted_model_offline: ScriptedModel, client: httpx.Client, stream: bool
) -> None:
    scripted_model_offline.push(Turn(error=HttpError(529, "overloaded now", "overloaded_error")))
    response = client.post("/chat/completions", json={"model": "m", "messages": USER_HI, "stream": stream})
    assert response.status_code == 529
    error = response.json()["error"]
    assert error["message"] == "overloaded now"
    assert error["type"] == "overloaded_error"
    assert "code" in error
    assert reply_text(client, USER_HI) == "echo: hi"


def test_a_delayed_reply_does_not_arrive_before_its_delay(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    scripted_model_offline.push(Turn(text="late", delay=0.3))
    started = time.monotonic()
    assert reply_text(client, USER_HI) == "late"
    assert time.monotonic() - started >= 0.3


def test_stopping_the_server_drops_a_reply_that_is_still_delayed() -> None:
    server = ScriptedModelServer().start()
    server.model.push(Turn(text="never", delay=3600))
    outcome: list[BaseException | str] = []

    def ask() -> None:
        try:
            with httpx.Client(base_url=server.base_url, timeout=120) as c:
                outcome.append(reply_text(c, USER_HI) or "")
        except httpx.TransportError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    while not server.model.requests:
        time.sleep(0.01)
    server.stop()
    thread.join(timeout=60)
    assert not thread.is_alive(), "stop() must not wait for a delayed reply"
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.TransportError)


@pytest.mark.parametrize("stream", [False, True])
def test_a_raw_body_is_sent_verbatim_with_status_200(
    scripted_model_offline: ScriptedModel, client: httpx.Client, stream: bool
) -> None:
    garbage = '{"choices": [ this is not json'
    scripted_model_offline.push(Turn(raw_body=garbage))
    response = client.post("/chat/completions", json={"model": "m", "messages": USER_HI, "stream": stream})
    assert response.status_code == 200
    assert response.text == garbage
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_a_default_function_that_fails_answers_500_naming_the_failure(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    def broken(request: RecordedRequest) -> Turn:
        raise KeyError("no such fixture")

    scripted_model_offline.default = broken
    response = client.post("/chat/completions", json={"messages": USER_HI})
    assert response.status_code == 500
    assert "no such fixture" in response.json()["error"]["message"]


def test_a_body_that_is_not_json_is_refused_with_400(client: httpx.Client) -> None:
    response = client.post("/chat/completions", content=b"not json")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


# --- other endpoints and recording ---------------------------------------------------------


def test_the_models_list_announces_the_model_id(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    assert client.get("/models").json() == {
        "object": "list",
        "data": [
            {
                "id": scripted_model_offline.model_id,
                "object": "model",
                "created": 0,
                "owned_by": "scripted",
            }
        ],
    }
    assert scripted_model_offline.model_id == "scripted-model"


def test_embeddings_are_deterministic_unit_vectors(client: httpx.Client) -> None:
    first = client.post("/embeddings", json={"model": "e", "input": ["alpha", "beta"]}).json()
    again = client.post("/embeddings", json={"model": "e", "input": "alpha"}).json()
    alpha, beta = (d["embedding"] for d in first["data"])
    assert [d["index"] for d in first["data"]] == [0, 1]
    assert len(alpha) == 1536
    assert again["data"][0]["embedding"] == alpha
    assert alpha != beta
    assert math.isclose(sum(v * v for v in alpha), 1.0, rel_tol=1e-6)
    packed = client.post(
        "/embeddings", json={"input": "alpha", "encoding_format": "base64", "dimensions": 8}
    ).json()["data"][0]["embedding"]
    decoded = struct.unpack("<8f", base64.b64decode(packed))
    assert math.isclose(sum(v * v for v in decoded), 1.0, rel_tol=1e-5)


def test_every_request_is_recorded_with_its_messages_tools_and_stream_flag(
    scripted_model_offline: ScriptedModel, client: httpx.Client
) -> None:
    tools = [{"type": "function", "function": {"name": "Read", "parameters": {}}}]
    before = time.time()
    chat(client, USER_HI, tools=tools, parallel_tool_calls=True)
    stream_chat(client, [{"role": "user", "content": "again"}])
    client.get("/models")
    client.post("/embeddings", json={"input": "x"})
    requests = scripted_model_offline.requests
    assert [r.path for r in requests] == [
        "/v1/chat/completions",
        "/v1/chat/completions",
        "/v1/models",
        "/v1/embeddings",
    ]
    first, second = requests[:2]
    assert first.messages == USER_HI
    assert first.tools == tools
    assert first.body["parallel_tool_calls"] is True
    assert not first.stream
    assert second.stream
    assert second.tools == []
    assert first.received_at >= before
    assert scripted_model_offline.completions == [first, second]
    requests.clear()
    assert len(scripted_model_offline.requests) == 4, "requests is a copy"


# --- scripts as JSON -------------------------------------------------------------------------


def every_field_model() -> ScriptedModel:
    model = ScriptedModel()
    model.push(
        "plain",
        FULL_TURN,
        Turn(
            text="all",
            reasoning="r",
            tool_calls=[ToolCall("T", {"a": [1, {"b": None}]}, id="id_1")],
            usage=Usage(1, 2),
            error=HttpError(503, "busy", "overloaded_error"),
            delay=0.25,
            raw_body="{garbage",
            finish_reason="length",
        ),
    )
    model.add_rule(Rule(reply=Turn(text="r1"), last_user="u", last_tool="t", times=2))
    model.add_rule(Rule(reply=Turn(error=HttpError(500)), last_user="boom"))
    model.load({"default": {"text": "fallback", "usage": {"input_tokens": 7, "output_tokens": 8}}})
    return model


def test_a_script_with_every_field_survives_a_json_round_trip(tmp_path: Path) -> None:
    original = every_field_model()
    text = json.dumps(original.to_json())
    path = tmp_path / "script.json"
    path.write_text(text)
    for source in (json.loads(text), text, path, str(path)):
        copy = ScriptedModel().load(source)
        assert copy.to_json() == original.to_json()
    copy = ScriptedModel().load(path)
    request = RecordedRequest.from_body("/v1/chat/completions", {"messages": USER_HI})
    assert copy.next_reply(request) == Turn(text="plain")
    full = copy.next_reply(request)
    assert full.tool_calls[0] == FULL_TURN.tool_calls[0]
    assert dataclasses.replace(full, tool_calls=()) == dataclasses.replace(FULL_TURN, tool_calls=())
    assert copy.next_reply(request).error == HttpError(503, "busy", "overloaded_error")
    assert copy.next_reply(request) == Turn(text="fallback", usage=Usage(7, 8))


def test_to_json_shows_what_is_still_to_come(scripted_model_offline: ScriptedModel) -> None:
    scripted_model_offline.push("a", "b")
    scripted_model_offline.add_rule(Rule(reply=Turn(text="r"), last_user="hi", times=2))
    request = RecordedRequest.from_body("/v1/chat/completions", {"messages": USER_HI})
    scripted_model_offline.next_reply(request)
    assert scripted_model_offline.to_json() == {
        "turns": [{"text": "a"}, {"text": "b"}],
        "rules": [{"reply": {"text": "r"}, "last_user": "hi", "times": 1}],
    }
    scripted_model_offline.next_reply(request)
    assert scripted_model_offline.to_json()["rules"] == []


def test_a_python_default_cannot_be_written_as_json(scripted_model_offline: ScriptedModel) -> None:
    scripted_model_offline.default = lambda request: Turn(text="x")
    with pytest.raises(ValueError, match="cannot be written as JSON"):
        scripted_model_offline.to_json()


@pytest.mark.parametrize(
    ("script", "where"),
    [
        ({"turns": [{"txt": "typo"}]}, r"turns\[0\]: unknown key"),
        ({"turns": [{"tool_calls": [{"input": {}}]}]}, r"turns\[0\]"),
        ({"rules": [{"last_user": "x"}]}, r"rules\[0\]: a rule is a JSON object with a 'reply'"),
        ({"rules": [{"reply": "x", "last_user": "("}]}, "not a valid regex"),
        ({"steps": []}, "script: unknown key"),
        ('{"turns": [', "not valid JSON"),
    ],
)
def test_a_broken_script_is_refused_naming_the_bad_part(script: Any, where: str) -> None:
    with pytest.raises(ValueError, match=where):
        ScriptedModel().load(script)


def test_turns_accept_a_list_of_tool_calls_and_store_a_tuple() -> None:
    turn = Turn(tool_calls=[ToolCall("A", {})])
    assert turn.tool_calls == (ToolCall("A", {}),)
    assert Turn(tool_calls=[ToolCall("A", {})]) == turn
    with pytest.raises(ValueError, match="delay"):
        Turn(delay=-1)


# --- the plugin and the command line -------------------------------------------------------


def test_the_plugin_registers_the_letta_marker(pytestconfig: pytest.Config) -> None:
    markers = pytestconfig.getini("markers")
    assert any(str(m).startswith("letta:") for m in markers)


def test_the_offline_fixture_gives_the_session_model_reset(
    scripted_model_offline: ScriptedModel, scripted_model_server: ScriptedModelServer
) -> None:
    assert scripted_model_offline is scripted_model_server.model
    assert scripted_model_offline.to_json() == {"turns": [], "rules": []}
    assert scripted_model_offline.requests == []


class Served:
    """A ``python -m claude_compat.testing serve`` process and the base URL it printed."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "claude_compat.testing", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 120)
        assert ready, "serve printed no base URL"
        self.base_url = self.process.stdout.readline().strip()

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_serve_prints_its_url_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"turns": ["from the script"]}))
    served = Served("--port", "0", "--script", str(script))
    try:
        assert served.base_url.startswith("http://127.0.0.1:")
        assert served.base_url.endswith("/v1")
        with httpx.Client(base_url=served.base_url, timeout=60) as c:
            assert c.get("/models").json()["data"][0]["id"] == "scripted-model"
            assert reply_text(c, USER_HI) == "from the script"
            assert reply_text(c, USER_HI) == "echo: hi"
        assert served.terminate() == 0
    finally:
        served.kill()


def test_the_demo_model_says_what_it_is_and_how_to_use_a_real_model() -> None:
    served = Served("--demo")
    try:
        with httpx.Client(base_url=served.base_url, timeout=60) as c:
            greeting = reply_text(c, [{"role": "user", "content": "Hello there!"}]) or ""
            assert "scripted demo model of claude-compat" in greeting
            for hint in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "CLAUDE_COMPAT_MODEL"):
                assert hint in greeting
            assert reply_text(c, [{"role": "user", "content": "2+2?"}]) == "echo: 2+2?"
        assert served.terminate() == 0
    finally:
        served.kill()


def test_serve_refuses_a_broken_script_file(tmp_path: Path) -> None:
    script = tmp_path / "bad.json"
    script.write_text('{"turns": [{"txt": 1}]}')
    result = subprocess.run(
        [sys.executable, "-m", "claude_compat.testing", "serve", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "unknown key" in result.stderr
    assert result.stdout == ""


# --- through a real local Letta server ------------------------------------------------------

WEATHER_TOOL: Any = {
    "name": "get_weather",
    "description": "Weather of a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.mark.letta
def test_letta_turns_scripted_reasoning_text_and_two_tool_calls_into_its_events(
    scripted_model: ScriptedModel, letta_server: Any
) -> None:
    from letta_client import Letta

    letta = Letta(base_url=letta_server.base_url, api_key=letta_server.api_key, timeout=60, max_retries=0)
    agent = letta.agents.create(
        name="scripted-model-test",
        agent_type="letta_v1_agent",
        model=f"openai-proxy/{scripted_model.model_id}",
        embedding="openai/text-embedding-3-small",
        system="You are a scripted test agent.",
        include_base_tools=False,
        tools=[],
        model_settings={"provider_type": "openai", "parallel_tool_calls": True},
    )
    conversation = letta.conversations.create(agent_id=agent.id)
    scripted_model.push(
        Turn(
            text="Let me look.",
            reasoning="two cities",
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris"}),
                ToolCall("get_weather", {"city": "Rome"}),
            ],
        )
    )
    scripted_model.add_rule(Rule(reply=Turn(text="Both sunny."), last_tool="sunny in Rome"))

    first = [
        e.model_dump()
        for e in letta.conversations.messages.create(
            conversation.id, input="weather?", client_tools=[WEATHER_TOOL]
        )
    ]
    by_type = {e["message_type"]: e for e in first}
    assert by_type["reasoning_message"]["reasoning"] == "two cities"
    assert by_type["assistant_message"]["content"] == "Let me look."
    calls = by_type["approval_request_message"]["tool_calls"]
    assert [json.loads(c["arguments"]) for c in calls] == [{"city": "Paris"}, {"city": "Rome"}]

    returns: Any = [
        {"tool_call_id": c["tool_call_id"], "tool_return": f"sunny in {city}", "status": "success"}
        for c, city in zip(calls, ["Paris", "Rome"], strict=True)
    ]
    second = [
        e.model_dump()
        for e in letta.conversations.messages.create(
            conversation.id,
            messages=[{"type": "tool_return", "tool_returns": returns}],
            client_tools=[WEATHER_TOOL],
        )
    ]
    texts = [e["content"] for e in second if e["message_type"] == "assistant_message"]
    assert texts == ["Both sunny."]
    completions = scripted_model.completions
    assert len(completions) == 2
    assert completions[0].tools[0]["function"]["name"] == "get_weather"
    assert [m["role"] for m in completions[1].messages][-3:] == ["assistant", "tool", "tool"]
