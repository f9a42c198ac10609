"""What each Claude SDK public name and ``ClaudeAgentOptions`` field does on Letta, as one table.

MIGRATING.md's table is rendered from it (``render_markdown``), the engine reads ``on_use`` to
decide whether an option warns or raises, and the tests check that every name of the Claude
SDK's ``__all__`` and every option field has exactly one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "OPTION_PREFIX",
    "TABLE",
    "NameStatus",
    "ROWS",
    "OnUse",
    "Status",
    "render_markdown",
    "status_of",
]

Status = Literal["mapped", "emulated", "refused", "not-yet"]
"""mapped: a Letta feature does it; emulated: claude-compat does it locally; refused: no Letta
equivalent; not-yet: planned, not built."""

OnUse = Literal["works", "ignored", "warns", "raises"]
"""What happens when a program uses the name or sets the option: it works, it is accepted and has
no effect (silently, as it has no meaning here), it is ignored with a one-time warning, or it
raises ``NotSupportedOnLettaError``."""

OPTION_PREFIX = "ClaudeAgentOptions."
"""Option fields are keyed ``ClaudeAgentOptions.<field>`` so they never clash with names."""


@dataclass(frozen=True)
class NameStatus:
    """One row: a public name (or ``ClaudeAgentOptions.<field>``) and its fate on Letta."""

    name: str
    status: Status
    note: str
    on_use: OnUse = "works"
    group: str = ""


def _rows(group: str, status: Status, note: str, names: str, on_use: OnUse = "works") -> list[NameStatus]:
    """Rows sharing one status and note; ``names`` is whitespace separated."""
    return [NameStatus(n, status, note, on_use, group) for n in names.split()]


def _row(group: str, name: str, status: Status, note: str, on_use: OnUse = "works") -> NameStatus:
    return NameStatus(name, status, note, on_use, group)


_ENTRY = "Entry points"
_OPTIONS = "Options"
_MCP = "MCP servers and custom tools"
_MESSAGES = "Messages"
_BLOCKS = "Content blocks"
_CLIENT = "Client responses"
_PERMISSIONS = "Permissions"
_HOOKS = "Hooks"
_SESSIONS = "Sessions"
_STORE = "Session store"
_ERRORS = "Errors"
_FIELDS = "ClaudeAgentOptions fields"

_HOOK_OUTPUTS = " ".join(
    f"{event}HookSpecificOutput"
    for event in (
        "PreToolUse PostToolUse PostToolUseFailure UserPromptSubmit SessionStart Notification "
        "SubagentStart PermissionRequest UserPromptExpansion PostToolBatch Stop SubagentStop "
        "PermissionDenied PreModelSwitch PostModelSwitch Elicitation ElicitationResult "
        "CwdChanged FileChanged WorktreeCreate MessageDisplay"
    ).split()
)


def _opt(name: str, status: Status, note: str, on_use: OnUse = "works") -> NameStatus:
    return NameStatus(OPTION_PREFIX + name, status, note, on_use, _FIELDS)


_NAME_ROWS: list[NameStatus] = [
    # --- entry points ---
    _row(
        _ENTRY,
        "query",
        "mapped",
        "runs the prompt as a turn of a Letta conversation and yields Claude-shaped messages",
    ),
    _row(
        _ENTRY,
        "ClaudeSDKClient",
        "mapped",
        "a multi-turn session on one Letta conversation; same methods",
    ),
    _row(
        _ENTRY,
        "Transport",
        "refused",
        "there is no CLI to talk to; when passed to query() or ClaudeSDKClient",
        "raises",
    ),
    _row(_ENTRY, "__version__", "mapped", "claude-compat's own version, not the Claude SDK's"),
    # --- option vocabularies ---
    _row(
        _OPTIONS,
        "ClaudeAgentOptions",
        "mapped",
        "every Claude field exists (see the field table) plus letta_* extensions",
    ),
    _row(
        _OPTIONS,
        "PermissionMode",
        "emulated",
        "the local permission gate applies each mode; Letta's mode names are accepted too",
    ),
    _row(
        _OPTIONS,
        "EffortLevel",
        "mapped",
        "sent as the model's reasoning effort where the model supports it",
    ),
    *_rows(
        _OPTIONS,
        "mapped",
        "thinking settings become the agent's reasoning model settings",
        "ThinkingConfig ThinkingConfigAdaptive ThinkingConfigEnabled ThinkingConfigDisabled",
    ),
    _row(
        _OPTIONS,
        "SettingSource",
        "mapped",
        "names a setting source (user, project, local), as in the Claude SDK",
    ),
    _row(
        _OPTIONS,
        "AgentDefinition",
        "emulated",
        "prompt, tools, disallowedTools, model, maxTurns, permissionMode drive a child Letta session",
    ),
    _row(
        _OPTIONS,
        "SdkPluginConfig",
        "refused",
        "Claude Code plugins cannot load on Letta; when set in options.plugins",
        "raises",
    ),
    _row(
        _OPTIONS,
        "SdkBeta",
        "refused",
        "Anthropic beta headers have no Letta equivalent; when set in options.betas",
        "warns",
    ),
    *_rows(
        _OPTIONS,
        "refused",
        "there is no Bash sandbox on Letta; when options.sandbox enables it",
        "SandboxSettings SandboxNetworkConfig SandboxIgnoreViolations",
        "raises",
    ),
    _row(
        _OPTIONS,
        "TaskBudget",
        "refused",
        "an Anthropic API beta; when set in options.task_budget",
        "warns",
    ),
    # --- MCP ---
    *_rows(
        _MCP,
        "emulated",
        "in-process tools are listed and called locally and offered to the model as Letta client "
        "tools (mcp__<server>__<tool>)",
        "create_sdk_mcp_server tool SdkMcpTool ToolAnnotations McpSdkServerConfig",
    ),
    _row(
        _MCP,
        "McpServerConfig",
        "emulated",
        "stdio/http/sse servers are reached from the user's machine with the mcp package; their "
        "tools become client tools",
    ),
    *_rows(
        _MCP,
        "emulated",
        "get_mcp_status() reports the servers claude-compat connected itself",
        "McpServerStatus McpServerStatusConfig McpServerConnectionStatus McpServerInfo "
        "McpStatusResponse McpToolAnnotations McpToolInfo",
    ),
    # --- messages ---
    *_rows(
        _MESSAGES,
        "mapped",
        "built from Letta stream events with identical fields",
        "Message UserMessage AssistantMessage SystemMessage ResultMessage StreamEvent ModelUsage",
    ),
    *_rows(
        _MESSAGES,
        "mapped",
        "the init SystemMessage is built by claude-compat (session, model, tools, cwd, "
        "permission mode, MCP servers)",
        "SystemInitData SystemInitMcpServer SystemInitPlugin SystemInitPluginError",
    ),
    *_rows(
        _MESSAGES,
        "refused",
        "Claude fast mode does not exist on Letta; never set",
        "FastModeState FastModeDisabledReason",
        "ignored",
    ),
    *_rows(
        _MESSAGES,
        "emulated",
        "a subagent task (the Agent tool, SendMessage) shows the CLI's task_started, task_progress per "
        "tool call, task_updated and task_notification, in the CLI's order for a foreground or a "
        "background task (a background one runs before the main agent's next model call, not beside "
        "it); a Bash command still running after 3 s shows task_started and task_notification "
        "(local_bash), as the CLI",
        "TaskStartedMessage TaskProgressMessage TaskUpdatedMessage TaskNotificationMessage "
        "TaskNotificationStatus TaskUpdatedStatus TERMINAL_TASK_STATUSES TaskUsage",
    ),
    _row(
        _MESSAGES,
        "DeferredToolUse",
        "emulated",
        'set on the result when a PreToolUse hook answers "defer"',
    ),
    *_rows(
        _MESSAGES,
        "refused",
        "Claude subscription rate limits do not exist on Letta; never emitted",
        "RateLimitEvent RateLimitInfo RateLimitStatus RateLimitType",
        "ignored",
    ),
    _row(
        _MESSAGES,
        "ConversationResetMessage",
        "mapped",
        "a '/clear' prompt replaces the conversation with a new session, as the CLI does (no model call)",
    ),
    *_rows(
        _MESSAGES,
        "mapped",
        "as the CLI: a streamed user message stamped with a human origin gets {'kind': 'human'} on "
        "its ResultMessage; other kinds and unstamped messages get None",
        "MessageOrigin MessageOriginKind TaskNotificationOriginSubkind",
    ),
    _row(
        _MESSAGES,
        "HookEventMessage",
        "emulated",
        "emitted by the local hook runner with include_hook_events=True",
    ),
    _row(
        _MESSAGES,
        "MirrorErrorMessage",
        "not-yet",
        "session stores are not built yet; never emitted",
        "ignored",
    ),
    # --- content blocks ---
    *_rows(
        _BLOCKS,
        "mapped",
        "assistant text, reasoning, tool calls and tool results of Letta messages",
        "ContentBlock TextBlock ThinkingBlock ToolUseBlock ToolResultBlock",
    ),
    *_rows(
        _BLOCKS,
        "refused",
        "Anthropic server-side tools do not run on Letta; never emitted",
        "ServerToolName ServerToolUseBlock ServerToolResultBlock",
        "ignored",
    ),
    # --- client responses ---
    *_rows(
        _CLIENT,
        "not-yet",
        "context accounting is not built yet; ClaudeSDKClient.get_context_usage()",
        "ContextUsageCategory ContextUsageResponse",
        "raises",
    ),
    # --- permissions ---
    *_rows(
        _PERMISSIONS,
        "emulated",
        "the local permission gate calls can_use_tool before a client tool runs, with the CLI's "
        "suggestions (exact or word-prefix Bash rules, addDirectories, acceptEdits, in its order); a "
        "denial goes back to the model as an error result",
        "CanUseTool ToolPermissionContext PermissionResult PermissionResultAllow "
        "PermissionResultDeny PermissionUpdate",
    ),
    _row(
        _PERMISSIONS,
        "CanUseToolShadowedWarning",
        "emulated",
        "warned when allowed_tools or bypassPermissions keep can_use_tool from being consulted",
    ),
    # --- hooks ---
    *_rows(
        _HOOKS,
        "emulated",
        "the local hook runner calls them around client tools and turns; outputs are validated as "
        "the CLI validates them (hookSpecificOutput for another event fails the hook) and systemMessage "
        "is shown as an informational notice",
        "HookCallback HookContext HookInput HookJSONOutput HookMatcher BaseHookInput HookEffort "
        "PreToolUseHookInput PostToolUseHookInput PostToolUseFailureHookInput "
        "UserPromptSubmitHookInput StopHookInput",
    ),
    *_rows(
        _HOOKS,
        "emulated",
        "fire around a subagent (the Agent tool) with the CLI's fields; agent_id is the subagent's "
        "task id (as agentId in its result); SubagentStop has last_assistant_message and an empty "
        "session_crons, no background_tasks, and agent_transcript_path names the subagent's "
        "transcript in the config folder, as the CLI's",
        "SubagentStartHookInput SubagentStopHookInput SessionCronSummary",
    ),
    *_rows(
        _HOOKS,
        "not-yet",
        "these events never fire on Letta yet (no compaction, notifications or permission prompts)",
        "PreCompactHookInput NotificationHookInput PermissionRequestHookInput BackgroundTaskSummary",
        "ignored",
    ),
    *_rows(
        _HOOKS,
        "emulated",
        "read by the local hook runner for the events that fire; the others are accepted and have no effect",
        _HOOK_OUTPUTS,
    ),
    # --- sessions ---
    *_rows(
        _SESSIONS,
        "mapped",
        "sessions from the registry (local SQLite or, with letta_registry='letta', the server); messages "
        "are the Letta conversation's history; rename/tag/delete/fork act on the conversation too; Claude "
        "transcripts not imported yet are listed, read, renamed, tagged, forked and deleted, and their "
        "subagents listed and read, as the Claude SDK does",
        "list_sessions get_session_info get_session_messages list_subagents get_subagent_messages "
        "rename_session tag_session delete_session fork_session",
    ),
    *_rows(
        _SESSIONS,
        "mapped",
        "returned by the session functions, same fields as in the Claude SDK",
        "SDKSessionInfo SessionMessage ForkSessionResult",
    ),
    # --- session store ---
    *_rows(
        _STORE,
        "mapped",
        "pure helpers; work as in the Claude SDK",
        "InMemorySessionStore fold_session_summary project_key_for_directory SessionKey "
        "SessionStore "
        "SessionStoreEntry SessionStoreListEntry SessionSummaryEntry SessionListSubkeysKey",
    ),
    _row(
        _STORE,
        "SessionStoreFlushMode",
        "mapped",
        "'batched' appends a turn's records when it ends, 'eager' each message as it is yielded",
    ),
    *_rows(
        _STORE,
        "mapped",
        "the Claude SDK's result on the same SessionStore (import_session_to_store also copies a "
        "claude-compat session, as the transcript the Claude CLI would have written)",
        "import_session_to_store list_sessions_from_store get_session_info_from_store "
        "get_session_messages_from_store list_subagents_from_store get_subagent_messages_from_store "
        "rename_session_via_store tag_session_via_store delete_session_via_store fork_session_via_store",
    ),
    # --- errors ---
    _row(
        _ERRORS,
        "ClaudeSDKError",
        "mapped",
        "base of every claude-compat error, Letta ones included",
    ),
    _row(
        _ERRORS,
        "CLIConnectionError",
        "mapped",
        "raised when the Letta server cannot be reached (as LettaConnectionError, a subclass)",
    ),
    _row(_ERRORS, "CLINotFoundError", "refused", "there is no CLI to find; never raised", "ignored"),
    _row(_ERRORS, "ProcessError", "mapped", "raised when a run fails on the server"),
    _row(
        _ERRORS,
        "ResultError",
        "mapped",
        "raised after an error ResultMessage, as with the Claude SDK; data is the CLI's result payload "
        "(type, uuid, usage, modelUsage, ...); a failed model call is worded and retried as the CLI does "
        "(api_retry notices, CLAUDE_CODE_MAX_RETRIES)",
    ),
    _row(
        _ERRORS,
        "CLIJSONDecodeError",
        "refused",
        "there is no CLI output to decode; never raised",
        "ignored",
    ),
]

_OPTION_ROWS: list[NameStatus] = [
    _opt("tools", "emulated", "chooses which built-in tools (run locally) are offered to the model"),
    _opt("allowed_tools", "emulated", "rules the local permission gate auto-approves"),
    _opt(
        "system_prompt",
        "mapped",
        "the agent's system prompt; the claude_code preset becomes claude-compat's coding prompt plus append",
    ),
    _opt(
        "mcp_servers",
        "emulated",
        "servers run or are reached locally; their tools become Letta client tools",
    ),
    _opt(
        "strict_mcp_config",
        "emulated",
        "claude-compat never loads other MCP configs, so it is always strict",
        "ignored",
    ),
    _opt("permission_mode", "emulated", "applied by the local permission gate"),
    _opt(
        "continue_conversation",
        "mapped",
        "resumes the most recent session of this cwd from the registry; with none, starts a new one "
        "(as the Claude CLI)",
    ),
    _opt("resume", "mapped", "a session id, a Letta conversation id or an agent id"),
    _opt("session_id", "mapped", "the id the new session is registered under"),
    _opt("max_turns", "mapped", "the run's max_steps; result subtype error_max_turns"),
    _opt(
        "max_budget_usd",
        "emulated",
        "cost from the genai-prices list price of the Letta handle, or CLAUDE_COMPAT_PRICES; stops with "
        "error_max_budget_usd (an unpriced model counts 0.0 and warns once)",
    ),
    _opt(
        "disallowed_tools",
        "emulated",
        "removed from the offered tools and denied by the permission gate; a call to one is shown "
        "and answered with the CLI's 'No such tool available' error",
    ),
    _opt(
        "model",
        "mapped",
        "Claude aliases and ids map to a Letta model handle (letta_model_handle overrides)",
    ),
    _opt("fallback_model", "not-yet", "no retry on another model yet", "warns"),
    _opt("betas", "refused", "Anthropic beta headers have no Letta equivalent", "warns"),
    _opt(
        "permission_prompt_tool_name",
        "refused",
        "use can_use_tool; without it, asks are denied in headless runs",
        "warns",
    ),
    _opt("cwd", "emulated", "built-in tools and stdio MCP servers run there; stored with the session"),
    _opt("cli_path", "refused", "there is no CLI", "warns"),
    _opt(
        "settings",
        "emulated",
        "a JSON object or settings file over the setting sources' files: permission rules, defaultMode, "
        "additionalDirectories and outputStyle are honoured, other keys are not read",
    ),
    _opt("add_dirs", "emulated", "extra directories the built-in file tools may reach"),
    _opt("env", "emulated", "environment of Bash and stdio MCP servers"),
    _opt("extra_args", "refused", "CLI flags have no meaning without the CLI", "warns"),
    _opt("max_buffer_size", "emulated", "there is no subprocess output to buffer", "ignored"),
    _opt("debug_stderr", "emulated", "deprecated in the Claude SDK and ignored there too", "ignored"),
    _opt(
        "stderr",
        "not-yet",
        "never called yet; later it receives claude-compat's debug log lines",
        "ignored",
    ),
    _opt("can_use_tool", "emulated", "called by the local permission gate before a tool runs"),
    _opt(
        "hooks",
        "emulated",
        "run by the local hook runner; events that do not exist on Letta never fire; SessionStart and "
        "SessionEnd callbacks are never called, as the CLI never calls them",
    ),
    _opt(
        "user",
        "refused",
        "tools cannot run as another OS user; refusing rather than running them as the current one",
        "raises",
    ),
    _opt("include_partial_messages", "mapped", "StreamEvents built from Letta token streaming"),
    _opt("include_hook_events", "emulated", "HookEventMessages for tool hooks (PreToolUse, PostToolUse…)"),
    _opt(
        "forward_subagent_text",
        "emulated",
        "the subagent's text and thinking are forwarded with parent_tool_use_id",
    ),
    _opt(
        "verbatim_prompts",
        "emulated",
        "prompts are always delivered verbatim (no @file expansion; '/clear' is the one slash command)",
        "ignored",
    ),
    _opt("fork_session", "mapped", "the resumed conversation is forked into a new session"),
    _opt("resume_session_at", "emulated", "the conversation is forked exactly at that Letta message"),
    _opt("resume_drops_turn", "not-yet", "the discarded turn is not validated yet", "warns"),
    _opt(
        "agents",
        "emulated",
        "the Agent tool (alias Task) runs each subagent as a child Letta conversation; the CLI's "
        "built-in agents (claude, Explore, general-purpose, Plan, statusline-setup) and .claude/agents "
        "files are offered too",
    ),
    _opt(
        "setting_sources",
        "emulated",
        "CLAUDE.md files of the named sources (None: all, as in the Claude SDK) become memory blocks, "
        "their agents/*.md files subagents; of their settings files the permission rules (allow only in "
        "trusted workspaces, as the CLI), defaultMode, additionalDirectories and outputStyle apply",
    ),
    _opt("skills", "refused", "the filter is not read: every skill the Skill tool finds is listed", "warns"),
    _opt(
        "sandbox",
        "refused",
        "there is no Bash sandbox; refusing rather than running commands unsandboxed",
        "raises",
    ),
    _opt(
        "plugins",
        "refused",
        "plugins (commands, agents, hooks) cannot load; refusing rather than running without their hooks",
        "raises",
    ),
    _opt(
        "max_thinking_tokens",
        "mapped",
        "the thinking budget (0 = off) where the CLI honours it for the model, then per provider "
        "(see Sampling and reasoning)",
    ),
    _opt(
        "thinking",
        "mapped",
        "as the CLI applies it to the model, then the agent's reasoning model settings (Anthropic "
        "thinking, Gemini thinking_config; see Sampling and reasoning)",
    ),
    _opt("effort", "mapped", "Anthropic effort / OpenAI reasoning_effort on the agent's model settings"),
    _opt(
        "output_format",
        "emulated",
        "as the CLI: a StructuredOutput tool with your schema, checked locally (jsonschema, the CLI's "
        "error texts), retried up to MAX_STRUCTURED_OUTPUT_RETRIES (5); works with any model that calls "
        "tools",
    ),
    _opt(
        "enable_file_checkpointing",
        "not-yet",
        "file checkpoints are not built yet; rewind_files() will raise",
        "warns",
    ),
    _opt(
        "session_store",
        "emulated",
        "turns are mirrored as the CLI's parentUuid-chained transcript records, so the real Claude "
        "SDK can resume the session from the store; Letta keeps the history the model sees",
    ),
    _opt(
        "session_store_flush",
        "mapped",
        "'batched' appends a turn's records when it ends, 'eager' each message as it is yielded",
    ),
    _opt("load_timeout_ms", "mapped", "bounds each read of the store (resuming, the mirror's first read)"),
    _opt("task_budget", "refused", "an Anthropic API beta", "warns"),
    _opt("client_app", "refused", "no User-Agent to stamp on Letta; accepted and ignored", "ignored"),
]

ROWS: tuple[NameStatus, ...] = (*_NAME_ROWS, *_OPTION_ROWS)
"""Every row in table order."""

TABLE: dict[str, NameStatus] = {row.name: row for row in ROWS}
"""Every row, by name (option fields as ``ClaudeAgentOptions.<field>``)."""


def status_of(name: str) -> NameStatus:
    """The row of a public name or of ``ClaudeAgentOptions.<field>``; KeyError if unknown."""
    try:
        return TABLE[name]
    except KeyError:
        raise KeyError(
            f"{name!r} is not a Claude SDK public name or option field "
            f"(option fields are written {OPTION_PREFIX}<field>)"
        ) from None


_ON_USE_TEXT: dict[OnUse, str] = {
    "works": "",
    "ignored": " (accepted, no effect)",
    "warns": " (ignored with a warning)",
    "raises": " (raises NotSupportedOnLettaError)",
}


def render_markdown() -> str:
    """The MIGRATING.md table: one section per group, one line per name."""
    lines: list[str] = []
    group = None
    for row in TABLE.values():
        if row.group != group:
            group = row.group
            lines += ["", f"### {group}", "", "| name | status | on Letta |", "|---|---|---|"]
        shown = row.name.removeprefix(OPTION_PREFIX)
        lines.append(f"| `{shown}` | {row.status} | {row.note}{_ON_USE_TEXT[row.on_use]} |")
    return "\n".join(lines[1:]) + "\n"
