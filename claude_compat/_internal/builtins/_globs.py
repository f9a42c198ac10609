"""Glob patterns and ignore files as ripgrep reads them, for Glob and Grep without ripgrep installed.

A pattern without a slash matches a file's name at any depth; one with a slash matches the path from
the search root. ``.gitignore`` files apply inside git repositories, ``.ignore`` and ``.rgignore``
everywhere; version-control directories are never searched. Hidden files are included, as the CLI
asks ripgrep for them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

VCS_DIRS = frozenset({".git", ".svn", ".hg", ".bzr", ".jj", ".sl"})


def _translate(pattern: str) -> str:
    """Regex source for a glob: ``**`` spans directories, ``*``/``?`` stay in one, ``{a,b}`` alternates."""
    out: list[str] = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                j = i + 2
                if at_start and j < n and pattern[j] == "/":
                    out.append("(?:.*/)?")
                    i = j + 1
                    continue
                if at_start and j == n:
                    out.append(".*")
                    i = j
                    continue
                out.append(".*")
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.extend(")" * depth)
    return "".join(out)


@dataclass(frozen=True)
class GlobPattern:
    """One glob: matched against the name alone when it has no slash, else against the relative path."""

    regex: re.Pattern[str]
    basename_only: bool

    @classmethod
    def parse(cls, pattern: str, *, ignore_case: bool = False) -> GlobPattern:
        pattern = pattern.removeprefix("./")
        anchored = "/" in pattern.rstrip("/")
        source = _translate(pattern.lstrip("/"))
        flags = re.IGNORECASE if ignore_case else 0
        return cls(re.compile(rf"(?s:{source})\Z", flags), basename_only=not anchored)

    def matches(self, rel_path: str) -> bool:
        target = rel_path.rsplit("/", 1)[-1] if self.basename_only else rel_path
        return self.regex.match(target) is not None


def split_globs(spec: str) -> list[str]:
    """Grep's ``glob`` field: several patterns separated by spaces or commas outside braces."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for c in spec:
        if c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        if (c.isspace() or c == ",") and depth == 0:
            if current:
                parts.append("".join(current))
                current = []
            continue
        current.append(c)
    if current:
        parts.append("".join(current))
    return parts


@dataclass(frozen=True)
class _Rule:
    glob: GlobPattern
    negated: bool
    dir_only: bool


@dataclass(frozen=True)
class _IgnoreFile:
    base: Path
    rules: tuple[_Rule, ...]


def _parse_ignore(base: Path, text: str) -> _IgnoreFile:
    rules: list[_Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        if line.startswith("\\"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        rules.append(_Rule(GlobPattern.parse(line), negated, dir_only))
    return _IgnoreFile(base, tuple(rules))


def _in_git_repo(path: Path) -> bool:
    for parent in (path, *path.parents):
        if (parent / ".git").exists():
            return True
    return False


class IgnoreRules:
    """The ignore files that apply below a search root (its own and its parents', as ripgrep reads them)."""

    def __init__(self, root: Path) -> None:
        self.use_gitignore = _in_git_repo(root)
        self.files: list[_IgnoreFile] = []
        for directory in [*list(root.parents)[::-1], root]:
            if (directory / ".git").exists():  # ignore files above the repository root do not apply
                self.files = []
            self.files.extend(self._load(directory))

    def _load(self, directory: Path) -> list[_IgnoreFile]:
        names = [".gitignore", ".ignore", ".rgignore"] if self.use_gitignore else [".ignore", ".rgignore"]
        found: list[_IgnoreFile] = []
        for name in names:
            candidate = directory / name
            try:
                if candidate.is_file():
                    found.append(
                        _parse_ignore(directory, candidate.read_text(encoding="utf-8", errors="replace"))
                    )
            except OSError:
                continue
        return found

    def ignored(self, path: Path, is_dir: bool, extra: list[_IgnoreFile]) -> bool:
        """Whether ``path`` is excluded; the last matching rule of the deepest file decides."""
        verdict = False
        for ignore in (*self.files, *extra):
            try:
                rel = path.relative_to(ignore.base).as_posix()
            except ValueError:
                continue
            for rule in ignore.rules:
                if rule.dir_only and not is_dir:
                    continue
                if rule.glob.matches(rel):
                    verdict = not rule.negated
        return verdict


def walk_files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` that ripgrep would search, in a stable (sorted) order.

    As ripgrep without ``--follow``: symbolic links met while walking are skipped, to files and to
    directories alike (a link inside the project may point anywhere); only ``root`` itself, given
    explicitly, is followed."""
    rules = IgnoreRules(root)
    stack: list[tuple[Path, list[_IgnoreFile]]] = [(root, [])]
    while stack:
        directory, inherited = stack.pop()
        local = [*inherited, *rules._load(directory)] if directory != root else inherited
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in VCS_DIRS or rules.ignored(path, True, local):
                    continue
                subdirs.append(path)
            elif is_file and not rules.ignored(path, False, local):
                yield path
        stack.extend((d, local) for d in reversed(subdirs))
