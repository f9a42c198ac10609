"""The permission gate: decides, before every tool call, whether it runs, in Claude's order.

disallowed rules → PreToolUse hooks → permission mode → allowed rules → read-only tools inside
the working directories → PermissionRequest hooks and ``can_use_tool`` → denied (no one to ask).
Deny rules are checked again on the input that will finally run, so a hook or callback that
rewrites the input cannot slip past them. Deny texts follow the Claude CLI's wording.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidOptionError
from ..types import (
    CanUseTool,
    PermissionResultAllow,
    PermissionResultDeny,
    PermissionRuleValue,
    PermissionUpdate,
    ToolPermissionContext,
)
from . import cli_facts, shell
from .bash_judge import BashKind, Shell, judge
from .hooks import HookOutcome, HookRunner
from .permission_modes import PERMISSION_MODES
from .rules import (
    ASSIGNMENT,
    EDIT_TOOLS,
    READ_TOOLS,
    Rule,
    parse_rule,
    rule_matches,
    split_command,
    tool_path,
)

__all__ = ["Decision", "PermissionGate", "ToolFacts"]


@dataclass(frozen=True)
class ToolFacts:
    """What the engine knows about a call: read-only, edits files, and the absolute paths it touches."""

    read_only: bool
    edits_files: bool
    paths: list[Path]


@dataclass
class Decision:
    """The gate's answer for one call. When ``allow`` is False the tool must not run."""

    allow: bool
    tool_input: dict[str, Any]  # the input to run with (hooks and can_use_tool may replace it)
    message: str = ""  # what the model sees on deny
    interrupt: bool = False  # end the turn after this result
    emit_denied_system_message: bool = False  # SystemMessage(subtype="permission_denied") first
    denial_record: dict[str, Any] | None = None  # for ResultMessage.permission_denials
    hook_context: list[str] = field(default_factory=list)  # PreToolUse additionalContext, for the model
    reason_type: str | None = None  # rule / hook / mode / callback / prompt: why it was denied
    deferred: bool = False  # a PreToolUse hook answered "defer": stop the turn, the call stays pending
    stop_reason: str | None = None  # a PreToolUse hook answered continue_=False
    system_messages: list[str] = field(default_factory=list)  # hooks' systemMessage texts, for the user
    hook_events: list[dict[str, Any]] = field(default_factory=list)  # hook_started / hook_response


#: Tools that always ask someone (they exist to talk to the user), whatever the mode.
_ALWAYS_ASK = frozenset({"AskUserQuestion", "ExitPlanMode"})

#: Files and directories acceptEdits never edits without asking: the pinned CLI's safety lists
#: (names compared in lower case; a directory counts wherever it appears in the path).
_SENSITIVE_DIRS = frozenset(
    {".git", ".vscode", ".idea", ".claude", ".husky", ".cargo", ".devcontainer", ".yarn", ".mvn"}
)
_SENSITIVE_DIR_PAIRS = frozenset({(".config", "git")})
_SENSITIVE_FILES = frozenset(
    {".gitconfig", ".gitmodules", ".bashrc", ".bash_profile", ".zshrc", ".zprofile", ".profile", ".zshenv",
     ".zlogin", ".zlogout", ".bash_login", ".bash_aliases", ".bash_logout", ".envrc", ".ripgreprc",
     ".mcp.json", ".claude.json", ".npmrc", ".yarnrc", ".yarnrc.yml", ".pnp.cjs", ".pnp.loader.mjs",
     ".pnp.js", ".pnp.data.json", ".pnpmfile.cjs", "bunfig.toml", ".bunfig.toml", ".bazelrc",
     ".bazelversion", ".bazeliskrc", ".pre-commit-config.yaml", "lefthook.yml", ".lefthook.yml",
     "lefthook.yaml", ".lefthook.yaml", "gradle-wrapper.properties", "maven-wrapper.properties",
     ".devcontainer.json", "pyrightconfig.json"}
)  # fmt: skip


class PermissionGate:
    """Decides every tool call of a session; rules and mode can change during the session."""

    def __init__(
        self,
        *,
        allowed_tools: list[str],
        disallowed_tools: list[str],
        mode: str | None,
        ask_rules: Sequence[str] = (),
        can_use_tool: CanUseTool | None,
        hooks: HookRunner,
        cwd: Path,
        add_dirs: list[Path],
        shell: Callable[[], Shell] | None = None,
        plan_file: str | None = None,
    ) -> None:
        # option rules are fixed for the session; permission updates change only the session's own
        self._allow_opts = [parse_rule(t) for t in allowed_tools]
        self._deny_opts = [parse_rule(t) for t in disallowed_tools]
        self._ask_opts = [parse_rule(t) for t in ask_rules]  # settings files' ask rules
        self._session: dict[str, list[Rule]] = {"allow": [], "deny": [], "ask": []}
        self._mode = "default"
        self.mode = mode or "default"
        self.can_use_tool = can_use_tool
        self.hooks = hooks
        self.cwd = Path(os.path.abspath(cwd))
        self.add_dirs = [Path(os.path.abspath(self.cwd / d)) for d in add_dirs]
        #: the session's plan file, which plan mode lets the model write (its reminder says so)
        self.plan_file = os.path.normpath(plan_file) if plan_file else None
        #: where the Bash tool's next command starts and its environment (its cwd persists between calls)
        self.shell = shell or (lambda: Shell(self.cwd, os.environ))

    # --- mode -----------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """The permission mode in force, by its Claude name (Letta names map onto these)."""
        return PERMISSION_MODES[self._mode].claude_name

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in PERMISSION_MODES:
            raise InvalidOptionError(
                f"unknown permission mode {value!r}; use one of {', '.join(PERMISSION_MODES)}"
            )
        self._mode = value

    def set_permission_mode(self, mode: str) -> None:
        """Change the mode (Claude or Letta vocabulary); InvalidOptionError for any other name."""
        self.mode = mode

    # --- rules and directories --------------------------------------------------------------

    def _rules(self, behavior: str) -> list[Rule]:
        if behavior == "allow":
            return [*self._allow_opts, *self._session["allow"]]
        if behavior == "deny":
            return [*self._deny_opts, *self._session["deny"]]
        return [*self._ask_opts, *self._session["ask"]]

    def _denied_by(self, tool_name: str, tool_input: dict[str, Any]) -> Rule | None:
        for rule in self._rules("deny"):
            if rule_matches(rule, tool_name, tool_input, self.cwd, for_deny=True):
                return rule
        return None

    def _matches_any(self, behavior: str, tool_name: str, tool_input: dict[str, Any]) -> bool:
        return any(rule_matches(r, tool_name, tool_input, self.cwd) for r in self._rules(behavior))

    def apply_updates(self, updates: Iterable[PermissionUpdate | dict[str, Any]]) -> None:
        """Apply permission updates (from ``PermissionResultAllow.updated_permissions`` or hooks) to the
        session: its own rules, mode and directories. Rules from the options stay as they are."""
        for raw in updates:
            update = PermissionUpdate.from_dict(raw) if isinstance(raw, dict) else raw
            if not isinstance(update, PermissionUpdate):
                continue
            if update.type in ("addRules", "replaceRules", "removeRules"):
                target = self._session.get(update.behavior or "")
                if target is None:
                    continue
                rules = [r for r in (_rule_of(v) for v in update.rules or []) if r is not None]
                if update.type == "addRules":
                    target.extend(r for r in rules if r not in target)
                elif update.type == "replaceRules":
                    target[:] = rules
                else:
                    target[:] = [r for r in target if r not in rules]
            elif update.type == "setMode" and update.mode in PERMISSION_MODES:
                self.mode = update.mode
            elif update.type in ("addDirectories", "removeDirectories"):
                dirs = [
                    Path(os.path.abspath(self.cwd / os.path.expanduser(d))) for d in update.directories or []
                ]
                if update.type == "addDirectories":
                    self.add_dirs.extend(d for d in dirs if d not in self.add_dirs)
                else:
                    self.add_dirs = [d for d in self.add_dirs if d not in dirs]

    def _bash_write_message(self, tool_name: str, tool_input: dict[str, Any]) -> str | None:
        """The CLI's text for a shell command that would change files inside the working directories."""
        command = tool_input.get("command")
        if tool_name != "Bash" or not isinstance(command, str):
            return None
        kind, _, paths = self._bash_kind(tool_input)
        sensitive = [p for p in paths if _sensitive(p)] if kind == "edit" else []
        if sensitive:
            return f"Claude requested permissions to edit {sensitive[0]} which is a sensitive file."
        parts = split_command(command)
        for part in parts:
            if not part.words or part.words[0] not in _FILE_CHANGING_COMMANDS:
                continue
            targets = [w for w in part.words[1:] if not w.startswith("-")]
            if not targets:
                continue
            path = _resolve(self.cwd / Path(targets[-1]).expanduser())
            if not self.inside(path):
                return None
            dirs = ", ".join(f"'{d}'" for d in [self.cwd, *self.add_dirs])
            return (
                f"{part.words[0]} in '{path}' needs approval. The path is inside the working directories "
                f"for this session ({dirs}), and Claude Code asks before a shell command creates, changes "
                "or removes files there."
            )
        return None

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (symlinks resolved) lies in cwd or one of the added directories."""
        target = _resolve(self.cwd / path)
        return any(target == d or d in target.parents for d in map(_resolve, [self.cwd, *self.add_dirs]))

    # --- the decision ---------------------------------------------------------------------

    async def decide(
        self,
        tool_name: str,
        tool_input: dict[str, Any],
        tool_use_id: str,
        facts: ToolFacts,
        *,
        agent_id: str | None = None,
    ) -> Decision:
        """Whether this call may run, and with which input. Never raises for a callback's failure.

        Hooks, ``can_use_tool`` and the denial record see the CLI's observable input (a file tool's
        path made absolute); an allowed call keeps the path as the model gave it unless it was changed.
        """
        observable = observable_input(tool_name, tool_input, self.cwd)
        decision = await self._decide(tool_name, observable, tool_use_id, facts, agent_id=agent_id)
        if decision.allow:
            decision.tool_input = _as_called(tool_name, decision.tool_input, observable, tool_input)
        return decision

    async def _decide(
        self,
        tool_name: str,
        tool_input: dict[str, Any],
        tool_use_id: str,
        facts: ToolFacts,
        *,
        agent_id: str | None = None,
    ) -> Decision:
        call = _Call(tool_name, dict(tool_input), tool_use_id, agent_id)
        rule = self._denied_by(tool_name, tool_input)
        if rule is not None:
            return call.deny(_rule_deny_message(rule, tool_name, tool_input, self.cwd), "rule")

        pre_input: dict[str, Any] = {
            "tool_name": tool_name,
            "tool_input": tool_input,
            "tool_use_id": tool_use_id,
        }
        if agent_id is not None:
            pre_input["agent_id"] = agent_id
        pre = await self.hooks.run("PreToolUse", pre_input, tool_name=tool_name, tool_use_id=tool_use_id)
        call.take(pre)
        call.hook_context = list(pre.additional_context)
        if pre.invalid:
            return call.deny(cli_facts.HOOK_FAILED_RESULT.format(event="PreToolUse"), "hook")
        if pre.stop:
            reason = pre.stop_reason or "continue is false"
            decision = call.deny(
                f"PreToolUse:{tool_name} hook stopped execution: {reason}", "hook", interrupt=True
            )
            decision.stop_reason = pre.stop_reason
            return decision
        if pre.permission_decision == "deny":
            reason = pre.reason or "Blocked by hook"
            if tool_name not in cli_facts.HOOK_DENY_REASON_ALONE:
                reason = cli_facts.HOOK_DENY_TEXT.format(tool=tool_name, reason=reason)
            return call.deny(reason, "hook")
        if pre.permission_decision == "defer":
            decision = call.deny(pre.reason or f"PreToolUse:{tool_name} hook deferred this tool call", "hook")
            decision.deferred, decision.interrupt, decision.denial_record = True, True, None
            return decision
        if pre.updated_input is not None:
            tool_input = dict(pre.updated_input)
            facts = _refreshed(facts, tool_name, tool_input, self.cwd)
        if pre.permission_decision == "allow":
            return self._allow(call, tool_input)

        ask = pre.permission_decision == "ask" or self._matches_any("ask", tool_name, tool_input)
        if not ask:
            verdict = self._automatic(tool_name, tool_input, facts)
            if verdict == "allow":
                return self._allow(call, tool_input)
            if verdict == "plan":
                return call.deny(_plan_mode_message(tool_name, tool_input), "mode", auto=True)
        return await self._ask(call, tool_input, facts)

    def _automatic(self, tool_name: str, tool_input: dict[str, Any], facts: ToolFacts) -> str | None:
        """What mode, allow rules and the read-only table say: "allow", "plan" (deny) or None (ask)."""
        rules = PERMISSION_MODES[self._mode]
        always_ask = tool_name in _ALWAYS_ASK
        bash, bash_inside, bash_paths = (
            self._bash_kind(tool_input) if tool_name == "Bash" else (None, True, ())
        )
        read_only = facts.read_only or bash == "read"
        edits = facts.edits_files or bash == "edit"
        inside = bash_inside and all(self.inside(p) for p in facts.paths)
        if rules.allow_all and not always_ask:
            return "allow"
        if rules.read_only and not read_only and not always_ask:
            return "allow" if self._is_plan_file(tool_name, tool_input) else "plan"
        if (
            rules.allow_edits
            and edits
            and inside
            and not always_ask
            and not any(map(_sensitive, [*facts.paths, *bash_paths]))
        ):
            return "allow"
        if self._matches_any("allow", tool_name, tool_input):
            return "allow"
        if read_only and inside and not always_ask:
            return "allow"
        return None

    def _is_plan_file(self, tool_name: str, tool_input: dict[str, Any]) -> bool:
        """Whether the call writes or edits the session's plan file (its path made absolute as
        :func:`observable_input` makes it)."""
        if self.plan_file is None or tool_name not in cli_facts.PLAN_FILE_TOOLS:
            return False
        field = cli_facts.OBSERVABLE_PATH_FIELDS[tool_name]
        return observable_input(tool_name, tool_input, self.cwd).get(field) == self.plan_file

    async def _ask(self, call: _Call, tool_input: dict[str, Any], facts: ToolFacts) -> Decision:
        """No rule or mode decided: ask the PermissionRequest hooks, then ``can_use_tool``, else deny."""
        tool_name = call.tool_name
        outside = [p for p in facts.paths if not self.inside(p)]
        if PERMISSION_MODES[self._mode].deny_asks:
            message = (
                f"Permission to use {tool_name} has been denied because Claude Code is running in "
                "don't ask mode."
            )
            return call.deny(message, "mode", auto=True)
        suggestions = self._suggestions(tool_name, tool_input, facts, outside)
        if self.hooks.has("PermissionRequest"):
            request: dict[str, Any] = {
                "tool_name": tool_name,
                "tool_input": tool_input,
                "permission_suggestions": [_wire(s) for s in suggestions],
            }
            if call.agent_id is not None:
                request["agent_id"] = call.agent_id
            answer = await self.hooks.run(
                "PermissionRequest", request, tool_name=tool_name, tool_use_id=call.tool_use_id
            )
            call.take(answer)
            if answer.permission_decision == "deny" or answer.stop:
                message = (
                    answer.reason or f"Permission to use {tool_name} was denied by a PermissionRequest hook."
                )
                return call.deny(message, "hook", interrupt=answer.interrupt or answer.stop)
            if answer.permission_decision == "allow":
                self.apply_updates(answer.updated_permissions)
                return self._allow(call, dict(answer.updated_input or tool_input))
        if self.can_use_tool is None:
            message = self._bash_write_message(tool_name, tool_input) or _ask_message(
                tool_name, facts, outside
            )
            return call.deny(message, "prompt", auto=True)
        context = ToolPermissionContext(
            signal=None,
            suggestions=suggestions,
            tool_use_id=call.tool_use_id,
            agent_id=call.agent_id,
            blocked_path=str(outside[0]) if outside else None,
            decision_reason="Path is outside allowed working directories" if outside else None,
        )
        offered = dict(tool_input)  # the callback may change it in place, as with the Claude SDK
        try:
            result = await self.can_use_tool(tool_name, offered, context)
        except Exception as exc:
            return call.deny(
                f"Permission check failed: can_use_tool raised {type(exc).__name__}: {exc}", "callback"
            )
        if isinstance(result, PermissionResultAllow):
            new_input = offered if result.updated_input is None else result.updated_input
            if not isinstance(new_input, dict):
                return call.deny(
                    "Permission check failed: can_use_tool allowed the call with updated_input of type "
                    f"{type(new_input).__name__}; it must be a dict of the tool's input",
                    "callback",
                )
            if result.updated_permissions:
                self.apply_updates(result.updated_permissions)
            return self._allow(call, dict(new_input))
        if isinstance(result, PermissionResultDeny):
            message = result.message or f"Permission to use {tool_name} was denied."
            return call.deny(message, "callback", interrupt=bool(result.interrupt))
        return call.deny(
            f"Permission check failed: can_use_tool returned {type(result).__name__}; "
            "return PermissionResultAllow or PermissionResultDeny",
            "callback",
        )

    def _allow(self, call: _Call, tool_input: dict[str, Any]) -> Decision:
        """Allow, unless a deny rule matches the input that would finally run."""
        rule = self._denied_by(call.tool_name, tool_input)
        if rule is not None:
            return call.deny(_rule_deny_message(rule, call.tool_name, tool_input, self.cwd), "rule")
        return call.decision(allow=True, tool_input=tool_input)

    # --- Bash ------------------------------------------------------------------------------

    def _bash_kind(self, tool_input: dict[str, Any]) -> tuple[BashKind | None, bool, tuple[Path, ...]]:
        """What a Bash command does: ``read`` when every part only reads, ``edit`` when the parts are
        file edits (acceptEdits) or reads, else None; whether its paths stay inside the working
        directories; and the paths it names. Every word must be understood (see bash_judge)."""
        command = tool_input.get("command")
        if not isinstance(command, str) or not command.strip():
            return None, True, ()
        verdict = judge(command, self.shell(), self.inside)
        return verdict.kind, verdict.inside, verdict.paths

    # --- suggestions -----------------------------------------------------------------------

    def _suggestions(
        self, tool_name: str, tool_input: dict[str, Any], facts: ToolFacts, outside: list[Path]
    ) -> list[PermissionUpdate]:
        """Permission updates offered to ``can_use_tool``, as the CLI computes them (its kinds and
        order are in cli_facts): a rule for the tool, the directories outside, acceptEdits for edits."""
        where = cli_facts.SUGGESTION_DESTINATIONS
        bash_kind = self._bash_kind(tool_input)[0] if tool_name == "Bash" else None
        found: dict[str, PermissionUpdate] = {}
        if tool_name in READ_TOOLS and outside:
            rule = PermissionRuleValue(tool_name, f"/{_dir_of(outside[0])}/**")
            found["addRules"] = PermissionUpdate(
                type="addRules", rules=[rule], behavior="allow", destination=where["addRules:read"]
            )
        elif tool_name not in EDIT_TOOLS:
            rules = [
                PermissionRuleValue(tool_name, c) for c in _rule_contents(tool_name, tool_input, bash_kind)
            ]
            found["addRules"] = PermissionUpdate(
                type="addRules", rules=rules, behavior="allow", destination=where["addRules"]
            )
        dirs = [] if tool_name in READ_TOOLS else sorted({_dir_of(p) for p in outside})  # Read: the rule only
        if bash_kind == "edit":  # the CLI offers the directory a Bash edit writes in, even inside cwd
            dirs = sorted({*dirs, *(_dir_of(p) for p in facts.paths)} or {str(self.cwd)})
        if dirs:
            found["addDirectories"] = PermissionUpdate(
                type="addDirectories", directories=dirs, destination=where["addDirectories"]
            )
        bash_edit = bash_kind == "edit" and not _redirects_into_a_file(str(tool_input.get("command", "")))
        if (facts.edits_files or bash_edit) and self.mode == "default":
            found["setMode"] = PermissionUpdate(
                type="setMode", mode="acceptEdits", destination=where["setMode"]
            )
        order = cli_facts.SUGGESTION_ORDER["edit" if tool_name in EDIT_TOOLS else "other"]
        return [found[k] for k in order if k in found]


def _rule_contents(
    tool_name: str, tool_input: dict[str, Any], bash_kind: BashKind | None
) -> list[str | None]:
    """The rule contents the CLI suggests for a tool call (see cli_facts.BASH_PREFIX_WORDS)."""
    if tool_name == "WebFetch":
        host = urlsplit(str(tool_input.get("url", ""))).hostname
        return [cli_facts.WEBFETCH_RULE.format(host=host) if host else None]
    if tool_name != "Bash":
        return [None]
    command = str(tool_input.get("command", "")).strip()
    parts = [p for p in split_command(command) if p.words]
    if len(parts) == 1 and bash_kind == "edit":
        return [command]
    if len(parts) == 1:
        prefix = _bash_prefix(parts[0].words)
        return [f"{prefix} *" if prefix else command]
    rules = [f"{prefix} *" if (prefix := _bash_prefix(p.words)) else " ".join(p.words) for p in parts]
    return list(dict.fromkeys(rules)) or [command or None]


def _bash_prefix(words: tuple[str, ...]) -> str | None:
    """The program and subcommand the CLI suggests a rule for (``npm install``), or None."""
    i = 0
    while i < len(words) and ASSIGNMENT.fullmatch(words[i]):
        i += 1
    rest = words[i:]
    if len(rest) < cli_facts.BASH_PREFIX_WORDS or Path(rest[0]).name in cli_facts.BASH_NO_PREFIX_PROGRAMS:
        return None
    if not cli_facts.BASH_SUBCOMMAND_WORD.fullmatch(rest[1]):
        return None
    return " ".join(rest[: cli_facts.BASH_PREFIX_WORDS])


def _redirects_into_a_file(command: str) -> bool:
    """Whether a Bash line writes a file through an output redirection (``ls > x``)."""
    commands = shell.parse(command) or []
    return any(r.writes and r.target is not None for c in commands for r in c.redirects)


@dataclass
class _Call:
    """The call being decided, and what hooks said along the way."""

    tool_name: str
    original_input: dict[str, Any]
    tool_use_id: str
    agent_id: str | None
    hook_context: list[str] = field(default_factory=list)
    system_messages: list[str] = field(default_factory=list)
    hook_events: list[dict[str, Any]] = field(default_factory=list)

    def take(self, outcome: HookOutcome) -> None:
        """Keep what a hook run shows the user."""
        self.system_messages += outcome.system_messages
        self.hook_events += outcome.events

    def decision(self, *, allow: bool, tool_input: dict[str, Any]) -> Decision:
        return Decision(
            allow=allow,
            tool_input=tool_input,
            hook_context=list(self.hook_context),
            system_messages=list(self.system_messages),
            hook_events=list(self.hook_events),
        )

    def deny(
        self, message: str, reason_type: str, *, interrupt: bool = False, auto: bool = False
    ) -> Decision:
        """A denial the model sees as ``message``; ``auto``: no one was asked (permission_denied shown)."""
        decision = self.decision(allow=False, tool_input=self.original_input)
        decision.message = message
        decision.interrupt = interrupt
        decision.emit_denied_system_message = auto
        decision.reason_type = reason_type
        decision.denial_record = {
            "tool_name": self.tool_name,
            "tool_use_id": self.tool_use_id,
            "tool_input": self.original_input,
        }
        return decision


def _plan_mode_message(tool_name: str, tool_input: dict[str, Any]) -> str:
    """What the model reads when plan mode refuses a call: the CLI's words where measured."""
    path = tool_input.get(cli_facts.OBSERVABLE_PATH_FIELDS.get(tool_name, ""))
    if tool_name in cli_facts.PLAN_MODE_WRITE_TOOLS and isinstance(path, str) and path:
        return cli_facts.PLAN_MODE_WRITE_TEXT.format(path=path)
    return (
        f"Permission to use {tool_name} has been denied because the session is in plan mode: "
        "only read-only tools run until the plan is approved."
    )


def observable_input(tool_name: str, tool_input: dict[str, Any], cwd: Path) -> dict[str, Any]:
    """The input as the CLI shows it to hooks and permission callbacks (see cli_facts)."""
    key = cli_facts.OBSERVABLE_PATH_FIELDS.get(tool_name)
    value = tool_input.get(key) if key else None
    if key is None or not isinstance(value, str) or not value or len(value) > 4096:
        return tool_input
    return {**tool_input, key: os.path.normpath(cwd / os.path.expanduser(value))}


def _as_called(
    tool_name: str, final: dict[str, Any], observable: dict[str, Any], given: dict[str, Any]
) -> dict[str, Any]:
    """The input an allowed call runs with: the path as given when no one changed it, as the CLI."""
    key = cli_facts.OBSERVABLE_PATH_FIELDS.get(tool_name)
    if key is None or observable is given or final.get(key) != observable.get(key):
        return final
    return {**final, key: given[key]}


def _refreshed(facts: ToolFacts, tool_name: str, tool_input: dict[str, Any], cwd: Path) -> ToolFacts:
    """The facts of a file tool after its input changed: the path it now touches."""
    if tool_name not in READ_TOOLS and tool_name not in EDIT_TOOLS:
        return facts
    path = tool_path(tool_name, tool_input, cwd)
    return ToolFacts(facts.read_only, facts.edits_files, [path] if path is not None else [])


def _rule_of(value: PermissionRuleValue | dict[str, Any]) -> Rule | None:
    """A Rule from a PermissionRuleValue (or its wire dict); None when it cannot be read."""
    if isinstance(value, dict):
        value = PermissionRuleValue(value.get("toolName", ""), value.get("ruleContent"))
    content = value.rule_content
    try:
        if content is None or content.strip() in ("", "*"):
            return parse_rule(value.tool_name)
        return Rule(parse_rule(value.tool_name).tool, content.strip())
    except InvalidOptionError:
        return None


def _wire(update: PermissionUpdate) -> dict[str, Any]:
    try:
        return update.to_dict()
    except ValueError:
        return {"type": update.type}


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _dir_of(path: Path) -> str:
    """The directory to add for a path outside: the path itself when it is a directory."""
    return str(path if path.is_dir() else path.parent)


def _sensitive(path: Path) -> bool:
    """Files acceptEdits still asks about: VCS, editor and tool configuration, shell profiles."""
    parts = [p.lower() for p in Path(os.path.abspath(path)).parts]
    return (
        any(p in _SENSITIVE_DIRS for p in parts)
        or any(pair in _SENSITIVE_DIR_PAIRS for pair in itertools.pairwise(parts))
        or (bool(parts) and parts[-1] in _SENSITIVE_FILES)
    )


def _rule_deny_message(rule: Rule, tool_name: str, tool_input: dict[str, Any], cwd: Path) -> str:
    """The CLI's text for a call a deny rule refuses."""
    if rule.specifier is not None and tool_name == "Bash":
        return f"Permission to use Bash with command {tool_input.get('command', '')} has been denied."
    if rule.specifier is not None and (tool_name in READ_TOOLS or tool_name in EDIT_TOOLS):
        path = tool_path(tool_name, tool_input, cwd)
        verb = "read" if tool_name in READ_TOOLS else "edit"
        return f"Permission to {verb} {path} has been denied."
    return f"Permission to use {tool_name} has been denied."


#: Shell commands whose path arguments the CLI names when it asks before they change files.
_FILE_CHANGING_COMMANDS: frozenset[str] = frozenset(
    {"touch", "mkdir", "rm", "rmdir", "mv", "cp", "chmod", "chown", "ln", "truncate", "tee", "install"}
)


def _ask_message(tool_name: str, facts: ToolFacts, outside: list[Path]) -> str:
    """The CLI's text for a call that needed approval and found no one to ask."""
    if tool_name in EDIT_TOOLS or (facts.edits_files and facts.paths):
        path = facts.paths[0] if facts.paths else None
        if path is not None and _sensitive(path):
            return f"Claude requested permissions to edit {path} which is a sensitive file."
        if path is not None:
            return f"Claude requested permissions to write to {path}, but you haven't granted it yet."
    if outside and (tool_name in READ_TOOLS or facts.read_only):
        return f"Claude requested permissions to read from {outside[0]}, but you haven't granted it yet."
    return f"Claude requested permissions to use {tool_name}, but you haven't granted it yet."
