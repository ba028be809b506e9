"""Label and judgment records as vote tables: who said what about which item.

Two kinds of vote (docs/formats.md):

* pointwise: a rater's boolean ``value`` for one ``criterion`` of an example
  (and optionally a ``variant``'s output);
* pairwise: a rater's ``winner`` (a, b or tie) between variants ``a`` and
  ``b`` on an example (and optionally a ``turn``).

Rules applied here, once, for ``agree``, ``rank`` and the diff:

* A later record by the same rater on the same item supersedes an earlier one
  (label files are append-only logs; re-rating appends).
* The judge two-order rule: a judge's pairwise verdict is run in both orders.
  When both orders name the same winner it is one consistent verdict; when
  they disagree (the verdict followed the position) the record is
  inconsistent, and ``agreement.pairwise_inconsistent`` decides: ``tie``
  (default) counts it as a tie, ``drop`` leaves it out. ``consistent`` in the
  record wins; otherwise it is derived from ``orders``.
* A record whose ``example_hash`` differs from the golden example's current
  ``content_hash`` is stale (the example changed after it was rated) and is
  left out unless ``include_stale``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from goldset.errors import InputError, UsageError

INCONSISTENT_RULES = ("tie", "drop")


@dataclass(frozen=True)
class PointVote:
    rater: str
    kind: str  # "human" or "judge"
    example_id: str
    criterion: str
    variant: str | None
    value: Any
    where: str

    @property
    def item(self) -> tuple[Any, ...]:
        return (self.example_id, self.variant, self.criterion)


@dataclass(frozen=True)
class PairVote:
    rater: str
    kind: str
    example_id: str
    a: str
    b: str
    winner: str  # "a", "b" or "tie" (relative to a and b as written)
    turn: int | None
    consistent: bool
    where: str

    @property
    def pair(self) -> tuple[str, str]:
        """The two variants in sorted order: the item is order-free."""
        return (self.a, self.b) if self.a <= self.b else (self.b, self.a)

    @property
    def item(self) -> tuple[Any, ...]:
        return (self.example_id, self.turn, *self.pair)

    @property
    def canonical(self) -> str:
        """The winner relative to the sorted pair: "a" (first name), "b" (second) or "tie"."""
        if self.winner == "tie":
            return "tie"
        if self.a <= self.b:
            return self.winner
        return "b" if self.winner == "a" else "a"

    @property
    def winner_name(self) -> str:
        return "tie" if self.winner == "tie" else (self.a if self.winner == "a" else self.b)


@dataclass
class VoteTables:
    points: list[PointVote] = field(default_factory=list)
    pairs: list[PairVote] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def raters(self, kind: str) -> list[str]:
        return sorted(
            {v.rater for v in self.points if v.kind == kind}
            | {v.rater for v in self.pairs if v.kind == kind}
        )


def _consistency(rec: Mapping[str, Any], where: str) -> tuple[str, bool]:
    """(winner, consistent) of a judge's pairwise record under the two-order rule."""
    winner = rec["winner"]
    if "consistent" in rec:
        return winner, bool(rec["consistent"])
    orders = rec.get("orders")
    if isinstance(orders, list) and len(orders) == 2:
        try:
            w1, w2 = orders[0]["winner"], orders[1]["winner"]
        except (TypeError, KeyError):
            raise InputError(f"{where}: $.orders: each order needs a winner") from None
        if w1 != w2:
            return "tie", False
        return w1, True
    return winner, True


def _where(rec: Mapping[str, Any], default: str) -> str:
    w = rec.get("_where")
    return w if isinstance(w, str) else default


def build(
    labels: Iterable[Mapping[str, Any]] = (),
    judgments: Iterable[Mapping[str, Any]] = (),
    *,
    pairwise_inconsistent: str = "tie",
    golden: Mapping[str, Mapping[str, Any]] | None = None,
    include_stale: bool = False,
    turn: int | None = None,
) -> VoteTables:
    """Vote tables from already-loaded records (lists of dicts, e.g. read from git objects).

    Label records name their rater in ``annotator``, judgment records in
    ``judge`` (the loader defaults both to the file name). A record may carry
    ``_where`` ("file:line") for messages.
    """
    if pairwise_inconsistent not in INCONSISTENT_RULES:
        raise UsageError(
            f"agreement.pairwise_inconsistent: expected tie or drop, got {pairwise_inconsistent!r}"
        )
    hashes: dict[str, str] | None = None
    if golden is not None:
        from goldset.golden import content_hash

        hashes = {i: (ex.get("content_hash") or content_hash(ex)) for i, ex in golden.items()}
    latest_points: dict[tuple[Any, ...], PointVote] = {}
    latest_pairs: dict[tuple[Any, ...], PairVote] = {}
    counts = {
        "labels": 0,
        "judgments": 0,
        "superseded": 0,
        "stale": 0,
        "unknown_example": 0,
        "inconsistent": 0,
        "inconsistent_dropped": 0,
        "other_turn": 0,
    }
    for kind, records, rater_key, source in (
        ("human", labels, "annotator", "labels"),
        ("judge", judgments, "judge", "judgments"),
    ):
        for n, rec in enumerate(records, 1):
            where = _where(rec, f"{source} record {n}")
            if not isinstance(rec, Mapping):
                raise InputError(f"{where}: expected a JSON object")
            ex_id = rec.get("example_id")
            if not isinstance(ex_id, str):
                raise InputError(f"{where}: $.example_id: missing or not a string")
            rater = rec.get(rater_key)
            if not isinstance(rater, str) or not rater:
                raise InputError(f"{where}: $.{rater_key}: missing (name the {kind} rater)")
            counts[source] += 1
            if hashes is not None:
                if ex_id not in hashes:
                    counts["unknown_example"] += 1
                elif (
                    not include_stale
                    and isinstance(rec.get("example_hash"), str)
                    and rec["example_hash"] != hashes[ex_id]
                ):
                    counts["stale"] += 1
                    continue
            if "criterion" in rec:
                if "value" not in rec:
                    raise InputError(f"{where}: $.value: missing")
                value = rec["value"]
                if isinstance(value, list | dict) or value is None:
                    raise InputError(f"{where}: $.value: expected true or false, got {value!r}")
                pv = PointVote(
                    rater=rater,
                    kind=kind,
                    example_id=ex_id,
                    criterion=str(rec["criterion"]),
                    variant=rec.get("variant") if isinstance(rec.get("variant"), str) else None,
                    value=value,
                    where=where,
                )
                key = (kind, rater, *pv.item)
                if key in latest_points:
                    counts["superseded"] += 1
                latest_points[key] = pv
                continue
            for k in ("a", "b", "winner"):
                if k not in rec:
                    raise InputError(
                        f"{where}: $.{k}: missing (a record needs criterion and value, "
                        "or a, b and winner)"
                    )
            a, b, winner = rec["a"], rec["b"], rec["winner"]
            if not isinstance(a, str) or not isinstance(b, str) or a == b:
                raise InputError(f"{where}: $.a/$.b: two different variant names expected")
            if winner not in ("a", "b", "tie"):
                raise InputError(f"{where}: $.winner: expected a, b or tie, got {winner!r}")
            t = rec.get("turn")
            if t is not None and (not isinstance(t, int) or isinstance(t, bool)):
                raise InputError(f"{where}: $.turn: expected an integer, got {t!r}")
            if turn is not None and t != turn:
                counts["other_turn"] += 1
                continue
            consistent = True
            if kind == "judge":
                winner, consistent = _consistency(rec, where)
                if not consistent:
                    counts["inconsistent"] += 1
                    if pairwise_inconsistent == "drop":
                        counts["inconsistent_dropped"] += 1
                        continue
                    winner = "tie"
            pw = PairVote(
                rater=rater,
                kind=kind,
                example_id=ex_id,
                a=a,
                b=b,
                winner=winner,
                turn=t,
                consistent=consistent,
                where=where,
            )
            key = (kind, rater, *pw.item)
            if key in latest_pairs:
                counts["superseded"] += 1
            latest_pairs[key] = pw
    out = VoteTables(list(latest_points.values()), list(latest_pairs.values()), counts)
    if counts["stale"]:
        out.warnings.append(
            f"{counts['stale']} rating(s) are stale (their example changed after rating) and were "
            "left out; re-rate them or pass include_stale"
        )
    return out


def load_records(cfg: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every label and judgment record of the working tree, schema-checked.

    Each record gets its rater (defaulted to the file name) and ``_where``.
    Raises InputError naming file:line for a record that cannot be used.
    """
    from goldset import labels as labels_mod

    out: list[list[dict[str, Any]]] = []
    for key, kind, rater_key in (
        ("labels", "label", "annotator"),
        ("judgments", "judgment", "judge"),
    ):
        store, problems = labels_mod.read_folder(cfg, key, kind=kind)
        if problems:
            shown = [p.text() for p in problems[:20]]
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise InputError(
                f"{len(problems)} problem(s) in {cfg.rel(key)}:\n  " + "\n  ".join(shown) + more,
                hint="fix or remove those lines (`goldset validate` lists them too)",
            )
        recs = []
        for r in store.records:
            rec = dict(r.record)
            rec.setdefault(rater_key, r.rater)
            rec["_where"] = r.where
            recs.append(rec)
        out.append(recs)
    return out[0], out[1]


def by_item(votes: Sequence[Any]) -> dict[tuple[Any, ...], list[Any]]:
    """Votes grouped by item, in a stable order."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for v in votes:
        groups.setdefault(v.item, []).append(v)
    return groups
