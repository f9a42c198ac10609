"""The Claude CLI's first request, recorded at run time from the installed SDK, or a clean fallback."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from claude_compat import ClaudeAgentOptions, PermissionResultAllow, query
from claude_compat._internal import cli_facts, cli_request
from claude_compat._internal.builtins import BUILTIN_TOOLS
from claude_compat._internal.environment import Environment, environment_reminder
from claude_compat.testing import ScriptedModel

if TYPE_CHECKING:
    from conftest import RealCli

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_without_the_real_sdk_the_project_texts_apply_and_it_is_said_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cli_request.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(cli_request, "_said_missing", False)
    with caplog.at_level(logging.INFO, logger="claude_compat"):
        assert await cli_request.recorded_request() is None
        assert await cli_request.recorded_request("claude-sonnet-4-5") is None
    said = [r for r in caplog.records if "claude-agent-sdk is not installed" in r.getMessage()]
    assert len(said) == 1


async def test_the_cli_request_is_recorded_once_per_version_with_volatile_parts_replaced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("claude_agent_sdk")
    monkeypatch.setenv("CLAUDE_COMPAT_CACHE", str(tmp_path))
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-3-5-haiku-20241022")  # not the CLI's default
    body = await cli_request.recorded_request()
    assert body is not None
    # recorded for no model: the CLI's own default, which set_model(None) names
    assert body["model"] != "claude-3-5-haiku-20241022"
    assert await cli_request.cli_default_model({}) == body["model"]
    assert await cli_request.cli_default_model({cli_request.TEXTS_ENV: "0"}) is None
    names = [t["name"] for t in body["tools"]]
    assert {"Bash", "Read", "Edit", "Write"} <= set(names)
    assert all("input_schema" in t for t in body["tools"] if not t.get("defer_loading"))
    assert "max_tokens" in body and "system" in body
    text = str(body)
    assert cli_request.CWD in text and "/claude-compat-record-" not in text
    assert "metadata" not in body
    version = cli_request.cli_version()
    assert version is not None
    path = cli_request.cache_path(version, None)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text('{"tools": [], "marker": true}')  # the second call reads the cache, no new run
    assert await cli_request.recorded_request() == {"tools": [], "marker": True}


def test_the_cli_request_is_recorded_where_claude_agent_sdk_is_mapped_to_claude_compat(
    tmp_path: Path,
) -> None:
    """Under ``claude-compat run`` (and the ab lane) the real SDK cannot load in-process: a child records."""
    pytest.importorskip("claude_agent_sdk")
    program = (
        "import json, anyio\n"
        "from claude_compat._internal import cli_request\n"
        "from claude_compat._tooling import importhook\n"
        "importhook.install()\n"
        "import claude_agent_sdk\n"
        "assert claude_agent_sdk.__name__ == 'claude_compat'\n"
        "texts = anyio.run(lambda: cli_request.cli_tool_texts({}, search=True, asking=True))\n"
        "print(json.dumps(sorted(texts)))\n"
    )
    env = {**os.environ, "CLAUDE_COMPAT_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert cli_facts.CLI_TEXT_TOOLS <= set(json.loads(done.stdout.splitlines()[-1]))
    assert "could not record" not in done.stderr


# --- the CLI's tool texts, as the model gets them ---------------------------------------------------


@pytest.fixture
def fresh_texts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A private cache and no texts remembered by this process yet."""
    monkeypatch.setenv("CLAUDE_COMPAT_CACHE", str(tmp_path))
    monkeypatch.setattr(cli_request, "_texts", {})
    monkeypatch.setattr(cli_request, "_said_failed", False)
    return tmp_path


async def test_the_cli_tool_texts_are_those_of_its_recorded_request(fresh_texts: Path) -> None:
    pytest.importorskip("claude_agent_sdk")
    texts = await cli_request.cli_tool_texts({}, search=True)
    body = await cli_request.recorded_request(full=True)
    assert body is not None
    recorded = {t["name"]: t for t in body["tools"] if not t.get("defer_loading")}
    assert cli_facts.CLI_TEXT_TOOLS <= set(texts)
    for name in cli_facts.CLI_TEXT_TOOLS:
        assert texts[name]["description"] == recorded[name]["description"] != BUILTIN_TOOLS[name].description
        assert "$schema" not in texts[name]["parameters"]
        assert texts[name]["parameters"]["properties"] == recorded[name]["input_schema"]["properties"]
        # claude-compat's implementation takes every field the CLI requires
        assert set(texts[name]["parameters"].get("required", [])) <= set(
            BUILTIN_TOOLS[name].input_schema["properties"]
        )


async def test_the_cli_tool_texts_can_be_turned_off(fresh_texts: Path) -> None:
    assert await cli_request.cli_tool_texts({cli_request.TEXTS_ENV: "0"}) == {}
    assert not list(fresh_texts.rglob("*.json"))  # and the CLI was not run for them


async def test_a_failed_recording_leaves_the_project_texts_and_is_said_once(
    fresh_texts: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cli_request, "cli_version", lambda: "0.0.0-test")

    async def broken(model: str | None, preset: bool = False, **kw: object) -> dict[str, object]:
        raise RuntimeError("no CLI here")

    monkeypatch.setattr(cli_request, "_record", broken)
    with caplog.at_level(logging.WARNING, logger="claude_compat"):
        assert await cli_request.cli_tool_texts({}) == {}
        assert await cli_request.cli_tool_texts({}) == {}
    said = [r for r in caplog.records if "could not record the Claude CLI's tool texts" in r.getMessage()]
    assert len(said) == 1 and "no CLI here" in said[0].getMessage()


async def test_without_the_real_sdk_there_are_no_cli_tool_texts(
    fresh_texts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_request.importlib.util, "find_spec", lambda name: None)
    assert await cli_request.cli_tool_texts({}) == {}


@pytest.mark.letta
async def test_the_model_gets_the_clis_tool_texts_or_the_projects_own(
    fresh_texts: Path, scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    pytest.importorskip("claude_agent_sdk")
    texts = await cli_request.cli_tool_texts({})
    scripted_model.push("one", "two")
    for env, expected in (({}, texts["Read"]["description"]), ({cli_request.TEXTS_ENV: "0"}, None)):
        options = ClaudeAgentOptions(cwd=tmp_path, env=env)
        messages = [m async for m in query(prompt="hi", options=options)]
        assert messages[-1].subtype == "success"
        offered = {t["function"]["name"]: t["function"] for t in scripted_model.completions[-1].tools}
        assert offered["Read"]["description"] == (expected or BUILTIN_TOOLS["Read"].description)
        # the CLI's Agent text (which offers forks) with the CLI's fork texts only; else claude-compat's own
        agent = offered["Agent"]["description"]
        assert agent == texts["Agent"]["description"] if expected else agent.startswith("Launch a subagent")
    # allowed_tools naming Glob brings Glob and Grep beside Bash, and a callback AskUserQuestion: the
    # texts of the CLI's request recorded with them (Bash's among them)
    full = await cli_request.cli_tool_texts({}, search=True, asking=True)
    scripted_model.push("three")

    async def allow(name: str, tool_input: dict[str, object], context: object) -> PermissionResultAllow:
        return PermissionResultAllow()

    options = ClaudeAgentOptions(cwd=tmp_path, allowed_tools=["Glob"], can_use_tool=allow)
    assert [m async for m in query(prompt="hi", options=options)][-1].subtype == "success"
    offered = {t["function"]["name"]: t["function"] for t in scripted_model.completions[-1].tools}
    for name in ("AskUserQuestion", "Bash", "Glob", "Grep"):
        assert offered[name]["description"] == full[name]["description"]
        assert offered[name]["parameters"] == full[name]["parameters"]


async def test_the_cli_tool_texts_are_those_the_cli_gives_the_sessions_model(fresh_texts: Path) -> None:
    """The CLI words its tools per model (older models get longer texts): the handle's model decides."""
    pytest.importorskip("claude_agent_sdk")
    model = cli_request.claude_model_of("openai-proxy/claude-sonnet-4-5")
    assert model == "claude-sonnet-4-5" and cli_request.claude_model_of("openai/gpt-4o") is None
    texts = await cli_request.cli_tool_texts({}, model)
    body = await cli_request.recorded_request(model)
    assert body is not None
    recorded = {t["name"]: t for t in body["tools"] if not t.get("defer_loading")}
    default = await cli_request.cli_tool_texts({})
    for name in cli_facts.CLI_TEXT_TOOLS & set(recorded):
        assert texts[name]["description"] == recorded[name]["description"]
    assert texts["Bash"]["description"] != default["Bash"]["description"]


async def test_the_search_and_asking_tools_get_the_texts_the_cli_gives_them(fresh_texts: Path) -> None:
    """Glob, Grep and AskUserQuestion come only with some options, and Bash's text changes with the
    search tools: those are read from the CLI's request recorded with them (one more per model)."""
    pytest.importorskip("claude_agent_sdk")
    plain = await cli_request.cli_tool_texts({})
    search = await cli_request.cli_tool_texts({}, search=True)
    asking = await cli_request.cli_tool_texts({}, asking=True)
    full = await cli_request.recorded_request(full=True)
    assert full is not None
    recorded = {t["name"]: t["description"] for t in full["tools"]}
    only_full = {"AskUserQuestion", "Glob", "Grep"}
    assert not only_full & set(plain) and only_full <= set(search) and only_full <= set(asking)
    assert search["Bash"]["description"] == recorded["Bash"] != plain["Bash"]["description"]
    assert asking["Bash"] == plain["Bash"]  # the asking tools change no other text
    assert {n: asking[n]["description"] for n in only_full} == {n: recorded[n] for n in only_full}
    assert sorted(p.name for p in fresh_texts.rglob("*.json")) == ["default.full.json", "default.json"]


async def test_a_claude_model_is_told_its_environment_in_the_clis_words(fresh_texts: Path) -> None:
    """The CLI's guidance lines, its words for the model and its git attribution, read from the CLI."""
    pytest.importorskip("claude_agent_sdk")
    cli = await cli_request.cli_reminders({}, "claude-sonnet-4-5")
    assert (
        cli is not None
        and cli.environment_lines
        and all(line.startswith(" - ") for line in cli.environment_lines)
    )
    assert cli.model_line is not None and "claude-sonnet-4-5" in cli.model_line
    assert cli.attribution is not None and cli.attribution.startswith("Attribution for git commits")
    env = Environment(
        "/work/x", (), False, "linux", "bash", "Linux 6", "2026-12-06", "openai/claude-sonnet-4-5"
    )
    note = environment_reminder(env, cli)
    order = [
        note.index(part) for part in (" - OS Version: Linux 6", cli.environment_lines[0], cli.model_line)
    ]
    assert order == sorted(order) and note.index("Today's date is 2026-12-06.") < note.index(cli.attribution)
    assert "You are powered by the model openai/" not in note
    # any other model, or the CLI's texts turned off: the project's own words
    assert await cli_request.cli_reminders({}, None) is None
    assert await cli_request.cli_reminders({cli_request.TEXTS_ENV: "off"}, "claude-sonnet-4-5") is None
    assert "You are powered by the model openai/gpt-4o." in environment_reminder(
        dataclasses.replace(env, model="openai/gpt-4o")
    )


async def test_the_agent_types_reminder_lists_the_agents_as_the_cli_does(
    fresh_texts: Path, real_cli: RealCli
) -> None:
    """Differential: the real CLI's reminder for the same agents (built-ins, one redefined, tools,
    disallowed tools, both) against claude-compat's, built from the CLI's recorded lines."""
    from claude_compat import AgentDefinition
    from claude_compat._internal import subagents

    defined = {
        "aaa-agent": {"description": "Reads things", "prompt": "p", "tools": ["Read", "Grep"]},
        "zzz": {"description": "No bash", "prompt": "p", "disallowedTools": ["Bash"]},
        "Both": {
            "description": "Both set",
            "prompt": "p",
            "tools": ["Read", "Bash"],
            "disallowedTools": ["Bash"],
        },
        "Explore": {"description": "My own explore", "prompt": "p"},
    }
    model = ScriptedModel("claude-sonnet-4-5").push("ok")
    work = fresh_texts / "work"
    work.mkdir()
    await real_cli.query(
        "hi",
        model,
        home=fresh_texts / "home",
        cwd=str(work),
        model="claude-sonnet-4-5",
        agents={name: real_cli.sdk.AgentDefinition(**fields) for name, fields in defined.items()},
    )
    first = next(r.body for r in model.requests if r.body.get("tools"))
    sent = [
        b["text"]
        for b in first["messages"][0]["content"]
        if cli_request.AGENT_TYPES_HEADER in b.get("text", "")
    ]
    agents = {**subagents.BUILTIN_AGENTS, **{n: AgentDefinition(**f) for n, f in defined.items()}}  # type: ignore[arg-type]
    ours = subagents.agent_types_reminder(agents, await cli_request.cli_reminders({}, "claude-sonnet-4-5"))
    assert sent == [f"<system-reminder>\n{ours}\n</system-reminder>"]


def test_reminders_sent_in_a_system_role_message_are_read_as_such() -> None:
    prompt = {"role": "user", "content": [{"type": "text", "text": "hi"}]}
    told = {"role": "system", "content": [{"type": "text", "text": "You are powered by the model named X."}]}
    in_system = cli_request.reminders_of({"system": [], "messages": [prompt, told]})
    assert in_system.in_system_message and in_system.model_line == "You are powered by the model named X."
    reminder = {
        "type": "text",
        "text": "<system-reminder>\nYou are powered by the model named X.\n</system-reminder>",
    }
    in_prompt = cli_request.reminders_of(
        {"system": [], "messages": [{"role": "user", "content": [reminder]}]}
    )
    assert not in_prompt.in_system_message and in_prompt.model_line == in_system.model_line


async def test_an_alias_is_the_model_the_cli_resolves_it_to() -> None:
    pytest.importorskip("claude_agent_sdk")
    ran = await cli_request.cli_model({}, "haiku")
    assert ran is not None and ran.startswith("claude-haiku")
    assert await cli_request.cli_model({cli_request.TEXTS_ENV: "0"}, "haiku") is None


async def test_the_plan_mode_reminders_are_recorded_with_the_plan_file_left_out(fresh_texts: Path) -> None:
    pytest.importorskip("claude_agent_sdk")
    model = "claude-sonnet-4-5"
    assert await cli_request.plan_texts({}, None) is None  # the CLI's texts are for Claude models
    texts = await cli_request.plan_texts({}, model)
    assert texts is not None
    assert cli_request.PLAN_FILE in texts.full and cli_request.PLAN_FILE in texts.sparse
    assert len(texts.sparse) < len(texts.full)
    assert "/claude-compat-record-" not in str(texts) and "<system-reminder>" not in str(texts)
    placed = texts.with_plan_file("/my/plan.md")
    assert "/my/plan.md" in placed.full and cli_request.PLAN_FILE not in placed.full
    version = cli_request.cli_version()
    assert version is not None
    path = cli_request.cache_path(version, model).with_suffix(".plan.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text(json.dumps({"full": "f", "sparse": "s", "exit": "e"}))  # read again, not recorded
    assert await cli_request.plan_texts({}, model) == cli_request.PlanTexts("f", "s", "e")
    assert await cli_request.plan_texts({cli_request.TEXTS_ENV: "0"}, model) is None


def test_a_plan_reminder_is_found_alone_or_in_the_system_role_message_that_joins_the_reminders() -> None:
    alone = ["# Environment\n - x", "Plan mode is active. Do this.\n\nThen that.", "Today's date is <date>."]
    joined = ["\n\n".join(alone)]
    tokens = ["\n\n".join([alone[0], alone[1], "<total_tokens>9 tokens left</total_tokens>"])]
    for notes in (alone, joined, tokens):
        assert cli_request._note(notes, "Plan mode is active.") == alone[1]
    assert cli_request._note(alone, "## Exited Plan Mode") is None
