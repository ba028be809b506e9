"""A small JSON Schema (draft-07 subset) to Python compiler for verdicts only.

Bulk validation needs a yes/no per line, fast; fastjsonschema spends most of
its time building error objects and generic checks. This compiler emits
straight-line Python for the keywords golden-set schemas use, and returns None
for any schema that uses anything else (then fastjsonschema, or jsonschema,
decides). Semantics follow jsonschema's Draft7Validator, the reference:
``pattern`` is ``re.search``; ``format`` is an annotation (jsonschema checks it
only when asked); ``$ref`` overrides its siblings; 1 == 1.0 but True != 1.
A line it rejects is re-checked by jsonschema, which writes the message.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "format",
        "definitions",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
    }
)
SUPPORTED = ANNOTATIONS | {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "$ref",
    "minProperties",
    "additionalItems",
    "maxProperties",
}
_TYPE_TEST = {
    "string": "type({v}) is str",
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
    "number": "type({v}) in _NUM",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
}


class Unsupported(Exception):
    pass


class _Pattern:
    __slots__ = ("pattern",)

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: bools are not numbers, 1 == 1.0, deep for containers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _unique(items: list[Any]) -> bool:
    # Python's equality is coarser than jsonschema's (True == 1 here, not there),
    # so items distinct for a set are distinct for jsonschema too; only a set
    # that sees a duplicate (or cannot hash an item) needs the exact check.
    try:
        if len(set(items)) == len(items):
            return True
    except TypeError:
        pass
    return not any(_equal(items[i], items[j]) for i in range(len(items)) for j in range(i))


class _Compiler:
    def __init__(self, root: Any, store: dict[str, Any]) -> None:
        self.root = root
        self.store = store
        self.consts: dict[str, Any] = {}
        self.funcs: list[str] = []
        self.ref_funcs: dict[str, str] = {}
        self.n = 0

    def const(self, value: Any) -> str:
        """A module-level constant; kept as source so the module can be cached."""
        name = f"_C{len(self.consts)}"
        self.consts[name] = value
        return name

    def const_source(self) -> str:
        lines = []
        for name, value in self.consts.items():
            if isinstance(value, _Pattern):
                lines.append(f"{name} = re.compile({value.pattern!r}).search")
            elif isinstance(value, frozenset):
                lines.append(f"{name} = frozenset({sorted(value)!r})")
            else:
                lines.append(f"{name} = {value!r}")
        return "\n".join(lines)

    def resolve(self, ref: str, base: Any) -> Any:
        doc_uri, _, frag = ref.partition("#")
        if doc_uri:
            doc = self.store.get(doc_uri.rstrip("#"))
            if doc is None:
                raise Unsupported(f"$ref {ref}")
        else:
            doc = base
        node = doc
        if frag:
            for part in frag.lstrip("/").split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if isinstance(node, dict) and part in node:
                    node = node[part]
                elif isinstance(node, list) and part.isdigit():
                    node = node[int(part)]
                else:
                    raise Unsupported(f"$ref {ref}")
        return node, doc

    def ref_function(self, ref: str, base: Any) -> str:
        key = f"{id(base)}|{ref}"
        if key in self.ref_funcs:
            return self.ref_funcs[key]
        name = f"_r{len(self.ref_funcs)}"
        self.ref_funcs[key] = name
        target, doc = self.resolve(ref, base)
        self.function(name, target, doc)
        return name

    def function(self, name: str, schema: Any, base: Any) -> None:
        body: list[str] = []
        self.emit(schema, "x", body, 1, base)
        self.funcs.append(f"def {name}(x):\n" + "".join(body) + "    return True\n")

    def var(self) -> str:
        self.n += 1
        return f"v{self.n}"

    def emit(self, s: Any, v: str, out: list[str], ind: int, base: Any) -> None:
        pad = "    " * ind
        if s is True or s == {}:
            return
        if s is False:
            out.append(f"{pad}return False\n")
            return
        if not isinstance(s, dict):
            raise Unsupported("schema is not an object")
        unknown = set(s) - SUPPORTED
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        if "$ref" in s:  # draft-07: $ref overrides its siblings
            fn = self.ref_function(s["$ref"], base)
            out.append(f"{pad}if not {fn}({v}): return False\n")
            return
        types = s.get("type")
        if types is not None:
            ts = [types] if isinstance(types, str) else list(types)
            if not ts or any(t not in _TYPE_TEST for t in ts):
                raise Unsupported(f"type {types}")
            simple = {"string": "str", "object": "dict", "array": "list", "boolean": "bool"}
            if len(ts) > 1 and all(t in simple for t in ts):
                test = f"type({v}) in ({', '.join(simple[t] for t in ts)})"
            else:
                test = " or ".join(_TYPE_TEST[t].format(v=v) for t in ts)
            out.append(f"{pad}if not ({test}): return False\n")
            # Once the type is asserted, later keywords need no guard of their own.
            known = ts[0] if len(ts) == 1 else None
        else:
            known = None
        if "enum" in s:
            values = s["enum"]
            if all(type(e) is str for e in values):
                c = self.const(frozenset(values))
                out.append(f"{pad}if not (type({v}) is str and {v} in {c}): return False\n")
            else:
                c = self.const(list(values))
                out.append(f"{pad}if not any(_equal({v}, e) for e in {c}): return False\n")
        if "const" in s:
            c = self.const(s["const"])
            out.append(f"{pad}if not _equal({v}, {c}): return False\n")
        self.emit_string(s, v, out, pad, guard=known != "string")
        self.emit_number(s, v, out, pad, guard=known not in ("number", "integer"))
        self.emit_array(s, v, out, ind, base, guard=known != "array")
        self.emit_object(s, v, out, ind, base, guard=known != "object")
        for sub in s.get("allOf", []):
            self.emit(sub, v, out, ind, base)
        if "anyOf" in s:
            fns = [self.sub_function(sub, base) for sub in s["anyOf"]]
            out.append(f"{pad}if not ({' or '.join(f'{f}({v})' for f in fns)}): return False\n")
        if "oneOf" in s:
            fns = [self.sub_function(sub, base) for sub in s["oneOf"]]
            out.append(
                f"{pad}if ({' + '.join(f'bool({f}({v}))' for f in fns)}) != 1: return False\n"
            )
        if "not" in s:
            fn = self.sub_function(s["not"], base)
            out.append(f"{pad}if {fn}({v}): return False\n")

    def sub_function(self, schema: Any, base: Any) -> str:
        name = f"_s{len(self.funcs) + len(self.ref_funcs) + self.n}"
        self.n += 1
        self.function(name, schema, base)
        return name

    def emit_string(
        self, s: dict[str, Any], v: str, out: list[str], pad: str, *, guard: bool = True
    ) -> None:
        conds = []
        if "minLength" in s:
            conds.append(f"len({v}) < {int(s['minLength'])}")
        if "maxLength" in s:
            conds.append(f"len({v}) > {int(s['maxLength'])}")
        if "pattern" in s:
            re.compile(s["pattern"])  # an invalid pattern makes the schema unsupported here
            c = self.const(_Pattern(s["pattern"]))
            conds.append(f"{c}({v}) is None")
        if conds:
            g = f"type({v}) is str and " if guard else ""
            out.append(f"{pad}if {g}({' or '.join(conds)}): return False\n")

    def emit_number(
        self, s: dict[str, Any], v: str, out: list[str], pad: str, *, guard: bool = True
    ) -> None:
        conds = []
        for key, op in (
            ("minimum", "<"),
            ("maximum", ">"),
            ("exclusiveMinimum", "<="),
            ("exclusiveMaximum", ">="),
        ):
            if key in s:
                bound = s[key]
                if isinstance(bound, bool) or not isinstance(bound, int | float):
                    raise Unsupported(key)
                conds.append(f"{v} {op} {bound!r}")
        if conds:
            g = f"type({v}) in _NUM and " if guard else ""
            out.append(f"{pad}if {g}({' or '.join(conds)}): return False\n")

    def emit_array(
        self, s: dict[str, Any], v: str, out: list[str], ind: int, base: Any, *, guard: bool = True
    ) -> None:
        pad = "    " * ind
        conds = []
        if "minItems" in s:
            conds.append(f"len({v}) < {int(s['minItems'])}")
        if "maxItems" in s:
            conds.append(f"len({v}) > {int(s['maxItems'])}")
        if s.get("uniqueItems") is True:
            conds.append(f"not _unique({v})")
        if conds:
            g = f"type({v}) is list and " if guard else ""
            out.append(f"{pad}if {g}({' or '.join(conds)}): return False\n")
        items = s.get("items")
        if isinstance(items, list):
            self.emit_tuple(s, items, v, out, ind, base, guard=guard)
            return
        if items is not None and items is not True and items != {}:
            w = self.var()
            body: list[str] = []
            self.emit(items, w, body, ind + (2 if guard else 1), base)
            if body:
                head = f"{pad}if type({v}) is list:\n{pad}    " if guard else pad
                out.append(f"{head}for {w} in {v}:\n" + "".join(body))

    def emit_tuple(
        self,
        s: dict[str, Any],
        items: list[Any],
        v: str,
        out: list[str],
        ind: int,
        base: Any,
        *,
        guard: bool,
    ) -> None:
        """items as a list (tuple validation) and additionalItems, as draft-07 reads them."""
        cind = ind + 1 if guard else ind
        inner = "    " * cind
        checks: list[str] = []
        for pos, sub in enumerate(items):
            w = self.var()
            body: list[str] = []
            self.emit(sub, w, body, cind + 1, base)
            if body:
                checks.append(
                    f"{inner}if len({v}) > {pos}:\n{inner}    {w} = {v}[{pos}]\n" + "".join(body)
                )
        extra = s.get("additionalItems", True)
        if extra is False:
            checks.append(f"{inner}if len({v}) > {len(items)}: return False\n")
        elif extra is not True and extra != {}:
            w = self.var()
            body = []
            self.emit(extra, w, body, cind + 1, base)
            if body:
                checks.append(f"{inner}for {w} in {v}[{len(items)}:]:\n" + "".join(body))
        if checks:
            head = f"{'    ' * ind}if type({v}) is list:\n" if guard else ""
            out.append(head + "".join(checks))

    def emit_object(
        self, s: dict[str, Any], v: str, out: list[str], ind: int, base: Any, *, guard: bool = True
    ) -> None:
        pad = "    " * ind
        checks: list[str] = []
        cind = ind + 1 if guard else ind
        inner = "    " * cind
        req = s.get("required") or []
        if req:
            c = self.const(frozenset(req))
            checks.append(f"{inner}if not {c} <= {v}.keys(): return False\n")
        for key, op in (("minProperties", "<"), ("maxProperties", ">")):
            if key in s:
                checks.append(f"{inner}if len({v}) {op} {int(s[key])}: return False\n")
        props = s.get("properties") or {}
        for name, sub in props.items():
            body: list[str] = []
            w = self.var()
            self.emit(sub, w, body, cind + 1, base)
            if body:
                k = repr(name)
                checks.append(f"{inner}if {k} in {v}:\n{inner}    {w} = {v}[{k}]\n" + "".join(body))
        ap = s.get("additionalProperties", True)
        if ap is not True and ap != {}:
            known = self.const(frozenset(props))
            if ap is False:
                checks.append(f"{inner}if not {v}.keys() <= {known}: return False\n")
            else:
                w = self.var()
                body = []
                self.emit(ap, w, body, cind + 2, base)
                if body:
                    k = self.var()
                    checks.append(
                        f"{inner}for {k}, {w} in {v}.items():\n{inner}    if {k} not in {known}:\n"
                        + "".join(body)
                    )
        if checks:
            out.append((f"{pad}if type({v}) is dict:\n" if guard else "") + "".join(checks))


PRELUDE = """\
# Generated by goldset.schema_compile (v2): validate(x) -> bool, draft-07 subset.
import re

from goldset.schema_compile import _equal, _unique

_NUM = (int, float)
"""


def compile_source(schema: Any, store: dict[str, Any]) -> str | None:
    """Python source of a module defining ``validate(x) -> bool``, or None when
    the schema uses a keyword this compiler does not cover."""
    comp = _Compiler(schema, store)
    try:
        comp.function("validate", schema, schema)
        consts = comp.const_source()
    except (Unsupported, re.error, RecursionError, KeyError, TypeError, ValueError):
        return None
    for value in comp.consts.values():
        if (
            not isinstance(value, _Pattern | frozenset | list | str | int | float | bool | dict)
            and value is not None
        ):
            return None
    return PRELUDE + consts + "\n\n\n" + "\n\n".join(comp.funcs)


def build(schema: Any, store: dict[str, Any]) -> Callable[[Any], bool] | None:
    source = compile_source(schema, store)
    if source is None:
        return None
    ns: dict[str, Any] = {}
    exec(compile(source, "<goldset schema>", "exec"), ns)
    return ns["validate"]  # type: ignore[no-any-return]
