"""ToolSearch: the CLI's deferred tools, offered to the model only once it has loaded them by name or keyword.

The Claude CLI keeps some of its tools out of a session's first request (see
:data:`cli_facts.DEFERRED_TOOLS`); a reminder names them, and the model loads them with ToolSearch
(``select:A,B``, or keywords). On Letta a loaded tool joins the session's client tools from the next
model request on. The model reads the loaded tools' definitions in the ToolSearch result, in the
``<functions>`` form the CLI's description of the tool names; the program sees the CLI's result:
one ``tool_reference`` part per match and ``{"matches", "query", "total_deferred_tools"}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import cli_facts
from .tool_types import ToolOutcome

__all__ = [
    "SearchMode",
    "deferred_of",
    "defers",
    "reminder",
    "search",
    "search_mode",
    "search_outcome",
    "tool_spec",
]

#: claude-compat's own words for the tool, for when the CLI's are not at hand (no real SDK installed).
DESCRIPTION = (
    "Loads deferred tools so they can be called. Deferred tools are named in a system reminder; their "
    "input schemas are not loaded until this tool returns them. Query with "
    '"select:Name1,Name2" for tools by exact name, or with keywords ("notebook edit") for the best '
    'matches by name and description ("+word" requires the word). The result lists each loaded '
    'tool as <function>{"description": ..., "name": ..., "parameters": ...}</function> inside a '
    "<functions> block; from then on it can be called like any other tool."
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {
            "type": "string",
            "description": 'Tools to load: "select:<name>[,<name>...]", or keywords to search for.',
        },
        "max_results": {
            "type": "number",
            "default": cli_facts.TOOL_SEARCH_MAX_RESULTS,
            "description": "The most tools a keyword search returns.",
        },
    },
    "required": ["query"],
    "additionalProperties": False,
}

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class SearchMode:
    """How the CLI decides on deferring for a session (from ``ENABLE_TOOL_SEARCH``): ``on`` defers,
    ``off`` defers nothing and drops ToolSearch, ``auto`` defers above ``percent`` of the context."""

    kind: str  # "on", "off" or "auto"
    percent: int = cli_facts.TOOL_SEARCH_AUTO_PERCENT


def search_mode(env: Mapping[str, str], model: str | None) -> SearchMode:
    """The CLI's tool-search mode for this environment and Claude model (None: the CLI's default)."""
    if model is not None and model.startswith(cli_facts.TOOL_SEARCH_UNSUPPORTED_MODELS):
        return SearchMode("off")
    if env.get(cli_facts.DISABLE_EXPERIMENTAL_BETAS_ENV, "").strip().lower() in cli_facts.TOOL_SEARCH_TRUE:
        return SearchMode("off")
    value = env.get(cli_facts.TOOL_SEARCH_ENV, "").strip()
    lowered = value.lower()
    if lowered.startswith("auto:"):
        try:
            percent = max(0, min(100, round(float(lowered[len("auto:") :]))))
        except ValueError:  # the CLI logs the bad value and goes on as with plain "auto"
            return SearchMode("auto")
        return SearchMode("on" if percent == 0 else "off" if percent == 100 else "auto", percent)
    if lowered == "auto":
        return SearchMode("auto")
    return SearchMode("off" if lowered in cli_facts.TOOL_SEARCH_FALSE else "on")


def defers(mode: SearchMode, deferrable: Sequence[Mapping[str, Any]], context_window: int) -> bool:
    """Whether the session defers its ``deferrable`` tools: always in ``on`` mode, never in ``off``;
    in ``auto`` when their definitions (name, description, schema) reach the CLI's share of the
    context window, counted in characters as the CLI counts them without a token count."""
    if mode.kind != "auto":
        return mode.kind == "on"
    threshold = math.floor(
        math.floor(context_window * mode.percent / 100) * cli_facts.TOOL_SEARCH_CHARS_PER_TOKEN
    )
    size = sum(
        len(str(t["name"]))
        + len(str(t.get("description", "")))
        + len(json.dumps(t.get("parameters", {}), separators=(",", ":")))
        for t in deferrable
    )
    return size >= threshold


def deferred_of(tool_set: Sequence[str], *, runnable: Collection[str]) -> list[str]:
    """The tools of a session's CLI ``tool_set`` that the CLI defers and claude-compat runs (``runnable``):
    none unless the set has ToolSearch."""
    if cli_facts.TOOL_SEARCH not in tool_set:
        return []
    return [name for name in tool_set if name in cli_facts.DEFERRED_TOOLS and name in runnable]


def tool_spec(cli_texts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """ToolSearch as a client tool: the CLI's description and schema when recorded, else the project's."""
    spec: dict[str, Any] = {"name": cli_facts.TOOL_SEARCH, "description": DESCRIPTION, "parameters": SCHEMA}
    return {**spec, **cli_texts.get(cli_facts.TOOL_SEARCH, {})}


def reminder(deferred: Sequence[str]) -> str:
    """The ``<system-reminder>`` naming the deferred tools (empty when there are none)."""
    if not deferred:
        return ""
    text = cli_facts.DEFERRED_TOOLS_REMINDER.format(names="\n".join(sorted(deferred)))
    return f"<system-reminder>\n{text}\n</system-reminder>"


def search(
    query: str, max_results: int, deferred: Sequence[Mapping[str, Any]], others: Sequence[Mapping[str, Any]]
) -> list[str]:
    """The names a ToolSearch query matches, best first.

    ``select:`` names tools exactly (deferred ones or any other the session has; unknown names are
    dropped); a query that is a tool's name gives that tool; other queries are keywords scored
    against the deferred tools' names and descriptions (:data:`cli_facts.TOOL_SEARCH_SCORES`).
    """
    every = {str(t["name"]): t for t in [*deferred, *others]}
    text = query.strip()
    if text.lower().startswith(cli_facts.TOOL_SEARCH_SELECT):
        picked: list[str] = []
        for raw in text[len(cli_facts.TOOL_SEARCH_SELECT) :].split(","):
            name = cli_facts.LEGACY_TOOL_NAMES.get(raw.strip(), raw.strip())
            if name in every and name not in picked:
                picked.append(name)
        return picked
    lowered = text.lower()
    exact = [name for name in every if name.lower() == lowered]
    if exact:
        return exact[:1]
    if lowered.startswith("mcp__") and len(lowered) > len("mcp__"):
        prefixed = [str(t["name"]) for t in deferred if str(t["name"]).lower().startswith(lowered)]
        if prefixed:
            return prefixed[:max_results]
    words = lowered.split()
    required = [w[1:] for w in words if w.startswith("+") and len(w) > 1]
    terms = required + [w for w in words if not (w.startswith("+") and len(w) > 1)]
    scored: list[tuple[int, str]] = []
    for tool in deferred:
        name = str(tool["name"])
        description = str(tool.get("description", "")).lower()
        if not all(_mentions(name, description, word) for word in required):
            continue
        score = sum(_score(name, description, word) for word in terms)
        if score > 0:
            scored.append((score, name))
    scored.sort(key=lambda item: -item[0])  # stable: equal scores keep the deferred tools' order
    return [name for _, name in scored[:max_results]]


def _parts(name: str) -> tuple[list[str], list[str], bool]:
    """A tool name's words (camel case and ``_`` split), its ``__`` segments, and whether it is MCP's."""
    is_mcp = name.startswith("mcp__")
    segments = [s.lower() for s in (name.split("__")[1:] if is_mcp else [name]) if s]
    words = [w.lower() for s in (name.split("__")[1:] if is_mcp else [name]) for w in _CAMEL.findall(s)]
    return words, segments, is_mcp


def _word_in(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9_-]){re.escape(word)}(?![a-z0-9_-])", text) is not None


def _mentions(name: str, description: str, word: str) -> bool:
    words, segments, _ = _parts(name)
    return any(word in w for w in words) or any(word in s for s in segments) or _word_in(description, word)


def _score(name: str, description: str, word: str) -> int:
    words, segments, is_mcp = _parts(name)
    points = cli_facts.TOOL_SEARCH_SCORES
    pick = 1 if is_mcp else 0
    score = 0
    if word in words:
        score += points["name_word"][pick]
    elif any(word in w for w in words):
        score += points["in_name_word"][pick]
    if word in segments:
        score += points["segment"][pick]
    elif any(word in s for s in segments):
        score += points["in_segment"][pick]
    if score == 0 and word in name.lower():
        score += points["in_name"][pick]
    if _word_in(description, word):
        score += points["description_word"][pick]
    return score


def search_outcome(
    query: str, matches: Sequence[str], specs: Mapping[str, Mapping[str, Any]], total: int
) -> ToolOutcome:
    """ToolSearch's result: the CLI's ``tool_reference`` parts for the program, definitions for the model."""
    structured = {"matches": list(matches), "query": query, "total_deferred_tools": total}
    if not matches:
        return ToolOutcome(cli_facts.TOOL_SEARCH_NO_MATCH, structured=structured)
    lines = [
        "<function>"
        + json.dumps(
            {
                "description": specs[name].get("description", ""),
                "name": name,
                "parameters": specs[name].get("parameters", {}),
            },
            ensure_ascii=False,
        )
        + "</function>"
        for name in matches
    ]
    functions = "<functions>\n" + "\n".join(lines) + "\n</functions>"
    return ToolOutcome(
        [{"type": "tool_reference", "tool_name": name} for name in matches],
        structured=structured,
        model_note=f"{functions}\n\n{cli_facts.TOOL_SEARCH_LOADED}",
    )
