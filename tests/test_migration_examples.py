"""The migration examples: Claude SDK programs with only the import changed, run as a user runs them.

Each example runs as a subprocess against the session's local Letta server and scripted model
(programmed here, before the process starts), and the test checks what it printed and what it
left on disk. Static tests check that each file differs from its Claude original only in imports
(except the Letta-native "after" example, which has no Claude original).
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat._internal import cli_facts, cli_request
from claude_compat._internal.builtins import cli_tool_set
from claude_compat._internal.options import CLAUDE_CODE_PRESET
from claude_compat.testing import RecordedRequest, Rule, ScriptedModel, ToolCall, Turn
from claude_compat.testing._demo import SCRIPTED_NOTICE, demo_reply
from claude_compat.testing._script import last_user_text
from letta_backend.registry import Registry, SessionRecord, home_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "migration_examples"
EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.py"))
#: Examples of the Letta-native API (the migration's next step): no Claude original to compare with.
LETTA_NATIVE = frozenset({"letta_native_after.py"})
CLAUDE_FORM_FILES = [name for name in EXAMPLE_FILES if name not in LETTA_NATIVE]

#: The V2 session API, which the Claude SDK has in TypeScript only; claude-compat has it in Python.
TYPESCRIPT_ONLY = frozenset({"unstable_v2_createSession", "unstable_v2_resumeSession", "unstable_v2_prompt"})

#: Every example and the test that runs it (a new example needs a test here).
RUN_TESTS = {
    "demo.py": "test_demo_shows_the_permission_decisions_the_hook_and_the_resumed_session",
    "quick_start.py": "test_quick_start_prints_both_answers_and_the_turns_but_no_cost_for_an_unpriced_model",
    "streaming_input.py": "test_streaming_input_answers_each_message_in_one_session",
    "client_multiturn.py": "test_client_multiturn_second_turn_sees_the_first",
    "system_prompt_variants.py": "test_system_prompt_variants_each_reach_the_model",
    "model_choice.py": "test_model_choice_runs_on_the_env_model_whatever_model_says",
    "client_interrupt.py": "test_client_interrupt_ends_the_long_turn_and_the_session_goes_on",
    "tools_option.py": "test_tools_option_offers_exactly_the_listed_tools_none_or_the_preset",
    "can_use_tool.py": "test_can_use_tool_allows_the_read_redirects_one_write_and_denies_the_other",
    "hooks.py": "test_hooks_block_the_dangerous_command_and_log_the_safe_one",
    "mcp_calculator.py": "test_mcp_calculator_tools_run_in_the_examples_process",
    "partial_messages.py": "test_partial_messages_print_the_text_in_pieces_then_the_whole",
    "max_budget.py": "test_max_budget_the_tight_budget_stops_the_run_at_the_models_price",
    "subagents.py": "test_subagents_the_reviewer_runs_with_its_own_prompt_and_tools",
    "v2_sessions.py": "test_v2_sessions_resume_by_id_continues_with_the_history",
    "resume_second_process.py": "test_resume_second_process_continues_the_first_processs_session",
    "structured_output.py": "test_structured_output_is_validated_into_the_pydantic_model_and_saved",
    "letta_native_after.py": "test_letta_native_after_reuses_its_agent_whose_memory_every_session_sees",
}


# --- helpers ----------------------------------------------------------------------------------


def run_example(
    name: str, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one example as ``python migration_examples/<name> [args]`` with this process's environment.

    The ``scripted_model`` fixture has put LETTA_BASE_URL, CLAUDE_COMPAT_MODEL and
    CLAUDE_COMPAT_HOME in ``os.environ``, so the example talks to the test's server and model.
    """
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def succeeded(proc: subprocess.CompletedProcess[str]) -> str:
    """The example's stdout, after checking it exited 0 (its stderr is the failure message)."""
    detail = f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode == 0, detail
    return proc.stdout


def sessions_in(cwd: Path) -> list[SessionRecord]:
    """Sessions the registry on disk records for a working directory."""
    return Registry(home_dir() / "sessions.db").list(cwd=str(cwd.resolve()))


def request_for(model: ScriptedModel, user_text: str) -> RecordedRequest:
    """The model request whose last user message contains ``user_text``."""
    for request in model.completions:
        if user_text in (last_user_text(request.messages) or ""):
            return request
    raise AssertionError(f"the model never received {user_text!r}")


def system_text(request: RecordedRequest) -> str:
    """The system message the model received."""
    return "\n".join(str(m.get("content")) for m in request.messages if m.get("role") == "system")


def reply(pattern: str, text: str) -> Rule:
    """The model answers ``text`` whenever the last user message matches ``pattern``."""
    return Rule(reply=Turn(text=text), last_user=pattern)


# --- the examples, run ------------------------------------------------------------------------


@pytest.mark.letta
def test_demo_shows_the_permission_decisions_the_hook_and_the_resumed_session(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.default = demo_reply  # the embedded demo model's part

    out = succeeded(run_example("demo.py", tmp_path, str(tmp_path)))

    assert "[PreToolUse hook] Write hello.py\n[can_use_tool] allow Write hello.py\n" in out
    assert "[can_use_tool] allow Bash 'python3 hello.py'\n" in out
    assert "[can_use_tool] deny Bash 'rm -rf build': dangerous pattern 'rm -rf'\n" in out
    assert "it printed: Hello, world!" in out
    assert (tmp_path / "hello.py").exists() and (tmp_path / "build").is_dir()  # rm -rf never ran
    session = re.search(r"^Session: (\S+)$", out, re.M)
    assert session is not None, out
    assert f"Resumed session: {session.group(1)}\n" in out
    assert "- Bash python3 hello.py: Hello, world!" in out  # the second process sees the first's calls
    assert SCRIPTED_NOTICE in out


@pytest.mark.letta
def test_quick_start_prints_both_answers_and_the_turns_but_no_cost_for_an_unpriced_model(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply(r"What is 2 \+ 2\?", "2 + 2 equals 4."))
    scripted_model.add_rule(reply(r"Explain what Python is", "Python is a friendly programming language."))

    out = succeeded(run_example("quick_start.py", tmp_path))

    assert out == (
        "=== Basic Example ===\n"
        "Claude: 2 + 2 equals 4.\n"
        "\n"
        "=== With Options Example ===\n"
        "Claude: Python is a friendly programming language.\n"
        "Turns: 1\n"
        "\n"
    )  # no "Cost:" line: the scripted model has no price, so total_cost_usd is 0.0
    options_request = request_for(scripted_model, "Explain what Python is")
    assert "explains things simply" in system_text(options_request)
    assert len(sessions_in(tmp_path)) == 2  # one session per query(), recorded on disk


@pytest.mark.letta
def test_streaming_input_answers_each_message_in_one_session(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply("yellow", "Banana"))
    scripted_model.add_rule(reply("red", "Strawberry"))

    out = succeeded(run_example("streaming_input.py", tmp_path))

    match = re.fullmatch(
        r"Claude: Banana\nResult: success in session (\S+)\n"
        r"Claude: Strawberry\nResult: success in session (\S+)\n",
        out,
    )
    assert match is not None, out
    assert match.group(1) == match.group(2)
    assert "Banana" in str(request_for(scripted_model, "Now name one that is red").messages)
    assert [s.session_id for s in sessions_in(tmp_path)] == [match.group(1)]


@pytest.mark.letta
def test_client_multiturn_second_turn_sees_the_first(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    scripted_model.add_rule(reply("capital of France", "Paris."))
    scripted_model.add_rule(reply("population of that city", "About 2.1 million people."))

    out = succeeded(run_example("client_multiturn.py", tmp_path))

    match = re.fullmatch(
        r"User: What's the capital of France\?\n"
        r"Claude: Paris\.\n"
        r"Result ended after 1 turn\(s\) in session (\S+)\n"
        r"\n"
        r"User: What's the population of that city\?\n"
        r"Claude: About 2\.1 million people\.\n"
        r"Result ended after 1 turn\(s\) in session (\S+)\n",
        out,
    )
    assert match is not None, out
    assert match.group(1) == match.group(2)
    follow_up = request_for(scripted_model, "population of that city")
    assert "Paris." in str(follow_up.messages)
    assert "concise geography tutor" in system_text(follow_up)


@pytest.mark.letta
def test_system_prompt_variants_each_reach_the_model(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    scripted_model.add_rule(reply("capital of Spain", "Madrid, matey!"))
    scripted_model.add_rule(reply("Which language", "Python. Arr"))
    scripted_model.add_rule(reply("Describe the sea", "Wide and blue, and salty too."))

    out = succeeded(run_example("system_prompt_variants.py", tmp_path))

    assert out == (
        "=== String system prompt ===\nClaude: Madrid, matey!\n\n"
        "=== Preset with append ===\nClaude: Python. Arr\n\n"
        "=== Custom system prompt ===\nClaude: Wide and blue, and salty too.\n\n"
    )
    assert "Answer like a pirate." in system_text(request_for(scripted_model, "capital of Spain"))
    preset = system_text(request_for(scripted_model, "Which language"))
    cli_text = (
        anyio.run(functools.partial(cli_request.preset_prompt, dict(os.environ), cwd=str(tmp_path)))
        if cli_request.cli_version()
        else None
    )
    assert f"{cli_facts.PRESET_APPEND_IDENTITY}\n\n{cli_text or CLAUDE_CODE_PRESET}" in preset
    assert "Always end your answer with the word 'Arr'." in preset
    assert "Answer in rhyme." in system_text(request_for(scripted_model, "Describe the sea"))


@pytest.mark.letta
def test_model_choice_runs_on_the_env_model_whatever_model_says(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply("what are you good at", "Answering questions."))
    handle = os.environ["CLAUDE_COMPAT_MODEL"]

    out = succeeded(run_example("model_choice.py", tmp_path))

    section = f"Model: {handle}\nClaude: Answering questions.\nUsage by model: {handle}\n\n"
    assert out == f"=== model='sonnet' ===\n{section}=== model='claude-haiku-4-5' ===\n{section}"
    assert {s.model for s in sessions_in(tmp_path)} == {handle}


@pytest.mark.letta
def test_model_choice_without_the_env_model_names_the_missing_handle_and_the_fix(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_COMPAT_MODEL"}

    proc = run_example("model_choice.py", tmp_path, env=env)

    assert proc.returncode != 0
    assert "UnknownModelError" in proc.stderr
    assert "anthropic/claude-sonnet-4-5" in proc.stderr and "CLAUDE_COMPAT_MODEL" in proc.stderr
    assert f"openai-proxy/{scripted_model.model_id}" in proc.stderr  # the handles the server has
    assert scripted_model.completions == []


@pytest.mark.letta
def test_client_interrupt_ends_the_long_turn_and_the_session_goes_on(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply("Say hello", "Hello!"))
    # longer than the example's 2 s wait: the interrupt lands while the model is still busy
    scripted_model.add_rule(Rule(reply=Turn(text="1, 2, 3", delay=6.0), last_user="Count from 1 to 100"))
    scripted_model.add_rule(reply("tell me a joke", "Why did the chicken cross the road?"))

    out = succeeded(run_example("client_interrupt.py", tmp_path))

    assert out == (
        "User: Say hello.\n"
        "Claude: Hello!\n"
        "Result: success (terminal reason: completed)\n"
        "\n"
        "User: Count from 1 to 100 slowly\n"
        "[After 2 seconds, sending interrupt...]\n"
        "Result: error_during_execution (terminal reason: aborted_streaming)\n"
        "\n"
        "User: Never mind, just tell me a joke\n"
        "Claude: Why did the chicken cross the road?\n"
        "Result: success (terminal reason: completed)\n"
    )
    assert "Count from 1 to 100" in str(request_for(scripted_model, "tell me a joke").messages)
    assert len(sessions_in(tmp_path)) == 1


@pytest.mark.letta
def test_tools_option_offers_exactly_the_listed_tools_none_or_the_preset(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    for name in ("app.py", "util.py", "README.md"):
        (tmp_path / name).write_text("")
    glob = Turn(tool_calls=[ToolCall("Glob", {"pattern": "*.py"})])
    scripted_model.add_rule(Rule(reply=glob, last_user="Which Python files", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="app.py and util.py."), last_tool="util.py", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="None."), last_user="What tools", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="Many."), last_user="What tools", times=1))

    out = succeeded(run_example("tools_option.py", tmp_path, str(tmp_path)))

    match = re.fullmatch(
        r"=== Tools Array Example ===\nSetting tools=\['Read', 'Glob'\]\n"
        r"Tools from system message: \['Glob', 'Read'\]\n"  # the CLI's order: built-ins by name
        r"Tool call: Glob \{'pattern': '\*\.py'\}\n"
        r"Claude: app\.py and util\.py\.\nResult: success after 2 turn\(s\)\n\n"
        r"=== Tools Empty Array Example ===\nSetting tools=\[\]\n"
        r"Tools from system message: \[\]\nClaude: None\.\nResult: success after 1 turn\(s\)\n\n"
        r"=== Tools Preset Example ===\nSetting tools=\{'type': 'preset', 'preset': 'claude_code'\}\n"
        r"Tools from system message \((\d+) tools\): \[.*'Bash'.*\]\.\.\.\n"
        r"Claude: Many\.\nResult: success after 1 turn\(s\)\n\n",
        out,
    )
    assert match is not None, out
    offered = [{t["function"]["name"] for t in r.tools} for r in scripted_model.completions]
    assert offered[0] == {"Read", "Glob"} and offered[2] == set()  # what the model saw, per session
    assert int(match.group(1)) == len(
        cli_tool_set(None, allowed=[], disallowed=[], interactive=False, env={})
    )
    assert {"Agent", "Read", "Write", "Edit", "Bash"} <= offered[3]  # the CLI's, those claude-compat runs
    assert not {"Glob", "Grep", "TodoWrite"} & offered[3]  # not in the CLI's default set


@pytest.mark.letta
def test_can_use_tool_allows_the_read_redirects_one_write_and_denies_the_other(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    project, shared = tmp_path / "project", tmp_path / "shared"
    project.mkdir()
    shared.mkdir()
    (shared / "notes.txt").write_text("alpha\nbeta\n")
    read = ToolCall("Read", {"file_path": str(shared / "notes.txt")})
    summary = ToolCall("Write", {"file_path": str(project / "summary.txt"), "content": "alpha, beta\n"})
    settings = ToolCall("Write", {"file_path": "/etc/notes.conf", "content": "x=1\n"})
    scripted_model.add_rule(Rule(reply=Turn(tool_calls=[read]), last_user="team notes", times=1))
    scripted_model.add_rule(Rule(reply=Turn(tool_calls=[summary]), last_tool="alpha", times=1))
    scripted_model.add_rule(Rule(reply=Turn(tool_calls=[settings]), last_tool="summary.txt", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="Summary saved."), last_tool="system directory", times=1))

    out = succeeded(run_example("can_use_tool.py", project, str(project)))

    assert out == (
        "Permission request: Read\n"
        "  allowing Read (read-only operation)\n"
        "Permission request: Write\n"
        "  redirecting write from summary.txt to safe_output/\n"
        "Permission request: Write\n"
        "  denying write to system directory: /etc/notes.conf\n"
        "Tool error: Cannot write to system directory: /etc/notes.conf\n"
        "Claude: Summary saved.\n"
        "Result: success, 1 denial(s)\n"
        "Permission requests: Read, Write, Write\n"
    )
    assert (project / "safe_output" / "summary.txt").read_text() == "alpha, beta\n"
    assert sorted(p.name for p in project.iterdir()) == ["safe_output"]  # not summary.txt itself
    assert not Path("/etc/notes.conf").exists()


@pytest.mark.letta
def test_hooks_block_the_dangerous_command_and_log_the_safe_one(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.o").write_text("")
    echo = "echo 'Hello from hooks example!' > hello.txt"
    scripted_model.add_rule(
        Rule(
            reply=Turn(tool_calls=[ToolCall("Bash", {"command": "rm -rf build"})]),
            last_user="rm -rf",
            times=1,
        )
    )
    scripted_model.add_rule(Rule(reply=Turn(text="The hook blocked that."), last_tool="dangerous", times=1))
    scripted_model.add_rule(
        Rule(reply=Turn(tool_calls=[ToolCall("Bash", {"command": echo})]), last_user="echo", times=1)
    )
    scripted_model.add_rule(Rule(reply=Turn(text="Done."), last_tool="no output", times=1))

    out = succeeded(run_example("hooks.py", tmp_path, str(tmp_path)))

    assert out == (
        "User: Run the bash command: rm -rf build\n"
        "[PreToolUse] blocked: rm -rf build\n"
        "Tool error: PreToolUse:Bash hook error: Command contains a dangerous pattern: rm -rf\n"
        "Claude: The hook blocked that.\n"
        "Result ended\n"
        f"\n{'=' * 50}\n\n"
        f"User: Run the bash command: {echo}\n"
        f"[PreToolUse] allowed: {echo}\n"
        "[PostToolUse] logged Bash\n"
        "Claude: Done.\n"
        "Result ended\n"
    )
    assert (tmp_path / "build" / "app.o").exists()
    assert (tmp_path / "hello.txt").read_text() == "Hello from hooks example!\n"
    assert (
        tmp_path / "tool_log.txt"
    ).read_text() == f"Bash: {{'command': {echo!r}}}\n"  # the denied call never ran


@pytest.mark.letta
def test_mcp_calculator_tools_run_in_the_examples_process(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    def call(name: str, **args: int) -> Turn:
        return Turn(tool_calls=[ToolCall(f"mcp__calc__{name}", dict(args))])

    scripted_model.add_rule(Rule(reply=call("add", a=15, b=27), last_user=r"15 \+ 27", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="It is 42."), last_tool="= 42", times=1))
    scripted_model.add_rule(Rule(reply=call("divide", a=100, b=0), last_user="divided by 0", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="Undefined."), last_tool="Division by zero", times=1))
    scripted_model.add_rule(Rule(reply=call("add", a=12, b=8), last_user=r"\(12 \+ 8\)", times=1))
    scripted_model.add_rule(Rule(reply=call("multiply", a=20, b=3), last_tool="= 20", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="It is 60."), last_tool="= 60", times=1))

    out = succeeded(run_example("mcp_calculator.py", tmp_path))

    rule = "=" * 50
    assert out == (
        f"\n{rule}\nPrompt: Calculate 15 + 27\n{rule}\n"
        "Using tool: mcp__calc__add\n  Input: {'a': 15, 'b': 27}\nTool result: 15 + 27 = 42\n"
        "Claude: It is 42.\nResult ended\n"
        f"\n{rule}\nPrompt: What is 100 divided by 0?\n{rule}\n"
        "Using tool: mcp__calc__divide\n  Input: {'a': 100, 'b': 0}\n"
        "Tool error: Error: Division by zero is not allowed\nClaude: Undefined.\nResult ended\n"
        f"\n{rule}\nPrompt: Calculate (12 + 8) * 3\n{rule}\n"
        "Using tool: mcp__calc__add\n  Input: {'a': 12, 'b': 8}\nTool result: 12 + 8 = 20\n"
        "Using tool: mcp__calc__multiply\n  Input: {'a': 20, 'b': 3}\nTool result: 20 * 3 = 60\n"
        "Claude: It is 60.\nResult ended\n"
    )
    offered = {t["function"]["name"] for t in scripted_model.completions[0].tools}
    calc = {f"mcp__calc__{n}" for n in ("add", "subtract", "multiply", "divide", "sqrt")}
    assert not calc & offered  # deferred behind ToolSearch, as the CLI defers MCP tools
    told = str([m for m in scripted_model.completions[0].messages if m.get("role") == "user"])
    assert all(f"\\n{name}\\n" in told for name in calc)  # and named in the reminder


@pytest.mark.letta
def test_partial_messages_print_the_text_in_pieces_then_the_whole(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    haiku = "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide keeps its time."
    scripted_model.add_rule(Rule(reply=Turn(reasoning="Five, seven, five.", text=haiku), last_user="haiku"))

    out = succeeded(run_example("partial_messages.py", tmp_path))

    match = re.fullmatch(
        rf"Prompt: Write a haiku about the sea\.\n\n{re.escape(haiku)}\n\n"
        rf"Complete message: {re.escape(repr(haiku))}\nResult: success\nText deltas: (\d+)\n"
        r"Stream events: content_block_delta, content_block_start, content_block_stop, "
        r"message_delta, message_start, message_stop\n",
        out,
    )
    assert match is not None, out
    assert int(match.group(1)) > 1  # the text streamed in pieces; the reasoning is not printed as text
    assert scripted_model.completions[0].stream


@pytest.mark.letta
def test_max_budget_the_tight_budget_stops_the_run_at_the_models_price(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "README.md").write_text("# Demo\nA tiny project.\n")
    read = Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "README.md")})])
    scripted_model.add_rule(reply(r"What is 2 \+ 2\?", "4"))
    scripted_model.add_rule(Rule(reply=read, last_user="README", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="A tiny demo project."), last_tool="tiny project", times=1))
    # the scripted model has no list price: set one ($10 / $20 per million tokens), as a user would;
    # one scripted call (10 tokens in, 5 out) then costs $0.0002
    price = {f"openai-proxy/{scripted_model.model_id}": {"input": 10, "output": 20}}
    env = {**os.environ, "CLAUDE_COMPAT_PRICES": json.dumps(price)}

    out = succeeded(run_example("max_budget.py", tmp_path, str(tmp_path), env=env))

    assert out == (
        "=== Without Budget Limit ===\nClaude: 4\nTotal cost: $0.0002\nStatus: success\n\n"
        "=== With Reasonable Budget ($0.10) ===\nClaude: 4\nTotal cost: $0.0002\nStatus: success\n\n"
        "=== With Tight Budget ($0.0001) ===\n"
        "Total cost: $0.0002\nStatus: error_max_budget_usd\nBudget limit exceeded!\n"
        "Note: The cost may exceed the budget by up to one API call's worth\n"
        "The run stopped: error_max_budget_usd\n\n"
    )
    assert len(scripted_model.completions) == 3  # the tight run's first call used its budget up


@pytest.mark.letta
def test_subagents_the_reviewer_runs_with_its_own_prompt_and_tools(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("def div(a, b):\n    return a / b\n")
    delegate = ToolCall(
        "Agent",
        {"description": "Review", "prompt": "Review app.py for bugs", "subagent_type": "code-reviewer"},
    )
    read = ToolCall("Read", {"file_path": str(tmp_path / "app.py")})
    scripted_model.add_rule(
        Rule(reply=Turn(tool_calls=[delegate]), last_user="Use the code-reviewer", times=1)
    )
    scripted_model.add_rule(Rule(reply=Turn(tool_calls=[read]), last_user="Review app.py for bugs", times=1))
    scripted_model.add_rule(
        Rule(reply=Turn(text="div() fails when b is 0."), last_tool="return a / b", times=1)
    )
    # as the CLI: the main agent answers the launch, then reads the report as a turn of its own
    scripted_model.add_rule(
        Rule(reply=Turn(text="The reviewer is on it."), last_tool="^Async agent launched", times=1)
    )
    scripted_model.push(Turn(text="One bug: b may be 0."))

    out = succeeded(run_example("subagents.py", tmp_path, str(tmp_path)))

    assert out == (
        "Agents: ['claude', 'code-reviewer', 'Explore', 'general-purpose', 'Plan', 'statusline-setup']\n"
        "Claude uses Agent: code-reviewer\n"
        f"code-reviewer uses Read: {{'file_path': {str(tmp_path / 'app.py')!r}}}\n"
        "code-reviewer: div() fails when b is 0.\n"  # a background subagent's text is shown
        "Subagent report: div() fails when b is 0.\n"
        "Claude: The reviewer is on it.\n"
        # as the CLI: the report starts a turn of its own; the first result waits for its result
        "Agents: ['claude', 'code-reviewer', 'Explore', 'general-purpose', 'Plan', 'statusline-setup']\n"
        "Claude: One bug: b may be 0.\n"
        "Result: success after 2 turn(s)\n"
        "Result: success after 1 turn(s)\n"
    )
    child = request_for(scripted_model, "Review app.py for bugs")
    assert "You are a code reviewer." in system_text(child)
    assert {t["function"]["name"] for t in child.tools} == {"Read", "Grep"}


@pytest.mark.letta
def test_v2_sessions_resume_by_id_continues_with_the_history(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply("My name is Ada", "Hello Ada!"))
    scripted_model.add_rule(reply("favourite colour is green", "Noted."))
    scripted_model.add_rule(reply("What are my name", "You are Ada and you like green."))

    out = succeeded(run_example("v2_sessions.py", tmp_path))

    match = re.fullmatch(
        r"Assistant: Hello Ada!\nResult: success \(1 turn\)\n"
        r"Assistant: Noted\.\nResult: success \(1 turn\)\n"
        r"Session: (\S+)\n"
        r"Assistant: You are Ada and you like green\.\nResult: success \(1 turn\)\n"
        r"Resumed the same session: True\n",
        out,
    )
    assert match is not None, out
    resumed = str(request_for(scripted_model, "What are my name").messages)
    assert "My name is Ada." in resumed and "My favourite colour is green." in resumed
    assert [s.session_id for s in sessions_in(tmp_path)] == [match.group(1)]


@pytest.mark.letta
def test_resume_second_process_continues_the_first_processs_session(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    plan = tmp_path / "PLAN.md"
    write = ToolCall("Write", {"file_path": str(plan), "content": "1. Tag\n2. Build\n3. Publish\n"})
    read = ToolCall("Read", {"file_path": str(plan)})
    edit = ToolCall("Edit", {"file_path": str(plan), "old_string": "1. Tag", "new_string": "1. Tag (done)"})
    scripted_model.add_rule(Rule(reply=Turn(tool_calls=[write]), last_user="release plan", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="Plan written."), last_tool="PLAN.md", times=1))
    scripted_model.add_rule(Rule(reply=Turn(tool_calls=[read]), last_user="Mark the first step", times=1))
    scripted_model.add_rule(Rule(reply=Turn(tool_calls=[edit]), last_tool="Publish", times=1))
    scripted_model.add_rule(Rule(reply=Turn(text="Step 1 is done."), last_tool="PLAN.md", times=1))

    first = succeeded(run_example("resume_second_process.py", tmp_path))
    match = re.fullmatch(r"Tool: Write\nClaude: Plan written\.\nSession: (\S+)\nResume it with: .*\n", first)
    assert match is not None, first
    session_id = match.group(1)
    second = succeeded(run_example("resume_second_process.py", tmp_path, session_id))

    assert second == f"Tool: Read\nTool: Edit\nClaude: Step 1 is done.\nResumed session: {session_id}\n"
    assert plan.read_text() == "1. Tag (done)\n2. Build\n3. Publish\n"
    assert "Plan written." in str(request_for(scripted_model, "Mark the first step").messages)
    assert [s.session_id for s in sessions_in(tmp_path)] == [session_id]


@pytest.mark.letta
def test_structured_output_is_validated_into_the_pydantic_model_and_saved(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    plan = {
        "feature_name": "Dark mode",
        "summary": "A theme switch stored per user.",
        "steps": [
            {"step_number": 1, "description": "Add CSS variables", "estimated_complexity": "low"},
            {"step_number": 2, "description": "Add a toggle", "estimated_complexity": "medium"},
        ],
        "risks": ["Contrast in charts"],
    }
    answer = Turn(tool_calls=[ToolCall("StructuredOutput", plan, id="so_plan")])
    scripted_model.add_rule(Rule(last_user="dark mode", reply=answer, times=1))

    out = succeeded(run_example("structured_output.py", tmp_path, str(tmp_path)))

    assert out == (
        "Feature: Dark mode\n"
        "Summary: A theme switch stored per user.\n"
        "Steps:\n"
        "  1. [low] Add CSS variables\n"
        "  2. [medium] Add a toggle\n"
        "Risks:\n"
        "  - Contrast in charts\n"
        "Saved to plan.json\n"
    )
    assert json.loads((tmp_path / "plan.json").read_text()) == plan
    offered = {t["function"]["name"]: t["function"] for t in request_for(scripted_model, "dark mode").tools}
    assert set(offered["StructuredOutput"]["parameters"]["properties"]) == set(plan)


@pytest.mark.letta
def test_letta_native_after_reuses_its_agent_whose_memory_every_session_sees(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.add_rule(reply("leave early", "Noted."))
    scripted_model.add_rule(reply("When do we ship", "Friday at 10:00."))
    turns = (
        "User: I have to leave early today.\nAssistant: Noted.\nResult: success\n"
        "User: When do we ship?\nAssistant: Friday at 10:00.\nResult: success\n"
        "Same agent: True\nSeparate conversations: True\n"
    )

    first = succeeded(run_example("letta_native_after.py", tmp_path, str(tmp_path)))
    agent_id = (tmp_path / ".letta-agent").read_text()
    second = succeeded(run_example("letta_native_after.py", tmp_path, str(tmp_path)))

    assert first == "Agent: created, id saved to .letta-agent\n" + turns
    assert second == "Agent: reused from .letta-agent\n" + turns
    assert agent_id.startswith("agent-") and (tmp_path / ".letta-agent").read_text() == agent_id
    ship = request_for(scripted_model, "When do we ship")
    assert "Project Falcon ships every Friday at 10:00." in system_text(ship)  # the memory block
    assert "The user is Ada, the release manager." in system_text(ship)
    assert "leave early" not in str(ship.messages)  # a new conversation: no other session's history
    assert {s.agent_id for s in sessions_in(tmp_path)} == {agent_id} and len(sessions_in(tmp_path)) == 4


# --- the examples, read -----------------------------------------------------------------------


def claude_form(source: str) -> str:
    """The Claude original of an example: the same file importing ``claude_agent_sdk``."""
    return source.replace("claude_compat", "claude_agent_sdk")


def sdk_imports(tree: ast.Module, package: str) -> list[ast.ImportFrom | ast.Import]:
    """The import statements of ``package`` (or its submodules) in a module."""
    found: list[ast.ImportFrom | ast.Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package:
            found.append(node)
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == package for a in node.names):
            found.append(node)
    return found


def import_line(node: ast.ImportFrom | ast.Import) -> str:
    """An import statement on one line, as README.md quotes it."""
    names = ", ".join(a.name if a.asname is None else f"{a.name} as {a.asname}" for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return f"from {node.module} import {names}"
    return f"import {names}"


def test_every_example_has_a_test_that_runs_it() -> None:
    assert EXAMPLE_FILES == sorted(RUN_TESTS)
    for test_name in RUN_TESTS.values():
        assert callable(globals().get(test_name)), test_name


@pytest.mark.parametrize("name", CLAUDE_FORM_FILES)
def test_example_differs_from_its_claude_original_only_in_imports(name: str) -> None:
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imports = sdk_imports(tree, "claude_compat")
    assert imports, f"{name} does not import claude_compat"
    import_lines = {n for node in imports for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
    elsewhere = [
        f"line {i}: {line.strip()}"
        for i, line in enumerate(source.splitlines(), start=1)
        if "claude_compat" in line and i not in import_lines
    ]
    assert not elsewhere, f"{name} names claude_compat outside its imports: {elsewhere}"
    assert "letta_" not in source, f"{name} uses a Letta extension; the Claude original could not"


@pytest.mark.parametrize("name", CLAUDE_FORM_FILES)
def test_the_claude_original_compiles_and_imports_only_names_the_claude_sdk_has(name: str) -> None:
    import importlib

    original = claude_form((EXAMPLES / name).read_text(encoding="utf-8"))
    compile(original, f"<claude original of {name}>", "exec")
    for node in sdk_imports(ast.parse(original), "claude_agent_sdk"):
        assert isinstance(node, ast.ImportFrom) and node.module is not None
        module: Any = importlib.import_module(node.module)
        missing = [
            a.name for a in node.names if not hasattr(module, a.name) and a.name not in TYPESCRIPT_ONLY
        ]
        assert not missing, f"{name}: {node.module} has no {missing}"


@pytest.mark.parametrize("name", CLAUDE_FORM_FILES)
def test_the_readme_quotes_the_claude_import_each_example_replaced(name: str) -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    original = ast.parse(claude_form((EXAMPLES / name).read_text(encoding="utf-8")))
    expected = [import_line(node) for node in sdk_imports(original, "claude_agent_sdk")]

    section = re.search(rf"^### `{re.escape(name)}`\n(.*?)(?=^### |\Z)", readme, re.M | re.S)
    assert section is not None, f"migration_examples/README.md has no section '### `{name}`'"
    quoted = re.findall(r"^Claude original: `([^`]+)`", section.group(1), re.M)
    assert quoted == expected, f"README.md's 'Claude original' line for {name} should be {expected}"


@pytest.mark.parametrize("name", sorted(LETTA_NATIVE))
def test_the_readme_marks_each_letta_native_example_as_exempt_from_the_import_check(name: str) -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    section = re.search(rf"^### `{re.escape(name)}`\n(.*?)(?=^### |\Z)", readme, re.M | re.S)
    assert section is not None, f"migration_examples/README.md has no section '### `{name}`'"
    assert "Letta-native" in section.group(1) and "Claude original:" not in section.group(1)
    assert "letta_backend.native" in (EXAMPLES / name).read_text(encoding="utf-8")
