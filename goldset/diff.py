"""What a change did to the golden set and to every metric: the core of `goldset diff`.

Both sides are read straight from git objects (``ls-tree`` + one long-lived
``cat-file --batch``), never by checking a revision out; the head side may be
the working tree. The result is plain data (dicts and lists, JSON-ready) that
the renderers in goldset.report turn into text, markdown, HTML or JSON.

Metrics are compared *paired*, on the examples whose content is the same on
both sides and that have a result on both sides. Examples that changed, were
added or were removed are counted apart, never mixed into the paired delta.
A move is flagged when its p-value, corrected for the number of comparisons in
the diff (Holm by default), is under ``alpha`` (0.05: about two standard
errors for a single comparison).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldset import changelog as changelog_mod
from goldset import gitio, golden, jsonl, results
from goldset.errors import InputError, UsageError

WORKTREE = "working tree"
RATIONALE_KEYS = ("rationale", "explanation", "note")
VIEW_KEYS = ("input", "reference", "slice", "stratum", "tags")


@dataclass
class Snapshot:
    """One side of a diff: everything goldset keeps, as of one revision."""

    label: str
    rev: str | None
    golden: golden.GoldenSet
    hashes: dict[str, str]
    changelog: str | None
    results: dict[str, results.VariantResults]
    labels: list[dict[str, Any]] = field(default_factory=list)
    judgments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.golden.examples or self.results or self.labels or self.judgments)


# --- reading a side ---------------------------------------------------------


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def _parse_votes(data: bytes, name: str, rater_key: str) -> list[dict[str, Any]]:
    """Label or judgment records; the rater defaults to the file's stem (docs/formats.md)."""
    default = name.rsplit("/", 1)[-1].removesuffix(".jsonl")
    out: list[dict[str, Any]] = []
    for lineno, obj, _ in jsonl.iter_objects(data, name, parse=results._loads):
        if not isinstance(obj.get("example_id"), str):
            raise InputError(f"{name}:{lineno}: expected an object with a string example_id")
        obj.setdefault(rater_key, default)
        out.append(obj)
    return out


def _build(label: str, rev: str | None, cfg: Any, files: Mapping[str, bytes | None]) -> Snapshot:
    gs = golden.GoldenSet()
    golden_prefix = cfg.rel("golden")
    results_prefix = cfg.rel("results")
    labels_prefix = cfg.rel("labels")
    judgments_prefix = cfg.rel("judgments")
    changelog_path = cfg.rel("changelog")
    res_files: dict[str, bytes] = {}
    labels: list[dict[str, Any]] = []
    judgments: list[dict[str, Any]] = []
    text: str | None = None
    where = f" (at {label})" if rev else ""
    for path in sorted(files):
        data = files[path]
        if data is None:
            continue
        try:
            if path == changelog_path:
                text = data.decode("utf-8", "replace")
            elif _is_under(path, golden_prefix) and path.endswith(".jsonl"):
                golden.parse_file(data, path, gs)
            elif _is_under(path, results_prefix) and "/" not in path[len(results_prefix) + 1 :]:
                res_files[path] = data
            elif _is_under(path, labels_prefix) and path.endswith(".jsonl"):
                labels.extend(_parse_votes(data, path, "annotator"))
            elif _is_under(path, judgments_prefix) and path.endswith(".jsonl"):
                judgments.extend(_parse_votes(data, path, "judge"))
        except InputError as exc:
            raise InputError(f"{exc.message}{where}", hint=exc.hint) from None
    try:
        res = results.from_files(res_files)
    except InputError as exc:
        raise InputError(f"{exc.message}{where}", hint=exc.hint) from None
    hashes = {i: golden.content_hash(ex) for i, ex in gs.examples.items()}
    return Snapshot(label, rev, gs, hashes, text, res, labels, judgments)


def _prefixes(cfg: Any) -> list[str]:
    return [cfg.rel(k) for k in ("golden", "results", "labels", "judgments", "changelog")]


def read_rev(root: Path, cfg: Any, rev: str, cat: gitio.CatFile) -> Snapshot:
    """The snapshot of commit ``rev`` (a full hash), read from git objects."""
    listing = gitio.ls_tree_paths(root, rev, _prefixes(cfg))
    files = {path: cat.read(sha) for path, sha in listing.items()}
    return _build(rev[:12], rev, cfg, files)


def read_worktree(cfg: Any) -> Snapshot:
    root: Path = cfg.root
    files: dict[str, bytes | None] = {}
    for prefix in _prefixes(cfg):
        p = root / prefix
        if p.is_file():
            files[prefix] = p.read_bytes()
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    files[f.relative_to(root).as_posix()] = f.read_bytes()
    return _build(WORKTREE, None, cfg, files)


def default_base(root: Path, head: str | None) -> str:
    """The merge-base of ``head`` (or HEAD) with the default branch.

    On the default branch itself the merge-base is the head commit, so a
    committed head is compared with its first parent instead.
    """
    head_rev = head or "HEAD"
    if not gitio.has_head(root):
        raise UsageError("this repository has no commits yet: there is no base to compare with")
    branch = gitio.default_branch(root)
    if branch is None:
        raise UsageError(
            "no default branch (origin/main or main) to take the merge-base from",
            hint="name the base explicitly: `goldset diff BASE [HEAD]`",
        )
    head_hash = gitio.resolve(root, head_rev)
    base = gitio.merge_base(root, gitio.resolve(root, branch), head_hash)
    if base is None:
        if gitio.is_shallow(root):
            raise UsageError(
                f"cannot find the merge-base of {head_rev} and {branch}: this is a shallow clone",
                hint="fetch the history: `git fetch --unshallow origin` "
                "(or actions/checkout with fetch-depth: 0)",
            )
        raise UsageError(
            f"{head_rev} and {branch} share no history",
            hint="name the base explicitly: `goldset diff BASE [HEAD]`",
        )
    if head is not None and base == head_hash:
        parents = gitio.parents(root, head_hash)
        if not parents:
            raise UsageError(
                f"{head_rev} is the first commit: there is nothing before it to compare with"
            )
        base = parents[0]
    return base


# --- examples ---------------------------------------------------------------


def _justification(entries: list[changelog_mod.Entry]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        for i in e.ids:
            out.setdefault(i, []).append(
                {"action": e.action, "reason": e.reason, "date": e.date, "author": e.author}
            )
    return out


def _changed_fields(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    keys = (set(a) | set(b)) - golden.UNHASHED
    return sorted(k for k in keys if a.get(k) != b.get(k))


def example_diff(base: Snapshot, head: Snapshot) -> dict[str, Any]:
    entries = changelog_mod.added_entries(base.changelog, head.changelog or "")
    why = _justification(entries)
    b_ids, h_ids = set(base.golden.examples), set(head.golden.examples)

    def brief(snap: Snapshot, i: str) -> dict[str, Any]:
        return {
            "id": i,
            "file": snap.golden.where[i][0],
            "slice": snap.golden.slice_of(i),
            "justification": why.get(i, []),
        }

    added = [brief(head, i) for i in sorted(h_ids - b_ids)]
    removed = [brief(base, i) for i in sorted(b_ids - h_ids)]
    changed, moved = [], []
    for i in sorted(b_ids & h_ids):
        if base.hashes[i] != head.hashes[i]:
            row = brief(head, i)
            bx, hx = base.golden.examples[i], head.golden.examples[i]
            row["fields"] = _changed_fields(bx, hx)
            row["base"] = {k: bx.get(k) for k in VIEW_KEYS}
            row["head"] = {k: hx.get(k) for k in VIEW_KEYS}
            changed.append(row)
        elif base.golden.where[i][0] != head.golden.where[i][0]:
            row = brief(head, i)
            row["from"] = base.golden.where[i][0]
            moved.append(row)
    for rows in (added, removed, changed):
        for row in rows:
            row["justified"] = bool(row["justification"])
    for row in moved:
        row["justified"] = True  # a file rename does not change what an example says
    return {
        "n_base": len(b_ids),
        "n_head": len(h_ids),
        "n_unchanged": len(b_ids & h_ids) - len(changed),
        "added": added,
        "removed": removed,
        "changed": changed,
        "moved": moved,
        "unjustified": sorted(r["id"] for r in (*added, *removed, *changed) if not r["justified"]),
        "changelog": [
            {
                "date": e.date,
                "author": e.author,
                "action": e.action,
                "ids": list(e.ids),
                "reason": e.reason,
                "line": e.line,
            }
            for e in entries
        ],
    }


# --- metrics ----------------------------------------------------------------


def _value(rec: Mapping[str, Any] | None, metric: str) -> float | None:
    if rec is None:
        return None
    v = (rec.get("scores") or {}).get(metric)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _slice_keys(cfg: Any, base: Snapshot, head: Snapshot) -> list[str]:
    keys = list(cfg.slice_keys)
    if keys:
        return keys
    seen: set[str] = set()
    for snap in (base, head):
        for ex in snap.golden.examples.values():
            s = ex.get("slice")
            if isinstance(s, dict):
                seen.update(k for k, v in s.items() if isinstance(v, str))
    return sorted(seen)


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def _paired(
    b: list[float], h: list[float], kind: str, seed: int, n_boot: int, level: float
) -> dict[str, Any]:
    from goldset.stats import paired_difference

    # n_boot=0: the interval is the normal (binary) or t (numeric) one. A mean
    # difference over tens of examples needs no bootstrap, and a diff runs hundreds.
    r = paired_difference(b, h, kind=kind, seed=seed, n_boot=0, level=level)
    get = r.get if isinstance(r, dict) else lambda k, d=None: getattr(r, k, d)
    ci = get("ci")
    return {
        "delta": get("delta"),
        "se": get("se"),
        "ci": list(ci) if ci is not None else None,
        "p": get("p"),
    }


def _correct(pvals: list[float], method: str) -> list[float]:
    if method == "none" or not pvals:
        return list(pvals)
    from goldset.stats import multiple

    if method == "holm":
        return list(multiple.holm(pvals))
    if method == "bh":
        return list(multiple.benjamini_hochberg(pvals))
    raise UsageError(f"--correction {method!r}: expected holm, bh or none")


def metric_diff(
    cfg: Any,
    base: Snapshot,
    head: Snapshot,
    *,
    seed: int = 0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    level: float = 0.95,
    correction: str = "holm",
) -> dict[str, Any]:
    """Per variant, metric and slice: paired deltas on unchanged examples, and the rest apart."""
    keys = _slice_keys(cfg, base, head)
    high_stakes = set(cfg["high_stakes_slices"])
    b_vars, h_vars = set(base.results), set(head.results)
    common = sorted(b_vars & h_vars)
    unchanged = {i for i in base.hashes if head.hashes.get(i) == base.hashes[i]}
    changed = {i for i in base.hashes if i in head.hashes and head.hashes[i] != base.hashes[i]}
    added = set(head.hashes) - set(base.hashes)
    removed = set(base.hashes) - set(head.hashes)

    def members(snap: Snapshot) -> dict[str, list[str]]:
        """slice name -> example ids, in id order ("all" holds every example)."""
        out: dict[str, list[str]] = {"all": []}
        for i in sorted(snap.golden.examples):
            out["all"].append(i)
            s = snap.golden.examples[i].get("slice")
            if isinstance(s, dict):
                for k in keys:
                    if isinstance(s.get(k), str):
                        out.setdefault(f"{k}={s[k]}", []).append(i)
        return out

    base_members, head_members = members(base), members(head)
    slice_order = sorted(set(base_members) | set(head_members), key=lambda s: (s != "all", s))

    def values(res: results.VariantResults | None, metric: str) -> dict[str, float]:
        if res is None:
            return {}
        out = {}
        for i, rec in res.records.items():
            v = (rec.get("scores") or {}).get(metric)
            if v is not None:
                out[i] = float(v)
        return out

    rows: list[dict[str, Any]] = []
    for variant in sorted(b_vars | h_vars):
        bres = base.results.get(variant)
        hres = head.results.get(variant)
        metrics = sorted(
            set(bres.metric_names() if bres else []) | set(hres.metric_names() if hres else [])
        )
        # A result whose example_hash is not its example's current hash was produced
        # for other content: it is stale, and never paired.
        stale_b = {
            i
            for i, r in (bres.records.items() if bres else ())
            if r.get("example_hash") not in (None, base.hashes.get(i))
        }
        stale_h = {
            i
            for i, r in (hres.records.items() if hres else ())
            if r.get("example_hash") not in (None, head.hashes.get(i))
        }
        for metric in metrics:
            raw = [
                (rec.get("scores") or {}).get(metric)
                for res in (bres, hres)
                if res is not None
                for rec in res.records.values()
            ]
            kinds = {type(v) is bool for v in raw if v is not None}
            kind = "binary" if kinds == {True} else "numeric"
            bv, hv = values(bres, metric), values(hres, metric)
            for s in slice_order:
                bm, hm = base_members.get(s, []), head_members.get(s, [])
                b_all = [bv[i] for i in bm if i in bv]
                h_ids = [i for i in hm if i in hv]
                if not b_all and not h_ids:
                    continue
                h_all = [hv[i] for i in h_ids]
                pair_ids = [
                    i
                    for i in h_ids
                    if i in unchanged and i in bv and i not in stale_h and i not in stale_b
                ]
                pb = [bv[i] for i in pair_ids]
                ph = [hv[i] for i in pair_ids]
                chg = [i for i in h_ids if i in changed]
                new = [hv[i] for i in h_ids if i in added]
                gone = [bv[i] for i in bm if i in removed and i in bv]
                row: dict[str, Any] = {
                    "variant": variant,
                    "metric": metric,
                    "kind": kind,
                    "slice": s,
                    "high_stakes": s in high_stakes,
                    "status": "common" if variant in common else ("added" if hres else "removed"),
                    "base": {"mean": _mean(b_all), "n": len(b_all)},
                    "head": {"mean": _mean(h_all), "n": len(h_all)},
                    "paired": None,
                    "changed": {
                        "n": len(chg),
                        "base_mean": _mean([bv[i] for i in chg if i in bv]),
                        "head_mean": _mean([hv[i] for i in chg]),
                    },
                    "added": {"n": len(new), "head_mean": _mean(new)},
                    "removed": {"n": len(gone), "base_mean": _mean(gone)},
                    "stale": sum(1 for i in h_ids if i in stale_h),
                    "p_adj": None,
                    "flag": None,
                }
                if len(pb) >= 2:
                    st = _paired(pb, ph, kind, seed, n_boot, level)
                    st["n"] = len(pb)
                    st["base_mean"] = _mean(pb)
                    st["head_mean"] = _mean(ph)
                    row["paired"] = st
                elif pb:
                    row["paired"] = {
                        "n": 1,
                        "base_mean": pb[0],
                        "head_mean": ph[0],
                        "delta": ph[0] - pb[0],
                        "se": None,
                        "ci": None,
                        "p": None,
                    }
                rows.append(row)

    tested = [r for r in rows if r["paired"] and r["paired"].get("p") is not None]
    adjusted = _correct([float(r["paired"]["p"]) for r in tested], correction)
    for r, p_adj in zip(tested, adjusted, strict=True):
        r["p_adj"] = min(1.0, float(p_adj))
        d = r["paired"]["delta"] or 0.0
        if r["p_adj"] < alpha and d != 0:
            r["flag"] = "regressed" if d < 0 else "improved"

    return {
        "variants": {
            "added": sorted(h_vars - b_vars),
            "removed": sorted(b_vars - h_vars),
            "common": common,
        },
        "slice_keys": keys,
        "rows": rows,
        "n_tests": len(tested),
        "costs": _costs(base, head),
        "manifests": {
            v: {
                "base": base.results[v].manifest if v in base.results else None,
                "head": head.results[v].manifest if v in head.results else None,
            }
            for v in sorted(b_vars | h_vars)
        },
    }


def _costs(base: Snapshot, head: Snapshot) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in sorted(set(base.results) | set(head.results)):
        sides: dict[str, Any] = {}
        for name, snap in (("base", base), ("head", head)):
            res = snap.results.get(v)
            if res is None:
                sides[name] = None
                continue
            recs = list(res.records.values())
            costs = [float(r["cost"]) for r in recs if r.get("cost") is not None]
            lats = [float(r["latency_ms"]) for r in recs if r.get("latency_ms") is not None]
            errors = sum(1 for r in recs if r.get("error"))
            sides[name] = {
                "n": len(recs),
                "cost_mean": _mean(costs),
                "cost_total": sum(costs) if costs else None,
                "latency_median_ms": _median(lats),
                "errors": errors,
            }
        out[v] = sides
    return out


# --- changed outputs ----------------------------------------------------------


def output_changes(
    base: Snapshot, head: Snapshot, *, limit: int = 5, metric: str | None = None
) -> list[dict[str, Any]]:
    """A few examples whose output moved, those whose score moved most first."""
    import heapq

    if limit <= 0:
        return []
    candidates: list[tuple[float, str, str]] = []
    for v in sorted(set(base.results) & set(head.results)):
        brecs, hrecs = base.results[v].records, head.results[v].records
        for i, hrec in hrecs.items():
            brec = brecs.get(i)
            if brec is None or i not in head.hashes:
                continue
            bo, ho = brec.get("output"), hrec.get("output")
            bs, hs = brec.get("scores") or {}, hrec.get("scores") or {}
            # Results without output text still point at examples worth reading when
            # their score moved: show the input and reference, and say the output is missing.
            if bo == ho and not (bo is None and bs != hs):
                continue
            move = 0.0
            for m in [metric] if metric else (bs.keys() | hs.keys()):
                bv, hv = bs.get(m), hs.get(m)
                if bv is not None and hv is not None:
                    move = max(move, abs(float(hv) - float(bv)))
            candidates.append((-move, i, v))
    rationales: dict[tuple[str, str], list[dict[str, str]]] = {}
    for j in head.judgments:
        text = next((j[k] for k in RATIONALE_KEYS if isinstance(j.get(k), str)), None)
        if text is None:
            continue
        for name in {j.get("variant"), j.get("a"), j.get("b")} - {None}:
            rationales.setdefault((j["example_id"], str(name)), []).append(
                {"judge": str(j.get("judge", "")), "text": text}
            )
    out = []
    for _, i, v in heapq.nsmallest(limit, candidates):
        brec, hrec = base.results[v].records[i], head.results[v].records[i]
        ex = head.golden.examples[i]
        out.append(
            {
                "example_id": i,
                "variant": v,
                "input": ex.get("input"),
                "reference": ex.get("reference"),
                "base_output": brec.get("output"),
                "head_output": hrec.get("output"),
                "base_scores": brec.get("scores") or {},
                "head_scores": hrec.get("scores") or {},
                "example_changed": base.hashes.get(i) != head.hashes.get(i),
                "rationales": rationales.get((i, v), [])[:2],
            }
        )
    return out


# --- judges and rankings -----------------------------------------------------


def _kappa_cell(d: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not d:
        return None
    n = d.get("n", d.get("n_pairs"))
    return {
        "kappa": d.get("kappa"),
        "ci": list(d["ci"]) if d.get("ci") is not None else None,
        "n": n,
        "statistic": d.get("statistic", "cohen_kappa"),
        "agreement": d.get("agreement"),
    }


def _agreement_side(
    cfg: Any, snap: Snapshot, *, seed: int, n_boot: int, level: float
) -> dict[str, Any] | None:
    if not (snap.labels or snap.judgments):
        return None
    from goldset import agreement

    return agreement.compute(
        cfg,
        labels=snap.labels,
        judgments=snap.judgments,
        golden=snap.golden.examples,
        slice_keys=cfg.slice_keys or None,
        seed=seed,
        n_boot=n_boot,
        level=level,
    )


def _agreement_rows(
    side: Mapping[str, Any] | None,
) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """(kind, rater, criterion, slice) -> kappa cell, from one side's agreement report."""
    out: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    if side is None:
        return out
    for crit in side["criteria"]:
        blocks = [("all", crit)] + [(f"{s['key']}={s['value']}", s) for s in crit.get("slices", [])]
        for sl, blk in blocks:
            if blk.get("human"):
                cell = _kappa_cell(blk["human"])
                if cell is not None:
                    cell["below"] = blk["human"].get("below_threshold")
                    out[("human-human", "humans", crit["criterion"], sl)] = cell
            for j in blk.get("judges", []):
                if not j.get("n"):
                    continue
                cell = _kappa_cell(j)
                if cell is not None:
                    cell["below"] = j.get("below_threshold")
                    out[("judge-human", j["judge"], crit["criterion"], sl)] = cell
    return out


def agreement_diff(
    cfg: Any, base: Snapshot, head: Snapshot, *, seed: int, n_boot: int, level: float
) -> dict[str, Any]:
    """Judge-vs-human and human-human agreement on each side, and how it moved.

    A judge is untrusted when, on head, its kappa against the humans is under
    ``agreement.judge_threshold`` on any criterion (goldset.agreement decides);
    uncalibrated when no human rated the items it rated.
    """
    b = _agreement_side(cfg, base, seed=seed, n_boot=n_boot, level=level)
    h = _agreement_side(cfg, head, seed=seed, n_boot=n_boot, level=level)
    brows, hrows = _agreement_rows(b), _agreement_rows(h)
    untrusted = set(h["untrusted"]) if h else set()
    # A stored calibration that went stale (the judge's model, prompt or rubric
    # changed) or failed also makes a judge untrusted, in every report and gate.
    calibration = calibration_flags(cfg)
    untrusted |= set(calibration)
    rows = []
    for key in sorted(
        set(brows) | set(hrows),
        key=lambda k: (k[0] != "judge-human", k[1], k[2], k[3] != "all", k[3]),
    ):
        kind, rater, crit, sl = key
        bc, hc = brows.get(key), hrows.get(key)
        delta = None
        if bc and hc and bc["kappa"] is not None and hc["kappa"] is not None:
            delta = hc["kappa"] - bc["kappa"]
        cur = hc or bc or {}
        trusted: bool | None
        if kind == "judge-human":
            trusted = None if hc is None else (rater not in untrusted and not hc.get("below"))
        else:
            trusted = None if cur.get("below") is None else not cur.get("below")
        rows.append(
            {
                "kind": kind,
                "judge": rater if kind == "judge-human" else None,
                "rater": rater,
                "against": "humans",
                "criterion": crit,
                "slice": sl,
                "base": bc,
                "head": hc,
                "delta": delta,
                "trusted": trusted,
            }
        )
    return {
        "rows": rows,
        "untrusted": sorted(untrusted),
        "calibration": calibration,
        "uncalibrated": sorted(h["uncalibrated"]) if h else [],
        "judges": h["judges"] if h else {},
        "warnings": list(h["warnings"]) if h else [],
    }


def _ranking_side(
    cfg: Any, snap: Snapshot, source: str, *, seed: int, n_boot: int, level: float
) -> dict[str, Any] | None:
    from goldset import ranking
    from goldset.errors import InputError as _InputError

    labels = snap.labels if source == "labels" else []
    judgments = [j for j in snap.judgments if source == f"judge:{j.get('judge')}"]
    if not labels and not judgments:
        return None
    if not any("winner" in r for r in (*labels, *judgments)):
        return None
    try:
        return ranking.compute(
            cfg,
            labels=labels,
            judgments=judgments,
            golden=snap.golden.examples,
            source="labels" if source == "labels" else "judgments",
            seed=seed,
            n_boot=n_boot,
            level=level,
        )
    except _InputError:
        return None


def ranking_diff(
    cfg: Any, base: Snapshot, head: Snapshot, *, seed: int, n_boot: int, level: float
) -> dict[str, Any]:
    """Bradley-Terry ratings per rater source (the humans; each judge) on each side, and the moves."""
    sources = ["labels"]
    judges = sorted({str(j.get("judge")) for s in (base, head) for j in s.judgments})
    sources += [f"judge:{j}" for j in judges]
    out = []
    for src in sources:
        b = _ranking_side(cfg, base, src, seed=seed, n_boot=n_boot, level=level)
        h = _ranking_side(cfg, head, src, seed=seed, n_boot=n_boot, level=level)
        if b is None and h is None:
            continue
        bmap = {r["variant"]: r for r in (b["ratings"] if b else [])}
        hmap = {r["variant"]: r for r in (h["ratings"] if h else [])}
        models = []
        order = [r["variant"] for r in (h or b or {"ratings": []})["ratings"]]
        order += sorted(set(bmap) - set(order))
        for m in order:
            br, hr = bmap.get(m), hmap.get(m)

            def cell(r: Mapping[str, Any] | None) -> dict[str, Any] | None:
                if r is None:
                    return None
                return {
                    "rating": r["rating"],
                    "se": r["se"],
                    "ci": r["ci"],
                    "rank": r["rank"],
                    "n": r["games"],
                }

            models.append(
                {
                    "model": m,
                    "base": cell(br),
                    "head": cell(hr),
                    "delta": (hr["rating"] - br["rating"]) if br and hr else None,
                }
            )
        judge = src.split(":", 1)[1] if src.startswith("judge:") else None
        out.append(
            {
                "source": f"judge {judge}" if judge else "human labels",
                "judge": judge,
                "n_base": b["n_comparisons"] if b else 0,
                "n_head": h["n_comparisons"] if h else 0,
                "scale": "Elo scale: 1000 + 400·log10 odds, centred on the mean model",
                "models": models,
            }
        )
    # How far each judge's ratings sit from the humans' on head: a judge that
    # reorders the models is visible here even with no base to compare against.
    human = next((src for src in out if src["judge"] is None), None)
    if human is not None:
        hum = {m["model"]: (m["head"] or {}).get("rating") for m in human["models"]}
        for src in out:
            if src["judge"] is None:
                continue
            for m in src["models"]:
                r, h = (m["head"] or {}).get("rating"), hum.get(m["model"])
                m["vs_humans"] = (r - h) if r is not None and h is not None else None
    return {"sources": out}


# --- the whole diff -----------------------------------------------------------


@dataclass
class Sides:
    base: Snapshot
    head: Snapshot


def read_sides(root: Path, cfg: Any, base: str | None, head: str | None) -> Sides:
    """Read both sides (``head`` None: the working tree; ``base`` None: the merge-base)."""
    head_hash = gitio.resolve(root, head) if head is not None else None
    base_hash = gitio.resolve(root, base) if base is not None else default_base(root, head)
    with gitio.CatFile(root) as cat:
        b = read_rev(root, cfg, base_hash, cat)
        h = read_rev(root, cfg, head_hash, cat) if head_hash else read_worktree(cfg)
    if not b.has_data:
        raise UsageError(
            f"base {base or 'merge-base'} ({base_hash[:12]}) holds no goldset data: "
            f"nothing under {cfg.rel('golden')}, {cfg.rel('results')}, {cfg.rel('labels')} "
            f"or {cfg.rel('judgments')}",
            hint="pick a base commit that has the golden set (see `git log -- "
            f"{cfg.rel('golden')}`)",
        )
    return Sides(b, h)


def judge_bias(head: Snapshot) -> dict[str, Any]:
    """Per judge with both-order pairwise verdicts on head: how often the verdict
    flipped with the order, followed the position, or went to the longer answer
    (goldset.judging.bias_summary; each a rate with a Wilson interval)."""
    from goldset import judging

    judges = sorted(
        {
            str(j.get("judge"))
            for j in head.judgments
            if isinstance(j.get("orders"), list) and len(j["orders"]) == 2
        }
    )
    return {name: judging.bias_summary(head.judgments, judge=name) for name in judges}


def calibration_flags(cfg: Any) -> dict[str, str]:
    """Judges declared in goldset.yaml whose stored calibration no longer holds:
    judge -> why (stale: model, prompt or rubric changed; or untrusted)."""
    if not cfg["judges"]:
        return {}
    from goldset import calibration

    out: dict[str, str] = {}
    for name, st in calibration.statuses(cfg).items():
        if st.get("status") in ("stale", "untrusted"):
            reasons = "; ".join(str(r) for r in st.get("reasons") or []) or st["status"]
            out[name] = f"{st['status']}: {reasons}"
    return out


def compute(
    root: Path,
    cfg: Any,
    base: str | None = None,
    head: str | None = None,
    *,
    seed: int = 0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    level: float = 0.95,
    correction: str = "holm",
    outputs: int = 5,
    sides: Sides | None = None,
) -> dict[str, Any]:
    """The whole diff between ``base`` and ``head`` as plain data (see docs/report.md)."""
    s = sides or read_sides(root, cfg, base, head)
    return {
        "base": {"rev": s.base.rev, "label": s.base.label},
        "head": {"rev": s.head.rev, "label": s.head.label},
        "settings": {
            "seed": seed,
            "n_boot": n_boot,
            "alpha": alpha,
            "level": level,
            "correction": correction,
            "high_stakes_slices": list(cfg["high_stakes_slices"]),
            "judge_threshold": cfg["agreement"]["judge_threshold"],
            "human_threshold": cfg["agreement"]["human_threshold"],
        },
        "examples": example_diff(s.base, s.head),
        "metrics": metric_diff(
            cfg,
            s.base,
            s.head,
            seed=seed,
            n_boot=n_boot,
            alpha=alpha,
            level=level,
            correction=correction,
        ),
        "agreement": agreement_diff(cfg, s.base, s.head, seed=seed, n_boot=n_boot, level=level),
        "judge_bias": judge_bias(s.head),
        "ranking": ranking_diff(cfg, s.base, s.head, seed=seed, n_boot=n_boot, level=level),
        "outputs": output_changes(s.base, s.head, limit=outputs),
    }
