"""jsonschema-rs decides big files' verdicts only where it cannot be looser than
jsonschema: every instance it passes, jsonschema passes too (checked on
thousands of seeded instances per schema), and schemas with a construct the two
engines read differently are refused."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from test_schema_compile import BASE, SCHEMAS, example_like, value

from goldset import schema

pytest.importorskip("jsonschema_rs")

SAFE: dict[str, dict[str, Any]] = {
    "base": SCHEMAS["base"],
    "project-strict": SCHEMAS["project-strict"],
    "safe-keywords": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "allOf": [{"$ref": BASE["$id"]}],
        "properties": {
            "input": {"anyOf": [{"type": "string", "pattern": "^[a-z ]+$"}, {"type": "object"}]},
            "reference": {"type": "string", "minLength": 2, "maxLength": 40, "pattern": "a.c"},
            "stratum": {"enum": ["real_traffic", "failure_mode", "edge_case"]},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "score": {"type": "number", "minimum": 0, "exclusiveMaximum": 5},
            "slice": {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z_]+$"},
                "patternProperties": {"^lang": {"type": "string", "maxLength": 5}},
                "dependencies": {"lang": ["category"]},
            },
            "ctx": {"type": "array", "contains": {"type": "integer"}, "maxItems": 3},
        },
    },
}

UNSAFE: dict[str, dict[str, Any]] = {
    "not": {"properties": {"a": {"not": {"type": "string"}}}},
    "oneOf": {"oneOf": [{"type": "object"}, {"required": ["a"]}]},
    "if": {"if": {"required": ["a"]}, "then": {"required": ["b"]}},
    "multipleOf": {"properties": {"a": {"multipleOf": 0.1}}},
    "digit class": {"properties": {"a": {"pattern": "^\\d+$"}}},
    "word class": {"properties": {"a": {"pattern": "\\w"}}},
    "posix class": {"properties": {"a": {"pattern": "[[:alpha:]]"}}},
    "lookahead": {"properties": {"a": {"pattern": "(?=a)"}}},
    "pattern property with $": {"patternProperties": {"^a$": {"type": "string"}}},
    "numeric enum": {"properties": {"a": {"enum": [1, "x"]}}},
    "numeric const": {"properties": {"a": {"const": 1.0}}},
    "uniqueItems of numbers": {"properties": {"a": {"type": "array", "uniqueItems": True}}},
    "huge bound": {"properties": {"a": {"maximum": 2**60}}},
    "remote ref": {"$ref": "https://example.com/remote.schema.json"},
    "other draft": {"$schema": "https://json-schema.org/draft/2020-12/schema"},
    "unknown keyword": {"unevaluatedProperties": False},
}


def _set(doc: dict[str, Any]) -> schema.SchemaSet:
    return schema.SchemaSet("test.schema.json", doc, {BASE["$id"]: BASE}, "test")


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_constructs_read_differently_are_refused(name: str) -> None:
    assert schema.native_verdict(_set(UNSAFE[name])) is None


def test_the_shipped_and_starter_schemas_are_accepted() -> None:
    root = Path(__file__).resolve().parent.parent
    starter = json.loads((root / "schemas/project-example.schema.json").read_text())
    for doc in (BASE, starter, SCHEMAS["project-strict"]):
        assert schema.native_verdict(_set(doc)) is not None


def _instance(rng: random.Random) -> Any:
    ex = example_like(rng)
    if isinstance(ex, dict) and rng.random() < 0.5:
        ex["score"] = rng.choice([0, 4.99, 5, -1, 2**70, True, "3"])
        ex["ctx"] = rng.choice([[1, "a"], ["a"], [1.0], [], [1, 2, 3, 4]])
        ex["slice"] = rng.choice(
            [{"lang": "en", "category": "x"}, {"lang": "en"}, {"Lang": "en"}, {"lang\n": "x"}]
        )
        ex["reference"] = rng.choice(["abc", "a\nc", "axc", "a", "ac"])
    if isinstance(ex, dict) and rng.random() < 0.1:
        ex["input"] = value(rng)
    return ex


@pytest.mark.parametrize("name", sorted(SAFE))
def test_whatever_jsonschema_rs_passes_jsonschema_passes(name: str) -> None:
    doc = SAFE[name]
    native = schema.native_verdict(_set(doc))
    assert native is not None
    registry = Registry().with_resource(BASE["$id"], Resource.from_contents(BASE))
    reference = jsonschema.Draft7Validator(doc, registry=registry)
    rng = random.Random(99)
    looser, agree, valid = [], 0, 0
    for _ in range(4000):
        inst = _instance(rng)
        expected = reference.is_valid(inst)
        got = native(inst)
        valid += expected
        agree += got == expected
        if got and not expected:
            looser.append(inst)
    assert not looser[:3]
    assert 50 < valid < 3950, "the corpus should hold both valid and invalid instances"
    assert agree > 3800, "stricter only at the edges (a final newline), not across the board"
