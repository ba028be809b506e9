"""`goldset validate`: is the golden set (and everything pointing at it) sound?

Checks, each reported with file:line, the example id and the JSON path:
JSONL syntax, the JSON Schema, unique ids, canonical form and content hashes,
stratification coverage, and that results, labels and judgments point only at
existing examples. Big files are cut at byte offsets across cores and read a
block at a time; clean lines are decided a batch at a time, each check one
C-level ``map`` over the batch; a compiled validator gives the verdict and
jsonschema explains only the lines that fail.
"""

from __future__ import annotations

import itertools
import operator

try:  # the builtin module skips OpenSSL's ~2 ms import on the hook path
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b as _blake2b
import os
from array import array
from collections import Counter
from pathlib import Path

from goldset import golden, jsonl, schema
from goldset.config import Config
from goldset.errors import UsageError
from goldset.problems import Problem

# typing costs the hook path ~2 ms to import: annotations are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from goldset.trees import Tree

MAX_PROBLEMS_PER_FILE = 200
PARALLEL_MIN_BYTES = 8 << 20
FMT_HINT = "run `goldset fmt` to rewrite it canonically"


class Settings:
    """What a worker needs to check lines; inherited by forked workers."""

    __slots__ = ("fast", "schema_set", "slice_keys", "strata")

    def __init__(
        self,
        fast: Callable[[Any], Any] | None,
        schema_set: schema.SchemaSet,
        strata: frozenset[str],
        slice_keys: tuple[str, ...],
    ) -> None:
        self.fast = fast
        self.schema_set = schema_set
        self.strata = strata
        self.slice_keys = slice_keys


class ChunkResult:
    """What checking a run of lines found (mergeable across workers)."""

    def __init__(self, ids: dict[str, dict[str, Any]] | None = None) -> None:
        self.problems: list[Problem] = []
        self.dropped = 0
        self.id_hashes = array("Q")
        self.id_lines = array("I")  # 4 bytes a line: memory per example stays small
        self.ids = ids
        self.strata: Counter[str] = Counter()
        self.slices: Counter[tuple[str, str]] = Counter()
        self.lines = 0
        self.clean: list[bytes] = []  # keys of lines found clean (for the line cache)

    def add(self, p: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS_PER_FILE:
            self.problems.append(p)
        else:
            self.dropped += 1

    def merge(self, other: ChunkResult, line_offset: int = 0) -> None:
        """Add ``other``'s findings; its line numbers are shifted by ``line_offset``
        (a worker numbers the lines of its byte range from 1)."""
        for p in other.problems:
            self.add(p._replace(line=p.line + line_offset) if line_offset and p.line else p)
        self.dropped += other.dropped
        self.id_hashes.extend(other.id_hashes)
        self.id_lines.extend(
            map(line_offset.__add__, other.id_lines) if line_offset else other.id_lines
        )
        if other.ids is not None:
            if self.ids is None:
                self.ids = {}
            self.ids.update(other.ids)
        self.strata.update(other.strata)
        self.slices.update(other.slices)
        self.lines += other.lines


def _id_hash(ex_id: str) -> int:
    # str hashes are salted per process, but forked workers share the salt and
    # every candidate duplicate is confirmed by re-reading its line.
    return hash(ex_id) & 0xFFFFFFFFFFFFFFFF


def check_lines(
    lines: Iterator[tuple[int, bytes]],
    name: str,
    st: Settings,
    *,
    keep_ids: bool,
    first_block: bool,
    bulk: bool = False,
    seen: set[bytes] | None = None,
) -> ChunkResult:
    """Check golden lines; the hot loop of validate.

    ``bulk`` parses and compares with orjson (worth its import on big files);
    whatever orjson refuses is re-decided by the reference json path.
    """
    out = ChunkResult(ids={} if keep_ids else None)
    fast = st.fast
    strata = st.strata
    slice_keys = st.slice_keys
    chash = golden.content_hash
    line_hash = golden.content_hash_of_line
    id_ok = golden.ID_RE.fullmatch
    if bulk:
        import orjson

        fast_loads = orjson.loads
        fast_error: type[Exception] = orjson.JSONDecodeError
        odumps = orjson.dumps
        osort = orjson.OPT_SORT_KEYS

        def is_canonical(ex: dict[str, Any], raw: bytes) -> bool:
            return golden.is_canonical_fast(ex, raw, odumps, osort)

        dumps_for_hash: Any = odumps

    else:
        fast_loads = jsonl.loads
        fast_error = jsonl.JsonLineError
        is_canonical = golden.is_canonical
        dumps_for_hash = jsonl.dumps
    for lineno, raw in lines:
        out.lines += 1
        if first_block and lineno == 1 and raw.startswith(jsonl.BOM):
            out.add(Problem(name, 1, f"starts with a UTF-8 byte order mark; {FMT_HINT}", "bom"))
            raw = raw[len(jsonl.BOM) :]
        if raw.endswith(b"\r"):
            out.add(Problem(name, lineno, f"CRLF line ending; {FMT_HINT}", "crlf"))
            raw = raw[:-1]
        if not raw.strip():
            out.add(Problem(name, lineno, f"empty line; {FMT_HINT}", "blank-line"))
            continue
        try:
            ex = fast_loads(raw)
        except fast_error:
            try:
                ex = jsonl.loads(raw)
            except jsonl.JsonLineError as exc:
                out.add(Problem(name, lineno, exc.message, exc.code, column=exc.column))
                continue
        if type(ex) is not dict:
            out.add(
                Problem(
                    name, lineno, f"expected a JSON object, got {type(ex).__name__}", "not-object"
                )
            )
            continue
        ex_id = ex.get("id")
        sid = ex_id if isinstance(ex_id, str) else None
        if sid is not None and id_ok(sid) is None:
            # The schema's pattern uses $, which also matches before a final newline.
            out.add(
                Problem(
                    name,
                    lineno,
                    f"id {sid!r} is not a valid id ({golden.ID_RE.pattern})",
                    "id",
                    example_id=sid,
                    field="$.id",
                )
            )
        if sid is not None:
            out.id_hashes.append(_id_hash(sid))
            out.id_lines.append(lineno)
            if out.ids is not None:
                out.ids[sid] = ex
        before = len(out.problems) + out.dropped
        # A line already found clean under the same settings needs no schema,
        # canonical-form or hash check again: the verdict depends on its bytes alone.
        line_key = _blake2b(raw, digest_size=16).digest() if seen is not None else b""
        known = seen is not None and line_key in seen
        if not known:
            try:
                valid = fast is not None and fast(ex)
            except RecursionError:
                valid = False
            if not valid:
                try:
                    failures = schema.full_errors(st.schema_set, ex)
                except RecursionError:
                    failures = [schema.Failure("nested too deeply to validate", "$")]
                for f in failures[:3]:
                    out.add(
                        Problem(
                            name, lineno, f.message, "schema", example_id=sid, field=f.json_path
                        )
                    )
            try:
                canonical = is_canonical(ex, raw)
                h = ex.get("content_hash")
                stale = isinstance(h, str) and h != (
                    line_hash(ex, raw, dumps_for_hash) if canonical else chash(ex)
                )
            except jsonl.JsonLineError as exc:
                out.add(Problem(name, lineno, exc.message, exc.code, example_id=sid))
                continue
            if not canonical:
                dup = jsonl.has_duplicate_keys(raw)
                if dup is not None:
                    out.add(
                        Problem(
                            name,
                            lineno,
                            f"key {dup!r} appears twice in one object",
                            "dup-key",
                            example_id=sid,
                        )
                    )
                elif jsonl.depth(ex) > jsonl.MAX_DEPTH:
                    out.add(
                        Problem(
                            name,
                            lineno,
                            f"nested deeper than {jsonl.MAX_DEPTH} levels",
                            "depth",
                            example_id=sid,
                        )
                    )
                else:
                    out.add(
                        Problem(
                            name,
                            lineno,
                            f"not in canonical form; {FMT_HINT}",
                            "non-canonical",
                            example_id=sid,
                        )
                    )
            if stale:
                out.add(
                    Problem(
                        name,
                        lineno,
                        "content_hash does not match the content (edited by hand?); "
                        "use `goldset edit`, or `goldset fmt` to recompute it",
                        "hash-mismatch",
                        example_id=sid,
                        field="$.content_hash",
                    )
                )
        stratum = ex.get("stratum")
        if stratum is not None:
            if isinstance(stratum, str) and stratum not in strata:
                out.add(
                    Problem(
                        name,
                        lineno,
                        f"unknown stratum {stratum!r} (configured: {', '.join(sorted(strata))})",
                        "stratum",
                        example_id=sid,
                        field="$.stratum",
                    )
                )
            out.strata[str(stratum)] += 1
        if slice_keys:
            sl = ex.get("slice")
            sl = sl if isinstance(sl, dict) else {}
            for key in slice_keys:
                value = sl.get(key)
                if value is None:
                    out.add(
                        Problem(
                            name,
                            lineno,
                            f"missing slice key {key!r} (goldset.yaml slices)",
                            "slice-missing",
                            example_id=sid,
                            field=f"$.slice.{key}",
                        )
                    )
                else:
                    out.slices[(key, str(value))] += 1
        if seen is not None and not known and len(out.problems) + out.dropped == before:
            out.clean.append(line_key)
    return out


def check_lines_bulk(
    lines: Iterator[tuple[int, bytes]], name: str, st: Settings, *, first_block: bool
) -> ChunkResult:
    """check_lines for big files: the same findings, with a tight path for clean lines.

    A line takes the tight path only if it is, by construction, everything a
    clean line is: an object whose compact re-serialisation equals its bytes
    (so no BOM, CR, blank, spacing or duplicate key), keys in a canonical order
    already seen, nested keys sorted, a valid id, a passing verdict, a matching
    content hash, a known stratum and every slice key. Any other line goes
    through check_lines, which says what is wrong with it.
    """
    import orjson

    out = ChunkResult()
    loads = orjson.loads
    dumps = orjson.dumps
    sort = orjson.OPT_SORT_KEYS
    fast = st.fast
    strata_ok = st.strata
    slice_keys = st.slice_keys
    id_ok = golden.ID_RE.fullmatch
    good_orders = golden._GOOD_ORDERS
    line_hash = golden.content_hash_of_line
    add_hash = out.id_hashes.append
    add_line = out.id_lines.append
    seen_strata: list[str] = []
    seen_slices: list[tuple[str, str]] = []
    n = 0

    def nested_sorted(ex: dict[str, Any]) -> bool:
        for v in ex.values():
            c = v.__class__
            if c is dict:
                if len(v) > 1 and dumps(v) != dumps(v, option=sort):
                    return False
            elif c is list and v and v[0].__class__ is not str:
                return False  # the full check decides
        return True

    for lineno, raw in lines:
        n += 1
        try:
            ex = loads(raw)
        except orjson.JSONDecodeError:
            ex = None
        clean = False
        if ex.__class__ is dict and fast is not None and not (first_block and lineno == 1):
            ex_id = ex.get("id")
            stratum = ex.get("stratum")
            try:
                clean = (
                    ex_id.__class__ is str
                    and id_ok(ex_id) is not None
                    and fast(ex)
                    and dumps(ex) == raw
                    and tuple(ex) in good_orders
                    and nested_sorted(ex)
                    and ex.get("content_hash") == line_hash(ex, raw, dumps)
                    and (stratum is None or stratum in strata_ok)
                )
            except (TypeError, RecursionError):
                clean = False
            if clean and slice_keys:
                sl = ex.get("slice")
                if sl.__class__ is dict and all(sl.get(k) is not None for k in slice_keys):
                    seen_slices.extend((k, str(sl[k])) for k in slice_keys)
                else:
                    clean = False
            if clean:
                add_hash(hash(ex_id) & 0xFFFFFFFFFFFFFFFF)
                add_line(lineno)
                if stratum is not None:
                    seen_strata.append(stratum)
                continue
        out.lines -= 1  # check_lines counts it again
        out.merge(
            check_lines(
                iter([(lineno, raw)]), name, st, keep_ids=False, first_block=first_block, bulk=True
            )
        )
    out.lines += n
    out.strata.update(seen_strata)
    out.slices.update(seen_slices)
    return out


def _iter_block_lines(data: bytes, first_lineno: int) -> Iterator[tuple[int, bytes]]:
    for n, raw in jsonl.split_lines(data):
        yield first_lineno + n - 1, raw


def check_bytes(
    data: bytes, name: str, st: Settings, *, keep_ids: bool, seen: set[bytes] | None = None
) -> ChunkResult:
    res = check_lines(
        _iter_block_lines(data, 1), name, st, keep_ids=keep_ids, first_block=True, seen=seen
    )
    if data and not data.endswith(b"\n"):
        res.add(
            Problem(
                name,
                res.lines,
                f"no newline at the end of the file; {FMT_HINT}",
                "no-final-newline",
            )
        )
    return res


RANGE_BLOCK = 1 << 20  # bytes read at a time by a worker: a block's lines stay in cache
BATCH = 512  # lines checked together by the batch path


def _range_blocks(path: Path, start: int, end: int) -> Iterator[list[bytes]]:
    """The lines that start inside [start, end) of ``path``, a block of lines at a time.

    A range owns every line whose first byte lies in it, so ranges cut at any
    byte offsets cover each line exactly once and nobody counts lines first.
    """
    with open(path, "rb") as fh:
        if start > 0:
            fh.seek(start - 1)
            fh.readline()  # the rest of a line that began in the previous range
        base = fh.tell()  # file offset of ``carry``'s first byte
        if base >= end:
            return
        carry = b""  # the start of a line whose end is not read yet (never holds a newline)
        while True:
            data = fh.read(RANGE_BLOCK)
            if not data:
                if carry:
                    yield [carry]  # a last line without a newline
                return
            last = data.rfind(b"\n")
            if last == -1:
                carry += data
                continue
            # Split the block as read and glue the carried start onto its first line:
            # no copy of the whole block on the way.
            cut = end - base - len(carry)  # where ownership ends, in ``data``
            if cut <= last:
                # Lines starting before the cut are ours: the last of them ends at the
                # first newline at or after cut - 1.
                lines = data[: data.find(b"\n", max(cut - 1, 0))].split(b"\n")
                lines[0] = carry + lines[0]
                yield lines
                return
            lines = data.split(b"\n")
            rest = lines.pop()
            lines[0] = carry + lines[0]
            yield lines
            base += len(carry) + last + 1
            carry = rest
            if base >= end:
                return


class _BatchOps:
    """What the batch path needs, bound once per process (orjson and hashlib are
    imported only here, on the big-file path)."""

    def __init__(self, st: Settings) -> None:
        import functools
        import hashlib

        import orjson

        self.loads = orjson.loads
        self.dumps = orjson.dumps
        self.dumps_sorted = functools.partial(orjson.dumps, option=orjson.OPT_SORT_KEYS)
        self.errors = (orjson.JSONDecodeError, TypeError, ValueError, RecursionError, KeyError)
        # OpenSSL's SHA-256 (SHA-NI where the CPU has it) runs 2.5x the builtin module's
        # speed on a 400-byte line; its import cost does not matter here.
        self.sha256 = hashlib.sha256
        self.settings = st
        # jsonschema-rs where it can only be stricter than jsonschema (see
        # schema.native_verdict): a line it fails goes to the Python verdict anyway.
        self.verdict = _native_verdict(st) or st.fast
        self.strata_ok = frozenset(st.strata) | {None}
        self.scan = native_scanner()
        # Key orders known canonical with ``id`` first and provenance, content_hash
        # last: the hashed body of such a line is one slice of it.
        self.std_orders: set[tuple[str, ...]] = set()
        self.bad_orders: set[tuple[str, ...]] = set()

    def learn_orders(self, shapes: set[tuple[str, ...]]) -> None:
        for k in shapes - self.std_orders - self.bad_orders:
            good = (
                len(self.std_orders) < 1024
                and len(k) >= 3
                and k[0] == "id"
                and k[-2:] == ("provenance", "content_hash")
                and list(k) == golden.key_order(k)
            )
            (self.std_orders if good else self.bad_orders).add(k)


def _native_off() -> bool:
    """GOLDSET_NO_NATIVE=1: the pure-Python path for both native parts."""
    return bool(os.environ.get("GOLDSET_NO_NATIVE"))


# schema digest -> jsonschema-rs verdict (or None), built in the parent before forking
_NATIVE: dict[str, Any] = {}


def _native_verdict(st: Settings) -> Callable[[Any], bool] | None:
    if _native_off() or st.fast is None:
        return None
    digest = st.schema_set.digest
    if digest not in _NATIVE:
        _NATIVE.clear()
        _NATIVE[digest] = schema.native_verdict(st.schema_set)
    return _NATIVE[digest]  # type: ignore[no-any-return]


def native_scanner() -> Callable[[list[bytes]], list[bool]] | None:
    """goldset._linescan.clean_lines when the native scanner was built and can find
    libcrypto; None otherwise (GOLDSET_NO_NATIVE=1 forces None), and the batch path
    checks nested key order and content hashes in Python instead."""
    if _native_off():
        return None
    try:
        from goldset import _linescan  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _linescan.clean_lines  # type: ignore[no-any-return]


_OPS: _BatchOps | None = None
_DICT = itertools.repeat(dict)
_ID = itertools.repeat("id")
_HASH = itertools.repeat("content_hash")
_STRATUM = itertools.repeat("stratum")
_PROV = itertools.repeat(b',"provenance":')
_NINE = itertools.repeat(9)
_OPEN = itertools.repeat(b"{")
_CLOSE = itertools.repeat(b"}")
_HEX16 = itertools.repeat(slice(0, 16))
_MASK64 = itertools.repeat(0xFFFFFFFFFFFFFFFF)
_HEXDIGEST = operator.methodcaller("hexdigest")


def _clean_columns(raws: list[bytes], st: Settings, ops: _BatchOps) -> tuple[Any, ...] | None:
    """Decide a batch of lines column by column: each check is one C-level ``map``
    over the batch instead of a Python loop over lines.

    Returns (objects, ids, strata, mask), mask None when every line is clean, or
    None when something in the batch needs the line-by-line path to say what.
    A line is clean only if it passes every check the line-by-line path makes.
    """
    objs = list(map(ops.loads, raws))
    if not all(map(isinstance, objs, _DICT)):
        return None
    keys = list(map(tuple, objs))
    shapes = set(keys)
    ops.learn_orders(shapes)
    ids = list(map(dict.get, objs, _ID))
    strata = list(map(dict.get, objs, _STRATUM))
    columns: list[Any] = [
        # compact, with orjson's escapes and no duplicate keys
        list(map(operator.eq, map(ops.dumps, objs), raws)),
        list(map(golden.ID_RE.fullmatch, ids)),
        list(map(ops.verdict, objs)),
    ]
    # Top-level keys in canonical order (with the hashed body in one slice), and known
    # strata: a batch has a handful of shapes and strata, so look at those first.
    if not shapes <= ops.std_orders:
        columns.append(list(map(ops.std_orders.__contains__, keys)))
    if not set(strata) <= ops.strata_ok:
        columns.append(list(map(ops.strata_ok.__contains__, strata)))
    if ops.scan is not None:
        # Nested keys sorted and the content hash right, in one C pass over the bytes.
        columns.append(ops.scan(raws))
    else:
        vals = list(map(list, map(dict.values, objs)))
        # nested keys sorted, at every depth
        columns.append(list(map(operator.eq, map(ops.dumps, vals), map(ops.dumps_sorted, vals))))
        digests = _digests(raws, ids, ops)
        columns.append(list(map(operator.eq, digests, map(dict.get, objs, _HASH))))
    if st.slice_keys:
        columns.append([_has_slices(o, st.slice_keys) for o in objs])
    if all(map(all, columns)):
        return objs, ids, strata, None
    return objs, ids, strata, list(map(all, zip(*columns, strict=True)))


def _digests(raws: list[bytes], ids: list[Any], ops: _BatchOps) -> Iterator[str]:
    """content_hash of each standard-order line, computed from its bytes.

    The hashed body runs from after the id (whose pattern allows no escapes) up
    to ',"provenance":', wrapped in braces; a line whose body is elsewhere gets
    a wrong digest here and so fails the comparison, never passes it wrongly.
    """
    starts = map(operator.add, map(len, ids), _NINE)
    ends = map(bytes.rfind, raws, _PROV)
    bodies = map(
        operator.add,
        map(operator.add, _OPEN, map(operator.getitem, raws, map(slice, starts, ends))),
        _CLOSE,
    )
    return map(operator.getitem, map(_HEXDIGEST, map(ops.sha256, bodies)), _HEX16)


def _has_slices(ex: dict[str, Any], keys: tuple[str, ...]) -> bool:
    sl = ex.get("slice")
    return sl.__class__ is dict and all(sl.get(k) is not None for k in keys)


def check_block(
    lines: list[bytes],
    first_lineno: int,
    name: str,
    st: Settings,
    out: ChunkResult,
    *,
    first_block: bool,
) -> None:
    """Check a block of lines (numbered from ``first_lineno``) into ``out``.

    Batches of clean lines go through the column path; any other line goes
    through check_lines_bulk, which finds and explains what is wrong with it.
    """
    global _OPS
    if _OPS is None or _OPS.settings is not st:
        _OPS = _BatchOps(st)
    ops = _OPS
    slice_keys = st.slice_keys
    for b0 in range(0, len(lines), BATCH):
        raws = lines[b0 : b0 + BATCH]
        lineno = first_lineno + b0
        got = None
        at_start = first_block and b0 == 0  # line 1 may carry a BOM: check_lines says so
        if ops.verdict is not None and not at_start:
            try:
                got = _clean_columns(raws, st, ops)
            except ops.errors:
                got = None
        if got is None:
            out.merge(
                check_lines_bulk(zip(itertools.count(lineno), raws), name, st, first_block=at_start)
            )
            continue
        objs, ids, strata, mask = got
        numbers: Any = range(lineno, lineno + len(raws))
        if mask is not None:
            rest = [(n, r) for n, r, ok in zip(numbers, raws, mask, strict=True) if not ok]
            out.merge(check_lines_bulk(iter(rest), name, st, first_block=False))
            objs = list(itertools.compress(objs, mask))
            ids = list(itertools.compress(ids, mask))
            strata = list(itertools.compress(strata, mask))
            numbers = list(itertools.compress(numbers, mask))
        out.lines += len(ids)
        out.id_hashes.extend(map(int.__and__, map(hash, ids), _MASK64))
        out.id_lines.extend(numbers)
        out.strata.update(filter(None, strata))
        if slice_keys:
            out.slices.update((k, str(o["slice"][k])) for o in objs for k in slice_keys)


_WORKER_SETTINGS: Settings | None = None


def _worker(args: tuple[str, str, int, int]) -> ChunkResult:
    """Check the lines starting in one byte range; line numbers are local to it."""
    import gc

    path, name, start, end = args
    st = _WORKER_SETTINGS
    assert st is not None
    out = ChunkResult()
    lineno = 1
    # The batch path holds a few hundred fresh dicts at a time, enough to set off the
    # cycle collector again and again for nothing: none of them can form a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        for lines in _range_blocks(Path(path), start, end):
            check_block(lines, lineno, name, st, out, first_block=start == 0 and lineno == 1)
            lineno += len(lines)
    finally:
        if enabled:
            gc.enable()
    return out


def check_file_parallel(path: Path, name: str, st: Settings, jobs: int) -> ChunkResult:
    """Check a large file on ``jobs`` cores (forked workers inherit the validator).

    The file is cut at plain byte offsets; each worker numbers its lines from 1
    and the parts are shifted into place here, in order.
    """
    import multiprocessing as mp

    global _WORKER_SETTINGS
    _WORKER_SETTINGS = st
    _native_verdict(st)  # built once here, inherited by the forked workers
    size = path.stat().st_size
    parts = jobs * 16  # small enough that no core idles long at the end
    bounds = [size * i // parts for i in range(parts + 1)]
    tasks = [(str(path), name, a, b) for a, b in itertools.pairwise(bounds) if b > a]
    ctx = mp.get_context("fork")
    result = ChunkResult()
    with ctx.Pool(jobs) as pool:
        done = pool.imap(_worker, tasks)
        # The id index sorts with numpy once the workers are done: import it while they work.
        import numpy  # noqa: F401

        for part in done:
            result.merge(part, line_offset=result.lines)
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 1))
        last = fh.read(1)
    if last and last != b"\n":
        result.add(
            Problem(
                name,
                result.lines,
                f"no newline at the end of the file; {FMT_HINT}",
                "no-final-newline",
            )
        )
    return result


class Report:
    """The outcome of validate: problems plus what was looked at."""

    def __init__(
        self,
        problems: list[Problem],
        files: int,
        examples: int,
        strata: dict[str, int],
        slices: dict[str, dict[str, int]],
        source: str,
        truncated: int = 0,
    ) -> None:
        self.problems = problems
        self.files = files
        self.examples = examples
        self.strata = strata
        self.slices = slices
        self.source = source
        self.truncated = truncated

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.errors == 0,
            "source": self.source,
            "files": self.files,
            "examples": self.examples,
            "errors": self.errors,
            "warnings": self.warnings,
            "truncated": self.truncated,
            "strata": self.strata,
            "slices": self.slices,
            "problems": [p.as_dict() for p in self.problems],
        }


def settings_for(cfg: Config) -> Settings:
    schema_path = cfg.path("schema")
    ss = schema.load(schema_path, cfg.rel("schema"))
    fast = schema.compiled(ss, schema.cache_dir_for(cfg.root))
    strat = cfg["stratification"]
    return Settings(
        fast=fast,
        schema_set=ss,
        strata=frozenset(strat["strata"]),
        slice_keys=tuple(cfg.slice_keys),
    )


class LineCache:
    """Keys (BLAKE2b-128 of the bytes) of golden lines found clean under one set of
    settings (schema, strata, slice keys, goldset version). Lives in .git; losing
    it only costs time, so it is replaced without fsync."""

    def __init__(self, cfg: Config, st: Settings) -> None:
        from goldset import __version__

        folder = schema.cache_dir_for(cfg.root)
        tag = f"{st.schema_set.digest}|{sorted(st.strata)}|{st.slice_keys}|{__version__}"
        self.path = (
            folder / f"lines-{_blake2b(tag.encode(), digest_size=10).hexdigest()}.bin"
            if folder is not None
            else None
        )
        self.keys: set[bytes] = set()
        if self.path is not None:
            try:
                data = self.path.read_bytes()
                self.keys = {data[i : i + 16] for i in range(0, len(data) - len(data) % 16, 16)}
            except OSError:
                pass
        self.fresh: list[bytes] = []

    def save(self) -> None:
        if self.path is None or not self.fresh:
            return
        keys = self.keys | set(self.fresh)
        if len(keys) > 200_000:  # keep the file small; the hook path reads it every time
            keys = set(self.fresh)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(b"".join(sorted(keys)))
            os.replace(tmp, self.path)
        except OSError:
            pass


def run(
    cfg: Config,
    tree: Tree,
    *,
    paths: list[str] | None = None,
    jobs: int | None = None,
    check_refs: bool = True,
    use_cache: bool = True,
) -> Report:
    """Validate the golden set as read from ``tree`` (working tree, index or commit)."""
    st = settings_for(cfg)
    golden_prefix = cfg.rel("golden")
    golden_files = [p for p in tree.files(golden_prefix) if p.endswith(".jsonl")]
    if paths:
        wanted = {p.strip("/") for p in paths}
        unmatched = sorted(
            w for w in wanted if not any(p == w or p.startswith(w + "/") for p in golden_files)
        )
        if unmatched:
            raise UsageError(
                f"{', '.join(unmatched)}: no golden .jsonl file there in the {tree.label}",
                hint=f"golden files live under {golden_prefix}/",
            )
        golden_files = [
            p for p in golden_files if p in wanted or any(p.startswith(w + "/") for w in wanted)
        ]
    jobs = jobs or min(2, os.cpu_count() or 1)
    cache = LineCache(cfg, st) if use_cache else None
    total = ChunkResult(ids={})
    all_problems: list[Problem] = []
    dropped = 0
    # Every id as a 64-bit hash with its place: 16 bytes an example, so memory
    # stays small next to the file even at a million lines.
    id_hashes = array("Q")
    id_lines = array("I")
    id_files = array("I")
    for file_no, name in enumerate(golden_files):
        disk = cfg.root / name
        use_parallel = (
            tree.label == "working tree"
            and jobs > 1
            and disk.is_file()
            and disk.stat().st_size >= PARALLEL_MIN_BYTES
        )
        if use_parallel:
            res = check_file_parallel(disk, name, st, jobs)
        else:
            data = tree.read(name) or b""
            res = check_bytes(
                data, name, st, keep_ids=True, seen=cache.keys if cache is not None else None
            )
            if cache is not None:
                cache.fresh.extend(res.clean)
        all_problems.extend(res.problems)
        dropped += res.dropped
        if res.dropped:
            all_problems.append(
                Problem(
                    name,
                    None,
                    f"{res.dropped} more problems in this file not shown",
                    "truncated",
                    severity="warning",
                )
            )
        total.strata.update(res.strata)
        total.slices.update(res.slices)
        total.lines += res.lines
        if res.ids is not None and total.ids is not None:
            total.ids.update(res.ids)
        else:
            total.ids = None
        id_files.extend(array("I", [file_no]) * len(res.id_hashes))
        if id_hashes:
            id_hashes.extend(res.id_hashes)
            id_lines.extend(res.id_lines)
        else:  # the first file's arrays are taken, not copied: a big set has one copy
            id_hashes, id_lines = res.id_hashes, res.id_lines
        del res
    index = _IdIndex(id_hashes)
    all_problems.extend(_duplicate_ids(index.groups(), id_files, id_lines, golden_files, tree))
    n_examples = len(id_hashes)
    all_problems.extend(_stratification(cfg, total.strata, total.slices, n_examples))
    if check_refs and not paths:
        if total.ids is not None:
            ids = total.ids
            all_problems.extend(
                check_references(cfg, tree, ids.__contains__, lambda i: ids[i].get("content_hash"))
            )
        else:  # a set too big to hold: membership by id hash, no staleness check
            all_problems.extend(check_references(cfg, tree, index.contains, lambda i: None))
    if cache is not None:
        cache.save()
    slices: dict[str, dict[str, int]] = {}
    for (k, v), c in sorted(total.slices.items()):
        slices.setdefault(k, {})[v] = c
    return Report(
        problems=all_problems,
        files=len(golden_files),
        examples=n_examples,
        strata=dict(sorted(total.strata.items())),
        slices=slices,
        source=tree.label,
        truncated=dropped,
    )


class _IdIndex:
    """Id hashes of the whole set: duplicate groups and membership, with numpy
    (sorting) only for big sets, so the hook path never imports it."""

    SMALL = 200_000

    def __init__(self, hashes: array) -> None:
        self.hashes = hashes
        self._set: set[int] | None = None
        self._sorted: Any = None

    def groups(self) -> list[list[int]]:
        """Positions sharing one hash (candidates for duplicate ids)."""
        n = len(self.hashes)
        if n <= self.SMALL:
            first: dict[int, int] = {}
            multi: dict[int, list[int]] = {}
            for i, h in enumerate(self.hashes):
                j = first.setdefault(h, i)
                if j != i:
                    multi.setdefault(h, [j]).append(i)
            return list(multi.values())
        import numpy as np

        h = np.frombuffer(self.hashes, dtype=np.uint64)
        sh = np.sort(h)  # a plain sort is 8x an argsort; positions only for the rare repeats
        self._sorted = sh
        repeated = np.unique(sh[1:][sh[1:] == sh[:-1]])
        if not len(repeated):
            return []
        where = np.flatnonzero(np.isin(h, repeated))
        by_hash: dict[int, list[int]] = {}
        for i in where.tolist():
            by_hash.setdefault(int(h[i]), []).append(i)
        return list(by_hash.values())

    def contains(self, ex_id: str) -> bool:
        h = _id_hash(ex_id)
        if len(self.hashes) <= self.SMALL:
            if self._set is None:
                self._set = set(self.hashes)
            return h in self._set
        import numpy as np

        if self._sorted is None:
            self._sorted = np.sort(np.frombuffer(self.hashes, dtype=np.uint64))
        i = int(np.searchsorted(self._sorted, np.uint64(h)))
        return i < len(self._sorted) and int(self._sorted[i]) == h


def _duplicate_ids(
    groups: list[list[int]], files: array, lines: array, names: list[str], tree: Tree
) -> list[Problem]:
    """Confirm same-hash candidates by reading their ids back, then report them."""
    if not groups:
        return []
    wanted: dict[str, set[int]] = {}
    for g in groups:
        for i in g:
            wanted.setdefault(names[files[i]], set()).add(lines[i])
    ids_at = {name: _ids_at(tree, name, lns) for name, lns in wanted.items()}
    out: list[Problem] = []
    for g in groups:
        by_id: dict[str, list[tuple[str, int]]] = {}
        for i in sorted(g, key=lambda i: (files[i], lines[i])):
            name, ln = names[files[i]], lines[i]
            ex_id = ids_at[name].get(ln)
            if ex_id is not None:
                by_id.setdefault(ex_id, []).append((name, ln))
        for ex_id, where in by_id.items():
            first = where[0]
            for name, ln in where[1:]:
                out.append(
                    Problem(
                        name,
                        ln,
                        f"duplicate id (first at {first[0]}:{first[1]}); ids must be unique across the set",
                        "dup-id",
                        example_id=ex_id,
                        field="$.id",
                    )
                )
    return out


def _ids_at(tree: Tree, name: str, wanted: set[int]) -> dict[int, str]:
    """The ids on the given lines of one file, read line by line."""
    data = tree.read(name) or b""
    out: dict[int, str] = {}
    last = max(wanted)
    for lineno, raw in jsonl.split_lines(data):
        if lineno > last:
            break
        if lineno not in wanted:
            continue
        raw = raw.rstrip(b"\r")
        if lineno == 1 and raw.startswith(jsonl.BOM):
            raw = raw[len(jsonl.BOM) :]
        try:
            value = jsonl.loads(raw).get("id")
        except (jsonl.JsonLineError, AttributeError):
            continue
        if isinstance(value, str):
            out[lineno] = value
    return out


def _stratification(
    cfg: Config, strata: Counter[str], slices: Counter[tuple[str, str]], n: int
) -> list[Problem]:
    if n == 0:
        return []
    strat = cfg["stratification"]
    severity = strat["severity"]
    where = cfg.rel("golden")
    out: list[Problem] = []
    need = strat["min_per_stratum"]
    for s in strat["strata"]:
        if strata.get(s, 0) < need:
            out.append(
                Problem(
                    where,
                    None,
                    f"stratum {s!r} has {strata.get(s, 0)} examples; goldset.yaml asks for at least {need}",
                    "stratification",
                    severity=severity,
                )
            )
    per_slice = strat["min_per_slice"]
    for (key, value), count in sorted(slices.items()):
        if count < per_slice:
            out.append(
                Problem(
                    where,
                    None,
                    f"slice {key}={value} has {count} examples; goldset.yaml asks for at least {per_slice}",
                    "stratification",
                    severity=severity,
                )
            )
    return out


def check_references(
    cfg: Config,
    tree: Tree,
    has_id: Callable[[str], bool],
    hash_of: Callable[[str], Any],
) -> list[Problem]:
    """Results, labels and judgments must point at existing examples (stale hashes warn)."""
    out: list[Problem] = []
    for key in ("results", "labels", "judgments"):
        for name in tree.files(cfg.rel(key)):
            if not name.endswith(".jsonl"):
                continue
            data = tree.read(name) or b""
            count = 0
            for lineno, raw in jsonl.split_lines(data):
                raw = raw.rstrip(b"\r")
                if not raw.strip():
                    continue
                try:
                    rec = jsonl.loads(raw)
                except jsonl.JsonLineError as exc:
                    out.append(Problem(name, lineno, exc.message, exc.code, column=exc.column))
                    continue
                if not isinstance(rec, dict):
                    out.append(Problem(name, lineno, "expected a JSON object", "not-object"))
                    continue
                ex_id = rec.get("example_id")
                if not isinstance(ex_id, str):
                    out.append(
                        Problem(name, lineno, "missing example_id", "ref", field="$.example_id")
                    )
                elif not has_id(ex_id):
                    count += 1
                    if count <= 20:
                        out.append(
                            Problem(
                                name,
                                lineno,
                                f"points at unknown example {ex_id!r} (not in the golden set)",
                                "ref-unknown",
                                example_id=ex_id,
                                field="$.example_id",
                            )
                        )
                else:
                    eh = rec.get("example_hash")
                    current = hash_of(ex_id)
                    if isinstance(eh, str) and current and eh != current:
                        out.append(
                            Problem(
                                name,
                                lineno,
                                "made for an older version of this example (example_hash differs); re-run it",
                                "ref-stale",
                                severity="warning",
                                example_id=ex_id,
                                field="$.example_hash",
                            )
                        )
            if count > 20:
                out.append(
                    Problem(name, None, f"{count - 20} more unknown example ids", "ref-unknown")
                )
    return out
