"""The pre-commit path: `validate --staged` + `check-changelog --staged` on a
500-example set in a real repository, against the peer hook check-jsonschema
validating one small JSON file, measured in the same run.

    python benchmarks/bench_hook.py [--repeat 21]

Targets (issue 2): both goldset checks together under 100 ms, and at least
2.4x faster than check-jsonschema.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import git, median_ms, time_cmd, tool


def build_repo(root: Path, n: int) -> None:
    git(root, "init", "-q")
    git(root, "config", "user.name", "Bench")
    git(root, "config", "user.email", "bench@example.com")
    goldset = tool("goldset")
    time_cmd([goldset, "init"], root, repeat=1)
    rng = random.Random(7)
    rows = [
        {
            "id": f"ex-{i:04d}",
            "input": f"Customer {i} asks whether the annual plan can be refunded after {rng.randint(1, 90)} days.",
            "reference": f"Refund policy answer {i}",
            "slice": {"category": rng.choice(["billing", "refunds", "account"])},
            "stratum": rng.choice(["real_traffic", "failure_mode", "edge_case"]),
            "tags": ["support"],
        }
        for i in range(n)
    ]
    src = root / "rows.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    time_cmd(
        [goldset, "add", str(src), "--why", "seed the set from the March support tickets"],
        root,
        repeat=1,
    )
    src.unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", "seed")
    time_cmd(
        [
            goldset,
            "edit",
            "ex-0042",
            "--set",
            "reference=Refunds within 30 days",
            "--why",
            "the policy changed in May for annual plans",
        ],
        root,
        repeat=1,
    )
    git(root, "add", "-A")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--examples", type=int, default=500)
    args = ap.parse_args()
    hook = tool("goldset-hook")
    goldset = tool("goldset")
    cjs = tool("check-jsonschema")
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        build_repo(root, args.examples)
        small = root / "small.json"
        small.write_text(json.dumps({"id": "a", "input": "hello"}))
        schema = root / "small.schema.json"
        schema.write_text(
            json.dumps(
                {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
            )
        )
        # Warm-up: first runs build the validator and config caches.
        time_cmd([hook, "validate", "--staged"], root, repeat=2)
        time_cmd([hook, "check-changelog", "--staged"], root, repeat=2)
        time_cmd([cjs, "--schemafile", str(schema), str(small)], root, repeat=2)

        v, c, both, cli_v, base = [], [], [], [], []
        for _ in range(args.repeat):
            tv = time_cmd([hook, "validate", "--staged"], root, repeat=1)[0]
            tc = time_cmd([hook, "check-changelog", "--staged"], root, repeat=1)[0]
            v.append(tv)
            c.append(tc)
            both.append(tv + tc)
            cli_v.append(time_cmd([goldset, "validate", "--staged"], root, repeat=1)[0])
            base.append(time_cmd([cjs, "--schemafile", str(schema), str(small)], root, repeat=1)[0])
        m_both, m_base = median_ms(both), median_ms(base)
        print(
            f"pre-commit path on a {args.examples}-example set, median of {args.repeat} runs each"
        )
        print(f"  goldset-hook validate --staged          {median_ms(v):7.1f} ms")
        print(f"  goldset-hook check-changelog --staged   {median_ms(c):7.1f} ms")
        print(f"  both checks together                    {m_both:7.1f} ms   (target < 100 ms)")
        print(f"  goldset validate --staged (click CLI)   {median_ms(cli_v):7.1f} ms")
        print(f"  baseline: check-jsonschema, 1 file      {m_base:7.1f} ms")
        print(
            f"  ratio baseline / goldset (both checks)  {m_base / m_both:7.2f} x   (target >= 2.4 x)"
        )


if __name__ == "__main__":
    main()
