"""The Skill tool and the CLI's token countdown, against the real CLI: the same skills listed, the same
text loaded for the program and the model, the same ``<total_tokens>`` reminders.

Both sides run in the same directories with the same skills; the real CLI against a scripted
Anthropic API, claude-compat through the local Letta server on a scripted model named as the CLI's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from claude_compat import ClaudeAgentOptions, ResultMessage, TextBlock, ToolResultBlock, UserMessage, query
from claude_compat._internal import cli_request
from claude_compat._internal.builtins.skill import local_skills
from claude_compat._internal.model_view import compare_views, from_anthropic, from_openai
from claude_compat.testing import ScriptedModel, ToolCall, Turn

if TYPE_CHECKING:
    from conftest import RealCli

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

CLAUDE_MODEL = "claude-sonnet-4-5"

#: The calls the model makes: a project skill with $ARGUMENTS, one without (the arguments follow),
#: a user skill named with a slash, one of the CLI's own skills, a skill there is not.
CALLS = [
    {"skill": "greet", "args": "a smile"},
    {"skill": "plain", "args": "x y"},
    {"skill": "/mine"},
    {"skill": "init"},
    {"skill": "zzqx"},
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _dirs(root: Path) -> tuple[Path, Path]:
    home, work = root / "home", root / "work"
    for folder, text in (
        (
            work / ".claude/skills/greet",
            "---\nname: greet\ndescription: Greets warmly.\n---\n\n# Greet\n\nSay hi with $ARGUMENTS.\n",
        ),
        (work / ".claude/skills/plain", "---\ndescription: A plain skill.\n---\nDo plain things."),
        (home / ".claude/skills/mine", "---\ndescription: The user's own.\n---\n\nUser body.\n"),
    ):
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(text)
    return home, work


def _script() -> list[Turn]:
    calls = [
        Turn(tool_calls=[ToolCall("Skill", dict(c), id=f"toolu_skill_{i}")]) for i, c in enumerate(CALLS)
    ]
    return [*calls, Turn(text="done")]


def _shown(messages: list[Any]) -> list[tuple[str, Any, Any]]:
    """What the program sees of each call: the result's text, error flag and tool_use_result, then texts."""
    out: list[tuple[str, Any, Any]] = []
    for m in messages:
        if type(m).__name__ != "UserMessage":
            continue
        for block in m.content:
            if type(block).__name__ == "ToolResultBlock":
                out.append(("result", (block.content, bool(block.is_error)), m.tool_use_result))
            elif type(block).__name__ == "TextBlock":
                out.append(("text", block.text, None))
    return out


async def _real_cli(real_cli: RealCli, home: Path, work: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    model = ScriptedModel(CLAUDE_MODEL).push(*_script())
    messages = await real_cli.query("use the skills", model, home=home, cwd=str(work), model=CLAUDE_MODEL)
    return messages, [r.body for r in model.requests if r.body.get("tools")]


async def test_skills_are_listed_loaded_and_counted_down_as_the_cli_does(
    claude_named: ScriptedModel, real_cli: RealCli, tmp_path: Path
) -> None:
    home, work = _dirs(tmp_path)
    cli_messages, cli_requests = await _real_cli(real_cli, home, work)

    claude_named.push(*_script())
    options = ClaudeAgentOptions(
        cwd=str(work), env={"HOME": str(home), "CLAUDE_CONFIG_DIR": str(home / ".claude")}
    )
    messages = [m async for m in query(prompt="use the skills", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]

    # the program sees the same results and the same loaded texts (the CLI's own skill's too)
    assert _shown(messages) == _shown(cli_messages)
    loaded = [m for m in messages if isinstance(m, UserMessage) and isinstance(m.content[0], TextBlock)]
    assert len(loaded) == 4 and "Say hi with a smile." in loaded[0].content[0].text
    errors = [
        b
        for m in messages
        if isinstance(m, UserMessage)
        for b in m.content
        if isinstance(b, ToolResultBlock) and b.is_error
    ]
    assert [b.content for b in errors] == ["<tool_use_error>Unknown skill: zzqx</tool_use_error>"]

    # the model is told the same skills and token budget, and reads the same results and countdown
    claude_first, compat_first = (
        from_anthropic(cli_requests[0]),
        from_openai(claude_named.completions[0].body),
    )
    told = [r for r in claude_first.reminders if r.startswith(cli_request.SKILLS_HEADER)]
    assert told and "- greet: Greets warmly." in told[0] and "- init: " in told[0]
    assert [r for r in compat_first.reminders if r.startswith(cli_request.SKILLS_HEADER)] == told
    assert (
        [r for r in compat_first.reminders if "<total_tokens>" in r]
        == [r for r in claude_first.reminders if "<total_tokens>" in r]
        != []
    )
    claude_last, compat_last = (
        from_anthropic(cli_requests[-1]),
        from_openai(claude_named.completions[-1].body),
    )
    diffs = compare_views(claude_last, compat_last)
    assert [str(d) for d in diffs if d.key.startswith("tool result")] == []  # errors too: plain text
    assert all(r.reminders for r in compat_last.tool_results.values())
    assert "tool Skill: description" not in [d.key for d in compare_views(claude_first, compat_first)]


def test_a_users_skills_come_before_the_projects_and_a_name_is_kept_once(tmp_path: Path) -> None:
    home, work = _dirs(tmp_path)
    twin = home / ".claude/skills/greet"
    twin.mkdir()
    (twin / "SKILL.md").write_text("No frontmatter: the first line describes it.\n\nBody.\n")
    found = local_skills(work, {"HOME": str(home)})
    assert list(found) == ["greet", "mine", "plain"]
    assert found["greet"].description == "No frontmatter: the first line describes it."


def _user_texts(body: dict[str, Any]) -> list[str]:
    """The texts of each user turn of a request (tool results left out), one string a turn."""
    out = []
    for m in body["messages"]:
        if m.get("role") != "user":
            continue
        content = m["content"]
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        out.append("".join(p.get("text", "") for p in parts if p.get("type") == "text"))
    return out


async def test_a_later_prompt_starts_the_token_count_again_as_the_cli_does(
    claude_named: ScriptedModel, real_cli: RealCli, tmp_path: Path
) -> None:
    from claude_compat import ClaudeSDKClient

    script = [
        Turn(tool_calls=[ToolCall("Bash", {"command": "echo 1"}, id="toolu_b1")]),
        Turn(text="one"),
        Turn(text="two"),
    ]
    home, work = _dirs(tmp_path)
    model = ScriptedModel(CLAUDE_MODEL).push(*script)
    with real_cli.serving(model, home) as env:
        options = real_cli.sdk.ClaudeAgentOptions(
            cwd=str(work), env=env, model=CLAUDE_MODEL, permission_mode="bypassPermissions"
        )
        async with real_cli.sdk.ClaudeSDKClient(options) as client:
            for prompt in ("first", "second"):
                await client.query(prompt)
                async for _ in client.receive_response():
                    pass
    cli_last = _user_texts(model.requests[-1].body)

    claude_named.push(*script)
    ours = ClaudeAgentOptions(cwd=str(work), permission_mode="bypassPermissions")
    async with ClaudeSDKClient(ours) as client:
        for prompt in ("first", "second"):
            await client.query(prompt)
            async for _ in client.receive_response():
                pass
    compat_last = [
        str(m.get("content")) for m in claude_named.completions[-1].messages if m.get("role") == "user"
    ]
    # the second prompt: the whole budget again, in front of the prompt
    assert cli_last[-1].startswith("<system-reminder>\n<total_tokens>15000000 tokens left")
    assert compat_last[-1].replace("\n\n", "\n") == cli_last[-1].replace("\n\n", "\n")


async def test_without_the_real_sdk_a_users_skill_loads_and_the_clis_own_are_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_compat._internal.builtins import BUILTIN_TOOLS, ToolContext

    monkeypatch.setattr(cli_request, "cli_version", lambda: None)
    home, work = _dirs(tmp_path)
    ctx = ToolContext(cwd=work, add_dirs=[], env={"HOME": str(home)}, session_id="s")
    skill = BUILTIN_TOOLS["Skill"]
    loaded = await skill.run({"skill": "greet", "args": "a wave"}, ctx)
    assert (loaded.content, loaded.is_error) == ("Launching skill: greet", False)
    assert loaded.model_note.endswith("# Greet\n\nSay hi with a wave.\n")
    assert isinstance(loaded.after[0], UserMessage) and loaded.after[0].content[0].text == loaded.model_note
    unknown = await skill.run({"skill": "init"}, ctx)
    assert unknown.is_error and unknown.content == "<tool_use_error>Unknown skill: init</tool_use_error>"
    assert await cli_request.fork_texts({}, None) is None
