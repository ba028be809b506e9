"""Eval results: one record per example per variant, plus a run manifest.

``evals/results/<variant>.jsonl`` holds the records, ``<variant>.manifest.json``
says how they were produced (docs/formats.md). The same parser reads them from
the working tree and from git blobs, so ``goldset diff`` never checks out a
revision. ``import_file`` brings in results written by any tool (JSONL or CSV)
through a column mapping, validated, with errors naming file:line:column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from goldset import __version__, jsonl
from goldset.errors import InputError, UsageError

RESULT_SUFFIX = ".jsonl"
MANIFEST_SUFFIX = ".manifest.json"
VARIANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
# The order fields are written in, so a regenerated file diffs per record.
FIELD_ORDER = (
    "example_id",
    "example_hash",
    "output",
    "scores",
    "cost",
    "latency_ms",
    "tokens",
    "error",
    "cached",
)
SCALAR_TARGETS = ("example_id", "example_hash", "output", "cost", "latency_ms", "error", "cached")
MANIFEST_KEYS = (
    "variant",
    "model",
    "prompt_hash",
    "params",
    "golden_hash",
    "tool_version",
    "created_at",
)


@dataclass
class VariantResults:
    """The results of one variant: records by example id and the run manifest."""

    variant: str
    path: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None

    def metric_names(self) -> list[str]:
        names: set[str] = set()
        for rec in self.records.values():
            names.update((rec.get("scores") or {}).keys())
        return sorted(names)


def _col(raw: bytes, key: str) -> int | None:
    pos = raw.find(b'"' + key.encode() + b'"')
    return pos + 1 if pos >= 0 else None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def check_record(obj: Any, where: str, raw: bytes = b"") -> None:
    """Refuse a result record that does not match schemas/result.schema.json.

    Hand-written rather than jsonschema: a diff reads 100,000 records, and the
    message must name the field and its column. Exact type checks keep the
    common case to a handful of comparisons per record.
    """

    def fail(key: str, msg: str) -> InputError:
        col = _col(raw, key) if raw else None
        loc = f"{where}:{col}" if col else where
        return InputError(f"{loc}: $.{key}: {msg}")

    if type(obj) is not dict:
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    ex_id = obj.get("example_id")
    if type(ex_id) is not str or not ex_id:
        raise fail("example_id", "missing or not a non-empty string")
    h = obj.get("example_hash")
    if h is not None and type(h) is not str:
        raise fail("example_hash", "expected a string")
    out = obj.get("output")
    if out is not None and not isinstance(out, str | dict | list):
        raise fail("output", "expected a string, object, array or null")
    scores = obj.get("scores")
    if scores is not None:
        if type(scores) is not dict:
            raise fail("scores", "expected an object of name -> boolean or number")
        for name, v in scores.items():
            t = type(v)
            if t is bool or t is int or v is None or (t is float and math.isfinite(v)):
                continue
            raise fail("scores", f"score {name!r} is {t.__name__}: expected a boolean or a number")
    for key in ("cost", "latency_ms"):
        v = obj.get(key)
        if v is not None and not (_is_number(v) and v >= 0):
            raise fail(key, "expected a non-negative number or null")
    tokens = obj.get("tokens")
    if tokens is not None:
        if type(tokens) is not dict:
            raise fail("tokens", 'expected an object such as {"prompt": 100, "completion": 50}')
        for name, v in tokens.items():
            if type(v) is not int or v < 0:
                raise fail("tokens", f"tokens.{name} must be a non-negative integer")
    err = obj.get("error")
    if err is not None and type(err) is not str:
        raise fail("error", "expected a string or null")
    cached = obj.get("cached")
    if cached is not None and type(cached) is not bool:
        raise fail("cached", "expected a boolean")


def _loads(raw: bytes) -> Any:
    """orjson first (C speed); the strict reader only to explain a line orjson refuses."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return jsonl.loads(raw)


def parse(data: bytes, name: str, variant: str | None = None) -> VariantResults:
    """Parse one results file's bytes; raise InputError naming file:line:column."""
    res = VariantResults(variant=variant or variant_of(name) or name, path=name)
    if data.startswith(jsonl.BOM):
        data = data[len(jsonl.BOM) :]
    for lineno, raw in jsonl.split_lines(data):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            obj = _loads(raw)
        except jsonl.JsonLineError as exc:
            col = f":{exc.column}" if exc.column else ""
            raise InputError(f"{name}:{lineno}{col}: {exc.message}") from None
        check_record(obj, f"{name}:{lineno}", raw)
        ex_id = obj["example_id"]
        if ex_id in res.records:
            raise InputError(
                f"{name}:{lineno}: $.example_id: {ex_id!r} appears twice "
                f"(first at line {res.lines[ex_id]}); keep one record per example"
            )
        res.records[ex_id] = obj
        res.lines[ex_id] = lineno
    return res


def parse_manifest(data: bytes, name: str) -> dict[str, Any]:
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{name}: invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise InputError(f"{name}: expected a JSON object")
    for key in ("variant", "model", "prompt_hash", "golden_hash", "tool_version", "created_at"):
        v = obj.get(key)
        if v is not None and not isinstance(v, str):
            raise InputError(f"{name}: $.{key}: expected a string or null")
    if obj.get("params") is not None and not isinstance(obj["params"], dict):
        raise InputError(f"{name}: $.params: expected an object")
    return obj


def variant_of(path: str) -> str | None:
    """The variant a results path holds (``evals/results/gpt-4.jsonl`` -> ``gpt-4``)."""
    base = path.rsplit("/", 1)[-1]
    if base.endswith(MANIFEST_SUFFIX) or not base.endswith(RESULT_SUFFIX):
        return None
    return base[: -len(RESULT_SUFFIX)]


def from_files(files: Mapping[str, bytes]) -> dict[str, VariantResults]:
    """Variant -> results from a mapping of results-folder paths to bytes.

    Only files directly in the results folder count; a manifest without a
    results file is ignored (there is nothing to report on).
    """
    out: dict[str, VariantResults] = {}
    manifests: dict[str, tuple[str, bytes]] = {}
    for path in sorted(files):
        base = path.rsplit("/", 1)[-1]
        if base.endswith(MANIFEST_SUFFIX):
            manifests[base[: -len(MANIFEST_SUFFIX)]] = (path, files[path])
            continue
        variant = variant_of(path)
        if variant is None:
            continue
        out[variant] = parse(files[path], path, variant)
    for variant, (path, data) in manifests.items():
        if variant in out:
            out[variant].manifest = parse_manifest(data, path)
    return out


def folder_files(folder: Path, root: Path) -> dict[str, bytes]:
    """Repository-relative path -> bytes for the files directly in ``folder``."""
    if not folder.is_dir():
        return {}
    files: dict[str, bytes] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and (p.name.endswith(RESULT_SUFFIX) or p.name.endswith(MANIFEST_SUFFIX)):
            files[p.relative_to(root).as_posix()] = p.read_bytes()
    return files


def load(cfg: Any) -> dict[str, VariantResults]:
    """The working tree's results (``cfg`` is a goldset.config.Config)."""
    return from_files(folder_files(cfg.path("results"), cfg.root))


# --- writing ----------------------------------------------------------------


def ordered(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: record[k] for k in FIELD_ORDER if k in record}
    for k in sorted(set(record) - set(FIELD_ORDER)):
        out[k] = record[k]
    if isinstance(out.get("scores"), dict):
        out["scores"] = {k: out["scores"][k] for k in sorted(out["scores"])}
    if isinstance(out.get("tokens"), dict):
        out["tokens"] = {k: out["tokens"][k] for k in sorted(out["tokens"])}
    return out


def dump_records(records: list[Mapping[str, Any]]) -> bytes:
    """Results JSONL bytes: records sorted by example id, fields in the documented order."""
    lines = [orjson.dumps(ordered(r)) for r in sorted(records, key=lambda r: r["example_id"])]
    return b"".join(line + b"\n" for line in lines)


def dump_manifest(manifest: Mapping[str, Any]) -> bytes:
    body = {k: manifest.get(k) for k in MANIFEST_KEYS}
    for k in sorted(set(manifest) - set(MANIFEST_KEYS)):
        body[k] = manifest[k]
    return orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write(
    folder: Path, variant: str, records: list[Mapping[str, Any]], manifest: Mapping[str, Any]
) -> tuple[Path, Path]:
    """Write a variant's results and manifest atomically (results first, then manifest)."""
    from goldset import atomic

    check_variant(variant)
    res_path = folder / f"{variant}{RESULT_SUFFIX}"
    man_path = folder / f"{variant}{MANIFEST_SUFFIX}"
    atomic.write_bytes(res_path, dump_records(records))
    atomic.write_bytes(man_path, dump_manifest(manifest))
    return res_path, man_path


def check_variant(variant: str) -> None:
    if not VARIANT_RE.match(variant) or variant.endswith(".manifest"):
        raise UsageError(
            f"variant name {variant!r} cannot be a file name: use letters, digits, '.', '_', '+', '-'"
        )


# --- import -----------------------------------------------------------------


@dataclass
class ImportResult:
    variant: str
    results_path: Path
    manifest_path: Path
    n: int
    metrics: list[str]


def parse_mapping(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["example_id=qid", "scores.exact=is_correct"]`` -> target -> source."""
    mapping: dict[str, str] = {}
    for item in items:
        target, sep, source = item.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise UsageError(f"--map {item!r}: expected TARGET=SOURCE, e.g. example_id=qid")
        if not (
            target in SCALAR_TARGETS
            or (target.startswith(("scores.", "tokens.")) and len(target.split(".", 1)[1]) > 0)
        ):
            raise UsageError(
                f"--map {item!r}: unknown target {target!r}",
                hint="targets: " + ", ".join(SCALAR_TARGETS) + ", scores.<name>, tokens.<name>",
            )
        if target in mapping:
            raise UsageError(f"--map {item!r}: {target} is mapped twice")
        mapping[target] = source
    return mapping


_TRUE = {"true", "yes", "y", "t", "pass", "passed"}
_FALSE = {"false", "no", "n", "f", "fail", "failed"}


class _BadValue(ValueError):
    pass


def _number(v: Any, *, integer: bool = False) -> int | float:
    if isinstance(v, bool):
        raise _BadValue(f"{v!r} is a boolean, expected a number")
    if isinstance(v, str):
        s = v.strip()
        try:
            v = int(s)
        except ValueError:
            try:
                v = float(s)
            except ValueError:
                raise _BadValue(f"{v!r} is not a number") from None
    if not _is_number(v):
        raise _BadValue(f"{v!r} is not a finite number")
    if integer:
        if float(v) != int(v):
            raise _BadValue(f"{v!r} is not a whole number")
        return int(v)
    return v


def _score(v: Any) -> bool | int | float:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    try:
        return _number(v)
    except _BadValue:
        raise _BadValue(f"{v!r} is neither a boolean (true/false) nor a number") from None


def _convert(target: str, v: Any) -> Any:
    """Coerce a source value (CSV cells are strings) to the target field's type."""
    if target.startswith("scores."):
        return _score(v)
    if target.startswith("tokens."):
        return _number(v, integer=True)
    if target in ("cost", "latency_ms"):
        n = _number(v)
        if n < 0:
            raise _BadValue(f"{v!r} is negative")
        return n
    if target == "cached":
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise _BadValue(f"{v!r} is not a boolean")
    if target == "output":
        if isinstance(v, str | dict | list):
            return v
        raise _BadValue(f"expected text, got {type(v).__name__}")
    if isinstance(v, int | float) and not isinstance(v, bool) and target == "example_id":
        return str(v)
    if not isinstance(v, str):
        raise _BadValue(f"expected a string, got {type(v).__name__}")
    return v


def _dig(obj: Any, path: str) -> tuple[bool, Any]:
    if isinstance(obj, dict) and path in obj:
        return True, obj[path]
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def _rows_jsonl(data: bytes, name: str) -> list[tuple[int, dict[str, Any], bytes]]:
    return list(jsonl.iter_objects(data, name))


def _rows_csv(data: bytes, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid UTF-8 (byte {exc.start + 1})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name}:1: empty CSV file (expected a header row)") from None
    except csv.Error as exc:
        raise InputError(f"{name}:1: invalid CSV: {exc}") from None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            # reader.line_num is the line the row ended on: right for one-line rows,
            # and for a multi-line quoted cell still points inside the row.
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num}: invalid CSV: {exc}") from None
    return [h.strip() for h in header], rows


def import_file(
    src: Path,
    *,
    variant: str,
    out_dir: Path,
    golden: Mapping[str, Mapping[str, Any]],
    mapping: Mapping[str, str] | None = None,
    fmt: str = "auto",
    model: str | None = None,
    prompt_hash: str | None = None,
    params: Mapping[str, Any] | None = None,
    created_at: str | None = None,
    display_name: str | None = None,
) -> ImportResult:
    """Read results from ``src`` (JSONL or CSV), map, validate, and write them atomically.

    ``golden`` is id -> example of the working tree's golden set: every row
    must name one of its examples, and ``example_hash`` defaults to that
    example's content hash. Nothing is written unless every row is good.
    """
    from goldset.golden import content_hash, set_hash

    check_variant(variant)
    name = display_name or str(src)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if fmt == "auto":
        fmt = "csv" if src.suffix.lower() in (".csv", ".tsv") else "jsonl"
    mapping = dict(mapping or {})
    if not golden:
        raise UsageError(
            "the golden set is empty: results must point at examples",
            hint="add examples first (`goldset add`), then import their results",
        )

    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}

    def build(lineno: int, pairs: list[tuple[str, str, bool]], get: Any, col_of: Any) -> None:
        rec: dict[str, Any] = {"scores": {}}
        id_key = "example_id"
        for tgt, src_key, explicit in pairs:
            if tgt == "example_id":
                id_key = src_key
            present, value = get(src_key)
            if not present:
                if explicit:
                    raise InputError(
                        f"{name}:{lineno}: --map {tgt}={src_key}: the row has no {src_key!r}"
                    )
                continue
            if value is None or (isinstance(value, str) and value == "" and tgt != "output"):
                if tgt == "example_id":
                    raise InputError(
                        f"{name}:{lineno}:{col_of(src_key)}: {src_key}: empty example id"
                    )
                continue
            try:
                conv = _convert(tgt, value)
            except _BadValue as exc:
                raise InputError(
                    f"{name}:{lineno}:{col_of(src_key)}: {src_key} -> {tgt}: {exc}"
                ) from None
            if "." in tgt:
                group, _, key = tgt.partition(".")
                rec.setdefault(group, {})[key] = conv
            else:
                rec[tgt] = conv
        ex_id = rec.get("example_id")
        if not isinstance(ex_id, str):
            raise InputError(
                f"{name}:{lineno}: no example id: map one with --map example_id=<column>"
            )
        if ex_id not in golden:
            raise InputError(
                f"{name}:{lineno}:{col_of(id_key)}: example id {ex_id!r} is not in the golden set",
                hint="results must point at existing examples; check the id column mapping",
            )
        if ex_id in seen:
            raise InputError(
                f"{name}:{lineno}:{col_of(id_key)}: example id {ex_id!r} appears twice "
                f"(first at line {seen[ex_id]})"
            )
        seen[ex_id] = lineno
        rec.setdefault("example_hash", content_hash(golden[ex_id]))
        for key in ("output", "cost", "latency_ms", "tokens", "error"):
            rec.setdefault(key, None)
        check_record(rec, f"{name}:{lineno}")
        records.append(rec)

    explicit = [(t, s, True) for t, s in mapping.items()]
    mapped_sources = set(mapping.values())
    mapped_targets = set(mapping)

    def implicit(keys: list[str]) -> list[tuple[str, str, bool]]:
        # An unmapped field comes from a source of the same name (goldset-shaped input).
        return [(k, k, False) for k in keys if k not in mapped_sources and k not in mapped_targets]

    if fmt == "csv":
        header, rows = _rows_csv(data, name)
        index = {h: i for i, h in enumerate(header)}
        for tgt, srck in mapping.items():
            if srck not in index:
                raise InputError(
                    f"{name}:1: --map {tgt}={srck}: no column {srck!r}",
                    hint="columns: " + ", ".join(header),
                )
        pairs = explicit + implicit(
            [h for h in header if h in SCALAR_TARGETS or h.startswith(("scores.", "tokens."))]
        )
        for lineno, cells in rows:
            if len(cells) != len(header):
                raise InputError(
                    f"{name}:{lineno}: expected {len(header)} cells (the header's count), got {len(cells)}"
                )

            def get(key: str, cells: list[str] = cells) -> tuple[bool, Any]:
                i = index.get(key)
                return (False, None) if i is None else (True, cells[i])

            build(lineno, pairs, get, lambda key: index.get(key, -1) + 1)
    elif fmt == "jsonl":
        for lineno, obj, raw in _rows_jsonl(data, name):
            keys = [k for k in obj if k in SCALAR_TARGETS]
            for group in ("scores", "tokens"):
                if isinstance(obj.get(group), dict) and group not in mapped_sources:
                    keys += [f"{group}.{k}" for k in obj[group]]

            def get_j(key: str, obj: dict[str, Any] = obj) -> tuple[bool, Any]:
                return _dig(obj, key)

            def col_j(key: str, raw: bytes = raw) -> int:
                return _col(raw, key.split(".")[-1]) or 1

            build(lineno, explicit + implicit(keys), get_j, col_j)
    else:
        raise UsageError(f"--format {fmt!r}: expected auto, jsonl or csv")
    if not records:
        raise InputError(f"{name}: no rows to import")

    metrics = sorted({k for r in records for k in r["scores"]})
    manifest = {
        "variant": variant,
        "model": model,
        "prompt_hash": prompt_hash,
        "params": dict(params or {}),
        "golden_hash": set_hash(golden),
        "tool_version": f"goldset {__version__}",
        "created_at": created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": src.name,
    }
    from goldset import atomic

    # Two imports of one variant at once must not interleave results and manifest.
    with atomic.lock(lock_path(out_dir)):
        res_path, man_path = write(out_dir, variant, records, manifest)
    return ImportResult(variant, res_path, man_path, len(records), metrics)


def lock_path(out_dir: Path) -> Path:
    """Where writers of the results folder serialise: inside the git folder, never committed."""
    from goldset.labels import git_dir

    for folder in (out_dir, *out_dir.parents):
        if (folder / ".git").exists():
            gd = git_dir(folder)
            if gd is not None:
                return gd / "goldset-locks" / "results.lock"
            break
    return out_dir / ".goldset-results.lock"
