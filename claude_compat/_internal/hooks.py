"""The hook runner: calls the user's hook callbacks for an event and merges their answers as Claude does.

Matching callbacks of one event run concurrently, each under its matcher's timeout (60 s by
default). A callback that raises, times out or returns something that is not a dict is a
non-blocking error (recorded, the action goes on) unless its matcher says ``on_failure="block"``.
Answers merge with deny > defer > ask > allow for permission decisions; contexts, system messages
and block reasons accumulate in hook order.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio

from ..errors import InvalidOptionError
from ..types import HookMatcher, PermissionUpdate
from . import cli_facts

__all__ = ["DEFAULT_HOOK_TIMEOUT", "HookOutcome", "HookRunner"]

#: Seconds a hook callback may take when its matcher sets no timeout (the CLI's default).
DEFAULT_HOOK_TIMEOUT = 60.0

#: Events whose matcher is compared with the tool name.
_TOOL_EVENTS = frozenset(
    {"PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest", "PermissionDenied"}
)

#: For other events, the input field a matcher is compared with (events not listed ignore matchers).
_MATCH_FIELDS = {
    "SessionStart": "source",
    "SessionEnd": "reason",
    "PreCompact": "trigger",
    "PostCompact": "trigger",
    "Notification": "notification_type",
    "SubagentStart": "agent_type",
    "SubagentStop": "agent_type",
}

#: Events where ``on_failure="block"`` has no effect (as in Claude).
_NO_BLOCK_ON_FAILURE = frozenset({"Stop", "SubagentStop"})

_DECISION_RANK = {"deny": 3, "defer": 2, "ask": 1, "allow": 0}
_SIMPLE_MATCHER = re.compile(r"[A-Za-z0-9_\-|]+")

PermissionDecision = Literal["allow", "deny", "ask", "defer"]


@dataclass
class HookOutcome:
    """The merged answer of every callback that ran for one event."""

    permission_decision: PermissionDecision | None = None
    reason: str | None = None  # why, for the winning permission decision
    updated_input: dict[str, Any] | None = None
    additional_context: list[str] = field(default_factory=list)
    block: bool = False  # decision "block" (or a failing on_failure="block" hook)
    block_reason: str | None = None
    stop: bool = False  # continue_ False: the agent stops
    invalid: bool = False  # an output the CLI rejects (hookSpecificOutput for another event)
    stop_reason: str | None = None
    system_messages: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # hook_started / hook_response payloads
    suppress_output: bool = False
    interrupt: bool = False  # PermissionRequest deny with interrupt
    updated_permissions: list[PermissionUpdate] = field(default_factory=list)  # PermissionRequest allow
    updated_tool_output: Any = None  # PostToolUse updatedToolOutput / updatedMCPToolOutput
    hook_specific: list[dict[str, Any]] = field(default_factory=list)  # every hookSpecificOutput, raw
    errors: list[str] = field(default_factory=list)  # non-blocking failures (raised, timed out, bad output)
    ran: int = 0  # how many callbacks ran


@dataclass
class _Call:
    """One callback to run and what it returned."""

    matcher: HookMatcher
    callback: Any
    hook_id: str
    output: dict[str, Any] | None = None
    error: str | None = None


class HookRunner:
    """Runs ``ClaudeAgentOptions.hooks`` for a session; every tool kind goes through the same runner."""

    def __init__(
        self,
        hooks: dict[str, list[HookMatcher]] | None,
        *,
        session_id: str,
        cwd: str,
        transcript_path: str = "",
        permission_mode: Callable[[], str],
    ) -> None:
        self.hooks: dict[str, list[HookMatcher]] = {k: list(v) for k, v in (hooks or {}).items()}
        self.session_id = session_id
        self.cwd = cwd
        self.transcript_path = transcript_path
        self.prompt_id: str | None = None  # set by the engine per user prompt; sent when set
        self._permission_mode = permission_mode
        self._patterns: dict[str, re.Pattern[str] | frozenset[str] | None] = {}
        for event, matchers in self.hooks.items():
            if not isinstance(matchers, list):
                raise InvalidOptionError(
                    f"hooks[{event!r}] must be a list of HookMatcher, not {type(matchers).__name__}"
                )
            for m in matchers:
                if not isinstance(m, HookMatcher):
                    raise InvalidOptionError(
                        f"hooks[{event!r}] holds {type(m).__name__}; wrap callbacks in "
                        "HookMatcher(matcher=..., hooks=[callback])"
                    )
                self._compile(event, m.matcher)

    def has(self, event: str) -> bool:
        """Whether any callback is registered for ``event``."""
        return any(m.hooks for m in self.hooks.get(event, ()))

    def _compile(self, event: str, matcher: str | None) -> re.Pattern[str] | frozenset[str] | None:
        key = matcher or ""
        if key in self._patterns:
            return self._patterns[key]
        compiled: re.Pattern[str] | frozenset[str] | None
        if key in ("", "*"):
            compiled = None
        elif _SIMPLE_MATCHER.fullmatch(key):
            compiled = frozenset(key.split("|"))
        else:
            try:
                compiled = re.compile(key)
            except re.error as exc:
                raise InvalidOptionError(
                    f"hook matcher {matcher!r} for {event} is not a valid regular expression ({exc}); "
                    "use a tool name, names joined by '|', or a regex such as 'mcp__.*'"
                ) from exc
        self._patterns[key] = compiled
        return compiled

    def _applies(self, event: str, matcher: HookMatcher, subject: str | None) -> bool:
        pattern = self._compile(event, matcher.matcher)
        if pattern is None or subject is None:
            return True
        if isinstance(pattern, frozenset):
            return subject in pattern
        return pattern.search(subject) is not None

    def _base_input(self, event: str, hook_input: dict[str, Any]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "session_id": self.session_id,
            "transcript_path": self.transcript_path,
            "cwd": self.cwd,
            "permission_mode": self._permission_mode(),
        }
        if event in cli_facts.HOOK_EVENTS_WITHOUT_PERMISSION_MODE:
            del full["permission_mode"]
        if self.prompt_id is not None:
            full["prompt_id"] = self.prompt_id
        full.update(hook_input)
        full["hook_event_name"] = event
        return full

    async def run(
        self,
        event: str,
        hook_input: dict[str, Any],
        *,
        tool_name: str | None = None,
        tool_use_id: str | None = None,
    ) -> HookOutcome:
        """Run the callbacks registered for ``event`` that match, and merge what they answer."""
        matchers = self.hooks.get(event)
        if not matchers or event in cli_facts.HOOK_EVENTS_NEVER_CALLED:
            return HookOutcome()
        if event in _TOOL_EVENTS:
            subject = tool_name if tool_name is not None else hook_input.get("tool_name")
        else:
            field_name = _MATCH_FIELDS.get(event)
            subject = hook_input.get(field_name) if field_name else None
        subject = subject if isinstance(subject, str) else None
        calls = [
            _Call(m, cb, str(uuid.uuid4()))
            for m in matchers
            if self._applies(event, m, subject)
            for cb in m.hooks
        ]
        if not calls:
            return HookOutcome()
        payload = self._base_input(event, hook_input)
        hook_name = f"{event}:{subject}" if subject else event
        outcome = HookOutcome(ran=len(calls))
        for call in calls:
            outcome.events.append(self._event("hook_started", call, event, hook_name))
        if len(calls) == 1:
            await self._call(calls[0], payload, tool_use_id)
        else:
            async with anyio.create_task_group() as tg:
                for call in calls:
                    tg.start_soon(self._call, call, payload, tool_use_id)
        for call in calls:
            outcome.events.append(self._event("hook_response", call, event, hook_name))
            if call.error is not None:
                self._record_failure(outcome, call, event, hook_name)
            elif call.output is not None:
                _merge(outcome, event, call.output)
        return outcome

    async def _call(self, call: _Call, payload: dict[str, Any], tool_use_id: str | None) -> None:
        """Run one callback on its own copy of the input, under its matcher's timeout."""
        timeout = call.matcher.timeout if call.matcher.timeout is not None else DEFAULT_HOOK_TIMEOUT
        try:
            own_input = copy.deepcopy(payload)
        except Exception:  # an input that cannot be copied is shared instead
            own_input = dict(payload)
        try:
            with anyio.fail_after(timeout):
                result = await call.callback(own_input, tool_use_id, {"signal": None})
        except TimeoutError:
            call.error = f"hook callback timed out after {timeout:g}s"
            return
        except Exception as exc:
            call.error = f"hook callback raised {type(exc).__name__}: {exc}"
            return
        if result is None:
            if call.matcher.on_failure == "block":
                call.error = "hook callback returned None (return {} for no opinion)"
            return
        if not isinstance(result, dict):
            call.error = f"hook callback returned {type(result).__name__}, expected a dict (HookJSONOutput)"
            return
        call.output = result

    def _record_failure(self, outcome: HookOutcome, call: _Call, event: str, hook_name: str) -> None:
        message = f"{hook_name} hook error: {call.error}"
        outcome.errors.append(message)
        if call.matcher.on_failure == "block" and event not in _NO_BLOCK_ON_FAILURE:
            outcome.block = True
            outcome.block_reason = _join(outcome.block_reason, str(call.error))
            if event == "PreToolUse":
                _decide(outcome, "deny", str(call.error))

    def _event(self, subtype: str, call: _Call, event: str, hook_name: str) -> dict[str, Any]:
        """A ``hook_started`` / ``hook_response`` payload as the Claude CLI emits them."""
        data: dict[str, Any] = {
            "type": "system",
            "subtype": subtype,
            "hook_id": call.hook_id,
            "hook_name": hook_name,
            "hook_event": event,
            "session_id": self.session_id,
            "uuid": str(uuid.uuid4()),
        }
        if subtype == "hook_response":
            failed = call.error is not None
            data.update(
                output=_dump(call.output) if call.output is not None else "",
                stdout="",
                stderr=call.error or "",
                exit_code=1 if failed else 0,
                outcome="error" if failed else "success",
            )
        return data


def _dump(output: dict[str, Any]) -> str:
    """The callback's answer as JSON with the wire key names (``continue``, ``async``)."""
    wire = {{"continue_": "continue", "async_": "async"}.get(k, k): v for k, v in output.items()}
    try:
        return json.dumps(wire, default=str)
    except (TypeError, ValueError):
        return str(wire)


def _join(first: str | None, more: str | None) -> str | None:
    if not more:
        return first
    return more if not first else f"{first}\n{more}"


def _decide(outcome: HookOutcome, decision: PermissionDecision, reason: str | None) -> None:
    """Keep the strongest permission decision (deny > defer > ask > allow) and its reason."""
    current = outcome.permission_decision
    if current is None or _DECISION_RANK[decision] > _DECISION_RANK[current]:
        outcome.permission_decision = decision
        outcome.reason = reason
    elif current == decision and outcome.reason is None:
        outcome.reason = reason


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _merge(outcome: HookOutcome, event: str, output: dict[str, Any]) -> None:
    """Fold one callback's HookJSONOutput into ``outcome``."""
    if output.get("async_") is True or output.get("async") is True:
        return  # a deferred hook gives no decision now
    keep_going = output.get("continue_", output.get("continue", True))
    if keep_going is False:
        outcome.stop = True
        outcome.stop_reason = outcome.stop_reason or _text(output.get("stopReason"))
    if output.get("suppressOutput") is True:
        outcome.suppress_output = True
    message = _text(output.get("systemMessage"))
    if message:
        outcome.system_messages.append(message)
    reason = _text(output.get("reason"))
    decision = output.get("decision")
    if decision == "block":
        outcome.block = True
        outcome.block_reason = _join(outcome.block_reason, reason)
        if event == "PreToolUse":
            _decide(outcome, "deny", reason)
    elif decision == "approve" and event == "PreToolUse":
        _decide(outcome, "allow", reason)
    specific = output.get("hookSpecificOutput")
    if not isinstance(specific, dict):
        return
    named = specific.get("hookEventName")
    if named is not None and named != event:  # the CLI rejects the whole output as invalid
        outcome.invalid = True
        shown = json.dumps(
            {{"continue_": "continue", "async_": "async"}.get(k, k): v for k, v in output.items()},
            indent=2,
            default=str,
        )
        outcome.errors.append(cli_facts.HOOK_WRONG_EVENT.format(expected=event, got=named, output=shown))
        return
    outcome.hook_specific.append(specific)
    context = _text(specific.get("additionalContext"))
    if context:
        outcome.additional_context.append(context)
    if event == "PreToolUse":
        choice = specific.get("permissionDecision")
        if choice in _DECISION_RANK:
            why = _text(specific.get("permissionDecisionReason"))
            _decide(outcome, choice, why or (reason if choice == "deny" else None))  # the CLI's fallback
        updated = specific.get("updatedInput")
        if isinstance(updated, dict):
            outcome.updated_input = updated
    elif event == "PermissionRequest":
        _merge_permission_request(outcome, specific.get("decision"))
    elif event == "PostToolUse":
        for key in ("updatedMCPToolOutput", "updatedToolOutput"):
            if specific.get(key) is not None:
                outcome.updated_tool_output = specific[key]


def _merge_permission_request(outcome: HookOutcome, decision: Any) -> None:
    """A PermissionRequest answer: ``{"behavior": "allow", ...}`` or ``{"behavior": "deny", ...}``."""
    if not isinstance(decision, dict):
        return
    behavior = decision.get("behavior")
    if behavior == "deny":
        _decide(outcome, "deny", _text(decision.get("message")))
        if decision.get("interrupt") is True:
            outcome.interrupt = True
    elif behavior == "allow":
        _decide(outcome, "allow", None)
        updated = decision.get("updatedInput")
        if isinstance(updated, dict):
            outcome.updated_input = updated
        for raw in decision.get("updatedPermissions") or []:
            if isinstance(raw, PermissionUpdate):
                outcome.updated_permissions.append(raw)
            elif isinstance(raw, dict):
                try:
                    outcome.updated_permissions.append(PermissionUpdate.from_dict(raw))
                except (KeyError, TypeError):
                    outcome.errors.append(
                        f"PermissionRequest hook gave an unreadable permission update: {raw!r}"
                    )
