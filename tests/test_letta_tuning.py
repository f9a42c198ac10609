"""The tuned Letta server: each patch pinned to the upstream code it replaces, applied, switchable.

The upstream code each patch replaces is quoted in tests/fixtures/letta_upstream/ (the text of
letta 0.16.8 and its httpx); the launcher refuses to start when the installed code differs.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ResultMessage, query
from claude_compat.errors import LettaServerStartError
from claude_compat.testing import ScriptedModel, ToolCall, Turn
from letta_backend import _tuning
from letta_backend.server import LocalLettaServer, _get_json

UPSTREAM = Path(__file__).parent / "fixtures" / "letta_upstream"


def quoted(where: str) -> str:
    """The upstream source a target names, as quoted in the fixtures."""
    return (UPSTREAM / (where.replace(":", "--") + ".txt")).read_text(encoding="utf-8")


TARGETS = sorted({(t.where, t.sha256) for p in _tuning.PATCHES for t in p.targets})


@pytest.mark.parametrize(("where", "sha256"), TARGETS)
def test_each_pinned_hash_is_the_hash_of_the_quoted_upstream_code(where: str, sha256: str) -> None:
    assert _tuning.digest(quoted(where)) == sha256


def test_the_quoted_code_is_what_each_patch_replaces() -> None:
    # what the patches rely on, visible in the quotes
    assert 'engine_args["poolclass"] = NullPool' in quoted("letta.server.db")
    assert "create_async_engine(async_pg_uri, **engine_args)" in quoted("letta.server.db")
    assert "ssl.create_default_context(cafile=certifi.where())" in quoted("httpx._config:create_ssl_context")
    assert 'logging.getLogger("Letta")' in quoted("letta.log:get_logger")
    metrics = quoted("letta.services.step_manager:StepManager.record_step_metrics_async")
    assert "except NoResultFound:" in metrics and '"id": step_id' in metrics


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("( ", "(").replace(" )", ")")


def test_stop_reason_update_writes_what_the_full_agent_update_wrote() -> None:
    run = quoted("letta.services.run_manager:RunManager.update_run_by_id_async")
    # the one agent update of a run's end: only last_stop_reason, its result thrown away
    assert run.count("update_agent_async(") == 1
    assert _one_line(
        "await self.agent_manager.update_agent_async( agent_id=pydantic_run.agent_id, "
        "agent_update=UpdateAgent(last_stop_reason=update.stop_reason), actor=actor,)"
    ) in _one_line(run)
    assert "except Exception as e:" in run.split("update_agent_async(")[1][:400]
    agent = quoted("letta.services.agent_manager:AgentManager.update_agent_async")
    # what that update changes on the row the patch's UPDATE names (read by id within the actor)
    assert "AgentModel.read_async(db_session=session, identifier=agent_id, actor=actor)" in agent
    assert "agent.updated_at = datetime.now(timezone.utc)" in agent
    assert "agent.last_updated_by_id = actor.id" in agent
    assert '"last_stop_reason": agent_update.last_stop_reason,' in agent
    assert "if val is not None:" in agent and "setattr(agent, col, val)" in agent


def test_sequence_once_runs_the_statements_upstream_runs() -> None:
    bulk = _one_line(quoted("letta.orm.message:set_sequence_id_for_sqlite_bulk"))
    one = _one_line(quoted("letta.orm.message:set_sequence_id_for_sqlite"))
    for text in (bulk, one):
        assert _one_line(_tuning._SEQUENCE_TABLE) in text
        assert _one_line(_tuning._SEQUENCE_START) in text
    for statement in (_tuning._SEQUENCE_TAKE, _tuning._SEQUENCE_BUMP, _tuning._SEQUENCE_READ):
        assert _one_line(statement) in bulk
        assert _one_line(statement.replace(":count", "1")) in one
    # the bulk listener numbers the new messages without one; the per-insert one always overwrites
    assert "isinstance(obj, Message) and obj.sequence_id is None" in bulk
    assert "obj.sequence_id = start_sequence_id + i" in bulk
    assert "target.sequence_id = sequence_id" in one


def _statements(text: str) -> list[str]:
    """The code lines of a method: no decorators, signature, docstring, comments or blank lines."""
    lines = []
    body = text.split('"""')[2] if '"""' in text else text
    for raw in body.splitlines():
        line = raw.split("  #")[0].strip()
        if line and not line.startswith(("#", "@", "import ")):
            lines.append(line)
    return lines


def test_run_project_id_is_upstreams_create_run_but_for_the_agent_load() -> None:
    upstream = quoted("letta.services.run_manager:RunManager.create_run")
    replaced = [
        "agent = await session.get(AgentModel, agent_id)",
        "project_id = agent.project_id if agent else None",
    ]
    # the one use of the loaded agent: its project_id
    assert [line for line in _statements(upstream) if re.search(r"\bagent\b", line)] == replaced
    replacement = inspect.getsource(_tuning._apply_run_project_id)
    ours = {re.sub(r"\bm\.", "", line) for line in _statements(replacement)}
    # every other statement of upstream's method is in the replacement, as upstream wrote it
    missing = [line for line in _statements(upstream) if line not in replaced and line not in ours]
    # ... but the metrics row's creation, which does not re-read the row (the run is returned)
    assert missing == ["await metrics.create_async(session)"]
    assert "await metrics.create_async(session, no_refresh=True)" in ours
    assert _statements(upstream)[-1] == "return run.to_pydantic()"
    assert "project_id = (await session.execute(project)).scalar_one_or_none()" in ours


def test_run_metrics_columns_answers_the_two_listings_as_upstream_uses_them() -> None:
    run = quoted("letta.services.run_manager:RunManager.update_run_by_id_async")
    steps_call = "num_steps = len(await self.step_manager.list_steps_async(run_id=run_id, actor=actor))"
    messages_call = "messages = await self.message_manager.list_messages(actor=actor, run_id=run_id)"
    assert steps_call in run and messages_call in run
    assert _tuning._COUNT_STEPS_CALL == {"run_id", "actor"} == _tuning._TOOL_NAMES_CALL
    # the steps are only counted; of each message only tool_calls is read
    after = run.split(messages_call)[1].split("async with db_registry.async_session()")[0]
    assert re.findall(r"\bmessage\.\w+", after) == ["message.tool_calls", "message.tool_calls"]
    uses = [line for line in _statements(run) if re.search(r"\bmessages\b(?!=)", line)]
    assert uses == [messages_call, "for message in messages:"] and run.count("list_steps_async") == 1
    # the filters and the limit the column queries repeat
    steps = quoted("letta.services.step_manager:StepManager.list_steps_async")
    assert f"limit: Optional[int] = {_tuning._LIST_LIMIT}," in steps
    assert 'filter_kwargs = {"organization_id": actor.organization_id}' in steps
    assert 'filter_kwargs["run_id"] = run_id' in steps and "actor=" not in steps.split("list_async(")[1]
    messages = quoted("letta.services.message_manager:MessageManager.list_messages")
    assert f"limit: Optional[int] = {_tuning._LIST_LIMIT}," in messages
    for line in (
        "query = select(MessageModel)",
        "query = query.where(MessageModel.is_deleted == False)",
        "query = query.where(MessageModel.run_id == run_id)",
        "query = query.order_by(MessageModel.sequence_id.asc())",
        "query = query.limit(limit)",
        "messages = [msg.to_pydantic() for msg in results]",
    ):
        assert line in messages, line


def test_conversation_touch_is_upstreams_update_but_for_the_reload() -> None:
    upstream = quoted(_tuning._CONVERSATION_UPDATE)
    replacement = inspect.getsource(_tuning._apply_conversation_touch)
    ours = {re.sub(r"\bm\.", "", line) for line in _statements(replacement)}
    # the model_settings branch never runs for an update of last_message_at alone
    branch = upstream.split('if key == "model_settings"')[1].split("else:")[0]
    dead = set(_statements('if key == "model_settings"' + branch + "else:"))
    missing = [line for line in _statements(upstream) if line not in ours and line not in dead]
    # every statement is upstream's; the update_async call adds no_refresh=True to its arguments
    assert missing == []
    call = _one_line(replacement.split("await conversation.update_async(")[1].split(")")[0]).strip()
    assert call == "db_session=session, actor=actor, no_refresh=True"
    update = quoted("letta.orm.sqlalchemy_base:SqlalchemyBase.update_async")
    assert "if not no_refresh:" in update and "await db_session.refresh(self)" in update
    # what makes the skipped refresh safe: objects keep their loaded state on commit
    assert "expire_on_commit=False," in quoted("letta.server.db")


def test_conversation_once_relies_on_nothing_writing_between_the_update_and_the_stream_start() -> None:
    route = quoted(_tuning._CONVERSATION_ROUTE)
    normal = route.split("# Normal conversation mode")[1]
    get, update = normal.index("get_conversation_by_id("), normal.index("update_conversation(")
    stream = normal.index("create_agent_stream(")
    assert get < update < stream
    # between the update and the stream start the route only builds the request
    assert re.findall(r"await [\w.]+", normal[update : stream + len("create_agent_stream")]) == [
        "await streaming_service.create_agent_stream"
    ]
    start = quoted(_tuning._STREAM_START)
    before = start.split("get_conversation_by_id(")[0]
    assert re.findall(r"await [\w.]+", before) == [
        "await get_redis_client",
        "await self.server.agent_manager.get_agent_by_id_async",
        "await ConversationManager",  # ().get_conversation_by_id(
    ]
    assert start.count("get_conversation_by_id(") == 1
    # of the conversation read there, only the model override is used
    assert set(re.findall(r"\bconversation\.(\w+)", start)) == {"model", "model_settings"}
    assert "conversation_id=conversation_id," in start.split("get_conversation_by_id(")[1][:80]


def test_messages_without_step_run_is_upstreams_read_less_the_relationships() -> None:
    manager = _one_line(quoted("letta.services.message_manager:MessageManager.get_messages_by_ids_async"))
    assert (
        _one_line(
            "results = await MessageModel.read_multiple_async( db_session=session, identifiers=message_ids, "
            "actor=actor, check_is_deleted=True,)"
        )
        in manager
    )
    assert "return self._get_messages_by_id_postprocess(results, message_ids)" in manager
    read = quoted("letta.orm.sqlalchemy_base:SqlalchemyBase.read_multiple_async")
    assert "@handle_db_timeout" in read
    assert 'access: Optional[List[Literal["read", "write", "admin"]]] = ["read"],' in read
    assert "access_type: AccessType = AccessType.ORGANIZATION," in read
    ours = _one_line(inspect.getsource(_tuning._apply_messages_without_step_run))
    for line in (
        "if query is None: return []",
        "results = await db_session.execute(query)",
        "return cls._read_multiple_postprocess(results.scalars().all(), identifiers, query_conditions)",
    ):
        assert line in _one_line(read)
        assert (
            line.replace("db_session", "session")
            .replace("cls.", "model.")
            .replace("identifiers", "message_ids")
            in ours
        ), line
    # the messages become pydantic by their schema's fields (step_id, run_id: no step, no run)
    to_pydantic = quoted("letta.orm.message:Message.to_pydantic")
    assert "model = self.__pydantic_model__.model_validate(self)" in to_pydantic
    assert re.findall(r"self\.(?:step|run)\b", to_pydantic) == []


def test_sequence_bulk_off_relies_on_the_insert_listener_overwriting() -> None:
    one = quoted("letta.orm.message:set_sequence_id_for_sqlite")
    assert '@event.listens_for(Message, "before_insert")' in one
    # every inserted message gets its own id, whatever the before_flush listener gave it
    assert "target.sequence_id = sequence_id" in one and "target.sequence_id is None" not in one
    assert '@event.listens_for(Session, "before_flush")' in quoted(
        "letta.orm.message:set_sequence_id_for_sqlite_bulk"
    )


def test_step_metrics_merge_relies_on_the_start_call_carrying_no_timings() -> None:
    record = quoted(_tuning._STEP_RECORD)
    # every call of a step passes these keywords, the timings read off the step's StepMetrics
    passed = re.findall(r"^\s+(\w+)=", record.split("record_step_metrics_async(")[1].split("),")[0], re.M)
    assert set(passed) == _tuning._STEP_METRICS_CALL and len(passed) == len(_tuning._STEP_METRICS_CALL)
    for name in _tuning._STEP_TIMINGS:
        assert f"{name}=step_metrics.{name}," in record
    assert "task = safe_create_task(" in record and "return task" in record  # fire and forget
    # the start call: a new StepMetrics with an id and a start time only, after the step's row
    start = _one_line(quoted(_tuning._STEP_START))
    assert "step_metrics = StepMetrics(id=step_id, step_start_ns=step_start_ns)" in start
    assert start.index("await self.step_manager.log_step_async(") < start.index("self._record_step_metrics(")
    assert "self._record_step_metrics(step_id=step_id, step_metrics=step_metrics, run_id=run_id)" in start
    # the end call: the same step, no run id (so the start call's stays)
    finish = quoted(_tuning._STEP_FINISH)
    assert "self._record_step_metrics(step_id=step_metrics.id, step_metrics=step_metrics)" in finish
    # upstream's second call updates the row with each value given (not None): what the merge writes
    manager = quoted("letta.services.step_manager:StepManager.record_step_metrics_async")
    for name in sorted(_tuning._STEP_METRICS_CALL - {"actor", "step_id"}):
        assert f"if {name} is not None:\n                    metrics.{name} = {name}" in manager, name
    assert "await metrics.create_async(session)" in manager and '"run_id": run_id,' in manager
    # a reader of the metrics (the approval continuation, the steps API) goes through this method
    assert "StepMetricsModel.read_async(db_session=session, identifier=step_id, actor=actor)" in quoted(
        _tuning._STEP_METRICS_READ
    )


def test_run_start_update_relies_on_the_foreground_stream_start_writing_nothing_else() -> None:
    start = quoted(_tuning._STREAM_START)
    # create_run, then (its stream only built, not read) the re-read and the "running" update
    created = start.index("run = await self._create_run(")
    refetch = start.index("run = await self.server.run_manager.get_run_by_id(run_id=run.id, actor=actor)")
    assert created < refetch < start.rindex("finally:")
    # in between only the run id is handed to Redis (a no-op client without Redis): whoever
    # finds it there may cancel the run, which the patch's update re-reads the row for
    assert set(re.findall(r"await [\w.]+", start[created:refetch])) == {
        "await self._create_run",
        "await redis_client.set",
        "await redis_client.set_otid_run_mapping",
    }
    assert "if run.status == RunStatus.created:\n                    run_status = RunStatus.running" in start
    assert "update=RunUpdate(status=run_status, metadata=run_update_metadata)," in start
    # nothing iterates the stream here, and the one task started runs the background stream
    assert "async for" not in start and "anext(" not in start
    assert start.count("safe_create_task(") == 1
    background = start.split("if request.background and settings.track_agent_run:")[1]
    assert background.index("safe_create_task(") < background.index(
        "raw_stream = redis_sse_stream_generator("
    )
    # a non-terminal update: no callback, lock release or agent update; the metrics part would
    # write the count of the run's steps and its tools (none yet) over create_run's 0 and None
    run = quoted("letta.services.run_manager:RunManager.update_run_by_id_async")
    assert "if is_terminal_update and not_completed_before and run.callback_url:" in run
    assert "if is_terminal_update and conversation_id:" in run
    assert "if is_terminal_update and update.stop_reason:" in run
    tail = run.split("# update run metrics table")[1].split("# Dispatch callback")[0]
    assert re.findall(r"metrics\.(\w+) =", tail) == ["run_ns", "run_ns", "num_steps", "tools_used"]
    assert "if is_terminal_update:" in tail.split("metrics.run_ns")[0]
    assert "num_steps=0,  # Initialize to 0" in quoted("letta.services.run_manager:RunManager.create_run")
    # the first block, which the patch keeps for this update (a status, no metadata)
    for line in (
        "run = await RunModel.read_async(db_session=session, identifier=run_id, actor=actor)",
        "update_data = update.model_dump(to_orm=True, exclude_unset=True, exclude_none=True)",
        "setattr(run, key, value)",
        "await run.update_async(db_session=session, actor=actor, no_commit=True, no_refresh=True)",
    ):
        assert line in run and line.replace("RunModel", "m.RunModel") in inspect.getsource(
            _tuning._apply_run_start_update
        ), line
    get = quoted("letta.services.run_manager:RunManager.get_run_by_id")
    assert "update_log_context(run_id=run_id)" in get and "return run.to_pydantic()" in get


def test_route_conversation_get_relies_on_the_route_overwriting_the_read_unused() -> None:
    route = quoted(_tuning._CONVERSATION_ROUTE)
    normal = route.split("# Normal conversation mode")[1]
    get = "conversation = await conversation_manager.get_conversation_by_id("
    update = "conversation = await conversation_manager.update_conversation("
    assert normal.count(get) == 1 and route.count("get_conversation_by_id(") == 1
    between = normal.split(get)[1].split(update)[0]
    # nothing but the call's own arguments and a comment: the value is overwritten unused
    assert _one_line(between).strip() == (
        "conversation_id=conversation_id, actor=actor,) # Mark conversation message activity at request time"
    )
    # the update reads the same row the same way (so fails as the skipped read would)
    read = _one_line(
        "await ConversationModel.read_async( db_session=session, identifier=conversation_id, "
        "actor=actor, check_is_deleted=True,)"
    )
    assert read in _one_line(quoted(_tuning._CONVERSATION_GET))
    assert read in _one_line(quoted(_tuning._CONVERSATION_UPDATE))
    assert read.replace("ConversationModel", "m.ConversationModel") in _one_line(
        inspect.getsource(_tuning._apply_conversation_touch)
    )
    assert _one_line(quoted(_tuning._CONVERSATION_UPDATE)).index(read) < quoted(
        _tuning._CONVERSATION_UPDATE
    ).index("update_async(")


def test_route_conversation_get_tells_the_awaiting_route_by_its_frame() -> None:
    # what the patch checks at start: a coroutine sees the one awaiting it, through the other
    # patches' wrappers of get_conversation_by_id, and not when something else awaits it
    _tuning._check_awaited_by()

    async def elsewhere() -> bool:  # driven from this test, not from the other function
        return _tuning._awaited_by(
            test_route_conversation_get_relies_on_the_route_overwriting_the_read_unused.__code__
        )

    coroutine = elsewhere()
    with pytest.raises(StopIteration) as done:
        coroutine.send(None)
    assert done.value.value is False


def test_openai_plain_body_relies_on_the_transform_keeping_plain_data() -> None:
    typeddict = _one_line(quoted("openai._utils._transform:_async_transform_typeddict"))
    assert "if not is_given(value): # we don't need to include omitted values" in typeddict
    assert "if type_ is None: # we do not have a type annotation for this field, leave it as is" in typeddict
    assert "result[_maybe_transform_key(key, type_)] = await _async_transform_recursive(" in typeddict
    recursive = quoted("openai._utils._transform:_async_transform_recursive")
    assert "model_dump(" in recursive and "_async_format_data(" in recursive


def _in_server_venv(code: str) -> Any:
    """Run ``code`` in the server venv beside ``_tuning``; the JSON of its last printed line."""
    import json
    import subprocess

    from letta_backend.server import ensure_server_venv

    ran = subprocess.run(
        [str(ensure_server_venv()), "-c", code],
        cwd=Path(_tuning.__file__).parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout.strip().splitlines()[-1])


# Run in the server venv: a request shaped as Letta's, through the patched and the upstream transform.
_DIFFERENTIAL = """
import asyncio, json, typing
import _tuning
from openai import omit
from openai._utils import _transform
from openai.resources.chat.completions import completions
from openai.types.chat import completion_create_params as params

upstream = completions.async_maybe_transform
_tuning._apply_openai_plain_body(_tuning.Context("sqlite"))
patched = completions.async_maybe_transform
tools = [{"type": "function", "function": {"name": f"tool_{i}", "description": "d", "strict": False,
          "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}
         for i in range(13)]
messages = [
    {"role": "system", "content": "system prompt"},
    {"role": "user", "content": [{"type": "text", "text": "hello"}]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "tool_0", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "42"},
]
base = {"messages": messages, "model": "m", "tools": tools, "tool_choice": "auto",
        "parallel_tool_calls": True, "temperature": 0.7, "max_completion_tokens": 512,
        "user": "user-1", "audio": omit, "metadata": omit, "stop": omit}
class Item(typing.NamedTuple):
    role: str
bodies = [
    (base, params.CompletionCreateParamsNonStreaming),
    ({**base, "stream": True, "stream_options": {"include_usage": True}},
     params.CompletionCreateParamsStreaming),
    ({**base, "messages": tuple(messages)}, params.CompletionCreateParamsNonStreaming),
]
async def main():
    same = [await patched(b, t) == await upstream(b, t) for b, t in bodies]
    class Renamed(typing.TypedDict):
        card_id: typing.Annotated[str, _transform.PropertyInfo(alias="cardID")]
    class Outer(typing.TypedDict):
        inner: typing.Iterable[typing.Union[Renamed, str]]
    omitted = "audio" in await patched(base, bodies[0][1])
    renamed = _tuning._renaming_annotations(Outer, _transform.PropertyInfo)
    print(json.dumps({"same": same, "taken": patched.taken, "omitted": omitted, "renamed": renamed}))
asyncio.run(main())
"""


def test_openai_plain_body_gives_the_body_the_transform_gives() -> None:
    found = _in_server_venv(_DIFFERENTIAL)
    # plain bodies skip the transform and equal its output; a tuple of messages takes the transform
    assert found == {
        "same": [True, True, True],
        "taken": [3, 1],
        "omitted": False,
        "renamed": ["Outer.inner.card_id"],
    }


# Run in the server venv: step_metrics_merge over a StepManager whose two methods only record calls.
_MERGE_PATHS = """
import asyncio, json
import _tuning
from letta.services.step_manager import StepManager
written, read = [], []
async def record(self, **kwargs):
    written.append({k: v for k, v in kwargs.items() if v is not None})
async def get(self, step_id, actor=None):
    read.append([len(written), step_id])
StepManager.record_step_metrics_async, StepManager.get_step_metrics_async = record, get
_tuning._apply_step_metrics_merge(_tuning.Context("sqlite"))
_tuning.STEP_METRICS_WAIT = 0.2
def call(step, **timings):
    keys = {k: None for k in _tuning._STEP_METRICS_CALL}
    return {**keys, "actor": "a", "step_id": step, "run_id": "run-" + step, "agent_id": "agent", **timings}
async def main():
    manager = StepManager()
    report = {}
    await manager.record_step_metrics_async(**call("merged"))
    report["after_start"] = len(written)
    await manager.record_step_metrics_async(**{**call("merged", step_ns=5, llm_request_ns=3), "run_id": None})
    report["merged"] = list(written)
    written.clear()
    await manager.record_step_metrics_async(**call("read"))
    await manager.get_step_metrics_async("read", actor="a")
    report["read"] = [list(written), list(read)]
    written.clear()
    await manager.record_step_metrics_async(**call("alone"))
    report["before_wait"] = len(written)
    await asyncio.sleep(0.6)
    report["alone"] = list(written)
    print(json.dumps(report))
asyncio.run(main())
"""


def test_step_metrics_merge_writes_once_and_writes_the_start_alone_for_a_reader_or_after_the_wait() -> None:
    found = _in_server_venv(_MERGE_PATHS)
    start = {"actor": "a", "agent_id": "agent"}
    # a start and its finish: one write, the start's run id kept, the finish's timings on it
    assert found["after_start"] == 0
    assert found["merged"] == [
        {**start, "step_id": "merged", "run_id": "run-merged", "step_ns": 5, "llm_request_ns": 3}
    ]
    # a reader of a running step's metrics: the start call is written first, as upstream had it
    assert found["read"] == [[{**start, "step_id": "read", "run_id": "run-read"}], [[1, "read"]]]
    # no finish within the wait: the start call alone, once the wait is over
    assert found["before_wait"] == 0
    assert found["alone"] == [{**start, "step_id": "alone", "run_id": "run-alone"}]


def test_a_patch_whose_upstream_code_changed_fails_loudly_naming_itself_and_the_switch() -> None:
    patch = _tuning.Patch(
        name="demo",
        what="",
        why="",
        effect="",
        stage=_tuning.APP,
        databases=frozenset({_tuning.SQLITE}),
        targets=(_tuning.Target("json:dumps", "0123456789abcdef"),),
        apply=lambda ctx: "",
    )

    with pytest.raises(_tuning.TuningError) as caught:
        _tuning.check(patch)

    message = str(caught.value)
    assert "'demo'" in message and "json:dumps changed" in message
    assert "CLAUDE_COMPAT_LETTA_TUNING=all,-demo" in message and "CLAUDE_COMPAT_LETTA_TUNING=none" in message


def test_a_patch_whose_upstream_code_is_gone_fails_loudly() -> None:
    patch = _tuning.Patch(
        name="gone",
        what="",
        why="",
        effect="",
        stage=_tuning.APP,
        databases=frozenset({_tuning.SQLITE}),
        targets=(_tuning.Target("json:no_such_function", "0123456789abcdef"),),
        apply=lambda ctx: "",
    )

    with pytest.raises(_tuning.TuningError, match="'gone' cannot find json:no_such_function"):
        _tuning.check(patch)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, set(_tuning.NAMES)),
        ("", set(_tuning.NAMES)),
        ("all", set(_tuning.NAMES)),
        ("none", set()),
        ("sqlite_pool, ssl_context_cache", {"sqlite_pool", "ssl_context_cache"}),
        ("all,-sqlite_wal", set(_tuning.NAMES) - {"sqlite_wal"}),
    ],
)
def test_one_setting_picks_the_patches(setting: str | None, expected: set[str]) -> None:
    assert _tuning.parse_selection(setting) == expected


def test_postgres_skips_the_sqlite_only_patches_and_says_so() -> None:
    tuning = _tuning.Tuning("all", _tuning.POSTGRES)

    sqlite_only = {"sqlite_pool", "sqlite_wal", "sqlite_inline", "sequence_once", "sequence_bulk_off"}
    assert {p.name for p in tuning.patches} == set(_tuning.NAMES) - sqlite_only
    assert tuning.summary()[-1] == (
        "tuning not for postgres: sqlite_pool, sqlite_wal, sqlite_inline, sequence_once, sequence_bulk_off"
    )


def test_a_bad_tuning_setting_is_refused_before_a_server_starts(tmp_path: Path) -> None:
    server = LocalLettaServer(data_dir=tmp_path, env={_tuning.SETTING: "all,-turbo"})

    with pytest.raises(LettaServerStartError, match="unknown tuning '-turbo'") as caught:
        server.start()

    assert "sqlite_pool" in str(caught.value) and server.pid is None
    assert not (tmp_path / "server.log").exists()


def test_every_patch_is_documented_with_what_why_and_effect() -> None:
    for patch in _tuning.PATCHES:
        assert patch.what and patch.why and patch.effect, patch.name


# --- on the running test server -----------------------------------------------------------------


def chosen() -> frozenset[str]:
    """The patches this run's test server was started with."""
    return _tuning.parse_selection(os.environ.get(_tuning.SETTING))


@pytest.fixture
def local_server(letta_server: object) -> LocalLettaServer:
    if not isinstance(letta_server, LocalLettaServer):
        pytest.skip("the tests run against an external Letta server")
    return letta_server


@pytest.mark.letta
@pytest.mark.parametrize("name", _tuning.NAMES)
def test_the_test_server_runs_with_each_patch_applied(local_server: LocalLettaServer, name: str) -> None:
    if name not in chosen():
        pytest.skip(f"{_tuning.SETTING} leaves {name} off")
    log = local_server.log_path.read_text(errors="replace")

    assert f"claude-compat launcher: tuned {name}: " in log


@pytest.mark.letta
def test_the_test_server_wrote_no_openapi_file_and_still_serves_the_schema(
    local_server: LocalLettaServer,
) -> None:
    if "openapi_file_off" not in chosen():
        pytest.skip(f"{_tuning.SETTING} leaves openapi_file_off off")
    assert not (local_server.data_dir / "openapi_letta.json").exists()  # the server's cwd
    schema = _get_json(f"{local_server.base_url}/openapi.json", 120, local_server.api_key)
    assert isinstance(schema, dict) and "/v1/agents/" in schema["paths"]


@pytest.mark.letta
@pytest.mark.anyio
async def test_a_turn_on_the_tuned_server_logs_no_info_and_no_failed_insert_and_uses_wal(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    scripted_model.push("tuned answer")
    before = local_server.log_path.stat().st_size

    messages = [m async for m in query(prompt="hello", options=ClaudeAgentOptions())]

    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.result == "tuned answer"
    with local_server.log_path.open("rb") as handle:
        handle.seek(before)
        during = handle.read().decode("utf-8", "replace")
    if "quiet_logs" in chosen():
        assert " - INFO - " not in during
    if "step_metrics_lock" in chosen():
        assert "UNIQUE constraint failed: step_metrics.id" not in during
    if "sqlite_wal" in chosen():
        with sqlite3.connect(local_server.data_dir / ".letta" / "letta.sqlite") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.letta
@pytest.mark.anyio
async def test_a_turn_that_finds_the_database_locked_waits_for_it_while_the_server_answers(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    # another process holds SQLite's write lock; the server's writes wait for it (sqlite_inline:
    # on the connection's thread, not on the event loop's), its reads and other requests go on
    scripted_model.push("after the lock")
    holder = sqlite3.connect(local_server.data_dir / ".letta" / "letta.sqlite", isolation_level=None)
    messages: list[Any] = []

    async def turn() -> None:
        messages.extend([m async for m in query(prompt="hello", options=ClaudeAgentOptions())])

    try:
        holder.execute("BEGIN IMMEDIATE")
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(turn)
                await anyio.sleep(2)
                waiting = not messages
                url = f"{local_server.base_url}/v1/agents/?limit=1"
                listed = await anyio.to_thread.run_sync(_get_json, url, 10.0, local_server.api_key)
                holder.execute("ROLLBACK")
    finally:
        holder.close()

    assert waiting and isinstance(listed, list)
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.result == "after the lock", messages


def _agent_and_conversation(client: Any, model_id: str) -> tuple[str, str]:
    handles = [m.handle for m in client.models.list() if m.handle and model_id in m.handle]
    agent = client.agents.create(
        name="tuning-check",
        agent_type="letta_v1_agent",
        model=handles[0],
        system="tuning check",
        include_base_tools=False,
        tools=[],
    )
    return agent.id, client.conversations.create(agent_id=agent.id).id


def _three_runs(client: Any, scripted_model: ScriptedModel) -> tuple[str, list[Any]]:
    """A new agent's conversation with a plain turn, then a client-tool round trip (three runs):
    the agent's id and its runs, oldest first."""
    agent_id, conversation = _agent_and_conversation(client, scripted_model.model_id)
    tool = {"name": "probe", "description": "a tool", "parameters": {"type": "object", "properties": {}}}

    def send(messages: list[dict[str, Any]]) -> list[Any]:
        stream = client.conversations.messages.create(conversation, messages=messages, client_tools=[tool])
        return list(stream)

    scripted_model.push("plain", Turn(tool_calls=[ToolCall("probe", {})]), "after the tool")
    send([{"role": "user", "content": "one"}])
    events = send([{"role": "user", "content": "two"}])
    call = next(e for e in events if getattr(e, "message_type", "") == "approval_request_message")
    returns = [{"tool_call_id": call.tool_calls[0].tool_call_id, "tool_return": "42", "status": "success"}]
    send([{"type": "tool_return", "tool_returns": returns}])
    # one page (iterating letta-client's pages re-requests the same page from this server)
    return agent_id, list(client.runs.list(conversation_id=conversation, order="asc", limit=10).items)


@pytest.mark.letta
def test_runs_end_with_the_stop_reason_on_the_agent_and_messages_in_order(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    from letta_client import Letta

    client = Letta(base_url=local_server.base_url, api_key=local_server.api_key, timeout=120)
    agent_id, conversation = _agent_and_conversation(client, scripted_model.model_id)
    tool = {"name": "probe", "description": "a tool", "parameters": {"type": "object", "properties": {}}}

    def send(messages: list[dict[str, Any]]) -> list[Any]:
        stream = client.conversations.messages.create(conversation, messages=messages, client_tools=[tool])
        return list(stream)

    def agent_once(stop_reason: str) -> Any:
        """The agent once the run's end is recorded (Letta records it after the stream closes)."""
        for _ in range(200):
            agent = client.agents.retrieve(agent_id)
            if agent.last_stop_reason == stop_reason:
                return agent
            time.sleep(0.05)
        raise AssertionError(f"last_stop_reason stayed {agent.last_stop_reason!r}, not {stop_reason!r}")

    created = client.agents.retrieve(agent_id).updated_at
    scripted_model.push("first", Turn(tool_calls=[ToolCall("probe", {})]), "after the tool")
    send([{"role": "user", "content": "one"}])
    after_plain = agent_once("end_turn")
    events = send([{"role": "user", "content": "two"}])
    after_call = agent_once("requires_approval")
    call = next(e for e in events if getattr(e, "message_type", "") == "approval_request_message")
    returns = [{"tool_call_id": call.tool_calls[0].tool_call_id, "tool_return": "42", "status": "success"}]
    send([{"type": "tool_return", "tool_returns": returns}])
    after_return = agent_once("end_turn")

    # as the full agent update wrote it: each run's end bumps updated_at (and its author)
    assert created < after_plain.updated_at < after_call.updated_at < after_return.updated_at
    assert after_return.last_updated_by_id == after_plain.last_updated_by_id is not None
    history = client.conversations.messages.list(conversation, order="asc", limit=50)
    kinds = {"user_message", "assistant_message", "approval_request_message", "tool_return_message"}
    # in the order the sequence ids give
    assert [m.message_type for m in history if m.message_type in kinds] == [
        "user_message",
        "assistant_message",
        "user_message",
        "approval_request_message",
        "tool_return_message",
        "assistant_message",
    ]
    answers = [m.content for m in history if m.message_type == "assistant_message"]
    assert answers == ["first", "after the tool"]


@pytest.mark.letta
def test_the_test_server_serves_on_uvloop_exactly_when_the_patch_is_on(
    local_server: LocalLettaServer,
) -> None:
    """The lock installs uvloop; uvicorn is told the loop, so stock Letta (``none``) stays on asyncio."""
    assert local_server.pid is not None
    maps = Path(f"/proc/{local_server.pid}/maps")
    if not maps.exists():
        pytest.skip("no /proc here to see which loop the server loaded")
    assert ("uvloop" in maps.read_text()) == ("uvloop" in chosen())
    here = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"  # this venv's
    assert (_tuning.event_loop("none"), _tuning.event_loop("all"), _tuning.event_loop("all,-uvloop")) == (
        "asyncio",
        here,
        "asyncio",
    )


@pytest.mark.letta
def test_run_metrics_count_steps_and_runs_keep_their_agent_as_upstream_records_them(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    """What run_project_id and run_metrics_columns answer for, seen through the API (same on stock)."""
    from letta_client import Letta

    client = Letta(base_url=local_server.base_url, api_key=local_server.api_key, timeout=120)
    agent_id, runs = _three_runs(client, scripted_model)
    assert [run.stop_reason for run in runs] == ["end_turn", "requires_approval", "end_turn"]
    for run in runs:
        assert run.agent_id == agent_id
        steps = client.runs.steps.list(run.id, limit=10).items
        for _ in range(200):  # the run's end is recorded after its stream closes
            metrics = _get_json(f"{local_server.base_url}/v1/runs/{run.id}/metrics", 30, local_server.api_key)
            if metrics.get("run_ns"):
                break
            time.sleep(0.05)
        assert metrics["num_steps"] == len(steps) == 1, (metrics, steps)
        assert metrics["agent_id"] == agent_id and metrics["run_ns"] > 0
        assert metrics["tools_used"] is None  # a client tool has no tool id on the server


@pytest.mark.letta
def test_each_step_has_its_metrics_and_each_run_ends_completed(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    """What step_metrics_merge and run_start_update answer for, seen through the API (same on stock)."""
    from letta_client import Letta

    client = Letta(base_url=local_server.base_url, api_key=local_server.api_key, timeout=120)
    agent_id, runs = _three_runs(client, scripted_model)
    assert [run.stop_reason for run in runs] == ["end_turn", "requires_approval", "end_turn"]
    for run in runs:
        for _ in range(200):  # the run's end is recorded after its stream closes
            status = client.runs.retrieve(run.id).status
            if status != "running":
                break
            time.sleep(0.05)
        assert status == "completed", (run.id, status)
        (step,) = client.runs.steps.list(run.id, limit=10).items
        for _ in range(200):  # a step's metrics are written by a task after the step
            metrics = _get_json(
                f"{local_server.base_url}/v1/steps/{step.id}/metrics", 30, local_server.api_key
            )
            if metrics.get("step_ns"):
                break
            time.sleep(0.05)
        # the start's row (run, agent) and the end's timings, as upstream's two writes leave it
        assert metrics["id"] == step.id and metrics["run_id"] == run.id and metrics["agent_id"] == agent_id
        assert metrics["step_ns"] > 0 and metrics["llm_request_ns"] > 0, metrics
        assert metrics["tool_execution_ns"] is None  # a client tool runs on the client


@pytest.mark.letta
def test_a_message_to_a_missing_or_deleted_conversation_is_refused_as_not_found(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    """What route_conversation_get answers for (the update's read refuses it), through the API."""
    from letta_client import Letta, NotFoundError

    client = Letta(base_url=local_server.base_url, api_key=local_server.api_key, timeout=120)
    _, conversation = _agent_and_conversation(client, scripted_model.model_id)
    client.conversations.delete(conversation)
    missing = "conv-00000000-0000-4000-8000-000000000000"
    for target in (conversation, missing):
        with pytest.raises(NotFoundError) as caught:
            list(client.conversations.messages.create(target, messages=[{"role": "user", "content": "hi"}]))
        assert target in str(caught.value)
    assert scripted_model.requests == []  # no turn ran


@pytest.mark.letta
def test_each_request_marks_the_conversation_and_reads_its_history(
    local_server: LocalLettaServer, scripted_model: ScriptedModel
) -> None:
    """What the conversation and message-read patches answer for, seen through the API (same on stock)."""
    from letta_client import Letta

    client = Letta(base_url=local_server.base_url, api_key=local_server.api_key, timeout=120)
    _, conversation = _agent_and_conversation(client, scripted_model.model_id)
    seen: list[Any] = []
    answers = ["answer-one", "answer-two", "answer-three"]
    scripted_model.push(*answers)
    asked = ("question-alpha", "question-beta", "question-gamma")
    for text in asked:
        stream = client.conversations.messages.create(
            conversation, messages=[{"role": "user", "content": text}]
        )
        assert [e.content for e in stream if getattr(e, "message_type", "") == "assistant_message"]
        seen.append(client.conversations.retrieve(conversation).last_message_at)
        time.sleep(0.01)
    assert seen[0] is not None and seen[0] < seen[1] < seen[2]
    # the model saw the whole history, in order (read back by id every request)
    last = str(scripted_model.requests[-1].messages)
    assert sorted(asked, key=last.index) == list(asked)
    assert last.index("answer-one") < last.index("question-beta") < last.index("answer-two")
    history = client.conversations.messages.list(conversation, order="asc", limit=50)
    assert [m.content for m in history if m.message_type == "assistant_message"] == answers
