"""add / remove / edit: every change to the golden set, with its reason.

All or nothing: every new or edited example is validated before anything is
written; then, under the project's writer lock, the golden file is replaced
atomically and the CHANGELOG entry appended. Concurrent `goldset add`s are
serialised by the lock and each re-reads the set inside it, so none is lost.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldset import atomic, changelog, gitio, golden, jsonl, schema
from goldset.config import Config
from goldset.errors import CheckFailed, ConfigError, InputError, UsageError

NEAR_DUP_THRESHOLD = 0.9


@dataclass
class ChangeResult:
    action: str
    ids: list[str]
    file: str
    warnings: list[str] = field(default_factory=list)


def require_reason(why: str | None) -> str:
    if why is None:
        raise UsageError(
            "a reason is required: pass --why '<why this change>'",
            hint="say what was wrong or missing and where the example came from",
        )
    problem = changelog.reason_problem(why)
    if problem:
        raise UsageError(f"--why: {problem}")
    return " ".join(why.split())


def lock_path(cfg: Config) -> Path:
    """Inside the git folder (never committed), also for a linked worktree."""
    git = gitio.git_dir(cfg.root)
    return git / "goldset.lock" if git is not None else cfg.root / ".goldset.lock"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


# ---------------------------------------------------------------- reading input


def parse_slice(items: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--slice {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def read_examples(data: bytes, name: str, fmt: str | None = None) -> list[dict[str, Any]]:
    """Examples from JSONL, JSON (an object or an array) or CSV bytes."""
    if data.startswith(jsonl.BOM):
        data = data[len(jsonl.BOM) :]
    if fmt is None:
        lower = name.lower()
        if lower.endswith(".csv"):
            fmt = "csv"
        elif lower.endswith(".json"):
            fmt = "json"
        else:
            stripped = data.lstrip()
            fmt = "json" if stripped.startswith(b"[") else "jsonl"
    if fmt == "csv":
        return _read_csv(data, name)
    if fmt == "json":
        try:
            doc = jsonl.loads(data)
        except jsonl.JsonLineError as exc:
            raise InputError(f"{name}: {exc.message}") from None
        items = doc if isinstance(doc, list) else [doc]
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise InputError(f"{name}: item {i}: expected an object")
        return items
    out: list[dict[str, Any]] = []
    for lineno, raw in jsonl.split_lines(data):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            obj = jsonl.loads(raw)
        except jsonl.JsonLineError as exc:
            col = f":{exc.column}" if exc.column else ""
            raise InputError(f"{name}:{lineno}{col}: {exc.message}") from None
        if not isinstance(obj, dict):
            raise InputError(f"{name}:{lineno}: expected a JSON object")
        dup = jsonl.has_duplicate_keys(raw)
        if dup:
            raise InputError(f"{name}:{lineno}: key {dup!r} appears twice in one object")
        out.append(obj)
    return out


def _read_csv(data: bytes, name: str) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid UTF-8 (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "input" not in reader.fieldnames:
        raise InputError(f"{name}:1: a CSV needs an 'input' column (found: {reader.fieldnames})")
    out: list[dict[str, Any]] = []
    for row in reader:
        ex: dict[str, Any] = {}
        sl: dict[str, str] = {}
        for key, value in row.items():
            if key is None:
                raise InputError(f"{name}:{reader.line_num}: more cells than columns")
            if value is None or value == "":
                continue
            if key.startswith("slice."):
                sl[key[6:]] = value
            elif key == "tags":
                ex["tags"] = [t.strip() for t in re.split(r"[;,]", value) if t.strip()]
            else:
                ex[key] = value
        if sl:
            ex["slice"] = sl
        out.append(ex)
    return out


# ---------------------------------------------------------------- checking


def _check_examples(cfg: Config, examples: list[dict[str, Any]], origin: str) -> None:
    """Schema and config checks for new/edited examples; raise with every problem."""
    ss = schema.load(cfg.path("schema"), cfg.rel("schema"))
    fast = schema.compiled(ss, schema.cache_dir_for(cfg.root))
    strata = set(cfg["stratification"]["strata"])
    problems: list[str] = []
    for i, ex in enumerate(examples, 1):
        label = f"{origin} #{i} [{ex.get('id', '?')}]"
        try:
            valid = fast is not None and fast(ex)
        except RecursionError:
            valid = False
        if not valid:
            for f in schema.full_errors(ss, ex)[:3]:
                problems.append(f"{label}: {f.json_path}: {f.message}")
        if jsonl.depth(ex) > jsonl.MAX_DEPTH:
            problems.append(f"{label}: nested deeper than {jsonl.MAX_DEPTH} levels")
        st = ex.get("stratum")
        if st is not None and st not in strata:
            problems.append(
                f"{label}: $.stratum: unknown stratum {st!r} (configured: {', '.join(sorted(strata))})"
            )
        sl = ex.get("slice") if isinstance(ex.get("slice"), dict) else {}
        for key in cfg.slice_keys:
            if key not in sl:
                problems.append(f"{label}: $.slice.{key}: missing (goldset.yaml slices lists it)")
    if problems:
        raise CheckFailed("nothing was written:\n  " + "\n  ".join(problems[:50]))


def _tokens(ex: dict[str, Any]) -> frozenset[str]:
    text = ex.get("input")
    if not isinstance(text, str):
        text = jsonl.dumps(text).decode()
    words = re.findall(r"\w+", text.lower())
    if len(words) < 3:
        return frozenset(words)
    return frozenset(" ".join(words[i : i + 3]) for i in range(len(words) - 2))


def near_duplicates(new: list[dict[str, Any]], existing: dict[str, dict[str, Any]]) -> list[str]:
    """Warnings for new examples whose input nearly equals an existing one (Jaccard of word 3-grams)."""
    index = [(k, _tokens(v)) for k, v in existing.items()]
    out: list[str] = []
    for ex in new:
        t = _tokens(ex)
        if not t:
            continue
        for other_id, ot in index:
            if not ot:
                continue
            j = len(t & ot) / len(t | ot)
            if j >= NEAR_DUP_THRESHOLD:
                out.append(
                    f"{ex['id']} looks like a near-duplicate of {other_id} (similarity {j:.2f})"
                )
                break
        index.append((ex["id"], t))
    return out


def _refuse_unrepresentable(ex: Any, label: str) -> None:
    """Depth, lone surrogates, out-of-range numbers: refuse before hashing or ids."""
    if jsonl.depth(ex) > jsonl.MAX_DEPTH:
        raise CheckFailed(
            f"{label}: nested deeper than {jsonl.MAX_DEPTH} levels; nothing was written"
        )
    try:
        jsonl.dumps(ex)
    except jsonl.JsonLineError as exc:
        raise CheckFailed(f"{label}: {exc.message}; nothing was written") from None


def _inside_repo(cfg: Config, path: Path, what: str) -> None:
    try:
        path.resolve().relative_to(cfg.root.resolve())
    except ValueError:
        raise UsageError(
            f"goldset.yaml: {what}: {path} resolves to {path.resolve()}, outside the repository; "
            "goldset neither reads nor writes there"
        ) from None


# ---------------------------------------------------------------- writing


def _default_file(cfg: Config, gs: golden.GoldenSet) -> str:
    if len(gs.files) == 1:
        return next(iter(gs.files))
    return f"{cfg.rel('golden')}/golden.jsonl"


def _golden_folder(cfg: Config) -> None:
    folder = cfg.path("golden")
    _inside_repo(cfg, folder, "paths.golden")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"goldset.yaml: paths.golden: {cfg.rel('golden')} is a file; it must name a folder of .jsonl files"
        )


def _target(cfg: Config, to: str | None, gs: golden.GoldenSet) -> str:
    if to is None:
        return _default_file(cfg, gs)
    p = (cfg.root / to).resolve()
    gdir = cfg.path("golden").resolve()
    try:
        rel = p.relative_to(gdir)
    except ValueError:
        raise UsageError(f"--to {to}: must be a .jsonl file inside {cfg.rel('golden')}/") from None
    if not p.name.endswith(".jsonl"):
        raise UsageError(f"--to {to}: must end in .jsonl")
    if p.exists() and not p.is_file():
        raise UsageError(f"--to {to}: is a folder, not a .jsonl file")
    return f"{cfg.rel('golden')}/{rel.as_posix()}"


def _write_file(cfg: Config, rel: str, examples: list[dict[str, Any]]) -> None:
    body = b"".join(golden.canonical_bytes(ex) + b"\n" for ex in examples)
    atomic.write_bytes(cfg.root / rel, body)


def _changelog_after(cfg: Config, author: str, bullets: list[str]) -> tuple[Path, str]:
    """The CHANGELOG's new text, read and checked before anything is written."""
    path = cfg.path("changelog")
    rel = cfg.rel("changelog")
    if path.exists() and not path.is_file():
        raise ConfigError(
            f"{rel}: is not a file (goldset.yaml paths.changelog); nothing was written"
        )
    try:
        current = path.read_bytes().decode("utf-8") if path.exists() else None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{rel}: not valid UTF-8 (byte {exc.start}); fix it before changing the set. Nothing was written"
        ) from None
    return path, changelog.appended(current, _today(), author, bullets)


def add(
    cfg: Config,
    examples: list[dict[str, Any]],
    *,
    why: str | None,
    source: str | None = None,
    to: str | None = None,
    author: str | None = None,
    id_prefix: str = "",
) -> ChangeResult:
    """Append new examples with provenance and a CHANGELOG entry (all or nothing)."""
    reason = require_reason(why)
    if not examples:
        raise UsageError("nothing to add: give --input, a file, or examples on stdin")
    who = author or gitio.user_ident(cfg.root)
    for i, raw in enumerate(examples, 1):
        _refuse_unrepresentable(raw, f"example #{i}")
    _golden_folder(cfg)
    with atomic.lock(lock_path(cfg)):
        gs = golden.load(cfg)
        rel = _target(cfg, to, gs)
        taken = set(gs.examples)
        when = _now()
        prepared: list[dict[str, Any]] = []
        for i, raw in enumerate(examples, 1):
            ex = {k: v for k, v in raw.items() if k not in ("provenance", "content_hash")}
            given = ex.get("id")
            if given is None:
                ex["id"] = golden.make_id(ex, taken, id_prefix)
            elif not isinstance(given, str) or not golden.ID_RE.fullmatch(given):
                raise CheckFailed(
                    f"example #{i}: $.id: {given!r} is not a valid id ({golden.ID_RE.pattern})"
                )
            elif given in taken:
                where = gs.where.get(given)
                at = f" (at {where[0]}:{where[1]})" if where else " (given twice)"
                raise CheckFailed(
                    f"example #{i}: $.id: {given!r} already exists{at}; nothing was written"
                )
            taken.add(ex["id"])
            prov: dict[str, Any] = {"added_by": who, "added_at": when, "why": reason}
            if source:
                prov["source"] = source
            ex["provenance"] = prov
            ex["content_hash"] = golden.content_hash(ex)
            prepared.append(ex)
        _check_examples(cfg, prepared, "input")
        warnings = near_duplicates(prepared, gs.examples)
        ids = [ex["id"] for ex in prepared]
        cl_path, cl_text = _changelog_after(
            cfg, who, [changelog.format_bullet("added", ids, reason)]
        )
        current = [gs.examples[i] for i in gs.files.get(rel, [])]
        _write_file(cfg, rel, current + prepared)
        atomic.write_text(cl_path, cl_text)
    return ChangeResult("added", ids, rel, warnings)


def remove(
    cfg: Config, ids: list[str], *, why: str | None, author: str | None = None
) -> ChangeResult:
    reason = require_reason(why)
    if not ids:
        raise UsageError("name at least one example id to remove")
    who = author or gitio.user_ident(cfg.root)
    with atomic.lock(lock_path(cfg)):
        gs = golden.load(cfg)
        missing = [i for i in ids if i not in gs.examples]
        if missing:
            raise CheckFailed(f"unknown example id(s): {', '.join(missing)}; nothing was removed")
        drop = set(ids)
        touched = sorted({gs.where[i][0] for i in ids})
        cl_path, cl_text = _changelog_after(
            cfg, who, [changelog.format_bullet("removed", list(dict.fromkeys(ids)), reason)]
        )
        for rel in touched:
            keep = [gs.examples[i] for i in gs.files[rel] if i not in drop]
            _write_file(cfg, rel, keep)
        atomic.write_text(cl_path, cl_text)
    return ChangeResult("removed", list(dict.fromkeys(ids)), ", ".join(touched))


def parse_assignment(item: str) -> tuple[list[str], Any]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise UsageError(
            f"--set {item!r}: expected FIELD=VALUE (e.g. reference=42 or slice.category=math)"
        )
    path = key.strip().split(".")
    # JSON if it parses as JSON (42, true, ["a"], "quoted"), text otherwise.
    try:
        parsed: Any = jsonl.loads(value.encode())
    except jsonl.JsonLineError:
        parsed = value
    return path, parsed


def apply_assignments(example: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    out = jsonl.loads(jsonl.dumps(example))
    for item in assignments:
        path, value = parse_assignment(item)
        if path[0] in ("id", "provenance", "content_hash"):
            raise UsageError(f"--set {item!r}: {path[0]} is managed by goldset and cannot be set")
        cur = out
        for part in path[:-1]:
            nxt = cur.get(part)
            if nxt is None:
                nxt = cur[part] = {}
            if not isinstance(nxt, dict):
                raise UsageError(f"--set {item!r}: {part} is not an object")
            cur = nxt
        cur[path[-1]] = value
    return out


def edit(
    cfg: Config,
    example_id: str,
    *,
    why: str | None,
    assignments: list[str] | None = None,
    replacement: dict[str, Any] | None = None,
    author: str | None = None,
) -> ChangeResult:
    """Change one example (by --set assignments or a full replacement from $EDITOR)."""
    reason = require_reason(why)
    who = author or gitio.user_ident(cfg.root)
    with atomic.lock(lock_path(cfg)):
        gs = golden.load(cfg)
        if example_id not in gs.examples:
            raise CheckFailed(f"unknown example id {example_id!r}")
        old = gs.examples[example_id]
        if replacement is not None:
            new = dict(replacement)
            if new.get("id", example_id) != example_id:
                raise UsageError("the id cannot be changed by edit; remove and add instead")
            new["id"] = example_id
            new["provenance"] = old.get("provenance", {})
        else:
            new = apply_assignments(old, assignments or [])
        _refuse_unrepresentable(new, example_id)
        prov = dict(new.get("provenance") or {})
        prov.update({"changed_by": who, "changed_at": _now(), "change_why": reason})
        new["provenance"] = prov
        new["content_hash"] = golden.content_hash(new)
        if golden.content_hash(old) == new["content_hash"]:
            raise UsageError(f"{example_id}: the edit changes nothing")
        _check_examples(cfg, [new], "edit")
        rel = gs.where[example_id][0]
        cl_path, cl_text = _changelog_after(
            cfg, who, [changelog.format_bullet("changed", [example_id], reason)]
        )
        items = [new if i == example_id else gs.examples[i] for i in gs.files[rel]]
        _write_file(cfg, rel, items)
        atomic.write_text(cl_path, cl_text)
    return ChangeResult("changed", [example_id], rel)
