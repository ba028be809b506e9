"""`goldset demo`: a real repository, a real change, and its PR report, from MT-Bench data.

The demo builds a git repository from the MT-Bench data bundled with goldset
(data/mt_bench: 80 questions, GPT-4 reference answers, 3,355 expert and author
pairwise votes, 2,400 GPT-4 judge verdicts; Zheng et al. 2023):

1. the first commit holds the 80 questions as the golden set (categories as
   slices, ids ``mtb-<question_id>``, the GPT-4 reference answers where they
   exist), its CHANGELOG entry, the expert human votes as labels, and one
   results file per model whose score is real: the model's pairwise win rate
   on each question from the human votes;
2. the second commit changes the set (re-classifies two trick questions as
   edge cases, tags two coding questions, removes one question) with a
   CHANGELOG entry for each, brings in GPT-4's verdicts as judgments, and
   re-scores the results with them;

then it renders the report for that change. The data holds votes, not the
answers' text, so no output is shown and none is made up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from goldset import __version__, atomic, changelog, gitio, golden, mtbench, results
from goldset.errors import UsageError

CREDIT = (
    "Data: MT-Bench questions, GPT-4 reference answers and judge prompts from FastChat "
    "(Apache-2.0); expert human and GPT-4 pairwise judgments from lmsys/mt_bench_human_judgments "
    '(CC BY 4.0). Zheng et al. 2023, "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena", '
    "arXiv:2306.05685. Licences: data/mt_bench/ in the goldset package."
)
AUTHOR = ("goldset demo", "demo@goldset.invalid")
BASE_DATE = "2026-01-05T09:00:00Z"
HEAD_DATE = "2026-01-12T09:00:00Z"
METRIC = "win_rate"

CONFIG = """\
# goldset demo project: MT-Bench (Zheng et al. 2023) as a golden set.
version: 1
paths:
  golden: evals/golden
  changelog: evals/CHANGELOG.md
  schema: evals/schemas/example.schema.json
  results: evals/results
  labels: evals/labels
  judgments: evals/judgments
  templates: null
slices: [category]
stratification:
  strata: [real_traffic, failure_mode, edge_case]
  min_per_stratum: 1
  min_per_slice: 1
  severity: warning
agreement:
  human_threshold: 0.6
  judge_threshold: 0.5
  pairwise_inconsistent: tie
high_stakes_slices: ["category=math", "category=coding"]
"""

# The change the second commit makes, each with the reason its CHANGELOG bullet gives.
EDGE_CASES = ("mtb-101", "mtb-104")
EDGE_REASON = (
    "trick questions whose first-glance answer is wrong (overtaking the second runner; "
    "David's brothers): they test careful reading, so they belong with the edge cases"
)
TAGGED = ("mtb-122", "mtb-126")
TAG = "needs-execution"
TAG_REASON = (
    "the answer is a program that has to be run to be checked; tagged needs-execution "
    "so a code-running scorer can pick them out"
)
REMOVED = "mtb-160"
REMOVED_REASON = (
    "asks for award-winning documentaries: the right answer changes as new awards are "
    "given, so it cannot keep a stable reference"
)


@dataclass
class DemoResult:
    root: Path
    base: str
    head: str
    report: str
    credit: str = CREDIT


def _jsonl(records: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(dict(r)) + b"\n" for r in records)


def _example(raw: Mapping[str, Any], why: str, when: str) -> dict[str, Any]:
    ex = dict(raw)
    ex["provenance"] = {
        "added_at": when,
        "added_by": f"{AUTHOR[0]} <{AUTHOR[1]}>",
        "source": "FastChat llm_judge/data/mt_bench/question.jsonl (Apache-2.0)",
        "why": why,
    }
    ex["content_hash"] = golden.content_hash(ex)
    return golden.canonical_obj(ex)


def win_rates(
    records: Iterable[Mapping[str, Any]], keep: set[str]
) -> dict[str, dict[str, tuple[float, int]]]:
    """model -> example id -> (share of its pairwise comparisons won, ties half; n comparisons)."""
    won: dict[tuple[str, str], float] = defaultdict(float)
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for r in records:
        ex = r["example_id"]
        if ex not in keep:
            continue
        a, b, w = r["a"], r["b"], r["winner"]
        won[(a, ex)] += 1.0 if w == "a" else 0.5 if w == "tie" else 0.0
        won[(b, ex)] += 1.0 if w == "b" else 0.5 if w == "tie" else 0.0
        seen[(a, ex)] += 1
        seen[(b, ex)] += 1
    out: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for (model, ex), n in seen.items():
        out[model][ex] = (won[(model, ex)] / n, n)
    return {m: dict(sorted(v.items())) for m, v in sorted(out.items())}


def _write_results(
    root: Path,
    examples: Mapping[str, Mapping[str, Any]],
    rates: Mapping[str, Mapping[str, tuple[float, int]]],
    *,
    scored_by: str,
    how: str,
    created_at: str,
) -> None:
    folder = root / "evals/results"
    for old in folder.glob("*.jsonl"):
        old.unlink()
    set_hash = golden.set_hash(examples)
    for model in sorted(rates):
        recs = [
            {
                "example_id": ex,
                "example_hash": golden.content_hash(examples[ex]),
                # MT-Bench ships votes, not the answers: there is no output text to record.
                "output": None,
                "scores": {METRIC: round(rate, 6)},
                "cost": None,
                "latency_ms": None,
                "tokens": None,
                "error": None,
                "comparisons": n,
            }
            for ex, (rate, n) in rates[model].items()
        ]
        manifest = {
            "variant": model,
            "model": model,
            "prompt_hash": None,
            "params": {"score": how, "scored_by": scored_by, "outputs": "not in the MT-Bench data"},
            "golden_hash": set_hash,
            "tool_version": f"goldset {__version__}",
            "created_at": created_at,
            "source": mtbench.SOURCE,
        }
        results.write(folder, model, recs, manifest)


def _write_votes(folder: Path, records: list[dict[str, Any]], rater_key: str) -> None:
    for old in folder.glob("*.jsonl"):
        old.unlink()
    for rater, recs in mtbench.by_rater(records, rater_key).items():
        atomic.write_bytes(folder / f"{rater}.jsonl", _jsonl(recs))


def build(target: Path, *, seed: int = 0, n_boot: int = 1000) -> DemoResult:
    """Build the demo repository in ``target`` (absent or empty) and render its report."""
    from goldset import config, diff, report, scaffold

    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target}: not empty; the demo builds a new repository",
            hint="pass an empty or new folder: `goldset demo ./goldset-demo-2`",
        )
    gitio.init_repo(target)
    scaffold.init_project(target)
    atomic.write_text(target / "goldset.yaml", CONFIG)
    # A fresh machine's repo-local config would send the demo commits through the
    # merge driver settings only; identity and dates are passed to each commit.

    # --- commit 1: the golden set, its CHANGELOG, the human votes, human-scored results
    raw = mtbench.questions()
    why = "the 80 MT-Bench questions: multi-turn prompts in eight categories, the standard chat-assistant benchmark"
    base_examples = {r["id"]: _example(r, why, BASE_DATE) for r in raw}
    gold_file = target / "evals/golden/mt_bench.jsonl"
    atomic.write_bytes(
        gold_file, b"".join(golden.canonical_bytes(e) + b"\n" for e in base_examples.values())
    )
    cl_path = target / "evals/CHANGELOG.md"
    cl_text = cl_path.read_text("utf-8") if cl_path.is_file() else None
    ids = sorted(base_examples)
    cl_text = changelog.appended(
        cl_text,
        BASE_DATE[:10],
        f"{AUTHOR[0]} <{AUTHOR[1]}>",
        [changelog.format_bullet("added", ids, why + " (FastChat, Apache-2.0)")],
    )
    atomic.write_text(cl_path, cl_text)
    base_hashes = {i: e["content_hash"] for i, e in base_examples.items()}
    humans = mtbench.human_labels(hashes=base_hashes)
    _write_votes(target / "evals/labels", humans, "annotator")
    _write_results(
        target,
        base_examples,
        win_rates(humans, set(base_examples)),
        scored_by="humans",
        how="win_rate: share of pairwise comparisons won on the question (ties count half), "
        "from the MT-Bench expert and author votes",
        created_at=BASE_DATE,
    )
    base = gitio.commit_all(
        target,
        "Golden set: the 80 MT-Bench questions, expert votes, human-scored results",
        author=AUTHOR[0],
        email=AUTHOR[1],
        date=BASE_DATE,
    )

    # --- commit 2: a justified change to the set, the GPT-4 judge, judge-scored results
    head_examples: dict[str, dict[str, Any]] = {}
    for i, ex in base_examples.items():
        if i == REMOVED:
            continue
        e = {k: v for k, v in ex.items() if k != "content_hash"}
        if i in EDGE_CASES:
            e["stratum"] = "edge_case"
        if i in TAGGED:
            e["tags"] = sorted({*e.get("tags", []), TAG})
        e["content_hash"] = golden.content_hash(e)
        head_examples[i] = golden.canonical_obj(e)
    atomic.write_bytes(
        gold_file, b"".join(golden.canonical_bytes(e) + b"\n" for e in head_examples.values())
    )
    cl_text = changelog.appended(
        cl_text,
        HEAD_DATE[:10],
        f"{AUTHOR[0]} <{AUTHOR[1]}>",
        [
            changelog.format_bullet("changed", list(EDGE_CASES), EDGE_REASON),
            changelog.format_bullet("changed", list(TAGGED), TAG_REASON),
            changelog.format_bullet("removed", [REMOVED], REMOVED_REASON),
        ],
    )
    atomic.write_text(cl_path, cl_text)
    # Votes on the removed question go with it; votes on the edited ones keep their old
    # example_hash, so goldset counts them as stale, exactly as after any real edit.
    _write_votes(
        target / "evals/labels", [r for r in humans if r["example_id"] != REMOVED], "annotator"
    )
    head_hashes = {i: e["content_hash"] for i, e in head_examples.items()}
    judge = [r for r in mtbench.gpt4_judgments(hashes=head_hashes) if r["example_id"] != REMOVED]
    _write_votes(target / "evals/judgments", judge, "judge")
    _write_results(
        target,
        head_examples,
        win_rates(judge, set(head_examples)),
        scored_by=mtbench.GPT4_JUDGE,
        how="win_rate: share of pairwise comparisons won on the question (ties and "
        "order-inconsistent verdicts count half), from GPT-4's pairwise verdicts",
        created_at=HEAD_DATE,
    )
    head = gitio.commit_all(
        target,
        "Re-classify trick questions, tag code questions, drop a time-sensitive one; score with the GPT-4 judge",
        author=AUTHOR[0],
        email=AUTHOR[1],
        date=HEAD_DATE,
    )

    cfg = config.load(target)
    d = diff.compute(target, cfg, base, head, seed=seed, n_boot=n_boot)
    notes = [
        "Demo data: MT-Bench (Zheng et al. 2023). It holds votes, not the answers' text, so no "
        "model output appears below and none is made up; where outputs would go, the questions "
        "and reference answers are shown.",
        f"Each variant is one of the six MT-Bench models; `{METRIC}` is its share of pairwise "
        "comparisons won on a question (ties count half): from the expert human votes at base, "
        f"from GPT-4's verdicts (judge `{mtbench.GPT4_JUDGE}`) at head. The move in the table is "
        "the judge's disagreement with the humans, measured per slice.",
    ]
    md = report.markdown(report.build(d), notes=notes)
    return DemoResult(root=target, base=base, head=head, report=md)
