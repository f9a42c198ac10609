"""Bash command lines read with tree-sitter-bash: the simple commands they run, when every word is plain.

The permission gate may run a command without asking only when it knows every word bash will pass.
``parse`` returns the simple commands of a line made of lists (``;`` ``&&`` ``||``), pipelines,
subshells, groups and redirections, each word with its quoting; anything else the grammar shows
(expansions, substitutions, functions, loops, assignments, here-documents that expand or write) or
anything it cannot place gives None: not understood.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

import tree_sitter
import tree_sitter_bash

__all__ = ["Redirect", "SimpleCommand", "Word", "all_commands", "parse"]

#: Statement nodes and the operator tokens each may hold; any other node means "not understood".
_STATEMENTS: dict[str, frozenset[str]] = {
    "program": frozenset({";", "\n"}),
    "list": frozenset({"&&", "||", ";", "\n"}),
    "pipeline": frozenset({"|", "|&"}),
    "subshell": frozenset({"(", ")", ";", "\n"}),
    "compound_statement": frozenset({"{", "}", ";", "\n"}),
    "negated_command": frozenset({"!"}),
}
#: Nodes read from their raw text as a whole (what lies between their tokens counts too).
_READ_WHOLE = frozenset({"comment", "heredoc_body", "string", "raw_string"})
#: Redirection operators that only duplicate or close descriptors when their target is a number or "-".
_DUPLICATING = frozenset({">&", "<&"})
_CLOSING = frozenset({">&-", "<&-"})
_WRITING = frozenset({">", ">>", ">|", "&>", "&>>", ">&"})
_READING = frozenset({"<", "<&"})
#: Characters an unquoted word never holds when bash reads it as one plain word.
_SHELL_SPECIAL = frozenset("$`(){}<>;&|")
#: Backslash escapes that mean the next character inside double quotes.
_DQ_ESCAPABLE = frozenset('$`"\\')
#: Text bash and the grammar may read differently: line continuations and unusual whitespace.
_AMBIGUOUS_TEXT = re.compile(
    r"\\\n|[\x00-\x08\x0b-\x1f\x7f\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
)


@dataclass(frozen=True)
class Word:
    """One word as bash passes it (quotes removed), with which of its characters were quoted."""

    text: str
    quoted: tuple[bool, ...]  # one per character of ``text``

    @property
    def glob(self) -> bool:
        """Whether bash would expand it as a pathname pattern (an unquoted ``*``, ``?`` or ``[…]``)."""
        unquoted = [c for c, q in zip(self.text, self.quoted, strict=True) if not q]
        if "*" in unquoted or "?" in unquoted:
            return True
        return "[" in unquoted and "]" in unquoted[unquoted.index("[") :]

    @property
    def tilde(self) -> bool:
        """Whether bash would expand a ``~`` in it (at the start, or after ``=`` or ``:``)."""
        for i, (c, q) in enumerate(zip(self.text, self.quoted, strict=True)):
            if c == "~" and not q and (i == 0 or self.text[i - 1] in "=:"):
                return True
        return False

    def tail(self, start: int) -> Word:
        """The word from character ``start`` on (the value attached to an option such as ``-ofile``)."""
        return Word(self.text[start:], self.quoted[start:])


@dataclass(frozen=True)
class Redirect:
    """A redirection: ``reads`` or ``writes`` a file named by ``target`` (None: descriptors only)."""

    target: Word | None
    writes: bool


@dataclass(frozen=True)
class SimpleCommand:
    """One command bash runs: its words (the program first) and its redirections."""

    words: tuple[Word, ...]
    redirects: tuple[Redirect, ...] = ()


class _NotUnderstood(Exception):
    """The line holds something the gate does not read; it is never run without asking."""


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def parse(command: str) -> list[SimpleCommand] | None:
    """The simple commands of ``command`` in the order written, or None when any part is not plain."""
    if _AMBIGUOUS_TEXT.search(command):
        return None
    data = command.encode("utf-8", errors="surrogatepass")
    root = _parser().parse(data).root_node
    if root.has_error or not _fully_covered(root, data):
        return None
    out: list[SimpleCommand] = []
    try:
        _statement(root, out)
    except _NotUnderstood:
        return None
    return out


#: Nodes that hold a command's words; a word node inside them is read leniently (see `_loose_word`).
_COMMAND_NODES = frozenset({"command", "declaration_command", "unset_command"})
_DECLARING = frozenset({"export", "declare", "local", "readonly", "typeset", "unset", "unsetenv"})
#: Nodes that run the commands inside them in a shell of their own; they never give words outside.
_NESTED = frozenset({"command_substitution", "process_substitution"})
#: A command's children that are no words of it (redirections, here-documents).
_NOT_WORDS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect", "heredoc_body"})


def all_commands(command: str) -> list[tuple[str, ...]]:
    """The words of every simple command anywhere in ``command``, substitutions included, for rules.

    Unlike `parse` this never refuses: words that expand are kept as written (``$HOME``) and the
    commands inside ``$(…)``, backticks and ``<(…)`` come out as commands of their own, so a deny
    rule sees ``rm`` in ``echo "$(rm x)"``. Parts the grammar cannot place are read as plain words.
    """
    data = command.encode("utf-8", errors="surrogatepass")
    out: list[tuple[str, ...]] = []
    stack = [_parser().parse(data).root_node]
    while stack:
        node = stack.pop()
        if node.type == "test_command":  # [[ … ]] / [ … ]: its words as written
            out.append(tuple(_text(node).split()))
            stack.extend(reversed(_nested_in(node)))
        elif node.type in _COMMAND_NODES:
            words, nested = _command_words(node)
            out.append(words)
            stack.extend(reversed(nested))
        elif node.type == "ERROR":  # what the grammar could not place: its plain words, as one part
            out.append(tuple(_text(node).split()))
            stack.extend(reversed(node.children))
        else:
            stack.extend(reversed(node.children))
    return [words for words in out if words]


def _command_words(node: tree_sitter.Node) -> tuple[tuple[str, ...], list[tree_sitter.Node]]:
    """A command node's words (quotes removed where plain) and the nested commands inside them."""
    words: list[str] = []
    nested: list[tree_sitter.Node] = []
    for child in node.children:
        if child.type in _NOT_WORDS:
            nested.extend(_nested_in(child))
            continue
        if not child.is_named:
            if child.type in _DECLARING:  # export, declare, local, readonly, typeset, unset
                words.append(child.type)
            continue
        target = child.named_children[0] if child.type == "command_name" and child.named_children else child
        words.append(_loose_word(target))
        nested.extend(_nested_in(target))
    return tuple(words), nested


def _nested_in(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The substitutions inside ``node``: their commands are read as commands of their own."""
    found: list[tree_sitter.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in _NESTED:
            found.append(current)
        else:
            stack.extend(reversed(current.children))
    return found


def _loose_word(node: tree_sitter.Node) -> str:
    """A word as bash passes it when it is plain; else its text as written, substitutions left out."""
    try:
        return _word(node).text
    except _NotUnderstood:
        pass
    pieces: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in _NESTED:
            continue
        if current.child_count == 0:
            text = _text(current)
            pieces.append(text if current.type not in ('"', "'") else "")
        elif current.type == "raw_string":
            pieces.append(_text(current)[1:-1])
        else:
            stack.extend(reversed(current.children))
    return "".join(pieces)


def _fully_covered(root: tree_sitter.Node, data: bytes) -> bool:
    """Every byte belongs to a token, a comment or whitespace between them: nothing the grammar skipped."""
    end = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.child_count == 0 or node.type in _READ_WHOLE:
            if data[end : node.start_byte].strip(b" \t\n"):
                return False
            end = max(end, node.end_byte)
            continue
        stack.extend(reversed(node.children))
    return not data[end:].strip(b" \t\n")


def _statement(node: tree_sitter.Node, out: list[SimpleCommand]) -> None:
    kind = node.type
    if kind == "command":
        _command(node, out)
    elif kind == "redirected_statement":
        body, *redirects = node.children
        _statement(body, out)
        found: list[Redirect] = []
        extra: list[Word] = []
        previous = body
        for child in redirects:
            if child.start_byte == previous.end_byte and _has_descriptor(child):
                raise _NotUnderstood  # a2>x: bash reads "a2" as a word, not 2 as a descriptor
            redirect, words = _redirect(child)
            found.append(redirect)
            extra += words
            previous = child
        if extra:  # cmd >out more: "more" is an argument of cmd
            if body.type != "command":
                raise _NotUnderstood
            out[-1] = SimpleCommand((*out[-1].words, *extra), out[-1].redirects)
        out.append(SimpleCommand((), tuple(found)))
    elif kind in _STATEMENTS:
        for child in node.children:
            if child.type == "comment":
                continue
            if child.is_named:
                _statement(child, out)
            elif child.type not in _STATEMENTS[kind]:
                raise _NotUnderstood
    else:
        raise _NotUnderstood


def _command(node: tree_sitter.Node, out: list[SimpleCommand]) -> None:
    """A simple command. Pieces the grammar gives apart but nothing separates (``''\\0``) are one
    word to bash, so they are joined here."""
    words: list[list[tuple[str, bool]]] = []
    redirects: list[Redirect] = []
    previous: tree_sitter.Node | None = None
    for child in node.children:
        adjacent = previous is not None and child.start_byte == previous.end_byte
        after_word = adjacent and previous is not None and not _is_redirect(previous)
        if _is_redirect(child):
            if after_word and _has_descriptor(child):
                raise _NotUnderstood
            redirect, extra = _redirect(child)
            redirects.append(redirect)
            words += [list(zip(w.text, w.quoted, strict=True)) for w in extra]
        elif child.type == "command_name" or words:
            if child.type == "command_name" and (words or child.named_child_count != 1):
                raise _NotUnderstood
            target = child.named_children[0] if child.type == "command_name" else child
            chars: list[tuple[str, bool]] = []
            _pieces(target, chars)
            if adjacent and not after_word:
                raise _NotUnderstood  # >a''b split by the grammar: which word does ''b belong to?
            if after_word:
                words[-1] += chars
            else:
                words.append(chars)
        else:
            raise _NotUnderstood  # an assignment (X=1 cmd) or anything before the program name
        previous = child
    if not words:
        raise _NotUnderstood
    out.append(
        SimpleCommand(
            tuple(Word("".join(c for c, _ in w), tuple(q for _, q in w)) for w in words), tuple(redirects)
        )
    )


def _is_redirect(node: tree_sitter.Node) -> bool:
    return node.type in ("file_redirect", "herestring_redirect", "heredoc_redirect")


def _has_descriptor(node: tree_sitter.Node) -> bool:
    return any(c.type == "file_descriptor" for c in node.children)


def _redirect(node: tree_sitter.Node) -> tuple[Redirect, list[Word]]:
    """A redirection, and words the grammar put after its target that bash gives the command."""
    if node.type == "herestring_redirect":
        if node.named_child_count != 1:
            raise _NotUnderstood
        _word(node.named_children[0])  # its text must be plain; it only feeds stdin
        return Redirect(None, writes=False), []
    if node.type == "heredoc_redirect":
        return _heredoc(node), []
    if node.type != "file_redirect":
        raise _NotUnderstood
    operators = [c.type for c in node.children if not c.is_named]
    nodes = [c for c in node.children if c.is_named and c.type != "file_descriptor"]
    if len(operators) != 1 or any(a.end_byte == b.start_byte for a, b in itertools.pairwise(nodes)):
        raise _NotUnderstood
    op = operators[0]
    words = [_word(n) for n in nodes]
    if op in _CLOSING and not words:
        return Redirect(None, writes=False), []
    if not words:
        raise _NotUnderstood
    target, extra = words[0], words[1:]
    if op in _DUPLICATING and re.fullmatch(r"\d+|-", target.text):
        return Redirect(None, writes=False), extra
    if op in _WRITING:
        return Redirect(target, writes=True), extra
    if op in _READING:
        return Redirect(target, writes=False), extra
    raise _NotUnderstood  # <> opens for writing too; anything newer is unknown


def _heredoc(node: tree_sitter.Node) -> Redirect:
    """A here-document only feeds stdin: allowed when its body expands nothing and nothing else is
    attached to it (a pipeline or a redirection to a file after ``<<EOF``)."""
    for child in node.children:
        if child.type in ("<<", "<<-", "heredoc_start", "heredoc_end"):
            continue
        if child.type == "heredoc_body" and all(c.type == "heredoc_content" for c in child.named_children):
            continue
        raise _NotUnderstood
    return Redirect(None, writes=False)


def _word(node: tree_sitter.Node) -> Word:
    """The word bash passes for an argument node; _NotUnderstood when it expands anything."""
    chars: list[tuple[str, bool]] = []
    _pieces(node, chars)
    return Word("".join(c for c, _ in chars), tuple(q for _, q in chars))


def _pieces(node: tree_sitter.Node, chars: list[tuple[str, bool]]) -> None:
    kind = node.type
    text = _text(node)
    if kind == "concatenation":
        for child in node.children:
            _pieces(child, chars)
    elif kind in ("word", "number"):
        _unquoted(text, chars)
    elif kind == "raw_string":
        if len(text) < 2 or not (text.startswith("'") and text.endswith("'")):
            raise _NotUnderstood
        chars.extend((c, True) for c in text[1:-1])
    elif kind == "string":
        if any(c.type not in ('"', "string_content") for c in node.children):
            raise _NotUnderstood  # $var, $(…), `…` inside double quotes
        if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
            raise _NotUnderstood
        _double_quoted(text[1:-1], chars)  # the raw text: the grammar leaves blanks out of its nodes
    else:
        raise _NotUnderstood


def _unquoted(text: str, chars: list[tuple[str, bool]]) -> None:
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text):
                raise _NotUnderstood
            chars.append((text[i + 1], True))
            i += 2
            continue
        if c in _SHELL_SPECIAL or c.isspace() or c in "'\"":
            raise _NotUnderstood
        chars.append((c, False))
        i += 1


def _double_quoted(text: str, chars: list[tuple[str, bool]]) -> None:
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in _DQ_ESCAPABLE:
            chars.append((text[i + 1], True))
            i += 2
            continue
        if c in "$`" or (c == "\\" and i + 1 >= len(text)):
            raise _NotUnderstood
        chars.append((c, True))
        i += 1


def _text(node: tree_sitter.Node) -> str:
    raw = node.text
    return raw.decode("utf-8", errors="surrogatepass") if raw is not None else ""
