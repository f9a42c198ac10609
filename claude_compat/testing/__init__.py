"""Offline test kit: a scripted OpenAI-compatible model and pytest fixtures for local Letta.

Program replies with `ScriptedModel` (queued turns, rules, a default echo), serve them with
`ScriptedModelServer`, or use the pytest fixtures ``scripted_model`` / ``letta_server``.
"""

from __future__ import annotations

from claude_compat.testing._anthropic import AnthropicScriptedServer
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
