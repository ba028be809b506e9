"""The pull-request report: a verdict, the per-slice table, judges, rankings,
a quality/cost/latency Pareto view, the CHANGELOG of the change and a few
outputs to read.

``build`` turns a diff (goldset.diff.compute) into the report's data: the
JSON format prints it as is. ``markdown`` renders it through the jinja2
templates (``templates/report.md.j2`` and its partials under
``templates/report/``, overridable with ``paths.templates``). Every string a
template receives that came from a user or a model (example text, outputs,
reasons, variant and judge names) is already escaped or fenced by
goldset.markdown_safe, so a template cannot forget; numbers are formatted
here too, so the same inputs always give the same bytes. The markdown is then
fitted under GitHub's comment limit, dropping whole sections largest first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from goldset import markdown_safe as ms

TEMPLATE_MD = "report.md.j2"
TEMPLATE_HTML = "report.html.j2"

# --- number formatting ------------------------------------------------------------


def fmt_value(v: float | None, kind: str) -> str:
    if v is None:
        return "—"
    if kind == "binary":
        return f"{100 * v:.1f}%"
    return f"{v:.3g}" if abs(v) >= 1000 else f"{v:.3f}"


def fmt_delta(v: float | None, kind: str) -> str:
    if v is None:
        return "—"
    if kind == "binary":
        return f"{100 * v:+.1f} pp"
    return f"{v:+.3f}"


def fmt_ci(ci: Any, kind: str) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "—"
    if kind == "binary":
        return f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"
    return f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def fmt_num(v: float | None, digits: int = 2, signed: bool = False) -> str:
    if v is None:
        return "—"
    out = f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"
    if float(out) == 0:
        out = out.replace("-", "+" if signed else "")  # no "-0.00"
    return out


def fmt_cost(v: float | None) -> str:
    if v is None:
        return "—"
    return f"${v:.4f}" if v < 1 else f"${v:.2f}"


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.0f} ms" if v < 10_000 else f"{v / 1000:.1f} s"


# --- the report's data ----------------------------------------------------------


def untrusted_judges(diff: Mapping[str, Any]) -> list[str]:
    return sorted(set(diff.get("agreement", {}).get("untrusted", [])))


def _metric_judge(
    metric: str, manifests: Mapping[str, Any], variant: str, judges: list[str]
) -> str | None:
    """The untrusted judge behind a metric, if the metric's name or the manifest says so."""
    for j in judges:
        if metric == j or metric.startswith(f"{j}.") or metric.startswith(f"{j}:"):
            return j
    man = (manifests.get(variant) or {}).get("head") or {}
    params = man.get("params") or {}
    scored_by = params.get("scored_by") or params.get("judge")
    if isinstance(scored_by, str) and scored_by in judges:
        return scored_by
    return None


def verdict(diff: Mapping[str, Any], *, invalid: list[str] | None = None) -> dict[str, Any]:
    """The one-line verdict and the reasons behind it (also what `goldset gate` checks).

    ``failures``/``warnings`` are plain text (terminal, JSON); ``failures_md`` and
    ``warnings_md`` say the same with every name escaped for markdown.
    """
    rows = diff["metrics"]["rows"]
    flagged = [r for r in rows if r["flag"] == "regressed"]
    hs = [r for r in flagged if r["high_stakes"]]
    improved = [r for r in rows if r["flag"] == "improved"]
    judges = untrusted_judges(diff)
    ex = diff["examples"]
    failures: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []

    def move(r: Mapping[str, Any], high: bool) -> tuple[str, str]:
        d = fmt_delta(r["paired"]["delta"], r["kind"])
        p = f"corrected p={r['p_adj']:.2g}"
        lead = "high-stakes slice " if high else ""
        return (
            f"{lead}{r['slice']} regressed for {r['variant']} on {r['metric']} ({d}, {p})",
            f"{lead}{ms.code(r['slice'])} regressed for {ms.code(r['variant'])} on "
            f"{ms.code(r['metric'])} ({d}, {p})",
        )

    for r in hs:
        failures.append(move(r, True))
    thr = diff["settings"]["judge_threshold"]
    calibration = diff["agreement"].get("calibration") or {}
    for j in judges:
        row = next((a for a in diff["agreement"].get("rows", []) if a.get("judge") == j), None)
        k = (row.get("head") or {}).get("kappa") if row else None
        if j in calibration and (k is None or k >= thr):
            tail = f"its calibration is {calibration[j]} (run `goldset calibrate`)"
        elif k is not None:
            tail = f"kappa vs humans {fmt_num(k)} < {thr}"
        else:
            tail = f"kappa vs humans under {thr}"
        failures.append(
            (
                f"judge {j} is not trustworthy: {tail}",
                f"judge {ms.code(j)} is not trustworthy: {tail}",
            )
        )
    for j in diff["agreement"].get("uncalibrated", []):
        failures.append(
            (
                f"judge {j} is uncalibrated: no human ratings of the same items (label a sample with `goldset review`)",
                f"judge {ms.code(j)} is uncalibrated: no human ratings of the same items (label a sample with `goldset review`)",
            )
        )
    for msg in invalid or []:
        failures.append(
            (
                f"the golden set is invalid: {msg}",
                f"the golden set is invalid: {ms.inline(msg, newline=' ')}",
            )
        )
    for r in flagged:
        if not r["high_stakes"]:
            warnings.append(move(r, False))
    if ex["unjustified"]:
        n = len(ex["unjustified"])
        text = f"{n} example change{'s' if n != 1 else ''} without a CHANGELOG entry"
        warnings.append((text, text))
    status = "fail" if failures else ("warn" if warnings else "ok")
    parts = [
        f"{len(ex['added'])} added, {len(ex['changed'])} changed, {len(ex['removed'])} removed examples"
    ]
    if flagged:
        parts.append(
            f"{len(flagged)} flagged regression{'s' if len(flagged) != 1 else ''}"
            + (f" ({len(hs)} on high-stakes slices)" if hs else "")
        )
    else:
        parts.append("no flagged regression")
    if improved:
        parts.append(f"{len(improved)} flagged improvement{'s' if len(improved) != 1 else ''}")
    if judges:
        parts.append(f"{len(judges)} untrusted judge{'s' if len(judges) != 1 else ''}")
    icon = {"fail": "🔴", "warn": "🟡", "ok": "🟢"}[status]
    word = {"fail": "Needs attention", "warn": "Check the flags", "ok": "Looks good"}[status]
    return {
        "status": status,
        "text": f"{icon} **{word}**: " + " · ".join(parts),
        "failures": [f[0] for f in failures],
        "warnings": [w[0] for w in warnings],
        "failures_md": [f[1] for f in failures],
        "warnings_md": [w[1] for w in warnings],
    }


def primary_metric(diff: Mapping[str, Any]) -> str | None:
    """The metric most variants report (ties: the first by name): the Pareto view's quality."""
    counts: dict[str, set[str]] = {}
    for r in diff["metrics"]["rows"]:
        if r["slice"] == "all" and r["head"]["n"]:
            counts.setdefault(r["metric"], set()).add(r["variant"])
    if not counts:
        return None
    return sorted(counts, key=lambda m: (-len(counts[m]), m))[0]


def pareto(diff: Mapping[str, Any], metric: str | None) -> list[dict[str, Any]]:
    """Per head variant: quality, mean cost, median latency, and whether it is on the frontier.

    A variant is off the frontier when another is at least as good on every
    recorded axis (higher quality, lower cost, lower latency) and better on one.
    An axis nobody recorded is left out rather than guessed.
    """
    if metric is None:
        return []
    points = []
    costs = diff["metrics"]["costs"]
    for r in diff["metrics"]["rows"]:
        if r["metric"] != metric or r["slice"] != "all" or not r["head"]["n"]:
            continue
        c = costs.get(r["variant"], {}).get("head") or {}
        points.append(
            {
                "variant": r["variant"],
                "metric": metric,
                "kind": r["kind"],
                "quality": r["head"]["mean"],
                "n": r["head"]["n"],
                "base_quality": r["base"]["mean"],
                "cost": c.get("cost_mean"),
                "latency_ms": c.get("latency_median_ms"),
                "frontier": True,
            }
        )
    axes = [
        ("quality", 1),
        *[
            (a, -1)
            for a in ("cost", "latency_ms")
            if all(p[a] is not None for p in points) and points
        ],
    ]
    for p in points:
        for q in points:
            if q is p:
                continue
            ge = all((q[a] - p[a]) * s >= 0 for a, s in axes)
            gt = any((q[a] - p[a]) * s > 0 for a, s in axes)
            if ge and gt:
                p["frontier"] = False
                break
    points.sort(key=lambda p: (-(p["quality"] or 0), p["variant"]))
    return points


def build(diff: Mapping[str, Any], *, invalid: list[str] | None = None) -> dict[str, Any]:
    """The report's data: the diff plus the verdict and the Pareto view (the JSON format)."""
    metric = primary_metric(diff)
    return {
        "verdict": verdict(diff, invalid=invalid),
        "untrusted_judges": untrusted_judges(diff),
        "pareto": {"metric": metric, "points": pareto(diff, metric)},
        "diff": dict(diff),
    }


# --- markdown context -----------------------------------------------------------


def _slice_order(diff: Mapping[str, Any]) -> list[str]:
    hs = list(diff["settings"]["high_stakes_slices"])
    names = {r["slice"] for r in diff["metrics"]["rows"]}
    first = [s for s in hs if s in names]
    rest = sorted(names - set(first), key=lambda s: (s != "all", s))
    return first + rest


def _apart(r: Mapping[str, Any]) -> str:
    bits = []
    if r["changed"]["n"]:
        bits.append(
            f"{r['changed']['n']} changed (head {fmt_value(r['changed']['head_mean'], r['kind'])})"
        )
    if r["added"]["n"]:
        bits.append(f"{r['added']['n']} new ({fmt_value(r['added']['head_mean'], r['kind'])})")
    if r["removed"]["n"]:
        bits.append(f"{r['removed']['n']} removed")
    if r.get("stale"):
        bits.append(f"{r['stale']} stale")
    return ", ".join(bits) or "—"


def _metric_tables(diff: Mapping[str, Any], judges: list[str]) -> list[dict[str, Any]]:
    order = {s: i for i, s in enumerate(_slice_order(diff))}
    manifests = diff["metrics"].get("manifests", {})
    by_metric: dict[str, list[Mapping[str, Any]]] = {}
    for r in diff["metrics"]["rows"]:
        by_metric.setdefault(r["metric"], []).append(r)
    tables = []
    for metric in sorted(by_metric):
        rows = sorted(by_metric[metric], key=lambda r: (order[r["slice"]], r["variant"]))
        out = []
        for r in rows:
            k = r["kind"]
            p = r["paired"]
            flag = ""
            if r["flag"] == "regressed":
                flag = "🔻 **regression**"
            elif r["flag"] == "improved":
                flag = "🔺 improved"
            judge = _metric_judge(metric, manifests, r["variant"], judges)
            if judge:
                flag = (
                    flag + " " if flag else ""
                ) + f"⚠️ untrusted judge {ms.code(judge, in_table=True)}"
            apart = _apart(r)
            if r["status"] == "added":
                base, head, delta, ci, n = (
                    "—",
                    fmt_value(r["head"]["mean"], k),
                    "new variant",
                    "—",
                    "—",
                )
                apart = f"{r['head']['n']} on head"
            elif r["status"] == "removed":
                base, head, delta, ci, n = (
                    fmt_value(r["base"]["mean"], k),
                    "—",
                    "variant removed",
                    "—",
                    "—",
                )
                apart = f"{r['base']['n']} on base"
            elif p:
                se = p.get("se")
                se_txt = f" ± {fmt_delta(se, k).lstrip('+')}" if se is not None else ""
                base = fmt_value(p["base_mean"], k)
                head = fmt_value(p["head_mean"], k)
                delta = fmt_delta(p["delta"], k) + se_txt
                ci = fmt_ci(p.get("ci"), k)
                n = str(p["n"])
            else:
                base, head = fmt_value(r["base"]["mean"], k), fmt_value(r["head"]["mean"], k)
                delta, ci, n = "no paired examples", "—", "0"
            slice_txt = "all" if r["slice"] == "all" else ms.code(r["slice"], in_table=True)
            if r["high_stakes"]:
                slice_txt = f"**{slice_txt}** (high-stakes)"
            out.append(
                {
                    "slice": slice_txt,
                    "variant": ms.code(r["variant"], in_table=True),
                    "base": base,
                    "head": head,
                    "delta": delta,
                    "ci": ci,
                    "n": n,
                    "apart": apart,
                    "p_adj": fmt_num(r["p_adj"], 3) if r["p_adj"] is not None else "—",
                    "flag": flag,
                }
            )
        judge = any(_metric_judge(metric, manifests, r["variant"], judges) for r in rows)
        tables.append(
            {
                "metric": ms.code(metric),
                "kind": rows[0]["kind"],
                "rows": out,
                "untrusted": judge,
            }
        )
    return tables


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    turns = v.get("turns") if isinstance(v, dict) else None
    if isinstance(turns, list) and len(v) == 1 and all(isinstance(t, str) for t in turns):
        # A multi-turn conversation reads better as turns than as JSON.
        return "\n\n".join(f"[turn {k}]\n{t}" for k, t in enumerate(turns, 1))
    import json

    return json.dumps(v, ensure_ascii=False, indent=2, sort_keys=True)


def _one_line(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, str):
        return v[:300]
    import json

    return json.dumps(v, ensure_ascii=False, sort_keys=True)[:300]


def _side_by_side(left_title: str, left: Any, right_title: str, right: Any) -> str:
    """Two fenced blocks side by side: a two-cell table GitHub renders markdown inside."""
    lf = ms.fence(_text(left)) if left is not None else "_(none)_"
    rf = ms.fence(_text(right)) if right is not None else "_(none)_"
    return (
        "<table><tr><th>" + left_title + "</th><th>" + right_title + "</th></tr>\n"
        "<tr><td>\n\n" + lf + "\n\n</td><td>\n\n" + rf + "\n\n</td></tr></table>"
    )


def _clip(v: Any, limit: int = 1500) -> Any:
    s = _text(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _examples_ctx(ex: Mapping[str, Any], limit: int) -> dict[str, Any]:
    def why(row: Mapping[str, Any]) -> str:
        if not row["justification"]:
            return "⚠️ no CHANGELOG entry"
        return "; ".join(
            ms.inline(j["reason"], max_chars=300, newline=" ") for j in row["justification"]
        )

    def line(row: Mapping[str, Any]) -> dict[str, str]:
        sl = ", ".join(f"{k}={v}" for k, v in sorted(row["slice"].items()))
        return {
            "id": ms.code(row["id"], in_table=True),
            "slice": ms.code(sl, in_table=True) if sl else "—",
            "file": ms.code(row["file"], in_table=True),
            "why": why(row),
            "fields": ", ".join(ms.code(f, in_table=True) for f in row.get("fields", [])) or "—",
            "from": ms.code(row["from"], in_table=True) if row.get("from") else "",
        }

    changed_views = []
    for row in ex["changed"][:limit]:
        b, h = row["base"], row["head"]
        parts = []
        for key in ("input", "reference"):
            if b.get(key) != h.get(key):
                parts.append(
                    f"**{key}**\n\n"
                    + _side_by_side("base", _clip(b.get(key)), "head", _clip(h.get(key)))
                )
        for key in ("slice", "stratum", "tags"):
            if b.get(key) != h.get(key):
                parts.append(
                    f"**{key}**: {ms.code(_one_line(b.get(key)))} → {ms.code(_one_line(h.get(key)))}"
                )
        changed_views.append(
            {
                "summary": f"{row['id']}: {', '.join(row['fields'])} changed",
                "block": ms.details(
                    f"{row['id']}: {', '.join(row['fields'])} changed",
                    "\n\n".join(parts) or "_(content hash changed)_",
                ),
            }
        )
    return {
        "n_base": ex["n_base"],
        "n_head": ex["n_head"],
        "n_unchanged": ex["n_unchanged"],
        "added": [line(r) for r in ex["added"][: limit * 4]],
        "removed": [line(r) for r in ex["removed"][: limit * 4]],
        "changed": [line(r) for r in ex["changed"][: limit * 4]],
        "moved": [line(r) for r in ex["moved"][: limit * 4]],
        "more": {
            k: max(0, len(ex[k]) - limit * 4) for k in ("added", "removed", "changed", "moved")
        },
        "counts": {k: len(ex[k]) for k in ("added", "removed", "changed", "moved")},
        "changed_views": changed_views,
        "unjustified": [ms.code(i) for i in ex["unjustified"]],
    }


def _changelog_ctx(entries: list[Mapping[str, Any]]) -> list[str]:
    out = []
    for e in entries:
        ids = ", ".join(ms.code(i) for i in e["ids"])
        who = (
            ms.inline(f"{e['date']} · {e['author']}", newline=" ")
            if e.get("author")
            else ms.inline(e["date"])
        )
        out.append(
            f"- {ms.inline(e['action'])} {ids}: {ms.inline(e['reason'], max_chars=500, newline=' ')} ({who})"
        )
    return out


def _agreement_ctx(diff: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    thr = diff["settings"]["judge_threshold"]
    hthr = diff["settings"]["human_threshold"]
    untrusted = set(diff["agreement"].get("untrusted", []))
    for a in diff["agreement"].get("rows", []):
        # Per-slice rows only for the criterion trust is decided on; the "without
        # ties" variant overall only (all of them are in the JSON format).
        if a.get("slice", "all") != "all" and "without ties" in str(a.get("criterion")):
            continue
        b, h = a.get("base") or {}, a.get("head") or {}
        cur = h or b
        k = cur.get("kappa")
        if a.get("kind") == "human-human":
            below = k is not None and k < hthr
            mark = f"⚠️ humans disagree (κ < {hthr})" if below else ("✅" if k is not None else "—")
        else:
            below = k is not None and k < thr
            if a.get("judge") in untrusted:
                mark = "⚠️ **untrusted judge**" + (f" (κ < {thr} here)" if below else "")
            elif below:
                mark = f"⚠️ κ < {thr} on this slice"
            else:
                mark = "✅ trusted" if k is not None else "—"
        sl = a.get("slice", "all")
        rows.append(
            {
                "rater": ms.code(a.get("judge") or a.get("rater") or "", in_table=True),
                "against": ms.inline(a.get("against", "humans"), newline=" "),
                "criterion": ms.inline(a.get("criterion", "pairwise"), newline=" "),
                "slice": "all" if sl == "all" else ms.code(sl, in_table=True),
                "base": fmt_num(b.get("kappa")),
                "head": fmt_num(h.get("kappa")),
                "delta": fmt_num(a.get("delta"), signed=True),
                "ci": (
                    f"[{fmt_num(h['ci'][0])}, {fmt_num(h['ci'][1])}]"
                    if h.get("ci") and h["ci"][0] is not None
                    else "—"
                ),
                "n": _count(h.get("n")) if h else "—",
                "mark": mark,
            }
        )
    return rows


def _rate(x: Mapping[str, Any] | None) -> str:
    if not x or not x.get("n"):
        return "—"
    ci = x.get("ci") or (None, None)
    lo, hi = ci if isinstance(ci, list | tuple) and len(ci) == 2 else (None, None)
    interval = f" [{fmt_num(lo)}, {fmt_num(hi)}]" if lo is not None else ""
    return f"{fmt_num(x.get('rate'))}{interval} (n={_count(x.get('n'))})"


def _bias_ctx(diff: Mapping[str, Any]) -> list[dict[str, str]]:
    untrusted = set(diff.get("agreement", {}).get("untrusted", []))
    rows = []
    for judge, b in sorted((diff.get("judge_bias") or {}).items()):
        rows.append(
            {
                "judge": ms.code(judge, in_table=True)
                + (" ⚠️ untrusted" if judge in untrusted else ""),
                "inconsistent": _rate(b.get("inconsistent")),
                "position": _rate(b.get("position_bias")),
                "first": _rate(b.get("first_position")),
                "longer": _rate(b.get("longer_preference")),
            }
        )
    return rows


def _calibration_ctx(diff: Mapping[str, Any]) -> list[str]:
    cal = diff.get("agreement", {}).get("calibration") or {}
    return [f"{ms.code(j)}: {ms.inline(why, newline=' ')}" for j, why in sorted(cal.items())]


def _count(v: Any) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _ranking_ctx(diff: Mapping[str, Any], judges: list[str]) -> list[dict[str, Any]]:
    out = []
    for src in diff["ranking"].get("sources", []):
        rows = []
        for m in src.get("models", []):
            b, h = m.get("base") or {}, m.get("head") or {}

            def rating(x: Mapping[str, Any]) -> str:
                if x.get("rating") is None:
                    return "—"
                ci = x.get("ci")
                ci_txt = (
                    f" [{fmt_num(ci[0], 0)}, {fmt_num(ci[1], 0)}]"
                    if ci and ci[0] is not None
                    else ""
                )
                return f"{fmt_num(x['rating'], 0)}{ci_txt}"

            rows.append(
                {
                    "model": ms.code(m["model"], in_table=True),
                    "base": rating(b),
                    "head": rating(h),
                    "delta": fmt_num(m.get("delta"), 0, signed=True),
                    "rank": f"{b.get('rank', '—')} → {h.get('rank', '—')}",
                    "vs_humans": fmt_num(m.get("vs_humans"), 0, signed=True),
                    "n": _count(h.get("n", b.get("n"))),
                }
            )
        name = src.get("source", "")
        out.append(
            {
                "source": (
                    f"judge {ms.code(src['judge'])}"
                    if src.get("judge")
                    else ms.inline(name, newline=" ")
                ),
                "untrusted": src.get("judge") in judges if src.get("judge") else False,
                "judge": bool(src.get("judge")),
                "rows": rows,
                "n_votes": {"base": _count(src.get("n_base")), "head": _count(src.get("n_head"))},
                "scale": src.get("scale", "Elo-like, 400·log10 odds, mean 1000"),
            }
        )
    return out


# Mermaid has its own syntax: a label keeps only characters that cannot end or open anything.
_MERMAID_NAME = re.compile(r"[^A-Za-z0-9_ -]")


def _mermaid(points: list[Mapping[str, Any]]) -> str | None:
    """A chart GitHub renders: quality vs cost (or latency) when recorded, else quality bars."""
    if not points:
        return None

    def name(p: Mapping[str, Any]) -> str:
        return _MERMAID_NAME.sub("_", p["variant"])[:40] or "variant"

    x_axis = next(
        (a for a in ("cost", "latency_ms") if all(p[a] is not None for p in points)), None
    )
    qs = [p["quality"] for p in points if p["quality"] is not None]
    if x_axis and len(points) >= 2:
        xs = [float(p[x_axis]) for p in points]
        xmax = max(xs) or 1.0
        qmax = max(1.0, max(qs) if qs else 1.0)
        label = "cost per example" if x_axis == "cost" else "median latency"
        lines = [
            "quadrantChart",
            f"    title Quality vs {label}",
            f"    x-axis Low {label} --> High {label}",
            "    y-axis Low quality --> High quality",
        ]
        for p in points:
            x = float(p[x_axis]) / xmax
            y = (p["quality"] or 0) / qmax
            star = " - frontier" if p["frontier"] else ""
            lines.append(
                f"    {name(p)}{star}: [{min(max(x, 0.0), 1.0):.3f}, {min(max(y, 0.0), 1.0):.3f}]"
            )
        return "\n".join(lines)
    scale = 100 if points[0]["kind"] == "binary" else 1
    names = ", ".join(f'"{name(p)}{"*" if p["frontier"] else ""}"' for p in points)
    vals = ", ".join(f"{(p['quality'] or 0) * scale:.3f}" for p in points)
    top = max((p["quality"] or 0) * scale for p in points)
    lines = [
        "xychart-beta",
        f'    title "{_MERMAID_NAME.sub("_", points[0]["metric"])} by variant (frontier marked *)"',
        f"    x-axis [{names}]",
        f'    y-axis "{_MERMAID_NAME.sub("_", points[0]["metric"])}" 0 --> {max(top * 1.1, 1e-9):.3f}',
        f"    bar [{vals}]",
    ]
    return "\n".join(lines)


def _pareto_ctx(
    model: Mapping[str, Any], judges: list[str], diff: Mapping[str, Any]
) -> dict[str, Any]:
    pts = model["pareto"]["points"]
    metric = model["pareto"]["metric"]
    manifests = diff["metrics"].get("manifests", {})
    rows = [
        {
            "variant": ms.code(p["variant"], in_table=True),
            "quality": fmt_value(p["quality"], p["kind"]),
            "base_quality": fmt_value(p["base_quality"], p["kind"]),
            "cost": fmt_cost(p["cost"]),
            "latency": fmt_ms(p["latency_ms"]),
            "n": str(p["n"]),
            "frontier": "★ frontier" if p["frontier"] else "",
            "untrusted": bool(metric and _metric_judge(metric, manifests, p["variant"], judges)),
        }
        for p in pts
    ]
    missing = [a for a in ("cost", "latency_ms") if pts and any(p[a] is None for p in pts)]
    chart = _mermaid(pts)
    return {
        "metric": ms.code(metric) if metric else "",
        "rows": rows,
        "missing": ["cost" if a == "cost" else "latency" for a in missing],
        "chart": ms.fence(chart, "mermaid") if chart else "",
        "untrusted": any(r["untrusted"] for r in rows),
    }


def _score(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int | float):
        return f"{v:.3g}"
    return str(v)


def _outputs_ctx(outputs: list[Mapping[str, Any]]) -> list[str]:
    blocks = []
    for o in outputs:
        moved = []
        for m in sorted(set(o["base_scores"]) | set(o["head_scores"])):
            moved.append(
                f"{m} {_score(o['base_scores'].get(m))} → {_score(o['head_scores'].get(m))}"
            )
        summary = f"{o['example_id']} · {o['variant']}" + (
            f" · {'; '.join(moved)}" if moved else ""
        )
        body = "**input**\n\n" + ms.fence(_clip(o["input"])) + "\n\n"
        if o.get("reference") is not None:
            body += "**reference**\n\n" + ms.fence(_clip(o["reference"])) + "\n\n"
        if o["base_output"] is None and o["head_output"] is None:
            body += "_No output text is recorded for this example on either side._"
        else:
            body += _side_by_side(
                "base output", _clip(o["base_output"]), "head output", _clip(o["head_output"])
            )
        for r in o.get("rationales", []):
            body += f"\n\n**judge {ms.code(r['judge'])}'s rationale**\n\n" + ms.fence(
                _clip(r["text"], 800)
            )
        blocks.append(ms.details(summary, body))
    return blocks


def context(
    model: Mapping[str, Any], *, limit: int = 5, notes: list[str] | None = None
) -> dict[str, Any]:
    """Everything the markdown templates use: safe strings and formatted numbers only."""
    diff = model["diff"]
    judges = model["untrusted_judges"]
    v = model["verdict"]
    s = diff["settings"]
    return {
        "verdict": v["text"],
        "status": v["status"],
        "failures": v["failures_md"],
        "warnings": v["warnings_md"],
        "base": ms.code(diff["base"]["label"]),
        "head": ms.code(diff["head"]["label"]),
        "examples": _examples_ctx(diff["examples"], limit),
        "variants": {
            k: [ms.code(x) for x in diff["metrics"]["variants"][k]]
            for k in ("added", "removed", "common")
        },
        "metric_tables": _metric_tables(diff, judges),
        "n_tests": diff["metrics"]["n_tests"],
        "agreement": _agreement_ctx(diff),
        "judge_bias": _bias_ctx(diff),
        "calibration": _calibration_ctx(diff),
        "untrusted_judges": [ms.code(j) for j in judges],
        "ranking": _ranking_ctx(diff, judges),
        "pareto": _pareto_ctx(model, judges, diff),
        "changelog": _changelog_ctx(diff["examples"]["changelog"]),
        "outputs": _outputs_ctx(diff["outputs"]),
        "notes": list(notes or []),
        "settings": {
            "alpha": s["alpha"],
            "level": f"{100 * s['level']:.0f}%",
            "correction": {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}.get(
                s["correction"], s["correction"]
            ),
            "seed": s["seed"],
            "n_boot": s["n_boot"],
            "judge_threshold": s["judge_threshold"],
        },
    }


def markdown(
    model: Mapping[str, Any],
    *,
    override: Path | None = None,
    limit: int = ms.GITHUB_COMMENT_LIMIT,
    notes: list[str] | None = None,
    fit: bool = True,
) -> str:
    """The markdown report, fitted under ``limit`` characters with goldset's marker first."""
    from goldset import templating

    text = templating.render(TEMPLATE_MD, context(model, notes=notes), override=override)
    if not fit:
        return text
    return ms.fit_markdown(text, limit=limit).body


def html(
    model: Mapping[str, Any], *, override: Path | None = None, notes: list[str] | None = None
) -> str:
    """A standalone HTML page with the same content; every string is HTML-escaped by the template."""
    from goldset import templating

    ctx = html_context(model, notes=notes)
    return templating.render(TEMPLATE_HTML, ctx, override=override)


def html_context(model: Mapping[str, Any], *, notes: list[str] | None = None) -> dict[str, Any]:
    """Raw (unescaped) strings for the HTML template, which escapes each with ``|e``."""
    diff = model["diff"]
    judges = model["untrusted_judges"]
    manifests = diff["metrics"].get("manifests", {})
    order = {s: i for i, s in enumerate(_slice_order(diff))}
    rows = []
    for r in sorted(
        diff["metrics"]["rows"], key=lambda r: (r["metric"], order[r["slice"]], r["variant"])
    ):
        p = r["paired"] or {}
        rows.append(
            {
                "metric": r["metric"],
                "slice": r["slice"],
                "high_stakes": r["high_stakes"],
                "variant": r["variant"],
                "base": fmt_value(p.get("base_mean", r["base"]["mean"]), r["kind"]),
                "head": fmt_value(p.get("head_mean", r["head"]["mean"]), r["kind"]),
                "delta": fmt_delta(p.get("delta"), r["kind"]),
                "se": fmt_delta(p.get("se"), r["kind"]).lstrip("+"),
                "ci": fmt_ci(p.get("ci"), r["kind"]),
                "n": p.get("n", 0),
                "apart": _apart(r),
                "flag": r["flag"] or "",
                "untrusted": _metric_judge(r["metric"], manifests, r["variant"], judges) or "",
            }
        )
    return {
        "verdict": re.sub(r"\*\*", "", model["verdict"]["text"]),
        "failures": model["verdict"]["failures"],
        "warnings": model["verdict"]["warnings"],
        "base": diff["base"]["label"],
        "head": diff["head"]["label"],
        "examples": diff["examples"],
        "rows": rows,
        "agreement": diff["agreement"].get("rows", []),
        "ranking": diff["ranking"].get("sources", []),
        "pareto": model["pareto"],
        "untrusted_judges": judges,
        "outputs": [
            {
                **o,
                "input": _text(o["input"]),
                "base_output": _text(o["base_output"]),
                "head_output": _text(o["head_output"]),
            }
            for o in diff["outputs"]
        ],
        "notes": list(notes or []),
    }


# --- `goldset diff` renderers -----------------------------------------------------


def diff_text(diff: Mapping[str, Any]) -> str:
    """A terminal rendering of a diff (plain text; untrusted text kept on one line)."""

    def one(s: Any) -> str:
        return ms.strip_controls(str(s)).replace("\n", " ")[:200]

    ex = diff["examples"]
    out = [f"goldset diff {diff['base']['label']} .. {diff['head']['label']}", ""]
    out.append(
        f"examples: {ex['n_base']} -> {ex['n_head']} "
        f"({len(ex['added'])} added, {len(ex['changed'])} changed, {len(ex['removed'])} removed, "
        f"{len(ex['moved'])} moved, {ex['n_unchanged']} unchanged)"
    )
    for kind in ("added", "changed", "removed", "moved"):
        for r in ex[kind]:
            why = "; ".join(one(j["reason"]) for j in r["justification"]) or "NO CHANGELOG ENTRY"
            extra = f" from {r['from']}" if kind == "moved" else ""
            out.append(f"  {kind:<8} {one(r['id'])}{extra}: {why}")
    m = diff["metrics"]
    if m["variants"]["added"]:
        out.append("variants added: " + ", ".join(one(v) for v in m["variants"]["added"]))
    if m["variants"]["removed"]:
        out.append("variants removed: " + ", ".join(one(v) for v in m["variants"]["removed"]))
    out.append("")
    head = f"{'variant':<20} {'metric':<16} {'slice':<24} {'base':>8} {'head':>8} {'delta':>12} {'se':>9} {'n':>6}  apart / flag"
    out.append(head)
    for r in m["rows"]:
        p = r["paired"] or {}
        k = r["kind"]
        flag = {"regressed": "REGRESSED", "improved": "improved"}.get(r["flag"] or "", "")
        if r["high_stakes"] and flag:
            flag += " (high-stakes)"
        out.append(
            f"{one(r['variant'])[:20]:<20} {one(r['metric'])[:16]:<16} {one(r['slice'])[:24]:<24} "
            f"{fmt_value(p.get('base_mean', r['base']['mean']), k):>8} "
            f"{fmt_value(p.get('head_mean', r['head']['mean']), k):>8} "
            f"{fmt_delta(p.get('delta'), k):>12} {fmt_delta(p.get('se'), k).lstrip('+'):>9} "
            f"{p.get('n', 0):>6}  {_apart(r)} {flag}".rstrip()
        )
    untrusted = set(diff["agreement"].get("untrusted", []))
    for a in diff["agreement"].get("rows", []):
        if a.get("kind") == "human-human":
            mark = "  (humans disagree)" if a.get("trusted") is False else ""
        else:
            mark = "  UNTRUSTED JUDGE" if a.get("judge") in untrusted else ""
        out.append(
            f"kappa {one(a.get('judge') or a.get('rater'))} vs {one(a.get('against', 'humans'))} "
            f"[{one(a.get('criterion', 'pairwise'))}; {one(a.get('slice', 'all'))}]: "
            f"{fmt_num((a.get('base') or {}).get('kappa'))} -> "
            f"{fmt_num((a.get('head') or {}).get('kappa'))}{mark}"
        )
    for src in diff["ranking"].get("sources", []):
        out.append(f"Bradley-Terry ({one(src.get('source'))}):")
        for mdl in src.get("models", []):
            b, h = mdl.get("base") or {}, mdl.get("head") or {}
            out.append(
                f"  {one(mdl['model']):<24} {fmt_num(b.get('rating'), 0):>6} -> {fmt_num(h.get('rating'), 0):>6}"
                f"  ({fmt_num(mdl.get('delta'), 0, signed=True)})"
            )
    return "\n".join(out) + "\n"


def comment_body(root: Path, *, base: str | None = None, head: str | None = None) -> str:
    """The fitted markdown report of ``base..head`` (defaults as for `goldset report`),
    as `goldset comment` posts it when given no --body-file."""
    from goldset import config
    from goldset import diff as diff_mod

    cfg = config.load(root)
    model = build(diff_mod.compute(root, cfg, base, head))
    override = cfg.path("templates") if cfg["paths"].get("templates") else None
    return markdown(model, override=override)
