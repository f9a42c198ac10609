"""What the model is told about its environment: the working directory, platform, git and date."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    AgentDefinition,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    ResultMessage,
    query,
)
from claude_compat._internal import cli_facts, cli_request, environment
from claude_compat._internal import options as options_module
from claude_compat._internal.environment import (
    Environment,
    environment_reminder,
    js_number,
    usd_budget_reminder,
)
from claude_compat._internal.plan_reminders import plan_file
from claude_compat.testing import ScriptedModel, ToolCall, Turn

CLAUDE_MODEL = "claude-sonnet-4-5"

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


def _sent_text(model: ScriptedModel) -> str:
    return json.dumps([m for r in model.completions for m in r.messages if m.get("role") == "user"])


async def test_the_model_is_told_the_working_directory_platform_and_date(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push("done")
    work, extra = tmp_path / "work", tmp_path / "extra"
    work.mkdir()
    extra.mkdir()
    options = ClaudeAgentOptions(cwd=str(work), add_dirs=[str(extra), str(work / "inside")])
    messages = [m async for m in query(prompt="where am I?", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error
    sent = _sent_text(scripted_model)
    assert f"Primary working directory: {work.resolve()}" in sent
    # as the CLI lists them: a nested list, of those outside the working directory
    listed = json.dumps(f"Is a git repository: false\n - Additional working directories:\n  - {extra}\n")
    assert listed[1:-1] in sent
    assert "Is a git repository: false" in sent
    assert datetime.date.today().isoformat() in sent
    assert f"openai-proxy/{scripted_model.model_id}" in sent
    assert "where am I?" in sent


async def test_the_environment_is_sent_once_then_what_changed_as_the_clis_update(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push("one", "two", "three", "four")
    other, extra = tmp_path / "other", tmp_path.parent / f"{tmp_path.name}-extra"
    other.mkdir()
    extra.mkdir()
    options = ClaudeAgentOptions(cwd=str(tmp_path))
    async with ClaudeSDKClient(options) as client:
        for prompt in ("first", "second"):
            await client.query(prompt)
            async for _ in client.receive_response():
                pass
        options.cwd = str(other)
        await client.query("third")
        async for _ in client.receive_response():
            pass
        options.add_dirs = [str(extra)]
        await client.query("fourth")
        async for _ in client.receive_response():
            pass
    users = [m for m in scripted_model.completions[-1].messages if m.get("role") == "user"]
    told = [json.dumps(m).count("Primary working directory") for m in users]
    assert told == [1, 0, 1, 0], told
    was = tmp_path.resolve()
    moved = f"{environment.UPDATE_HEADER}\n - Primary working directory: {other.resolve()} (was {was})"
    assert f"<system-reminder>\n{moved}\n</system-reminder>" in users[2]["content"]
    added = f"{environment.UPDATE_HEADER}\n - {environment.DIRECTORIES_ADDED}\n  - {extra}"
    assert f"<system-reminder>\n{added}\n</system-reminder>" in users[3]["content"]
    assert "# Environment\n" not in users[2]["content"] + users[3]["content"]  # not the whole again


def test_a_changed_date_and_model_are_told_as_the_cli_tells_them(tmp_path: Path) -> None:
    told = Environment.current(str(tmp_path), model="m1")
    now = dataclasses.replace(told, date="2099-01-02", model="m2")
    update = environment.environment_update(
        told, now, None, ["<system-reminder>\nbetween\n</system-reminder>"]
    )
    assert [block.split("\n")[1] for block in update] == [
        "You are powered by the model m2.",
        "between",
        environment.DATE_CHANGED.format(date="2099-01-02"),
    ]
    assert environment.environment_update(told, told) == []


def test_a_git_work_tree_is_reported_as_a_git_repository(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    env = Environment.current(str(tmp_path), model="m")
    assert env.is_git_repository
    assert "Is a git repository: true" in environment_reminder(env)


def _system_text(model: ScriptedModel) -> str:
    first = model.completions[0]
    return "\n".join(str(m.get("content")) for m in first.messages if m.get("role") == "system")


@pytest.mark.parametrize("system_prompt", [None, "You are a helpful file assistant."])
async def test_the_system_text_starts_with_the_clis_agent_identity_then_the_programs_prompt(
    scripted_model: ScriptedModel, tmp_path: Path, system_prompt: str | None
) -> None:
    # as the CLI frames it (measured): its identity line, then a system_prompt string as a text of its own
    scripted_model.push("ok")
    options = ClaudeAgentOptions(cwd=str(tmp_path), system_prompt=system_prompt)
    messages = [m async for m in query(prompt="hi", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error
    system = _system_text(scripted_model).strip()
    assert system.startswith(cli_facts.AGENT_IDENTITY), system[:200]
    if system_prompt is not None:
        assert f"{cli_facts.AGENT_IDENTITY}\n\n{system_prompt}" in system


@pytest.mark.parametrize("append", [None, "Always answer in French."])
async def test_the_claude_code_preset_is_the_clis_own_prompt_after_its_identity_line(
    scripted_model: ScriptedModel, tmp_path: Path, append: str | None
) -> None:
    """The preset's text is read from the installed CLI (never shipped); with an append the CLI names
    itself Claude Code in the identity line (measured on the pinned CLI)."""
    pytest.importorskip("claude_agent_sdk")
    scripted_model.push("ok")
    preset: dict[str, str] = {"type": "preset", "preset": "claude_code"}
    options = ClaudeAgentOptions(
        cwd=str(tmp_path), system_prompt={**preset, **({"append": append} if append else {})}
    )  # type: ignore[typeddict-item]
    messages = [m async for m in query(prompt="hi", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error
    cli_text = await cli_request.preset_prompt(dict(os.environ), cwd=str(tmp_path))
    assert cli_text is not None and cli_text not in options_module.CLAUDE_CODE_PRESET
    # it names the session's own memory folder, which exists as it says (not the recording's)
    memory = cli_request.memory_dir(dict(os.environ), str(tmp_path))
    assert f"`{memory}/`" in cli_text and memory.is_dir() and "claude-compat-record" not in cli_text
    identity = cli_facts.PRESET_APPEND_IDENTITY if append else cli_facts.AGENT_IDENTITY
    expected = f"{identity}\n\n{cli_text}" + (f"\n\n{append}" if append else "")
    assert expected in _system_text(scripted_model)


async def test_the_claude_code_preset_counts_the_search_tools_when_the_options_name_them(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    """Naming Glob opts the CLI in to its search tools, and its preset prompt then words the tools to
    prefer over Bash with them: that prompt is read from its request recorded so."""
    pytest.importorskip("claude_agent_sdk")
    scripted_model.push("ok")
    options = ClaudeAgentOptions(
        cwd=str(tmp_path),
        system_prompt={"type": "preset", "preset": "claude_code"},
        allowed_tools=["Read", "Glob"],
    )
    messages = [m async for m in query(prompt="hi", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error
    env, cwd = dict(os.environ), str(tmp_path)
    search = await cli_request.preset_prompt(env, cwd=cwd, search=True)
    assert search is not None and f"{cli_facts.AGENT_IDENTITY}\n\n{search}" in _system_text(scripted_model)
    # the default model's preset names no tools; claude-sonnet-4-5's words them (measured)
    plain = await cli_request.preset_prompt(env, CLAUDE_MODEL, cwd=cwd)
    named = await cli_request.preset_prompt(env, CLAUDE_MODEL, cwd=cwd, search=True)
    assert plain is not None and named is not None
    assert "(Read, Edit, Write, Glob, Grep)" in named and "(Read, Edit, Write)" in plain


async def test_without_the_clis_texts_the_preset_is_the_projects_stand_in(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push("ok")
    options = ClaudeAgentOptions(
        cwd=str(tmp_path),
        system_prompt={"type": "preset", "preset": "claude_code"},
        env={cli_request.TEXTS_ENV: "0"},
    )
    messages = [m async for m in query(prompt="hi", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error
    assert f"{cli_facts.AGENT_IDENTITY}\n\n{options_module.CLAUDE_CODE_PRESET}" in _system_text(
        scripted_model
    )


async def test_the_first_prompt_names_the_deferred_tools_and_agent_types_in_the_clis_order(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push("ok")
    options = ClaudeAgentOptions(
        cwd=str(tmp_path), agents={"reviewer": AgentDefinition(description="Reviews code", prompt="Review.")}
    )
    messages = [m async for m in query(prompt="PROMPT-7f3", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error
    sent = json.loads(_sent_text(scripted_model))[0]["content"]
    sent = sent if isinstance(sent, str) else json.dumps(sent)
    marks = ["# Environment", "ToolSearch", cli_request.AGENT_TYPES_HEADER, "Today's date is", "PROMPT-7f3"]
    where = [sent.find(mark) for mark in marks]
    assert -1 not in where and where == sorted(where), dict(zip(marks, where, strict=True))
    assert "- reviewer: Reviews code (Tools: All tools)" in sent


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.0, "0"),
        (1.0, "1"),
        (0.000105, "0.000105"),
        (1 - 0.000105, "0.999895"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-6, "0.000001"),
        (1.5e-7, "1.5e-7"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (-0.5, "-0.5"),
    ],
)
def test_numbers_in_reminders_are_written_as_javascript_writes_them(value: float, written: str) -> None:
    assert js_number(value) == written


def test_the_usd_budget_reminder_names_the_spend_the_budget_and_what_is_left() -> None:
    assert usd_budget_reminder(0.0, 1.0) == (
        "<system-reminder>\n"
        + cli_facts.USD_BUDGET_REMINDER.format(used="0", total="1", remaining="1")
        + "\n</system-reminder>"
    )
    assert "$0.00021/$1; $0.99979 remaining" in usd_budget_reminder(0.00021, 1.0)
    assert usd_budget_reminder(0.5, None) == ""


async def test_with_a_usd_budget_each_prompt_and_each_step_end_with_the_spend(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    calls = [ToolCall("Bash", {"command": f"echo {w}"}, id=f"call_{w}") for w in ("a", "b")]
    scripted_model.push(Turn(tool_calls=calls), "done", "again")
    prices = json.dumps({f"openai-proxy/{scripted_model.model_id}": {"input": 1.0, "output": 2.0}})
    options = ClaudeAgentOptions(
        cwd=str(tmp_path), allowed_tools=["Bash"], max_budget_usd=2.5, env={"CLAUDE_COMPAT_PRICES": prices}
    )
    async with ClaudeSDKClient(options) as client:
        spent = []
        for prompt in ("say a and b", "once more"):
            await client.query(prompt)
            spent += [
                m.total_cost_usd async for m in client.receive_response() if isinstance(m, ResultMessage)
            ]
    first, step, later = (r.messages for r in scripted_model.completions)
    assert "USD budget: $0/$2.5; $2.5 remaining" in json.dumps(first)
    results = {m["tool_call_id"]: str(m["content"]) for m in step if m.get("role") == "tool"}
    # as the CLI: the step's reminders once, after its last result
    assert "USD budget" not in results["call_a"] and "<system-reminder>" not in results["call_a"]
    told = re.search(
        r"\n\n<system-reminder>\nUSD budget: \$(\S+)/\$2\.5; \$(\S+) remaining\n</system-reminder>\Z",
        results["call_b"],
    )
    assert told is not None, results["call_b"]
    used = float(told.group(1))  # the spend before the step: the first model call's, not the whole turn's
    assert 0 < used < (spent[0] or 0.0) and results["call_b"].endswith(usd_budget_reminder(used, 2.5))
    # a later prompt: the session's spend so far
    assert usd_budget_reminder(spent[0] or 0.0, 2.5) in str(later[-1]["content"])


async def _plan_texts(model_id: str) -> cli_request.PlanTexts:
    """The CLI's plan-mode texts for ``model_id``; the test is skipped without the real SDK's CLI."""
    texts = await cli_request.plan_texts(dict(os.environ), model_id)
    if texts is None:
        pytest.skip("the real SDK's CLI is not installed")
    return texts


async def test_plan_mode_is_told_in_the_clis_words_until_it_is_left(
    claude_named: ScriptedModel, tmp_path: Path
) -> None:
    texts = await _plan_texts(claude_named.model_id)
    between = cli_facts.PLAN_REMINDER_PROMPTS_BETWEEN
    prompts = between + 3  # the full reminder, the short one, then out of plan mode
    claude_named.push(*["ok"] * prompts)
    options = ClaudeAgentOptions(cwd=str(tmp_path), permission_mode="plan")
    async with ClaudeSDKClient(options) as client:
        for n in range(prompts):
            if n == prompts - 1:
                await client.set_permission_mode("default")
            await client.query(f"prompt {n}")
            session = [m.session_id async for m in client.receive_response() if isinstance(m, ResultMessage)]
    placed = texts.with_plan_file(plan_file(dict(os.environ), session[0]))
    told = [json.dumps(r.messages[-1]) for r in claude_named.completions]
    assert len(told) == prompts
    for n, sent in enumerate(told):
        assert (json.dumps(placed.full)[1:-1] in sent) == (n == 0), n
        assert (json.dumps(placed.sparse)[1:-1] in sent) == (n == between + 1), n
        assert (json.dumps(placed.exit)[1:-1] in sent) == (n == prompts - 1), n


def _plan_file_writer(model: ScriptedModel) -> ScriptedModel:
    """``model`` scripted as a model that follows the plan-mode reminder: it writes the plan file the
    reminder names, edits it, then answers."""
    results: list[str] = []

    def reply(request: Any) -> Turn:
        named = re.search(r"create your plan at (\S+?) using the Write tool", json.dumps(request.body))
        path = named.group(1) if named else results[0]
        if len(results) == 0:
            results.append(path)
            return Turn(tool_calls=[ToolCall("Write", {"file_path": path, "content": "# the plan\n"})])
        if len(results) == 1:
            results.append(path)
            edit = {"file_path": path, "old_string": "the plan", "new_string": "the whole plan"}
            return Turn(tool_calls=[ToolCall("Edit", edit)])
        return Turn(text="planned")

    model.default = reply
    return model


def _plan_results(messages: list[Any], plan: Path) -> list[tuple[str, Any]]:
    """The tool results a session's messages carry, its plan file's path written as <plan>."""
    return [
        (str(block.content).replace(str(plan), "<plan>"), block.is_error)
        for message in messages
        for block in getattr(message, "content", None) or []
        if type(block).__name__ == "ToolResultBlock"
    ]


async def test_plan_mode_lets_the_model_write_and_edit_the_plan_file_its_reminder_names(
    claude_named: ScriptedModel, real_cli: Any, tmp_path: Path
) -> None:
    await _plan_texts(claude_named.model_id)  # the real SDK's CLI is there
    real_home = tmp_path / "real"
    real_model = _plan_file_writer(ScriptedModel(claude_named.model_id))
    real = await real_cli.query(
        "make a plan",
        real_model,
        home=real_home,
        cwd=str(tmp_path),
        permission_mode="plan",
        model=claude_named.model_id,
    )
    [real_plan] = (real_home / ".claude" / "plans").iterdir()

    _plan_file_writer(claude_named)
    options = ClaudeAgentOptions(cwd=str(tmp_path), permission_mode="plan")
    ours = [m async for m in query(prompt="make a plan", options=options)]
    session = next(m.session_id for m in ours if isinstance(m, ResultMessage))
    our_plan = Path(plan_file(dict(os.environ), session))

    # as the CLI (measured): both calls run without asking, the file is written and edited
    assert _plan_results(ours, our_plan) == _plan_results(real, real_plan)
    assert [r[1] for r in _plan_results(ours, our_plan)] == [None, None], ours
    assert our_plan.read_text() == real_plan.read_text() == "# the whole plan\n"
    assert ours[-1].result == real[-1].result == "planned"


async def test_leaving_plan_mode_by_exitplanmode_is_said_after_its_result(
    claude_named: ScriptedModel, tmp_path: Path
) -> None:
    texts = await _plan_texts(claude_named.model_id)

    async def allow(name: str, tool_input: dict[str, Any], context: Any) -> PermissionResultAllow:
        return PermissionResultAllow()

    claude_named.push(Turn(tool_calls=[ToolCall("ExitPlanMode", {"plan": "do it"}, id="call_exit")]), "ok")
    options = ClaudeAgentOptions(cwd=str(tmp_path), permission_mode="plan", can_use_tool=allow)
    async with ClaudeSDKClient(options) as client:
        await client.query("plan it")
        async for _ in client.receive_response():
            pass
    [result] = [m for m in claude_named.completions[-1].messages if m.get("role") == "tool"]
    # as the CLI (measured): after the result, before the tokens left
    assert (
        f"\n\n<system-reminder>\n{texts.exit}\n</system-reminder>\n\n<system-reminder>\n<total_tokens>"
        in str(result["content"])
    )


async def test_a_subagent_is_not_told_the_usd_budget(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    call = {"description": "look", "prompt": "look around", "subagent_type": "general-purpose"}
    scripted_model.push(Turn(tool_calls=[ToolCall("Agent", {**call, "run_in_background": False}, id="c1")]))
    scripted_model.push("sub done", "ok")
    options = ClaudeAgentOptions(cwd=str(tmp_path), max_budget_usd=2.5, permission_mode="bypassPermissions")
    messages = [m async for m in query(prompt="go", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages

    def asks(messages: list[dict[str, Any]]) -> str:  # the request's user messages
        return json.dumps([m["content"] for m in messages if m.get("role") == "user"])

    sent = [asks(r.messages) for r in scripted_model.completions]
    [child] = [s for s in sent if "look around" in s]  # the parent's have it in its call, not as a prompt
    assert "USD budget" not in child  # as the CLI's (measured)
    assert all("USD budget" in s for s in sent if s != child)
