"""goldset's verdict compiler must agree with jsonschema (the reference) on
every instance: checked on schemas using each supported keyword against
thousands of seeded random instances, with jsonschema computing the answer."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from goldset import schema_compile

ROOT = Path(__file__).resolve().parent.parent
BASE = json.loads((ROOT / "schemas/example.schema.json").read_text())

SCHEMAS: dict[str, dict[str, Any]] = {
    "base": BASE,
    "project-strict": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "allOf": [{"$ref": BASE["$id"]}],
        "properties": {
            k: {}
            for k in [
                "id",
                "input",
                "reference",
                "slice",
                "stratum",
                "tags",
                "provenance",
                "content_hash",
            ]
        },
        "additionalProperties": False,
    },
    "keywords": {
        "type": "object",
        "required": ["a"],
        "minProperties": 1,
        "maxProperties": 4,
        "properties": {
            "a": {"type": ["integer", "null"], "minimum": 0, "exclusiveMaximum": 10},
            "b": {"enum": ["x", "y", 1, True, None, [1, 2]]},
            "c": {"const": 1},
            "d": {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 1,
                "maxItems": 3,
                "uniqueItems": True,
            },
            "e": {
                "type": "string",
                "minLength": 2,
                "maxLength": 5,
                "pattern": "^a.*z$",
                "format": "email",
            },
            "f": {"anyOf": [{"type": "string"}, {"type": "integer", "maximum": 3}]},
            "g": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
            "h": {"not": {"type": "boolean"}},
            "i": {"$ref": "#/definitions/pos"},
            "j": {"type": "array", "uniqueItems": True},
        },
        "additionalProperties": {"type": "string"},
        "definitions": {"pos": {"type": "number", "exclusiveMinimum": 0}},
    },
}

ATOMS = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    1.5,
    -3,
    10,
    9.999,
    2**70,
    "",
    "a",
    "az",
    "abz",
    "abcdez",
    "a\nz",
    "abcz\n",
    "id-1",
    "bad id",
    "0123456789abcdef",
    "0123456789ABCDEF",
    "x",
    "y",
    "real_traffic",
]


def value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth > 2 or r < 0.6:
        return rng.choice(ATOMS)
    if r < 0.8:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = [
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
        "i",
        "j",
        "k",
        "id",
        "input",
        "added_by",
        "added_at",
        "why",
        "category",
    ]
    return {rng.choice(keys): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def pick(rng: random.Random, good: Any, *bad: Any) -> Any:
    """Mostly the valid choice, so the corpus holds valid and invalid instances."""
    return good if rng.random() < 0.85 else rng.choice(bad)


def example_like(rng: random.Random) -> dict[str, Any]:
    ex: dict[str, Any] = {
        "id": pick(rng, "ex-1", "bad id", "", 5, "ex\n"),
        "input": pick(rng, "q", {"turns": ["a"]}, ["x"], 3, None),
        "provenance": pick(
            rng,
            {"added_by": "a", "added_at": "b", "why": "c"},
            {"added_by": "a"},
            {"added_by": "a", "added_at": "b", "why": ""},
            "p",
        ),
        "content_hash": pick(rng, "0123456789abcdef", "0123456789ABCDEF", "short"),
    }
    optional = {
        "slice": ({"category": "math"}, {"category": 1}, "s"),
        "stratum": ("real_traffic", 3),
        "tags": (["t", "u"], ["t", "t"], [1], "t"),
        "reference": ("r", None),
        "extra": (1, 1),
    }
    for key, (good, *bad) in optional.items():
        if rng.random() < 0.5:
            ex[key] = pick(rng, good, *bad)
    for key in list(ex):
        if rng.random() < 0.03:
            del ex[key]
    return ex


GOOD = {
    "a": 3,
    "b": "x",
    "c": 1.0,
    "d": [1, 2.5],
    "e": "abz",
    "f": "s",
    "g": 1.5,
    "h": 0,
    "i": 2,
    "j": [1, True],
    "k": "s",
}
BAD = {
    "a": [-1, 10, 1.5, True],
    "b": [1.0, 2, "z"],
    "c": [True, 2],
    "d": [[], [1, 1.0], [1, 2, 3, 4], ["x"]],
    "e": ["a", "abcdefz", "bz", "a\nz"],
    "f": [4, True],
    "g": [1, 2],
    "h": [True],
    "i": [0, -1, "x"],
    "j": [[1, 1.0], [{"a": 1}, {"a": 1}]],
    "k": [1],
}


def keyword_instance(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return value(rng)
    out: dict[str, Any] = {}
    for key in rng.sample(sorted(GOOD), rng.randint(1, 4)):
        out[key] = GOOD[key] if rng.random() < 0.8 else rng.choice(BAD[key])
    if rng.random() < 0.9:
        out.setdefault("a", GOOD["a"])
    return out


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_verdicts_equal_jsonschema(name: str) -> None:
    schema = SCHEMAS[name]
    store = {BASE["$id"]: BASE}
    fast = schema_compile.build(schema, store)
    assert fast is not None, "the compiler should cover these keywords"
    from referencing import Registry, Resource

    registry = Registry().with_resource(BASE["$id"], Resource.from_contents(BASE))
    reference = jsonschema.Draft7Validator(schema, registry=registry)
    rng = random.Random(1234)
    make = example_like if name != "keywords" else keyword_instance
    disagreements = []
    valid = 0
    for _ in range(4000):
        inst = make(rng)
        expected = reference.is_valid(inst)
        valid += expected
        if fast(inst) != expected:
            disagreements.append((inst, expected))
    assert not disagreements[:5]
    assert 50 < valid < 3950, "the corpus should hold both valid and invalid instances"


def test_unsupported_keyword_defers() -> None:
    assert schema_compile.build({"type": "object", "patternProperties": {"^x": {}}}, {}) is None
    assert schema_compile.build({"type": "array", "contains": {"type": "string"}}, {}) is None
    assert schema_compile.build({"if": {}, "then": {}}, {}) is None


def test_remote_ref_is_not_compiled() -> None:
    assert schema_compile.build({"$ref": "https://example.com/x.json"}, {}) is None


TUPLE = {
    "type": "object",
    "properties": {
        "pair": {
            "type": "array",
            "items": [{"enum": ["a", "b"]}, {"enum": ["a", "b"]}],
            "additionalItems": False,
        },
        "head": {
            "type": "array",
            "items": [{"type": "string"}],
            "additionalItems": {"type": "integer"},
        },
    },
}
LABEL = json.loads((ROOT / "schemas/label.schema.json").read_text())


def label_like(rng: random.Random) -> Any:
    if rng.random() < 0.5:
        rec: dict[str, Any] = {
            "example_id": "e1",
            "example_hash": "0123456789abcdef",
            "annotator": "ada",
            "criterion": "ok",
            "value": True,
        }
        mutations = {
            "value": ["yes", 1, None],
            "criterion": ["", 3],
            "example_id": [5, ""],
            "extra": [1],
        }
    else:
        rec = {
            "example_id": "e1",
            "example_hash": "0123456789abcdef",
            "annotator": "ada",
            "a": "v1",
            "b": "v2",
            "winner": "a",
            "shown": ["b", "a"],
        }
        mutations = {
            "winner": ["c", None],
            "shown": [["a"], ["a", "a"], ["a", "b", "a"], ["x", "y"]],
            "a": [1],
            "value": [True],
        }
    for key, bad in mutations.items():
        if rng.random() < 0.15:
            rec[key] = rng.choice(bad)
    for key in list(rec):
        if rng.random() < 0.04:
            del rec[key]
    return rec


def tuple_like(rng: random.Random) -> Any:
    return {
        "pair": rng.choice([["a", "b"], ["b"], [], ["a", "b", "a"], ["c", "a"], "ab"]),
        "head": rng.choice([["x"], ["x", 1, 2], ["x", 1.5], [1], [], ["x", True]]),
    }


@pytest.mark.parametrize("name", ["tuple", "label"])
def test_tuple_items_and_shipped_label_schema_agree_with_jsonschema(name: str) -> None:
    schema = TUPLE if name == "tuple" else LABEL
    fast = schema_compile.build(schema, {})
    assert fast is not None
    reference = jsonschema.Draft7Validator(schema)
    rng = random.Random(99)
    make = tuple_like if name == "tuple" else label_like
    valid = 0
    for _ in range(3000):
        inst = make(rng)
        expected = reference.is_valid(inst)
        valid += expected
        assert fast(inst) == expected, inst
    assert 50 < valid < 2950
