"""Differential tests: the oracle's scenarios run unchanged on the real claude_agent_sdk and on
claude-compat through ``ab --scripted``, and their normalised messages must agree.

Each scenario in tests/ab_scenarios/ is a Claude SDK program (it imports ``claude_agent_sdk``)
with a model script beside it. Known gaps of claude-compat are listed below with the exact
difference: such a test is ``xfail(strict=True)`` and fails for real when the differences
change (a new one appears, or one is fixed and the list must shrink).

The scenarios are independent and run ``CLAUDE_COMPAT_TEST_AB_LANES`` (default 2) at a time,
each in its own lane of the scripted backends. The Letta side needs a Letta server that saw the
lanes' model names (``claude-sonnet-4-5``, ``claude-sonnet-4-5-lane2``…, so both sides price
their runs) when it started. One is started for this module; to reuse a running one, set
``CLAUDE_COMPAT_TEST_AB_LETTA_URL`` and ``CLAUDE_COMPAT_TEST_AB_MODEL_PORT`` (the port its model
endpoint calls; nothing may listen there), and the lanes it knows (default 1).
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from claude_compat._cli import main
from claude_compat._internal.model_view import from_anthropic, from_openai
from claude_compat._tooling.ab import (
    NORMALISATIONS,
    ABReport,
    Difference,
    RunPair,
    ScriptedBackends,
    Side,
    SideRun,
    _run_neutral,
    _session_placeholders,
    compare,
    kind,
    lane_model_ids,
    normalise,
    render_html,
    render_markdown,
    render_text,
    run_ab,
)
from claude_compat.testing import AnthropicScriptedServer, HttpError, ScriptedModel, ToolCall, Turn, Usage
from claude_compat.testing._openai import ScriptedModelServer
from letta_backend.server import _cache_root

SCENARIOS_DIR = Path(__file__).parent / "ab_scenarios"
#: Every program in ab_scenarios/ with its model script beside it; its first line names its source
#: (``# Source: <url>``), its docstring what it was adapted from and how.
SCENARIOS = sorted(p.stem for p in SCENARIOS_DIR.glob("*.py") if p.with_suffix(".json").is_file())

AB_LETTA_URL_ENV = "CLAUDE_COMPAT_TEST_AB_LETTA_URL"
AB_MODEL_PORT_ENV = "CLAUDE_COMPAT_TEST_AB_MODEL_PORT"
#: How many scenarios run at once (each runs its two sides at the same time).
AB_LANES_ENV = "CLAUDE_COMPAT_TEST_AB_LANES"
DEFAULT_LANES = 2
#: Where claude-compat keeps its cache (the CLI's recorded requests among it).
CACHE_ENV = "CLAUDE_COMPAT_CACHE"

# --- what claude-compat does differently today (each one an engine fix to make) --------------
# The scenarios adapted from public programs (see each docstring) showed these; each value names
# the behaviour (and issue point) the fix belongs to. A new difference fails its test; a fixed one
# must leave the list.

#: A KNOWN_DIFFERENCES key: the scenario's fields differ for the named reason, in a set that varies.
ANY_FIELDS = "*"

#: scenario → {difference key → what differs}; kinds and fields (usage counters: USAGE_GAPS).
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {}

#: (message kind, field, counters only Claude reports, counters only claude-compat reports).
USAGE_GAPS: set[tuple[str, str, str, str]] = set()


class KnownDifferences(AssertionError):
    """Exactly the differences listed as known: an engine gap already reported, not a regression."""


def check_differences(diffs: list[Difference], known: dict[str, str]) -> None:
    """Pass when there is no difference; raise KnownDifferences for exactly the known ones."""
    actual = {d.key for d in diffs}
    detail = "\n".join(f"  {d}" for d in diffs)
    if ANY_FIELDS in known:  # the gap is known, its exact fields vary with the CLI's timing
        assert diffs, f"listed in KNOWN_DIFFERENCES ({known[ANY_FIELDS]}) but gone: remove it"
        raise KnownDifferences(f"known differences of claude-compat ({known[ANY_FIELDS]}):\n{detail}")
    if known and actual == set(known):
        raise KnownDifferences(f"known differences of claude-compat:\n{detail}")
    new = sorted(actual - set(known))
    fixed = sorted(set(known) - actual)
    assert not diffs, (
        f"the two SDKs differ:\n{detail}\n"
        + (f"not in KNOWN_DIFFERENCES: {new}\n" if new else "")
        + (f"listed in KNOWN_DIFFERENCES but gone (remove them): {fixed}\n" if fixed else "")
    )


def scenario_params(category: str) -> list[Any]:
    """Scenarios, each marked xfail(strict) with the exact known differences of this category."""
    params: list[Any] = []
    for name in SCENARIOS:
        known = _known(name, category)
        if known:
            reason = "; ".join(sorted(set(known.values())))
            mark = pytest.mark.xfail(strict=True, raises=KnownDifferences, reason=reason)
            params.append(pytest.param(name, marks=mark))
        else:
            params.append(name)
    return params


def _known(name: str, category: str) -> dict[str, str]:
    entries = KNOWN_DIFFERENCES.get(name, {})
    if category == "kinds":
        return {k: v for k, v in entries.items() if k == "kinds"}
    return {k: v for k, v in entries.items() if k != "kinds"}


# --- servers and runs -----------------------------------------------------------------------


class AbServers:
    """A Letta server that knows the scripted models, and the scripted backends used by every run.

    The scenarios are independent, so they run `LANES` at a time, each in a lane of the backends
    of its own: the first `report` starts every scenario this session selected, and each test
    waits for the report it reads.
    """

    def __init__(
        self, letta_url: str, letta_api_key: str | None, model_port: int, out: Path, lanes: int
    ) -> None:
        self.letta_url = letta_url
        self.letta_api_key = letta_api_key
        self.model_port = model_port
        self.out = out
        self.backends = ScriptedBackends(
            letta_url=letta_url, letta_api_key=letta_api_key, model_port=model_port, lanes=lanes
        )
        self.selected: list[str] = list(SCENARIOS)
        self._pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="ab-scenario")
        self._runs: dict[str, Future[ABReport]] = {}
        self._lock = threading.Lock()

    def _run(self, name: str) -> ABReport:
        return run_ab(
            SCENARIOS_DIR / f"{name}.py",
            out_dir=self.out / name,
            scripted=SCENARIOS_DIR / f"{name}.json",
            backends=self.backends,
            parallel=True,
            timeout=120,
        )

    def report(self, name: str) -> ABReport:
        """The scenario's report: run once per module, both sides at the same time."""
        with self._lock:
            for other in [*self.selected, name]:
                if other not in self._runs:
                    self._runs[other] = self._pool.submit(self._run, other)
        return self._runs[name].result()

    def drain(self) -> None:
        """Wait until no scenario is running (before the backends are stopped)."""
        for future in list(self._runs.values()):
            future.exception()

    def close(self) -> None:
        """Let running scenarios finish and start no more."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _selected_scenarios(session: pytest.Session) -> list[str]:
    """The scenarios the selected tests of this module read (all of them for the usage test)."""
    names: list[str] = []
    for item in session.items:
        if Path(str(item.fspath)) != Path(__file__):
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "scenario" in params:
            names.append(params["scenario"])
        elif item.name == "test_both_sdks_report_the_same_usage_counters":
            names.extend(SCENARIOS)
    return list(dict.fromkeys(names))


@pytest.fixture(scope="module")
def ab_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AbServers]:
    # claude-compat keeps the Claude CLI's recorded first request in its cache directory, which
    # is under HOME, and each run has a HOME of its own: each would record it again (a run of the
    # real CLI, seconds on the run's critical path). The runs share this process's cache instead;
    # a recording does not depend on the HOME (it is made in a temporary one).
    with pytest.MonkeyPatch.context() as env:
        env.setenv(CACHE_ENV, str(_cache_root()))
        yield from _ab_servers(request, tmp_path_factory)


def _ab_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AbServers]:
    external = os.environ.get(AB_LETTA_URL_ENV, "").strip()
    out = tmp_path_factory.mktemp("ab-runs")
    lanes = int(os.environ.get(AB_LANES_ENV) or (1 if external else DEFAULT_LANES))
    if external:
        port = int(os.environ[AB_MODEL_PORT_ENV])
        servers = AbServers(external.rstrip("/"), os.environ.get("LETTA_API_KEY"), port, out, lanes)
        servers.selected = _selected_scenarios(request.session)
        with servers.backends:
            yield servers
            servers.close()
        return
    from letta_backend.server import LocalLettaServer

    # Letta learns its models when it starts: serve every lane's model name until then.
    first, *more = (ScriptedModel(model_id) for model_id in lane_model_ids(lanes))
    with ScriptedModelServer(first, more_models=more) as announcer:
        port = int(announcer.base_url.rsplit(":", 1)[1].split("/")[0])
        letta = LocalLettaServer(
            model_base_url=announcer.base_url, data_dir=tmp_path_factory.mktemp("ab-letta")
        )
        letta.start()
    try:
        servers = AbServers(letta.base_url, letta.api_key, port, out, lanes)
        servers.selected = _selected_scenarios(request.session)
        with servers.backends:
            yield servers
            servers.close()
    finally:
        letta.stop()


# --- the differential tests -----------------------------------------------------------------


@pytest.mark.letta
@pytest.mark.parametrize("scenario", scenario_params("kinds"))
def test_both_sdks_yield_the_same_message_kinds(ab_servers: AbServers, scenario: str) -> None:
    report = ab_servers.report(scenario)

    claude, compat = report.runs[0].claude, report.runs[0].compat
    assert claude.records and compat.records, (
        f"a side recorded nothing:\n{claude.stderr_tail}\n{compat.stderr_tail}"
    )
    check_differences([d for d in report.differences() if d.category == "kinds"], _known(scenario, "kinds"))


@pytest.mark.letta
@pytest.mark.parametrize("scenario", scenario_params("fields"))
def test_both_sdks_agree_field_by_field_and_print_the_same(ab_servers: AbServers, scenario: str) -> None:
    report = ab_servers.report(scenario)

    diffs = [d for d in report.differences() if d.category in ("fields", "exit code", "stdout")]
    check_differences(diffs, _known(scenario, "fields"))


def _usage_gap(diff: Difference) -> tuple[str, str, str, str]:
    kind_letter = diff.where.split("(")[1].split("[")[0].split(":")[0]

    def only(value: Any, whole: str) -> str:
        if isinstance(value, dict) and "only" in value:
            return " ".join(value["only"])
        return whole

    return (kind_letter, diff.path, only(diff.claude, "<whole usage>"), only(diff.compat, "<none>"))


@pytest.mark.letta
@pytest.mark.xfail(bool(USAGE_GAPS), strict=True, raises=KnownDifferences, reason="the known USAGE_GAPS")
def test_both_sdks_report_the_same_usage_counters(ab_servers: AbServers) -> None:
    gaps: set[tuple[str, str, str, str]] = set()
    for name in SCENARIOS:
        gaps.update(_usage_gap(d) for d in ab_servers.report(name).differences() if d.category == "usage")

    if gaps and gaps == USAGE_GAPS:
        raise KnownDifferences(f"known usage gaps: {sorted(gaps)}")
    assert not gaps, (
        f"usage counters differ: new {sorted(gaps - USAGE_GAPS)}, gone {sorted(USAGE_GAPS - gaps)}"
    )


@pytest.mark.letta
def test_the_report_compares_what_the_model_was_sent(ab_servers: AbServers) -> None:
    report = ab_servers.report("hello")

    diffs = report.request_differences()
    assert diffs is not None, "a side's scripted model received no model request"
    keys = [d.key for d in diffs]
    assert "system" not in keys, [str(d) for d in diffs]  # the CLI's identity line on both sides
    # the CLI's output limit and (no) temperature on both sides; what Letta cannot send stays named
    assert "sampling max_output_tokens" not in keys and "sampling temperature" not in keys, keys
    assert {"sampling thinking", "sampling thinking_budget"} <= set(keys), keys
    for side, view in (("claude", from_anthropic), ("compat", from_openai)):
        seen = view(report.runs[0].side(side).model_requests[0])
        told = [r for r in seen.reminders if r.startswith("# Environment")]
        assert told and "Primary working directory: <cwd>" in told[0], (side, seen.reminders)
        assert "Bash" in seen.tools
    assert "## What the model was sent" in render_markdown(report)


@pytest.mark.letta
def test_the_report_compares_the_tool_results_the_model_read(ab_servers: AbServers) -> None:
    report = ab_servers.report("bash_tool")

    diffs = report.request_differences()
    assert diffs is not None, "a side's scripted model received no model request"
    results = [str(d) for d in diffs if d.key.startswith("tool result")]
    assert results == [], results  # the same plain text on both sides, no Letta wrapper
    for side, view in (("claude", from_anthropic), ("compat", from_openai)):
        seen = view(report.runs[0].side(side).model_requests[-1]).tool_results
        assert seen["toolu_bash_1"].text == "3", (side, seen)  # the command's output, as it printed it


@pytest.mark.letta
@pytest.mark.parametrize("name", ["bash_tool", "hello", "tools_option_preset", "tool_search_select"])
def test_the_model_is_offered_the_clis_tool_set_with_the_same_tools_deferred(
    ab_servers: AbServers, name: str
) -> None:
    report = ab_servers.report(name)

    diffs = report.request_differences()
    assert diffs is not None, "a side's scripted model received no model request"
    tool_set = [str(d) for d in diffs if d.key.startswith("tool ") and ":" not in d.key]
    assert tool_set == [], tool_set  # each tool offered, deferred or left out on both sides alike
    assert not [str(d) for d in diffs if d.key.startswith("reminder 'The following deferred tools")]
    assert not [str(d) for d in diffs if d.key.startswith("tool ToolSearch")]
    # a ToolSearch result reads alike: the tools it loads (the CLI's tool_reference parts, our <functions>)
    assert not [str(d) for d in diffs if d.key.startswith("tool result")]
    compat = from_openai(report.runs[0].side("compat").model_requests[0])
    assert "ToolSearch" in compat.tools and "WebFetch" not in compat.tools


@pytest.mark.letta
@pytest.mark.parametrize(
    "name",
    ["bugfix_accept_edits", "budget_manager_queries", "query_string_can_use_tool", "can_use_tool_allow"],
)
def test_the_search_and_asking_tools_are_offered_as_the_cli_offers_them_in_its_words(
    ab_servers: AbServers, name: str
) -> None:
    """allowed_tools naming Glob brings Grep too and rewords Bash; can_use_tool brings AskUserQuestion:
    each offered alike, with the CLI's description and schema (read from its request recorded so)."""
    report = ab_servers.report(name)

    diffs = report.request_differences()
    assert diffs is not None, "a side's scripted model received no model request"
    assert not [str(d) for d in diffs if d.key.startswith("tool ")]
    offered = from_openai(report.runs[0].side("compat").model_requests[0]).tools
    wanted = {"AskUserQuestion"} if "can_use_tool" in name else {"Bash", "Glob", "Grep"}
    assert wanted <= set(offered)


@pytest.mark.letta
def test_the_ab_command_prints_a_side_by_side_report_and_writes_traces(
    monkeypatch: pytest.MonkeyPatch, ab_servers: AbServers, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ab"
    if ab_servers.letta_api_key:  # the command sends the given server's token from LETTA_API_KEY
        monkeypatch.setenv("LETTA_API_KEY", ab_servers.letta_api_key)
    ab_servers.drain()
    ab_servers.backends.stop()  # the command serves the scripted model on that port itself
    try:
        code = main(
            [
                "ab",
                str(SCENARIOS_DIR / "hello.py"),
                "--scripted",
                str(SCENARIOS_DIR / "hello.json"),
                "--letta-url",
                ab_servers.letta_url,
                "--model-port",
                str(ab_servers.model_port),
                "--runs",
                "2",
                "--parallel",
                "--format",
                "html",
                "--out",
                str(out),
            ]
        )
    finally:
        ab_servers.backends.start()

    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    assert "claude_agent_sdk" in printed.out and "claude-compat" in printed.out
    assert "message kinds match over 2 runs" in printed.out
    assert "'Readable syntax, dynamic" in printed.out  # the result text, side by side (clipped)
    assert "4/4" in printed.err  # the progress bar reached the end
    for run in ("run-1", "run-2"):
        for side in ("claude", "compat"):
            lines = (out / run / f"{side}.jsonl").read_text().splitlines()
            types = [json.loads(line)["type"] for line in lines]
            assert types[0] == "ab.start" and "ResultMessage" in types and types[-1] == "ab.end"
            assert (
                out / run / f"{side}.stdout.txt"
            ).read_text() == "Readable syntax, dynamic typing and a large standard library.\n"
    page = (out / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "Sys:init" in page and "What the normaliser ignores" in page
    assert json.loads((out / "summary.json").read_text())["kinds_match"] is True
    # the API key the Claude side ran with appears in no trace, report or printed line
    written = [f.read_text(errors="replace") for f in out.rglob("*") if f.is_file()]
    assert all("sk-ant-scripted-offline" not in text for text in [*written, printed.out, printed.err])


# --- without Letta: the Anthropic fake, the normaliser, the report --------------------------


def _post(url: str, body: dict[str, Any]) -> tuple[int, str, str]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("content-type", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read().decode()


def _sse(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


TOOLS = [{"name": "Read", "input_schema": {"type": "object"}}]


def test_the_anthropic_fake_streams_thinking_text_and_a_tool_call_as_the_messages_api_does() -> None:
    model = ScriptedModel("claude-sonnet-4-5").push(
        Turn(
            reasoning="think first",
            text="Reading.",
            tool_calls=[ToolCall("Read", {"file_path": "/a b.txt"}, id="toolu_1")],
            usage=Usage(input_tokens=7, output_tokens=3),
        )
    )
    with AnthropicScriptedServer(model) as server:
        status, content_type, body = _post(
            f"{server.base_url}/v1/messages?beta=true",
            {
                "model": "claude-opus-5-5",
                "stream": True,
                "tools": TOOLS,
                "messages": [{"role": "user", "content": "hi"}],
            },
        )

    events = _sse(body)
    assert status == 200 and content_type == "text/event-stream"
    assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"
    assert events[0]["message"]["model"] == "claude-opus-5-5"
    assert events[0]["message"]["usage"]["input_tokens"] == 7
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["thinking", "text", "tool_use"]
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta"]
    assert "".join(d["thinking"] for d in deltas if d["type"] == "thinking_delta") == "think first"
    assert any(d["type"] == "signature_delta" and d["signature"] for d in deltas)
    assert "".join(d["text"] for d in deltas if d["type"] == "text_delta") == "Reading."
    arguments = "".join(d["partial_json"] for d in deltas if d["type"] == "input_json_delta")
    assert json.loads(arguments) == {"file_path": "/a b.txt"}
    end = next(e for e in events if e["type"] == "message_delta")
    assert end["delta"]["stop_reason"] == "tool_use" and end["usage"]["output_tokens"] == 3
    assert model.requests[0].path == "/v1/messages" and model.requests[0].stream


def test_the_anthropic_fake_answers_json_errors_side_calls_and_other_routes() -> None:
    model = ScriptedModel().push("plain answer", Turn(error=HttpError(529, "busy")))
    with AnthropicScriptedServer(model, aux_reply="A title") as server:
        base = server.base_url
        aux = _post(f"{base}/v1/messages", {"messages": [{"role": "user", "content": "title?"}]})
        plain = _post(f"{base}/v1/messages", {"tools": TOOLS, "messages": [{"role": "user", "content": "x"}]})
        error = _post(f"{base}/v1/messages", {"tools": TOOLS, "messages": [{"role": "user", "content": "y"}]})
        count = _post(
            f"{base}/v1/messages/count_tokens", {"messages": [{"role": "user", "content": "abcd" * 10}]}
        )
        other = _post(f"{base}/api/event_logging/batch", {})
        with urllib.request.urlopen(f"{base}/v1/models", timeout=10) as response:
            models = json.loads(response.read())

    assert json.loads(aux[2])["content"] == [{"type": "text", "text": "A title"}]  # the script was not used
    message = json.loads(plain[2])
    assert (
        message["content"] == [{"type": "text", "text": "plain answer"}]
        and message["stop_reason"] == "end_turn"
    )
    assert error[0] == 529
    assert json.loads(error[2]) == {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    assert json.loads(count[2])["input_tokens"] > 0
    assert other[:2] == (200, "application/json") and json.loads(other[2]) == {}
    assert models["data"][0]["id"] == "scripted-model"
    assert len(model.requests) == 6


def test_runs_in_different_lanes_are_answered_from_their_own_scripts(tmp_path: Path) -> None:
    chat = {"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS}
    with ScriptedModelServer(ScriptedModel(lane_model_ids(1)[0])) as model_server:
        backends = ScriptedBackends(letta_url="http://127.0.0.1:9", model_server=model_server, lanes=2)
        with backends, backends.lane({"turns": ["from A"]}) as a, backends.lane({"turns": ["from B"]}) as b:
            for lane in (a, b):
                lane.prepare("claude")
                lane.prepare("compat")
            # claude-compat's requests reach one server (the port Letta stores), told apart by model
            openai = {
                lane.model_id: _post(
                    f"{model_server.base_url}/chat/completions", {**chat, "model": lane.model_id}
                )
                for lane in (b, a)
            }
            claude = {
                lane.model_id: _post(
                    f"{lane.env('claude', tmp_path)['ANTHROPIC_BASE_URL']}/v1/messages", chat
                )
                for lane in (b, a)
            }
            models = {lane.model_id: lane.env("compat", tmp_path)["CLAUDE_COMPAT_MODEL"] for lane in (a, b)}
            seen = {lane.model_id: len(lane.requests("compat")) for lane in (a, b)}

    assert lane_model_ids(2) == ["claude-sonnet-4-5", "claude-sonnet-4-5-lane2"] == [a.model_id, b.model_id]
    assert models == {m: f"openai-proxy/{m}" for m in lane_model_ids(2)}
    texts = {m: json.loads(body)["choices"][0]["message"]["content"] for m, (_, _, body) in openai.items()}
    assert texts == {a.model_id: "from A", b.model_id: "from B"}
    answers = {m: json.loads(body)["content"][0]["text"] for m, (_, _, body) in claude.items()}
    assert answers == {a.model_id: "from A", b.model_id: "from B"}
    assert seen == {a.model_id: 1, b.model_id: 1}


def _run(side: Side, records: list[dict[str, Any]], tmp_path: Path, stdout: str = "") -> SideRun:
    (tmp_path / f"{side}.out").write_text(stdout)
    return SideRun(
        side=side,
        run=0,
        exit_code=0,
        wall_s=1.0,
        trace_path=tmp_path / f"{side}.jsonl",
        stdout_path=tmp_path / f"{side}.out",
        stderr_path=tmp_path / f"{side}.err",
        records=records,
        placeholders={f"/tmp/{side}/work": "<cwd>", f"/tmp/{side}": "<tmp>"},
    )


def _trace(
    side: str, *, session: str, text: str, cost: float | None, thinking_chunks: int
) -> list[dict[str, Any]]:
    thinking = [
        {
            "type": "SystemMessage",
            "subtype": "thinking_tokens",
            "data": {"estimated_tokens": n, "uuid": f"u{n}"},
        }
        for n in range(thinking_chunks)
    ]
    return [
        {"type": "ab.start", "side": side, "t": 0.5},
        {"type": "ab.call", "api": "query", "t": 1.0},
        {
            "type": "SystemMessage",
            "subtype": "init",
            "data": {
                "subtype": "init",
                "cwd": f"/tmp/{side}/work",
                "tools": ["Bash", "Read", side],
                "model": side,
            },
            "t": 1.1,
        },
        *thinking,
        {
            "type": "AssistantMessage",
            "content": [
                {
                    "type": "ToolUseBlock",
                    "id": f"{side}-call",
                    "name": "Read",
                    "input": {"file_path": f"/tmp/{side}/work/a"},
                }
            ],
            "model": side,
            "message_id": f"{side}-m1",
            "session_id": session,
            "uuid": f"{side}-u1",
            "usage": {"input_tokens": 3, "output_tokens": 1},
            "t": 1.2,
        },
        {
            "type": "UserMessage",
            "content": [
                {"type": "ToolResultBlock", "tool_use_id": f"{side}-call", "content": text, "is_error": None}
            ],
            "t": 1.3,
        },
        {
            "type": "ResultMessage",
            "subtype": "success",
            "is_error": False,
            "num_turns": 2,
            "session_id": session,
            "duration_ms": 99,
            "total_cost_usd": cost,
            "usage": {"input_tokens": 3, "output_tokens": 1},
            "result": "done",
            "permission_denials": [{"tool_name": "Read", "tool_use_id": f"{side}-call"}],
            "t": 1.5,
        },
        {"type": "ab.end", "exit_code": 0, "t": 1.6},
    ]


def test_the_normaliser_numbers_ids_replaces_paths_and_keeps_only_what_compares() -> None:
    records = _trace("x", session="s-1", text="read /tmp/x/work/a", cost=0.5, thinking_chunks=3)

    normalised = normalise(records, placeholders={"/tmp/x/work": "<cwd>", "/tmp/x": "<tmp>"})

    assert [kind(r) for r in normalised] == [
        "Sys:init",
        "Sys:thinking_tokens",  # three chunks, one message: chunking is the wire's
        "A[ToolUse]",
        "U[ToolResult]",
        "Result:success",
    ]
    init, _, assistant, user, result = normalised
    assert init["data"] == {"subtype": "init", "tools (of those called)": ["Read"], "mcp_servers": []}
    assert assistant["content"][0] == {
        "type": "ToolUseBlock",
        "id": "<tool-1>",
        "name": "Read",
        "input": {"file_path": "<cwd>/a"},
    }
    assert "model" not in assistant and "uuid" not in assistant and "t" not in assistant
    assert assistant["message_id"] == "<message-1>" and assistant["session_id"] == "<session-1>"
    assert assistant["usage"] == ["input_tokens", "output_tokens"]
    assert user["content"][0]["tool_use_id"] == "<tool-1>" and user["content"][0]["content"] == "read <cwd>/a"
    assert result["session_id"] == "<session-1>" and result["total_cost_usd"] == "<present>"
    assert "duration_ms" not in result
    assert result["permission_denials"] == [{"tool_name": "Read", "tool_use_id": "<tool-1>"}]
    assert {row.action for row in NORMALISATIONS} >= {"drop", "number", "keys", "presence", "collapse"}


def test_every_scenario_names_the_public_program_it_was_adapted_from() -> None:
    unnamed = [
        name
        for name in SCENARIOS
        if not re.match(
            r"# Source: https://github\.com/[\w.-]+/[\w.-]+/blob/\S+\n"
            r"\"\"\"\w+: .*\n(?s:.*)(Adapted|Source:)",
            (SCENARIOS_DIR / f"{name}.py").read_text(encoding="utf-8"),
        )
    ]
    assert len(SCENARIOS) >= 80 and not unnamed, unnamed


def test_the_ids_and_times_a_run_draws_read_alike_in_the_model_requests_so_the_two_sides_compare() -> None:
    agent, session = "a4db6b470aafcf47a", "bbe5bbfa-6c46-4632-9e35-ea463e420c89"
    text = f"agentId: {agent} (to: '{agent}')\noutput_file: /t/<cwd-key>/{session}/tasks/{agent}.output"

    numbered = _run_neutral(text)

    assert numbered == (
        f"agentId: <agent-1> (to: '<agent-1>')\noutput_file: /t/<cwd-key>/{session}/tasks/<agent-1>.output"
    )
    records = [{"session_id": session}, {"session_id": "s2"}, {"session_id": session}, {"type": "x"}]
    assert _session_placeholders(records) == {session: "<session-1>", "s2": "<session-2>"}
    assert _run_neutral(f"{agent} a0000000000000000") == "<agent-1> <agent-2>"  # each its own number
    assert _run_neutral("<usage>tool_uses: 0\nduration_ms: 392</usage>") == (
        "<usage>tool_uses: 0\nduration_ms: <ms></usage>"
    )


def test_the_normaliser_numbers_a_subagents_id_with_its_task_and_drops_its_wall_clock() -> None:
    def trace(agent_id: str, duration: int) -> list[dict[str, Any]]:
        text = (
            "[Subagent hand-back] … The report follows:\n  hi\n"
            f"agentId: {agent_id} (use SendMessage with to: '{agent_id}', summary: 'x' to continue)\n"
            f"<usage>subagent_tokens: 15\ntool_uses: 0\nduration_ms: {duration}</usage>"
        )
        return [
            {"type": "TaskStartedMessage", "task_id": agent_id, "description": "Greet"},
            {
                "type": "UserMessage",
                "content": [{"type": "ToolResultBlock", "content": [{"type": "text", "text": text}]}],
                "tool_use_result": {
                    "agentId": agent_id,
                    "harnessSectionHash": "95b6907f8518410c",
                    "resolvedModel": "some-model",
                    "totalDurationMs": duration,
                    "totalTokens": 15,
                },
            },
        ]

    claude = normalise(trace("a449962e9f99483a1", 2387))
    compat = normalise(trace("aa0f864a673ed4254", 226))

    assert claude == compat
    started, result = claude
    assert started["task_id"] == "<task-1>" and result["tool_use_result"]["agentId"] == "<task-1>"
    shown = result["content"][0]["content"][0]["text"]
    assert "agentId: <task-1> (use SendMessage with to: '<task-1>', summary" in shown
    assert shown.endswith("tool_uses: 0\nduration_ms: <duration></usage>")
    # deterministic fields still compare as they are
    assert result["tool_use_result"]["harnessSectionHash"] == "95b6907f8518410c"
    assert result["tool_use_result"]["totalTokens"] == 15
    # an id that is not its task's does not compare equal
    stray = trace("a449962e9f99483a1", 1)
    stray[1]["tool_use_result"]["agentId"] = "a0000000000000000"
    assert normalise(stray)[1]["tool_use_result"]["agentId"] == "<task-2>"


def _background_trace(order: list[str]) -> list[dict[str, Any]]:
    """A main agent launching a background subagent; `order` interleaves the two threads' messages."""

    def text(said: str, parent: str | None = None) -> dict[str, Any]:
        block = {"type": "TextBlock", "text": said}
        return {"type": "AssistantMessage", "content": [block], "parent_tool_use_id": parent}

    task = {"task_id": "a1", "tool_use_id": "toolu_agent"}
    launch = {"type": "ToolUseBlock", "id": "toolu_agent", "name": "Agent", "input": {}}
    result = {"type": "ToolResultBlock", "tool_use_id": "toolu_agent", "content": "launched"}
    messages = {
        "main-reply": text("the reviewer is running"),
        "sub-read": {
            "type": "AssistantMessage",
            "content": [{"type": "ToolUseBlock", "id": "toolu_read", "name": "Read", "input": {}}],
            "parent_tool_use_id": "toolu_agent",
        },
        "sub-progress": {"type": "TaskProgressMessage", "subtype": "task_progress", **task},
        "sub-result": {
            "type": "UserMessage",
            "content": [{"type": "ToolResultBlock", "tool_use_id": "toolu_read", "content": "x"}],
            "parent_tool_use_id": "toolu_agent",
        },
        "sub-reply": text("a bug", "toolu_agent"),
        "sub-notification": {"type": "TaskNotificationMessage", "subtype": "task_notification", **task},
        "sub-tasks-empty": {
            "type": "SystemMessage",
            "subtype": "background_tasks_changed",
            "data": {"subtype": "background_tasks_changed", "tasks": []},
        },
    }
    return [
        {"type": "SystemMessage", "subtype": "init", "data": {"subtype": "init"}},
        {"type": "AssistantMessage", "content": [launch], "parent_tool_use_id": None},
        {"type": "TaskStartedMessage", "subtype": "task_started", **task},
        {"type": "UserMessage", "content": [result], "parent_tool_use_id": None},
        *(messages[name] for name in order),
        {"type": "ResultMessage", "subtype": "success", "result": "done"},
    ]


def test_a_background_subagents_messages_compare_in_their_own_order_however_the_threads_interleave() -> None:
    sub = ["sub-read", "sub-progress", "sub-result", "sub-reply", "sub-notification", "sub-tasks-empty"]
    first = normalise(_background_trace(["main-reply", *sub]))  # the main agent answered first
    second = normalise(_background_trace([*sub[:2], "main-reply", *sub[2:]]))  # in the middle
    last = normalise(_background_trace([*sub, "main-reply"]))  # claude-compat's order

    assert first == second == last
    assert [kind(r) for r in last][3:] == [
        "U[ToolResult]",  # the launch result, then the subagent's thread, then the main agent's reply
        "A[ToolUse]",
        "TaskProgressMessage",
        "U[ToolResult]",
        "A[Text]",
        "TaskNotificationMessage",
        "Sys:background_tasks_changed",
        "A[Text]",
        "Result:success",
    ]
    # a reorder inside a thread is still a difference
    swapped = normalise(_background_trace(["main-reply", "sub-read", "sub-result", "sub-progress", *sub[3:]]))
    assert swapped != last
    # so is a subagent's message moved before its launch result: it would be a foreground one
    early = _background_trace(sub)
    early.insert(3, early.pop(4))
    assert normalise(early) != normalise(_background_trace(sub))
    # a foreground subagent (its messages before its result) keeps its place
    foreground = _background_trace([])
    foreground.insert(3, {"type": "AssistantMessage", "content": [], "parent_tool_use_id": "toolu_agent"})
    assert [r.get("parent_tool_use_id") for r in normalise(foreground)][2:4] == [None, "toolu_agent"]


def test_what_a_program_printed_beside_a_background_subagent_compares_line_by_line_in_any_order(
    tmp_path: Path,
) -> None:
    sub = ["sub-read", "sub-progress", "sub-result", "sub-reply", "sub-notification", "sub-tasks-empty"]
    claude_trace, compat_trace = (
        _background_trace(["main-reply", *sub]),
        _background_trace([*sub, "main-reply"]),
    )
    claude = _run("claude", claude_trace, tmp_path, "main: running\nsub: a bug\n")
    compat = _run("compat", compat_trace, tmp_path, "sub: a bug\nmain: running\n")

    assert compare(RunPair(0, claude, compat)) == []
    compat = _run("compat", compat_trace, tmp_path, "sub: a bug\nmain: done\n")  # a line differs
    assert [d.key for d in compare(RunPair(0, claude, compat))] == ["stdout"]
    # without a background subagent, the order of the lines counts
    plain = _trace("x", session="s", text="t", cost=0.1, thinking_chunks=0)
    claude, compat = _run("claude", plain, tmp_path, "a\nb\n"), _run("compat", plain, tmp_path, "b\na\n")
    assert [d.key for d in compare(RunPair(0, claude, compat))] == ["stdout"]


def test_compare_finds_kind_field_and_output_differences_and_the_reports_show_them(tmp_path: Path) -> None:
    claude = _run(
        "claude", _trace("claude", session="a", text="same", cost=0.1, thinking_chunks=2), tmp_path, "ok\n"
    )
    compat = _run(
        "compat", _trace("compat", session="b", text="other", cost=None, thinking_chunks=0), tmp_path, "ok?\n"
    )
    pair = RunPair(0, claude, compat)

    diffs = compare(pair)

    assert [d.key for d in diffs] == [
        "kinds",
        "message 4/3 (U[ToolResult]): content[0].content",
        "message 5/4 (Result:success): total_cost_usd",
        "stdout",
    ]
    assert diffs[0].claude[1] == "Sys:thinking_tokens" and "Sys:thinking_tokens" not in diffs[0].compat
    report = ABReport(script=tmp_path / "prog.py", args=[], scripted=True, runs=[pair], out_dir=tmp_path)
    assert not report.kinds_match and report.verdict().startswith("message kinds DIFFER")
    text = render_text(report)
    assert "- Sys:thinking_tokens" in text  # only on the Claude side
    assert 'Read {"file_path": "<cwd>/a"}' in text
    assert "Read claude-call: denied" in text
    markdown = render_markdown(report)
    assert "| - | Sys:thinking_tokens |   |" in markdown
    assert "## What the normaliser ignores" in markdown and "| session_id | number |" in markdown
    assert "<td>Sys:thinking_tokens</td>" in render_html(report)


def test_the_ab_command_explains_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "prog.py"
    program.write_text("print('hi')\n")

    missing = main(["ab", str(tmp_path / "nope.py"), "--out", str(tmp_path / "o1")])
    without_script = main(
        ["ab", str(program), "--letta-url", "http://127.0.0.1:1", "--out", str(tmp_path / "o2")]
    )
    without_port = main(
        [
            "ab",
            str(program),
            "--scripted",
            "{}",
            "--letta-url",
            "http://127.0.0.1:1",
            "--out",
            str(tmp_path / "o3"),
        ]
    )
    (tmp_path / "bad.json").write_text('{"turns": [{"texts": "typo"}]}')
    bad_script = main(
        ["ab", str(program), "--scripted", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o4")]
    )

    errors = capsys.readouterr().err
    assert (missing, without_script, without_port, bad_script) == (1, 1, 1, 1)
    assert "no program at" in errors
    assert "--letta-url is for --scripted runs" in errors
    assert "--letta-url needs --model-port" in errors
    assert "unknown key(s) ['texts']" in errors


def test_a_run_of_thinking_token_notices_matches_one_in_the_verdict_too(tmp_path: Path) -> None:
    """The wire decides how many thinking chunks there are: three notices and one are the same kinds."""
    claude = _run(
        "claude", _trace("claude", session="a", text="same", cost=0.1, thinking_chunks=3), tmp_path, "ok\n"
    )
    compat = _run(
        "compat", _trace("compat", session="b", text="same", cost=0.1, thinking_chunks=1), tmp_path, "ok\n"
    )
    report = ABReport(
        script=tmp_path / "prog.py",
        args=[],
        scripted=True,
        runs=[RunPair(0, claude, compat)],
        out_dir=tmp_path,
    )
    assert report.kinds("claude").count("Sys:thinking_tokens") == 3  # the raw kinds differ
    assert report.kinds_match and report.verdict().startswith("message kinds match")


#: What Letta's chat-completions requests cannot carry: a thinking switch and budget, and an effort to
#: a model that is not o-series or gpt-5 (the lanes' models; mapping.SAMPLING_LIMITS, MIGRATING.md).
LETTA_CANNOT_SEND = frozenset({"sampling thinking", "sampling thinking_budget", "sampling effort"})
#: Where Letta answers the model itself on a stock server: the rows that differ, and why (MIGRATING.md).
LETTA_ANSWERS: dict[str, tuple[frozenset[str], str]] = {
    "unknown_tool_called": (
        frozenset(
            {
                "tool result toolu_create_1",
                "tool result toolu_create_1: form",
                "tool result toolu_create_1: reminders",
            }
        ),
        "a call to a name no tool rule can name in advance (CreateFile): Letta answers it itself, with "
        "its ToolConstraintError in its status JSON",
    ),
}


#: Programs that stop at the init message: claude-compat has called no model by then (the CLI, which
#: starts its first request at once, may have).
STOPS_BEFORE_THE_MODEL = frozenset(
    {
        "agent_definition_client",
        "agent_definition_query",
        "setting_sources_local_style",
        "setting_sources_user_only",
    }
)


@pytest.mark.letta
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_model_is_sent_what_the_cli_sends(ab_servers: AbServers, scenario: str) -> None:
    report = ab_servers.report(scenario)

    if scenario in STOPS_BEFORE_THE_MODEL:
        assert report.runs[0].compat.model_requests == []
        return
    diffs = report.request_differences()
    if diffs is None:  # a side called no model: neither may have
        assert report.runs[0].claude.model_requests == report.runs[0].compat.model_requests == []
        return
    assert_only_known(diffs, LETTA_ANSWERS, "LETTA_ANSWERS", scenario)


def assert_only_known(
    diffs: list[Any], table: dict[str, tuple[frozenset[str], str]], table_name: str, scenario: str
) -> None:
    """Pass when the model requests differ only where Letta cannot send a field, or in the rows
    ``table`` names for ``scenario`` (each of which must still differ)."""
    known, _why = table.get(scenario, (frozenset(), ""))
    differ = [str(d) for d in diffs if d.key not in LETTA_CANNOT_SEND | known]
    assert not differ, "\n".join(differ)
    gone = known - {d.key for d in diffs}
    assert not gone, f"no longer differs, take it out of {table_name}: {sorted(gone)}"


#: Where a later session's first request (a subagent's) still differs from the CLI's, and why.
LATER_SESSION_DIFFERENCES: dict[str, tuple[frozenset[str], str]] = {
    name: (
        frozenset({"tool Agent", "system messages"}),
        "the CLI offers its general-purpose subagent the Agent tool and more deferred tools (its "
        "subagents may start subagents); claude-compat's subagents start none",
    )
    for name in ("forward_subagent_text_on", "forward_subagent_text_off")
}


@pytest.mark.letta
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_later_session_and_subagent_is_sent_what_the_cli_sends(
    ab_servers: AbServers, scenario: str
) -> None:
    # the first request of each session but the first: a subagent, a later query() on other options
    report = ab_servers.report(scenario)

    sessions = report.later_session_differences()
    assert sessions is not None, "the two sides started different numbers of sessions"
    every = [d for diffs in sessions for d in diffs]
    assert_only_known(every, LATER_SESSION_DIFFERENCES, "LATER_SESSION_DIFFERENCES", scenario)
