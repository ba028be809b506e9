"""`goldset validate` on a 1,000,000-line golden set, against the raw orjson
parse rate of the same file, measured in the same run.

    python benchmarks/bench_validate.py [--lines 1000000]

Prints lines/s for: orjson parse alone (the baseline), jsonschema alone and
fastjsonschema alone (parse + validate, one core), and goldset validate (the
whole command: schema, canonical form, hashes, ids, strata, both cores), with
ratios to the baseline and goldset's peak memory at two file sizes.
Target (issue 2): goldset at least 0.5x the orjson parse rate, memory flat.
Also prints where a line's time goes on one core (each check of the batch
path timed alone over the first 100,000 lines), to show what is left to cut.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import env, git, tool

CATEGORIES = [
    "writing",
    "roleplay",
    "reasoning",
    "math",
    "coding",
    "extraction",
    "stem",
    "humanities",
]
STRATA = ["real_traffic", "failure_mode", "edge_case"]


def make_set(path: Path, n: int, seed: int = 11) -> None:
    from goldset import golden

    rng = random.Random(seed)
    with open(path, "wb") as fh:
        buf: list[bytes] = []
        for i in range(n):
            ex = {
                "id": f"ex-{i:07d}",
                "input": f"User {i % 977} asks about order {rng.randint(1, 10**6)}: where is my parcel and can I change the address?",
                "reference": f"Tracking answer {rng.randint(1, 10**4)}",
                "slice": {"category": CATEGORIES[i % 8]},
                "stratum": STRATA[i % 3],
                "tags": ["logistics"],
                "provenance": {
                    "added_by": "Bench <b@example.com>",
                    "added_at": "2026-11-29T00:00:00Z",
                    "why": "synthetic benchmark row",
                },
            }
            ex["content_hash"] = golden.content_hash(ex)
            buf.append(golden.canonical_bytes(ex) + b"\n")
            if len(buf) >= 10000:
                fh.write(b"".join(buf))
                buf.clear()
        fh.write(b"".join(buf))


def orjson_rate(path: Path) -> float:
    import orjson

    t0 = time.perf_counter()
    n = 0
    loads = orjson.loads
    with open(path, "rb") as fh:
        for line in fh:
            loads(line)
            n += 1
    return n / (time.perf_counter() - t0)


def validator_rates(path: Path, schema: dict, sample: int) -> tuple[float, float]:
    import fastjsonschema
    import jsonschema
    import orjson

    lines = []
    with open(path, "rb") as fh:
        for i, line in enumerate(fh):
            if i >= sample:
                break
            lines.append(line)
    registry_schema = schema
    v = jsonschema.Draft7Validator(registry_schema)
    t0 = time.perf_counter()
    for line in lines:
        v.validate(orjson.loads(line))
    js = len(lines) / (time.perf_counter() - t0)
    fast = fastjsonschema.compile(schema)
    t0 = time.perf_counter()
    for line in lines:
        fast(orjson.loads(line))
    fj = len(lines) / (time.perf_counter() - t0)
    return js, fj


_PEAK = (
    "import resource, subprocess, sys;"
    "p = subprocess.run(sys.argv[1:], capture_output=True);"
    "sys.stderr.buffer.write(p.stdout);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)"
)


def run_validate(root: Path) -> tuple[float, int, dict]:
    """Wall time, peak RSS (KiB) of goldset's processes, and the JSON report.

    A small wrapper process runs validate so its RUSAGE_CHILDREN covers exactly
    this run (the validate process and its workers), not earlier ones.
    """
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, tool("goldset"), "validate", "--format", "json"],
        cwd=root,
        env=env(),
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    peak, code = proc.stdout.split()
    report = json.loads(proc.stderr)
    if int(code) != 0:
        raise SystemExit(f"validate failed: {report['problems'][:3]}")
    return wall, int(peak), report


def setup_repo(root: Path, lines: int) -> Path:
    git(root, "init", "-q")
    subprocess.run([tool("goldset"), "init"], cwd=root, env=env(), check=True, capture_output=True)
    (root / "evals/golden/golden.jsonl").unlink()
    path = root / "evals/golden/big.jsonl"
    make_set(path, lines)
    return path


def stage_costs(root: Path, path: Path, sample: int = 100_000) -> None:
    """Microseconds a line for each check of validate's batch path, one core."""
    import gc
    import itertools
    import operator

    import orjson

    from goldset import config, validate

    cfg = config.load(root)
    st = validate.settings_for(cfg)
    ops = validate._BatchOps(st)
    with open(path, "rb") as fh:
        raws = [fh.readline().rstrip(b"\n") for _ in range(sample)]
    batches = [raws[i : i + validate.BATCH] for i in range(0, len(raws), validate.BATCH)]
    parsed = [list(map(orjson.loads, b)) for b in batches]
    n = len(raws)
    key = itertools.repeat("content_hash")

    def per_line(fn: object) -> float:
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for b, objs in zip(batches, parsed, strict=True):
                fn(b, objs)  # type: ignore[operator]
            best = min(best, time.perf_counter() - t0)
        return best / n * 1e6

    def nested(b: list[bytes], objs: list[dict]) -> object:
        vals = list(map(list, map(dict.values, objs)))
        return list(map(operator.eq, map(ops.dumps, vals), map(ops.dumps_sorted, vals)))

    def content_hash(b: list[bytes], objs: list[dict]) -> object:
        ids = list(map(dict.get, objs, itertools.repeat("id")))
        return list(map(operator.eq, validate._digests(b, ids, ops), map(dict.get, objs, key)))

    def worker(b: list[bytes], objs: list[dict]) -> object:
        return validate.check_block(b, 2, "x", st, validate.ChunkResult(), first_block=False)

    gc.disable()
    try:
        rows = [
            ("parse (orjson.loads)", per_line(lambda b, o: list(map(ops.loads, b)))),
            (
                "schema verdict, "
                + ("jsonschema-rs" if ops.verdict is not st.fast else "Python (no native)"),
                per_line(lambda b, o: list(map(ops.verdict, o))),
            ),
            ("schema verdict, compiled Python", per_line(lambda b, o: list(map(st.fast, o)))),
            (
                "compact form (dumps == line)",
                per_line(lambda b, o: list(map(operator.eq, map(ops.dumps, o), b))),
            ),
            ("nested key order, Python", per_line(nested)),
            ("content hash, Python", per_line(content_hash)),
        ]
        if ops.scan is not None:
            rows.append(("nested order + hash, native scan", per_line(lambda b, o: ops.scan(b))))
        rows.append(("the whole batch path, one core", per_line(worker)))
    finally:
        gc.enable()
    native = "native scanner " + ("on" if ops.scan is not None else "OFF")
    native += ", jsonschema-rs verdict " + ("on" if ops.verdict is not st.fast else "OFF")
    print(f"  per line on one core ({n:,} lines, best of 3; {native}):")
    for name, us in rows:
        print(f"    {name:36s} {us:5.2f} us")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    base_schema = json.loads(
        (Path(__file__).parent.parent / "schemas/example.schema.json").read_text()
    )
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "big"
        root.mkdir()
        t0 = time.perf_counter()
        path = setup_repo(root, args.lines)
        small_root = Path(d) / "quarter"
        small_root.mkdir()
        setup_repo(small_root, args.lines // 4)
        size_mb = path.stat().st_size / 2**20
        print(
            f"{args.lines:,} lines, {size_mb:.0f} MB (generated in {time.perf_counter() - t0:.0f} s)"
        )
        base = statistics.median(orjson_rate(path) for _ in range(args.repeat))
        js, fj = validator_rates(path, base_schema, 20000)
        runs = [run_validate(root) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        peak_full = max(r[1] for r in runs)
        _, peak_quarter, _ = run_validate(small_root)
        rate = args.lines / wall
        print(f"  baseline: orjson parse only (1 core)    {base:12,.0f} lines/s   1.00x")
        print(f"  jsonschema, parse + validate (1 core)   {js:12,.0f} lines/s   {js / base:.2f}x")
        print(f"  fastjsonschema, parse + validate        {fj:12,.0f} lines/s   {fj / base:.2f}x")
        print(
            f"  goldset validate (whole command)        {rate:12,.0f} lines/s   {rate / base:.2f}x   (target >= 0.5x)"
        )
        print(
            f"    wall {wall:.2f} s (median of {args.repeat}); checks: schema, canonical form, content hash, ids, strata, slices"
        )
        print(
            f"  peak RSS: {peak_quarter / 1024:.0f} MB at {args.lines // 4:,} lines, {peak_full / 1024:.0f} MB at {args.lines:,} lines (file {size_mb:.0f} MB)"
        )
        stage_costs(root, path, min(100_000, args.lines))


if __name__ == "__main__":
    main()
