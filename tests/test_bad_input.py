"""Bad input at every public entry point: a typed error saying what is wrong, never a hang or a traceback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from claude_compat import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    query,
    unstable_v2_createSession,
    unstable_v2_prompt,
    unstable_v2_resumeSession,
)
from claude_compat.errors import (
    ClaudeSDKError,
    CLIConnectionError,
    InvalidOptionError,
    NotSupportedOnLettaError,
)

pytestmark = pytest.mark.anyio

MISSING_DIR = "/nonexistent/claude-compat/work"
BAD_SCHEMA = {"type": "json_schema", "schema": {"type": "object", "properties": {"n": {"type": "nummber"}}}}


async def drain(**kwargs: Any) -> None:
    async for _ in query(**kwargs):
        pass


async def client_connect(options: Any) -> None:
    client = ClaudeSDKClient(options)
    try:
        await client.connect()
    finally:
        await client.disconnect()


CASES: list[tuple[str, Callable[[], Awaitable[Any]], type[Exception], str]] = [
    ("prompt of the wrong type", lambda: drain(prompt=123), InvalidOptionError, "prompt must be"),
    (
        "streamed item that is not a dict",
        lambda: drain(prompt=_items(["hi"])),
        InvalidOptionError,
        "user-message dict",
    ),
    (
        "options of the wrong type",
        lambda: drain(prompt="hi", options={"model": "x"}),
        InvalidOptionError,
        "ClaudeAgentOptions",
    ),
    (
        "resume together with continue",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(resume="a", continue_conversation=True)),
        InvalidOptionError,
        "cannot be used together",
    ),
    (
        "unknown permission mode",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(permission_mode="yolo")),
        InvalidOptionError,
        "permission_mode",
    ),  # type: ignore[arg-type]
    (
        "malformed permission rule",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(allowed_tools=["Bash(git"])),
        InvalidOptionError,
        "Bash",
    ),
    (
        "system prompt of the wrong type",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(system_prompt=42)),
        InvalidOptionError,
        "system_prompt",
    ),  # type: ignore[arg-type]
    (
        "memory blocks without labels",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(letta_memory_blocks=[{"value": "x"}])),
        InvalidOptionError,
        "label",
    ),
    (
        "custom transport",
        lambda: drain(prompt="hi", transport=object()),
        NotSupportedOnLettaError,
        "transport",
    ),
    (
        "running as another OS user",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(user="nobody")),
        NotSupportedOnLettaError,
        "user",
    ),
    (
        "client with options of the wrong type",
        lambda: client_connect("nope"),
        InvalidOptionError,
        "ClaudeAgentOptions",
    ),
    (
        "V2 unknown option",
        lambda: _sync(lambda: unstable_v2_createSession({"permisionMode": "plan"})),
        InvalidOptionError,
        "did you mean",
    ),
    (
        "V2 options of the wrong type",
        lambda: _sync(lambda: unstable_v2_createSession(42)),
        InvalidOptionError,
        "options must be",
    ),  # type: ignore[arg-type]
    (
        "V2 resume without an id",
        lambda: _sync(lambda: unstable_v2_resumeSession("")),
        InvalidOptionError,
        "session id",
    ),
    (
        "V2 prompt with an unknown option",
        lambda: unstable_v2_prompt("hi", modell="x"),
        InvalidOptionError,
        "modell",
    ),
    (
        "output_format whose schema is not a JSON schema",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(output_format=BAD_SCHEMA)),
        InvalidOptionError,
        "not a valid JSON schema",
    ),
    (
        "output_format of the wrong shape",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(output_format={"type": "json"})),
        InvalidOptionError,
        "json_schema",
    ),
    (
        "max_turns of zero",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(max_turns=0)),
        InvalidOptionError,
        "max_turns",
    ),
    (
        "negative max_turns",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(max_turns=-3)),
        InvalidOptionError,
        "max_turns",
    ),
    (
        "max_turns that is not a whole number",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(max_turns="5")),  # type: ignore[arg-type]
        InvalidOptionError,
        "max_turns",
    ),
    (
        "max_turns given as a bool",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(max_turns=True)),
        InvalidOptionError,
        "max_turns",
    ),
    (
        "cwd that does not exist",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(cwd=MISSING_DIR)),
        CLIConnectionError,
        f"Working directory does not exist: {MISSING_DIR}",
    ),
    (
        "cwd that is a file",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(cwd=__file__)),
        CLIConnectionError,
        "not a directory",
    ),
    (
        "client with a cwd that does not exist",
        lambda: client_connect(ClaudeAgentOptions(cwd=MISSING_DIR)),
        CLIConnectionError,
        "Working directory does not exist",
    ),
    (
        "V2 session with max_turns of zero",
        lambda: unstable_v2_prompt("hi", max_turns=0),
        InvalidOptionError,
        "max_turns",
    ),
    (
        "turn timeout that is not positive",
        lambda: drain(prompt="hi", options=ClaudeAgentOptions(letta_turn_timeout=0)),
        InvalidOptionError,
        "letta_turn_timeout",
    ),
]


async def _items(items: list[Any]) -> Any:
    for item in items:
        yield item


async def _sync(fn: Callable[[], Any]) -> Any:
    return fn()


@pytest.mark.parametrize(("case", "call", "error", "words"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_a_typed_error_that_says_what_is_wrong(
    case: str,
    call: Callable[[], Awaitable[Any]],
    error: type[Exception],
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    # no server is reachable here: validation must happen before any connection attempt
    monkeypatch.setenv("LETTA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))
    with anyio.fail_after(20), pytest.raises(error) as info:
        await call()
    assert isinstance(info.value, ClaudeSDKError)
    assert words in str(info.value)


async def test_a_missing_cwd_fails_with_the_claude_sdks_own_error_class_and_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import claude_agent_sdk

    monkeypatch.setenv("LETTA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CLAUDE_COMPAT_HOME", str(tmp_path))
    monkeypatch.setenv("CLAUDE_AGENT_SDK_SKIP_VERSION_CHECK", "1")
    errors: list[BaseException] = []
    for sdk_query, options in (
        (claude_agent_sdk.query, claude_agent_sdk.ClaudeAgentOptions(cwd=MISSING_DIR)),
        (query, ClaudeAgentOptions(cwd=MISSING_DIR)),
    ):
        with anyio.fail_after(30), pytest.raises(Exception) as info:
            async for _ in sdk_query(prompt="hi", options=options):  # type: ignore[operator]
                pass
        errors.append(info.value)

    real, ours = errors
    assert type(real).__name__ == type(ours).__name__ == "CLIConnectionError"
    assert str(ours) == str(real)
