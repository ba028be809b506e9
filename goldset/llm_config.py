"""The `variants`, `judges`, `rubric` and `checks` sections of goldset.yaml, checked.

Each error names the field (``judges.strict.kind``) and what is expected;
docs/formats-llm.md describes the shapes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldset import resources
from goldset.errors import ConfigError

N = "goldset.yaml"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_CRITERIA = 5
CHECK_TYPES = (
    "exact",
    "regex",
    "contains",
    "not_contains",
    "json",
    "json_schema",
    "numeric",
    "python",
)
NORMALIZE = ("case", "whitespace", "punctuation", "strip")
DEFAULT_PROMPTS = {
    "generate": "generate.j2",
    "pointwise": "judge_pointwise.j2",
    "pairwise": "judge_pairwise.j2",
}


@dataclass
class Prompt:
    source: str
    name: str  # where it came from, for error messages

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:16]


@dataclass
class Variant:
    name: str
    model: str
    prompt: Prompt
    params: dict[str, Any]
    system: str | None = None
    family: str | None = None


@dataclass
class Criterion:
    name: str
    question: str
    pass_example: str | None = None
    fail_example: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "question": self.question,
            "pass_example": self.pass_example,
            "fail_example": self.fail_example,
        }


@dataclass
class Judge:
    name: str
    model: str
    kind: str
    prompt: Prompt
    params: dict[str, Any]
    criteria: list[Criterion] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    family: str | None = None

    @property
    def hash(self) -> str:
        """What the calibration is valid for: model, params, prompt and rubric."""
        import orjson

        body = {
            "model": self.model,
            "kind": self.kind,
            "params": {k: v for k, v in self.params.items() if k not in ("api_key_env", "timeout")},
            "prompt": self.prompt.source,
            "criteria": [c.as_dict() for c in self.criteria],
        }
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@dataclass
class Check:
    name: str
    type: str
    spec: dict[str, Any]
    variants: list[str] = field(default_factory=list)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ConfigError(
            f"{N}: {where}: {value!r} is not a valid name (letters, digits, . _ -, at most 64)"
        )
    return value


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{N}: {where}: expected a mapping, got {type(value).__name__}")
    return value


def _str(value: Any, where: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{N}: {where}: expected a non-empty string")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{N}: {where}: expected a list of strings")
    return list(value)


def _params(value: Any, where: str) -> dict[str, Any]:
    params = _mapping(value, where)
    if "api_key" in params:
        raise ConfigError(
            f"{N}: {where}.api_key: never put a key in goldset.yaml",
            hint="name the environment variable that holds it with api_key_env",
        )
    for k in ("model", "messages"):
        if k in params:
            raise ConfigError(f"{N}: {where}.{k}: set by goldset, not a parameter")
    return dict(params)


def _prompt(cfg: Any, spec: dict[str, Any], where: str, default: str) -> Prompt:
    inline = spec.get("prompt")
    file = spec.get("prompt_file")
    if inline is not None and file is not None:
        raise ConfigError(f"{N}: {where}: set prompt or prompt_file, not both")
    if inline is not None:
        return Prompt(_str(inline, f"{where}.prompt") or "", f"{where}.prompt")
    if file is not None:
        rel = _str(file, f"{where}.prompt_file") or ""
        p = (cfg.root / rel).resolve()
        try:
            p.relative_to(Path(cfg.root).resolve())
        except ValueError:
            raise ConfigError(
                f"{N}: {where}.prompt_file: {rel} is outside the repository"
            ) from None
        try:
            return Prompt(p.read_text("utf-8"), rel)
        except OSError as exc:
            raise ConfigError(
                f"{N}: {where}.prompt_file: cannot read {rel}: {exc.strerror}"
            ) from None
    return shipped_prompt(cfg, default)


def shipped_prompt(cfg: Any, name: str) -> Prompt:
    """A shipped prompt template, overridable in the project's templates folder."""
    override = cfg.data["paths"].get("templates")
    if override:
        p = cfg.root / override / "prompts" / name
        if p.is_file():
            return Prompt(p.read_text("utf-8"), str(Path(override) / "prompts" / name))
    return Prompt(resources.read_text("templates", f"prompts/{name}"), f"templates/prompts/{name}")


def variants(cfg: Any) -> dict[str, Variant]:
    out: dict[str, Variant] = {}
    for name, spec in _mapping(cfg.data.get("variants"), "variants").items():
        where = f"variants.{name}"
        _name(name, where)
        spec = _mapping(spec, where)
        _known(spec, where, ("model", "prompt", "prompt_file", "params", "system", "family"))
        out[name] = Variant(
            name=name,
            model=_str(spec.get("model"), f"{where}.model") or "",
            prompt=_prompt(cfg, spec, where, DEFAULT_PROMPTS["generate"]),
            params=_params(spec.get("params"), f"{where}.params"),
            system=_str(spec.get("system"), f"{where}.system", required=False),
            family=_str(spec.get("family"), f"{where}.family", required=False),
        )
    return out


def rubric(cfg: Any) -> list[Criterion]:
    spec = cfg.data.get("rubric")
    items = spec if isinstance(spec, list) else _mapping(spec, "rubric").get("criteria") or []
    if not isinstance(items, list):
        raise ConfigError(f"{N}: rubric.criteria: expected a list of criteria")
    out: list[Criterion] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"rubric.criteria[{i}]"
        item = _mapping(item, where)
        _known(item, where, ("name", "question", "pass_example", "fail_example"))
        name = _name(item.get("name"), f"{where}.name")
        if name in seen:
            raise ConfigError(f"{N}: {where}.name: duplicate criterion {name!r}")
        seen.add(name)
        out.append(
            Criterion(
                name=name,
                question=_str(item.get("question"), f"{where}.question") or "",
                pass_example=_str(
                    item.get("pass_example"), f"{where}.pass_example", required=False
                ),
                fail_example=_str(
                    item.get("fail_example"), f"{where}.fail_example", required=False
                ),
            )
        )
    return out


def judges(cfg: Any) -> dict[str, Judge]:
    all_criteria = {c.name: c for c in rubric(cfg)}
    known_variants = set(_mapping(cfg.data.get("variants"), "variants"))
    out: dict[str, Judge] = {}
    for name, spec in _mapping(cfg.data.get("judges"), "judges").items():
        where = f"judges.{name}"
        _name(name, where)
        spec = _mapping(spec, where)
        _known(
            spec,
            where,
            (
                "model",
                "kind",
                "prompt",
                "prompt_file",
                "params",
                "criteria",
                "variants",
                "pairs",
                "family",
            ),
        )
        kind = spec.get("kind", "pointwise")
        if kind not in ("pointwise", "pairwise"):
            raise ConfigError(f"{N}: {where}.kind: expected pointwise or pairwise, got {kind!r}")
        judge = Judge(
            name=name,
            model=_str(spec.get("model"), f"{where}.model") or "",
            kind=kind,
            prompt=_prompt(cfg, spec, where, DEFAULT_PROMPTS[kind]),
            params=_params(spec.get("params"), f"{where}.params"),
            family=_str(spec.get("family"), f"{where}.family", required=False),
        )
        for v in _str_list(spec.get("variants"), f"{where}.variants"):
            if v not in known_variants:
                raise ConfigError(f"{N}: {where}.variants: no variant named {v!r}")
            judge.variants.append(v)
        if kind == "pointwise":
            names = _str_list(spec.get("criteria"), f"{where}.criteria") or list(all_criteria)
            for c in names:
                if c not in all_criteria:
                    raise ConfigError(f"{N}: {where}.criteria: {c!r} is not in rubric.criteria")
            if not names:
                raise ConfigError(
                    f"{N}: {where}: a pointwise judge needs rubric.criteria",
                    hint="declare 3-5 binary criteria under rubric.criteria",
                )
            if len(names) > MAX_CRITERIA:
                raise ConfigError(
                    f"{N}: {where}.criteria: {len(names)} criteria; a checklist of at most {MAX_CRITERIA} keeps the judge reliable",
                    hint="split them across two judges",
                )
            judge.criteria = [all_criteria[c] for c in names]
        else:
            for c in _str_list(spec.get("criteria"), f"{where}.criteria"):
                if c not in all_criteria:
                    raise ConfigError(f"{N}: {where}.criteria: {c!r} is not in rubric.criteria")
                judge.criteria.append(all_criteria[c])
            pairs = spec.get("pairs")
            if pairs is None:
                vs = judge.variants or sorted(known_variants)
                judge.pairs = [(a, b) for i, a in enumerate(vs) for b in vs[i + 1 :]]
            else:
                if not isinstance(pairs, list):
                    raise ConfigError(f"{N}: {where}.pairs: expected a list of [A, B]")
                for i, pair in enumerate(pairs):
                    if (
                        not isinstance(pair, list)
                        or len(pair) != 2
                        or not all(isinstance(p, str) for p in pair)
                        or pair[0] == pair[1]
                    ):
                        raise ConfigError(
                            f"{N}: {where}.pairs[{i}]: expected [A, B] of two different variants"
                        )
                    for p in pair:
                        if p not in known_variants:
                            raise ConfigError(f"{N}: {where}.pairs[{i}]: no variant named {p!r}")
                    judge.pairs.append((pair[0], pair[1]))
        out[name] = judge
    return out


def _known(spec: dict[str, Any], where: str, keys: tuple[str, ...]) -> None:
    for k in spec:
        if k not in keys:
            raise ConfigError(f"{N}: {where}.{k}: unknown key (known: {', '.join(keys)})")


def checks(cfg: Any) -> list[Check]:
    items = cfg.data.get("checks") or []
    if not isinstance(items, list):
        raise ConfigError(f"{N}: checks: expected a list of checks")
    known_variants = set(_mapping(cfg.data.get("variants"), "variants"))
    out: list[Check] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"checks[{i}]"
        item = dict(_mapping(item, where))
        ctype = item.get("type")
        if ctype not in CHECK_TYPES:
            raise ConfigError(
                f"{N}: {where}.type: expected one of {', '.join(CHECK_TYPES)}, got {ctype!r}"
            )
        name = _name(item.get("name", ctype), f"{where}.name")
        if name in seen:
            raise ConfigError(f"{N}: {where}.name: duplicate check name {name!r}")
        seen.add(name)
        vs = _str_list(item.get("variants"), f"{where}.variants")
        for v in vs:
            if v not in known_variants:
                raise ConfigError(f"{N}: {where}.variants: no variant named {v!r}")
        _check_spec(cfg, ctype, item, where)
        out.append(Check(name=name, type=ctype, spec=item, variants=vs))
    return out


def _check_spec(cfg: Any, ctype: str, item: dict[str, Any], where: str) -> None:
    common = ("name", "type", "variants")
    if ctype in ("exact", "contains", "not_contains"):
        _known(item, where, (*common, "value", "normalize"))
        norm = _str_list(item.get("normalize"), f"{where}.normalize")
        for n in norm:
            if n not in NORMALIZE:
                raise ConfigError(
                    f"{N}: {where}.normalize: {n!r} is not one of {', '.join(NORMALIZE)}"
                )
        value = item.get("value")
        if value is not None and not isinstance(value, str | list):
            raise ConfigError(f"{N}: {where}.value: expected a string or a list of strings")
        if ctype != "exact" and value is None:
            raise ConfigError(f"{N}: {where}.value: required for {ctype}")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{N}: {where}.value: expected a string or a list of strings")
    elif ctype == "regex":
        _known(item, where, (*common, "pattern", "flags", "mode"))
        pattern = _str(item.get("pattern"), f"{where}.pattern") or ""
        flags = _str_list(item.get("flags"), f"{where}.flags")
        for f in flags:
            if f not in ("ignorecase", "multiline", "dotall"):
                raise ConfigError(
                    f"{N}: {where}.flags: {f!r} is not ignorecase, multiline or dotall"
                )
        if item.get("mode", "search") not in ("search", "fullmatch"):
            raise ConfigError(f"{N}: {where}.mode: expected search or fullmatch")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{N}: {where}.pattern: invalid regular expression: {exc}") from None
    elif ctype == "json":
        _known(item, where, (*common,))
    elif ctype == "json_schema":
        _known(item, where, (*common, "schema", "schema_file"))
        if (item.get("schema") is None) == (item.get("schema_file") is None):
            raise ConfigError(f"{N}: {where}: set exactly one of schema or schema_file")
        if item.get("schema") is not None and not isinstance(item["schema"], dict):
            raise ConfigError(f"{N}: {where}.schema: expected a JSON Schema object")
        if item.get("schema_file") is not None:
            rel = _str(item["schema_file"], f"{where}.schema_file") or ""
            if not (cfg.root / rel).is_file():
                raise ConfigError(f"{N}: {where}.schema_file: {rel} does not exist")
    elif ctype == "numeric":
        _known(item, where, (*common, "value", "tolerance", "relative"))
        for k in ("tolerance", "relative"):
            v = item.get(k, 0)
            if not isinstance(v, int | float) or isinstance(v, bool) or v < 0:
                raise ConfigError(f"{N}: {where}.{k}: expected a non-negative number")
        v = item.get("value")
        if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)):
            raise ConfigError(f"{N}: {where}.value: expected a number")
    elif ctype == "python":
        _known(item, where, (*common, "function"))
        fn = _str(item.get("function"), f"{where}.function") or ""
        if not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", fn):
            raise ConfigError(f"{N}: {where}.function: expected module:function, got {fn!r}")
