"""Throughput of ``claude-compat sessions import``: Claude sessions and their messages imported per second.

Generates N transcripts shaped as the real Claude CLI writes them (queue operations, prompts,
an environment attachment, assistant messages written one entry per content block, thinking,
Read/Bash/Edit calls and their results, last-prompt and cost metadata; 2 to 10 turns each,
seeded), reads and checks them all (a dry run), imports them all with the command's engine (the
one import path ``resume=`` uses), then runs the import again (every session skipped). Prints
the figures of this one run; nothing asserts a timing.

    python benchmarks/import_throughput.py [--sessions 200] [--jobs 4] [--quick]
        [--letta-url URL --model-port P]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import _harness
import anyio

from claude_compat._tooling import bulk_import
from claude_compat.sessions import project_key_for_directory
from letta_backend.backend import LettaBackend

PROMPTS = (
    "Read notes.txt and tell me what it says",
    "Run the tests and fix what fails",
    "Rename the helper to parse_config everywhere",
    "Why does the build take so long?",
    "Add a docstring to every public function in utils.py",
)
TOOLS = (
    ("Read", {"file_path": "{cwd}/notes.txt"}, "1\talpha\n2\tbeta\n3\tgamma\n"),
    ("Bash", {"command": "pytest -q", "description": "run the tests"}, "12 passed in 0.41s"),
    ("Edit", {"file_path": "{cwd}/utils.py", "old_string": "a", "new_string": "b"}, "The file was updated."),
)


class Writer:
    """Writes one session's entries in the CLI's shape, chaining uuid/parentUuid."""

    def __init__(self, session_id: str, cwd: str, start: datetime) -> None:
        self.session_id, self.cwd, self.now = session_id, cwd, start
        self.parent: str | None = None
        self.lines: list[str] = []

    def _stamp(self) -> str:
        self.now += timedelta(milliseconds=137)
        return self.now.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def meta(self, entry: dict[str, Any]) -> None:
        self.lines.append(json.dumps({**entry, "sessionId": self.session_id}, separators=(",", ":")))

    def chain(self, kind: str, **fields: Any) -> str:
        entry_uuid = str(uuid.uuid4())
        entry = {
            "parentUuid": self.parent,
            "isSidechain": False,
            "type": kind,
            **fields,
            "uuid": entry_uuid,
            "timestamp": self._stamp(),
            "userType": "external",
            "entrypoint": "sdk-py",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": "2.1.331",
            "gitBranch": "main",
        }
        self.lines.append(json.dumps(entry, separators=(",", ":")))
        self.parent = entry_uuid
        return entry_uuid

    def assistant(self, message_id: str, block: dict[str, Any], stop: str) -> str:
        message = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [block],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 812, "output_tokens": 64, "cache_read_input_tokens": 15000},
        }
        return self.chain("assistant", message=message, requestId=f"req_{uuid.uuid4().hex[:24]}")


def write_session(folder: Path, cwd: str, rng: random.Random, start: datetime) -> int:
    """One transcript file; returns its number of user/assistant entries."""
    session_id = str(uuid.uuid4())
    w = Writer(session_id, cwd, start)
    turns = rng.randint(2, 10)
    visible = 0
    prompt = ""
    for turn in range(turns):
        prompt = f"{rng.choice(PROMPTS)} (turn {turn + 1})"
        w.meta(
            {"type": "queue-operation", "operation": "enqueue", "timestamp": w._stamp(), "content": prompt}
        )
        w.meta({"type": "queue-operation", "operation": "dequeue", "timestamp": w._stamp()})
        prompt_id = str(uuid.uuid4())
        w.chain(
            "user",
            promptId=prompt_id,
            message={"role": "user", "content": prompt},
            permissionMode="default",
            promptSource="sdk",
        )
        if turn == 0:
            w.chain(
                "attachment",
                attachment={
                    "type": "environment",
                    "snapshot": {"workingDirectory": cwd, "platform": "linux"},
                },
            )
        message_id = f"msg_{uuid.uuid4().hex[:24]}"
        w.assistant(
            message_id, {"type": "thinking", "thinking": "Let me look.", "signature": "sig_x"}, "tool_use"
        )
        w.assistant(message_id, {"type": "text", "text": "I will check that first."}, "tool_use")
        visible += 3
        for _ in range(rng.randint(0, 3)):
            name, args, result = rng.choice(TOOLS)
            call_id = f"toolu_{uuid.uuid4().hex[:24]}"
            tool_input = {k: v.replace("{cwd}", cwd) for k, v in args.items()}
            w.assistant(
                message_id, {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}, "tool_use"
            )
            w.chain(
                "user",
                promptId=prompt_id,
                message={
                    "role": "user",
                    "content": [{"tool_use_id": call_id, "type": "tool_result", "content": result}],
                },
                toolUseResult={"stdout": result, "stderr": "", "interrupted": False},
            )
            message_id = f"msg_{uuid.uuid4().hex[:24]}"
            visible += 2
        w.assistant(message_id, {"type": "text", "text": f"Done: {prompt.lower()}."}, "end_turn")
        visible += 1
        w.meta({"type": "last-prompt", "lastPrompt": prompt, "leafUuid": w.parent})
        w.meta({"type": "cost-state", "totalCostUSD": 0.0123 * (turn + 1)})
    (folder / f"{session_id}.jsonl").write_text("\n".join(w.lines) + "\n", encoding="utf-8")
    return visible


def generate(root: Path, sessions: int, seed: int = 7) -> tuple[int, int]:
    """N transcripts over a few project folders; (entries, bytes)."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    projects = [f"/home/dev/project-{i}" for i in range(max(1, min(8, sessions // 25)))]
    entries = 0
    for index in range(sessions):
        cwd = projects[index % len(projects)]
        folder = root / project_key_for_directory(cwd)
        folder.mkdir(parents=True, exist_ok=True)
        entries += write_session(folder, cwd, rng, start + timedelta(minutes=index))
    size = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
    return entries, size


async def run_import(root: Path, jobs: int, *, dry_run: bool = False) -> tuple[float, bulk_import.Summary]:
    """One import of every transcript under ``root``, as the command runs it; (seconds, summary)."""
    started = time.perf_counter()
    backend = await LettaBackend.connect()
    try:
        summary = await bulk_import.import_sessions(
            bulk_import.transcript_sources(root),
            backend=backend,
            sessions=backend.sessions,
            dry_run=dry_run,
            jobs=jobs,
        )
    finally:
        await backend.aclose()
    return time.perf_counter() - started, summary


async def warm_up() -> None:
    """Connect once (health check, model list), so the timed runs do not pay for it."""
    backend = await LettaBackend.connect()
    try:
        await backend.model_handles()
    finally:
        await backend.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200, help="transcripts to generate (default 200)")
    parser.add_argument(
        "--jobs", type=int, default=bulk_import.DEFAULT_JOBS, help="sessions imported at once"
    )
    parser.add_argument("--backend", default="asyncio", choices=("asyncio", "trio"))
    _harness.add_server_args(parser)
    args = parser.parse_args()
    sessions = 10 if args.quick else args.sessions
    with tempfile.TemporaryDirectory(prefix="cc-import-bench-") as tmp, _harness.server_pair(args) as pair:
        root = Path(tmp) / "projects"
        entries, size = generate(root, sessions)
        os.environ["CLAUDE_CONFIG_DIR"] = str(Path(tmp))
        print(_harness.machine_line(pair))
        print(f"generated {sessions} transcripts: {entries} user/assistant entries, {size / 1e6:.1f} MB")
        anyio.run(warm_up, backend=args.backend)
        dry, checked = anyio.run(lambda: run_import(root, args.jobs, dry_run=True), backend=args.backend)
        print(
            f"dry run (read and check every transcript): {len(checked.outcomes)} sessions, "
            f"{checked.messages} messages in {dry:.2f} s: {len(checked.outcomes) / dry:.0f} sessions/s"
        )
        seconds, summary = anyio.run(run_import, root, args.jobs, backend=args.backend)
        failed = summary.failed
        if failed:
            print(f"{len(failed)} failed, first: {failed[0].reason}", file=sys.stderr)
        imported, messages = summary.count("imported"), summary.messages
        print(
            f"import ({args.jobs} at once): {imported} sessions, {messages} messages in {seconds:.1f} s: "
            f"{imported / seconds:.2f} sessions/s, {messages / seconds:.1f} messages/s, "
            f"{1000 * seconds / max(imported, 1):.0f} ms per session"
        )
        again, rerun = anyio.run(run_import, root, args.jobs, backend=args.backend)
        print(
            f"second run: {rerun.count('skipped')} skipped, {rerun.count('imported')} imported "
            f"in {again:.2f} s: {rerun.count('skipped') / again:.0f} sessions/s"
        )
        if failed:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
