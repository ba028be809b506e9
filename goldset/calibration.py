"""The core of ``goldset calibrate``: may this judge be trusted? Humans decide.

For each judge, Cohen's kappa between its verdicts and the human labels on
the items both rated (same example content; per criterion, or on the
pairwise winner), with a confidence interval, from goldset.agreement and the
statistics core. A judge with kappa under ``agreement.judge_threshold``
(default 0.5) on any criterion is untrusted; one with no overlap is
uncalibrated. The verdict is stored in ``<judgments>/<judge>.calibration.json``
with the hash of the judge's model, params, prompt and rubric, and goes stale
as soon as any of them changes: ``status`` is what reports and gates call.

A human label that names no ``variant`` is compared with the judge's verdict
on the judge's first variant (``judges.<name>.variants[0]``, else the first
variant it judged in alphabetical order).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from goldset import __version__, atomic
from goldset.errors import UsageError

SUFFIX = ".calibration.json"
STATUSES = ("trusted", "untrusted", "uncalibrated", "stale")


def path_for(cfg: Any, judge: str) -> Path:
    return cfg.path("judgments") / f"{judge}{SUFFIX}"


def _primary_variant(judge: Any, records: list[dict[str, Any]]) -> str | None:
    if judge.variants:
        return judge.variants[0]
    vs = sorted({r["variant"] for r in records if isinstance(r.get("variant"), str)})
    return vs[0] if vs else None


def calibrate(
    cfg: Any, names: list[str], *, seed: int = 0, n_boot: int = 1000, level: float = 0.95
) -> list[dict[str, Any]]:
    """Compute and store the calibration of the named judges (all when empty)."""
    from goldset import agreement, golden, llm_config, votes
    from goldset.generate import now_iso

    judges = llm_config.judges(cfg)
    if not judges:
        raise UsageError("goldset.yaml declares no judges", hint="add one under `judges:`")
    chosen = names or sorted(judges)
    for n in chosen:
        if n not in judges:
            raise UsageError(f"no judge named {n!r} (known: {', '.join(sorted(judges))})")
    threshold = float(cfg["agreement"]["judge_threshold"])
    examples = golden.read_set(cfg)
    labels, judgments = votes.load_records(cfg)
    out = []
    for name in chosen:
        judge = judges[name]
        mine = [r for r in judgments if r.get("judge") == name]
        if judge.kind == "pointwise":
            mine = [r for r in mine if "criterion" in r]
            primary = _primary_variant(judge, mine)
            human_items = {
                (r["example_id"], r.get("variant"), r["criterion"])
                for r in labels
                if "criterion" in r
            }
            extra = []
            for r in mine:
                if (
                    r.get("variant") == primary
                    and (r["example_id"], None, r["criterion"]) in human_items
                ):
                    copy = dict(r)
                    copy.pop("variant", None)
                    extra.append(copy)
            mine = mine + extra
            human = [r for r in labels if "criterion" in r]
        else:
            mine = [r for r in mine if "winner" in r]
            human = [r for r in labels if "winner" in r]
        rep = agreement.compute(
            cfg,
            labels=human,
            judgments=mine,
            golden=examples,
            judge_threshold=threshold,
            seed=seed,
            n_boot=n_boot,
            level=level,
            by_slice=False,
        )
        criteria: dict[str, Any] = {}
        reasons: list[str] = []
        any_calibrated = False
        trusted = True
        for entry in rep["criteria"]:
            crit = entry["criterion"]
            if judge.kind == "pointwise" and crit not in {c.name for c in judge.criteria}:
                continue
            if judge.kind == "pairwise" and entry["kind"] != "pairwise":
                continue
            row = next((j for j in entry["judges"] if j["judge"] == name), None)
            if row is None:
                continue
            ok = None
            if row.get("calibrated") and row.get("n"):
                any_calibrated = True
                k = row.get("kappa")
                ok = k is not None and k >= threshold
                primary_row = crit != agreement.NO_TIES
                if not ok and primary_row:
                    trusted = False
                    reasons.append(
                        f"{crit}: kappa {k:.2f} < {threshold}"
                        if k is not None
                        else f"{crit}: kappa undefined ({row.get('note') or 'one category only'})"
                    )
            criteria[crit] = {
                "kappa": row.get("kappa"),
                "se": row.get("se"),
                "ci": row.get("ci"),
                "ci_method": row.get("ci_method"),
                "level": row.get("level"),
                "n": row.get("n", 0),
                "n_items": row.get("n_items", 0),
                "agreement": row.get("raw_agreement"),
                "trusted": ok,
                "note": row.get("note"),
            }
        if not any_calibrated:
            status = "uncalibrated"
            reasons.append("no human labels on the items this judge rated")
            trusted_v: bool | None = None
        elif trusted:
            status, trusted_v = "trusted", True
        else:
            status, trusted_v = "untrusted", False
        doc = {
            "judge": name,
            "kind": judge.kind,
            "model": judge.model,
            "judge_hash": judge.hash,
            "threshold": threshold,
            "status": status,
            "trusted": trusted_v,
            "reasons": reasons,
            "criteria": criteria,
            "humans": rep["humans"],
            "golden_hash": golden.set_hash(examples),
            "seed": seed,
            "n_boot": n_boot,
            "tool_version": __version__,
            "created_at": now_iso(),
        }
        p = path_for(cfg, name)
        atomic.write_text(p, json.dumps(doc, indent=2, sort_keys=True) + "\n")
        doc["path"] = p.relative_to(cfg.root).as_posix()
        out.append(doc)
    return out


def status(cfg: Any, judge: str) -> dict[str, Any]:
    """Whether ``judge``'s numbers may be trusted now: read by reports and gates.

    ``status`` is trusted, untrusted, uncalibrated (never calibrated, or no
    overlap with humans) or stale (the judge's model, params, prompt or
    rubric changed since). ``trusted`` is True only for ``trusted``.
    """
    from goldset import llm_config

    judges = llm_config.judges(cfg)
    p = path_for(cfg, judge)
    base: dict[str, Any] = {"judge": judge, "path": p.relative_to(cfg.root).as_posix()}
    try:
        doc = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        return {
            **base,
            "status": "uncalibrated",
            "trusted": False,
            "reasons": ["never calibrated: run `goldset calibrate`"],
        }
    except (OSError, ValueError) as exc:
        return {
            **base,
            "status": "uncalibrated",
            "trusted": False,
            "reasons": [f"unreadable calibration: {exc}"],
        }
    current = judges.get(judge)
    if current is not None and current.hash != doc.get("judge_hash"):
        return {
            **base,
            "status": "stale",
            "trusted": False,
            "reasons": [
                "the judge's model, params, prompt or rubric changed since calibration: re-run `goldset calibrate`"
            ],
            "criteria": doc.get("criteria", {}),
        }
    st = doc.get("status")
    if st not in STATUSES:
        st = "uncalibrated"
    return {
        **base,
        "status": st,
        "trusted": st == "trusted",
        "reasons": list(doc.get("reasons") or []),
        "criteria": doc.get("criteria", {}),
    }


def statuses(cfg: Any) -> dict[str, dict[str, Any]]:
    """``status`` of every judge declared in goldset.yaml, by name."""
    from goldset import llm_config

    return {name: status(cfg, name) for name in sorted(llm_config.judges(cfg))}
