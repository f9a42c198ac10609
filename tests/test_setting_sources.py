"""Setting sources as the CLI reads them: CLAUDE.md by default, `.claude/agents` files, built-in agents."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from claude_compat import AgentDefinition, ClaudeAgentOptions, SystemMessage, UserMessage, query
from claude_compat._internal import setting_sources, subagents
from claude_compat.errors import InvalidOptionError
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn

AGENT_FILE = """---
name: {name}
description: {description}
tools: Read, Grep
model: haiku
---

You are the {name} agent. Answer briefly.
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Claude config folder of the test's own."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(folder))
    return folder


def _agent_file(folder: Path, name: str, description: str = "Does one thing") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(AGENT_FILE.format(name=name, description=description))


def test_none_loads_every_source_and_an_empty_list_none() -> None:
    assert setting_sources.effective(None) == ("user", "project", "local")
    assert setting_sources.effective([]) == ()
    assert setting_sources.effective(["local", "project"]) == ("project", "local")
    with pytest.raises(InvalidOptionError, match="setting_sources may hold"):
        setting_sources.effective(["team"])


def test_agent_files_are_read_from_the_user_and_project_folders_nearer_wins(
    config: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    _agent_file(config / "agents", "reviewer", "the user's reviewer")
    _agent_file(config / "agents", "mine", "only the user's")
    _agent_file(project / ".claude" / "agents", "reviewer", "the project's reviewer")

    found = setting_sources.file_agents(project, None)

    assert found["reviewer"] == AgentDefinition(
        description="the project's reviewer",
        prompt="You are the reviewer agent. Answer briefly.",
        tools=["Read", "Grep"],
        model="haiku",
    )
    assert found["mine"].description == "only the user's"
    assert set(setting_sources.file_agents(project, ["project"])) == {"reviewer"}
    assert setting_sources.file_agents(project, []) == {}


def test_a_broken_agent_file_is_skipped_with_a_warning_naming_it(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agents = config / "agents"
    agents.mkdir()
    (agents / "nameless.md").write_text("---\ndescription: no name\n---\nprompt\n")
    (agents / "plain.md").write_text("no frontmatter at all\n")
    (agents / "bad.md").write_text("---\nname: [unclosed\n---\nprompt\n")
    _agent_file(agents, "good")

    with caplog.at_level(logging.WARNING, logger="claude_compat"):
        found = setting_sources.file_agents(None, ["user"])

    assert list(found) == ["good"]
    warned = caplog.text
    assert all(f"{name}.md" in warned for name in ("nameless", "plain", "bad"))


def test_the_session_offers_the_built_in_agents_then_files_then_the_programs(
    config: Path, tmp_path: Path
) -> None:
    _agent_file(tmp_path / ".claude" / "agents", "fs-agent")
    options = ClaudeAgentOptions(
        cwd=tmp_path,
        agents={"Zeta": AgentDefinition(description="z", prompt="p"), "analyzer": AgentDefinition("a", "p")},
    )

    names = subagents.listed_names(subagents.available_agents(options, str(tmp_path)))

    # the CLI's init list: every agent, alphabetical ignoring case
    assert names == [
        "analyzer",
        "claude",
        "Explore",
        "fs-agent",
        "general-purpose",
        "Plan",
        "statusline-setup",
        "Zeta",
    ]


@pytest.mark.anyio
@pytest.mark.letta
async def test_an_agent_file_of_the_project_runs_as_a_subagent_with_its_prompt_and_tools(
    scripted_model: ScriptedModel, config: Path, tmp_path: Path
) -> None:
    (tmp_path / "CLAUDE.md").write_text("Project rule: answer in French.\n")
    _agent_file(tmp_path / ".claude" / "agents", "fs-agent", "Answers from a file definition")
    scripted_model.push(
        Turn(
            tool_calls=[
                ToolCall(
                    "Agent",
                    {
                        "description": "ask",
                        "prompt": "say hi",
                        "subagent_type": "fs-agent",
                        "run_in_background": False,
                    },
                )
            ]
        )
    )
    scripted_model.add_rule(Rule(last_user="say hi", reply=Turn(text="Bonjour."), times=1))
    scripted_model.add_rule(Rule(last_tool="Bonjour", reply=Turn(text="It said Bonjour."), times=1))

    messages: list[Any] = [
        m async for m in query(prompt="use the fs agent", options=ClaudeAgentOptions(cwd=tmp_path))
    ]

    init = next(m for m in messages if isinstance(m, SystemMessage) and m.subtype == "init")
    assert "fs-agent" in init.data["agents"] and "Explore" in init.data["agents"]
    assert messages[-1].result == "It said Bonjour."
    result = next(m for m in messages if isinstance(m, UserMessage) and m.parent_tool_use_id is None)
    assert "Bonjour." in str(result.content)
    child = next(r for r in scripted_model.completions if "You are the fs-agent agent" in str(r.messages[0]))
    assert "Project rule: answer in French." in str(child.messages[0])  # CLAUDE.md loads by default
    assert sorted(
        t["function"]["name"]
        for t in child.body["tools"]
        if t["function"]["name"] in ("Read", "Grep", "Bash")
    ) == ["Grep", "Read"]


def test_the_read_only_built_in_agents_cannot_change_files_or_delegate() -> None:
    parent = ClaudeAgentOptions(disallowed_tools=["WebFetch"])
    for name in ("Explore", "Plan"):
        child = subagents.child_options(parent, subagents.BUILTIN_AGENTS[name], None)
        assert {"WebFetch", "Edit", "Write", "Agent", "Task"} <= set(child.disallowed_tools)
    setup = subagents.child_options(parent, subagents.BUILTIN_AGENTS["statusline-setup"], None)
    assert setup.tools == ["Read", "Edit"]


def _settings(folder: Path, name: str, data: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data))


def test_settings_files_add_up_their_rules_and_the_last_one_sets_mode_and_style(
    config: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    _settings(config, "settings.json", {"permissions": {"allow": ["Bash(make:*)"], "deny": ["WebFetch"]}})
    _settings(
        work / ".claude",
        "settings.json",
        {"permissions": {"deny": ["Read(./secrets/**)"], "ask": ["Bash(git push:*)"], "defaultMode": "plan"}},
    )
    _settings(
        work / ".claude",
        "settings.local.json",
        {
            "permissions": {"defaultMode": "acceptEdits", "additionalDirectories": ["../shared"]},
            "outputStyle": "x",
        },
    )

    found = setting_sources.read_settings(work, None)

    assert found == setting_sources.Settings(
        allow=("Bash(make:*)",),
        deny=("WebFetch", "Read(./secrets/**)"),
        ask=("Bash(git push:*)",),
        default_mode="acceptEdits",
        additional_directories=(str((tmp_path / "shared").resolve()),),
        output_style="x",
    )
    assert setting_sources.read_settings(work, ["user"]).default_mode is None
    assert setting_sources.read_settings(work, []) == setting_sources.Settings()
    flag = setting_sources.read_settings(work, [], '{"outputStyle": "flagged"}')
    assert flag.output_style == "flagged"
    with pytest.raises(InvalidOptionError, match="not valid JSON"):
        setting_sources.read_settings(work, [], "{oops")
    with pytest.raises(InvalidOptionError, match="not a file"):
        setting_sources.read_settings(work, [], "missing.json")


def test_a_workspace_allows_nothing_until_it_is_trusted_but_its_denials_apply(
    config: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    work = tmp_path / "work"
    _settings(
        work / ".claude", "settings.json", {"permissions": {"allow": ["Bash(rm:*)"], "deny": ["Write"]}}
    )

    with caplog.at_level(logging.WARNING, logger="claude_compat"):
        untrusted = setting_sources.read_settings(work, None)

    assert (untrusted.allow, untrusted.deny) == ((), ("Write",))
    assert "Ignoring 1 permissions.allow entry from .claude/settings.json" in caplog.text
    assert (
        f'projects["{work.resolve()}"].hasTrustDialogAccepted: true in {config / ".claude.json"}'
        in caplog.text
    )
    (config / ".claude.json").write_text(
        json.dumps({"projects": {str(work.resolve()): {"hasTrustDialogAccepted": True}}})
    )
    assert setting_sources.read_settings(work, None).allow == ("Bash(rm:*)",)


def test_folding_settings_into_the_options_keeps_the_programs_first_and_is_idempotent() -> None:
    found = setting_sources.Settings(
        allow=("Read",), deny=("Bash",), default_mode="plan", additional_directories=("/x",)
    )
    options = ClaudeAgentOptions(allowed_tools=["Grep"], permission_mode="default")

    folded = setting_sources.with_settings(options, found)

    assert folded.allowed_tools == ["Grep", "Read"] and folded.disallowed_tools == ["Bash"]
    assert folded.permission_mode == "default" and folded.add_dirs == ["/x"]
    assert setting_sources.with_settings(folded, found) is folded
    assert setting_sources.with_settings(options, setting_sources.Settings()) is options
    assert setting_sources.with_settings(ClaudeAgentOptions(), found).permission_mode == "plan"


@pytest.mark.anyio
@pytest.mark.letta
async def test_settings_files_decide_calls_and_the_init_message_as_in_the_cli(
    scripted_model: ScriptedModel, config: Path, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    _settings(
        tmp_path / ".claude",
        "settings.json",
        {"permissions": {"deny": ["Read"], "ask": ["Bash(echo ask)"]}, "outputStyle": "Explanatory"},
    )
    asked: list[str] = []

    async def can_use(name: str, tool_input: dict[str, Any], context: Any) -> Any:
        from claude_compat import PermissionResultAllow

        asked.append(str(tool_input.get("command")))
        return PermissionResultAllow()

    scripted_model.push(
        Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "a.txt")})]),
        Turn(tool_calls=[ToolCall("Bash", {"command": "echo ask"})]),
        Turn(tool_calls=[ToolCall("Bash", {"command": "echo free"})]),
        "done",
    )

    async def prompt() -> Any:
        yield {"type": "user", "message": {"role": "user", "content": "go"}}

    options = ClaudeAgentOptions(cwd=tmp_path, can_use_tool=can_use)
    messages: list[Any] = [m async for m in query(prompt=prompt(), options=options)]

    init = next(m for m in messages if isinstance(m, SystemMessage) and m.subtype == "init")
    assert init.data["output_style"] == "Explanatory" and "Read" not in init.data["tools"]
    results = [m.content[0] for m in messages if isinstance(m, UserMessage) and m.parent_tool_use_id is None]
    assert results[0].is_error and "No such tool available: Read" in str(results[0].content)
    assert [r.content for r in results[1:]] == ["ask", "free"]
    assert asked == ["echo ask"]  # only the ask rule's command went to can_use_tool
    assert messages[-1].result == "done"
