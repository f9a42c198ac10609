"""An OpenAI-compatible HTTP server (chat, models, embeddings) answering from a ScriptedModel.

Stdlib only: a `ThreadingHTTPServer` on loopback, one daemon thread per connection, silent.
Letta reaches it through ``OPENAI_BASE_URL=<base_url>``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import time
import uuid
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any, cast
from urllib.parse import urlsplit

from claude_compat.testing._script import RecordedRequest, ScriptedModel, Turn
from claude_compat.testing._serving import ClientGone, QuietHTTPServer, ScriptedServerBase

__all__ = ["ScriptedModelServer"]

_EMBEDDING_DIM = 1536  # what text-embedding-3-small returns; Letta's default embedding handle


class ScriptedModelServer(ScriptedServerBase):
    """Serves a `ScriptedModel` over HTTP; `base_url` ends in ``/v1`` as OpenAI clients expect.

    `more_models` are served beside it, each under its own `model_id`: a chat request naming one
    is answered from that model's script (so independent runs can share one server), any other
    from `model`. ``/v1/models`` lists them all.
    """

    label = "scripted model server"

    def __init__(
        self,
        model: ScriptedModel | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        more_models: Sequence[ScriptedModel] = (),
    ) -> None:
        super().__init__(model, host=host, port=port)
        self.more_models = {m.model_id: m for m in more_models if m.model_id != self.model.model_id}

    def model_for(self, name: object) -> ScriptedModel:
        """The model answering requests that name `name` (`model` unless another has that id)."""
        return self.more_models.get(name, self.model) if isinstance(name, str) else self.model

    @property
    def model_ids(self) -> list[str]:
        """Every model id served, `model`'s first."""
        return [self.model.model_id, *self.more_models]

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>/v1`` of the running server."""
        return self._root_url() + "/v1"


class _Handler(BaseHTTPRequestHandler):
    server: QuietHTTPServer
    server_version = "claude-compat-scripted-model/1"

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: tests run many requests."""

    # --- routing ---------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self._path()
        self._model().record(RecordedRequest.from_body(path, {}))
        model_ids = self._owner().model_ids
        head, _, name = path.rpartition("/")
        if path.endswith("/models"):
            self._send_json(200, {"object": "list", "data": [_model_card(m) for m in model_ids]})
        elif head.endswith("/models") and name in model_ids:
            self._send_json(200, _model_card(name))
        else:
            self._send_error(404, f"no route for GET {path}", "invalid_request_error")

    def do_POST(self) -> None:
        path = self._path()
        try:
            body = self._read_json()
        except ValueError as exc:
            self._model().record(RecordedRequest.from_body(path, {}))
            self._send_error(400, f"request body is not a JSON object: {exc}", "invalid_request_error")
            return
        request = RecordedRequest.from_body(path, body)
        model = self._owner().model_for(body.get("model"))
        model.record(request)
        try:
            if path.endswith("/chat/completions"):
                self._chat(request, model)
            elif path.endswith("/embeddings"):
                self._send_json(200, _embeddings(body, model.model_id))
            else:
                self._send_error(404, f"no route for POST {path}", "invalid_request_error")
        except ClientGone:
            self.close_connection = True
        except Exception as exc:  # a bad script or default function: tell the caller why
            self._send_error(500, f"scripted model failed: {type(exc).__name__}: {exc}")

    # --- chat completions ------------------------------------------------------------

    def _chat(self, request: RecordedRequest, model: ScriptedModel) -> None:
        turn = model.next_reply(request)
        if turn.delay and self.server.stopping.wait(turn.delay):
            raise ClientGone
        if turn.error is not None:
            self._send_error(turn.error.status, turn.error.message, turn.error.type)
        elif turn.raw_body is not None:
            kind = "text/event-stream" if request.stream else "application/json"
            self._send_bytes(200, turn.raw_body.encode(), kind)
        else:
            name = request.body.get("model")
            model_name = name if isinstance(name, str) and name else model.model_id
            completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
            if request.stream:
                options = request.body.get("stream_options")
                usage = isinstance(options, dict) and options.get("include_usage") is True
                self._send_sse(_chunks(turn, completion_id, model_name, include_usage=usage))
            else:
                self._send_json(200, _completion(turn, completion_id, model_name))

    # --- plumbing --------------------------------------------------------------------

    def _model(self) -> ScriptedModel:
        return self.server.owner.model

    def _owner(self) -> ScriptedModelServer:
        return cast(ScriptedModelServer, self.server.owner)

    def _path(self) -> str:
        return urlsplit(self.path).path.rstrip("/") or "/"

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw.strip():
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {type(data).__name__}")
        return data

    def _send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(data).encode(), "application/json", headers)

    def _send_error(self, status: int, message: str, kind: str = "server_error") -> None:
        error = {"message": message, "type": kind, "param": None, "code": str(status)}
        # One scripted error is one answer: ask OpenAI clients not to retry it on their own.
        self._send_json(status, {"error": error}, {"x-should-retry": "false"})

    def _send_bytes(self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            raise ClientGone from exc

    def _send_sse(self, events: Iterator[dict[str, Any]]) -> None:
        frames = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
        frames.append(b"data: [DONE]\n\n")
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for frame in frames:
                self.wfile.write(frame)
                self.wfile.flush()
        except OSError as exc:
            raise ClientGone from exc
        self.close_connection = True


# --- wire shapes -------------------------------------------------------------------------


def _model_card(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "scripted"}


def _usage(turn: Turn) -> dict[str, int]:
    prompt, completion = turn.usage.input_tokens, turn.usage.output_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(turn: Turn, completion_id: str, model_name: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.text, "refusal": None}
    if turn.reasoning is not None:
        message["reasoning_content"] = turn.reasoning
    if turn.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.input)},
            }
            for call in turn.tool_calls
        ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_name,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": turn.effective_finish_reason,
                "logprobs": None,
            }
        ],
        "usage": _usage(turn),
    }


def _pieces(text: str, count: int = 3) -> list[str]:
    """Split text into up to `count` non-empty pieces that join back to it."""
    if not text:
        return []
    size = max(1, math.ceil(len(text) / count))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _chunks(
    turn: Turn, completion_id: str, model_name: str, *, include_usage: bool
) -> Iterator[dict[str, Any]]:
    """The chat.completion.chunk events of a streamed reply, in OpenAI's order."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        if include_usage:
            event["usage"] = None
        return event

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in _pieces(turn.reasoning or ""):
        yield chunk({"reasoning_content": piece})
    for piece in _pieces(turn.text or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(turn.tool_calls):
        start = {"name": call.name, "arguments": ""}
        yield chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function", "function": start}]})
        for piece in _pieces(json.dumps(call.input)):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, turn.effective_finish_reason)
    if include_usage:
        yield {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_name,
            "choices": [],
            "usage": _usage(turn),
        }


def _embeddings(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    """Deterministic unit vectors, one per input (same text, same vector)."""
    raw = body.get("input", "")
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        inputs: list[Any] = [raw]
    else:
        inputs = list(raw) if isinstance(raw, list) else [raw]
    dims = body.get("dimensions")
    dim = dims if isinstance(dims, int) and dims > 0 else _EMBEDDING_DIM
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    tokens = 0
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else json.dumps(item)
        tokens += max(1, len(text.split()))
        vector = _fake_vector(text, dim)
        embedding: Any = base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode() if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    name = body.get("model")
    return {
        "object": "list",
        "data": data,
        "model": name if isinstance(name, str) else model_id,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _fake_vector(text: str, dim: int) -> list[float]:
    digest = hashlib.shake_256(text.encode()).digest(dim * 2)
    values = [(v / 32767.5) - 1.0 for v in struct.unpack(f"<{dim}H", digest)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


ScriptedModelServer.handler = _Handler
