"""Shared test configuration: every async test runs under asyncio and under trio."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from claude_compat.testing import AnthropicScriptedServer, ScriptedModel
from claude_compat.testing._openai import ScriptedModelServer
from letta_backend.server import LocalLettaServer

#: Seconds between the keepalive pings of ``own_letta_server`` while its model works (Letta's
#: setting; 20 by default): a test of what the pings keep alive waits a few pings, not a minute.
OWN_LETTA_KEEPALIVE_S = 1.0
#: The Claude model the ``claude_named_models`` are named as.
CLAUDE_MODEL = "claude-sonnet-4-5"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run each ``@pytest.mark.anyio`` test on both event loops, as the Claude SDK supports both."""
    return str(request.param)


@dataclass(frozen=True)
class ClaudeNamedModels:
    """Scripted models of ``own_letta_server`` named as a Claude model: ``anthropic/<model>`` on a
    scripted Messages API (so the request Letta sends reads like the CLI's own) and
    ``openai-proxy/<model>`` on the scripted chat API beside the session's scripted model."""

    anthropic: ScriptedModel
    openai: ScriptedModel
    messages_url: str
    chat_url: str


@pytest.fixture(scope="session")
def claude_named_models(scripted_model_server: ScriptedModelServer) -> Iterator[ClaudeNamedModels]:
    """The model APIs of ``own_letta_server``: the session's scripted model and the Claude-named ones."""
    anthropic, openai = ScriptedModel(CLAUDE_MODEL), ScriptedModel(CLAUDE_MODEL)
    chat = ScriptedModelServer(scripted_model_server.model, more_models=[openai])
    with AnthropicScriptedServer(anthropic) as messages_api, chat as chat_api:
        yield ClaudeNamedModels(anthropic, openai, messages_api.base_url, chat_api.base_url)


@pytest.fixture(scope="session")
def own_letta_server(
    claude_named_models: ClaudeNamedModels, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalLettaServer]:
    """A second Letta server on the scripted model, which fault tests may kill -9 and start again.

    It also serves ``claude_named_models`` (one server start for both uses).
    """
    server = LocalLettaServer(
        model_base_url=claude_named_models.chat_url,
        data_dir=tmp_path_factory.mktemp("own-letta"),
        env={
            "ANTHROPIC_API_KEY": "sk-ant-scripted",
            "ANTHROPIC_BASE_URL": claude_named_models.messages_url,
            "LETTA_KEEPALIVE_INTERVAL": str(OWN_LETTA_KEEPALIVE_S),
        },
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def claude_named(
    scripted_model: ScriptedModel,
    own_letta_server: LocalLettaServer,
    claude_named_models: ClaudeNamedModels,
    monkeypatch: pytest.MonkeyPatch,
) -> ScriptedModel:
    """claude-compat on ``openai-proxy/claude-sonnet-4-5`` of ``own_letta_server``, reset: a scripted
    model named as the CLI's model (a Letta server lists its provider's models when it starts, so
    the session's server, started without it, cannot serve it)."""
    own_letta_server.start()  # running unless a test before left it down
    model = claude_named_models.openai
    model.reset()
    monkeypatch.setenv("LETTA_BASE_URL", own_letta_server.base_url)
    monkeypatch.setenv("LETTA_API_KEY", own_letta_server.api_key)
    monkeypatch.setenv("CLAUDE_COMPAT_MODEL", f"openai-proxy/{CLAUDE_MODEL}")
    return model


@pytest.fixture(scope="session")
def own_letta_keepalive_s() -> float:
    """Seconds between the keepalive pings of ``own_letta_server`` while its model works."""
    return OWN_LETTA_KEEPALIVE_S


@dataclass(frozen=True)
class RealCli:
    """The real SDK (``claude_agent_sdk``) with its bundled CLI run offline against a scripted
    Messages API: the oracle a differential test compares claude-compat with."""

    sdk: ModuleType

    @contextlib.contextmanager
    def serving(self, scripted: ScriptedModel, home: Path) -> Iterator[dict[str, str]]:
        """``scripted`` answering on a scripted Messages API while the block runs; yields the env that
        points the CLI at it, with ``home`` as its home and config folder."""
        from claude_compat._tooling.ab import offline_claude_env

        home.mkdir(parents=True, exist_ok=True)
        with AnthropicScriptedServer(scripted) as server:
            yield offline_claude_env(server.base_url, home)

    async def query(self, prompt: str, scripted: ScriptedModel, *, home: Path, **options: Any) -> list[Any]:
        """The messages of one ``query()`` of the real SDK on ``scripted`` (``options``: its
        ClaudeAgentOptions fields; an ``env`` is laid over the offline one)."""
        with self.serving(scripted, home) as env:
            sdk_options = self.sdk.ClaudeAgentOptions(env={**env, **options.pop("env", {})}, **options)
            return [m async for m in self.sdk.query(prompt=prompt, options=sdk_options)]


@pytest.fixture
def real_cli() -> RealCli:
    """The real SDK's CLI, offline (the test is skipped where claude-agent-sdk is not installed)."""
    return RealCli(pytest.importorskip("claude_agent_sdk"))
