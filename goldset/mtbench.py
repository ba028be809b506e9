"""The bundled MT-Bench data (Zheng et al. 2023, arXiv:2306.05685) as goldset records.

``data/mt_bench/`` ships the 80 questions, GPT-4 reference answers, 3,355
expert and author pairwise votes (CC BY 4.0) and 2,400 GPT-4 pairwise
verdicts already run in both orders. This module turns them into the shapes of
docs/formats.md:

* golden examples: id ``mtb-<question_id>`` (three digits, ``mtb-081``),
  ``input`` ``{"turns": [...]}``, ``reference`` ``{"turns": [...]}`` where a
  reference answer exists, ``slice`` ``{"category": ...}``;
* label records (``annotator`` = the CSV's judge column, e.g. ``expert_17``);
* judgment records (``judge`` = ``gpt4_pair``), where ``tie (inconsistent)``
  becomes ``winner: "tie"`` with ``consistent: false``.

``a``/``b`` are the CSV's model_a/model_b and ``winner`` is a, b or tie. In the
GPT-4 file the model order is canonicalised, so a and b are not presentation
positions (no ``shown`` field is written).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from goldset.errors import InputError

HUMAN_CSV = "mt_bench_human.csv"
GPT4_CSV = "mt_bench_gpt4_pair.csv"
QUESTIONS = "question.jsonl"
REFERENCES = "reference_answer_gpt-4.jsonl"
GPT4_JUDGE = "gpt4_pair"
MODELS = ("gpt-4", "claude-v1", "gpt-3.5-turbo", "vicuna-13b-v1.2", "alpaca-13b", "llama-13b")
_WINNER = {"model_a": "a", "model_b": "b", "tie": "tie"}
SOURCE = "MT-Bench (Zheng et al. 2023, arXiv:2306.05685), lmsys/mt_bench_human_judgments, CC BY 4.0"


def data_dir() -> Path:
    """The shipped ``data/mt_bench`` folder (wheel or source checkout)."""
    from goldset import resources

    return resources.root("data") / "mt_bench"


def example_id(question_id: int | str) -> str:
    """``mtb-081`` for question 81."""
    try:
        return f"mtb-{int(question_id):03d}"
    except ValueError:
        raise InputError(f"question_id {question_id!r} is not a number") from None


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    need = {"question_id", "model_a", "model_b", "winner", "judge", "turn"}
    if rows and not need <= set(rows[0]):
        raise InputError(f"{path}: expected columns {', '.join(sorted(need))}")
    return rows


def _record(
    row: Mapping[str, str], where: str, rater_key: str, hashes: Mapping[str, str] | None
) -> dict[str, Any]:
    ex = example_id(row["question_id"])
    rec: dict[str, Any] = {"example_id": ex}
    if hashes is not None and ex in hashes:
        rec["example_hash"] = hashes[ex]
    rec[rater_key] = row["judge"]
    rec["a"] = row["model_a"]
    rec["b"] = row["model_b"]
    raw = row["winner"].strip()
    if raw == "tie (inconsistent)":
        rec["winner"] = "tie"
        rec["consistent"] = False
    elif raw in _WINNER:
        rec["winner"] = _WINNER[raw]
        if rater_key == "judge":
            rec["consistent"] = True
    else:
        raise InputError(f"{where}: winner {raw!r} is not model_a, model_b or tie")
    try:
        rec["turn"] = int(row["turn"])
    except ValueError:
        raise InputError(f"{where}: turn {row['turn']!r} is not a number") from None
    return rec


def human_labels(
    path: Path | None = None, *, hashes: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The expert and author votes as label records, in file order.

    ``hashes`` (example id -> content_hash) adds ``example_hash`` to each record.
    """
    p = path or data_dir() / HUMAN_CSV
    return [_record(row, f"{p.name}:{n}", "annotator", hashes) for n, row in enumerate(_rows(p), 2)]


def gpt4_judgments(
    path: Path | None = None, *, hashes: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """GPT-4's two-order pairwise verdicts as judgment records, in file order."""
    p = path or data_dir() / GPT4_CSV
    return [_record(row, f"{p.name}:{n}", "judge", hashes) for n, row in enumerate(_rows(p), 2)]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    out = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise InputError(f"{path}:{n}: invalid JSON: {exc}") from None
    return out


def questions(folder: Path | None = None, *, stratum: str = "real_traffic") -> list[dict[str, Any]]:
    """The 80 questions as golden-example dicts (no provenance or content_hash yet)."""
    d = folder or data_dir()
    refs: dict[int, list[str]] = {}
    ref_path = d / REFERENCES
    if ref_path.is_file():
        for r in _jsonl(ref_path):
            try:
                refs[int(r["question_id"])] = list(r["choices"][0]["turns"])
            except (KeyError, IndexError, TypeError, ValueError):
                continue
    out = []
    for q in _jsonl(d / QUESTIONS):
        qid = int(q["question_id"])
        ex: dict[str, Any] = {"id": example_id(qid), "input": {"turns": list(q["turns"])}}
        if qid in refs:
            ex["reference"] = {"turns": refs[qid]}
        ex["slice"] = {"category": str(q["category"])}
        ex["stratum"] = stratum
        out.append(ex)
    return out


def by_rater(
    records: Iterable[Mapping[str, Any]], rater_key: str
) -> dict[str, list[dict[str, Any]]]:
    """Records grouped by rater: one labels/<annotator>.jsonl (or judgments/<judge>.jsonl) each."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(str(r[rater_key]), []).append(dict(r))
    return dict(sorted(out.items()))
