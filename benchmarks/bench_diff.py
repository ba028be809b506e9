"""How fast `goldset diff` and the results-history walk are, against baselines
measured in the same run.

    /work/venv/bin/python benchmarks/bench_diff.py [--examples 5000] [--variants 10]
        [--commits 1000] [--repeat 5]

1. `goldset diff` between two commits of a 5,000-example golden set with 10
   variants (two metrics each, eight slices, 1% of the examples changed,
   added or removed), read from git objects: the core call and the whole CLI.
2. One results file walked through 1,000 commits: goldset.history.walk
   against (a) a single long-lived ``git cat-file --batch`` reader asked for
   ``<commit>:<path>`` per commit (the floor), and (b) ``git show`` per
   revision. Revisions are resolved to full hashes once, up front.

Prints medians and the ratios; the targets are walk <= 1.5x the cat-file
reader and >= 10x faster than git show.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from goldset import config, diff, gitio, golden, history, results

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}
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


def git(root: Path, *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=root, input=input, capture_output=True, env=ENV, check=True
    )
    return proc.stdout.decode().strip()


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# --- 1. diff of a 5,000-example set with 10 variants ---------------------------------


def make_example(i: int, version: int = 0) -> dict:
    ex = {
        "id": f"ex-{i:05d}",
        "input": f"Question {i}: what is {i} plus {i * 7 % 13}?"
        + (" (clarified)" if version else ""),
        "reference": str(i + i * 7 % 13),
        "slice": {"category": CATEGORIES[i % len(CATEGORIES)]},
        "stratum": ["real_traffic", "failure_mode", "edge_case"][i % 3],
        "provenance": {"added_by": "bench", "why": "synthetic benchmark example"},
    }
    ex["content_hash"] = golden.content_hash(ex)
    return golden.canonical_obj(ex)


def results_bytes(examples: list[dict], variant: int, rng: random.Random, shift: float) -> bytes:
    recs = []
    p = 0.55 + 0.03 * variant
    for ex in examples:
        recs.append(
            {
                "example_id": ex["id"],
                "example_hash": ex["content_hash"],
                "output": f"answer {rng.randrange(1000)}",
                "scores": {"exact": rng.random() < p + shift, "f1": round(rng.random(), 4)},
                "cost": round(0.0005 * (variant + 1) * (0.5 + rng.random()), 6),
                "latency_ms": round(200 + 80 * variant + 100 * rng.random(), 1),
                "tokens": {"completion": rng.randrange(10, 200), "prompt": rng.randrange(50, 500)},
                "error": None,
            }
        )
    return results.dump_records(recs)


def build_diff_repo(root: Path, n: int, n_variants: int) -> tuple[str, str]:
    git(root, "init", "-q", "-b", "main")
    (root / "goldset.yaml").write_text(
        "version: 1\nslices: [category]\nhigh_stakes_slices: ['category=math']\n"
    )
    rng = random.Random(7)
    base = [make_example(i) for i in range(n)]
    gold = root / "evals/golden"
    gold.mkdir(parents=True)
    (gold / "set.jsonl").write_bytes(b"".join(golden.canonical_bytes(e) + b"\n" for e in base))
    (root / "evals/CHANGELOG.md").write_text("# Golden set changelog\n")
    res = root / "evals/results"
    res.mkdir()
    for v in range(n_variants):
        (res / f"variant-{v:02d}.jsonl").write_bytes(results_bytes(base, v, rng, 0.0))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    c1 = git(root, "rev-parse", "HEAD")
    # head: 1% changed, 0.4% added, 0.2% removed; results regenerated
    head = [make_example(i, version=1 if i % 100 == 0 else 0) for i in range(n) if i % 500 != 1]
    head += [make_example(n + i) for i in range(n // 250)]
    (gold / "set.jsonl").write_bytes(b"".join(golden.canonical_bytes(e) + b"\n" for e in head))
    changed = [e["id"] for e in head if e["input"].endswith("(clarified)")]
    (root / "evals/CHANGELOG.md").write_text(
        "# Golden set changelog\n\n## 2026-11-29 · bench\n"
        + f"- changed {', '.join(f'`{i}`' for i in changed)}: clarified the wording of the question\n"
    )
    for v in range(n_variants):
        (res / f"variant-{v:02d}.jsonl").write_bytes(results_bytes(head, v, rng, 0.02))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "head")
    return c1, git(root, "rev-parse", "HEAD")


# --- 2. one results file through 1,000 commits --------------------------------------


def build_history_repo(root: Path, commits: int, records: int) -> None:
    """A linear history where every commit rewrites evals/results/v.jsonl (fast-import)."""
    git(root, "init", "-q", "-b", "main")
    rng = random.Random(3)
    scores = [rng.random() < 0.6 for _ in range(records)]
    out = []
    for c in range(commits):
        for _ in range(5):
            scores[rng.randrange(records)] = rng.random() < 0.6
        body = b"".join(
            b'{"example_id":"ex-%05d","example_hash":"%016x","output":"answer %d","scores":{"exact":%s},'
            b'"cost":0.0012,"latency_ms":850,"tokens":{"completion":50,"prompt":100},"error":null}\n'
            % (i, i * 2654435761 % (1 << 64), i, b"true" if s else b"false")
            for i, s in enumerate(scores)
        )
        msg = f"run {c}".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer bench <bench@example.com> %d +0000\n" % (1_700_000_000 + c))
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        out.append(b"M 100644 inline evals/results/v.jsonl\n")
        out.append(b"data %d\n%s\n" % (len(body), body))
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=root, input=b"".join(out), env=ENV, check=True
    )
    git(root, "reset", "-q", "--hard", "main")


def cat_file_reader(root: Path, path: str, revs: list[str]) -> int:
    total = 0
    with gitio.CatFile(root) as cat:
        for rev in revs:
            data = cat.read(f"{rev}:{path}")
            total += len(data or b"")
    return total


def git_show_each(root: Path, path: str, revs: list[str]) -> int:
    total = 0
    for rev in revs:
        proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True)
        total += len(proc.stdout)
    return total


def walk(root: Path, path: str, revs: list[str]) -> int:
    return sum(len(d or b"") for _, d in history.walk(root, path, revs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--examples", type=int, default=5000)
    ap.add_argument("--variants", type=int, default=10)
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "diff"
        root.mkdir()
        t0 = time.perf_counter()
        c1, c2 = build_diff_repo(root, args.examples, args.variants)
        print(
            f"built a {args.examples}-example, {args.variants}-variant repository in {time.perf_counter() - t0:.1f}s"
        )
        cfg = config.load(root)
        d = diff.compute(root, cfg, c1, c2)
        rows = d["metrics"]["rows"]
        print(
            f"diff: {len(rows)} variant x metric x slice rows, {d['metrics']['n_tests']} paired tests, "
            f"{len(d['examples']['changed'])} changed / {len(d['examples']['added'])} added / "
            f"{len(d['examples']['removed'])} removed examples"
        )
        t_core = median_time(lambda: diff.compute(root, cfg, c1, c2), args.repeat)
        exe = [sys.executable, "-m", "goldset", "diff", c1, c2, "--format", "json"]
        t_cli = median_time(
            lambda: subprocess.run(exe, cwd=root, capture_output=True, check=True),
            max(3, args.repeat // 2),
        )
        print(f"  goldset.diff.compute            median {t_core * 1000:8.1f} ms")
        print(f"  `goldset diff BASE HEAD --format json` (process) median {t_cli * 1000:8.1f} ms")

        hroot = Path(tmp) / "history"
        hroot.mkdir()
        t0 = time.perf_counter()
        build_history_repo(hroot, args.commits, args.records)
        print(
            f"\nbuilt {args.commits} commits of a {args.records}-record results file "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        path = "evals/results/v.jsonl"
        t0 = time.perf_counter()
        revs = history.revisions(hroot, "main", max_count=args.commits)
        t_resolve = time.perf_counter() - t0
        assert len(revs) == args.commits
        expect = cat_file_reader(hroot, path, revs)
        assert walk(hroot, path, revs) == expect
        t_cat = median_time(lambda: cat_file_reader(hroot, path, revs), args.repeat)
        t_walk = median_time(lambda: walk(hroot, path, revs), args.repeat)
        t_series = median_time(lambda: history.metric_series(hroot, path, revs), args.repeat)
        t_show = median_time(lambda: git_show_each(hroot, path, revs), max(1, args.repeat // 2))
        print(f"  resolve {args.commits} revisions once (rev-list)  {t_resolve * 1000:8.1f} ms")
        print(f"  baseline: one cat-file --batch reader      median {t_cat * 1000:8.1f} ms")
        print(f"  baseline: git show per revision            median {t_show * 1000:8.1f} ms")
        print(f"  goldset.history.walk                       median {t_walk * 1000:8.1f} ms")
        print(f"  goldset.history.metric_series (walk+parse) median {t_series * 1000:8.1f} ms")
        r_cat = t_walk / t_cat
        r_show = t_show / t_walk
        print(
            f"\n  walk / cat-file reader = {r_cat:.2f}x  (target <= 1.5x): {'ok' if r_cat <= 1.5 else 'MISSED'}"
        )
        print(
            f"  git show / walk        = {r_show:.1f}x  (target >= 10x): {'ok' if r_show >= 10 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
