"""The weekly review: which outputs to read, the session that resumes, the summary.

Selection is pure and seeded: the same inputs and seed pick the same items in
the same order, each with the reasons it was picked. It prefers items where the
judge disagrees with the humans or contradicted itself across orders, then
outputs whose example or output changed since they were labelled, then outputs
no human has labelled, and it covers every slice before doubling up on one.

A session (``.git/goldset-review/<annotator>.json``) pins the picked items so a
re-run continues where the last one stopped; what was answered is read back
from the labels themselves, which are the durable record.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from goldset import atomic
from goldset import labels as labels_mod
from goldset.errors import ConfigError, InputError, UsageError

# How much each reason pulls an item forward. Disagreement is the rarest and
# most informative signal (it is what judge calibration needs), so it leads.
WEIGHTS: dict[str, int] = {
    "judge_disagrees": 8,
    "judge_inconsistent": 8,
    "changed": 4,
    "unlabelled": 2,
}
REASON_TEXT: dict[str, str] = {
    "judge_disagrees": "the judge disagrees with the human label",
    "judge_inconsistent": "the judge's verdict flipped with the order",
    "changed": "changed since it was labelled",
    "unlabelled": "no human has labelled it yet",
    "slice": "represents its slice",
    "fill": "fills the sample",
}
STATE_VERSION = 1


# ------------------------------------------------------------------- inputs


def read_results(cfg: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """variant -> example_id -> result record, through goldset.results (validated)."""
    from goldset import results

    return {v: dict(vr.records) for v, vr in results.load(cfg).items()}


def slice_label(example: Mapping[str, Any], keys: Sequence[str]) -> str:
    """``category=math`` (keys joined with ``,``), over the configured slice keys."""
    s = example.get("slice")
    s = s if isinstance(s, dict) else {}
    use = list(keys) or sorted(s)
    parts = [f"{k}={s[k]}" for k in use if k in s]
    return ",".join(parts) or "(no slice)"


def parse_slice_filters(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        k, sep, val = v.partition("=")
        if not sep or not k.strip() or not val.strip():
            raise UsageError(f"--slice {v!r}: expected KEY=VALUE, e.g. --slice category=math")
        out[k.strip()] = val.strip()
    return out


# ---------------------------------------------------------------- selection


@dataclass(frozen=True)
class Candidate:
    """One thing a reviewer could read: an output (pointwise) or a pair of outputs."""

    kind: str  # "pointwise" | "pairwise"
    example_id: str
    slice: str
    variant: str | None = None
    a: str | None = None
    b: str | None = None
    reasons: tuple[str, ...] = ()
    details: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        if self.kind == "pointwise":
            return f"p:{self.example_id}:{self.variant}"
        return f"pair:{self.example_id}:{self.a}:{self.b}"

    @property
    def priority(self) -> int:
        return sum(WEIGHTS.get(r, 0) for r in self.reasons)


@dataclass(frozen=True)
class Item:
    """A picked candidate, with why it was picked and (pairwise) the blind order."""

    candidate: Candidate
    why: tuple[str, ...]  # reason codes, including "slice" / "fill"
    shown: tuple[str, str] | None = None  # pairwise: (left, right) as "a"/"b"
    picked_by: str = "priority"  # "slice": its slice's best, so every slice is read

    @property
    def key(self) -> str:
        return self.candidate.key

    def as_dict(self) -> dict[str, Any]:
        c = self.candidate
        d: dict[str, Any] = {"kind": c.kind, "example_id": c.example_id, "slice": c.slice}
        if c.kind == "pointwise":
            d["variant"] = c.variant
        else:
            d["a"], d["b"] = c.a, c.b
            d["shown"] = list(self.shown or ("a", "b"))
        d["reasons"] = list(self.why)
        d["details"] = list(c.details)
        d["priority"] = c.priority
        d["picked_by"] = self.picked_by
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Item:
        cand = Candidate(
            kind=d["kind"],
            example_id=d["example_id"],
            slice=d["slice"],
            variant=d.get("variant"),
            a=d.get("a"),
            b=d.get("b"),
            reasons=tuple(r for r in d.get("reasons", ()) if r in WEIGHTS),
            details=tuple(d.get("details", ())),
        )
        shown = tuple(d["shown"]) if d.get("shown") else None
        return cls(
            cand,
            tuple(d.get("reasons", ())),
            shown,  # type: ignore[arg-type]
            str(d.get("picked_by", "priority")),
        )

    def explain(self) -> str:
        bits = [REASON_TEXT.get(r, r) for r in self.why]
        return "; ".join(bits + list(self.candidate.details))


def _tiebreak(seed: int, key: str) -> int:
    """A seeded, order-independent pseudo-random rank for ``key``."""
    return int.from_bytes(hashlib.sha256(f"{seed}\0{key}".encode()).digest()[:8], "big")


def default_seed(now: datetime) -> int:
    """This ISO week as ``YYYYWW``: the whole week re-picks the same items by default."""
    year, week, _ = now.astimezone(UTC).isocalendar()
    return year * 100 + week


def select(candidates: Sequence[Candidate], n: int, seed: int) -> list[Item]:
    """Pick ``n`` candidates: every slice first (its best item), then the best of the rest.

    Order: higher priority first; between equals, the slice with fewer picks so
    far; then a seeded tiebreak. Pure: same candidates and seed, same items.
    """
    if n <= 0:
        return []
    ranked = sorted(candidates, key=lambda c: (-c.priority, _tiebreak(seed, c.key)))
    best_of: dict[str, Candidate] = {}
    for c in ranked:
        best_of.setdefault(c.slice, c)
    slice_order = sorted(
        best_of, key=lambda s: (-best_of[s].priority, _tiebreak(seed, "slice\0" + s))
    )
    picked: list[tuple[Candidate, str]] = []
    taken: set[str] = set()
    count: dict[str, int] = {}
    for s in slice_order[:n]:
        c = best_of[s]
        picked.append((c, "slice"))
        taken.add(c.key)
        count[s] = 1
    remaining = [c for c in ranked if c.key not in taken]
    while len(picked) < n and remaining:
        c = min(
            remaining,
            key=lambda c: (-c.priority, count.get(c.slice, 0), _tiebreak(seed, c.key)),
        )
        remaining.remove(c)
        picked.append((c, "fill"))
        count[c.slice] = count.get(c.slice, 0) + 1
    # Read the most informative first; the slice pass only decides membership.
    picked.sort(key=lambda pc: (-pc[0].priority, _tiebreak(seed, pc[0].key)))
    items: list[Item] = []
    for c, how in picked:
        why = c.reasons if c.reasons else (how,)
        shown: tuple[str, str] | None = None
        if c.kind == "pairwise":
            shown = ("b", "a") if _tiebreak(seed, c.key + "\0shown") & 1 else ("a", "b")
        items.append(Item(c, why, shown, "slice" if how == "slice" else "priority"))
    return items


def _human_view(
    human: Mapping[tuple[Any, ...], labels_mod.Loaded],
) -> dict[tuple[Any, ...], list[labels_mod.Loaded]]:
    """Latest human labels grouped by item (pointwise keyed per criterion)."""
    out: dict[tuple[Any, ...], list[labels_mod.Loaded]] = {}
    for key, r in human.items():
        out.setdefault(key[1:], []).append(r)
    return out


def build_candidates(
    *,
    examples: Mapping[str, Mapping[str, Any]],
    outputs: Mapping[str, Mapping[str, Mapping[str, Any]]],
    human: Sequence[labels_mod.Loaded],
    judgments: Sequence[labels_mod.Loaded],
    criteria: Sequence[str],
    slice_keys: Sequence[str],
    variant: str | None = None,
    pair: tuple[str, str] | None = None,
    slice_filter: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Every reviewable output (or pair) with the reasons it deserves a read."""
    from goldset.golden import content_hash

    if pair is not None:
        for v in pair:
            if v not in outputs:
                raise UsageError(
                    f"--pair: no results for variant {v!r}",
                    hint=f"variants with results: {', '.join(sorted(outputs)) or 'none'}",
                )
        if pair[0] == pair[1]:
            raise UsageError("--pair: give two different variants")
    elif variant is not None and variant not in outputs:
        raise UsageError(
            f"--variant: no results for {variant!r}",
            hint=f"variants with results: {', '.join(sorted(outputs)) or 'none'}",
        )
    hashes = {ex_id: content_hash(ex) for ex_id, ex in examples.items()}
    latest_h = _human_view(labels_mod.latest(human))
    latest_j = _human_view(labels_mod.latest(judgments))
    pairs_h: dict[tuple[Any, ...], list[labels_mod.Loaded]] = {}
    pairs_j: dict[tuple[Any, ...], list[labels_mod.Loaded]] = {}
    for view, index in ((latest_h, pairs_h), (latest_j, pairs_j)):
        for k, rs in view.items():
            if k[0] == "pair":
                index.setdefault(k[:3], []).extend(rs)

    def usable(ex_id: str, rec: Mapping[str, Any] | None) -> bool:
        if rec is None or rec.get("error") or rec.get("output") is None:
            return False
        # An output made for an older version of the example cannot be judged now.
        h = rec.get("example_hash")
        return h is None or h == hashes[ex_id]

    def current(recs: Sequence[labels_mod.Loaded], ex_id: str) -> list[labels_mod.Loaded]:
        return [r for r in recs if r.record.get("example_hash") in (None, hashes[ex_id])]

    flt = dict(slice_filter or {})
    cands: list[Candidate] = []
    for ex_id in sorted(examples):
        ex = examples[ex_id]
        sl = ex.get("slice") if isinstance(ex.get("slice"), dict) else {}
        if any(str(sl.get(k)) != v for k, v in flt.items()):
            continue
        label = slice_label(ex, slice_keys)
        if pair is not None:
            ra, rb = outputs[pair[0]].get(ex_id), outputs[pair[1]].get(ex_id)
            if not (usable(ex_id, ra) and usable(ex_id, rb)):
                continue
            assert ra is not None and rb is not None
            oh = labels_mod.pair_output_hash(ra["output"], rb["output"])
            oh_swapped = labels_mod.pair_output_hash(rb["output"], ra["output"])
            pkey = ("pair", ex_id, tuple(sorted(pair)))
            hl = pairs_h.get(pkey, [])
            jl = pairs_j.get(pkey, [])
            reasons: list[str] = []
            details: list[str] = []
            cur = [
                r
                for r in current(hl, ex_id)
                if r.record.get("output_hash") in (None, oh, oh_swapped)
            ]
            if hl and not cur:
                reasons.append("changed")
            elif not hl:
                reasons.append("unlabelled")
            jcur = current(jl, ex_id)
            if any(j.record.get("consistent") is False for j in jcur):
                reasons.insert(0, "judge_inconsistent")
            hw = {labels_mod.winner_name(r.record) for r in cur}
            jw = {
                labels_mod.winner_name(j.record)
                for j in jcur
                if j.record.get("consistent") is not False
            }
            if hw and jw and hw != jw:
                reasons.insert(0, "judge_disagrees")
                details.append(
                    f"judge picked {'/'.join(sorted(jw))}, humans {'/'.join(sorted(hw))}"
                )
            cands.append(
                Candidate(
                    "pairwise",
                    ex_id,
                    label,
                    a=pair[0],
                    b=pair[1],
                    reasons=tuple(reasons),
                    details=tuple(details),
                )
            )
            continue
        for v in [variant] if variant is not None else sorted(outputs):
            rec = outputs[v].get(ex_id)
            if not usable(ex_id, rec):
                continue
            assert rec is not None
            oh = labels_mod.output_hash(rec["output"])
            reasons = []
            details = []
            any_label = False
            changed = False
            disagree: list[str] = []
            fresh_crit = 0
            for crit in criteria:
                hl = latest_h.get(("p", ex_id, v, crit), []) + latest_h.get(
                    ("p", ex_id, None, crit), []
                )
                if not hl:
                    continue
                any_label = True
                cur = [r for r in current(hl, ex_id) if r.record.get("output_hash") in (None, oh)]
                if not cur:
                    changed = True
                    continue
                fresh_crit += 1
                jl = latest_j.get(("p", ex_id, v, crit), []) + latest_j.get(
                    ("p", ex_id, None, crit), []
                )
                jv = {j.record["value"] for j in current(jl, ex_id)}
                hv = {r.record["value"] for r in cur}
                if jv and hv != jv:
                    disagree.append(f"{crit}: judge {_pf(jv)}, humans {_pf(hv)}")
            if disagree:
                reasons.append("judge_disagrees")
                details.extend(disagree)
            if changed:
                reasons.append("changed")
            if not any_label:
                reasons.append("unlabelled")
            cands.append(
                Candidate(
                    "pointwise",
                    ex_id,
                    label,
                    variant=v,
                    reasons=tuple(reasons),
                    details=tuple(details),
                )
            )
    return cands


def _pf(values: set[bool]) -> str:
    return "/".join(sorted("pass" if v else "fail" for v in values))


# ------------------------------------------------------------------ sessions


def state_dir(cfg: Any) -> Path:
    gd = labels_mod.git_dir(cfg.root)
    return (gd / "goldset-review") if gd is not None else (cfg.root / ".goldset" / "review")


@dataclass
class Session:
    """The items of one review, what is left of them, and how to write answers."""

    annotator: str
    seed: int
    params: dict[str, Any]
    started_at: str
    items: list[Item]
    examples: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, dict[str, Any]]]
    criteria: list[dict[str, str]]
    resumed: bool = False
    skipped: list[str] = field(default_factory=list)
    answered: dict[str, set[str]] = field(default_factory=dict)  # item key -> criteria / {"pair"}
    state_file: Path | None = None

    def todo(self, item: Item) -> list[str]:
        """What is still to ask for ``item``: criterion names, or ``["pair"]``."""
        done = self.answered.get(item.key, set())
        if item.candidate.kind == "pairwise":
            return [] if "pair" in done else ["pair"]
        return [c["name"] for c in self.criteria if c["name"] not in done]

    def finished(self) -> bool:
        return all(not self.todo(i) or i.key in self.skipped for i in self.items)

    def state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "annotator": self.annotator,
            "seed": self.seed,
            "params": self.params,
            "started_at": self.started_at,
            "finished": self.finished(),
            "skipped": self.skipped,
            "items": [i.as_dict() for i in self.items],
        }

    def save(self) -> None:
        if self.state_file is not None:
            atomic.write_bytes(
                self.state_file, orjson.dumps(self.state(), option=orjson.OPT_INDENT_2) + b"\n"
            )

    # -- answers

    def view(self, item: Item) -> dict[str, Any]:
        """What to show: input, reference, and the output(s) in display order."""
        c = item.candidate
        ex = self.examples[c.example_id]
        out: dict[str, Any] = {"input": ex.get("input"), "reference": ex.get("reference")}
        if c.kind == "pointwise":
            assert c.variant is not None
            out["outputs"] = [self.outputs[c.variant][c.example_id]["output"]]
        else:
            assert item.shown is not None and c.a is not None and c.b is not None
            names = {"a": c.a, "b": c.b}
            out["outputs"] = [self.outputs[names[s]][c.example_id]["output"] for s in item.shown]
        return out

    def record(
        self,
        item: Item,
        *,
        criterion: str | None = None,
        value: bool | None = None,
        choice: str | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The label for one answer. ``choice`` is the side picked on screen: left, right, tie."""
        from goldset.golden import content_hash

        c = item.candidate
        ex = self.examples[c.example_id]
        rec: dict[str, Any] = {
            "example_id": c.example_id,
            "example_hash": content_hash(ex),
            "annotator": self.annotator,
        }
        if c.kind == "pointwise":
            assert c.variant is not None and criterion is not None and value is not None
            rec["variant"] = c.variant
            rec["criterion"] = criterion
            rec["value"] = value
        else:
            assert item.shown is not None and c.a is not None and c.b is not None
            rec["a"], rec["b"] = c.a, c.b
            if choice == "left":
                rec["winner"] = item.shown[0]
            elif choice == "right":
                rec["winner"] = item.shown[1]
            elif choice == "tie":
                rec["winner"] = "tie"
            else:
                raise ValueError(f"choice must be left, right or tie, not {choice!r}")
            rec["shown"] = list(item.shown)
        rec["at"] = labels_mod.now_iso(now)
        if note:
            rec["note"] = note
        if c.kind == "pointwise":
            rec["output_hash"] = labels_mod.output_hash(
                self.outputs[c.variant][c.example_id]["output"]
            )
        else:
            rec["output_hash"] = labels_mod.pair_output_hash(
                self.outputs[c.a][c.example_id]["output"],  # type: ignore[index]
                self.outputs[c.b][c.example_id]["output"],  # type: ignore[index]
            )
        return rec

    def answer(self, cfg: Any, item: Item, rec: Mapping[str, Any]) -> None:
        """Append the label durably, then note it as answered."""
        labels_mod.append(cfg, self.annotator, [rec])
        done = self.answered.setdefault(item.key, set())
        done.add(rec.get("criterion", "pair"))
        if item.key in self.skipped:
            self.skipped.remove(item.key)

    def skip(self, item: Item) -> None:
        if item.key not in self.skipped:
            self.skipped.append(item.key)
        self.save()

    def first_open(self) -> int:
        """Index of the first item with questions left (skipped ones are passed over)."""
        for i, item in enumerate(self.items):
            if self.todo(item) and item.key not in self.skipped:
                return i
        return len(self.items)


def _answered_since(
    store: labels_mod.Store,
    annotator: str,
    since: str,
    items: Sequence[Item],
    examples: Mapping[str, Any],
) -> dict[str, set[str]]:
    from goldset.golden import content_hash

    t0 = labels_mod.parse_time(since)
    wanted: dict[tuple[Any, ...], str] = {}
    for it in items:
        c = it.candidate
        if c.kind == "pointwise":
            wanted[("p", c.example_id, c.variant)] = it.key
        else:
            wanted[("pair", c.example_id, tuple(sorted((c.a, c.b))))] = it.key  # type: ignore[type-var]
    out: dict[str, set[str]] = {}
    for r in store.records:
        rec = r.record
        if r.rater != annotator or "at" not in rec:
            continue
        if labels_mod.parse_time(rec["at"]) < t0:
            continue
        ex = examples.get(rec["example_id"])
        if ex is None or rec.get("example_hash") != content_hash(ex):
            continue
        if "criterion" in rec:
            k = wanted.get(("p", rec["example_id"], rec.get("variant")))
            if k:
                out.setdefault(k, set()).add(rec["criterion"])
        else:
            k = wanted.get(("pair", rec["example_id"], tuple(sorted((rec["a"], rec["b"])))))
            if k:
                out.setdefault(k, set()).add("pair")
    return out


def start(
    cfg: Any,
    *,
    annotator: str,
    n: int = 10,
    variant: str | None = None,
    pair: tuple[str, str] | None = None,
    slices: Sequence[str] = (),
    seed: int | None = None,
    restart: bool = False,
    items_file: Path | None = None,
    now: datetime | None = None,
    persist: bool = True,
) -> Session:
    """Resume this annotator's unfinished review with the same options, or pick a new one.

    ``items_file`` (the JSON of ``goldset review --list --format json``) fixes
    the items instead: that is how two annotators read the same ones.
    """
    from goldset import golden

    now = now or datetime.now(UTC)
    if n < 1:
        raise UsageError("-n: review at least one item")
    crit = labels_mod.criteria(cfg)
    if pair is None and items_file is None and not crit:
        raise ConfigError(
            "goldset.yaml: rubric.criteria is empty, so there is nothing to rate pointwise",
            hint="add criteria (name, question, pass_example, fail_example) or use --pair A B",
        )
    examples = golden.load(cfg).examples
    if not examples:
        raise UsageError(
            f"{cfg.rel('golden')}: the golden set is empty", hint="`goldset add` first"
        )
    outputs = read_results(cfg)
    if not outputs:
        raise UsageError(
            f"{cfg.rel('results')}: no results to review",
            hint="generate outputs first (`goldset run`), one <variant>.jsonl per variant",
        )
    names = [c["name"] for c in crit]
    human = labels_mod.load(cfg, examples, rubric=names)
    params: dict[str, Any] = {
        "n": n,
        "variant": variant,
        "pair": list(pair) if pair else None,
        "slices": sorted(slices),
    }
    fixed: tuple[int, list[Item]] | None = None
    if items_file is not None:
        fixed = read_items_file(items_file, examples, outputs, [c["name"] for c in crit])
        raw = items_file.read_bytes()
        params = {"items_file": hashlib.sha256(raw).hexdigest()[:16]}
    state_file = state_dir(cfg) / f"{annotator}.json" if persist else None
    if state_file is not None and not restart and state_file.is_file():
        try:
            st = orjson.loads(state_file.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            st = None
        if (
            isinstance(st, dict)
            and st.get("version") == STATE_VERSION
            and not st.get("finished")
            and st.get("params") == params
            and (seed is None or st.get("seed") == seed)
            and _recent(st.get("started_at"), now)
        ):
            items = [
                it
                for it in (Item.from_dict(d) for d in st.get("items", []))
                if _still_there(it, examples, outputs)
            ]
            sess = Session(
                annotator=annotator,
                seed=int(st["seed"]),
                params=params,
                started_at=str(st["started_at"]),
                items=items,
                examples=examples,
                outputs=outputs,
                criteria=crit,
                resumed=True,
                skipped=[k for k in st.get("skipped", []) if isinstance(k, str)],
                state_file=state_file,
            )
            sess.answered = _answered_since(human, annotator, sess.started_at, items, examples)
            if not sess.finished():
                return sess
    if fixed is not None:
        sess = Session(
            annotator=annotator,
            seed=fixed[0],
            params=params,
            started_at=labels_mod.now_iso(now),
            items=fixed[1],
            examples=examples,
            outputs=outputs,
            criteria=crit,
            state_file=state_file,
        )
        sess.save()
        return sess
    use_seed = seed if seed is not None else default_seed(now)
    judgments = labels_mod.load_judgments(cfg, examples)
    cands = build_candidates(
        examples=examples,
        outputs=outputs,
        human=human.records,
        judgments=judgments.records,
        criteria=names,
        slice_keys=cfg.slice_keys,
        variant=variant,
        pair=pair,
        slice_filter=parse_slice_filters(slices),
    )
    if not cands:
        raise UsageError(
            "nothing to review: no output matches these options",
            hint=f"check --variant/--pair/--slice against the results under {cfg.rel('results')}",
        )
    sess = Session(
        annotator=annotator,
        seed=use_seed,
        params=params,
        started_at=labels_mod.now_iso(now),
        items=select(cands, n, use_seed),
        examples=examples,
        outputs=outputs,
        criteria=crit,
        state_file=state_file,
    )
    sess.save()
    return sess


# An unfinished review older than this is not resumed: last week's picks are stale.
RESUME_WITHIN = timedelta(days=7)


def _recent(started_at: Any, now: datetime) -> bool:
    try:
        return now - labels_mod.parse_time(str(started_at)) <= RESUME_WITHIN
    except ValueError:
        return False


def read_items_file(
    path: Path,
    examples: Mapping[str, Any],
    outputs: Mapping[str, Any],
    criteria_names: Sequence[str] = ("?",),
) -> tuple[int, list[Item]]:
    """The items of a ``--list --format json`` file, checked against the set and results."""
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    raw = doc.get("items") if isinstance(doc, dict) else doc
    if not isinstance(raw, list) or not raw:
        raise InputError(
            f"{path}: expected the JSON of `goldset review --list --format json` (an items list)"
        )
    items: list[Item] = []
    for i, d in enumerate(raw):
        where = f"{path}: items[{i}]"
        if not isinstance(d, dict) or d.get("kind") not in ("pointwise", "pairwise"):
            raise InputError(f"{where}.kind: expected pointwise or pairwise")
        if d.get("example_id") not in examples:
            raise InputError(
                f"{where}.example_id: {d.get('example_id')!r} is not in the golden set"
            )
        names = [d.get("variant")] if d["kind"] == "pointwise" else [d.get("a"), d.get("b")]
        for v in names:
            if v not in outputs or d["example_id"] not in outputs[v]:
                raise InputError(f"{where}: no output of variant {v!r} for {d['example_id']!r}")
        if d["kind"] == "pairwise" and sorted(d.get("shown") or []) != ["a", "b"]:
            d = {**d, "shown": ["a", "b"]}
        if d["kind"] == "pointwise" and not criteria_names:
            raise ConfigError(
                f"{where}: a pointwise item, but rubric.criteria in goldset.yaml is empty"
            )
        d.setdefault("slice", "(no slice)")
        items.append(Item.from_dict(d))
    seed = doc.get("seed", 0) if isinstance(doc, dict) else 0
    return (seed if isinstance(seed, int) else 0), items


def _still_there(item: Item, examples: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
    c = item.candidate
    if c.example_id not in examples:
        return False
    names = [c.variant] if c.kind == "pointwise" else [c.a, c.b]
    return all(v in outputs and c.example_id in outputs[v] for v in names)


# ------------------------------------------------------------------- summary


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarize(
    *,
    examples: Mapping[str, Mapping[str, Any]],
    human: Sequence[labels_mod.Loaded],
    judgments: Sequence[labels_mod.Loaded],
    criteria: Sequence[str],
    slice_keys: Sequence[str],
    now: datetime,
    days: int = 7,
    remind_after_days: float = 7,
) -> dict[str, Any]:
    """What the last ``days`` of review found, as plain data with a stable shape."""
    from goldset.golden import content_hash

    since = now - timedelta(days=days)
    latest = labels_mod.latest(human)
    in_window = [
        r
        for r in latest.values()
        if "at" in r.record and since <= labels_mod.parse_time(r.record["at"]) <= now
    ]
    in_window.sort(key=lambda r: (r.record["at"], r.path, r.line))
    slices_all = sorted({slice_label(ex, slice_keys) for ex in examples.values()})
    items_by_slice: dict[str, set[tuple[Any, ...]]] = {s: set() for s in slices_all}
    annotators: set[str] = set()
    for r in in_window:
        rec = r.record
        ex = examples.get(rec["example_id"])
        if ex is None:
            continue
        annotators.add(r.rater)
        key = labels_mod.item_key(rec)
        item = key[:3] if key[0] == "p" else key
        items_by_slice.setdefault(slice_label(ex, slice_keys), set()).add(item)
    crit_rows = []
    for name in criteria:
        vals = [r.record["value"] for r in in_window if r.record.get("criterion") == name]
        k, n = sum(1 for v in vals if v), len(vals)
        rate = k / n if n else None
        se = math.sqrt(rate * (1 - rate) / n) if n and rate is not None else None
        lo, hi = wilson(k, n) if n else (None, None)
        crit_rows.append(
            {"criterion": name, "pass": k, "n": n, "rate": rate, "se": se, "ci95": [lo, hi]}
        )
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for r in in_window:
        rec = r.record
        if "winner" not in rec:
            continue
        a, b = sorted((rec["a"], rec["b"]))
        row = pairs.setdefault(
            (a, b), {"a": a, "b": b, "a_wins": 0, "b_wins": 0, "ties": 0, "n": 0}
        )
        w = labels_mod.winner_name(rec)
        row["n"] += 1
        if w == "tie":
            row["ties"] += 1
        elif w == a:
            row["a_wins"] += 1
        else:
            row["b_wins"] += 1
    # Disagreements: this window's human labels against the judge's current verdicts.
    jl = labels_mod.latest(judgments)
    by_item: dict[tuple[Any, ...], list[labels_mod.Loaded]] = {}
    for key, j in jl.items():
        rec = j.record
        ex = examples.get(rec["example_id"])
        if ex is None or rec.get("example_hash") not in (None, content_hash(ex)):
            continue
        by_item.setdefault(key[1:], []).append(j)
    disagreements = []
    for r in in_window:
        rec = r.record
        ex = examples.get(rec["example_id"])
        if ex is None or rec.get("example_hash") != content_hash(ex):
            continue
        key = labels_mod.item_key(rec)
        js = by_item.get(key, [])
        if key[0] == "p" and key[2] is not None:
            js = js + by_item.get(("p", key[1], None, key[3]), [])
        for j in js:
            if "criterion" in rec:
                if j.record["value"] != rec["value"]:
                    disagreements.append(
                        {
                            "example_id": rec["example_id"],
                            "slice": slice_label(ex, slice_keys),
                            "variant": rec.get("variant"),
                            "criterion": rec["criterion"],
                            "annotator": r.rater,
                            "human": "pass" if rec["value"] else "fail",
                            "judge": j.rater,
                            "judge_says": "pass" if j.record["value"] else "fail",
                        }
                    )
            elif j.record.get("consistent") is not False:
                hw, jw = labels_mod.winner_name(rec), labels_mod.winner_name(j.record)
                if hw != jw:
                    disagreements.append(
                        {
                            "example_id": rec["example_id"],
                            "slice": slice_label(ex, slice_keys),
                            "pair": [rec["a"], rec["b"]],
                            "annotator": r.rater,
                            "human": hw,
                            "judge": j.rater,
                            "judge_says": jw,
                        }
                    )
    stamps = [labels_mod.parse_time(r.record["at"]) for r in human if "at" in r.record]
    stamps = [t for t in stamps if t <= now]
    last = max(stamps) if stamps else None
    days_since = (now - last).total_seconds() / 86400 if last else None
    reminder = None
    if last is None and human:
        reminder = (
            "No label records when it was made (`at`), so the last review date is unknown:"
            " run `goldset review` (two minutes, ten items)."
        )
    elif last is None:
        reminder = (
            "No one has reviewed any outputs yet: run `goldset review` (two minutes, ten items)."
        )
    elif days_since is not None and days_since > remind_after_days:
        reminder = (
            f"No one has reviewed outputs for {int(days_since)} days"
            f" (review.remind_after_days: {remind_after_days:g}): run `goldset review`."
        )
    return {
        "window": {
            "since": labels_mod.now_iso(since),
            "until": labels_mod.now_iso(now),
            "days": days,
        },
        "annotators": sorted(annotators),
        "items_read": sum(len(v) for v in items_by_slice.values()),
        "labels": len(in_window),
        "per_slice": [{"slice": s, "items": len(v)} for s, v in sorted(items_by_slice.items())],
        "criteria": crit_rows,
        "pairwise": [pairs[k] for k in sorted(pairs)],
        "disagreements": disagreements,
        "last_review_at": labels_mod.now_iso(last) if last else None,
        "days_since_last_review": round(days_since, 2) if days_since is not None else None,
        "remind_after_days": remind_after_days,
        "reminder": reminder,
    }


def summary(cfg: Any, *, days: int = 7, now: datetime | None = None) -> dict[str, Any]:
    """Load the set, labels and judgments and summarise the last ``days`` of review."""
    from goldset import golden

    now = now or datetime.now(UTC)
    if days < 1:
        raise UsageError("--days: expected at least 1")
    remind = (cfg.data.get("review") or {}).get("remind_after_days", 7)
    if not isinstance(remind, int | float) or isinstance(remind, bool) or remind < 0:
        raise ConfigError("goldset.yaml: review.remind_after_days: expected a non-negative number")
    crit = [c["name"] for c in labels_mod.criteria(cfg)]
    examples = golden.load(cfg).examples
    human = labels_mod.load(cfg, examples, rubric=crit)
    judgments = labels_mod.load_judgments(cfg, examples)
    return summarize(
        examples=examples,
        human=human.records,
        judgments=judgments.records,
        criteria=crit,
        slice_keys=cfg.slice_keys,
        now=now,
        days=days,
        remind_after_days=remind,
    )


def plan(
    cfg: Any,
    *,
    n: int = 10,
    variant: str | None = None,
    pair: tuple[str, str] | None = None,
    slices: Sequence[str] = (),
    seed: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The selection alone (``goldset review --list``): no session, nothing written."""
    sess = start(
        cfg,
        annotator="-",
        n=n,
        variant=variant,
        pair=pair,
        slices=slices,
        seed=seed,
        now=now,
        persist=False,
    )
    return {"seed": sess.seed, "items": [i.as_dict() for i in sess.items]}
