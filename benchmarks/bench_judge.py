"""Judge throughput: 10,000 pointwise judge calls against a loopback server answering in 200 ms.

    python benchmarks/bench_judge.py                 # the full run (about a minute)
    python benchmarks/bench_judge.py --calls 2000    # quicker
    python benchmarks/bench_judge.py --profile       # where the time goes, by package

Prints, for the first (cold) run, wall time against the ideal
``calls x latency / concurrency`` (throughput ratio = ideal / wall; 1.0 is
perfect), then the second run on the same set (zero calls: everything is
kept or cached), and a baseline measured in the same run: bare
``litellm.acompletion`` at the same concurrency, no goldset, which is the
ceiling litellm's own per-call overhead sets on this machine.

The server runs in its own process (tests/fake_llm.py), so its CPU is not
charged to the client; on a 2-core machine the two still share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

CONFIG = """
version: 1
variants:
  v: {{model: openai/fake-model}}
rubric:
  criteria:
    - {{name: correct, question: Does the answer match the reference?}}
    - {{name: polite, question: Is the tone polite?}}
    - {{name: grounded, question: Is every claim supported by the input?}}
judges:
  bench:
    model: openai/bench-judge
    params: {{api_base: "{api_base}", api_key_env: BENCH_KEY}}
"""


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE.parent / "tests" / "fake_llm.py"), "--delay", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline().split()[1])
    return proc, f"http://127.0.0.1:{port}/v1"


def build_project(root: Path, url: str, n: int) -> None:
    from fake_llm import write_examples

    from goldset import config, golden, results

    (root / ".git").mkdir(parents=True)
    (root / "goldset.yaml").write_text(CONFIG.format(api_base=url))
    write_examples(
        root,
        [
            {"id": f"ex-{i:05d}", "input": f"question {i}", "reference": f"answer {i}"}
            for i in range(n)
        ],
    )
    ex = golden.read_set(config.load(root))
    recs = [
        {
            "example_id": i,
            "example_hash": e["content_hash"],
            "output": f"answer: {e['input']}",
            "error": None,
            "cached": False,
        }
        for i, e in ex.items()
    ]
    results.write(root / "evals" / "results", "v", recs, {"variant": "v"})


def judge_once(root: Path, concurrency: int, workers: int = 1) -> tuple[float, dict]:
    from goldset import config, judging, llm

    cfg = config.load(root)
    settings = llm.Settings(concurrency=concurrency, timeout=30, retries=2, workers=workers)
    t0 = time.perf_counter()
    [run] = judging.run(cfg, ["bench"], settings)
    return time.perf_counter() - t0, run.as_dict()


def bare_litellm(url: str, calls: int, concurrency: int) -> float:
    """The same judge prompts through bare litellm.acompletion: litellm's own ceiling."""
    from goldset import judging, llm, llm_config

    litellm = llm.litellm_module()
    prompt = llm_config.Prompt(
        (HERE.parent / "templates" / "prompts" / "judge_pointwise.j2").read_text(), "bench"
    )
    crit = [
        llm_config.Criterion("correct", "Does the answer match the reference?"),
        llm_config.Criterion("polite", "Is the tone polite?"),
        llm_config.Criterion("grounded", "Is every claim supported by the input?"),
    ]
    texts = [
        judging.pointwise_prompt(
            prompt, {"input": f"bare {i}", "reference": f"answer {i}"}, f"answer: bare {i}", crit
        )
        for i in range(calls)
    ]

    async def main() -> float:
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await litellm.acompletion(
                    model="openai/bench-judge",
                    api_base=url,
                    api_key="x",
                    messages=[{"role": "user", "content": texts[i] if i >= 0 else "warm"}],
                    max_retries=0,
                    num_retries=0,
                    timeout=30,
                )

        await one(-1)  # warm the client
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        return time.perf_counter() - t0

    return asyncio.run(main())


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        f = filename.replace("\\", "/")
        if "site-packages/" in f:
            pkg = f.split("site-packages/")[1].split("/")[0]
        elif "/goldset/" in f:
            pkg = "goldset"
        elif "/asyncio/" in f:
            pkg = "asyncio (stdlib)"
        elif f.startswith("~") or f.startswith("<"):
            pkg = "builtins (C)"
        else:
            pkg = "other stdlib"
        totals[pkg] += tottime
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument(
        "--repeat", type=int, default=1, help="cold runs (fresh cache each); the median is reported"
    )
    ap.add_argument("--baseline-calls", type=int, default=3000)
    ap.add_argument(
        "--profile", action="store_true", help="profile one cold run and print time by package"
    )
    ap.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="worker processes to measure (goldset judge --workers); each gets its own cold run",
    )
    args = ap.parse_args()
    os.environ["BENCH_KEY"] = "x"
    proc, url = start_server(args.latency)
    ideal = args.calls * args.latency / args.concurrency
    try:
        print(
            f"machine: {os.cpu_count()} cores; server: {url} answering in {args.latency * 1000:.0f} ms"
        )
        print(f"calls: {args.calls}  concurrency: {args.concurrency}  ideal wall: {ideal:.2f} s")
        from goldset import llm

        t0 = time.perf_counter()
        llm.litellm_module()  # a one-off, not charged to the runs
        print(f"litellm import: {time.perf_counter() - t0:.2f} s (not counted below)")
        n = args.baseline_calls
        bare = bare_litellm(url, n, args.concurrency)
        bare_ideal = n * args.latency / args.concurrency
        print(
            f"baseline, bare litellm.acompletion x{n} (same judge prompts, concurrency {args.concurrency},"
            f" one process): {bare:.2f} s -> {bare_ideal / bare:.2f} of ideal"
            f" ({1000 * bare / n:.2f} ms wall per call: litellm's own ceiling here)"
        )
        for workers in args.workers:
            colds, warms = [], []
            for rep in range(args.repeat):
                with tempfile.TemporaryDirectory() as tmp:
                    root = Path(tmp) / "proj"
                    build_project(root, url, args.calls)
                    os.environ["GOLDSET_CACHE_DIR"] = str(Path(tmp) / "cache")
                    prof = cProfile.Profile() if args.profile and workers == 1 else None
                    if prof:
                        prof.enable()
                    wall, run = judge_once(root, args.concurrency, workers)
                    if prof:
                        prof.disable()
                    assert run["calls"] == args.calls, run
                    colds.append(wall)
                    wall2, run2 = judge_once(root, args.concurrency, workers)
                    assert run2["calls"] == 0, run2
                    warms.append(wall2)
                    print(
                        f"workers {workers}, run {rep + 1}: cold {wall:.2f} s ({args.calls / wall:.0f} calls/s,"
                        f" {ideal / wall:.2f} of ideal); second run {wall2:.2f} s with {run2['calls']} calls"
                    )
                    if prof:
                        s = pstats.Stats(prof)
                        total = sum(t for _, t in by_package(s))
                        print("\nprofile of the cold run (workers 1), own time by package:")
                        for pkg, t in by_package(s)[:12]:
                            print(
                                f"  {pkg:<24} {t:7.2f} s  {100 * t / total:5.1f} %  {1000 * t / args.calls:6.2f} ms/call"
                            )
                        out = io.StringIO()
                        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
                        print(out.getvalue())
            os.environ.pop("GOLDSET_CACHE_DIR", None)
            cold = statistics.median(colds)
            print(
                f"workers {workers}: median cold {cold:.2f} s -> {ideal / cold:.2f} of ideal (target > 0.8);"
                f" {1000 * cold / args.calls:.2f} ms per call vs bare litellm {1000 * bare / n:.2f} ms;"
                f" median second run {statistics.median(warms):.2f} s with 0 calls"
            )
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    main()
