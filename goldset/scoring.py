"""The core of ``goldset score``: programmatic checks, free, so preferred wherever they apply.

Each check in goldset.yaml's ``checks:`` gives one score per result record,
``scores[<check name>]``: a boolean (pass/fail) or, for a Python callable, a
number. A check that does not apply (``exact`` with no reference, say) gives
no score rather than a guess. docs/formats-llm.md lists the check types.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import string
import sys
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from goldset.errors import InputError, UsageError
from goldset.llm_config import Check

SCORER_VERSION = "1"
_NUMBER_RE = re.compile(r"[-+]?(?:\d+(?:[.,]\d+)*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")
_FENCE_RE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
_PUNCT = str.maketrans("", "", string.punctuation)


def normalise(text: str, options: list[str]) -> str:
    if "case" in options:
        text = text.casefold()
    if "punctuation" in options:
        text = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    if "whitespace" in options:
        text = " ".join(text.split())
    if "strip" in options:
        text = text.strip()
    return unicodedata.normalize("NFC", text)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def strip_fences(text: str) -> str:
    m = _FENCE_RE.match(text)
    return m.group(1) if m else text


def parse_number(text: str) -> float | None:
    """The number an output states: the whole text if numeric, else its last number."""
    t = text.strip().replace(",", "")
    try:
        v = float(t)
        return v if math.isfinite(v) else None
    except ValueError:
        pass
    found = _NUMBER_RE.findall(text)
    if not found:
        return None
    try:
        v = float(found[-1].replace(",", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


@cache
def _regex(pattern: str, flags: tuple[str, ...]) -> re.Pattern[str]:
    f = 0
    for name in flags:
        f |= {"ignorecase": re.IGNORECASE, "multiline": re.MULTILINE, "dotall": re.DOTALL}[name]
    return re.compile(pattern, f)


_SCHEMAS: dict[str, Any] = {}


def _schema_validator(root: Path, check: Check) -> Any:
    from goldset import schema as schema_home

    key = f"{root}:{check.name}"
    if key not in _SCHEMAS:
        doc = check.spec.get("schema")
        if doc is None:
            path = root / check.spec["schema_file"]
            try:
                doc = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise UsageError(
                    f"checks.{check.name}.schema_file: cannot read {path}: {exc}"
                ) from None
        _SCHEMAS[key] = schema_home.document_validator(doc, f"checks.{check.name}.schema")
    return _SCHEMAS[key]


def _callable(root: Path, spec: str, name: str) -> Callable[..., Any]:
    module_name, _, attr = spec.partition(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"checks.{name}.function: cannot import {module_name}: {exc}") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UsageError(f"checks.{name}.function: {module_name} has no function {attr}")
    return fn


def run_check(
    root: Path, check: Check, example: dict[str, Any], output: Any
) -> bool | float | None:
    """One check on one output; None when it does not apply."""
    spec = check.spec
    text = _text(output)
    if text is None:
        return None
    t = check.type
    if t in ("exact", "contains", "not_contains"):
        norm = spec.get("normalize") or []
        if isinstance(norm, str):
            norm = [norm]
        target = spec.get("value")
        if target is None:
            target = _text(example.get("reference"))
            if target is None:
                return None
        targets = target if isinstance(target, list) else [target]
        got = normalise(text, norm)
        wanted = [normalise(x, norm) for x in targets]
        if t == "exact":
            return got in wanted
        if t == "contains":
            return all(w in got for w in wanted)
        return not any(w in got for w in wanted)
    if t == "regex":
        flags = spec.get("flags") or []
        rx = _regex(spec["pattern"], tuple([flags] if isinstance(flags, str) else flags))
        m = rx.fullmatch(text) if spec.get("mode") == "fullmatch" else rx.search(text)
        return m is not None
    if t == "json":
        try:
            json.loads(strip_fences(text))
        except ValueError:
            return False
        return True
    if t == "json_schema":
        try:
            doc = json.loads(strip_fences(text)) if isinstance(output, str) else output
        except ValueError:
            return False
        return bool(_schema_validator(root, check).is_valid(doc))
    if t == "numeric":
        want = spec.get("value")
        if want is None:
            ref = example.get("reference")
            if isinstance(ref, int | float) and not isinstance(ref, bool):
                want = ref
            elif isinstance(ref, str):
                want = parse_number(ref)
            if want is None:
                return None
        got_n = parse_number(text)
        if got_n is None:
            return False
        tol = float(spec.get("tolerance", 0) or 0)
        rel = float(spec.get("relative", 0) or 0)
        return abs(got_n - float(want)) <= max(tol, rel * abs(float(want)))
    if t == "python":
        fn = _callable(root, spec["function"], check.name)
        try:
            value = fn(output, example)
        except Exception as exc:
            raise InputError(
                f"checks.{check.name}: {spec['function']} raised {type(exc).__name__}: {exc} "
                f"on example {example.get('id')!r}"
            ) from None
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float) and math.isfinite(value):
            return value
        raise InputError(
            f"checks.{check.name}: {spec['function']} returned {type(value).__name__} for "
            f"example {example.get('id')!r}: expected a boolean, a number or None"
        )
    raise UsageError(f"checks.{check.name}.type: unknown check type {t!r}")


def score_output(
    cfg: Any, checks: list[Check], example: dict[str, Any], output: Any
) -> dict[str, Any]:
    scores: dict[str, Any] = {}
    for check in checks:
        value = run_check(cfg.root, check, example, output)
        if value is not None:
            scores[check.name] = value
    return scores


def score(cfg: Any, names: list[str]) -> dict[str, Any]:
    """Apply the configured checks to the named variants' results (all when empty).

    Rewrites each results file atomically, keeping every other score (a
    judge's or an imported one) and replacing only the checks' own.
    """
    from goldset import atomic, golden, llm_config, results
    from goldset.generate import example_hash, lock_file

    checks = llm_config.checks(cfg)
    if not checks:
        raise UsageError(
            "goldset.yaml declares no checks", hint="add some under `checks:` (docs/formats-llm.md)"
        )
    examples = golden.read_set(cfg)
    hashes = {i: example_hash(ex) for i, ex in examples.items()}
    folder = cfg.path("results")
    available = (
        sorted(p.name[: -len(".jsonl")] for p in folder.glob("*.jsonl")) if folder.is_dir() else []
    )
    chosen = names or available
    check_names = {c.name for c in checks}
    report: dict[str, Any] = {"checks": [c.name for c in checks], "variants": []}
    for name in chosen:
        path = folder / f"{name}.jsonl"
        if not path.is_file():
            raise UsageError(
                f"{path.relative_to(cfg.root)}: no results for variant {name!r}",
                hint=f"goldset run --variant {name}",
            )
        with atomic.lock(lock_file(cfg.root, f"results-{name}")):
            res = results.parse(path.read_bytes(), path.relative_to(cfg.root).as_posix(), name)
            mine = [c for c in checks if not c.variants or name in c.variants]
            tallies: dict[str, list[Any]] = {c.name: [] for c in mine}
            stale = 0
            out = []
            for ex_id, rec in res.records.items():
                rec = dict(rec)
                scores = {
                    k: v for k, v in (rec.get("scores") or {}).items() if k not in check_names
                }
                ex = examples.get(ex_id)
                if ex is None or rec.get("error") is not None or rec.get("output") is None:
                    rec["scores"] = scores
                    out.append(rec)
                    continue
                if rec.get("example_hash") not in (None, hashes[ex_id]):
                    stale += 1
                for check in mine:
                    value = run_check(cfg.root, check, ex, rec.get("output"))
                    if value is not None:
                        scores[check.name] = value
                        tallies[check.name].append(value)
                rec["scores"] = scores
                out.append(rec)
            atomic.write_bytes(path, results.dump_records(out))
        report["variants"].append(
            {
                "variant": name,
                "records": len(out),
                "stale": stale,
                "checks": {n: _summary(v) for n, v in tallies.items()},
            }
        )
    return report


def _summary(values: list[Any]) -> dict[str, Any]:
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "se": None}
    xs = [float(v) for v in values]
    mean = sum(xs) / n
    if n > 1:
        var = sum((x - mean) ** 2 for x in xs) / (n - 1)
        se = math.sqrt(var / n)
    else:
        se = None
    return {"n": n, "mean": mean, "se": se}
