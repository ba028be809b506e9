"""The labels store: human ratings in ``evals/labels/<annotator>.jsonl``.

Reading validates every record against ``schemas/label.schema.json``, the
rubric (``rubric.criteria`` in goldset.yaml) and the golden set, and names
file:line on anything wrong. Writing only ever appends (fsync'd, under a lock):
a file is never rewritten in place, so a killed review keeps every answer it
reported. A later label by the same annotator on the same item supersedes an
earlier one (``latest``), which is how "back" and re-rating stay append-only.

Import brings ratings made elsewhere (CSV with a column mapping, goldset's own
JSONL, a Label Studio JSON export, an Argilla records export) into that shape;
export writes them back out as CSV or JSONL.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from goldset import atomic, jsonl
from goldset.errors import ConfigError, InputError, UsageError
from goldset.problems import Problem

# The order fields are written in, so a labels file diffs cleanly.
FIELD_ORDER = (
    "example_id",
    "example_hash",
    "annotator",
    "variant",
    "criterion",
    "value",
    "a",
    "b",
    "winner",
    "turn",
    "shown",
    "at",
    "note",
    "output_hash",
    "source",
)
IMPORT_FORMATS = ("csv", "jsonl", "label-studio", "argilla")
EXPORT_FORMATS = ("csv", "jsonl")
MAX_ERRORS_SHOWN = 20

_RATER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TRUE = frozenset({"true", "t", "pass", "passed", "p", "yes", "y", "1", "ok", "good"})
_FALSE = frozenset({"false", "f", "fail", "failed", "no", "n", "0", "bad"})
_TIE = frozenset({"tie", "draw", "equal", "same", "both", "neither", "="})


# --------------------------------------------------------------------- names


def safe_name(ident: str) -> str:
    """A file-name-safe annotator name from ``Name <email>`` or a free string.

    ``Ada Lovelace <ada@example.com>`` becomes ``ada-lovelace``; accents are
    folded to ASCII; a name with nothing usable left becomes a short hash so
    two different people never share a file.
    """
    text = ident.strip()
    m = re.match(r"^(.*?)\s*<([^>]*)>\s*$", text)
    if m:
        text = m.group(1).strip() or m.group(2).split("@")[0]
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", folded.lower()).strip("-._")[:100]
    if not slug:
        digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:8]
        slug = f"annotator-{digest}"
    return slug


def now_iso(now: datetime | None = None) -> str:
    """UTC time as ``2026-11-29T16:00:00Z`` (the form every record carries)."""
    t = (now or datetime.now(UTC)).astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive means UTC)."""
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def output_hash(output: Any) -> str:
    """16 hex digits identifying a model output, so a label notices when it changes."""
    return hashlib.sha256(orjson.dumps(output, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def pair_output_hash(out_a: Any, out_b: Any) -> str:
    return output_hash([out_a, out_b])


def git_dir(root: Path) -> Path | None:
    """The repository's git folder (see goldset.gitio.git_dir)."""
    from goldset import gitio

    return gitio.git_dir(root)


def lock_path(cfg: Any) -> Path:
    """Where writers of the labels folder serialise (inside .git, so it is never committed)."""
    gd = git_dir(cfg.root)
    if gd is not None:
        return gd / "goldset-locks" / "labels.lock"
    return cfg.path("labels") / ".goldset-labels.lock"


# -------------------------------------------------------------------- rubric


def criteria(cfg: Any) -> list[dict[str, str]]:
    """The rubric's binary criteria, checked: each needs a unique ``name`` and a ``question``."""
    rubric = cfg.data.get("rubric") or {}
    if not isinstance(rubric, dict):
        raise ConfigError("goldset.yaml: rubric: expected a mapping with `criteria:`")
    raw = rubric.get("criteria") or []
    if not isinstance(raw, list):
        raise ConfigError("goldset.yaml: rubric.criteria: expected a list")
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, c in enumerate(raw):
        where = f"goldset.yaml: rubric.criteria[{i}]"
        if not isinstance(c, dict):
            raise ConfigError(f"{where}: expected a mapping with name and question")
        name = c.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.name: missing or not a string")
        if name in seen:
            raise ConfigError(f"{where}.name: {name!r} is defined twice")
        seen.add(name)
        question = c.get("question")
        if not isinstance(question, str) or not question.strip():
            raise ConfigError(f"{where}.question: missing or not a string")
        out.append(
            {
                "name": name,
                "question": question,
                "pass_example": str(c.get("pass_example") or ""),
                "fail_example": str(c.get("fail_example") or ""),
            }
        )
    return out


# ------------------------------------------------------------------- schemas


def schema_errors(record: Any, kind: str = "label") -> list[str]:
    """Messages (``$.field: what``) for ``record`` against the label or judgment schema."""
    if not isinstance(record, dict):
        return [f"expected a JSON object, got {type(record).__name__}"]
    from goldset import schema

    if schema.shipped_verdict(kind)(record):
        return []
    msgs: list[str] = []
    # The two shapes are told apart first, so the message says what is missing
    # rather than jsonschema's "is not valid under any of the given schemas".
    pointwise = "criterion" in record or "value" in record
    pairwise = any(k in record for k in ("a", "b", "winner", "shown"))
    if pointwise and pairwise:
        msgs.append(
            "$: mixes a pointwise label (criterion, value) with a pairwise one (a, b, winner)"
        )
        return msgs
    if not pointwise and not pairwise:
        msgs.append("$: needs either criterion and value (pointwise) or a, b and winner (pairwise)")
        return msgs
    needed = ("criterion", "value") if pointwise else ("a", "b", "winner")
    for k in needed:
        if k not in record:
            msgs.append(f"$.{k}: missing")
    reference = schema.shipped_reference(kind)
    for err in sorted(reference.iter_errors(record), key=lambda e: list(e.path)):
        if err.validator in ("oneOf", "not"):
            continue
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path)
        if err.validator == "additionalProperties":
            extra = sorted(set(record) - set(FIELD_ORDER))
            msgs.append(f"$: unknown field(s) {', '.join(extra)} (known: {', '.join(FIELD_ORDER)})")
        elif err.validator == "required":
            msgs.append(f"{path}: {err.message}")
        else:
            msgs.append(f"{path}: {err.message}")
    if not msgs:
        # Only the shape rules (oneOf/not) failed: say which field does not belong.
        extra = [k for k in ("variant", "criterion", "value") if k in record] if pairwise else []
        extra += [k for k in ("a", "b", "winner", "shown") if k in record] if pointwise else []
        kind_name = "pairwise" if pairwise else "pointwise"
        msgs.append(
            f"$: a {kind_name} record cannot carry {', '.join(extra) or 'these fields'}"
            f" (see schemas/{kind}.schema.json)"
        )
    return list(dict.fromkeys(msgs))


# ------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Loaded:
    """A label or judgment record and where it came from."""

    record: dict[str, Any]
    path: str  # repository-relative
    line: int
    rater: str  # the record's annotator/judge, or the file's stem

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Store:
    """Every label (or judgment) record read, in file order."""

    records: list[Loaded] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _rel(cfg: Any, p: Path) -> str:
    try:
        return p.relative_to(cfg.root).as_posix()
    except ValueError:
        return str(p)


def _read_jsonl(data: bytes, name: str) -> tuple[list[tuple[int, Any]], list[str]]:
    rows: list[tuple[int, Any]] = []
    errors: list[str] = []
    if data.startswith(jsonl.BOM):
        data = data[len(jsonl.BOM) :]
    for lineno, raw in jsonl.split_lines(data):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            rows.append((lineno, jsonl.loads(raw)))
        except jsonl.JsonLineError as exc:
            col = f":{exc.column}" if exc.column else ""
            errors.append(f"{name}:{lineno}{col}: {exc.message}")
    return rows, errors


def check_record(
    record: dict[str, Any],
    *,
    kind: str,
    examples: Mapping[str, Any] | None,
    criterion_names: Iterable[str] | None,
) -> list[str]:
    """Schema, rubric and golden-set problems of one record, as ``$.field: message``."""
    msgs = schema_errors(record, kind)
    if msgs:
        return msgs
    ex_id = record["example_id"]
    if examples is not None and ex_id not in examples:
        msgs.append(
            f"$.example_id: {ex_id!r} is not in the golden set"
            " (removed or misspelt? `goldset validate` lists every orphan)"
        )
    if criterion_names is not None and "criterion" in record:
        names = list(criterion_names)
        if record["criterion"] not in names:
            known = ", ".join(names) if names else "none: rubric.criteria is empty"
            msgs.append(
                f"$.criterion: {record['criterion']!r} is not a rubric criterion (known: {known});"
                " add it to rubric.criteria in goldset.yaml or fix the label"
            )
    if "a" in record and record.get("a") == record.get("b"):
        msgs.append(f"$.b: compares {record['a']!r} with itself")
    return msgs


def read_folder(
    cfg: Any,
    key: str,
    *,
    kind: str,
    examples: Mapping[str, Any] | None = None,
    criterion_names: Iterable[str] | None = None,
) -> tuple[Store, list[Problem]]:
    """Read every ``*.jsonl`` under ``paths.<key>``; return the records and the problems."""
    folder = cfg.path(key)
    store = Store()
    problems: list[Problem] = []
    names = list(criterion_names) if criterion_names is not None else None
    rater_key = "annotator" if kind == "label" else "judge"
    if not folder.is_dir():
        return store, problems
    for p in sorted(folder.glob("*.jsonl")):
        rel = _rel(cfg, p)
        store.files.append(rel)
        try:
            data = p.read_bytes()
        except OSError as exc:
            problems.append(Problem(rel, None, f"cannot read: {exc}", f"{kind}-read"))
            continue
        rows, errors = _read_jsonl(data, rel)
        for e in errors:
            loc, _, msg = e.partition(": ")
            parts = loc.split(":")
            problems.append(Problem(rel, int(parts[1]), msg, f"{kind}-json"))
        for lineno, obj in rows:
            if kind == "judgment" and isinstance(obj, dict) and obj.get("error"):
                continue  # a failed judge call: no verdict to compare with
            msgs = check_record(obj, kind=kind, examples=examples, criterion_names=names)
            if msgs:
                ex_id = obj.get("example_id") if isinstance(obj, dict) else None
                for m in msgs:
                    fld, _, text = m.partition(": ")
                    problems.append(
                        Problem(
                            rel,
                            lineno,
                            text or m,
                            f"{kind}-invalid",
                            example_id=ex_id if isinstance(ex_id, str) else None,
                            field=fld if fld.startswith("$") else None,
                        )
                    )
                continue
            rater = obj.get(rater_key) or p.stem
            store.records.append(Loaded(obj, rel, lineno, rater))
    return store, problems


def _raise_problems(problems: Sequence[Problem], what: str, hint: str | None = None) -> None:
    if not problems:
        return
    lines = [p.text() for p in problems[:MAX_ERRORS_SHOWN]]
    more = len(problems) - MAX_ERRORS_SHOWN
    if more > 0:
        lines.append(f"... and {more} more")
    raise InputError(f"{what}:\n  " + "\n  ".join(lines), hint=hint)


def load(
    cfg: Any, examples: Mapping[str, Any] | None = None, *, rubric: Sequence[str] | None = None
) -> Store:
    """Every label under ``paths.labels``, validated; raise InputError naming file:line."""
    names = rubric if rubric is not None else [c["name"] for c in criteria(cfg)]
    store, problems = read_folder(
        cfg, "labels", kind="label", examples=examples, criterion_names=names
    )
    _raise_problems(
        problems,
        f"{len(problems)} problem(s) in the labels under {cfg.rel('labels')}",
        hint="fix or remove those lines (nothing was written)",
    )
    return store


def load_judgments(cfg: Any, examples: Mapping[str, Any] | None = None) -> Store:
    """Every judgment under ``paths.judgments``, schema-checked.

    Judgments for ids no longer in the set are kept out quietly: a judge run is
    a cache of past verdicts, and `goldset validate` reports orphans.
    """
    store, problems = read_folder(cfg, "judgments", kind="judgment")
    _raise_problems(problems, f"{len(problems)} problem(s) in the judgments")
    if examples is not None:
        store.records = [r for r in store.records if r.record["example_id"] in examples]
    return store


def problems(cfg: Any, examples: Mapping[str, Any] | None) -> list[Problem]:
    """Label problems for `goldset validate` (schema, rubric, unknown ids)."""
    names = [c["name"] for c in criteria(cfg)]
    _, found = read_folder(cfg, "labels", kind="label", examples=examples, criterion_names=names)
    return found


def item_key(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a label is about, ignoring who gave it: pointwise or pairwise (order-free)."""
    if "criterion" in record:
        return ("p", record["example_id"], record.get("variant"), record["criterion"])
    pair = tuple(sorted((record["a"], record["b"])))
    return ("pair", record["example_id"], pair, record.get("turn"))


def latest(records: Iterable[Loaded]) -> dict[tuple[Any, ...], Loaded]:
    """The newest label per (rater, item): a later line supersedes an earlier one."""
    out: dict[tuple[Any, ...], Loaded] = {}
    for r in records:
        out[(r.rater, *item_key(r.record))] = r
    return out


def winner_name(record: Mapping[str, Any]) -> str:
    """The winning variant's name, or ``tie``."""
    w = record["winner"]
    return "tie" if w == "tie" else str(record[w])


# ------------------------------------------------------------------- writing


def line_of(record: Mapping[str, Any]) -> bytes:
    """One record as a compact JSON line in the documented field order."""
    ordered = {k: record[k] for k in FIELD_ORDER if k in record and record[k] is not None}
    for k in record:
        if k not in ordered and record[k] is not None:
            ordered[k] = record[k]
    return orjson.dumps(ordered) + b"\n"


def file_for(cfg: Any, annotator: str) -> Path:
    if not _RATER_RE.match(annotator):
        raise UsageError(
            f"annotator {annotator!r} is not a safe file name",
            hint="use letters, digits, '.', '_' and '-' (goldset.labels.safe_name makes one)",
        )
    return cfg.path("labels") / f"{annotator}.jsonl"


def append(cfg: Any, annotator: str, records: Sequence[Mapping[str, Any]]) -> Path:
    """Append ``records`` to ``<labels>/<annotator>.jsonl`` durably, under the labels lock.

    The records must already be valid; this is the only way labels are written.
    """
    target = file_for(cfg, annotator)
    if not records:
        return target
    data = b"".join(line_of(r) for r in records)
    with atomic.lock(lock_path(cfg)):
        atomic.append_bytes(target, data)
    return target


# -------------------------------------------------------------------- import


@dataclass
class ImportResult:
    added: dict[str, int] = field(default_factory=dict)  # annotator -> labels appended
    skipped_duplicates: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.added.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.total,
            "by_annotator": dict(sorted(self.added.items())),
            "skipped_duplicates": self.skipped_duplicates,
            "files": self.files,
        }


def parse_mapping(pairs: Sequence[str], allowed: Iterable[str]) -> dict[str, str]:
    """``["example_id=item", ...]`` -> {field: column}; refuse unknown fields."""
    allowed_set = set(allowed)
    out: dict[str, str] = {}
    for p in pairs:
        fld, sep, col = p.partition("=")
        fld, col = fld.strip(), col.strip()
        if not sep or not fld or not col:
            raise UsageError(f"--map {p!r}: expected FIELD=COLUMN, e.g. --map example_id=item_id")
        if fld not in allowed_set:
            raise UsageError(
                f"--map {p!r}: unknown field {fld!r}",
                hint=f"fields: {', '.join(sorted(allowed_set))}",
            )
        out[fld] = col
    return out


def _as_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    return None


def _as_winner(v: Any, a: Any, b: Any) -> str | None:
    if not isinstance(v, str):
        return None
    s = v.strip()
    low = s.lower()
    if low in ("a", "b"):
        return low
    if low in _TIE:
        return "tie"
    if s == a:
        return "a"
    if s == b:
        return "b"
    return None


def _norm_time(v: Any) -> str | None:
    if not isinstance(v, str) or not v.strip():
        return None
    try:
        return now_iso(parse_time(v.strip()))
    except ValueError:
        return None


class _Builder:
    """Turns loosely-typed imported values into label records, collecting errors."""

    def __init__(
        self,
        *,
        name: str,
        examples: Mapping[str, Any],
        criterion_names: Sequence[str],
        annotator: str | None,
        now: str,
        source: str,
    ) -> None:
        self.name = name
        self.examples = examples
        self.criteria = list(criterion_names)
        self.annotator = annotator
        self.now = now
        self.source = source
        self.records: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def error(self, where: str, msg: str) -> None:
        self.errors.append(f"{self.name}:{where}: {msg}")

    def add(self, where: str, fields: dict[str, Any]) -> None:
        rec: dict[str, Any] = {}
        ex_id = fields.get("example_id")
        if ex_id is None or ex_id == "":
            self.error(where, "example_id: empty")
            return
        rec["example_id"] = str(ex_id).strip()
        if rec["example_id"] not in self.examples:
            self.error(where, f"example_id: {rec['example_id']!r} is not in the golden set")
            return
        from goldset.golden import content_hash

        h = fields.get("example_hash")
        rec["example_hash"] = (
            str(h).strip()
            if h not in (None, "")
            else content_hash(self.examples[rec["example_id"]])
        )
        who = self.annotator or fields.get("annotator")
        if who in (None, ""):
            self.error(where, "annotator: empty (give the column, or --annotator NAME)")
            return
        rec["annotator"] = safe_name(str(who))
        if "criterion" in fields:
            crit = str(fields["criterion"]).strip()
            value = _as_bool(fields.get("value"))
            if crit not in self.criteria:
                known = ", ".join(self.criteria) or "none: rubric.criteria is empty"
                self.error(where, f"criterion: {crit!r} is not a rubric criterion (known: {known})")
                return
            if value is None:
                self.error(where, f"value: {fields.get('value')!r} is not pass/fail (true/false)")
                return
            if fields.get("variant") not in (None, ""):
                rec["variant"] = str(fields["variant"]).strip()
            rec["criterion"] = crit
            rec["value"] = value
        else:
            a, b = fields.get("a"), fields.get("b")
            if a in (None, "") or b in (None, ""):
                self.error(where, "a, b: a pairwise label needs both variant names")
                return
            rec["a"], rec["b"] = str(a).strip(), str(b).strip()
            w = _as_winner(fields.get("winner"), rec["a"], rec["b"])
            if w is None:
                self.error(where, f"winner: {fields.get('winner')!r} is not a, b or tie")
                return
            rec["winner"] = w
            shown = fields.get("shown")
            if isinstance(shown, str) and shown.strip():
                shown = [s.strip() for s in re.split(r"[,|/ ]+", shown.strip()) if s.strip()]
            if shown not in (None, "", []):
                rec["shown"] = shown
        turn = fields.get("turn")
        if turn not in (None, ""):
            try:
                rec["turn"] = int(turn)
            except (TypeError, ValueError):
                self.error(where, f"turn: {turn!r} is not a whole number")
                return
        at = fields.get("at")
        if at in (None, ""):
            rec["at"] = self.now
        else:
            norm = _norm_time(at)
            if norm is None:
                self.error(where, f"at: {at!r} is not an ISO 8601 time")
                return
            rec["at"] = norm
        note = fields.get("note")
        if isinstance(note, str) and note.strip():
            rec["note"] = note
        oh = fields.get("output_hash")
        if oh not in (None, ""):
            rec["output_hash"] = str(oh).strip()
        rec["source"] = self.source
        msgs = check_record(
            rec, kind="label", examples=self.examples, criterion_names=self.criteria
        )
        for m in msgs:
            self.error(where, m)
        if not msgs:
            self.records.append(rec)


# Every written field but ``source``, which an import sets itself.
CSV_FIELDS = tuple(f for f in FIELD_ORDER if f != "source")


def _parse_csv(data: bytes, b: _Builder, mapping: Mapping[str, str]) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{b.name}: not UTF-8 (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{b.name}: empty file, expected a header row") from None
    except csv.Error as exc:
        raise InputError(f"{b.name}:1: {exc}") from None
    header = [h.strip() for h in header]
    col_of = {f: mapping.get(f, f) for f in (*CSV_FIELDS, *b.criteria)}
    index = {h: i for i, h in enumerate(header)}
    cols = ", ".join(header)

    def missing(fields: Sequence[str]) -> None:
        names = ", ".join(
            f"{col_of[f]!r}" + (f" (for {f})" if col_of[f] != f else "") for f in fields
        )
        raise InputError(
            f"{b.name}: missing column(s) {names}; the header has: {cols}",
            hint="name the right column with --map FIELD=COLUMN, e.g. --map example_id=item",
        )

    for fld, col in mapping.items():
        if col not in index:
            raise InputError(
                f"{b.name}: --map {fld}={col}: no column {col!r}; the header has: {cols}"
            )
    if col_of["example_id"] not in index:
        missing(["example_id"])
    if b.annotator is None and col_of["annotator"] not in index:
        raise InputError(
            f"{b.name}: missing column {col_of['annotator']!r} (who rated); the header has: {cols}",
            hint="pass --annotator NAME when one person rated the whole file, or --map annotator=COLUMN",
        )
    wide = [c for c in b.criteria if col_of[c] in index]
    has_pair = col_of["winner"] in index
    has_long = col_of["criterion"] in index
    if has_pair:
        need = [f for f in ("a", "b") if col_of[f] not in index]
        if need:
            missing(need)
    if has_long and col_of["value"] not in index:
        missing(["value"])
    if not (has_pair or has_long or wide):
        crit = ", ".join(b.criteria) or "(rubric.criteria is empty)"
        raise InputError(
            f"{b.name}: no rating columns; the header has: {cols}",
            hint=f"give criterion + value columns, one column per rubric criterion ({crit}),"
            " or winner + a + b for pairwise; or map them with --map",
        )

    def cell(row: list[str], fld: str) -> str | None:
        i = index.get(col_of[fld])
        if i is None or i >= len(row):
            return None
        return row[i]

    base_fields = [f for f in CSV_FIELDS if f not in ("criterion", "value", "winner", "a", "b")]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            b.error(str(reader.line_num), str(exc))
            break
        if not any(c.strip() for c in row):
            continue
        where = str(reader.line_num)
        base = {f: cell(row, f) for f in base_fields}
        # A file may mix shapes row by row (an export holds both kinds).
        if has_pair and (cell(row, "winner") or "").strip():
            b.add(where, {**base, **{f: cell(row, f) for f in ("a", "b", "winner")}})
        elif has_long and (cell(row, "criterion") or "").strip():
            b.add(where, {**base, "criterion": cell(row, "criterion"), "value": cell(row, "value")})
        elif wide:
            for crit in wide:
                v = cell(row, crit)
                if v is None or not v.strip():
                    continue
                b.add(f"{where} ({col_of[crit]})", {**base, "criterion": crit, "value": v})
        else:
            b.error(where, "no rating in this row (criterion/value or winner empty)")


def _parse_jsonl(data: bytes, b: _Builder, mapping: Mapping[str, str]) -> None:
    rows, errors = _read_jsonl(data, b.name)
    b.errors.extend(errors)
    for lineno, obj in rows:
        if not isinstance(obj, dict):
            b.error(str(lineno), f"expected a JSON object, got {type(obj).__name__}")
            continue
        fields = {f: obj.get(mapping.get(f, f)) for f in CSV_FIELDS}
        fields = {k: v for k, v in fields.items() if v is not None}
        if "criterion" not in fields and "winner" not in fields:
            b.error(str(lineno), "needs criterion and value (pointwise) or a, b and winner")
            continue
        b.add(str(lineno), fields)


def _load_json_doc(data: bytes, name: str) -> list[Any]:
    """A JSON array, one JSON object, or JSONL: the shapes exporters write."""
    if data.startswith(jsonl.BOM):
        data = data[len(jsonl.BOM) :]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        rows, errors = _read_jsonl(data, name)
        if errors:
            raise InputError(f"{name}: neither a JSON document nor JSONL: {errors[0]}") from None
        return [obj for _, obj in rows]
    if isinstance(doc, dict):
        return [doc]
    if isinstance(doc, list):
        return doc
    raise InputError(f"{name}: expected a JSON array of records, got {type(doc).__name__}")


def _lookup(obj: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _ls_annotator(ann: Mapping[str, Any]) -> str | None:
    who = ann.get("completed_by")
    if isinstance(who, Mapping):
        email = who.get("email")
        if isinstance(email, str) and email:
            return email.split("@")[0]
        who = who.get("id")
    if isinstance(who, str) and who:
        return who.split("@")[0]
    if isinstance(who, int):
        return f"label-studio-user-{who}"
    return None


def _parse_label_studio(data: bytes, b: _Builder, mapping: Mapping[str, str]) -> None:
    """Label Studio's JSON export: tasks with ``data`` and ``annotations[].result[]``.

    A ``choices`` result whose ``from_name`` is a rubric criterion becomes a
    pointwise label; one named ``winner`` (or mapped with --map winner=NAME), or a
    ``pairwise`` result (``value.selected`` left/right), a pairwise one.
    The task's ``data`` carries ``example_id`` (and ``variant`` or ``a``/``b``).
    """
    tasks = _load_json_doc(data, b.name)
    crit_of = {mapping.get(c, c): c for c in b.criteria}
    winner_from = mapping.get("winner", "winner")
    for ti, task in enumerate(tasks):
        tid = task.get("id", ti) if isinstance(task, Mapping) else ti
        where = f"task {tid}"
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            b.error(where, "expected a task object with a `data` object (Label Studio JSON export)")
            continue
        d = task["data"]
        ex_id = _lookup(d, mapping.get("example_id", "example_id"))
        if ex_id is None and "example_id" not in mapping:
            ex_id = d.get("id")
        if ex_id is None:
            b.error(
                where, "data.example_id: missing (name the data field with --map example_id=FIELD)"
            )
            continue
        common = {
            "example_id": ex_id,
            "example_hash": _lookup(d, mapping.get("example_hash", "example_hash")),
            "variant": _lookup(d, mapping.get("variant", "variant")),
            "turn": _lookup(d, mapping.get("turn", "turn")),
        }
        a = _lookup(d, mapping.get("a", "a"))
        bb = _lookup(d, mapping.get("b", "b"))
        anns = task.get("annotations") or task.get("completions") or []
        for ai, ann in enumerate(anns):
            if not isinstance(ann, Mapping) or ann.get("was_cancelled"):
                continue
            awhere = f"{where} annotation {ann.get('id', ai)}"
            person = _ls_annotator(ann)
            at = ann.get("created_at") or ann.get("updated_at")
            for res in ann.get("result") or []:
                if not isinstance(res, Mapping):
                    continue
                frm = res.get("from_name")
                value = res.get("value") if isinstance(res.get("value"), Mapping) else {}
                fields = {**common, "annotator": person, "at": at}
                if res.get("type") == "pairwise":
                    sel = value.get("selected")
                    w = {"left": "a", "right": "b"}.get(str(sel))
                    b.add(awhere, {**fields, "a": a, "b": bb, "winner": w or sel})
                elif res.get("type") == "textarea":
                    continue
                elif frm == winner_from:
                    choice = (value.get("choices") or [None])[0]
                    b.add(awhere, {**fields, "a": a, "b": bb, "winner": choice})
                elif frm in crit_of:
                    choice = (value.get("choices") or [None])[0]
                    b.add(awhere, {**fields, "criterion": crit_of[frm], "value": choice})
                elif res.get("type") == "choices":
                    known = ", ".join(crit_of) or "(rubric.criteria is empty)"
                    b.error(
                        awhere,
                        f"from_name {frm!r} is not a rubric criterion ({known}) nor {winner_from!r};"
                        f" map it with --map CRITERION={frm}",
                    )


def _parse_argilla(data: bytes, b: _Builder, mapping: Mapping[str, str]) -> None:
    """Argilla records as exported by ``dataset.records.to_list()`` / ``to_json``.

    Nested form: ``{"id", "fields", "metadata", "responses": {question: [{value,
    user_id, status?}]}}``; flat form: ``{"<question>.responses": [...],
    "<question>.responses.users": [...], "<question>.responses.status": [...]}``.
    Only submitted responses count (a draft or discarded one is skipped).
    """
    records = _load_json_doc(data, b.name)
    crit_of = {mapping.get(c, c): c for c in b.criteria}
    winner_q = mapping.get("winner", "winner")

    def find(rec: Mapping[str, Any], fld: str) -> Any:
        key = mapping.get(fld, fld)
        for scope in (rec.get("metadata"), rec.get("fields"), rec):
            if isinstance(scope, Mapping):
                v = _lookup(scope, key)
                if v is not None:
                    return v
        return None

    for ri, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            b.error(f"record {ri}", "expected a record object (Argilla records export)")
            continue
        where = f"record {rec.get('id', ri)}"
        ex_id = find(rec, "example_id")
        if ex_id is None and "example_id" not in mapping:
            ex_id = rec.get("id")
        if ex_id is None:
            b.error(where, "example_id: missing (a field or metadata; --map example_id=NAME)")
            continue
        common = {
            "example_id": ex_id,
            "example_hash": find(rec, "example_hash"),
            "variant": find(rec, "variant"),
            "turn": find(rec, "turn"),
        }
        a, bb = find(rec, "a"), find(rec, "b")
        answers: list[tuple[str, Any, Any, Any]] = []  # question, value, user, status
        nested = rec.get("responses")
        if isinstance(nested, Mapping):
            for q, resps in nested.items():
                for r in resps or []:
                    if isinstance(r, Mapping):
                        answers.append((q, r.get("value"), r.get("user_id"), r.get("status")))
        for key, vals in rec.items():
            if not key.endswith(".responses") or not isinstance(vals, list):
                continue
            q = key[: -len(".responses")]
            users = rec.get(f"{key}.users") or [None] * len(vals)
            status = rec.get(f"{key}.status") or [None] * len(vals)
            for v, u, s in zip(vals, users, status, strict=False):
                answers.append((q, v, u, s))
        for q, v, user, status in answers:
            if status not in (None, "submitted"):
                continue
            person = f"argilla-{str(user)[:8]}" if user else None
            fields = {**common, "annotator": person}
            if q == winner_q:
                b.add(where, {**fields, "a": a, "b": bb, "winner": v})
            elif q in crit_of:
                if isinstance(v, list) and len(v) == 1:
                    v = v[0]
                b.add(where, {**fields, "criterion": crit_of[q], "value": v})
            else:
                known = ", ".join(crit_of) or "(rubric.criteria is empty)"
                b.error(
                    where,
                    f"question {q!r} is not a rubric criterion ({known}) nor {winner_q!r};"
                    f" map it with --map CRITERION={q}",
                )


_PARSERS = {
    "csv": _parse_csv,
    "jsonl": _parse_jsonl,
    "label-studio": _parse_label_studio,
    "argilla": _parse_argilla,
}


def parse_import(
    data: bytes,
    fmt: str,
    *,
    name: str,
    examples: Mapping[str, Any],
    criterion_names: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    annotator: str | None = None,
    now: str | None = None,
) -> list[dict[str, Any]]:
    """Label records from an export of another tool; raise InputError listing every bad row."""
    if fmt not in _PARSERS:
        raise UsageError(f"unknown import format {fmt!r} (known: {', '.join(IMPORT_FORMATS)})")
    b = _Builder(
        name=name,
        examples=examples,
        criterion_names=criterion_names,
        annotator=annotator,
        now=now or now_iso(),
        source=f"import:{fmt}:{Path(name).name}",
    )
    _PARSERS[fmt](data, b, dict(mapping or {}))
    if b.errors:
        shown = b.errors[:MAX_ERRORS_SHOWN]
        more = len(b.errors) - len(shown)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise InputError(
            f"{name}: {len(b.errors)} row(s) cannot be imported (nothing was written):\n  "
            + "\n  ".join(shown)
            + tail
        )
    if not b.records:
        raise InputError(f"{name}: no ratings found to import")
    return b.records


def mapping_fields(cfg: Any) -> list[str]:
    return [*CSV_FIELDS, *(c["name"] for c in criteria(cfg))]


def import_file(
    cfg: Any,
    path: Path,
    fmt: str,
    *,
    mapping: Sequence[str] = (),
    annotator: str | None = None,
    now: str | None = None,
) -> ImportResult:
    """Validate every rating in ``path``, then append the new ones per annotator."""
    from goldset import golden

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    crit = [c["name"] for c in criteria(cfg)]
    examples = golden.load(cfg).examples
    fields = parse_mapping(mapping, mapping_fields(cfg))
    records = parse_import(
        data,
        fmt,
        name=str(path),
        examples=examples,
        criterion_names=crit,
        mapping=fields,
        annotator=safe_name(annotator) if annotator else None,
        now=now,
    )
    result = ImportResult()
    by_who: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_who.setdefault(r["annotator"], []).append(r)
    # Reading the existing labels validates them too: an import never lands on
    # top of a broken store.
    with atomic.lock(lock_path(cfg)):
        # Read under the lock: another writer's labels count as already there.
        existing = load(cfg, examples, rubric=crit)
        seen = {_identity(r.record) for r in existing.records}
        for who in sorted(by_who):
            fresh = []
            for r in by_who[who]:
                ident = _identity(r)
                if ident in seen:
                    result.skipped_duplicates += 1
                    continue
                seen.add(ident)
                fresh.append(r)
            if fresh:
                target = file_for(cfg, who)
                atomic.append_bytes(target, b"".join(line_of(r) for r in fresh))
                result.added[who] = len(fresh)
                result.files.append(_rel(cfg, target))
    return result


def _identity(record: Mapping[str, Any]) -> bytes:
    """What makes two ratings the same one, so re-importing a file adds nothing.

    ``at`` is left out: a file without times gets the import's clock, which
    differs between two imports of the same file.
    """
    keep = {k: v for k, v in record.items() if k not in ("source", "note", "at")}
    return orjson.dumps(keep, option=orjson.OPT_SORT_KEYS)


# -------------------------------------------------------------------- export


def export(cfg: Any, fmt: str, *, annotators: Sequence[str] = ()) -> bytes:
    """Every (valid) label, optionally only some annotators', as CSV or JSONL bytes."""
    from goldset import golden

    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    store = load(cfg, golden.load(cfg).examples)
    wanted = {safe_name(a) for a in annotators}
    recs = []
    for r in store.records:
        if wanted and r.rater not in wanted:
            continue
        rec = dict(r.record)
        rec.setdefault("annotator", r.rater)
        recs.append(rec)
    if fmt == "jsonl":
        return b"".join(line_of(r) for r in recs)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    cols = [*CSV_FIELDS, "source"]
    writer.writerow(cols)
    for rec in recs:
        row = []
        for c in cols:
            v = rec.get(c)
            if c == "value" and isinstance(v, bool):
                row.append("pass" if v else "fail")
            elif c == "shown" and isinstance(v, list):
                row.append(",".join(v))
            elif v is None:
                row.append("")
            else:
                row.append(str(v))
        writer.writerow(row)
    return out.getvalue().encode("utf-8")
