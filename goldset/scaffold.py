"""`goldset init`: scaffold a project. Idempotent; never overwrites a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from goldset import atomic, changelog, gitio, resources

CONFIG_TEMPLATE = """\
# goldset project configuration. Docs: https://github.com/goldset/goldset#configuration
version: 1
paths:
  golden: evals/golden            # the golden set: *.jsonl, one example per line
  changelog: evals/CHANGELOG.md   # why every example was added, changed or removed
  schema: evals/schemas/example.schema.json
  results: evals/results          # <variant>.jsonl: outputs, scores, cost, latency
  labels: evals/labels            # <annotator>.jsonl: human ratings
  judgments: evals/judgments      # <judge>.jsonl: LLM-judge verdicts
  templates: null                 # a folder of report/prompt templates overriding goldset's
slices: []                        # slice keys every example must carry, e.g. [category]
stratification:
  strata: [real_traffic, failure_mode, edge_case]
  min_per_stratum: 1
  min_per_slice: 1
  severity: warning               # error: validate fails on thin coverage
agreement:
  human_threshold: 0.6            # human-human kappa below this: fix the rubric first
  judge_threshold: 0.5            # judge-human kappa below this: the judge is not trusted
  pairwise_inconsistent: tie      # a judge verdict that flips with the order: tie or drop
high_stakes_slices: []            # e.g. ["category=billing"]: regressions here fail the gate
rubric:
  criteria: []                    # [{name, question, pass_example, fail_example}]
variants: {}
judges: {}
checks: []
"""

PRECOMMIT_CONFIG = """\
# goldset's checks on every commit: validate what is staged, and refuse a change
# to a golden example that evals/CHANGELOG.md does not justify.
repos:
  - repo: local
    hooks:
      - id: goldset-validate
        name: goldset validate (staged)
        entry: goldset-hook validate
        language: system
        pass_filenames: false
        always_run: true
      - id: goldset-changelog
        name: goldset changelog justification
        entry: goldset-hook check-changelog
        language: system
        pass_filenames: false
        always_run: true
"""

MERGE_DRIVER = "goldset-jsonl"


def gitattributes_lines(golden_rel: str, changelog_rel: str) -> list[str]:
    return [
        f"{golden_rel}/**/*.jsonl merge={MERGE_DRIVER}",
        f"{golden_rel}/*.jsonl merge={MERGE_DRIVER}",
        # Both branches append CHANGELOG entries at the end: keep both sides.
        f"{changelog_rel} merge=union",
    ]


@dataclass
class InitResult:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _create(root: Path, rel: str, text: str, res: InitResult) -> None:
    p = root / rel
    if p.exists():
        res.skipped.append(rel)
        return
    atomic.write_text(p, text)
    res.created.append(rel)


def init_project(root: Path) -> InitResult:
    """Scaffold goldset.yaml, evals/, the schema, CHANGELOG, hooks config and merge settings."""
    res = InitResult()
    _create(root, "goldset.yaml", CONFIG_TEMPLATE, res)
    from goldset import config as config_mod

    cfg = config_mod.load(root)
    golden_rel = cfg.rel("golden")
    _create(root, f"{golden_rel}/golden.jsonl", "", res)
    _create(
        root, cfg.rel("schema"), resources.read_text("schemas", "project-example.schema.json"), res
    )
    _create(root, cfg.rel("changelog"), changelog.PREAMBLE, res)
    for key in ("results", "labels", "judgments"):
        _create(root, f"{cfg.rel(key)}/.gitkeep", "", res)
    if (root / ".pre-commit-config.yaml").exists():
        res.skipped.append(".pre-commit-config.yaml")
        text = (root / ".pre-commit-config.yaml").read_text("utf-8", "replace")
        if "goldset" not in text:
            res.notes.append(
                "add goldset's hooks to your .pre-commit-config.yaml (see hooks/pre-commit-config.sample.yaml)"
            )
    else:
        _create(root, ".pre-commit-config.yaml", PRECOMMIT_CONFIG, res)
    ga = root / ".gitattributes"
    current = ga.read_text("utf-8") if ga.exists() else ""
    have = {line.strip() for line in current.splitlines()}
    missing = [
        line for line in gitattributes_lines(golden_rel, cfg.rel("changelog")) if line not in have
    ]
    if missing:
        text = current + ("" if not current or current.endswith("\n") else "\n")
        text += "# goldset: merge golden JSONL by example id\n" + "".join(m + "\n" for m in missing)
        atomic.write_text(ga, text)
        (res.updated if current else res.created).append(".gitattributes")
    else:
        res.skipped.append(".gitattributes")
    if gitio.is_repo(root):
        gitio.set_config(
            root, f"merge.{MERGE_DRIVER}.name", "goldset: merge golden JSONL by example id"
        )
        gitio.set_config(root, f"merge.{MERGE_DRIVER}.driver", "goldset merge-driver %O %A %B %P")
    else:
        res.notes.append(
            "not a git repository yet: run `git init`, then `goldset init` again for the merge driver"
        )
    return res
