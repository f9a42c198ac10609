"""Structured output the CLI's way: the StructuredOutput tool, its schema check, its end of a turn.

With ``output_format`` the CLI offers the model a ``StructuredOutput`` tool whose input schema is the
user's schema. A call whose input matches ends the turn (no further model call) with the input as
``ResultMessage.structured_output``; one that does not gets the schema problems as an error result,
in Ajv's words (the CLI validates with Ajv), until the retry limit ends the turn in
``error_max_structured_output_retries``. A model that ends its turn without a valid call is told
once to call the tool. The texts are the CLI's, in :mod:`cli_facts`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from . import cli_facts

#: ``ResultMessage.num_turns`` counts the model call the CLI would have made after the tool result.
TURN_AFTER_RESULT = 1


def tool_spec(output_format: dict[str, Any]) -> dict[str, Any]:
    """The client-tool spec offered to the model: the CLI's description, the user's schema."""
    return {
        "name": cli_facts.STRUCTURED_OUTPUT_TOOL,
        "description": cli_facts.STRUCTURED_OUTPUT_DESCRIPTION,
        "parameters": output_format["schema"],
    }


def as_result_text(value: Any) -> str:
    """``ResultMessage.result`` of a structured answer: the value as compact JSON, as the CLI writes it."""
    return json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False)


@dataclass
class StructuredTurn:
    """One turn's StructuredOutput calls: the accepted value, the failures, the enforce notice."""

    schema: dict[str, Any]
    limit: int = cli_facts.DEFAULT_STRUCTURED_OUTPUT_RETRIES
    failures: int = 0
    last_problem: str = ""
    accepted: bool = False
    value: Any = None
    enforced: bool = False
    _validator: Any = field(default=None, repr=False)

    def answer(self, tool_input: dict[str, Any]) -> tuple[str, bool]:
        """The tool result of one call (content, is_error); remembers the value or the failure."""
        problems = schema_problems(self.schema, tool_input, validator=self._checker())
        if problems is None:
            self.accepted, self.value = True, tool_input
            return cli_facts.STRUCTURED_OUTPUT_ACCEPTED, False
        self.failures += 1
        self.last_problem = cli_facts.STRUCTURED_OUTPUT_MISMATCH.format(problems=problems)
        return self.last_problem, True

    @property
    def exhausted(self) -> bool:
        """The model failed as often as the CLI allows: the turn ends in an error."""
        return not self.accepted and self.failures >= self.limit

    @property
    def finished(self) -> bool:
        """The turn ends now (after the tool results), without another model call."""
        return self.accepted or self.exhausted

    def exhausted_error(self) -> str:
        """The ``errors`` entry of the ``error_max_structured_output_retries`` result."""
        return cli_facts.STRUCTURED_OUTPUT_EXHAUSTED.format(attempts=self.failures, error=self.last_problem)

    def enforce(self) -> str | None:
        """The notice sent when the model ends without a valid call (once a turn), else None."""
        if self.accepted or self.enforced:
            return None
        self.enforced = True
        return cli_facts.STRUCTURED_OUTPUT_ENFORCE

    def _checker(self) -> Any:
        if self._validator is None:
            self._validator = jsonschema.validators.validator_for(self.schema)(self.schema)
        return self._validator


# --- the schema's problems in Ajv's words and order ----------------------------------------------


def schema_problems(schema: dict[str, Any], value: Any, *, validator: Any = None) -> str | None:
    """What is wrong with ``value`` under ``schema``, as the CLI words it; None when it matches.

    The check is jsonschema's (formats are not checked, as the CLI does not); the errors are put
    in the order Ajv reports them and worded as Ajv and the CLI word them.
    """
    checker = validator or jsonschema.validators.validator_for(schema)(schema)
    errors = list(_flatten(checker.iter_errors(value)))
    if not errors:
        return None
    seen: set[tuple[str, str]] = set()
    lines: list[tuple[tuple[Any, ...], str]] = []
    for error in errors:
        for key, text in _worded(error, schema, value):
            if (key_text := (repr(key), text)) not in seen:
                seen.add(key_text)
                lines.append((key, text))
    lines.sort(key=lambda item: item[0])
    return ", ".join(text for _, text in lines)


def _flatten(errors: Iterator[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """Each error, after the branch errors of an anyOf/oneOf that no branch matched (as Ajv lists them)."""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            yield from _flatten(iter(error.context))
        yield error


def _worded(error: jsonschema.ValidationError, schema: Any, root: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(sort key, text) for one jsonschema error: several for ``required`` and ``additionalProperties``."""
    keyword = str(error.validator)
    data_path = list(error.absolute_path)
    key = _sort_key(list(error.absolute_schema_path), schema, list(data_path), root)
    where = _pointer(data_path)
    if keyword == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [p for p in error.validator_value if p not in instance]
        return [
            ((*key, i), _line(where, keyword, {"missing": name}, error)) for i, name in enumerate(missing)
        ]
    if keyword == "additionalProperties" and error.validator_value is False:
        extras = list(_extras(error.schema, error.instance))
        return [((*key, i), _line(where, keyword, {"name": _cut(name, cli_facts.AJV_NAME_LIMIT)}, error))
                for i, name in enumerate(extras)]  # fmt: skip
    return [(key, _line(where, keyword, {}, error))]


def _line(where: str, keyword: str, extra: dict[str, Any], error: jsonschema.ValidationError) -> str:
    template = cli_facts.AJV_MESSAGES.get(keyword)
    if template is None:  # a keyword Ajv words in a way not recorded here: jsonschema's words
        return f"{where}: {error.message}"
    params = {**_params(keyword, error), **extra}
    text = f"{where}: {template.format(**params)}"
    suffix = cli_facts.AJV_SUFFIXES.get(keyword)
    if suffix is not None and (keyword in ("enum", "const", "additionalProperties") or "got" in params):
        text += suffix.format(**params)
    return text


def _params(keyword: str, error: jsonschema.ValidationError) -> dict[str, Any]:
    value, instance = error.validator_value, error.instance
    params: dict[str, Any] = {"value": _js(value) if not isinstance(value, str) else value}
    if keyword == "type":
        params["types"] = ",".join(value) if isinstance(value, list) else str(value)
    elif keyword in ("enum", "const"):
        params["allowed"] = _cut(_compact(value), cli_facts.AJV_VALUE_LIMIT)
    elif keyword in ("minLength", "maxLength") and isinstance(instance, str):
        params["got"] = len(instance)
    elif keyword in ("minItems", "maxItems") and isinstance(instance, list):
        params["got"] = len(instance)
    elif keyword in ("minProperties", "maxProperties") and isinstance(instance, dict):
        params["got"] = len(instance)
    elif keyword == "uniqueItems" and isinstance(instance, list):
        params["first"], params["second"] = _duplicates(instance, error.schema)
    return params


def _sort_key(path: list[Any], schema: Any, data_path: list[Any], root: Any) -> tuple[Any, ...]:
    """Where Ajv reports an error: keyword ranks down the schema path, data positions where it descends."""
    key: list[Any] = []
    node, data, steps = schema, root, list(path)
    while steps and isinstance(node, dict):
        keyword = steps.pop(0)
        key.append(_rank(node, str(keyword)))
        if not steps:
            key.append(math.inf)  # the keyword's own error comes after the errors found inside it
            break
        sub = node.get(keyword)
        if keyword in ("properties", "patternProperties") and isinstance(sub, dict):
            name = steps.pop(0)
            key.append(list(sub).index(name) if name in sub else math.inf)
            node = sub.get(name)
            data = _enter(data, data_path, key)
        elif keyword in ("items", "prefixItems") and isinstance(sub, list) and steps:
            index = steps.pop(0)
            key.append(index)
            node = sub[index] if isinstance(index, int) and index < len(sub) else None
            data = _enter(data, data_path, key)
        elif keyword in ("items", "additionalProperties", "additionalItems", "contains"):
            node = sub
            data = _enter(data, data_path, key)
        elif keyword in ("anyOf", "oneOf", "allOf") and isinstance(sub, list):
            index = steps.pop(0)
            key.append(index)
            node = sub[index] if isinstance(index, int) and index < len(sub) else None
        elif keyword in ("not", "if", "then", "else", "propertyNames"):
            node = sub
        else:  # $ref and the rest: no finer order
            break
    return tuple(key)


def _enter(data: Any, data_path: list[Any], key: list[Any]) -> Any:
    """Step into the next data element on the error's path, noting its position in its container."""
    if not data_path:
        return None
    step = data_path.pop(0)
    if isinstance(data, dict):
        key.append(list(data).index(step) if step in data else math.inf)
        return data.get(step)
    if isinstance(data, list) and isinstance(step, int):
        key.append(step)
        return data[step] if step < len(data) else None
    key.append(math.inf)
    return None


def _rank(node: dict[str, Any], keyword: str) -> float:
    """A keyword's place in Ajv's order of checks (type: first, or in its group's place)."""
    order = cli_facts.AJV_ORDER
    if keyword == "type":
        declared = node.get("type")
        group = cli_facts.AJV_TYPE_GROUPS.get(declared) if isinstance(declared, str) else None
        if group and any(k in node for k in group):
            return order.index(group[0]) - 0.5
        return -1.0
    return float(order.index(keyword)) if keyword in order else float(len(order))


def _extras(schema: Any, instance: Any) -> Iterator[str]:
    """Properties ``additionalProperties: false`` refuses, in the instance's order."""
    if not isinstance(schema, dict) or not isinstance(instance, dict):
        return
    import re

    known = schema.get("properties") or {}
    patterns = list((schema.get("patternProperties") or {}).keys())
    for name in instance:
        if name not in known and not any(re.search(p, name) for p in patterns):
            yield name


def _duplicates(items: Sequence[Any], schema: Any) -> tuple[int, int]:
    """The two indexes Ajv names for a uniqueItems failure, in its order."""
    item_types = _item_types(schema)
    if item_types:  # Ajv's fast path for scalar items: the later index first
        seen: dict[str, int] = {}
        for i in range(len(items) - 1, -1, -1):
            marker = _compact(items[i])
            if marker in seen:
                return seen[marker], i
            seen[marker] = i
    for i in range(len(items) - 1, 0, -1):
        for j in range(i - 1, -1, -1):
            if _compact(items[i]) == _compact(items[j]):
                return j, i
    return 0, 0


def _item_types(schema: Any) -> list[str]:
    items = schema.get("items") if isinstance(schema, dict) else None
    declared = items.get("type") if isinstance(items, dict) else None
    types = [declared] if isinstance(declared, str) else list(declared or [])
    return [] if any(t in ("object", "array") for t in types) else types


def _pointer(path: Sequence[Any]) -> str:
    """Ajv's ``instancePath`` (a JSON pointer), or "root" as the CLI writes the top level."""
    if not path:
        return "root"
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _js(value: Any) -> str:
    """A number as JavaScript prints it (2.0 → 2)."""
    return _compact(value) if not isinstance(value, str) else value


def _compact(value: Any) -> str:
    """JSON.stringify's text of a value."""
    return json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False, sort_keys=False)


def _js_numbers(value: Any) -> Any:
    """Whole floats as ints, recursively: JSON.stringify writes 2.0 as 2."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "\u2026"
