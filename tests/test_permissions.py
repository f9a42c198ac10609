"""The permission gate and its rules: what runs, what is refused and with which words, in Claude's order
(disallowed rules → PreToolUse hooks → mode → allowed rules → read-only → can_use_tool → denied)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    PermissionUpdate,
    ToolPermissionContext,
)
from claude_compat._internal.hooks import HookRunner
from claude_compat._internal.permission_modes import PERMISSION_MODES
from claude_compat._internal.permissions import Decision, PermissionGate, ToolFacts, observable_input
from claude_compat._internal.rules import Rule, parse_rule, rule_matches, tool_path
from claude_compat.errors import InvalidOptionError
from claude_compat.types import PermissionRuleValue

# --- helpers ---------------------------------------------------------------------------------

READERS = {"Read", "Glob", "Grep"}
WRITERS = {"Write", "Edit", "NotebookEdit"}


def facts_for(tool: str, tool_input: dict[str, Any], cwd: Path) -> ToolFacts:
    """The facts the engine gives for a call (built-ins know theirs; MCP tools: none)."""
    path = tool_path(tool, tool_input, cwd)
    paths = [path] if path is not None else []
    if tool in READERS:
        return ToolFacts(read_only=True, edits_files=False, paths=paths)
    if tool in WRITERS:
        return ToolFacts(read_only=False, edits_files=True, paths=paths)
    return ToolFacts(read_only=tool in {"AskUserQuestion", "TodoWrite"}, edits_files=False, paths=[])


def make_gate(
    cwd: Path,
    *,
    allowed: tuple[str, ...] = (),
    disallowed: tuple[str, ...] = (),
    mode: str | None = None,
    can_use_tool: Any = None,
    hooks: dict[str, list[HookMatcher]] | None = None,
    add_dirs: tuple[Path, ...] = (),
) -> PermissionGate:
    holder: list[PermissionGate] = []
    runner = HookRunner(hooks, session_id="s", cwd=str(cwd), permission_mode=lambda: holder[0].mode)
    gate = PermissionGate(
        allowed_tools=list(allowed),
        disallowed_tools=list(disallowed),
        mode=mode,
        can_use_tool=can_use_tool,
        hooks=runner,
        cwd=cwd,
        add_dirs=list(add_dirs),
    )
    holder.append(gate)
    return gate


async def decide(
    gate: PermissionGate, tool: str, tool_input: dict[str, Any], tool_use_id: str = "toolu_1"
) -> Decision:
    return await gate.decide(tool, tool_input, tool_use_id, facts_for(tool, tool_input, gate.cwd))


class Recorder:
    """A can_use_tool callback that records its calls and answers with ``result``."""

    def __init__(self, result: Any = None) -> None:
        self.result = result if result is not None else PermissionResultAllow()
        self.calls: list[tuple[str, dict[str, Any], ToolPermissionContext]] = []

    async def __call__(self, tool: str, tool_input: dict[str, Any], context: ToolPermissionContext) -> Any:
        self.calls.append((tool, dict(tool_input), context))
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def hook_answer(output: dict[str, Any]) -> Any:
    async def callback(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        return output

    return callback


def pre_decision(choice: str, reason: str | None = None, **more: Any) -> dict[str, list[HookMatcher]]:
    specific: dict[str, Any] = {"hookEventName": "PreToolUse", "permissionDecision": choice, **more}
    if reason is not None:
        specific["permissionDecisionReason"] = reason
    return {"PreToolUse": [HookMatcher(hooks=[hook_answer({"hookSpecificOutput": specific})])]}


# --- rules, row by row ------------------------------------------------------------------------

PARSE_ROWS = [
    ("Read", Rule("Read", None)),
    ("Read()", Rule("Read", None)),
    ("Read(*)", Rule("Read", None)),
    ("Bash(git:*)", Rule("Bash", "git:*")),
    ("Bash(npm run test:*)", Rule("Bash", "npm run test:*")),
    ("  Bash( echo (hi) )  ", Rule("Bash", "echo (hi)")),
    ("Edit(//etc/**)", Rule("Edit", "//etc/**")),
    ("WebFetch(domain:example.com)", Rule("WebFetch", "domain:example.com")),
    ("mcp__calc", Rule("mcp__calc", None)),
    ("mcp__calc__*", Rule("mcp__calc__*", None)),
    ("mcp__my-server__do_it", Rule("mcp__my-server__do_it", None)),
]


@pytest.mark.parametrize(("text", "rule"), PARSE_ROWS)
def test_rule_text_parses_like_claude(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize("text", ["", "Bash(git:*", "Bash git", "(ls)", "Read)", "Bash(x)(y"])
def test_malformed_rules_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidOptionError, match="Bash\\(git:\\*\\)"):
        parse_rule(text)


def test_a_gate_with_a_malformed_rule_cannot_be_built(tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError):
        make_gate(tmp_path, disallowed=("Bash(rm:*",))


BASH_ROWS = [
    # (rule, command, matches as allow, matches as deny)
    ("Bash(git:*)", "git status", True, True),
    ("Bash(git:*)", "git", True, True),
    ("Bash(git:*)", "gitk", False, False),
    ("Bash(git:*)", "git status && rm -rf x", False, True),
    ("Bash(rm:*)", "ls && rm -rf x", False, True),
    ("Bash(rm:*)", "echo $(rm -rf x)", False, True),
    ("Bash(rm:*)", 'echo "`rm -rf x`"', False, True),
    ("Bash(rm:*)", "sudo rm -rf x", False, True),
    ("Bash(rm:*)", "FOO=1 rm x", False, True),
    ("Bash(rm:*)", "bash -c 'cd / && rm -rf x'", False, True),
    ("Bash(rm:*)", "find . | xargs rm", False, True),
    ("Bash(rm:*)", 'echo "rm is a command"', False, False),
    ("Bash(rm:*)", "rmdir x", False, False),
    ("Bash(npm test)", "npm test", True, True),
    ("Bash(npm test)", "npm  test", True, True),
    ("Bash(npm test)", "npm test --watch", False, False),
    ("Bash(git push:*)", "git push --force", True, True),
    ("Bash(git push:*)", "git pull", False, False),
    ("Bash(ls *)", "ls -la", True, True),
    ("Bash(ls *)", "ls", True, True),
    ("Bash(ls *)", "lsof", False, False),
    ("Bash(git * --force)", "git push origin --force", True, True),
    ("Bash(echo a && echo b)", "echo a && echo b", True, True),
    ("Bash", "anything at all", True, True),
]


@pytest.mark.parametrize(("rule", "command", "as_allow", "as_deny"), BASH_ROWS)
def test_bash_rules_match_each_part_of_a_command(
    rule: str, command: str, as_allow: bool, as_deny: bool, tmp_path: Path
) -> None:
    parsed = parse_rule(rule)
    assert rule_matches(parsed, "Bash", {"command": command}, tmp_path) is as_allow
    assert rule_matches(parsed, "Bash", {"command": command}, tmp_path, for_deny=True) is as_deny


PATH_ROWS = [
    # (rule, tool, path relative to cwd or absolute, matches)
    ("Read(./src/**)", "Read", "src/a/b.py", True),
    ("Read(./src/**)", "Read", "lib/src.py", False),
    ("Read(src/**)", "Read", "src/x", True),
    ("Read(*.env)", "Read", "deep/down/.env", True),
    ("Read(*.env)", "Read", "env.txt", False),
    ("Read(**/*.pem)", "Read", "a/b/key.pem", True),
    ("Read(/secrets/**)", "Read", "secrets/k", True),  # "/x" is relative to cwd, as in Claude
    ("Read(//etc/**)", "Read", "/etc/hosts", True),
    ("Read(//etc/**)", "Grep", "/etc", True),  # Read rules cover Grep and Glob
    ("Read(//etc/**)", "Write", "/etc/hosts", False),  # … not writes
    ("Edit(./src/**)", "Write", "src/new.py", True),  # Edit rules cover Write and NotebookEdit
    ("Edit(./src/**)", "NotebookEdit", "src/n.ipynb", True),
    ("Edit(./src/**)", "Read", "src/a.py", False),
    ("Edit(~/notes/**)", "Write", "~/notes/today.md", True),
    ("Edit(docs/*.md)", "Edit", "docs/a.md", True),
    ("Edit(docs/*.md)", "Edit", "docs/sub/a.md", False),
    ("Read(./data/)", "Read", "data/x/y.csv", True),
]


@pytest.mark.parametrize(("rule", "tool", "path", "matches"), PATH_ROWS)
def test_path_rules_are_gitignore_globs(
    rule: str, tool: str, path: str, matches: bool, tmp_path: Path
) -> None:
    key = {"NotebookEdit": "notebook_path", "Grep": "path", "Glob": "path"}.get(tool, "file_path")
    value = path if path.startswith(("/", "~")) else str(tmp_path / path)
    assert rule_matches(parse_rule(rule), tool, {key: value}, tmp_path) is matches


def test_an_absolute_path_in_a_deny_rule_denies_that_absolute_path_too(tmp_path: Path) -> None:
    rule = parse_rule("Edit(/etc/**)")
    assert not rule_matches(rule, "Write", {"file_path": "/etc/passwd"}, tmp_path)
    assert rule_matches(rule, "Write", {"file_path": "/etc/passwd"}, tmp_path, for_deny=True)


def test_a_deny_path_rule_sees_through_symlinks(tmp_path: Path) -> None:
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "k").write_text("x")
    (tmp_path / "innocent").symlink_to(tmp_path / "secret" / "k")
    rule = parse_rule("Read(./secret/**)")
    assert rule_matches(rule, "Read", {"file_path": str(tmp_path / "innocent")}, tmp_path, for_deny=True)
    assert not rule_matches(rule, "Read", {"file_path": str(tmp_path / "innocent")}, tmp_path)


OTHER_ROWS = [
    ("mcp__calc", "mcp__calc__add", True),
    ("mcp__calc__*", "mcp__calc__div", True),
    ("mcp__calc__add", "mcp__calc__add", True),
    ("mcp__calc__add", "mcp__calc__addx", False),
    ("mcp__calc", "mcp__calculator__add", False),
    ("mcp__calc", "Bash", False),
    ("Task", "Agent", True),
    ("Agent", "Task", True),
    ("Write", "Edit", False),  # a bare name is that tool only
]


@pytest.mark.parametrize(("rule", "tool", "matches"), OTHER_ROWS)
def test_tool_rules_cover_servers_and_aliases(rule: str, tool: str, matches: bool, tmp_path: Path) -> None:
    assert rule_matches(parse_rule(rule), tool, {}, tmp_path) is matches


@pytest.mark.parametrize(
    ("rule", "tool_input", "matches"),
    [
        ("WebFetch(domain:example.com)", {"url": "https://example.com/a"}, True),
        ("WebFetch(domain:example.com)", {"url": "https://docs.example.com/a"}, True),
        ("WebFetch(domain:example.com)", {"url": "https://example.com.evil.io/a"}, False),
        ("Agent(reviewer)", {"subagent_type": "reviewer", "prompt": "p", "description": "d"}, True),
        ("Agent(reviewer)", {"subagent_type": "coder", "prompt": "p", "description": "d"}, False),
    ],
)
def test_web_fetch_domains_and_agent_types(
    rule: str, tool_input: dict[str, Any], matches: bool, tmp_path: Path
) -> None:
    tool = "WebFetch" if rule.startswith("WebFetch") else "Agent"
    assert rule_matches(parse_rule(rule), tool, tool_input, tmp_path) is matches


# --- the gate, row by row ---------------------------------------------------------------------

HEADLESS = "but you haven't granted it yet."
#: The CLI's headless text for a shell command that would change files inside the working directories.
NEEDS_APPROVAL = "needs approval. The path is inside the working directories for this session"

GATE_ROWS: list[tuple[str, dict[str, Any], str, dict[str, Any], bool, str]] = [
    # (what the user sees, gate options, tool, input, allowed?, text in the deny message)
    (
        "a disallowed Bash(rm:*) rule denies rm even in bypassPermissions",
        {"disallowed": ("Bash(rm:*)",), "mode": "bypassPermissions"},
        "Bash", {"command": "rm -rf build"}, False,
        "Permission to use Bash with command rm -rf build has been denied.",
    ),
    (
        "a disallowed rule catches rm inside a compound command",
        {"disallowed": ("Bash(rm:*)",), "allowed": ("Bash",)},
        "Bash", {"command": "ls && rm -rf build"}, False, "has been denied.",
    ),
    (
        "a disallowed rule wins over an allowed rule for the same tool",
        {"disallowed": ("Write",), "allowed": ("Write",)},
        "Write", {"file_path": "a.txt", "content": ""}, False, "Permission to use Write has been denied.",
    ),
    (
        "a disallowed Edit path rule denies Write to a secret even in bypassPermissions",
        {"disallowed": ("Edit(./secrets/**)",), "mode": "bypassPermissions"},
        "Write", {"file_path": "secrets/key", "content": ""}, False, "Permission to edit ",
    ),
    (
        "a disallowed Read path rule denies Grep over that directory",
        {"disallowed": ("Read(./private/**)",)},
        "Grep", {"pattern": "x", "path": "private"}, False, "Permission to read ",
    ),
    ("a disallowed Task rule denies the Agent tool", {"disallowed": ("Task",), "mode": "bypassPermissions"},
     "Agent", {"prompt": "p", "description": "d"}, False, "Permission to use Agent has been denied."),
    ("plan mode denies Write", {"mode": "plan"}, "Write", {"file_path": "a.txt", "content": ""}, False,
     "plan mode"),
    ("plan mode denies a mutating Bash command", {"mode": "plan"}, "Bash", {"command": "touch a"}, False,
     "plan mode"),
    ("plan mode lets Read run inside cwd", {"mode": "plan"}, "Read", {"file_path": "a.txt"}, True, ""),
    ("plan mode lets read-only Bash run", {"mode": "plan"}, "Bash", {"command": "git log --oneline"},
     True, ""),
    ("Letta's memory mode is plan mode", {"mode": "memory"}, "Write", {"file_path": "a.txt", "content": ""},
     False, "plan mode"),
    ("bypassPermissions allows Write outside cwd", {"mode": "bypassPermissions"}, "Write",
     {"file_path": "/tmp/elsewhere/x", "content": ""}, True, ""),
    ("Letta's unrestricted mode allows any Bash", {"mode": "unrestricted"}, "Bash",
     {"command": "curl x | sh"}, True, ""),
    ("acceptEdits allows Write inside cwd", {"mode": "acceptEdits"}, "Write",
     {"file_path": "src/a.py", "content": ""}, True, ""),
    ("acceptEdits allows mkdir and touch inside cwd", {"mode": "acceptEdits"}, "Bash",
     {"command": "mkdir -p out && touch out/a"}, True, ""),
    ("acceptEdits asks about Write outside cwd (and no one answers)", {"mode": "acceptEdits"}, "Write",
     {"file_path": "/tmp/elsewhere/x", "content": ""}, False,
     f"Claude requested permissions to write to /tmp/elsewhere/x, {HEADLESS}"),
    ("acceptEdits still asks about .git/config", {"mode": "acceptEdits"}, "Edit",
     {"file_path": ".git/config", "old_string": "a", "new_string": "b"}, False, "which is a sensitive file."),
    ("acceptEdits asks about curl", {"mode": "acceptEdits"}, "Bash", {"command": "curl x"}, False, HEADLESS),
    ("default mode denies Write without a callback, in the CLI's words", {}, "Write",
     {"file_path": "a.txt", "content": ""}, False, "Claude requested permissions to write to "),
    ("default mode runs echo", {}, "Bash", {"command": "echo hello"}, True, ""),
    ("default mode runs git status", {}, "Bash", {"command": "git status"}, True, ""),
    ("default mode runs a read-only pipeline", {}, "Bash", {"command": "ls -la | grep py | wc -l"}, True, ""),
    ("default mode asks about touch, naming the path", {}, "Bash", {"command": "touch f"}, False,
     f"touch in '{{cwd}}/f' {NEEDS_APPROVAL}"),
    ("default mode asks about echo into a file", {}, "Bash", {"command": "echo x > out.txt"}, False,
     HEADLESS),
    ("default mode asks about find -delete", {}, "Bash", {"command": "find . -name '*.tmp' -delete"}, False,
     HEADLESS),
    ("default mode asks about git push", {}, "Bash", {"command": "git push"}, False, HEADLESS),
    ("default mode asks about cat outside cwd", {}, "Bash", {"command": "cat /etc/passwd"}, False, HEADLESS),
    ("default mode asks about cat of a variable path", {}, "Bash", {"command": "cat $HOME/.ssh/id_rsa"},
     False, HEADLESS),
    ("Letta's standard mode is default mode", {"mode": "standard"}, "Bash", {"command": "touch f"}, False,
     NEEDS_APPROVAL),
    ("Read inside cwd runs", {}, "Read", {"file_path": "notes.md"}, True, ""),
    ("Read outside cwd is asked although Read is read-only", {}, "Read", {"file_path": "/etc/hosts"}, False,
     f"Claude requested permissions to read from /etc/hosts, {HEADLESS}"),
    ("Glob with no path searches cwd and runs", {}, "Glob", {"pattern": "**/*.py"}, True, ""),
    ("an allowed Read(//etc/**) rule lets Read outside cwd run", {"allowed": ("Read(//etc/**)",)}, "Read",
     {"file_path": "/etc/hosts"}, True, ""),
    ("an allowed bare Read lets Read outside cwd run", {"allowed": ("Read",)}, "Read",
     {"file_path": "/etc/hosts"}, True, ""),
    ("an allowed Bash(git:*) allows git push", {"allowed": ("Bash(git:*)",)}, "Bash",
     {"command": "git push origin main"}, True, ""),
    ("an allowed Bash(git:*) does not allow git push && curl", {"allowed": ("Bash(git:*)",)}, "Bash",
     {"command": "git push && curl x"}, False, HEADLESS),
    ("an allowed mcp__calc allows every calc tool", {"allowed": ("mcp__calc",)}, "mcp__calc__add",
     {"a": 1, "b": 2}, True, ""),
    ("an MCP tool without a rule is asked (and denied headless)", {}, "mcp__calc__add", {"a": 1}, False,
     f"Claude requested permissions to use mcp__calc__add, {HEADLESS}"),
    ("dontAsk denies what would ask", {"mode": "dontAsk"}, "Bash", {"command": "touch f"}, False,
     "Permission to use Bash has been denied because Claude Code is running in don't ask mode."),
    ("dontAsk still runs allowed tools", {"mode": "dontAsk", "allowed": ("Write",)}, "Write",
     {"file_path": "a.txt", "content": ""}, True, ""),
    ("AskUserQuestion is asked even in bypassPermissions", {"mode": "bypassPermissions"}, "AskUserQuestion",
     {"questions": []}, False, HEADLESS),
]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "tool", "tool_input", "allowed", "message"),
    [row[1:] for row in GATE_ROWS],
    ids=[row[0] for row in GATE_ROWS],
)
async def test_the_gate_decides_like_claude(
    options: dict[str, Any],
    tool: str,
    tool_input: dict[str, Any],
    allowed: bool,
    message: str,
    tmp_path: Path,
) -> None:
    gate = make_gate(tmp_path, **options)
    for key in ("file_path", "path"):  # relative paths in the rows are under cwd
        if key in tool_input and not tool_input[key].startswith("/"):
            tool_input = {**tool_input, key: str(tmp_path / tool_input[key])}
    decision = await decide(gate, tool, tool_input)
    assert decision.allow is allowed, decision.message
    if allowed:
        assert decision.tool_input == tool_input and decision.denial_record is None
    else:
        assert message.replace("{cwd}", str(tmp_path.resolve())) in decision.message
        assert decision.denial_record == {
            "tool_name": tool,
            "tool_use_id": "toolu_1",
            "tool_input": tool_input,
        }


@pytest.mark.anyio
async def test_only_an_auto_denial_shows_the_permission_denied_notice(tmp_path: Path) -> None:
    """As the oracle shows: no callback → permission_denied; can_use_tool or hook deny → none."""
    touch = {"command": "touch f"}
    headless = await decide(make_gate(tmp_path), "Bash", touch)
    by_callback = await decide(
        make_gate(tmp_path, can_use_tool=Recorder(PermissionResultDeny(message="no"))), "Bash", touch
    )
    by_hook = await decide(make_gate(tmp_path, hooks=pre_decision("deny", "blocked by hook")), "Bash", touch)
    by_rule = await decide(make_gate(tmp_path, disallowed=("Bash(touch:*)",)), "Bash", touch)
    assert headless.emit_denied_system_message
    assert not by_callback.emit_denied_system_message
    assert not by_hook.emit_denied_system_message
    assert not by_rule.emit_denied_system_message
    assert all(d.denial_record is not None for d in (headless, by_callback, by_hook, by_rule))


@pytest.mark.anyio
async def test_a_file_in_an_added_directory_is_inside(tmp_path: Path) -> None:
    extra = tmp_path.parent / f"{tmp_path.name}-extra"
    extra.mkdir()
    gate = make_gate(tmp_path, add_dirs=(extra,))
    assert (await decide(gate, "Read", {"file_path": str(extra / "data.csv")})).allow
    assert (await decide(gate, "Bash", {"command": f"cat {extra}/data.csv"})).allow


@pytest.mark.anyio
async def test_a_symlink_out_of_cwd_is_outside(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/etc")
    decision = await decide(make_gate(tmp_path), "Read", {"file_path": str(tmp_path / "link" / "hosts")})
    assert not decision.allow


# --- modes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "claude"), [(k, v.claude_name) for k, v in PERMISSION_MODES.items()])
def test_both_vocabularies_of_modes_are_accepted(name: str, claude: str, tmp_path: Path) -> None:
    gate = make_gate(tmp_path, mode=name)
    assert gate.mode == claude
    gate.set_permission_mode("default")
    gate.set_permission_mode(name)
    assert gate.mode == claude


@pytest.mark.parametrize("name", ["yolo", "Default", "acceptedits"])
def test_an_unknown_mode_is_refused_with_the_accepted_names(name: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match="bypassPermissions"):
        make_gate(tmp_path, mode=name)
    gate = make_gate(tmp_path)
    with pytest.raises(InvalidOptionError, match="unrestricted"):
        gate.set_permission_mode(name)
    assert gate.mode == "default"


@pytest.mark.anyio
async def test_changing_the_mode_changes_the_next_decision(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    write = {"file_path": str(tmp_path / "a.txt"), "content": "x"}
    assert not (await decide(gate, "Write", write)).allow
    gate.set_permission_mode("acceptEdits")
    assert (await decide(gate, "Write", write)).allow


# --- can_use_tool -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_can_use_tool_gets_the_tool_use_id_and_cli_like_suggestions(tmp_path: Path) -> None:
    callback = Recorder()
    gate = make_gate(tmp_path, can_use_tool=callback)
    decision = await decide(gate, "Bash", {"command": "touch f"}, tool_use_id="toolu_42")
    assert decision.allow
    ((tool, tool_input, context),) = callback.calls
    assert (tool, tool_input, context.tool_use_id, context.signal) == (
        "Bash",
        {"command": "touch f"},
        "toolu_42",
        None,
    )
    # as the CLI: the exact command, the directory it writes in, acceptEdits
    assert [s.type for s in context.suggestions] == ["addRules", "addDirectories", "setMode"]
    assert context.suggestions[0].rules == [PermissionRuleValue("Bash", "touch f")]
    assert context.suggestions[1].directories == [str(tmp_path)]
    assert context.suggestions[2].mode == "acceptEdits"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("command", "rules", "kinds"),
    [
        ("python3 safe_output/hello.py", ["python3 safe_output/hello.py"], ["addRules"]),
        ("npm install left-pad", ["npm install *"], ["addRules"]),
        ("FOO=1 npm run build", ["npm run *"], ["addRules"]),
        ("sudo apt update", ["sudo apt update"], ["addRules"]),
        ("ls -la > listing.txt", ["ls -la > listing.txt"], ["addRules", "addDirectories"]),
    ],
)
async def test_bash_suggestions_follow_the_clis_prefix_and_mode_rules(
    tmp_path: Path, command: str, rules: list[str], kinds: list[str]
) -> None:
    """Measured on the pinned CLI: a subcommand-like second word gives a prefix rule, a path or a
    wrapper the exact command; a redirect into a file offers no acceptEdits."""
    callback = Recorder()
    await decide(make_gate(tmp_path, can_use_tool=callback), "Bash", {"command": command})
    ((_, _, context),) = callback.calls
    assert [s.type for s in context.suggestions] == kinds
    assert context.suggestions[0].rules == [PermissionRuleValue("Bash", r) for r in rules]


@pytest.mark.anyio
async def test_can_use_tool_hears_about_a_path_outside_cwd(tmp_path: Path) -> None:
    callback = Recorder()
    await decide(make_gate(tmp_path, can_use_tool=callback), "Read", {"file_path": "/etc/hosts"})
    ((_, _, context),) = callback.calls
    assert context.blocked_path == "/etc/hosts"
    assert [s.type for s in context.suggestions] == ["addRules"]  # as the CLI: a session rule only
    assert context.suggestions[0].rules == [PermissionRuleValue("Read", "//etc/**")]
    assert context.suggestions[0].destination == "session"


#: (tool, input, the suggestions the pinned CLI offered for it, recorded offline; WORK = cwd)
CLI_SUGGESTIONS: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    (
        "Bash",
        {"command": "npm install left-pad"},
        [{"type": "addRules", "rules": [("Bash", "npm install *")], "destination": "localSettings"}],
    ),
    (
        "Bash",
        {"command": "git commit -m x && touch y"},
        [
            {
                "type": "addRules",
                "rules": [("Bash", "git commit *"), ("Bash", "touch y *")],
                "destination": "localSettings",
            }
        ],
    ),
    (
        "Write",
        {"file_path": "/tmp/outside_dir_x/new.txt", "content": "x"},
        [
            {"type": "setMode", "mode": "acceptEdits", "destination": "session"},
            {"type": "addDirectories", "directories": ["/tmp/outside_dir_x"], "destination": "session"},
        ],
    ),
    (
        "Write",
        {"file_path": "WORK/in.txt", "content": "x"},
        [{"type": "setMode", "mode": "acceptEdits", "destination": "session"}],
    ),
    (
        "WebFetch",
        {"url": "https://example.com/a", "prompt": "x"},
        [{"type": "addRules", "rules": [("WebFetch", "domain:example.com")], "destination": "localSettings"}],
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("tool", "tool_input", "expected"), CLI_SUGGESTIONS)
async def test_can_use_tool_gets_the_suggestions_the_cli_offers_in_its_order(
    tmp_path: Path, tool: str, tool_input: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    callback = Recorder()
    given = {k: v.replace("WORK", str(tmp_path)) if isinstance(v, str) else v for k, v in tool_input.items()}
    await decide(make_gate(tmp_path, can_use_tool=callback), tool, given)
    ((_, _, context),) = callback.calls
    shown = []
    for s in context.suggestions:
        row: dict[str, Any] = {"type": s.type, "destination": s.destination}
        if s.rules:
            row["rules"] = [(r.tool_name, r.rule_content) for r in s.rules]
        if s.mode:
            row["mode"] = s.mode
        if s.directories:
            row["directories"] = s.directories
        shown.append(row)
    assert shown == expected


@pytest.mark.anyio
async def test_can_use_tool_is_not_asked_about_what_is_already_allowed(tmp_path: Path) -> None:
    callback = Recorder(PermissionResultDeny(message="never"))
    gate = make_gate(tmp_path, can_use_tool=callback, allowed=("Bash(npm test)",))
    assert (await decide(gate, "Bash", {"command": "npm test"})).allow
    assert (await decide(gate, "Bash", {"command": "echo hi"})).allow
    assert (await decide(gate, "Read", {"file_path": str(tmp_path / "x")})).allow
    assert callback.calls == []


@pytest.mark.anyio
async def test_allow_with_updated_input_replaces_the_input(tmp_path: Path) -> None:
    gate = make_gate(
        tmp_path, can_use_tool=Recorder(PermissionResultAllow(updated_input={"command": "touch g"}))
    )
    decision = await decide(gate, "Bash", {"command": "touch f"})
    assert decision.allow and decision.tool_input == {"command": "touch g"}


@pytest.mark.anyio
async def test_an_input_changed_in_place_by_the_callback_is_honoured(tmp_path: Path) -> None:
    async def callback(tool: str, tool_input: dict[str, Any], context: ToolPermissionContext) -> Any:
        tool_input["command"] = "touch safe"
        return PermissionResultAllow()

    original = {"command": "touch f"}
    decision = await decide(make_gate(tmp_path, can_use_tool=callback), "Bash", original)
    assert decision.tool_input == {"command": "touch safe"}
    assert original == {"command": "touch f"}


@pytest.mark.anyio
async def test_an_updated_input_that_a_disallowed_rule_matches_is_denied(tmp_path: Path) -> None:
    gate = make_gate(
        tmp_path,
        disallowed=("Bash(rm:*)",),
        can_use_tool=Recorder(PermissionResultAllow(updated_input={"command": "rm -rf /"})),
    )
    decision = await decide(gate, "Bash", {"command": "touch f"})
    assert not decision.allow and "has been denied" in decision.message


@pytest.mark.anyio
async def test_deny_with_interrupt_stops_the_turn_and_gives_the_model_the_message(tmp_path: Path) -> None:
    gate = make_gate(
        tmp_path, can_use_tool=Recorder(PermissionResultDeny(message="not today", interrupt=True))
    )
    decision = await decide(gate, "Write", {"file_path": str(tmp_path / "a"), "content": ""})
    assert (decision.allow, decision.message, decision.interrupt) == (False, "not today", True)
    assert not decision.emit_denied_system_message


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("result", "message"),
    [
        (RuntimeError("database down"), "can_use_tool raised RuntimeError: database down"),
        ("allow", "can_use_tool returned str; return PermissionResultAllow or PermissionResultDeny"),
        ({"behavior": "allow"}, "can_use_tool returned dict"),
        (PermissionResultAllow(updated_input="x"), "updated_input of type str"),  # type: ignore[arg-type]
    ],
    ids=["a callback that raises", "a string", "a wire dict", "an updated_input that is not a dict"],
)
async def test_a_broken_callback_denies_and_says_why(result: Any, message: str, tmp_path: Path) -> None:
    decision = await decide(
        make_gate(tmp_path, can_use_tool=Recorder(result)), "Bash", {"command": "touch f"}
    )
    assert not decision.allow
    assert message in decision.message
    assert decision.denial_record is not None


@pytest.mark.anyio
async def test_updated_permissions_apply_to_later_calls(tmp_path: Path) -> None:
    add_rule = PermissionUpdate(
        type="addRules", rules=[PermissionRuleValue("Bash", "touch:*")], behavior="allow"
    )
    callback = Recorder(PermissionResultAllow(updated_permissions=[add_rule]))
    gate = make_gate(tmp_path, can_use_tool=callback)
    assert (await decide(gate, "Bash", {"command": "touch a"})).allow
    assert (await decide(gate, "Bash", {"command": "touch b"})).allow
    assert len(callback.calls) == 1

    gate.apply_updates([PermissionUpdate(type="setMode", mode="acceptEdits")])
    assert gate.mode == "acceptEdits"
    gate.apply_updates([{"type": "addDirectories", "directories": ["/opt/data"], "destination": "session"}])
    assert (await decide(gate, "Read", {"file_path": "/opt/data/x"})).allow


@pytest.mark.anyio
async def test_updates_cannot_remove_the_options_disallowed_rules(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, disallowed=("Bash(rm:*)",), mode="bypassPermissions")
    rules = [PermissionRuleValue("Bash", "rm:*")]
    gate.apply_updates([PermissionUpdate(type="removeRules", rules=rules, behavior="deny")])
    gate.apply_updates([PermissionUpdate(type="replaceRules", rules=[], behavior="deny")])
    assert not (await decide(gate, "Bash", {"command": "rm x"})).allow


# --- hooks inside the gate ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_pre_tool_use_deny_reads_like_the_cli(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, hooks=pre_decision("deny", "blocked by hook"), mode="bypassPermissions")
    decision = await decide(gate, "Bash", {"command": "echo hi"})
    assert not decision.allow
    assert decision.message == "PreToolUse:Bash hook error: blocked by hook"
    assert decision.denial_record == {
        "tool_name": "Bash",
        "tool_use_id": "toolu_1",
        "tool_input": {"command": "echo hi"},
    }


@pytest.mark.anyio
@pytest.mark.parametrize("tool", ["Read", "Write"])
async def test_a_hook_denying_a_file_tool_gives_its_reason_alone_and_lists_the_absolute_path(
    tmp_path: Path, tool: str
) -> None:
    gate = make_gate(tmp_path, hooks=pre_decision("deny", "Security policy blocks important files"))
    decision = await decide(gate, tool, {"file_path": "important.txt", "content": "x"})
    assert not decision.allow
    assert decision.message == "Security policy blocks important files"
    assert decision.denial_record is not None
    assert decision.denial_record["tool_input"]["file_path"] == str(tmp_path / "important.txt")


@pytest.mark.anyio
async def test_hooks_and_can_use_tool_see_a_file_path_made_absolute_and_the_call_runs_as_given(
    tmp_path: Path,
) -> None:
    seen: list[Any] = []

    async def hook(data: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        seen.append(data["tool_input"]["file_path"])
        return {}

    recorder = Recorder()
    gate = make_gate(tmp_path, can_use_tool=recorder, hooks={"PreToolUse": [HookMatcher(hooks=[hook])]})
    decision = await decide(gate, "Write", {"file_path": "notes.txt", "content": "x"})
    assert decision.allow
    assert seen == [str(tmp_path / "notes.txt")]
    assert [c[1]["file_path"] for c in recorder.calls] == [str(tmp_path / "notes.txt")]
    assert decision.tool_input == {"file_path": "notes.txt", "content": "x"}


@pytest.mark.anyio
async def test_a_hook_deny_without_its_own_reason_uses_the_outputs_reason(tmp_path: Path) -> None:
    output = {
        "reason": "not today",
        "hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny"},
    }
    gate = make_gate(tmp_path, hooks={"PreToolUse": [HookMatcher(hooks=[hook_answer(output)])]})
    decision = await decide(gate, "Bash", {"command": "echo hi"})
    assert decision.message == "PreToolUse:Bash hook error: not today"


@pytest.mark.anyio
async def test_a_pre_tool_use_allow_skips_mode_and_callback_but_not_disallowed_rules(tmp_path: Path) -> None:
    callback = Recorder(PermissionResultDeny(message="no"))
    gate = make_gate(tmp_path, hooks=pre_decision("allow"), mode="plan", can_use_tool=callback)
    assert (await decide(gate, "Write", {"file_path": str(tmp_path / "a"), "content": ""})).allow
    assert callback.calls == []
    gate = make_gate(tmp_path, hooks=pre_decision("allow"), disallowed=("Write",))
    assert not (await decide(gate, "Write", {"file_path": str(tmp_path / "a"), "content": ""})).allow


@pytest.mark.anyio
async def test_a_disallowed_call_never_reaches_the_hooks(tmp_path: Path) -> None:
    seen: list[Any] = []

    async def spy(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        seen.append(hook_input)
        return {}

    gate = make_gate(tmp_path, disallowed=("Bash",), hooks={"PreToolUse": [HookMatcher(hooks=[spy])]})
    assert not (await decide(gate, "Bash", {"command": "ls"})).allow
    assert seen == []


@pytest.mark.anyio
async def test_a_pre_tool_use_ask_goes_to_can_use_tool_even_in_bypass_permissions(tmp_path: Path) -> None:
    callback = Recorder(PermissionResultDeny(message="asked and refused"))
    gate = make_gate(tmp_path, hooks=pre_decision("ask"), mode="bypassPermissions", can_use_tool=callback)
    decision = await decide(gate, "Bash", {"command": "echo hi"})
    assert (decision.allow, decision.message, len(callback.calls)) == (False, "asked and refused", 1)


@pytest.mark.anyio
async def test_a_pre_tool_use_updated_input_is_what_runs(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, hooks=pre_decision("allow", updatedInput={"command": "echo safer"}))
    decision = await decide(gate, "Bash", {"command": "echo hi"})
    assert decision.allow and decision.tool_input == {"command": "echo safer"}


@pytest.mark.anyio
async def test_an_updated_input_is_checked_again(tmp_path: Path) -> None:
    """Moving a Read out of cwd makes it ask; turning a command into a disallowed one denies it."""
    moved = make_gate(tmp_path, hooks={"PreToolUse": [HookMatcher(hooks=[hook_answer(
        {"hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {"file_path": "/etc/shadow"}}}
    )])]})  # fmt: skip
    assert not (await decide(moved, "Read", {"file_path": str(tmp_path / "a")})).allow
    swapped = make_gate(
        tmp_path,
        disallowed=("Bash(rm:*)",),
        hooks=pre_decision("allow", updatedInput={"command": "rm -rf /"}),
    )
    assert not (await decide(swapped, "Bash", {"command": "echo hi"})).allow


@pytest.mark.anyio
async def test_pre_tool_use_context_messages_and_events_reach_the_engine(tmp_path: Path) -> None:
    hooks = {
        "PreToolUse": [
            HookMatcher(
                hooks=[
                    hook_answer(
                        {
                            "systemMessage": "audited",
                            "hookSpecificOutput": {
                                "hookEventName": "PreToolUse",
                                "additionalContext": "be brief",
                            },
                        }
                    )
                ]
            )
        ]
    }
    decision = await decide(make_gate(tmp_path, hooks=hooks), "Bash", {"command": "echo hi"})
    assert decision.allow
    assert decision.hook_context == ["be brief"]
    assert decision.system_messages == ["audited"]
    assert [e["subtype"] for e in decision.hook_events] == ["hook_started", "hook_response"]


@pytest.mark.anyio
async def test_a_pre_tool_use_continue_false_stops_the_turn(tmp_path: Path) -> None:
    hooks = {"PreToolUse": [HookMatcher(hooks=[hook_answer({"continue_": False, "stopReason": "quota"})])]}
    decision = await decide(
        make_gate(tmp_path, hooks=hooks, mode="bypassPermissions"), "Bash", {"command": "ls"}
    )
    assert (decision.allow, decision.interrupt, decision.stop_reason) == (False, True, "quota")


@pytest.mark.anyio
async def test_a_pre_tool_use_defer_holds_the_call_without_a_denial(tmp_path: Path) -> None:
    decision = await decide(make_gate(tmp_path, hooks=pre_decision("defer")), "Bash", {"command": "ls"})
    assert (decision.allow, decision.deferred, decision.interrupt, decision.denial_record) == (
        False,
        True,
        True,
        None,
    )


@pytest.mark.anyio
async def test_a_permission_request_hook_answers_before_can_use_tool(tmp_path: Path) -> None:
    callback = Recorder(PermissionResultDeny(message="callback says no"))

    def answering(behaviour: dict[str, Any]) -> dict[str, list[HookMatcher]]:
        output = {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": behaviour}}
        return {"PermissionRequest": [HookMatcher(matcher="Bash", hooks=[hook_answer(output)])]}

    allowed = make_gate(tmp_path, hooks=answering({"behavior": "allow"}), can_use_tool=callback)
    assert (await decide(allowed, "Bash", {"command": "touch f"})).allow
    denied = make_gate(
        tmp_path, hooks=answering({"behavior": "deny", "message": "hook says no"}), can_use_tool=callback
    )
    decision = await decide(denied, "Bash", {"command": "touch f"})
    assert (decision.allow, decision.message) == (False, "hook says no")
    assert callback.calls == []
    no_opinion = make_gate(
        tmp_path, hooks={"PermissionRequest": [HookMatcher(hooks=[hook_answer({})])]}, can_use_tool=callback
    )
    assert (await decide(no_opinion, "Bash", {"command": "touch f"})).message == "callback says no"


@pytest.mark.anyio
async def test_the_permission_request_hook_gets_the_suggestions(tmp_path: Path) -> None:
    seen: list[Any] = []

    async def spy(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        seen.append(hook_input)
        return {}

    gate = make_gate(tmp_path, hooks={"PermissionRequest": [HookMatcher(hooks=[spy])]})
    await decide(gate, "Bash", {"command": "touch f"})
    (hook_input,) = seen
    assert hook_input["hook_event_name"] == "PermissionRequest"
    assert hook_input["permission_suggestions"][0] == {
        "type": "addRules",
        "destination": "localSettings",
        "rules": [{"toolName": "Bash", "ruleContent": "touch f"}],
        "behavior": "allow",
    }


# --- the invariant, over random policies and calls --------------------------------------------

ALLOW_POOL = [
    "Bash", "Bash(git:*)", "Bash(rm:*)", "Bash(echo *)", "Read", "Write", "Edit(./src/**)", "Read(//etc/**)",
    "mcp__calc", "mcp__calc__add", "Task", "WebFetch(domain:example.com)", "Glob",
]  # fmt: skip
DENY_POOL = [
    "Bash(rm:*)", "Bash(curl:*)", "Bash(git push:*)", "Write", "Edit(./secret/**)", "Read(*.env)",
    "Read(//etc/**)", "mcp__calc__div", "Agent", "mcp__other", "Bash(sudo:*)", "Edit(/etc/**)",
]  # fmt: skip
COMMANDS = [
    "echo hi", "rm -rf x", "ls && rm -rf build", "git status", "git push origin main", "curl http://x | sh",
    "touch a", "echo $(rm -rf /)", "sudo rm x", "bash -c 'rm -rf /'", "cat /etc/passwd", "git push --force",
    "echo x > out.txt", "mkdir -p src/new", "FOO=1 curl x", "ls; git push", "npm test",
]  # fmt: skip
PATHS = [
    "a.txt",
    "src/x.py",
    "secret/k",
    ".env",
    "/etc/hosts",
    "/tmp/other/x",
    "sub/.git/config",
    "~/.bashrc",
]


def random_call(rng: random.Random, cwd: Path) -> tuple[str, dict[str, Any]]:
    tool = rng.choice(["Bash", "Bash", "Read", "Write", "Edit", "Glob", "mcp__calc__add", "mcp__calc__div",
                       "mcp__other__x", "Agent", "WebFetch", "AskUserQuestion"])  # fmt: skip
    if tool == "Bash":
        return tool, {"command": rng.choice(COMMANDS)}
    path = rng.choice(PATHS)
    full = path if path.startswith(("/", "~")) else str(cwd / path)
    if tool in ("Read", "Write", "Edit"):
        return tool, {"file_path": full, "content": "", "old_string": "a", "new_string": "b"}
    if tool == "Glob":
        return tool, {"pattern": "*", "path": full}
    if tool == "WebFetch":
        return tool, {"url": rng.choice(["https://example.com", "https://evil.io"]), "prompt": "p"}
    if tool == "Agent":
        return tool, {"prompt": "p", "description": "d"}
    return tool, {"a": rng.randint(0, 9)}


#: For a disallowed rule: the tools it aims at and an input it denies.
TARGETS: dict[str, tuple[set[str], dict[str, Any]]] = {
    "Bash(rm:*)": ({"Bash"}, {"command": "ls; rm -rf x"}),
    "Bash(curl:*)": ({"Bash"}, {"command": "curl x | sh"}),
    "Bash(git push:*)": ({"Bash"}, {"command": "git push --force"}),
    "Bash(sudo:*)": ({"Bash"}, {"command": "sudo ls"}),
    "Edit(./secret/**)": ({"Write", "Edit"}, {"file_path": "secret/k"}),
    "Edit(/etc/**)": ({"Write", "Edit"}, {"file_path": "/etc/passwd"}),
    "Read(*.env)": ({"Read"}, {"file_path": "a/.env"}),
    "Read(//etc/**)": ({"Read"}, {"file_path": "/etc/passwd"}),
}


def replacement_input(rng: random.Random, cwd: Path, tool: str, disallowed: list[str]) -> dict[str, Any]:
    """An input a hook or callback swaps in: most of the time one a disallowed rule denies."""
    aimed = [TARGETS[r][1] for r in disallowed if r in TARGETS and tool in TARGETS[r][0]]
    if aimed and rng.random() < 0.7:
        chosen = dict(rng.choice(aimed))
        if "file_path" in chosen and not chosen["file_path"].startswith("/"):
            chosen["file_path"] = str(cwd / chosen["file_path"])
        return chosen
    _, other = random_call(rng, cwd)
    return other


def random_callback(rng: random.Random, cwd: Path, tool: str, disallowed: list[str]) -> tuple[Any, list[int]]:
    calls: list[int] = []
    kind = rng.choice(
        ["none", "allow", "update", "deny", "interrupt", "raise", "wrong", "permissions", "mutate"]
    )
    if kind == "none":
        return None, calls
    other = replacement_input(rng, cwd, tool, disallowed)

    async def callback(name: str, tool_input: dict[str, Any], context: ToolPermissionContext) -> Any:
        calls.append(1)
        if kind == "allow":
            return PermissionResultAllow()
        if kind == "update":
            return PermissionResultAllow(updated_input=other)
        if kind == "mutate":
            tool_input.clear()
            tool_input.update(other)
            return PermissionResultAllow()
        if kind == "deny":
            return PermissionResultDeny(message="no")
        if kind == "interrupt":
            return PermissionResultDeny(message="stop", interrupt=True)
        if kind == "raise":
            raise RuntimeError("boom")
        if kind == "permissions":
            picked = parse_rule(rng.choice(DENY_POOL))
            rule = PermissionRuleValue(picked.tool, picked.specifier)
            behavior = rng.choice(["allow", "deny"])
            change = rng.choice(["addRules", "removeRules", "replaceRules"])
            return PermissionResultAllow(
                updated_permissions=[
                    PermissionUpdate(type=change, rules=[rule], behavior=behavior),  # type: ignore[arg-type]
                    PermissionUpdate(type="setMode", mode=rng.choice(["bypassPermissions", "default"])),
                ]
            )
        return "yes"

    return callback, calls


def random_hooks(
    rng: random.Random, cwd: Path, tool: str, disallowed: list[str]
) -> dict[str, list[HookMatcher]] | None:
    kind = rng.choice(
        ["none", "empty", "allow", "deny", "ask", "update", "raise", "stop", "defer", "request"]
    )
    if kind == "none":
        return None
    if kind == "request":
        behaviour = rng.choice([{"behavior": "allow"}, {"behavior": "deny", "message": "m"}])
        output = {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": behaviour}}
        return {"PermissionRequest": [HookMatcher(hooks=[hook_answer(output)])]}
    other = replacement_input(rng, cwd, tool, disallowed)

    async def callback(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
        if kind == "raise":
            raise ValueError("hook bug")
        if kind == "stop":
            return {"continue_": False}
        if kind == "empty":
            return {}
        specific: dict[str, Any] = {"hookEventName": "PreToolUse"}
        if kind == "update":
            specific["updatedInput"] = other
            specific["permissionDecision"] = rng.choice(["allow", "ask"])
        else:
            specific["permissionDecision"] = kind
        return {"hookSpecificOutput": specific}

    return {
        "PreToolUse": [
            HookMatcher(matcher=rng.choice([None, "Bash", "mcp__.*", "Read|Write"]), hooks=[callback])
        ]
    }


def disallowed_match(rules: list[str], tool: str, tool_input: dict[str, Any], cwd: Path) -> bool:
    return any(rule_matches(parse_rule(r), tool, tool_input, cwd, for_deny=True) for r in rules)


@pytest.mark.anyio
async def test_a_denied_call_is_never_cleared_to_run_over_random_policies(tmp_path: Path) -> None:
    """For 400 seeded random policies and calls: a call a disallowed rule matches is never allowed
    (neither as the model sent it nor as it would run), and every denial tells the caller not to run
    and gives the model a message; the permission_denied notice only comes when no one was asked."""
    rng = random.Random(20240917)
    for case in range(400):
        allowed = rng.sample(ALLOW_POOL, rng.randint(0, 4))
        disallowed = rng.sample(DENY_POOL, rng.randint(0, 5))
        mode = rng.choice([None, *PERMISSION_MODES])
        tool, tool_input = random_call(rng, tmp_path)
        callback, calls = random_callback(rng, tmp_path, tool, disallowed)
        gate = make_gate(
            tmp_path,
            allowed=tuple(allowed),
            disallowed=tuple(disallowed),
            mode=mode,
            can_use_tool=callback,
            hooks=random_hooks(rng, tmp_path, tool, disallowed),
        )
        decision = await gate.decide(
            tool, dict(tool_input), f"toolu_{case}", facts_for(tool, tool_input, tmp_path)
        )
        policy = f"case {case}: {tool} {tool_input} allowed={allowed} disallowed={disallowed} mode={mode}"
        if disallowed_match(disallowed, tool, tool_input, tmp_path):
            assert not decision.allow, policy
        if decision.allow:
            assert not disallowed_match(disallowed, tool, decision.tool_input, tmp_path), policy
            assert isinstance(decision.tool_input, dict), policy
        else:
            assert decision.message, policy
            assert decision.deferred or decision.denial_record == {
                "tool_name": tool,
                "tool_use_id": f"toolu_{case}",
                "tool_input": observable_input(tool, tool_input, tmp_path),  # a file path made absolute
            }, policy
        if decision.emit_denied_system_message:
            assert not decision.allow and calls == [], policy


@pytest.mark.anyio
@pytest.mark.parametrize(
    "command",
    [
        'echo "$(rm x)"',
        "for f in *; do rm $f; done",
        "cat <<EOF\n$(rm y)\nEOF",
        '[ -n "$(rm z)" ] && echo ok',
        "export X=$(rm w)",
        "echo `rm v`",
        "cat <(rm u)",
        "if true; then sudo rm t; fi",
        "bash -c 'rm s'",
    ],
)
async def test_a_deny_rule_finds_its_command_wherever_the_bash_grammar_places_it(
    tmp_path: Path, command: str
) -> None:
    gate = make_gate(tmp_path, disallowed=("Bash(rm:*)",), mode="bypassPermissions")
    decision = await decide(gate, "Bash", {"command": command})
    assert not decision.allow, command
    assert decision.reason_type == "rule"


@pytest.mark.anyio
async def test_plan_mode_refuses_a_write_in_the_clis_words_naming_the_absolute_path(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, mode="plan")
    decision = await decide(gate, "Write", {"file_path": "NOTES.md", "content": "x"})
    assert not decision.allow and decision.emit_denied_system_message
    assert decision.message == f"Cannot write to {tmp_path / 'NOTES.md'} while in plan mode."
    assert decision.reason_type == "mode"
