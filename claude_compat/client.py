"""ClaudeSDKClient: a multi-turn session on Letta with the Claude SDK's methods.

No background task is needed: ``query()`` queues prompts and ``receive_messages()`` runs the
queued turns as the caller iterates, so the client works in any task and under asyncio or trio.
Queued prompts become turns as the CLI makes them: a prompt sent while nothing runs or waits
starts a turn of its own; prompts that queue up behind it are answered together in the next turn
(see prompts.turn_prompt).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._internal.engine import Engine
from ._internal.prompts import TurnPrompt, UserPrompt, can_join, turn_prompt, user_prompts
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


@dataclass(frozen=True)
class _Queued:
    """A user message waiting for its turn; ``alone`` when it came with nothing running or waiting
    (the CLI starts its turn at once, so nothing sent after it can join it)."""

    prompt: UserPrompt
    alone: bool


_Item = _Queued | AsyncIterable[dict[str, Any]]  # connect(prompt=stream): read as turns are taken


class ClaudeSDKClient:
    """Bidirectional, multi-turn client with the Claude SDK's methods, backed by a Letta conversation."""

    def __init__(self, options: ClaudeAgentOptions | None = None, transport: Transport | None = None):
        if options is None:
            options = ClaudeAgentOptions()
        self.options = options
        self._custom_transport = transport
        self._engine: Engine | None = None
        self._send: MemoryObjectSendStream[_Item] | None = None
        self._receive: MemoryObjectReceiveStream[_Item] | None = None
        self._held: _Item | None = None  # taken from the queue but not part of the last turn
        self._source: AsyncIterator[UserPrompt] | None = None  # connect()'s prompt stream, being read
        self._running = False  # a turn is being answered

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
        self._send, self._receive = anyio.create_memory_object_stream(max_buffer_size=math.inf)
        if isinstance(prompt, AsyncIterable) and self._send is not None:
            self._send.send_nowait(prompt)  # as the Claude SDK: read while the session runs
        elif prompt is not None:
            await self._enqueue(prompt)

    def _require(self) -> Engine:
        if self._engine is None:
            raise CLIConnectionError("Not connected. Call connect() first.")
        return self._engine

    def _idle(self) -> bool:
        """Nothing is being answered and nothing waits: a prompt sent now starts its own turn."""
        waiting = self._receive.statistics().current_buffer_used if self._receive is not None else 0
        return not self._running and self._held is None and self._source is None and not waiting

    async def _enqueue(self, prompt: str | AsyncIterable[dict[str, Any]]) -> None:
        assert self._send is not None
        if not isinstance(prompt, (str, AsyncIterable)):
            raise InvalidOptionError(
                f"prompt must be a str or an AsyncIterable of user-message dicts, not {type(prompt).__name__}"
            )
        async for one in user_prompts(prompt):  # as the Claude SDK: a stream is sent in full here
            self._send.send_nowait(_Queued(one, alone=self._idle()))

    async def query(self, prompt: str | AsyncIterable[dict[str, Any]], session_id: str = "default") -> None:
        """Send a user message (or each message of a stream); replies arrive through receive_messages()."""
        self._require()
        await self._enqueue(prompt)

    async def _next_turn(self) -> TurnPrompt | None:
        """The user messages of the next turn, waiting for one; None once the client is closed."""
        assert self._receive is not None
        while True:
            if self._source is not None:
                try:
                    return turn_prompt([await self._source.__anext__()])
                except StopAsyncIteration:
                    self._source = None
                    continue
            item, self._held = self._held, None
            if item is None:
                try:
                    item = await self._receive.receive()
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    return None
            if not isinstance(item, _Queued):
                self._source = user_prompts(item)
                continue
            batch = [item.prompt]
            while not item.alone:  # the messages queued behind it that the CLI answers with it
                try:
                    queued = self._receive.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                    break
                if isinstance(queued, _Queued) and not queued.alone and can_join(item.prompt, queued.prompt):
                    batch.append(queued.prompt)
                else:
                    self._held = queued
                    break
            return turn_prompt(batch)

    async def receive_messages(self) -> AsyncIterator[Message]:
        """Run queued turns and yield every message, waiting for the next query() when idle."""
        engine = self._require()
        while True:
            pending = engine.notification_prompt()  # as the CLI: a background task that ended goes first
            turn: TurnPrompt | None = None
            if pending is not None:
                turn = TurnPrompt(content=pending[0], origin=pending[1])
            else:
                turn = await self._next_turn()
            if turn is None:
                return
            self._running = True
            try:
                async for message in engine.turn(turn.content, user_uuids=turn.uuids, origin=turn.origin):
                    yield message
            finally:
                self._running = False

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
        """Stop the running turn; it still ends with a ResultMessage. With none running and a prompt
        waiting, that prompt's turn is the one stopped (the CLI would be answering it already)."""
        engine = self._require()
        if not self._running and not self._idle():
            engine.interrupt_next()
        else:
            await engine.interrupt()

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
        self._held = self._source = None

    async def __aenter__(self) -> ClaudeSDKClient:
        await self.connect()
        return self

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        await self.disconnect()
        return False


__all__ = ["ClaudeSDKClient"]
