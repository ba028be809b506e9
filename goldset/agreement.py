"""The core of ``goldset agree``: human-human and judge-human agreement.

For every criterion (each pointwise ``criterion``, and ``pairwise`` for A/B/tie
votes, with its "without ties" variant as in the MT-Bench paper) and for every
slice value, it reports:

* humans vs humans (the calibration of the rubric): raw agreement over every
  pair of human votes on the same item (the MT-Bench paper's definition), and
  a chance-corrected coefficient: Cohen's kappa when exactly two humans rated,
  Krippendorff's alpha (nominal) when more did; warned under
  ``agreement.human_threshold``;
* each judge vs the humans: Cohen's kappa over every (judge vote, human vote)
  pair on the same item, judge on the rows of the confusion matrix; a judge
  under ``agreement.judge_threshold`` on any criterion is not trustworthy.

Every coefficient carries n, a confusion matrix, raw agreement, prevalence and
bias indices, and a bootstrap interval that resamples whole examples (an
example carries several items), with the seed reported.

Pairwise categories are relative to the two variants in sorted order: ``a``
means the alphabetically first variant won, ``b`` the second, ``tie`` a tie.

``compute`` takes a Config (reads the working tree) or already-loaded records
(lists of dicts, e.g. read from git objects by the diff), and returns plain data.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from goldset import votes as votes_mod
from goldset.errors import ConfigError, InputError
from goldset.stats._common import StatsError

PAIRWISE = "pairwise"
NO_TIES = "pairwise (without ties)"
PAIR_CATEGORIES = ["a", "b", "tie"]


def _settings(cfg: Any) -> dict[str, Any]:
    if cfg is None:
        return {"human_threshold": 0.6, "judge_threshold": 0.5, "pairwise_inconsistent": "tie"}
    return dict(cfg["agreement"])


def load_golden(cfg: Any) -> dict[str, dict[str, Any]] | None:
    """The working tree's golden set (id -> example), or None when there is none yet."""
    from goldset import golden

    try:
        folder = cfg.path("golden")
    except ConfigError:
        return None
    if not folder.is_dir():
        return None
    return golden.read_set(cfg)


# Each criterion's votes: item -> list of (rater, kind, value, example_id).
Group = dict[tuple[Any, ...], list[tuple[str, str, Any, str]]]


def _groups(tables: votes_mod.VoteTables) -> list[tuple[str, str, list[Any], Group]]:
    out: dict[str, tuple[str, list[Any], Group]] = {}
    for v in tables.points:
        _, _, g = out.setdefault(v.criterion, ("pointwise", [], {}))
        g.setdefault(v.item, []).append((v.rater, v.kind, v.value, v.example_id))
    result = []
    for name in sorted(out):
        kind, _, g = out[name]
        values = {x[2] for vs in g.values() for x in vs}
        if values <= {True, False} and all(isinstance(x, bool) for x in values):
            cats: list[Any] = [False, True]
        else:
            cats = sorted(values, key=lambda x: (type(x).__name__, x))
        result.append((name, kind, cats, g))
    if tables.pairs:
        g2: Group = {}
        for p in tables.pairs:
            g2.setdefault(p.item, []).append((p.rater, p.kind, p.canonical, p.example_id))
        result.append((PAIRWISE, "pairwise", list(PAIR_CATEGORIES), g2))
    return result


def _restrict(group: Group, examples: set[str] | None) -> Group:
    if examples is None:
        return group
    return {k: v for k, v in group.items() if v and v[0][3] in examples}


def _human(
    group: Group,
    cats: list[Any],
    *,
    no_ties: bool,
    threshold: float,
    seed: int,
    n_boot: int,
    level: float,
) -> dict[str, Any] | None:
    from goldset.stats import kappa, krippendorff

    items: list[tuple[tuple[Any, ...], list[tuple[str, Any, str]]]] = []
    for key, vs in group.items():
        hv = [(r, val, ex) for r, k, val, ex in vs if k == "human"]
        if len(hv) >= 2:
            items.append((key, sorted(hv, key=lambda t: t[0])))
    if not items:
        return None
    use_cats = [c for c in cats if not (no_ties and c == "tie")]
    idx = {c: i for i, c in enumerate(use_cats)}
    k = len(use_cats)
    import numpy as np

    pair_table = np.zeros((k, k), dtype=np.int64)
    agree = total = 0
    raters: set[str] = set()
    for _, hv in items:
        for (r1, v1, _), (r2, v2, _) in itertools.combinations(hv, 2):
            if no_ties and ("tie" in (v1, v2)):
                continue
            total += 1
            agree += v1 == v2
            pair_table[idx[v1], idx[v2]] += 1
            raters.update((r1, r2))
    if total == 0:
        return None
    out: dict[str, Any] = {
        "raters": sorted(raters),
        "n_items": sum(
            1 for _, hv in items if sum(1 for x in hv if not (no_ties and x[1] == "tie")) >= 2
        ),
        "n_pairs": total,
        "agreement": agree / total,
        "categories": use_cats,
        "confusion": pair_table.tolist(),
        "confusion_rows": "the alphabetically first rater of each pair of votes",
    }
    note = None
    if len(raters) == 2:
        r_a, r_b = sorted(raters)
        a_vals, b_vals, clusters = [], [], []
        for _, hv in items:
            d = {r: (val, ex) for r, val, ex in hv}
            if r_a in d and r_b in d:
                if no_ties and "tie" in (d[r_a][0], d[r_b][0]):
                    continue
                a_vals.append(d[r_a][0])
                b_vals.append(d[r_b][0])
                clusters.append(d[r_a][1])
        res = kappa.cohen_kappa(
            a_vals,
            b_vals,
            categories=use_cats,
            n_boot=n_boot,
            seed=seed,
            level=level,
            clusters=clusters,
        )
        out.update(
            statistic="cohen_kappa",
            kappa=res.kappa,
            se=res.se,
            ci=list(res.ci),
            ci_method=res.ci_method,
            prevalence_index=res.prevalence_index,
            bias_index=res.bias_index,
            pabak=res.pabak,
            expected=res.expected,
        )
        note = res.note
    else:
        counts = np.zeros((len(items), k), dtype=np.int64)
        clusters = []
        for u, (_, hv) in enumerate(items):
            for _, val, _ in hv:
                if no_ties and val == "tie":
                    continue
                counts[u, idx[val]] += 1
            clusters.append(hv[0][2])
        try:
            res_a = krippendorff.krippendorff_alpha(
                counts=counts,
                values=use_cats,
                level="nominal",
                n_boot=n_boot,
                seed=seed,
                conf_level=level,
                clusters=clusters,
            )
        except StatsError as exc:
            note = str(exc)
            res_a = None
        p = pair_table / total
        r_m, c_m = p.sum(axis=1), p.sum(axis=0)
        out.update(
            statistic="krippendorff_alpha",
            kappa=res_a.alpha if res_a else None,
            se=None,
            ci=list(res_a.ci) if res_a else [None, None],
            ci_method=res_a.ci_method if res_a else None,
            prevalence_index=abs(float(p[0, 0] - p[1, 1])) if k == 2 else None,
            bias_index=0.5 * float(np.abs(r_m - c_m).sum()),
            pabak=(k * (agree / total) - 1.0) / (k - 1.0) if k > 1 else 1.0,
            expected=res_a.expected_disagreement if res_a else None,
        )
        if res_a is not None and res_a.note:
            note = res_a.note
    out["n_raters"] = len(raters)
    out["note"] = note
    out["threshold"] = threshold
    out["below_threshold"] = out["kappa"] is not None and out["kappa"] < threshold
    return out


def _judges(
    group: Group,
    cats: list[Any],
    *,
    no_ties: bool,
    threshold: float,
    seed: int,
    n_boot: int,
    level: float,
) -> list[dict[str, Any]]:
    from goldset.stats import kappa

    judges = sorted({r for vs in group.values() for r, k, _, _ in vs if k == "judge"})
    use_cats = [c for c in cats if not (no_ties and c == "tie")]
    out = []
    for j in judges:
        jv, hv, clusters = [], [], []
        items = set()
        humans = set()
        for key, vs in group.items():
            mine = [val for r, k, val, _ in vs if k == "judge" and r == j]
            if not mine:
                continue
            for r, k, val, ex in vs:
                if k != "human":
                    continue
                if no_ties and "tie" in (mine[0], val):
                    continue
                jv.append(mine[0])
                hv.append(val)
                clusters.append(ex)
                items.add(key)
                humans.add(r)
        row: dict[str, Any] = {"judge": j, "n_items": len(items), "n_humans": len(humans)}
        if not jv:
            row.update(
                n=0, kappa=None, calibrated=False, below_threshold=False, threshold=threshold
            )
            row["note"] = "no human rated the items this judge rated"
            out.append(row)
            continue
        res = kappa.cohen_kappa(
            jv, hv, categories=use_cats, n_boot=n_boot, seed=seed, level=level, clusters=clusters
        )
        d = res.as_dict()
        d["agreement"] = res.raw_agreement
        row.update(d)
        row["confusion_rows"] = "judge"
        row["calibrated"] = True
        row["threshold"] = threshold
        row["below_threshold"] = res.kappa is not None and res.kappa < threshold
        out.append(row)
    return out


def _block(
    group: Group,
    cats: list[Any],
    *,
    no_ties: bool,
    s: Mapping[str, Any],
    seed: int,
    n_boot: int,
    level: float,
) -> dict[str, Any]:
    return {
        "human": _human(
            group,
            cats,
            no_ties=no_ties,
            threshold=s["human_threshold"],
            seed=seed,
            n_boot=n_boot,
            level=level,
        ),
        "judges": _judges(
            group,
            cats,
            no_ties=no_ties,
            threshold=s["judge_threshold"],
            seed=seed,
            n_boot=n_boot,
            level=level,
        ),
    }


def compute(
    cfg: Any = None,
    *,
    labels: Sequence[Mapping[str, Any]] | None = None,
    judgments: Sequence[Mapping[str, Any]] | None = None,
    golden: Mapping[str, Mapping[str, Any]] | None = None,
    human_threshold: float | None = None,
    judge_threshold: float | None = None,
    pairwise_inconsistent: str | None = None,
    slice_keys: Sequence[str] | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    level: float = 0.95,
    turn: int | None = None,
    criteria: Sequence[str] | None = None,
    include_stale: bool = False,
    by_slice: bool = True,
) -> dict[str, Any]:
    """Agreement report as plain data (see the module docstring).

    With ``cfg`` and no records, the labels and judgments of the working tree
    are read (and the golden set, for slices and staleness). Records passed in
    are used as they are; the rater defaults to ``annotator``/``judge``.
    """
    s = _settings(cfg)
    if human_threshold is not None:
        s["human_threshold"] = human_threshold
    if judge_threshold is not None:
        s["judge_threshold"] = judge_threshold
    if pairwise_inconsistent is not None:
        s["pairwise_inconsistent"] = pairwise_inconsistent
    if labels is None and judgments is None:
        if cfg is None:
            raise InputError("agreement needs a project config or label/judgment records")
        labels, judgments = votes_mod.load_records(cfg)
        if golden is None:
            golden = load_golden(cfg)
    tables = votes_mod.build(
        labels or [],
        judgments or [],
        pairwise_inconsistent=s["pairwise_inconsistent"],
        golden=golden,
        include_stale=include_stale,
        turn=turn,
    )
    keys = (
        list(slice_keys) if slice_keys is not None else (cfg.slice_keys if cfg is not None else [])
    )
    if golden and not keys:
        found = set()
        for ex in golden.values():
            sl = ex.get("slice")
            if isinstance(sl, dict):
                found.update(sl)
        keys = sorted(found)
    slice_members: list[tuple[str, str, set[str]]] = []
    if golden and by_slice:
        for key in keys:
            values: dict[str, set[str]] = {}
            for ex_id, ex in golden.items():
                sl = ex.get("slice")
                if isinstance(sl, dict) and key in sl:
                    values.setdefault(str(sl[key]), set()).add(ex_id)
            for val in sorted(values):
                slice_members.append((key, val, values[val]))
    report_criteria = []
    warnings = list(tables.warnings)
    judge_info: dict[str, dict[str, Any]] = {}
    try:
        for name, kind, cats, group in _groups(tables):
            variants = [(name, False)]
            if kind == "pairwise":
                variants.append((NO_TIES, True))
            for crit_name, no_ties in variants:
                if criteria is not None and crit_name not in criteria and name not in criteria:
                    continue
                entry: dict[str, Any] = {
                    "criterion": crit_name,
                    "kind": kind,
                    "categories": [c for c in cats if not (no_ties and c == "tie")],
                    "n_items": len(group),
                }
                entry.update(
                    _block(group, cats, no_ties=no_ties, s=s, seed=seed, n_boot=n_boot, level=level)
                )
                entry["slices"] = []
                for key, val, members in slice_members:
                    sub = _restrict(group, members)
                    if not sub:
                        continue
                    blk = _block(
                        sub, cats, no_ties=no_ties, s=s, seed=seed, n_boot=n_boot, level=level
                    )
                    if blk["human"] is None and not any(j.get("n") for j in blk["judges"]):
                        continue
                    entry["slices"].append({"key": key, "value": val, "n_items": len(sub), **blk})
                report_criteria.append(entry)
                h = entry["human"]
                if h and h["below_threshold"]:
                    warnings.append(
                        f"{crit_name}: human-human {h['statistic']} {h['kappa']:.2f} is under "
                        f"{s['human_threshold']}: the rubric needs work before a judge can be "
                        "calibrated against it"
                    )
                for j in entry["judges"]:
                    info = judge_info.setdefault(
                        j["judge"],
                        {"trusted": True, "calibrated": False, "reasons": [], "kappa": {}},
                    )
                    info["kappa"][crit_name] = j.get("kappa")
                    if j.get("calibrated"):
                        info["calibrated"] = True
                    if no_ties:
                        continue  # trust is decided on the primary variant, ties included
                    if j.get("below_threshold"):
                        info["trusted"] = False
                        info["reasons"].append(
                            f"{crit_name}: kappa {j['kappa']:.2f} < {s['judge_threshold']}"
                        )
    except StatsError as exc:
        raise InputError(f"agreement: {exc}") from None
    for name, info in judge_info.items():
        if not info["calibrated"]:
            info["trusted"] = None
            info["reasons"].append("no human ratings of the same items")
        elif not info["trusted"]:
            warnings.append(
                f"judge {name} is NOT trustworthy ({'; '.join(info['reasons'])}): its numbers "
                "should not decide anything"
            )
    return {
        "settings": {
            "human_threshold": s["human_threshold"],
            "judge_threshold": s["judge_threshold"],
            "pairwise_inconsistent": s["pairwise_inconsistent"],
            "seed": seed,
            "n_boot": n_boot,
            "level": level,
            "turn": turn,
            "slice_keys": keys,
        },
        "counts": dict(tables.counts),
        "humans": tables.raters("human"),
        "criteria": report_criteria,
        "judges": judge_info,
        "untrusted": sorted(n for n, i in judge_info.items() if i["trusted"] is False),
        "uncalibrated": sorted(n for n, i in judge_info.items() if i["trusted"] is None),
        "warnings": warnings,
    }
