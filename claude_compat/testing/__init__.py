"""Offline test kit: an in-memory backend, a scripted OpenAI-compatible model, pytest fixtures.

Without any server: `FakeBackend` plays scripted `FakeRun` replies under the real engine
(``with FakeBackend(...).installed(): ...``). With a local Letta: program replies with
`ScriptedModel` (queued turns, rules, a default echo), serve them with `ScriptedModelServer`, or
use the pytest fixtures ``scripted_model`` / ``letta_server``.
"""

from __future__ import annotations

from claude_compat.testing._anthropic import AnthropicScriptedServer
from claude_compat.testing._fake import FakeBackend, FakeRun, FakeSession, FakeToolCall
from claude_compat.testing._openai import ScriptedModelServer
from claude_compat.testing._script import (
    HttpError,
    RecordedRequest,
    Rule,
    ScriptedModel,
    ToolCall,
    Turn,
    Usage,
)

__all__ = [
    # in-memory backend
    "FakeBackend",
    "FakeRun",
    "FakeToolCall",
    "FakeSession",
    # script
    "ScriptedModel",
    "Turn",
    "ToolCall",
    "Usage",
    "HttpError",
    "Rule",
    "RecordedRequest",
    # server
    "ScriptedModelServer",
    "AnthropicScriptedServer",
]
