"""`goldset review --summary`: what this week's review found."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_review_support import ago, example, make_repo

from goldset.cli import cli
from goldset.review import wilson


def _pt(ex: dict[str, Any], variant: str, crit: str, value: bool, days: float) -> dict[str, Any]:
    return {
        "example_id": ex["id"],
        "example_hash": ex["content_hash"],
        "variant": variant,
        "criterion": crit,
        "value": value,
        "at": ago(days),
    }


def _repo(tmp_path: Path, remind: int = 7) -> Path:
    b1, b2 = example("billing-1", "billing"), example("billing-2", "billing")
    m1, m2 = example("math-1", "math"), example("math-2", "math")
    w1 = example("writing-1", "writing")
    exs = [b1, b2, m1, m2, w1]
    bob = [
        _pt(b1, "gpt", "faithful", True, 1),
        _pt(b1, "gpt", "concise", False, 1),
        _pt(m1, "gpt", "faithful", True, 2),
        _pt(m1, "gpt", "concise", False, 2),
        _pt(m1, "gpt", "concise", True, 1),  # supersedes the line above
        _pt(m2, "claude", "faithful", False, 3),
        _pt(w1, "gpt", "faithful", True, 3),
        _pt(b2, "gpt", "faithful", False, 20),  # before this week
    ]
    carol = [
        {
            "example_id": "billing-1",
            "example_hash": b1["content_hash"],
            "a": "gpt",
            "b": "claude",
            "winner": "a",
            "shown": ["b", "a"],
            "at": ago(2),
        }
    ]
    judge = [
        {**_pt(m2, "claude", "faithful", True, 0), "judge": "j"},
        {**_pt(b1, "gpt", "faithful", True, 0), "judge": "j"},
        {
            "example_id": "billing-1",
            "judge": "j",
            "a": "claude",
            "b": "gpt",
            "winner": "a",
            "consistent": True,
        },
    ]
    for j in judge:
        j.pop("at", None)
    outs = {v: {e["id"]: f"{v} {e['id']}" for e in exs} for v in ("gpt", "claude")}
    return make_repo(
        tmp_path / "r",
        exs,
        results=outs,
        labels={"bob": bob, "carol": carol},
        judgments={"j": judge},
        remind_after_days=remind,
    )


def _summary(root: Path, *args: str) -> Any:
    res = CliRunner().invoke(
        cli, ["review", "--summary", "-C", str(root), *args], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    return res.output


def test_summary_counts_rates_and_disagreements(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    d = json.loads(_summary(root, "--format", "json"))
    assert list(d) == [
        "window",
        "annotators",
        "items_read",
        "labels",
        "per_slice",
        "criteria",
        "pairwise",
        "disagreements",
        "last_review_at",
        "days_since_last_review",
        "remind_after_days",
        "reminder",
    ]
    assert d["annotators"] == ["bob", "carol"]
    assert d["per_slice"] == [
        {"slice": "category=billing", "items": 2},  # billing-1 rated, and billing-1 compared
        {"slice": "category=math", "items": 2},
        {"slice": "category=writing", "items": 1},
    ]
    faithful, concise = d["criteria"]
    assert (faithful["criterion"], faithful["pass"], faithful["n"]) == ("faithful", 3, 4)
    assert (concise["pass"], concise["n"]) == (1, 2)  # the superseded "fail" does not count
    # SE of a proportion, sqrt(p(1-p)/n), by hand: sqrt(0.75 * 0.25 / 4).
    assert faithful["se"] == pytest.approx(0.21650635094610965, abs=1e-12)
    assert d["pairwise"] == [
        {"a": "claude", "b": "gpt", "a_wins": 0, "b_wins": 1, "ties": 0, "n": 1}
    ]
    dis = {(x["example_id"], x.get("criterion") or "pair") for x in d["disagreements"]}
    assert dis == {("math-2", "faithful"), ("billing-1", "pair")}
    (m2,) = [x for x in d["disagreements"] if x["example_id"] == "math-2"]
    assert (m2["human"], m2["judge_says"], m2["variant"]) == ("fail", "pass", "claude")
    assert d["reminder"] is None and d["remind_after_days"] == 7


def test_text_and_markdown_renderings(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    text = _summary(root)
    assert "5 item(s) read" in text
    assert "faithful" in text and "75%" in text and "n=4" in text
    assert "math-2 (claude) faithful: bob said fail, j said pass" in text
    md = _summary(root, "--format", "md")
    assert "| criterion | pass rate | 95% CI | n |" in md
    assert "| faithful | 75% |" in md


@pytest.mark.parametrize(("remind", "expect"), [(7, True), (14, False)])
def test_reminder_after_configured_days(tmp_path: Path, remind: int, expect: bool) -> None:
    ex = example("e", "x")
    old = [_pt(ex, "v", "faithful", True, 10.5)]
    root = make_repo(
        tmp_path / "r", [ex], results={"v": {"e": "o"}}, labels={"z": old}, remind_after_days=remind
    )
    d = json.loads(_summary(root, "--format", "json"))
    assert d["items_read"] == 0
    assert d["days_since_last_review"] == pytest.approx(10.5, abs=0.01)
    if expect:
        assert "No one has reviewed outputs for 10 days" in d["reminder"]
        assert "Reminder:" in _summary(root)
    else:
        assert d["reminder"] is None


def test_reminder_when_nobody_ever_reviewed(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", [example("e", "x")], results={"v": {"e": "o"}})
    d = json.loads(_summary(root, "--format", "json"))
    assert d["last_review_at"] is None and "No one has reviewed any outputs yet" in d["reminder"]


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 4), (8, 10), (47, 50), (1, 1)])
def test_wilson_interval_matches_statsmodels(k: int, n: int) -> None:
    # Independent implementation: statsmodels' proportion_confint(method="wilson").
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    got = wilson(k, n)
    assert got[0] == pytest.approx(lo, abs=1e-9) and got[1] == pytest.approx(hi, abs=1e-9)


def test_wilson_published_value() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, example (a):
    # 81/263 -> Wilson score 95% CI 0.2553 to 0.3662 (4 decimals as published).
    lo, hi = wilson(81, 263)
    assert math.isclose(lo, 0.2553, abs_tol=5e-5) and math.isclose(hi, 0.3662, abs_tol=5e-5)
