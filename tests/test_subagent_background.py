"""Background subagents and SendMessage through the real local Letta server, in the pinned CLI's shapes.

The shapes were recorded from the real CLI against the scripted Anthropic API: a subagent not
marked otherwise is launched in the background (an ``async_launched`` result, then its messages,
``task_updated``, ``task_notification``; the report reaches the model with its next tool result, or
as the prompt of a turn of its own when the model ended its turn first); SendMessage
continues a finished subagent's conversation the same way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    SystemMessage,
    TaskNotificationMessage,
    TaskProgressMessage,
    TaskStartedMessage,
    TaskUpdatedMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
    unstable_v2_createSession,
)
from claude_compat._internal import cli_facts, subagents
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn
from claude_compat.testing._script import RecordedRequest, last_tool_text

GREETER = {"greeter": AgentDefinition(description="Greets.", prompt="You greet.")}


def _kind(message: Any) -> str:
    if isinstance(
        message, (TaskStartedMessage, TaskProgressMessage, TaskUpdatedMessage, TaskNotificationMessage)
    ):
        return type(message).__name__
    if isinstance(message, SystemMessage):
        return f"Sys:{message.subtype}"
    if isinstance(message, AssistantMessage):
        who = "child" if message.parent_tool_use_id else "main"
        return f"A[{type(message.content[0]).__name__}]:{who}"
    if isinstance(message, UserMessage):
        return f"U[{type(message.content[0]).__name__}]"
    if isinstance(message, ResultMessage):
        return f"Result:{message.subtype}"
    return type(message).__name__


def _result_of(messages: list[Any], call_id: str) -> UserMessage:
    return next(
        m
        for m in messages
        if isinstance(m, UserMessage)
        and isinstance(m.content[0], ToolResultBlock)
        and m.content[0].tool_use_id == call_id
    )


def _text(message: UserMessage) -> str:
    block = message.content[0]
    assert isinstance(block, ToolResultBlock) and isinstance(block.content, list)
    return str(block.content[0]["text"])


@pytest.mark.parametrize(
    ("background", "run_in_background", "env", "expected"),
    [
        (None, None, {}, True),  # the CLI's default
        (False, None, {}, False),
        (None, False, {}, False),
        (False, False, {}, False),
        (True, False, {}, True),  # either side's true wins
        (False, True, {}, True),
        (None, None, {cli_facts.DISABLE_BACKGROUND_TASKS_ENV: "1"}, False),
        (True, True, {cli_facts.DISABLE_BACKGROUND_TASKS_ENV: "true"}, False),
    ],
)
def test_a_subagent_runs_in_the_background_when_the_cli_would(
    background: bool | None, run_in_background: bool | None, env: dict[str, str], expected: bool
) -> None:
    definition = AgentDefinition(description="d", prompt="p", background=background)
    call = {} if run_in_background is None else {"run_in_background": run_in_background}

    assert subagents.runs_in_background(definition, call, env) is expected


def test_the_agent_tool_takes_the_clis_inputs() -> None:
    spec = subagents.agent_tool_spec(GREETER)

    assert list(spec["parameters"]["properties"]) == [
        "description", "prompt", "subagent_type", "model", "effort", "run_in_background", "isolation",
    ]  # fmt: skip
    assert spec["parameters"]["properties"]["effort"]["enum"] == ["low", "medium", "high", "xhigh", "max"]
    assert spec["parameters"]["additionalProperties"] is False
    send = subagents.send_message_tool_spec()
    assert send["name"] == "SendMessage"
    assert list(send["parameters"]["properties"]) == ["to", "summary", "message", "notify_when_idle"]
    assert send["parameters"]["required"] == ["to", "message"]


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_subagent_is_launched_in_the_background_and_reports_with_a_task_notification(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    launch = ToolCall(
        "Agent", {"description": "Greet", "prompt": "say hi", "subagent_type": "greeter"}, id="call_a"
    )
    (tmp_path / "name.txt").write_text("Ada\n")
    look = ToolCall("Read", {"file_path": str(tmp_path / "name.txt")}, id="call_r")
    scripted_model.push(Turn(tool_calls=[launch]), Turn(text="DONE"))  # DONE: the notification's turn
    scripted_model.add_rule(Rule(last_user="say hi", reply=Turn(tool_calls=[look]), times=1))
    scripted_model.add_rule(Rule(last_tool="Ada", reply=Turn(text="Hi there!"), times=1))
    scripted_model.add_rule(Rule(last_tool="^Async agent launched", reply=Turn(text="On it."), times=1))

    messages = [
        m
        async for m in query(
            prompt="greet",
            options=ClaudeAgentOptions(cwd=tmp_path, agents=GREETER, allowed_tools=["Agent", "Read"]),
        )
    ]

    assert [_kind(m) for m in messages] == [
        "Sys:init", "A[ToolUseBlock]:main", "Sys:background_tasks_changed", "TaskStartedMessage",
        "U[ToolResultBlock]", "A[ToolUseBlock]:child", "TaskProgressMessage", "U[ToolResultBlock]",
        "A[TextBlock]:child", "TaskUpdatedMessage", "TaskNotificationMessage",
        "Sys:background_tasks_changed", "A[TextBlock]:main",
        # as the CLI: the model ended its turn before the task, so the notification starts a turn
        # of its own, and the first turn's result waits for that turn's
        "Sys:init", "A[TextBlock]:main", "Result:success", "Result:success",
    ]  # fmt: skip
    listed, started = messages[2], messages[3]
    assert isinstance(started, TaskStartedMessage) and started.data["is_backgrounded"] is True
    agent_id = started.task_id
    assert listed.data["tasks"] == [
        {
            "task_id": agent_id,
            "run_id": started.data["run_id"],
            "task_type": "local_agent",
            "subagent_type": "greeter",
            "description": "Greet",
        }
    ]
    launched = _result_of(messages, "call_a")
    output_file = launched.tool_use_result["outputFile"]  # type: ignore[index]
    assert _text(launched) == cli_facts.ASYNC_LAUNCHED.format(agent_id=agent_id, output_file=output_file)
    assert _text(launched).startswith("Async agent launched successfully.")
    assert list(launched.tool_use_result) == [  # type: ignore[arg-type]
        "isAsync", "status", "agentId", "description", "resolvedModel", "prompt", "outputFile",
        "canReadOutputFile", "canContinueAgent",
    ]  # fmt: skip
    assert launched.tool_use_result["status"] == "async_launched"  # type: ignore[index]
    assert launched.tool_use_result["canContinueAgent"] is True  # type: ignore[index]
    progress = messages[6]
    assert isinstance(progress, TaskProgressMessage)  # after the call it reports, in the background
    assert (progress.description, progress.last_tool_name, progress.tool_use_id) == (
        "Reading name.txt", "Read", "call_a"
    )  # fmt: skip
    child = messages[8]
    assert isinstance(child, AssistantMessage) and child.parent_tool_use_id == "call_a"
    assert child.content == [TextBlock(text="Hi there!")]  # shown without forward_subagent_text
    note = messages[10]
    assert isinstance(note, TaskNotificationMessage)
    assert (note.summary, note.tool_use_id, note.output_file) == ("Hi there!", "call_a", output_file)
    assert note.data["summary_is_report"] is True
    assert messages[11].data["tasks"] == []
    first, last = messages[-2], messages[-1]
    assert isinstance(first, ResultMessage) and isinstance(last, ResultMessage)
    assert (first.result, first.num_turns, first.origin) == ("On it.", 2, None)
    assert (last.result, last.num_turns) == ("DONE", 1)
    assert last.origin == {**cli_facts.NOTIFICATION_TURN_ORIGIN, "runId": started.data["run_id"]}
    # the main agent's model reads the launch alone, then the notification as the next prompt
    after_launch = [r for r in scripted_model.completions if "call_a" in str(r.messages)]
    assert len(after_launch) == 2 and "<task-notification>" not in str(after_launch[0].messages)
    reported = str(after_launch[1].messages[-1]["content"])
    assert f"<task-id>{agent_id}</task-id>\n<tool-use-id>call_a</tool-use-id>" in reported
    assert '<summary>Agent "Greet" finished</summary>' in reported
    assert "<result>Hi there!</result>" in reported
    # the tools it used come first, as the CLI notes them
    assert reported.startswith(
        "<system-reminder>\n<tools-used-before-summary>Read</tools-used-before-summary>\n"
    )


def _continue_the_greeter(request: RecordedRequest) -> Turn:
    """The main agent: after the hand-back, SendMessage to the agentId it names."""
    told = last_tool_text(request.messages) or ""
    found = re.search(r"agentId: (a[0-9a-f]{16})", told)
    if found and "Subagent hand-back" in told:
        ask = {"to": found.group(1), "summary": "ask for a goodbye", "message": "say bye"}
        return Turn(tool_calls=[ToolCall("SendMessage", ask, id="call_sm")])
    if "<result>Bye now!</result>" in json.dumps(request.messages[-1]):  # the notification's turn
        return Turn(text="DONE")
    return Turn(text="unexpected request")


@pytest.mark.anyio
@pytest.mark.letta
async def test_send_message_continues_a_finished_subagents_conversation(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    call = {
        "description": "Greet",
        "prompt": "say hi",
        "subagent_type": "greeter",
        "run_in_background": False,
    }
    scripted_model.push(Turn(tool_calls=[ToolCall("Agent", call, id="call_a")]))
    scripted_model.add_rule(Rule(last_user="say hi", reply=Turn(text="Hi there!"), times=1))
    scripted_model.add_rule(
        Rule(last_user="coordinator sent a message", reply=Turn(text="Bye now!"), times=1)
    )
    scripted_model.add_rule(Rule(last_tool="Resuming agent", reply=Turn(text="Asked it."), times=1))
    scripted_model.default = _continue_the_greeter
    options = ClaudeAgentOptions(cwd=tmp_path, agents=GREETER, allowed_tools=["Agent", "SendMessage"])

    messages = [m async for m in query(prompt="greet twice", options=options)]

    kinds = [_kind(m) for m in messages]
    sent = kinds.index("A[ToolUseBlock]:main", 2)
    assert kinds[sent:] == [
        "A[ToolUseBlock]:main", "Sys:background_tasks_changed", "TaskStartedMessage", "U[ToolResultBlock]",
        "A[TextBlock]:child", "TaskUpdatedMessage", "TaskNotificationMessage", "Sys:background_tasks_changed",
        "A[TextBlock]:main", "Sys:init", "A[TextBlock]:main", "Result:success", "Result:success",
    ]  # fmt: skip
    first = next(m for m in messages if isinstance(m, TaskStartedMessage))
    agent_id = first.task_id
    asked = messages[sent]
    assert isinstance(asked, AssistantMessage) and isinstance(asked.content[0], ToolUseBlock)
    assert asked.content[0].input == {  # the fields the CLI derives are shown too
        "to": agent_id, "summary": "ask for a goodbye", "message": "say bye", "type": "message",
        "recipient": agent_id, "recipient_kind": "agent", "content": "say bye",
    }  # fmt: skip
    handed = _result_of(messages, "call_a")
    assert handed.tool_use_result["canContinueAgent"] is True  # type: ignore[index]
    assert f"agentId: {agent_id} (use SendMessage with to: '{agent_id}'" in _text(handed)
    resumed = messages[sent + 2]
    assert isinstance(resumed, TaskStartedMessage)
    assert (resumed.task_id, resumed.tool_use_id, resumed.data["prompt"]) == (agent_id, "call_sm", "say bye")
    assert resumed.data["is_backgrounded"] is True
    answer = _result_of(messages, "call_sm")
    pin = answer.tool_use_result["pin"]  # type: ignore[index]
    assert re.fullmatch(r"[0-9a-f]{6}", pin["ref"]) and (pin["id"], pin["name"]) == (agent_id, agent_id)
    assert json.loads(_text(answer)) == {
        "success": True,
        "message": f"Resuming agent {agent_id[:7]}",
        "resumedAgentId": agent_id,
        "pin": pin,
    }
    assert ":" in _text(answer) and ", " not in _text(answer)  # compact, as the CLI writes it
    assert list(answer.tool_use_result) == [  # type: ignore[arg-type]
        "success", "message", "resumedAgentId", "revivedAgentId", "pin",
    ]  # fmt: skip
    child = messages[sent + 4]
    assert isinstance(child, AssistantMessage) and child.parent_tool_use_id == "call_a"  # the Agent call's
    note = messages[sent + 6]
    assert isinstance(note, TaskNotificationMessage)
    assert (note.task_id, note.tool_use_id, note.summary) == (agent_id, "call_sm", "Bye now!")
    assert messages[-1].result == "DONE"
    # the subagent went on in its own conversation: its model saw the first exchange and the message
    again = next(
        r for r in scripted_model.completions if "coordinator sent a message" in json.dumps(r.messages)
    )
    history = json.dumps(again.messages)
    assert "say hi" in history and "Hi there!" in history
    assert json.dumps(cli_facts.SEND_MESSAGE_PROMPT.format(message="say bye"))[1:-1] in history


@pytest.mark.anyio
@pytest.mark.letta
async def test_send_message_to_no_subagent_says_so_without_an_error_result(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    ask = {"to": "nobody", "summary": "x", "message": "hi"}
    never = {"to": "a0123456789abcdef", "summary": "x", "message": "hi"}
    scripted_model.push(Turn(tool_calls=[ToolCall("SendMessage", ask, id="call_sm")]))
    scripted_model.add_rule(
        Rule(
            last_tool="reachable",
            reply=Turn(tool_calls=[ToolCall("SendMessage", never, id="call_id")]),
            times=1,
        )
    )
    scripted_model.add_rule(Rule(last_tool="No transcript found", reply=Turn(text="DONE"), times=1))
    options = ClaudeAgentOptions(cwd=tmp_path, agents=GREETER, allowed_tools=["SendMessage"])

    messages = [m async for m in query(prompt="message nobody", options=options)]

    answer = _result_of(messages, "call_sm")
    block = answer.content[0]
    assert isinstance(block, ToolResultBlock) and block.is_error is None
    assert _text(answer) == (
        '{"success":false,"message":"No agent named \'nobody\' is reachable.\\nUse ListAgents to see '
        'everyone you can message."}'
    )
    assert answer.tool_use_result == {
        "success": False,
        "message": "No agent named 'nobody' is reachable.\nUse ListAgents to see everyone you can message.",
        "display": "Not sent \u2014 no agent named 'nobody' is reachable.",
    }
    asked = next(m for m in messages if isinstance(m, AssistantMessage))
    assert isinstance(asked.content[0], ToolUseBlock) and asked.content[0].input["recipient_kind"] == "name"
    # an agentId the session never ran: the CLI's other answer
    by_id = _result_of(messages, "call_id")
    assert by_id.tool_use_result == {
        "success": False,
        "message": cli_facts.SEND_MESSAGE_NO_TRANSCRIPT.format(to="a0123456789abcdef"),
    }
    assert _text(by_id).startswith(
        '{"success":false,"message":"Agent \\"a0123456789abcdef\\" could not be resumed'
    )
    assert messages[-1].result == "DONE"


@pytest.mark.parametrize(
    ("name", "tool_input", "said"),
    [
        # paths as the CLI shows them: relative inside the working directory (/w), else whole
        ("Read", {"file_path": "/w/src/a.txt"}, "Reading src/a.txt"),
        ("Read", {"file_path": "src/claude_agent_sdk/types.py"}, "Reading src/claude_agent_sdk/types.py"),
        ("Read", {"file_path": "/etc/hosts"}, "Reading /etc/hosts"),
        ("Write", {"file_path": "/w/b.txt", "content": "x"}, "Writing b.txt"),
        ("Edit", {"file_path": "/w/a.txt", "old_string": "a", "new_string": "b"}, "Editing a.txt"),
        ("Grep", {"pattern": "hello"}, "Searching for hello"),
        ("Glob", {"pattern": "*.txt"}, "Finding *.txt"),
        ("Bash", {"command": "echo hi", "description": "Say hi"}, "Running Say hi"),
        ("Bash", {"command": "echo ho"}, "Running echo ho"),
        ("WebFetch", {"url": "http://127.0.0.1:1/", "prompt": "x"}, "Fetching http://127.0.0.1:1/"),
        ("ToolSearch", {"query": "select:SendMessage"}, None),  # the task's own description then
    ],
)
def test_task_progress_says_what_the_subagent_is_doing_in_the_clis_words(
    name: str, tool_input: dict[str, Any], said: str | None
) -> None:
    assert subagents.activity(ToolUseBlock(id="t", name=name, input=tool_input), "/w") == said


@pytest.mark.parametrize(
    ("parent_runs", "alias", "model"),
    [  # measured with the real CLI: the Claude model each subagent's request named
        ("claude-sonnet-4-5", "sonnet", "claude-parent"),  # ran claude-sonnet-4-5, the parent's
        ("claude-haiku-4-5", "haiku", "claude-parent"),
        ("claude-sonnet-4-5-lane2", "sonnet", "claude-parent"),
        ("claude-opus-4-5", "sonnet", "sonnet"),  # ran the CLI's own sonnet
        ("claude-sonnet-4-5", "haiku", "haiku"),
        (None, "opus", "opus"),
    ],
)
def test_a_subagent_alias_naming_the_parents_family_runs_the_parents_model(
    parent_runs: str | None, alias: str, model: str
) -> None:
    parent = ClaudeAgentOptions(model="claude-parent")
    defined = AgentDefinition(description="d", prompt="p", model=alias)
    called = AgentDefinition(description="d", prompt="p")

    assert subagents.child_options(parent, defined, None, parent_model=parent_runs).model == model
    assert subagents.child_options(parent, called, alias, parent_model=parent_runs).model == model


def test_a_subagent_runs_at_the_calls_effort_else_its_definitions_else_the_parents() -> None:
    parent = ClaudeAgentOptions(effort="low")
    plain = AgentDefinition(description="d", prompt="p")
    keen = AgentDefinition(description="d", prompt="p", effort="high")

    assert subagents.child_options(parent, plain, None).effort == "low"
    assert subagents.child_options(parent, keen, None).effort == "high"
    assert subagents.child_options(parent, keen, None, "max").effort == "max"


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_subagent_from_an_earlier_turn_of_a_client_can_be_continued(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    call = {
        "description": "Greet",
        "prompt": "say hi",
        "subagent_type": "greeter",
        "run_in_background": False,
    }
    scripted_model.push(Turn(tool_calls=[ToolCall("Agent", call, id="call_a")]))
    scripted_model.add_rule(Rule(last_user="say hi", reply=Turn(text="Hi there!"), times=1))
    scripted_model.add_rule(Rule(last_tool="Subagent hand-back", reply=Turn(text="It said hi."), times=1))
    options = ClaudeAgentOptions(cwd=tmp_path, agents=GREETER, allowed_tools=["Agent", "SendMessage"])

    async with ClaudeSDKClient(options) as client:
        await client.query("greet")
        first = [m async for m in client.receive_response()]
        agent_id = next(m for m in first if isinstance(m, TaskStartedMessage)).task_id
        ask = {"to": agent_id, "summary": "ask for a goodbye", "message": "say bye"}
        # the reply after SendMessage's result, then the one to the notification's own turn
        scripted_model.push(Turn(tool_calls=[ToolCall("SendMessage", ask, id="call_sm")]), "It said bye.")
        scripted_model.add_rule(
            Rule(last_user="coordinator sent a message", reply=Turn(text="Bye!"), times=1)
        )
        scripted_model.add_rule(Rule(last_tool="Resuming agent", reply=Turn(text="Asked it."), times=1))
        await client.query("now ask it to say bye")
        second = [m async for m in client.receive_response()]
        third = [m async for m in client.receive_response()]  # as the CLI: the notification's turn

    assert first[-1].result == "It said hi."
    note = next(m for m in second if isinstance(m, TaskNotificationMessage))
    assert (note.task_id, note.summary) == (agent_id, "Bye!")
    assert second[-1].result == "Asked it."
    assert [_kind(m) for m in third] == ["Sys:init", "A[TextBlock]:main", "Result:success"]
    assert third[-1].result == "It said bye." and third[-1].origin["kind"] == "task-notification"


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_v2_session_runs_a_background_subagents_notification_turn_before_the_next_message(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    launch = ToolCall("Agent", {"description": "Greet", "prompt": "say hi", "subagent_type": "greeter"})
    scripted_model.push(Turn(tool_calls=[launch]), "It said hi.", "Bye.")
    scripted_model.add_rule(Rule(last_user="say hi", reply=Turn(text="Hi there!"), times=1))
    scripted_model.add_rule(Rule(last_tool="^Async agent launched", reply=Turn(text="On it."), times=1))
    options = ClaudeAgentOptions(cwd=tmp_path, agents=GREETER, allowed_tools=["Agent"])

    async with unstable_v2_createSession(options) as session:
        await session.send("greet")
        first = [m async for m in session.stream()]
        await session.send("bye")
        second = [m async for m in session.stream()]

    assert first[-1].result == "On it." and any(isinstance(m, TaskNotificationMessage) for m in first)
    results = [m for m in second if isinstance(m, ResultMessage)]
    assert [(r.result, (r.origin or {}).get("kind")) for r in results] == [
        ("It said hi.", "task-notification"),  # the notification's turn, then the message's
        ("Bye.", None),
    ]
    assert "<result>Hi there!</result>" in str(scripted_model.completions[-2].messages[-1])
