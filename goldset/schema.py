"""The one home of JSON Schema: loading, checking, and fast compiled validators.

Verdicts come from a fastjsonschema validator compiled once per schema and
cached as a module keyed by the schema's hash, so the hook path never imports
jsonschema (~90 ms). jsonschema is the reference: it is asked for the full,
precise error only for a line the fast validator rejects, and its verdict wins.
Remote ``$ref``s are never fetched: only goldset's shipped schemas and the
project's own schema folder (by ``$id``) can be referenced.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import namedtuple
from pathlib import Path

from goldset import atomic, resources
from goldset.errors import ConfigError

# typing costs the hook path ~2 ms to import: annotations are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_FAST_DRAFTS = {
    "http://json-schema.org/draft-04/schema#",
    "http://json-schema.org/draft-06/schema#",
    "http://json-schema.org/draft-07/schema#",
    "http://json-schema.org/draft-04/schema",
    "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-07/schema",
}
_CACHE_VERSION = "3"
_EXC_SHIM = """
class JsonSchemaValueException(ValueError):
    def __init__(self, message, value=None, name=None, definition=None, rule=None):
        super().__init__(message)
        self.message = message
        self.name = name
        self.rule = rule


JsonSchemaValuesException = JsonSchemaValueException
"""


class SchemaSet:
    """A root schema plus every local schema it may reference (by ``$id``).

    ``name`` is the repository-relative path used in messages.
    """

    __slots__ = ("digest", "name", "root", "store")

    def __init__(
        self, name: str, root: dict[str, Any], store: dict[str, dict[str, Any]], digest: str
    ) -> None:
        self.name = name
        self.root = root
        self.store = store
        self.digest = digest


def _read_json(path: Path, name: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{name}: schema file not found", hint="run `goldset init`") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: schema is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{name}:{exc.lineno}:{exc.colno}: schema is not valid JSON: {exc.msg}"
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{name}: a schema must be a JSON object")
    return doc


def load(schema_path: Path, display_name: str) -> SchemaSet:
    """Read the project's schema and the local schemas it may reference."""
    root = _read_json(schema_path, display_name)
    store: dict[str, dict[str, Any]] = {}
    from goldset.golden import _sha256

    h = _sha256(_CACHE_VERSION.encode())
    shipped = resources.root("schemas")
    for p in sorted(shipped.glob("*.json")):
        doc = json.loads(p.read_text("utf-8"))
        if "$id" in doc:
            store[doc["$id"].rstrip("#")] = doc
            h.update(p.read_bytes())
    for p in sorted(schema_path.parent.glob("*.json")):
        if p.resolve() == schema_path.resolve():
            continue
        try:
            doc = json.loads(p.read_text("utf-8"))
        except (ValueError, OSError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("$id"), str):
            store[doc["$id"].rstrip("#")] = doc
            h.update(p.read_bytes())
    h.update(json.dumps(root, sort_keys=True).encode())
    return SchemaSet(name=display_name, root=root, store=store, digest=h.hexdigest()[:20])


def _refuse_remote(name: str, store: dict[str, dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    def fetch(uri: str) -> dict[str, Any]:
        doc = store.get(uri.split("#")[0].rstrip("#"))
        if doc is None:
            raise ConfigError(
                f"{name}: $ref {uri!r} is not a local schema; goldset never fetches remote schemas",
                hint="copy it into the schema folder with an $id and reference that $id",
            )
        return doc

    return fetch


def check(ss: SchemaSet) -> None:
    """Raise ConfigError if the schema itself is invalid (naming the JSON path)."""
    import jsonschema
    from jsonschema.exceptions import SchemaError

    cls = jsonschema.validators.validator_for(ss.root, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(ss.root)
    except SchemaError as exc:
        path = "$" + "".join(
            f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in exc.absolute_path
        )
        raise ConfigError(f"{ss.name}: invalid schema at {path}: {exc.message}") from None
    _reference_validator(ss)  # resolves every $ref eagerly enough to fail early


def _reference_validator(ss: SchemaSet) -> Any:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    fetch = _refuse_remote(ss.name, ss.store)

    def retrieve(uri: str) -> Resource[Any]:
        try:
            return Resource.from_contents(fetch(uri), default_specification=_spec(ss.root))
        except ConfigError as exc:
            raise NoSuchResource(ref=uri) from exc

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    cls = jsonschema.validators.validator_for(ss.root, default=jsonschema.Draft7Validator)
    return cls(ss.root, registry=registry)


def _spec(schema: dict[str, Any]) -> Any:
    from referencing.jsonschema import DRAFT7, specification_with

    return specification_with(schema.get("$schema", ""), default=DRAFT7)


Failure = namedtuple("Failure", ["message", "json_path"])


def full_errors(ss: SchemaSet, instance: Any, validator: Any | None = None) -> list[Failure]:
    """jsonschema's complete account of why ``instance`` is invalid (empty if valid)."""
    from jsonschema.exceptions import best_match
    from referencing.exceptions import Unresolvable

    v = validator or reference(ss)
    try:
        errors = list(v.iter_errors(instance))
    except Unresolvable as exc:
        raise ConfigError(
            f"{ss.name}: $ref {getattr(exc, 'ref', exc)!s} cannot be resolved locally; "
            "goldset never fetches remote schemas"
        ) from None
    if not errors:
        return []
    best = best_match(errors)
    ordered = [best] + [e for e in errors if e is not best]
    return [Failure(e.message, e.json_path) for e in ordered]


_REFERENCE_CACHE: dict[str, Any] = {}


def reference(ss: SchemaSet) -> Any:
    v = _REFERENCE_CACHE.get(ss.digest)
    if v is None:
        v = _REFERENCE_CACHE[ss.digest] = _reference_validator(ss)
    return v


_SHIPPED: dict[str, tuple[SchemaSet, Callable[[Any], bool]]] = {}


def _shipped_set(kind: str) -> tuple[SchemaSet, Callable[[Any], bool]]:
    if kind not in _SHIPPED:
        ss = load(resources.path("schemas", f"{kind}.schema.json"), f"schemas/{kind}.schema.json")
        namespace: dict[str, Any] = {}
        exec(compile(_source(ss), f"<goldset {kind} schema>", "exec"), namespace)
        _SHIPPED[kind] = (ss, namespace["validate"])
    return _SHIPPED[kind]


def shipped_verdict(kind: str) -> Callable[[Any], bool]:
    """A fast yes/no for one of goldset's own record schemas (``label``,
    ``judgment``, ``result``, ``manifest``), compiled once per process."""
    return _shipped_set(kind)[1]


def shipped_reference(kind: str) -> Any:
    """jsonschema's validator for the same schema: for messages, when the verdict is no."""
    return reference(_shipped_set(kind)[0])


def document_validator(doc: Any, name: str) -> Any:
    """jsonschema's validator for a schema given in configuration (a check's
    ``schema``), refused with a ConfigError naming ``name`` if it is invalid.
    Remote $refs are not fetched (the registry has no retrieval)."""
    import jsonschema
    from jsonschema.exceptions import SchemaError

    if not isinstance(doc, dict | bool):
        raise ConfigError(f"{name}: a JSON Schema must be an object")
    cls = jsonschema.validators.validator_for(doc, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(doc)
    except SchemaError as exc:
        raise ConfigError(f"{name}: not a valid JSON Schema: {exc.message}") from None
    return cls(doc)


def _source(ss: SchemaSet) -> str:
    """Module source defining validate(x) -> bool: goldset's compiler, else fastjsonschema's."""
    from goldset import schema_compile

    return schema_compile.compile_source(ss.root, ss.store) or (_generate(ss) + _VERDICT_WRAPPER)


def compiled(ss: SchemaSet, cache_dir: Path | None) -> Callable[[Any], bool] | None:
    """A fast verdict function (True: valid), or None when the schema's draft is
    beyond drafts 4-7 (then jsonschema decides every line).

    goldset's own compiler covers the keywords golden-set schemas use; any other
    keyword falls back to fastjsonschema's code. Either way the module is cached
    by schema hash, so later runs import it instead of compiling.
    """
    if ss.root.get("$schema", "http://json-schema.org/draft-07/schema#") not in _FAST_DRAFTS:
        return None
    if cache_dir is not None:
        mod_path = cache_dir / f"validator_{ss.digest}.py"
        if mod_path.is_file():
            fn = _import_validator(mod_path, ss.digest)
            if fn is not None:
                return fn
    check(ss)
    code = _source(ss)
    if cache_dir is not None:
        mod_path = cache_dir / f"validator_{ss.digest}.py"
        try:
            atomic.write_text(mod_path, code)
            fn = _import_validator(mod_path, ss.digest)
            if fn is not None:
                return fn
        except OSError:
            pass
    namespace: dict[str, Any] = {}
    exec(compile(code, f"<goldset validator {ss.digest}>", "exec"), namespace)
    return namespace["validate"]  # type: ignore[no-any-return]


_VERDICT_WRAPPER = """

_raising_validate = validate


def validate(data):
    try:
        _raising_validate(data)
    except JsonSchemaValueException:
        return False
    return True
"""


def _generate(ss: SchemaSet) -> str:
    import fastjsonschema

    fetch = _refuse_remote(ss.name, ss.store)
    handlers = {scheme: fetch for scheme in ("http", "https", "file", "ftp", "")}
    try:
        code: str = fastjsonschema.compile_to_code(ss.root, handlers=handlers, use_default=False)
    except ConfigError:
        raise
    except fastjsonschema.JsonSchemaDefinitionException as exc:
        raise ConfigError(f"{ss.name}: invalid schema: {exc}") from None
    # The generated module imports fastjsonschema only for its exception class;
    # a local stand-in keeps that import (and its urllib chain) off the hook path.
    code = code.replace(
        "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException", _EXC_SHIM
    ).replace("from fastjsonschema import JsonSchemaValueException", _EXC_SHIM)
    import re

    first = re.search(r"^def (validate\w*)\(", code, re.M)
    if first is None:
        raise ConfigError(f"{ss.name}: could not compile the schema")
    if first.group(1) != "validate":
        code += f"\n\nvalidate = {first.group(1)}\n"
    return code


def _import_validator(path: Path, digest: str) -> Callable[[Any], Any] | None:
    name = f"_goldset_validator_{digest}"
    if name in sys.modules:
        return sys.modules[name].validate  # type: ignore[no-any-return]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:
        return None
    sys.modules[name] = module
    return module.validate  # type: ignore[no-any-return]


def cache_dir_for(root: Path) -> Path | None:
    from goldset import gitio

    git = gitio.git_dir(root)
    return git / "goldset-cache" if git is not None else None


# ---------------------------------------------------------------- native verdict

# jsonschema-rs (Rust) decides a golden line in about 0.5 us where the compiled
# Python verdict takes 1.8 us. It is only a filter: a line it passes is clean,
# a line it fails goes to the Python verdict and jsonschema's messages. So it is
# used only where "jsonschema-rs says valid" implies "jsonschema says valid":
# schemas whose keywords mean the same in both, or where jsonschema-rs can only
# be stricter (its regex $ does not match before a final newline, its . stops
# at more line ends) and nothing turns stricter into looser (not, oneOf, if,
# or a property pattern, which decides where a subschema applies).
_NATIVE_DRAFTS = frozenset(
    {"http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema"}
)
_NATIVE_NOTES = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "format",  # asserted by neither: jsonschema-rs is built with validate_formats=False
        "definitions",
    }
)
_NATIVE_SAME = frozenset(
    {
        "type",
        "properties",
        "additionalProperties",
        "required",
        "items",
        "additionalItems",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "allOf",
        "anyOf",
        "contains",
        "propertyNames",
        "dependencies",
        "$ref",
        "pattern",
        "patternProperties",
        "enum",
        "const",
        "uniqueItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)
_PUNCT = set("\\^$.|?*+()[]{}/-")
_QUANT = re.compile(r"\{\d+(?:,\d*)?\}\??|[*+?]\??")


def _same_pattern(p: str) -> bool:
    """Whether Python's re and jsonschema-rs read the pattern alike.

    A deliberately small grammar: literals, escaped punctuation, ``.``, ``^``,
    ``$``, ``|``, quantifiers, plain groups, and classes of literals and ranges.
    Anything else (\\d \\w \\s \\b \\p, (? extensions, back-references, POSIX
    or nested classes, a class starting with ]) is read differently somewhere.
    """
    i, n, depth = 0, len(p), 0
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n or p[i + 1] not in _PUNCT:
                return False
            i += 2
        elif c == "[":
            i += 1
            if i < n and p[i] == "^":
                i += 1
            if i < n and p[i] == "]":
                return False
            while i < n and p[i] != "]":
                if p[i] == "[":
                    return False
                if p[i] == "\\":
                    if i + 1 >= n or p[i + 1] not in _PUNCT:
                        return False
                    i += 1
                elif p[i] in "&~" and i + 1 < n and p[i + 1] == p[i]:
                    return False
                i += 1
            if i >= n:
                return False
            i += 1
        elif c == "(":
            if i + 1 < n and p[i + 1] == "?":
                return False
            depth += 1
            i += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return False
            i += 1
        elif c in "{*+?":
            m = _QUANT.match(p, i)
            if m is None or i == 0:
                return False
            i = m.end()
        elif c in "}]":
            return False
        else:
            i += 1
    return depth == 0


def _native_safe(schema: Any, store: dict[str, dict[str, Any]], seen: set[int]) -> bool:
    """Whether jsonschema-rs passing an instance implies jsonschema passing it."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    if id(schema) in seen:
        return True
    seen.add(id(schema))
    for key, value in schema.items():
        if key in _NATIVE_NOTES:
            if key == "definitions":
                if not isinstance(value, dict):
                    return False
                if not all(_native_safe(v, store, seen) for v in value.values()):
                    return False
            elif key == "$schema" and value not in _NATIVE_DRAFTS:
                return False
            continue
        if key not in _NATIVE_SAME:
            return False
        if not _native_keyword_safe(schema, key, value, store, seen):
            return False
    return True


def _native_keyword_safe(
    schema: dict[str, Any], key: str, value: Any, store: dict[str, dict[str, Any]], seen: set[int]
) -> bool:
    def sub(v: Any) -> bool:
        return _native_safe(v, store, seen)

    if key in ("properties", "patternProperties", "dependencies"):
        if not isinstance(value, dict):
            return False
        if key == "patternProperties" and not all(
            isinstance(p, str) and _same_pattern(p) and "$" not in p and "." not in p for p in value
        ):
            return False
        return all(isinstance(v, list) or sub(v) for v in value.values())
    if key in ("additionalProperties", "additionalItems", "contains", "propertyNames"):
        return sub(value)
    if key == "items":
        return all(sub(v) for v in value) if isinstance(value, list) else sub(value)
    if key in ("allOf", "anyOf"):
        return isinstance(value, list) and all(sub(v) for v in value)
    if key == "$ref":
        if not isinstance(value, str):
            return False
        if value.startswith("#"):
            return True  # a local pointer: its target is under definitions, checked there
        doc = store.get(value.split("#")[0].rstrip("#"))
        return doc is not None and "#" not in value.rstrip("#") and sub(doc)
    if key == "pattern":
        return isinstance(value, str) and _same_pattern(value)
    if key in ("enum", "const"):
        # Equality of numbers (1 and 1.0, big ints) is where the engines could differ.
        values = value if key == "enum" and isinstance(value, list) else [value]
        return all(v is None or isinstance(v, str | bool) for v in values)
    if key == "uniqueItems":
        items = schema.get("items")
        return value is False or (isinstance(items, dict) and items.get("type") == "string")
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        # Bounds far inside a double's exact integers: no rounding crosses them.
        return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 2**52
    return True  # counts and lengths: the same integers in both


def native_verdict(ss: SchemaSet) -> Callable[[Any], bool] | None:
    """jsonschema-rs's is_valid for the schema when it may only be stricter than
    jsonschema (see above), else None. Remote $refs are refused, never fetched."""
    if not _native_safe(ss.root, ss.store, set()):
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None

    def refuse(uri: str) -> Any:
        raise ValueError(f"goldset never fetches remote schemas: {uri}")

    try:
        registry = jsonschema_rs.Registry(list(ss.store.items()), retriever=refuse)
        validator = jsonschema_rs.Draft7Validator(
            ss.root, validate_formats=False, registry=registry, retriever=refuse
        )
    except Exception:  # a schema jsonschema-rs reads differently: not used
        return None
    return validator.is_valid  # type: ignore[no-any-return]
