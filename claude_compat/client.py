"""ClaudeSDKClient: a multi-turn session on Letta with the Claude SDK's methods.

No background task is needed: ``query()`` queues prompts and ``receive_messages()`` runs the
queued turns as the caller iterates, so the client works in any task and under asyncio or trio.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._internal.engine import Engine
from ._internal.prompts import UserContent, user_turns
from .errors import CLIConnectionError, InvalidOptionError, NotSupportedOnLettaError
from .types import (
    ClaudeAgentOptions,
    ContextUsageResponse,
    McpStatusResponse,
    Message,
    PermissionMode,
    ResultMessage,
    Transport,
)

_Prompt = tuple[UserContent, str | None]


class ClaudeSDKClient:
    """Bidirectional, multi-turn client with the Claude SDK's methods, backed by a Letta conversation."""

    def __init__(self, options: ClaudeAgentOptions | None = None, transport: Transport | None = None):
        if options is None:
            options = ClaudeAgentOptions()
        self.options = options
        self._custom_transport = transport
        self._engine: Engine | None = None
        self._send: MemoryObjectSendStream[_Prompt | AsyncIterable[dict[str, Any]]] | None = None
        self._receive: MemoryObjectReceiveStream[_Prompt | AsyncIterable[dict[str, Any]]] | None = None

    async def connect(self, prompt: str | AsyncIterable[dict[str, Any]] | None = None) -> None:
        """Open the session (create or resume the Letta conversation) and queue ``prompt``."""
        if self._custom_transport is not None:
            raise NotSupportedOnLettaError(
                "ClaudeSDKClient(transport=...)", "claude-compat talks to Letta directly; drop the transport"
            )
        if self._engine is not None:
            return
        engine = Engine(self.options)  # validates the options before connecting
        await engine.open(first_prompt=prompt if isinstance(prompt, str) else None)
        self._engine = engine
        self._send, self._receive = anyio.create_memory_object_stream(max_buffer_size=1024)
        if prompt is not None:
            await self._enqueue(prompt)

    def _require(self) -> Engine:
        if self._engine is None:
            raise CLIConnectionError("Not connected. Call connect() first.")
        return self._engine

    async def _enqueue(
        self, prompt: str | AsyncIterable[dict[str, Any]], session_id: str = "default"
    ) -> None:
        assert self._send is not None
        if isinstance(prompt, str):
            self._send.send_nowait((prompt, None))
        elif isinstance(prompt, AsyncIterable):
            self._send.send_nowait(prompt)
        else:
            raise InvalidOptionError(
                f"prompt must be a str or an AsyncIterable of user-message dicts, not {type(prompt).__name__}"
            )

    async def query(self, prompt: str | AsyncIterable[dict[str, Any]], session_id: str = "default") -> None:
        """Queue a user message (or a stream of them); the reply arrives through receive_messages()."""
        self._require()
        await self._enqueue(prompt, session_id)

    async def receive_messages(self) -> AsyncIterator[Message]:
        """Run queued turns and yield every message, waiting for the next query() when idle."""
        engine = self._require()
        assert self._receive is not None
        async for item in self._receive:
            if isinstance(item, tuple):
                async for message in engine.turn(item[0], user_uuid=item[1]):
                    yield message
            else:
                async for content, user_uuid in user_turns(item):
                    async for message in engine.turn(content, user_uuid=user_uuid):
                        yield message

    async def receive_response(self) -> AsyncIterator[Message]:
        """Yield messages up to and including the next ResultMessage."""
        messages = self.receive_messages()
        try:
            async for message in messages:
                yield message
                if isinstance(message, ResultMessage):
                    return
        finally:
            await messages.aclose()  # type: ignore[attr-defined]

    async def interrupt(self) -> None:
        """Stop the running turn; it still ends with a ResultMessage."""
        await self._require().interrupt()

    async def set_permission_mode(self, mode: PermissionMode) -> None:
        """Change the permission mode for the following tool calls."""
        self._require().set_permission_mode(mode)

    async def set_model(self, model: str | None = None) -> None:
        """Switch this session's model (None: back to the default choice)."""
        await self._require().set_model(model)

    async def rewind_files(self, user_message_id: str) -> None:
        """Not available on Letta yet (file checkpointing)."""
        self._require()
        raise NotSupportedOnLettaError("ClaudeSDKClient.rewind_files")

    async def reconnect_mcp_server(self, server_name: str) -> None:
        """Not available on Letta yet."""
        self._require()
        raise NotSupportedOnLettaError("ClaudeSDKClient.reconnect_mcp_server")

    async def toggle_mcp_server(self, server_name: str, enabled: bool) -> None:
        """Not available on Letta yet."""
        self._require()
        raise NotSupportedOnLettaError("ClaudeSDKClient.toggle_mcp_server")

    async def stop_task(self, task_id: str) -> None:
        """Not available on Letta yet (background tasks)."""
        self._require()
        raise NotSupportedOnLettaError("ClaudeSDKClient.stop_task")

    async def get_mcp_status(self) -> McpStatusResponse:
        """Status of the session's MCP servers."""
        return self._require().mcp_status()

    async def get_context_usage(self) -> ContextUsageResponse:
        """Context-window usage of the conversation, by category."""
        return await self._require().context_usage()

    async def get_server_info(self) -> dict[str, Any] | None:
        """What the session offers (commands, agents, models), like the CLI's initialize answer."""
        if self._engine is None:
            return None
        from ._internal.cli_info import commands

        return self._engine.server_info(await commands())

    async def disconnect(self) -> None:
        """Close the session's connections; safe to call twice."""
        if self._send is not None:
            self._send.close()
        if self._receive is not None:
            self._receive.close()
        if self._engine is not None:
            await self._engine.aclose()
        self._engine = None
        self._send = self._receive = None

    async def __aenter__(self) -> ClaudeSDKClient:
        await self.connect()
        return self

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        await self.disconnect()
        return False


__all__ = ["ClaudeSDKClient"]
