"""ClaudeSDKClient: multi-turn sessions on Letta (placeholder until the engine lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .types import ClaudeAgentOptions, Transport


class ClaudeSDKClient:
    """Bidirectional, multi-turn client with the Claude SDK's methods."""

    def __init__(self, options: ClaudeAgentOptions | None = None, transport: Transport | None = None) -> None:
        self.options = options
