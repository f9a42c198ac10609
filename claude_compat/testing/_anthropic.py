"""A scripted Anthropic Messages API on loopback, answering from the same `ScriptedModel` scripts.

It lets the real Claude CLI run offline (``ANTHROPIC_BASE_URL=<base_url>``) for differential
tests: ``POST /v1/messages`` (SSE and plain JSON), ``/v1/messages/count_tokens``,
``GET /v1/models`` and a catch-all ``200 {}``. A request without ``tools`` is an auxiliary call
(titles, summaries): it gets a fixed short text and leaves the script alone. Stdlib only.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, cast
from urllib.parse import urlsplit

from claude_compat.testing._openai import _pieces
from claude_compat.testing._script import RecordedRequest, ScriptedModel, Turn, Usage
from claude_compat.testing._serving import ClientGone, QuietHTTPServer, ScriptedServerBase

__all__ = ["AnthropicScriptedServer", "ANTHROPIC_ERROR_TYPES", "STOP_REASONS"]

#: The script's finish reasons (OpenAI words) → Anthropic stop reasons; others pass through.
STOP_REASONS: dict[str, str] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}

#: HTTP status → Anthropic error type, used when an `HttpError` keeps its default type.
ANTHROPIC_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}

_DEFAULT_ERROR_TYPE = "server_error"  # HttpError's default, an OpenAI word


class AnthropicScriptedServer(ScriptedServerBase):
    """Serves a `ScriptedModel` as the Anthropic Messages API; `base_url` has no ``/v1``.

    ``aux_reply`` answers requests that carry no ``tools`` (the CLI's side calls) without
    taking a turn from the script. Every request is recorded on the model.
    """

    label = "scripted Anthropic server"

    def __init__(
        self,
        model: ScriptedModel | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        aux_reply: str = "OK",
    ) -> None:
        super().__init__(model, host=host, port=port)
        self.aux_reply = aux_reply

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>`` of the running server (what ANTHROPIC_BASE_URL takes)."""
        return self._root_url()

    def _configure(self, httpd: QuietHTTPServer) -> None:
        httpd.request_ids = itertools.count(1)


class _Handler(BaseHTTPRequestHandler):
    server: QuietHTTPServer
    server_version = "claude-compat-scripted-anthropic/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: tests run many requests."""

    # --- routing ---------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self._model().record(RecordedRequest.from_body(self._path(), {}))
        self._send_bytes(200, b"", "application/json")

    def do_GET(self) -> None:
        path = self._path()
        self._model().record(RecordedRequest.from_body(path, {}))
        model_id = self._model().model_id
        if path.endswith("/v1/models"):
            card = _model_card(model_id)
            self._send_json(
                200, {"data": [card], "has_more": False, "first_id": model_id, "last_id": model_id}
            )
        elif path.startswith("/v1/models/"):
            self._send_json(200, _model_card(path.rsplit("/", 1)[-1]))
        else:
            self._send_json(200, {})

    def do_POST(self) -> None:
        path = self._path()
        try:
            body = self._read_json()
        except ValueError as exc:
            self._model().record(RecordedRequest.from_body(path, {}))
            self._send_error(400, f"request body is not a JSON object: {exc}", "invalid_request_error")
            return
        request = RecordedRequest.from_body(path, body)
        self._model().record(request)
        try:
            if path.endswith("/v1/messages/count_tokens"):
                self._send_json(200, {"input_tokens": _estimate_tokens(body)})
            elif path.endswith("/v1/messages"):
                self._messages(request)
            else:
                self._send_json(200, {})
        except ClientGone:
            self.close_connection = True
        except Exception as exc:  # a bad script: tell the caller why
            self._send_error(500, f"scripted model failed: {type(exc).__name__}: {exc}", "api_error")

    # --- messages --------------------------------------------------------------------

    def _messages(self, request: RecordedRequest) -> None:
        if not request.tools:
            turn = Turn(
                text=cast(AnthropicScriptedServer, self.server.owner).aux_reply,
                usage=Usage(input_tokens=1, output_tokens=1),
            )
        else:
            turn = self._model().next_reply(request)
        if turn.delay and self.server.stopping.wait(turn.delay):
            raise ClientGone
        if turn.error is not None:
            error = turn.error
            kind = error.type
            if kind == _DEFAULT_ERROR_TYPE:
                kind = ANTHROPIC_ERROR_TYPES.get(error.status, "api_error")
            self._send_error(error.status, error.message, kind)
            return
        if turn.raw_body is not None:
            kind = "text/event-stream" if request.stream else "application/json"
            self._send_bytes(200, turn.raw_body.encode(), kind)
            return
        name = request.body.get("model")
        model_name = name if isinstance(name, str) and name else self._model().model_id
        message_id = f"msg_{uuid.uuid4().hex[:24]}"
        if request.stream:
            self._send_sse(_events(turn, message_id, model_name))
        else:
            self._send_json(200, _message(turn, message_id, model_name))

    # --- plumbing --------------------------------------------------------------------

    def _model(self) -> ScriptedModel:
        return self.server.owner.model

    def _path(self) -> str:
        return urlsplit(self.path).path.rstrip("/") or "/"

    def _request_id(self) -> str:
        return f"req_scripted_{next(self.server.request_ids):06d}"

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw.strip():
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {type(data).__name__}")
        return data

    def _send_json(self, status: int, data: Any) -> None:
        self._send_bytes(status, json.dumps(data).encode(), "application/json")

    def _send_error(self, status: int, message: str, kind: str) -> None:
        self._send_json(status, {"type": "error", "error": {"type": kind, "message": message}})

    def _send_bytes(self, status: int, data: bytes, kind: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("request-id", self._request_id())
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            raise ClientGone from exc

    def _send_sse(self, events: Iterator[dict[str, Any]]) -> None:
        frames = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.send_header("request-id", self._request_id())
            self.end_headers()
            for frame in frames:
                self.wfile.write(frame)
                self.wfile.flush()
        except OSError as exc:
            raise ClientGone from exc
        self.close_connection = True


# --- wire shapes -------------------------------------------------------------------------


def _model_card(model_id: str) -> dict[str, Any]:
    return {"type": "model", "id": model_id, "display_name": model_id, "created_at": "2025-01-01T00:00:00Z"}


def _estimate_tokens(body: dict[str, Any]) -> int:
    """About four characters a token, as a rough count_tokens answer."""
    size = len(json.dumps(body.get("messages", []))) + len(json.dumps(body.get("system", "")))
    return max(1, size // 4)


def _stop_reason(turn: Turn) -> str:
    reason = turn.effective_finish_reason
    return STOP_REASONS.get(reason, reason)


def _signature(thinking: str) -> str:
    """A stable stand-in for the signature Anthropic puts on thinking blocks."""
    return "sig_" + hashlib.sha256(thinking.encode()).hexdigest()[:32]


def _usage(turn: Turn, *, output_tokens: int) -> dict[str, Any]:
    """The usage object as the Messages API reports it (no cache use: the script has none)."""
    return {
        "input_tokens": turn.usage.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _blocks(turn: Turn) -> list[dict[str, Any]]:
    """The content blocks of a reply, in Anthropic's order: thinking, text, tool uses."""
    blocks: list[dict[str, Any]] = []
    if turn.reasoning is not None:
        blocks.append(
            {"type": "thinking", "thinking": turn.reasoning, "signature": _signature(turn.reasoning)}
        )
    if turn.text is not None and (turn.text or not turn.tool_calls):
        blocks.append({"type": "text", "text": turn.text})
    for call in turn.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.input)})
    return blocks


def _message(turn: Turn, message_id: str, model_name: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model_name,
        "content": _blocks(turn),
        "stop_reason": _stop_reason(turn),
        "stop_sequence": None,
        "usage": _usage(turn, output_tokens=turn.usage.output_tokens),
    }


def _events(turn: Turn, message_id: str, model_name: str) -> Iterator[dict[str, Any]]:
    """The SSE events of a streamed reply, message_start … message_stop."""
    start = {**_message(turn, message_id, model_name), "content": [], "stop_reason": None}
    start["usage"] = _usage(turn, output_tokens=1)
    yield {"type": "message_start", "message": start}
    yield {"type": "ping"}
    for index, block in enumerate(_blocks(turn)):
        kind = block["type"]
        if kind == "thinking":
            yield _block_start(index, {"type": "thinking", "thinking": "", "signature": ""})
            for piece in _pieces(block["thinking"]):
                yield _delta(index, {"type": "thinking_delta", "thinking": piece})
            yield _delta(index, {"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            yield _block_start(index, {"type": "text", "text": ""})
            for piece in _pieces(block["text"]):
                yield _delta(index, {"type": "text_delta", "text": piece})
        else:
            yield _block_start(index, {**block, "input": {}})
            for piece in _pieces(json.dumps(block["input"])):
                yield _delta(index, {"type": "input_json_delta", "partial_json": piece})
        yield {"type": "content_block_stop", "index": index}
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": _stop_reason(turn), "stop_sequence": None},
        "usage": _usage(turn, output_tokens=turn.usage.output_tokens),
    }
    yield {"type": "message_stop"}


def _block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


AnthropicScriptedServer.handler = _Handler
