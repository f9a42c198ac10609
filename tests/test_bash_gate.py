"""The Bash permission gate runs a command without asking only when it understands every word.

A command auto-allowed as read-only never writes, never runs another program, never reads outside
the working directories, however its options are spelled (attached, clustered, abbreviated,
quoted); and ordinary read-only commands still run without asking, so the gate stays useful.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_compat import ClaudeAgentOptions, ResultMessage, UserMessage, query
from claude_compat._internal.bash_judge import Shell
from claude_compat._internal.bash_readonly import GIT, PROGRAMS, Program
from claude_compat._internal.builtins import BUILTIN_TOOLS, ToolContext
from claude_compat._internal.hooks import HookRunner
from claude_compat._internal.permissions import Decision, PermissionGate, ToolFacts
from claude_compat._internal.shell import parse
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn

#: What the CLI tells the model when a call needed approval and no one could give it.
ASKED = "Claude requested permissions to use Bash, but you haven't granted it yet."

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- a project with a way out -------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``work/`` (the cwd) with files, a subdirectory and links pointing to ``outside/``."""
    root = tmp_path_factory.mktemp("gate")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret").write_text("password=hunter2\n")
    work = root / "work"
    (work / "sub").mkdir(parents=True)
    (work / "a.txt").write_text("b\na\n")
    (work / "b.txt").write_text("a\nb\n")
    (work / "a.json").write_text('{"a": 1}\n')
    (work / "list.txt").write_text(f"{outside / 'secret'}\0")
    (work / "link").symlink_to(outside / "secret")
    (work / "linkdir").symlink_to(outside, target_is_directory=True)
    mirror = root / root.name / "work"  # ../../<root>/work/secret: inside from work/, outside from work/sub/
    mirror.mkdir(parents=True)
    (mirror / "secret").write_text("password=hunter2\n")
    return work


def spelled(command: str, project: Path) -> str:
    """The command with {out} (a directory outside) and {mirror} (a path read from sub/) filled in."""
    mirror = f"../../{project.parent.name}/work/secret"
    return command.replace("{out}", str(project.parent / "outside")).replace("{mirror}", mirror)


def make_gate(cwd: Path, *, mode: str | None = None, shell: Shell | None = None) -> PermissionGate:
    holder: list[PermissionGate] = []
    runner = HookRunner(None, session_id="s", cwd=str(cwd), permission_mode=lambda: holder[0].mode)
    gate = PermissionGate(
        allowed_tools=[],
        disallowed_tools=[],
        mode=mode,
        can_use_tool=None,
        hooks=runner,
        cwd=cwd,
        add_dirs=[],
        shell=(lambda: shell) if shell is not None else None,
    )
    holder.append(gate)
    return gate


async def decide(gate: PermissionGate, tool: str, tool_input: dict[str, Any]) -> Decision:
    builtin = BUILTIN_TOOLS[tool]
    ctx = ToolContext(cwd=gate.cwd, add_dirs=[], env={}, session_id="s", state={})
    facts = ToolFacts(builtin.read_only, builtin.edits_files, builtin.paths(tool_input, ctx))
    return await gate.decide(tool, tool_input, "toolu_1", facts)


def runs_unasked(cwd: Path, command: str, *, mode: str | None = None, shell: Shell | None = None) -> bool:
    """Whether the gate lets ``command`` run with no one asked (headless, no can_use_tool)."""

    async def main() -> bool:
        decision = await decide(make_gate(cwd, mode=mode, shell=shell), "Bash", {"command": command})
        return decision.allow

    return anyio.run(main)


# --- the probe's findings, one per class --------------------------------------------------------

NEVER_UNASKED: list[tuple[str, str]] = [
    # (what the user sees, the command); {out} is a directory outside the working directories
    ("git grep does not open matches in a pager (that runs a program)",
     "git grep --open-files-in-pager='touch pwned' foo"),
    ("git grep -O with the program attached", "git grep -O'touch pwned' foo"),
    ("sort does not write with an attached -o", "sort a.txt -o{out}/sorted"),
    ("sort does not write with an abbreviated --output", "sort --outp={out}/sorted a.txt"),
    ("a bare cd goes to HOME, so what follows reads there", "cd && cat .bashrc"),
    ("cd ~ goes to HOME", "cd ~ && cat .bashrc"),
    ("cd - goes back to wherever the shell was", "cd - && cat notes"),
    ("a cd changes what later relative paths name", "cd sub && cat {mirror}"),
    ("diff reads an option value as a file", "diff --from-file=../outside/secret a.txt"),
    ("git diff --no-index reads its arguments as files", "git diff --no-index ../outside/secret a.txt"),
    ("a link inside the project that points out of it", "cat link"),
    ("a path through a linked directory", "cat linkdir/secret"),
    ("a glob that can match a link out of the project", "head -n1 *"),
    ("grep -R follows links while it walks", "grep -R hunter2 ."),
    ("wc reads the files a list file names", "wc --files0-from=list.txt"),
    ("uniq's second operand is a file it writes", "uniq a.txt out.txt"),
    ("date with an operand sets the clock", "date 010100002030"),
    ("hostname with an operand renames the machine", "hostname pwned"),
    ("printf -v assigns PATH for the commands after it", "printf -v PATH %s {out} && ls"),
    ("jq's env reads the environment's secrets", "jq -n env"),
    ("process substitution runs a command", "cat <(cat {out}/secret)"),
    ("a here-document redirected into a file writes it", "cat <<EOF > notes.txt\nhi\nEOF"),
    ("a here-document whose body substitutes runs a command", "cat <<EOF\n$(touch pwned)\nEOF"),
    ("a function may shadow a read-only name", "cat() { touch pwned; }; cat a.txt"),
    ("an assignment before the command changes what it runs", "GIT_EXTERNAL_DIFF=./x git diff"),
    ("a line continuation joins words the parser saw apart", "cat .\\\n./outside/secret"),
    ("find -delete", "find . -name '*.txt' -delete"),
    ("find -exec", "find . -exec touch pwned \\;"),
    ("find -L follows links", "find -L . -name secret"),
    ("a command in the background", "ls &"),
    ("a loop", "for f in a.txt; do cat $f; done"),
    ("git log with a signature placeholder runs gpg", "git log --format='%G?'"),
    ("git -C runs in another repository", "git -C {out} log"),
    ("git -c sets configuration (a pager, an editor)", "git -c core.pager=touch log"),
    ("git branch NAME creates a branch", "git branch pwned"),
]  # fmt: skip

RUN_UNASKED: list[tuple[str, str]] = [
    ("sort with clustered flags and an attached key", "sort -nrk2 a.txt"),
    ("an abbreviated safe long option", "sort --ke=2 --rev a.txt"),
    ("a read-only pipeline", "cat a.txt | sort | uniq -c | sort -rn | head -5"),
    ("grep over the project", "grep -rn --include='*.txt' foo ."),
    ("a glob of files inside", "wc -l *.txt"),
    ("find with quoted patterns", "find . -name '*.txt' -type f -newer a.txt"),
    ("a cd into the project", "cd sub && ls -la"),
    ("git history", "git log --oneline -5 --stat -- a.txt"),
    ("git status in porcelain form", "git status --porcelain=v2 -uno"),
    ("jq on a file", "jq -r .a a.json"),
    ("input redirection from a file inside", "wc -l < a.txt"),
    ("a quoted here-document", "cat <<'EOF'\n$(not run)\nEOF"),
    ("diff of two files", "diff -u a.txt b.txt"),
    ("test then read", "test -f a.txt && head -c 1K a.txt"),
    ("discarded errors", "ls sub 2>/dev/null || echo none"),
]


@pytest.mark.anyio
@pytest.mark.parametrize("command", [r[1] for r in NEVER_UNASKED], ids=[r[0] for r in NEVER_UNASKED])
async def test_a_command_that_writes_runs_or_reads_outside_is_asked_about(
    project: Path, command: str
) -> None:
    decision = await decide(make_gate(project), "Bash", {"command": spelled(command, project)})
    assert not decision.allow
    assert decision.reason_type == "prompt" and decision.emit_denied_system_message  # nobody to ask


@pytest.mark.anyio
@pytest.mark.parametrize("command", [r[1] for r in RUN_UNASKED], ids=[r[0] for r in RUN_UNASKED])
async def test_plain_read_only_commands_still_run_without_asking(project: Path, command: str) -> None:
    assert (await decide(make_gate(project), "Bash", {"command": command})).allow


def test_relative_paths_are_read_from_the_directory_the_shell_is_in(project: Path) -> None:
    """The Bash tool's cwd persists between calls: a path is judged from where the shell is."""
    in_sub = Shell(project / "sub", {})
    mirror = spelled("cat {mirror}", project)
    assert runs_unasked(project, mirror)  # from work/ it names work/secret
    assert not runs_unasked(project, mirror, shell=in_sub)  # from work/sub/ it leaves the project
    assert runs_unasked(project, "cat ../a.txt", shell=in_sub)
    assert not runs_unasked(project, "cat ../a.txt")


def test_a_cd_under_cdpath_may_go_anywhere(project: Path) -> None:
    assert runs_unasked(project, "cd sub && cat a.txt")
    assert not runs_unasked(project, "cd sub && cat a.txt", shell=Shell(project, {"CDPATH": "/tmp"}))
    assert runs_unasked(project, "cd ./sub && ls", shell=Shell(project, {"CDPATH": "/tmp"}))


@pytest.mark.parametrize(
    "command",
    ["cp -t{out} a.txt", "cp --target-dir={out} a.txt", "mv a.txt {out}/", "rm -rf --no-preserve-root sub",
     "cp -L link sub/", "touch {out}/new", "echo x > {out}/new"],
)  # fmt: skip
def test_accept_edits_never_edits_outside_the_project_unasked(project: Path, command: str) -> None:
    assert not runs_unasked(project, spelled(command, project), mode="acceptEdits")


def test_accept_edits_still_edits_inside_unasked(project: Path) -> None:
    assert runs_unasked(project, "mkdir -p out/x && cp -r sub out/ && touch out/a", mode="acceptEdits")


def test_plan_mode_runs_the_read_only_commands_and_refuses_an_unknown_one(project: Path) -> None:
    assert runs_unasked(project, "git log --oneline -3", mode="plan")
    assert not runs_unasked(project, "sort -o out.txt a.txt", mode="plan")


# --- the file tools: links out of the project ---------------------------------------------------


@pytest.mark.anyio
async def test_read_and_grep_through_a_link_out_of_the_project_are_asked_about(project: Path) -> None:
    gate = make_gate(project)
    read = await decide(gate, "Read", {"file_path": str(project / "link")})
    grep = await decide(gate, "Grep", {"pattern": "password", "path": str(project / "link")})
    assert not read.allow and not grep.allow
    assert "Claude requested permissions to read from" in read.message


@pytest.mark.anyio
async def test_glob_with_an_absolute_pattern_outside_is_asked_about(project: Path) -> None:
    gate = make_gate(project)
    outside = await decide(gate, "Glob", {"pattern": f"{project.parent / 'outside'}/*"})
    inside = await decide(gate, "Glob", {"pattern": f"{project}/*.txt"})
    assert not outside.allow and inside.allow


# --- option spellings: generated ----------------------------------------------------------------


def _quote(draw: st.DrawFn, text: str) -> str:
    """``text`` spelled for bash in one of the ways a model might write it (all mean the same word)."""
    plain = re.fullmatch(r"[A-Za-z0-9_./=,:%+@-]+", text) is not None
    styles = ["single", "double", "escaped", "split"] + (["plain"] * 3 if plain else [])
    style = draw(st.sampled_from(styles))
    if style == "plain":
        return text
    if style == "single":
        return "'" + text.replace("'", "'\\''") + "'"
    if style == "double":
        return '"' + re.sub(r'(["\\$`])', r"\\\1", text) + '"'
    if style == "escaped":
        return "".join("\\" + c if not c.isalnum() else c for c in text)
    at = draw(st.integers(0, len(text)))
    return _quote(draw, text[:at]) + _quote(draw, text[at:]) if 0 < at < len(text) else "'" + text + "'"


def _program(prefix: str) -> Program:
    words = prefix.split()
    return GIT[words[1]] if words[0] == "git" else PROGRAMS[words[0]]


def _short_flags(program: Program) -> list[str]:
    return sorted(
        o[1] for o, kind in program.options.items() if len(o) == 2 and o[1].isalpha() and kind == "flag"
    )


#: Options that write, run programs, follow links, or read files named elsewhere: (program, long
#: spelling, short letter, value). {out} is outside the working directories.
UNSAFE_OPTIONS: list[tuple[str, str, str | None, str | None]] = [
    ("sort", "--output", "o", "{out}/sorted"),
    ("sort", "--temporary-directory", "T", "{out}"),
    ("sort", "--compress-program", None, "sh"),
    ("sort", "--files0-from", None, "list.txt"),
    ("sort", "--random-source", None, "{out}/secret"),
    ("wc", "--files0-from", None, "list.txt"),
    ("du", "--files0-from", None, "list.txt"),
    ("du", "--dereference", "L", None),
    ("ls", "--dereference", "L", None),
    ("grep", "--dereference-recursive", "R", None),
    ("tail", "--follow", "f", None),
    ("diff", "--from-file", None, "{out}/secret"),
    ("diff", "--to-file", None, "../outside/secret"),
    ("diff", "--recursive", "r", None),
    ("diff", "--paginate", "l", None),
    ("md5sum", "--check", "c", None),
    ("date", "--set", "s", "2030-01-01"),
    ("date", "--file", "f", "{out}/secret"),
    ("rm", "--no-preserve-root", None, None),
    ("cp", "--target-directory", "t", "{out}"),
    ("cp", "--dereference", "L", None),
    ("mv", "--target-directory", "t", "{out}"),
    ("file", "--uncompress", "z", None),
    ("file", "--files-from", "f", "list.txt"),
    ("rg", "--pre", None, "sh"),
    ("rg", "--follow", "L", None),
    ("rg", "--search-zip", "z", None),
    ("git grep", "--open-files-in-pager", "O", "touch pwned"),
    ("git diff", "--output", None, "{out}/d"),
    ("git diff", "--ext-diff", None, None),
    ("git log", "--show-signature", None, None),
    ("git log", "--output", None, "{out}/d"),
]


@st.composite
def unsafe_commands(draw: st.DrawFn, out: str) -> str:
    prefix, long, short, value = draw(st.sampled_from(UNSAFE_OPTIONS))
    program = _program(prefix)
    value = value.replace("{out}", out) if value is not None else None
    if short is not None and draw(st.booleans()):
        cluster = "".join(draw(st.lists(st.sampled_from(_short_flags(program) or ["v"]), max_size=3)))
        if value is None:
            words = [f"-{cluster}{short}"]
        elif draw(st.booleans()):
            words = [f"-{cluster}{short}{value}"]
        else:
            words = [f"-{cluster}{short}", value]
    else:
        name = draw(st.sampled_from([long[:n] for n in range(3, len(long) + 1)]))  # every abbreviation
        if value is None:
            words = [name]
        elif draw(st.booleans()):
            words = [f"{name}={value}"]
        else:
            words = [name, value]
    spelled = [_quote(draw, w) for w in words]
    operands = ["a.txt"] if prefix not in ("git grep",) else ["foo"]
    before = draw(st.booleans())
    return " ".join([prefix, *(operands if before else []), *spelled, *([] if before else operands)])


@st.composite
def unsafe_find(draw: st.DrawFn, out: str) -> str:
    action = draw(
        st.sampled_from(
            ["-exec touch pwned ;", "-execdir touch pwned ;", "-ok rm {} ;", "-okdir rm {} +", "-delete",
             f"-fprint {out}/f", f"-fprint0 {out}/f", f"-fprintf {out}/f %p", f"-fls {out}/f", "-follow",
             "-files0-from list.txt"]
        )
    )  # fmt: skip
    words = ["find", ".", "-name", "*.txt", *action.split()]
    if draw(st.booleans()):
        words.insert(1, draw(st.sampled_from(["-L", "-P", "-H"])))
    return " ".join(_quote(draw, w) if i else w for i, w in enumerate(words))


@PROPERTY
@given(data=st.data())
def test_no_spelling_of_a_writing_or_running_option_runs_unasked(project: Path, data: st.DataObject) -> None:
    out = str(project.parent / "outside")
    command = data.draw(st.one_of(unsafe_commands(out), unsafe_find(out)), label="command")
    mode = "acceptEdits" if command.split()[0] in ("rm", "cp", "mv") else None
    assert not runs_unasked(project, command, mode=mode), command


#: Programs whose every safe option the generator below may pick, with operands that exist inside.
SAFE_PROGRAMS = ["cat", "head", "tail", "wc", "ls", "grep", "sort", "uniq", "cut", "du", "diff", "nl",
                 "od", "stat", "git log", "git diff", "git status", "git show"]  # fmt: skip
_SAFE_VALUES = {"number": "3", "text": "x", "path": "a.txt", "file": "b.txt", "pretty": "format:%h",
                "gitkey": "refname", "optional": "auto"}  # fmt: skip


def _abbreviations(program: Program, option: str) -> list[str]:
    """``option`` and its abbreviations GNU getopt resolves to it alone."""
    if not program.long_options:
        return [option]
    known = program.long_options | {o for o in program.options if o.startswith("--")}
    shorter = [option[:n] for n in range(3, len(option))]
    return [option, *(a for a in shorter if [k for k in known if k.startswith(a)] == [option])]


@st.composite
def safe_commands(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(SAFE_PROGRAMS))
    program = _program(prefix)
    words: list[str] = []
    longs = sorted(o for o in program.options if o.startswith("--"))
    for option in draw(st.lists(st.sampled_from(longs), max_size=3)):
        kind = program.options[option]
        name = draw(st.sampled_from(_abbreviations(program, option)))
        value = _SAFE_VALUES.get(kind)
        if kind == "flag" or (kind in ("optional", "pretty") and draw(st.booleans()) and kind != "pretty"):
            words.append(name)
        elif kind in ("optional", "pretty") or draw(st.booleans()):
            words.append(f"{name}={value}")
        else:
            words += [name, str(value)]
    flags = _short_flags(program)
    if flags and draw(st.booleans()):
        words.append("-" + "".join(draw(st.lists(st.sampled_from(flags), min_size=1, max_size=4))))
    valued = sorted(
        o
        for o, k in program.options.items()
        if len(o) == 2 and o[1].isalpha() and k not in ("flag", "optional")
    )
    if valued and draw(st.booleans()):
        option = draw(st.sampled_from(valued))
        value = _SAFE_VALUES[program.options[option]]
        words += [option + value] if draw(st.booleans()) else [option, value]
    operands = {"grep": ["foo", "a.txt"], "diff": ["a.txt", "b.txt"], "uniq": ["a.txt"]}.get(
        prefix, ["a.txt", "sub"]
    )
    if prefix == "diff" or prefix.startswith("git"):
        operands = ["a.txt", "b.txt"]
    spelled = [_quote(draw, w) for w in [*words, *operands]]
    return " ".join([prefix, *spelled])


@PROPERTY
@given(data=st.data())
def test_commands_of_safe_options_and_inside_paths_run_unasked(project: Path, data: st.DataObject) -> None:
    command = data.draw(safe_commands(), label="command")
    assert runs_unasked(project, command), command


# --- the parser agrees with bash -----------------------------------------------------------------

#: Characters that make quoting and word splitting interesting; no letters that spell a command.
_ALPHABET = "abc01 \t\n'\"\\$*?[]~#=-;|&(){}<>!,.:%é\u00a0"


@st.composite
def argument_spellings(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        text = draw(st.text(alphabet=_ALPHABET, max_size=5))
        style = draw(st.sampled_from(["raw", "single", "double", "escaped"]))
        if style == "raw":
            pieces.append(text)
        elif style == "single":
            pieces.append("'" + text.replace("'", "") + "'")
        elif style == "double":
            pieces.append('"' + re.sub(r'(["\\$`])', r"\\\1", text) + '"')
        else:
            pieces.append("".join("\\" + c for c in text if c != "\n"))
    return "".join(pieces)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty")


@PROPERTY
@given(args=st.lists(argument_spellings(), min_size=1, max_size=4), sep=st.sampled_from([" ", "  ", "\t"]))
def test_the_words_the_gate_reads_are_the_words_bash_passes(sandbox: Path, args: list[str], sep: str) -> None:
    """Where the parser says it understood a line, bash passes exactly those words (run with an
    empty PATH in an empty directory, so nothing but the printf builtin can run)."""
    command = "printf '%s\\0'" + sep + sep.join(args)
    commands = parse(command)
    if commands is None or len(commands) != 1 or commands[0].redirects:
        return  # not understood, so never run without asking
    words = commands[0].words
    if words[0].text != "printf" or len(words) < 3 or any(w.glob or w.tilde for w in words):
        return
    result = subprocess.run(
        ["/bin/bash", "-c", command],
        cwd=sandbox,
        env={"PATH": str(sandbox), "HOME": str(sandbox), "LC_ALL": "C.UTF-8"},
        capture_output=True,
        timeout=10,
        stdin=subprocess.DEVNULL,
    )
    passed = result.stdout.decode("utf-8", errors="surrogateescape").split("\0")[:-1]
    assert passed == [w.text for w in words[2:]], (command, result.stderr)


# --- the tables agree with the programs installed -----------------------------------------------


def _installed_gnu() -> Iterator[tuple[str, Program, str]]:
    for name, program in PROGRAMS.items():
        if program.long_options and shutil.which(name):
            done = subprocess.run([name, "--help"], capture_output=True, text=True, timeout=10)
            if "GNU" in done.stdout or "coreutils" in done.stdout or name in ("grep", "diff", "cmp"):
                yield name, program, done.stdout


GNU_TABLES = list(_installed_gnu())


@pytest.mark.parametrize(("name", "program", "help_text"), GNU_TABLES, ids=[t[0] for t in GNU_TABLES])
def test_each_gnu_table_knows_every_long_option_and_which_take_a_value(
    name: str, program: Program, help_text: str
) -> None:
    """Abbreviations are understood only against the full list, so it must be complete; an option the
    table reads a separate value for must take one, or that word would escape the path check."""
    listed = {o for o in re.findall(r"--[a-z0-9][a-z0-9-]*", help_text)}
    assert listed <= program.long_options, sorted(listed - program.long_options)
    for option, kind in program.options.items():
        if not option.startswith("--") or kind in ("flag", "optional") or option.endswith("-format"):
            continue
        escaped = re.escape(option)
        assert re.search(escaped + r"(=| [A-Z])", help_text), option
        assert not re.search(escaped + r"\[=", help_text), option


# --- through the real server --------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.letta
async def test_sort_writing_outside_never_runs_and_the_model_gets_the_cli_error(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_text("b\na\n")
    target = tmp_path / "outside" / "sorted.txt"
    target.parent.mkdir()
    command = f"sort a.txt -o{target}"
    scripted_model.push(Turn(tool_calls=[ToolCall("Bash", {"command": command}, id="call_s")]))
    scripted_model.add_rule(Rule(last_tool=".", reply=Turn(text="I was not allowed."), times=1))

    messages = [m async for m in query(prompt="sort it", options=ClaudeAgentOptions(cwd=work))]

    assert not target.exists()
    results = [m.content[0] for m in messages if isinstance(m, UserMessage)]
    assert len(results) == 1 and results[0].is_error and ASKED in str(results[0].content)
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.result == "I was not allowed."
    assert final.permission_denials == [
        {"tool_name": "Bash", "tool_use_id": "call_s", "tool_input": {"command": command}}
    ]
    seen_by_model = "".join(str(m.get("content")) for m in scripted_model.completions[-1].messages)
    assert ASKED in seen_by_model
    assert os.listdir(target.parent) == []


# --- git reads the repository's own configuration ------------------------------------------------


def _repo(root: Path) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "a.txt").write_text("a\n")
    return root


@pytest.mark.parametrize(
    ("key", "value"),
    [("core.fsmonitor", "touch pwned; false"), ("diff.external", "touch pwned"),
     ("diff.x.textconv", "touch pwned"), ("filter.x.clean", "touch pwned"),
     ("gpg.program", "touch pwned"), ("log.showSignature", "true")],
)  # fmt: skip
def test_a_git_read_is_asked_about_when_the_repository_configures_a_program(
    tmp_path: Path, key: str, value: str
) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    commands = ["git status && git log --oneline -3", "cd sub && git diff"]
    assert all(runs_unasked(repo, command) for command in commands)
    subprocess.run(["git", "-C", str(repo), "config", key, value], check=True)

    assert not any(runs_unasked(repo, command) for command in commands)
    assert not runs_unasked(repo, "git log -p", mode="plan")
    assert not (repo / "pwned").exists()


def test_a_git_read_is_asked_about_when_an_index_hook_is_installed(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    hook = repo / ".git" / "hooks" / "post-index-change"
    hook.write_text("#!/bin/sh\ntouch pwned\n")
    hook.chmod(0o755)
    elsewhere = _repo(tmp_path / "husky")
    (elsewhere / ".husky").mkdir()
    (elsewhere / ".husky" / "reference-transaction").write_text("#!/bin/sh\ntouch pwned\n")
    subprocess.run(["git", "-C", str(elsewhere), "config", "core.hooksPath", ".husky"], check=True)

    assert not runs_unasked(repo, "git status")
    assert not runs_unasked(elsewhere, "git status")


def test_a_git_read_is_asked_about_when_the_environment_names_a_diff_program(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    shell = Shell(cwd=repo, env={"GIT_EXTERNAL_DIFF": "touch-pwned"})

    assert runs_unasked(repo, "git diff")
    assert not runs_unasked(repo, "git diff", shell=shell)


@pytest.mark.parametrize(
    ("command", "named"),
    [("rm -rf .git", ".git"), ("touch .husky/pre-commit", ".husky/pre-commit"),
     ("echo x > .envrc", ".envrc"), ("cp a.txt .vscode/settings.json", ".vscode/settings.json"),
     ("mkdir -p .config/git", ".config/git")],
)  # fmt: skip
def test_accept_edits_asks_before_a_shell_command_edits_a_sensitive_file(
    tmp_path: Path, command: str, named: str
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".husky").mkdir()
    (tmp_path / ".vscode").mkdir()
    (tmp_path / "a.txt").write_text("a\n")

    async def main() -> tuple[bool, str | None]:
        decision = await decide(make_gate(tmp_path, mode="acceptEdits"), "Bash", {"command": command})
        return decision.allow, decision.message

    allow, message = anyio.run(main)
    assert not allow
    assert message == f"Claude requested permissions to edit {tmp_path / named} which is a sensitive file."


def test_accept_edits_runs_a_shell_edit_of_ordinary_files_unasked(tmp_path: Path) -> None:
    assert runs_unasked(tmp_path, "touch notes.txt && mkdir -p build", mode="acceptEdits")
    assert runs_unasked(tmp_path, "rm notes.txt", mode="acceptEdits")
