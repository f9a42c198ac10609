"""The hook runner: which callbacks run (matchers), what they receive, how answers merge, and that a
slow or broken hook is reported instead of hanging or crashing the turn."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from claude_compat import HookMatcher, PermissionUpdate
from claude_compat._internal.hooks import HookOutcome, HookRunner
from claude_compat.errors import InvalidOptionError

pytestmark = pytest.mark.anyio


def runner(hooks: dict[str, list[HookMatcher]], mode: str = "default") -> HookRunner:
    return HookRunner(hooks, session_id="sess-1", cwd="/work/project", permission_mode=lambda: mode)


def answering(output: Any, seen: list[dict[str, Any]] | None = None) -> Any:
    """A hook callback that records its input and returns ``output``."""

    async def callback(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        if seen is not None:
            seen.append({"input": hook_input, "tool_use_id": tool_use_id, "context": context})
        return output

    return callback


async def pre_tool_use(
    hooks: HookRunner, tool: str = "Bash", tool_input: dict[str, Any] | None = None
) -> HookOutcome:
    return await hooks.run(
        "PreToolUse",
        {"tool_name": tool, "tool_input": tool_input or {"command": "ls"}, "tool_use_id": "toolu_1"},
        tool_name=tool,
        tool_use_id="toolu_1",
    )


# --- which callbacks run ---------------------------------------------------------------------

MATCHER_ROWS = [
    # (matcher, tool name, runs?)
    (None, "Bash", True),
    ("", "mcp__calc__add", True),
    ("*", "Write", True),
    ("Bash", "Bash", True),
    ("Bash", "BashOutput", False),  # a plain name matches exactly
    ("Write|Edit", "Edit", True),
    ("Write|Edit", "Read", False),
    ("Notebook.*", "NotebookEdit", True),
    ("mcp__calc__.*", "mcp__calc__add", True),
    ("mcp__calc__.*", "mcp__other__add", False),
    ("^Read$", "Read", True),
    ("^Read$", "ReadMcpResourceTool", False),
    ("mcp__.*", "Bash", False),
]


@pytest.mark.parametrize(("matcher", "tool", "runs"), MATCHER_ROWS)
async def test_a_matcher_selects_tools_by_name_or_regex(matcher: str | None, tool: str, runs: bool) -> None:
    seen: list[dict[str, Any]] = []
    hooks = runner({"PreToolUse": [HookMatcher(matcher=matcher, hooks=[answering({}, seen)])]})
    outcome = await pre_tool_use(hooks, tool)
    assert bool(seen) is runs
    assert outcome.ran == (1 if runs else 0)


def test_an_invalid_matcher_regex_is_refused_with_a_fix() -> None:
    with pytest.raises(InvalidOptionError, match="not a valid regular expression"):
        runner({"PreToolUse": [HookMatcher(matcher="Bash(", hooks=[answering({})])]})


def test_a_bare_callback_instead_of_a_hook_matcher_is_refused() -> None:
    with pytest.raises(InvalidOptionError, match="HookMatcher"):
        not_a_matcher: Any = answering({})
        HookRunner(
            {"PreToolUse": [not_a_matcher]}, session_id="s", cwd="/", permission_mode=lambda: "default"
        )


async def test_hooks_of_other_events_do_not_run() -> None:
    seen: list[dict[str, Any]] = []
    hooks = runner({"PostToolUse": [HookMatcher(hooks=[answering({}, seen)])]})
    outcome = await pre_tool_use(hooks)
    assert seen == [] and outcome == HookOutcome()


async def test_notification_matchers_compare_the_notification_type() -> None:
    seen: list[dict[str, Any]] = []
    hooks = runner({"Notification": [HookMatcher(matcher="permission_prompt", hooks=[answering({}, seen)])]})
    await hooks.run("Notification", {"message": "m", "notification_type": "idle_prompt"})
    await hooks.run("Notification", {"message": "m", "notification_type": "permission_prompt"})
    assert [s["input"]["notification_type"] for s in seen] == ["permission_prompt"]


async def test_session_start_and_session_end_callbacks_are_never_called_as_with_the_cli() -> None:
    seen: list[dict[str, Any]] = []
    hooks = runner(
        {
            "SessionStart": [HookMatcher(hooks=[answering({"systemMessage": "hi"}, seen)])],
            "SessionEnd": [HookMatcher(hooks=[answering({}, seen)])],
        }
    )
    started = await hooks.run("SessionStart", {"hook_event_name": "SessionStart", "source": "startup"})
    ended = await hooks.run("SessionEnd", {"hook_event_name": "SessionEnd", "reason": "other"})
    assert seen == [] and started == HookOutcome() and ended == HookOutcome()


# --- what a callback receives --------------------------------------------------------------


async def test_a_callback_gets_the_claude_hook_input_its_tool_use_id_and_a_signal_free_context() -> None:
    seen: list[dict[str, Any]] = []
    hooks = runner({"PreToolUse": [HookMatcher(hooks=[answering({}, seen)])]}, mode="acceptEdits")
    hooks.prompt_id = "prompt-7"
    await pre_tool_use(hooks, "Bash", {"command": "ls"})
    (call,) = seen
    assert call["input"] == {
        "session_id": "sess-1",
        "transcript_path": "",
        "cwd": "/work/project",
        "permission_mode": "acceptEdits",
        "prompt_id": "prompt-7",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "ls"},
        "tool_use_id": "toolu_1",
    }
    assert call["tool_use_id"] == "toolu_1"
    assert call["context"] == {"signal": None}


async def test_a_callback_changing_its_input_does_not_change_the_callers() -> None:
    async def meddler(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        hook_input["tool_input"]["command"] = "rm -rf /"
        return {}

    tool_input = {"command": "ls"}
    await pre_tool_use(runner({"PreToolUse": [HookMatcher(hooks=[meddler])]}), "Bash", tool_input)
    assert tool_input == {"command": "ls"}


async def test_callbacks_of_one_event_run_concurrently() -> None:
    first, second = anyio.Event(), anyio.Event()

    def waiting(mine: anyio.Event, other: anyio.Event, text: str) -> Any:
        async def callback(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
            mine.set()
            await other.wait()  # would never return if the hooks ran one after the other
            return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "additionalContext": text}}

        return callback

    hooks = runner(
        {
            "PreToolUse": [
                HookMatcher(hooks=[waiting(first, second, "one")], timeout=10),
                HookMatcher(hooks=[waiting(second, first, "two")], timeout=10),
            ]
        }
    )
    outcome = await pre_tool_use(hooks)
    assert outcome.errors == []
    assert outcome.additional_context == ["one", "two"]  # merged in registration order


# --- failures are reported, not raised --------------------------------------------------------


async def test_a_hook_sleeping_past_its_timeout_is_reported_and_the_others_still_count() -> None:
    async def sleeper(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        await anyio.sleep(30)
        return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"}}

    deny = {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny"}}
    hooks = runner(
        {
            "PreToolUse": [
                HookMatcher(hooks=[sleeper], timeout=0.05),
                HookMatcher(hooks=[answering(deny)]),
            ]
        }
    )
    outcome = await pre_tool_use(hooks)
    assert outcome.errors == ["PreToolUse:Bash hook error: hook callback timed out after 0.05s"]
    assert outcome.permission_decision == "deny"
    responses = [e for e in outcome.events if e["subtype"] == "hook_response"]
    assert [e["outcome"] for e in responses] == ["error", "success"]


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        ("raise", "hook callback raised ValueError: broken hook"),
        ("string", "hook callback returned str, expected a dict (HookJSONOutput)"),
    ],
)
async def test_a_broken_hook_is_a_non_blocking_error(behaviour: str, error: str) -> None:
    async def broken(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        if behaviour == "raise":
            raise ValueError("broken hook")
        return "allow"

    outcome = await pre_tool_use(runner({"PreToolUse": [HookMatcher(hooks=[broken])]}))
    assert outcome.errors == [f"PreToolUse:Bash hook error: {error}"]
    assert outcome.permission_decision is None and not outcome.block


async def test_a_failing_hook_with_on_failure_block_blocks_the_tool() -> None:
    async def broken(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        raise RuntimeError("policy server down")

    hooks = runner({"PreToolUse": [HookMatcher(hooks=[broken], on_failure="block")]})
    outcome = await pre_tool_use(hooks)
    assert outcome.block and outcome.permission_decision == "deny"
    assert outcome.reason == "hook callback raised RuntimeError: policy server down"


async def test_a_hook_returning_none_is_no_opinion_unless_it_must_not_fail() -> None:
    lenient = await pre_tool_use(runner({"PreToolUse": [HookMatcher(hooks=[answering(None)])]}))
    strict = await pre_tool_use(
        runner({"PreToolUse": [HookMatcher(hooks=[answering(None)], on_failure="block")]})
    )
    assert lenient.errors == [] and lenient.permission_decision is None
    assert strict.permission_decision == "deny"


# --- how answers merge -----------------------------------------------------------------------


def decision(choice: str, reason: str | None = None, **more: Any) -> dict[str, Any]:
    specific: dict[str, Any] = {"hookEventName": "PreToolUse", "permissionDecision": choice, **more}
    if reason is not None:
        specific["permissionDecisionReason"] = reason
    return {"hookSpecificOutput": specific}


@pytest.mark.parametrize(
    ("answers", "winner", "reason"),
    [
        ([decision("allow", "fine"), decision("deny", "no")], "deny", "no"),
        ([decision("deny", "no"), decision("allow", "fine")], "deny", "no"),
        ([decision("allow"), decision("ask", "check")], "ask", "check"),
        ([decision("ask"), decision("defer", "later")], "defer", "later"),
        ([decision("allow", "fine"), {}], "allow", "fine"),
        ([{}, {}], None, None),
        ([{"decision": "block", "reason": "legacy block"}], "deny", "legacy block"),
    ],
    ids=[
        "deny wins over allow",
        "deny wins whatever the order",
        "ask wins over allow",
        "defer wins over ask",
        "an empty answer has no opinion",
        "no answers, no decision",
        "the old decision=block denies a PreToolUse",
    ],
)
async def test_permission_decisions_merge_with_deny_first(
    answers: list[dict[str, Any]], winner: str | None, reason: str | None
) -> None:
    hooks = runner({"PreToolUse": [HookMatcher(hooks=[answering(a) for a in answers])]})
    outcome = await pre_tool_use(hooks)
    assert (outcome.permission_decision, outcome.reason) == (winner, reason)


async def test_updated_input_context_system_messages_and_stop_are_collected() -> None:
    answers = [
        {
            "systemMessage": "checked by policy",
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "allow",
                "updatedInput": {"command": "ls -la"},
                "additionalContext": "the repo is read-only today",
            },
        },
        {"continue_": False, "stopReason": "budget reached", "suppressOutput": True},
        {"continue": False, "stopReason": "second reason"},  # the wire spelling works too
        {"async_": True, "asyncTimeout": 1000},  # a deferred hook gives no decision
    ]
    outcome = await pre_tool_use(runner({"PreToolUse": [HookMatcher(hooks=[answering(a) for a in answers])]}))
    assert outcome.updated_input == {"command": "ls -la"}
    assert outcome.additional_context == ["the repo is read-only today"]
    assert outcome.system_messages == ["checked by policy"]
    assert outcome.stop and outcome.stop_reason == "budget reached"
    assert outcome.suppress_output


async def test_a_stop_hook_blocking_gives_its_reason_for_the_model_to_go_on() -> None:
    hooks = runner(
        {
            "Stop": [
                HookMatcher(
                    matcher="ignored", hooks=[answering({"decision": "block", "reason": "run the tests"})]
                )
            ]
        }
    )
    outcome = await hooks.run("Stop", {"stop_hook_active": False})
    assert outcome.block and outcome.block_reason == "run the tests"
    assert outcome.permission_decision is None  # only PreToolUse turns block into a denial


async def test_a_permission_request_answer_carries_input_permissions_and_interrupt() -> None:
    allow = {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": {
                "behavior": "allow",
                "updatedInput": {"command": "ls"},
                "updatedPermissions": [
                    {"type": "setMode", "mode": "acceptEdits", "destination": "session"},
                    PermissionUpdate(type="addDirectories", directories=["/data"]),
                ],
            },
        }
    }
    hooks = runner({"PermissionRequest": [HookMatcher(hooks=[answering(allow)])]})
    outcome = await hooks.run("PermissionRequest", {"tool_name": "Bash", "tool_input": {}}, tool_name="Bash")
    assert outcome.permission_decision == "allow" and outcome.updated_input == {"command": "ls"}
    assert [u.type for u in outcome.updated_permissions] == ["setMode", "addDirectories"]

    deny = {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": {"behavior": "deny", "message": "not on Fridays", "interrupt": True},
        }
    }
    hooks = runner({"PermissionRequest": [HookMatcher(hooks=[answering(deny)])]})
    outcome = await hooks.run("PermissionRequest", {"tool_name": "Bash", "tool_input": {}}, tool_name="Bash")
    assert (outcome.permission_decision, outcome.reason, outcome.interrupt) == (
        "deny",
        "not on Fridays",
        True,
    )


async def test_a_post_tool_use_hook_can_replace_the_tool_output() -> None:
    answer = {
        "hookSpecificOutput": {
            "hookEventName": "PostToolUse",
            "updatedMCPToolOutput": [{"type": "text", "text": "redacted"}],
        }
    }
    hooks = runner({"PostToolUse": [HookMatcher(matcher="mcp__.*", hooks=[answering(answer)])]})
    outcome = await hooks.run(
        "PostToolUse",
        {"tool_name": "mcp__db__query", "tool_input": {}, "tool_response": [], "tool_use_id": "t"},
        tool_name="mcp__db__query",
    )
    assert outcome.updated_tool_output == [{"type": "text", "text": "redacted"}]


# --- include_hook_events ---------------------------------------------------------------------


async def test_hook_events_have_the_cli_shape_started_then_response() -> None:
    hooks = runner({"PreToolUse": [HookMatcher(matcher="Bash", hooks=[answering({"continue_": True})])]})
    outcome = await pre_tool_use(hooks)
    started, response = outcome.events
    assert started["type"] == response["type"] == "system"
    assert (started["subtype"], response["subtype"]) == ("hook_started", "hook_response")
    assert started["hook_id"] == response["hook_id"]
    assert started["hook_name"] == "PreToolUse:Bash" and started["hook_event"] == "PreToolUse"
    assert started["session_id"] == "sess-1"
    assert response["output"] == '{"continue": true}'
    assert (response["exit_code"], response["outcome"]) == (0, "success")
