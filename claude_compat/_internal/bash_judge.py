"""Whether a Bash command only reads, or only edits, inside the working directories, word by word.

A command qualifies only when every word is understood: the line parses into plain simple commands
(``shell.parse``), each program is in the tables of ``bash_readonly``, each option is one of its
safe options in any spelling getopt accepts (``-nr``, ``-k2``, ``-o value``, ``--key=2``, an
unambiguous ``--ke``), each value has the kind its option takes, and each path (operands, path
values, redirections, what a glob can match) resolves, symbolic links followed, inside the working
directories from every directory a ``cd`` earlier in the line may have left the shell in.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .bash_readonly import GIT, GIT_GLOBAL_OPTIONS, PROGRAMS, VALUE_CHECKS, Program
from .shell import SimpleCommand, Word, parse

__all__ = ["Shell", "Verdict", "judge"]

#: Value kinds read only from the option's own word (``--color=auto``), never from the next word.
_ATTACHED_ONLY = frozenset({"optional", "pretty"})
#: Value kinds that name files, checked as paths.
_PATH_KINDS = frozenset({"path", "file"})
#: Files outside the working directories that reading from or writing to reveals or changes nothing.
_HARMLESS_FILES = frozenset({"/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/zero"})
#: A glob over a directory with more entries than this is not checked entry by entry.
_MAX_GLOB_ENTRIES = 2000

BashKind = Literal["read", "edit"]


@dataclass(frozen=True)
class Shell:
    """Where the next Bash command starts, and the environment it runs with."""

    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """``kind``: every part only reads ("read"), or also edits files ("edit"), or None (not understood);
    ``inside``: every path it touches lies inside the working directories."""

    kind: BashKind | None
    inside: bool
    paths: tuple[Path, ...] = ()  # every file a word may name, for the sensitive-file check


class _Unknown(Exception):
    """A word the tables do not cover."""


def judge(command: str, shell: Shell, inside: Callable[[Path], bool]) -> Verdict:
    """Read ``command`` word by word; ``inside`` says whether a path (symlinks resolved) is allowed."""
    commands = parse(command)
    if not commands:
        return Verdict(None, True)
    reader = _Reader(shell, inside)
    try:
        for simple in commands:
            reader.command(simple)
    except _Unknown:
        return Verdict(None, reader.inside, tuple(reader.paths))
    return Verdict("edit" if reader.edits else "read", reader.inside, tuple(reader.paths))


class _Reader:
    """Walks the commands of one line, keeping every directory the shell may be in."""

    def __init__(self, shell: Shell, inside: Callable[[Path], bool]) -> None:
        self.cwds: set[Path] = {shell.cwd}
        self.cdpath = bool(shell.env.get("CDPATH"))
        self.env = shell.env
        self.paths: list[Path] = []
        self.allowed = inside
        self.inside = True
        self.edits = False

    def command(self, simple: SimpleCommand) -> None:
        for redirect in simple.redirects:
            if redirect.target is None:
                continue
            if redirect.writes and redirect.target.text != "/dev/null":
                self.edits = True
            if redirect.target.glob:
                raise _Unknown  # bash expands it only when it matches one file
            self.path(redirect.target, "path")
        if not simple.words:
            return
        name, args = simple.words[0], list(simple.words[1:])
        if name.glob or name.tilde or "/" in name.text:
            raise _Unknown
        if name.text == "cd":
            self.cd(args)
            return
        program = PROGRAMS.get(name.text)
        if name.text == "git":
            program, args = _git(args)
            if program is not None and not all(git_runs_no_program(cwd, self.env) for cwd in self.cwds):
                raise _Unknown
        if program is None:
            raise _Unknown
        for word, kind in _arguments(program, args):
            if kind in _PATH_KINDS:
                self.path(word, kind)
            elif word.glob or not VALUE_CHECKS[kind](word.text):
                raise _Unknown
        self.edits = self.edits or program.edits

    def cd(self, args: list[Word]) -> None:
        """``cd DIR`` adds the directories it may lead to; ``cd``, ``cd ~``, ``cd -`` lead outside."""
        while args and args[0].text in ("-L", "-P"):
            args = args[1:]
        if args and args[0].text == "--":
            args = args[1:]
        if len(args) != 1 or args[0].glob or args[0].tilde or args[0].text in ("", "-"):
            self.inside = False  # HOME, OLDPWD, a pattern: somewhere else
            return
        target = args[0].text
        explicit = target.startswith(("/", "./", "../")) or target in (".", "..")
        if self.cdpath and not explicit:
            self.inside = False  # CDPATH may send it anywhere
            return
        reached: set[Path] = set()
        for base in self.cwds:
            joined = base / target
            reached |= {Path(os.path.normpath(joined)), Path(os.path.realpath(joined))}
        if not all(self.allowed(p) for p in reached):
            self.inside = False
            return
        self.cwds |= reached

    def path(self, word: Word, kind: str) -> None:
        """Clear ``inside`` unless every file the word may name, from every possible cwd, is allowed."""
        if word.tilde:
            self.inside = False
            return
        if word.text in ("", "-") or word.text in _HARMLESS_FILES:
            return
        for base in self.cwds:
            for candidate in _candidates(word, base):
                self.paths.append(Path(os.path.normpath(candidate)))
                if not self.allowed(candidate) or (kind == "file" and candidate.is_dir()):
                    self.inside = False
                    return


def git_runs_no_program(cwd: Path, env: Mapping[str, str]) -> bool:
    """Whether git, started in ``cwd`` with ``env``, is configured to run no program of the
    repository's or the user's choosing (fsmonitor, diff and filter drivers, gpg, index hooks).

    A read-only git command reads the configuration that the repository itself holds, and a
    repository can be made to run anything; such a command is only proven safe when nothing is set.
    """
    if any(env.get(name) for name in _GIT_PROGRAM_ENV):
        return False
    probe = {**os.environ, **env, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        listed = subprocess.run(
            ["git", "config", "--list", "--includes", "-z"],
            cwd=cwd, env=probe, capture_output=True, timeout=_GIT_PROBE_SECONDS, check=False,
        )  # fmt: skip
        located = subprocess.run(
            ["git", "rev-parse", "--git-path", "hooks", "--show-toplevel"],
            cwd=cwd, env=probe, capture_output=True, timeout=_GIT_PROBE_SECONDS, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    if listed.returncode != 0:
        return False
    hook_dirs: list[Path] = []
    lines = located.stdout.decode("utf-8", "replace").splitlines() if located.returncode == 0 else []
    if lines:
        hook_dirs.append(cwd / lines[0])
    for entry in listed.stdout.split(b"\0"):
        key, _, value = entry.decode("utf-8", "replace").partition("\n")
        key, value = key.lower(), value.strip()
        if _GIT_PROGRAM_KEY.fullmatch(key) and value.lower() not in _GIT_OFF:
            return False
        if key == "core.hookspath" and value:
            hook_dirs += [Path(base) / os.path.expanduser(value) for base in [str(cwd), *lines[1:2]]]
    return not any((d / hook).exists() for d in hook_dirs for hook in _GIT_READ_HOOKS)


#: Configuration keys that make a reading git command run a program (drivers, monitors, signers).
_GIT_PROGRAM_KEY = re.compile(
    r"core\.fsmonitor|diff\.external|diff\..+\.(textconv|command)|filter\..+\.(clean|smudge|process)"
    r"|gpg\.program|gpg\..+\.program|log\.showsignature"
)
#: Values that switch such a key off.
_GIT_OFF = frozenset({"", "false", "no", "off", "0"})
#: Environment variables that make git run a program.
_GIT_PROGRAM_ENV = ("GIT_EXTERNAL_DIFF", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT")
#: Hooks a reading command can trigger (``git status`` may refresh and write the index).
_GIT_READ_HOOKS = ("post-index-change", "reference-transaction")
#: How long the configuration probe may take before the command counts as not understood.
_GIT_PROBE_SECONDS = 5.0


def _git(args: list[Word]) -> tuple[Program | None, list[Word]]:
    """The table of ``git [--no-pager] SUB``, and SUB's arguments."""
    while args and args[0].text in GIT_GLOBAL_OPTIONS:
        args = args[1:]
    if not args or args[0].glob:
        return None, args
    return GIT.get(args[0].text), args[1:]


def _arguments(program: Program, args: list[Word]) -> list[tuple[Word, str]]:
    """Every word that carries a value or operand, with its kind; _Unknown for anything else."""
    out: list[tuple[Word, str]] = []
    operands: list[Word] = []
    seen: set[str] = set()
    i = 0
    while i < len(args):
        word = args[i]
        text = word.text
        i += 1
        if program.no_options or text == "-" or (not text.startswith("-") and text not in program.options):
            operands.append(word)
            continue
        if word.glob:
            raise _Unknown  # -* and the like: bash would turn file names into options
        if text == "--" and not program.words:
            operands += args[i:]
            break
        name, value, taken = _option(program, word, args[i] if i < len(args) else None)
        i += taken
        seen.add(name)
        if value is not None:
            out.append((value, program.options[name]))
    if operands and (
        program.operands == "none" or (program.operands_need and not seen & program.operands_need)
    ):
        raise _Unknown
    if program.max_operands is not None and len(operands) > program.max_operands:
        raise _Unknown
    for index, word in enumerate(operands):
        first = index == 0 and program.first_operand and not seen & program.pattern_options
        out.append((word, program.first_operand if first and program.first_operand else program.operands))
    return out


def _option(program: Program, word: Word, following: Word | None) -> tuple[str, Word | None, int]:
    """One option word: (its canonical name, its value, how many following words it took)."""
    text = word.text
    if text in program.options:
        return _valued(program, text, None, following)
    if text.startswith("--") or (program.words and text.startswith("-")):
        name, eq, _ = text.partition("=")
        canonical = _long_name(program, name)
        if canonical is None:
            raise _Unknown
        return _valued(program, canonical, word.tail(len(name) + 1) if eq else None, following)
    if program.words:
        raise _Unknown
    if program.count_option and re.fullmatch(r"-[0-9]+", text):
        return text, None, 0
    for at in range(1, len(text)):  # a cluster: -nr, -k2, -nrk 2
        name = "-" + text[at]
        kind = program.options.get(name)
        if kind is None:
            raise _Unknown
        if kind == "flag":
            continue
        rest = word.tail(at + 1)
        if rest.text and not program.attached:
            raise _Unknown  # tree reads -L2 differently from getopt
        if rest.text or kind in _ATTACHED_ONLY:
            return name, rest if rest.text else None, 0
        return _valued(program, name, None, following)
    return text, None, 0


def _valued(
    program: Program, name: str, attached: Word | None, following: Word | None
) -> tuple[str, Word | None, int]:
    """The value of option ``name``: attached, the next word, or none, as its kind says."""
    kind = program.options[name]
    if kind == "flag":
        if attached is not None:
            raise _Unknown
        return name, None, 0
    if attached is not None or kind in _ATTACHED_ONLY:
        return name, attached, 0
    if following is None:
        raise _Unknown
    return name, following, 1


def _long_name(program: Program, name: str) -> str | None:
    """The option ``name`` stands for: itself, or the one long option it abbreviates (GNU programs),
    if that one is safe; None when it is unknown, ambiguous or abbreviates an unsafe option."""
    if name in program.options:
        return name
    if not program.long_options or not name.startswith("--") or len(name) < 3:
        return None
    known = program.long_options | {o for o in program.options if o.startswith("--")}
    matches = [o for o in known if o.startswith(name)]
    if len(matches) == 1 and matches[0] in program.options:
        return matches[0]
    return None


def _candidates(word: Word, base: Path) -> list[Path]:
    """Every file the word may name from ``base``: itself, or for a glob a superset of its matches."""
    literal = base / word.text
    if not word.glob:
        return [literal]
    slash = word.text.rfind("/")
    head, pattern, quoted = word.text[: slash + 1], word.text[slash + 1 :], word.quoted[slash + 1 :]
    if Word(head, word.quoted[: slash + 1]).glob or not pattern:
        raise _Unknown  # wildcards in a directory part: not followed
    directory = base / head if head else base
    try:
        names = os.listdir(directory) if directory.is_dir() else []
    except OSError:
        names = []
    if len(names) > _MAX_GLOB_ENTRIES:
        raise _Unknown
    matcher = _superset(pattern, quoted)
    found = [literal]  # bash passes the word as it is when nothing matches
    for name in [*names, ".", ".."]:
        if not matcher.fullmatch(name) or (name.startswith(".") and not pattern.startswith(".")):
            continue  # a leading dot is matched only by a leading dot
        if name.startswith("-") and not head:
            raise _Unknown  # a file named like an option would become one
        found.append(directory / name)
    return found


def _superset(pattern: str, quoted: tuple[bool, ...]) -> re.Pattern[str]:
    """A regex matching at least every name the glob matches: its literal head and tail around
    anything in between (``[…]`` classes and ``?`` read as ``*``)."""
    special = [i for i, (c, q) in enumerate(zip(pattern, quoted, strict=True)) if not q and c in "*?[]"]
    first, last = special[0], special[-1]
    return re.compile(re.escape(pattern[:first]) + ".*" + re.escape(pattern[last + 1 :]), re.DOTALL)
