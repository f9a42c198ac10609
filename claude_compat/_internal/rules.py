"""Permission rules as Claude writes them (``Bash(git:*)``, ``Read(./src/**)``, ``mcp__srv``): parse, match.

A rule is a tool name with an optional specifier. Bash specifiers match commands (``git:*`` is a
prefix, ``*`` a wildcard, anything else the exact command); Read and Edit specifiers are
gitignore-style path globs (relative to cwd, ``//`` absolute, ``~/`` from home); ``mcp__server``
covers every tool of that server. A compound command (``a && b``) is judged part by part: a deny
rule matches when any part matches, an allow rule only when every part does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidOptionError
from .shell import all_commands

__all__ = [
    "ASSIGNMENT",
    "EDIT_TOOLS",
    "READ_TOOLS",
    "CommandPart",
    "Rule",
    "canonical_tool",
    "parse_rule",
    "rule_matches",
    "split_command",
    "tool_path",
]

#: Tools an ``Edit(...)`` path rule covers, and tools a ``Read(...)`` path rule covers.
EDIT_TOOLS = frozenset({"Edit", "Write", "NotebookEdit", "MultiEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "NotebookRead", "LS"})

#: Old tool names rules may still use → the name the tool has now.
_ALIASES = {"Task": "Agent"}

#: Which input field holds the path a file tool touches (None: the tool's default, cwd).
_PATH_FIELDS = {
    "Read": "file_path",
    "Edit": "file_path",
    "Write": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
    "NotebookRead": "notebook_path",
    "Glob": "path",
    "Grep": "path",
    "LS": "path",
}

_TOOL_NAME = re.compile(r"[A-Za-z0-9_.\-]+\*?")


@dataclass(frozen=True)
class Rule:
    """One permission rule: ``tool`` and an optional ``specifier`` (None = the whole tool)."""

    tool: str
    specifier: str | None = None

    def __str__(self) -> str:
        return self.tool if self.specifier is None else f"{self.tool}({self.specifier})"


def parse_rule(text: str) -> Rule:
    """Parse ``Tool``, ``Tool()``, ``Tool(*)`` or ``Tool(specifier)``; InvalidOptionError otherwise."""
    if not isinstance(text, str):
        raise InvalidOptionError(
            f"permission rule {text!r} is not a string; write rules such as 'Read' or 'Bash(git:*)'"
        )
    raw = text.strip()
    specifier: str | None = None
    name = raw
    if "(" in raw:
        open_at = raw.index("(")
        if not raw.endswith(")"):
            raise InvalidOptionError(
                f"permission rule {text!r} has no closing parenthesis; "
                "write Tool(specifier), e.g. Bash(git:*)"
            )
        name = raw[:open_at].strip()
        specifier = raw[open_at + 1 : -1].strip()
        if specifier in ("", "*"):
            specifier = None
    elif ")" in raw:
        raise InvalidOptionError(
            f"permission rule {text!r} has a ')' without '('; write Tool(specifier), e.g. Bash(git:*)"
        )
    if not _TOOL_NAME.fullmatch(name):
        raise InvalidOptionError(
            f"permission rule {text!r} does not start with a tool name; write a tool name such as "
            "'Read', 'Bash(git:*)' or 'mcp__server__tool'"
        )
    return Rule(name, specifier)


def canonical_tool(name: str) -> str:
    """The current name of a tool (``Task`` → ``Agent``)."""
    return _ALIASES.get(name, name)


def rule_matches(
    rule: Rule,
    tool_name: str,
    tool_input: dict[str, Any],
    cwd: Path,
    *,
    for_deny: bool = False,
) -> bool:
    """Whether ``rule`` covers this call. ``for_deny`` reads ambiguous calls the strict way:
    any part of a compound command, and either spelling of a path (as given or symlinks resolved)."""
    rule_tool = canonical_tool(rule.tool)
    tool = canonical_tool(tool_name)
    if rule_tool.startswith("mcp__") or tool.startswith("mcp__"):
        return rule.specifier is None and _mcp_matches(rule_tool, tool)
    if rule.specifier is None:
        return rule_tool == tool
    if rule_tool == "Bash":
        return tool == "Bash" and _bash_matches(rule.specifier, tool_input, for_deny=for_deny)
    if (rule_tool == "Read" and tool in READ_TOOLS) or (rule_tool == "Edit" and tool in EDIT_TOOLS):
        path = tool_path(tool, tool_input, cwd)
        return path is not None and _path_rule_matches(rule.specifier, path, cwd, for_deny=for_deny)
    if rule_tool != tool:
        return False
    if tool == "WebFetch":
        return _domain_matches(rule.specifier, tool_input)
    if tool == "Agent":
        return _field_equals(tool_input, "subagent_type", rule.specifier)
    if tool == "Skill":
        return _field_equals(tool_input, "skill", rule.specifier) or _field_equals(
            tool_input, "command", rule.specifier
        )
    return False


def _mcp_matches(rule_tool: str, tool: str) -> bool:
    """``mcp__srv`` and ``mcp__srv__*`` cover all tools of ``srv``; ``mcp__srv__tool`` just that tool."""
    if rule_tool == tool:
        return True
    server = rule_tool[:-3] if rule_tool.endswith("__*") else rule_tool
    if server.count("__") != 1:  # a full tool name that differs, or a malformed one
        return False
    return tool.startswith(server + "__")


def _field_equals(tool_input: dict[str, Any], key: str, expected: str) -> bool:
    value = tool_input.get(key)
    return isinstance(value, str) and value.strip() == expected


def _domain_matches(specifier: str, tool_input: dict[str, Any]) -> bool:
    """``domain:example.com`` covers that host and its subdomains."""
    if not specifier.startswith("domain:"):
        return False
    domain = specifier[len("domain:") :].strip().lower()
    url = tool_input.get("url")
    if not isinstance(url, str) or not domain:
        return False
    host = (urlsplit(url.strip()).hostname or "").lower()
    return host == domain or host.endswith("." + domain)


# --- Bash commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandPart:
    """One simple command of a shell line: its words, quotes removed where plain."""

    words: tuple[str, ...]


def split_command(command: str) -> list[CommandPart]:
    """The simple commands of a shell line, read with the Bash grammar (tree-sitter-bash).

    Commands inside substitutions are parts of their own, so ``echo "$(rm x)"`` yields ``rm x``.
    """
    return [CommandPart(words) for words in all_commands(command)]


#: Words that run the command after them (``sudo rm x`` is an ``rm``), and shell keywords that
#: may precede a command; both are skipped when a deny rule looks for the command.
_WRAPPERS = frozenset({"sudo", "doas", "env", "nohup", "time", "command", "exec", "nice", "builtin", "xargs"})
_KEYWORDS = frozenset({"{", "}", "!", "if", "then", "else", "elif", "do", "while", "until", "done", "fi"})
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh"})
#: A shell variable assignment word (``FOO=1``).
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")


def _unwrapped(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words with leading assignments, keywords and wrappers (``sudo -u x``, ``timeout 5``) removed."""
    i = 0
    while i < len(words):
        w = words[i]
        if ASSIGNMENT.fullmatch(w) or w in _WRAPPERS or w in _KEYWORDS:
            i += 1
        elif w.startswith("-") and i > 0 and words[i - 1] in _WRAPPERS | {"-u", "-n"}:
            i += 1
        elif w == "timeout" and i + 1 < len(words):
            i += 2
        else:
            break
    return words[i:]


def _inner_commands(words: tuple[str, ...]) -> list[str]:
    """Command strings a part runs itself: ``bash -c "..."``, ``eval ...``."""
    if not words:
        return []
    if words[0] == "eval":
        return [" ".join(words[1:])]
    if Path(words[0]).name in _SHELLS and "-c" in words[1:]:
        at = words.index("-c", 1)
        return [words[at + 1]] if at + 1 < len(words) else []
    return []


def _deny_parts(command: str, depth: int = 0) -> list[tuple[str, ...]]:
    """Every word list a deny rule is checked against: each part, unwrapped, and commands run by
    ``bash -c`` / ``eval`` inside it."""
    parts = split_command(command)
    out: list[tuple[str, ...]] = []
    for part in parts:
        bare = _unwrapped(part.words)
        out += [part.words, bare]
        if depth < 3:
            for inner in _inner_commands(bare):
                out += _deny_parts(inner, depth + 1)
    return out


def _bash_matches(specifier: str, tool_input: dict[str, Any], *, for_deny: bool) -> bool:
    command = tool_input.get("command")
    if not isinstance(command, str):
        return False
    if "*" not in specifier and " ".join(command.split()) == " ".join(specifier.split()):
        return True  # an exact rule written for the whole line
    matcher = _command_matcher(specifier)
    if for_deny:
        return any(matcher(words) for words in _deny_parts(command))
    parts = split_command(command)
    return bool(parts) and all(matcher(p.words) for p in parts)


def _command_matcher(specifier: str) -> Any:
    """A predicate over a part's words for a Bash specifier (prefix ``x:*``, wildcard, or exact)."""
    if specifier.endswith(":*"):
        prefix = _words_of(specifier[:-2])
        return lambda words: len(words) >= len(prefix) > 0 and tuple(words[: len(prefix)]) == prefix
    if "*" in specifier:
        pattern = _wildcard_regex(specifier)
        return lambda words: pattern.fullmatch(" ".join(words)) is not None
    exact = _words_of(specifier)
    return lambda words: tuple(words) == exact


def _words_of(text: str) -> tuple[str, ...]:
    parts = split_command(text)
    if len(parts) == 1:
        return parts[0].words
    return tuple(text.split())


def _wildcard_regex(specifier: str) -> re.Pattern[str]:
    """``*`` matches anything; a trailing `` *`` also matches the bare command (``ls *`` covers ``ls``)."""
    text = " ".join(specifier.split())
    tail = ""
    if text.endswith(" *"):
        text, tail = text[:-2], "(?: .*)?"
    body = ".*".join(re.escape(piece) for piece in text.split("*"))
    return re.compile(body + tail, re.DOTALL)


# --- file paths ------------------------------------------------------------------------------


def tool_path(tool: str, tool_input: dict[str, Any], cwd: Path) -> Path | None:
    """The absolute path a file tool touches (Glob/Grep default to cwd); None when there is none."""
    key = _PATH_FIELDS.get(canonical_tool(tool))
    if key is None:
        return None
    value = tool_input.get(key)
    if value is None or value == "":
        if key == "path":
            return Path(os.path.normpath(cwd))
        return None
    if not isinstance(value, str):
        return None
    return Path(os.path.normpath(cwd / os.path.expanduser(value)))


def _path_rule_matches(specifier: str, path: Path, cwd: Path, *, for_deny: bool) -> bool:
    """Match a gitignore-style path glob; the path as given and with symlinks resolved must both
    match an allow rule, either may match a deny rule."""
    candidates = {str(path)}
    try:
        candidates.add(str(path.resolve()))
    except (OSError, RuntimeError):
        pass
    roots = _roots(specifier, cwd, for_deny=for_deny)
    results = [any(_glob_under(pattern, root, c) for pattern, root in roots) for c in candidates]
    return any(results) if for_deny else all(results)


def _roots(specifier: str, cwd: Path, *, for_deny: bool) -> list[tuple[str, str]]:
    """(pattern, root) pairs: ``//x`` from /, ``~/x`` from home, ``/x`` and ``x`` from cwd.

    As in Claude, ``/x`` is relative to cwd; a deny rule also reads it as absolute, so writing an
    absolute path in ``disallowed_tools`` never denies less than it says."""
    home = os.path.expanduser("~")
    if specifier.startswith("//"):
        return [(specifier[1:], "/")]
    if specifier.startswith("~/"):
        return [(specifier[1:], home)]
    if specifier.startswith("/"):
        roots = [(specifier, str(cwd))]
        if for_deny:
            roots.append((specifier, "/"))
        return roots
    return [(specifier[2:] if specifier.startswith("./") else specifier, str(cwd))]


def _glob_under(pattern: str, root: str, path: str) -> bool:
    """gitignore semantics: a leading or inner ``/`` anchors at root, otherwise any depth matches;
    ``**`` spans directories; a pattern naming a directory covers everything below it."""
    rel = os.path.relpath(path, os.path.normpath(root))
    if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
        return rel == "." and pattern.strip("/") in ("", "**")
    segments = tuple(s for s in rel.split(os.sep) if s)
    anchored = pattern.startswith("/")
    body = pattern.strip("/")
    if body.endswith("/**"):
        body = body[:-3]
    if body in ("", "**"):
        return True
    pat = tuple(s for s in body.split("/") if s and s != ".")
    if anchored or len(pat) > 1:  # the path itself or anything below it
        return _match_segments(segments, (*pat, "**"))
    return any(_fnmatch(s, pat[0]) for s in segments)  # a bare name matches at any depth


def _match_segments(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_segments(path[k:], rest) for k in range(len(path) + 1))
    return bool(path) and _fnmatch(path[0], head) and _match_segments(path[1:], rest)


def _fnmatch(name: str, pattern: str) -> bool:
    """Case-sensitive glob of one path segment (``*``, ``?``, ``[…]``; ``*`` never crosses ``/``)."""
    regex = _SEGMENT_CACHE.get(pattern)
    if regex is None:
        regex = re.compile(_translate_segment(pattern))
        _SEGMENT_CACHE[pattern] = regex
    return regex.fullmatch(name) is not None


_SEGMENT_CACHE: dict[str, re.Pattern[str]] = {}


def _translate_segment(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            close = pattern.find("]", i + 1)
            if close == -1:
                out.append(re.escape(ch))
            else:
                inner = pattern[i + 1 : close].replace("\\", "\\\\")
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append(f"[{inner}]")
                i = close
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)
