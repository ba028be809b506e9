"""The interactive review, driven through a real pseudo-terminal, key by key."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from test_review_support import (
    Terminal,
    example,
    make_repo,
    read_labels,
    simple_repo,
)

from goldset.golden import content_hash

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

WHO = "ada-lovelace"  # safe_name of git's "Ada Lovelace <ada@example.com>"


@pytest.fixture
def term() -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def start(root: Path, *args: str, **kw: int) -> Terminal:
        t = Terminal(root, *args, **kw)
        opened.append(t)
        return t

    yield start
    for t in opened:
        t.close()


def _schema_ok(rec: dict) -> None:
    from goldset.labels import schema_errors

    assert schema_errors(rec) == []


def test_a_full_review_records_every_answer(tmp_path: Path, term: Callable[..., Terminal]) -> None:
    root = simple_repo(tmp_path / "r")
    t = term(root, "-n", "2", "--variant", "gpt", "--seed", "5")
    t.expect(r"seed 5")
    t.expect(r"── 1/2 ── (\S+) · category=\w+ · variant gpt")
    t.expect(r"picked: no human has labelled it yet")
    t.expect(r"\[1/2\] faithful: Does the answer stick")
    t.send("?")  # the rubric's concrete examples, on request
    t.expect(r"pass, e\.g\.: Cites the refund window")
    t.expect(r"fail, e\.g\.: Invents a 90-day refund window")
    t.send("p")
    t.expect(r"recorded: faithful pass")
    t.send("n")
    t.expect(r"note \(Enter for none\): ")
    t.send("rambles a bit\r")
    t.expect(r"q quit")
    t.send("f")
    t.expect(r"recorded: concise fail")
    t.expect(r"── 2/2 ──")
    t.send("f")
    t.expect(r"recorded: faithful fail")
    t.send("p")
    t.expect(r"Done: 4 answer\(s\) this run, in evals/labels/ada-lovelace\.jsonl")
    assert t.wait() == 0

    recs = read_labels(root, WHO)
    assert [(r["criterion"], r["value"]) for r in recs] == [
        ("faithful", True),
        ("concise", False),
        ("faithful", False),
        ("concise", True),
    ]
    gold = {
        json.loads(line)["id"]: json.loads(line)
        for line in (root / "evals/golden/set.jsonl").read_text().splitlines()
    }
    for r in recs:
        _schema_ok(r)
        assert r["annotator"] == WHO and r["variant"] == "gpt"
        assert r["example_hash"] == content_hash(gold[r["example_id"]])
        assert r["at"].endswith("Z") and len(r["output_hash"]) == 16
    assert recs[1]["note"] == "rambles a bit"
    state = json.loads((root / ".git/goldset-review" / f"{WHO}.json").read_text())
    assert state["finished"] is True and state["seed"] == 5


def test_quit_in_the_middle_then_resume(tmp_path: Path, term: Callable[..., Terminal]) -> None:
    root = simple_repo(tmp_path / "r")
    t = term(root, "-n", "3", "--variant", "gpt")
    first = t.expect(r"── 1/3 ── (\S+) ").group(1)
    t.send("p")
    t.expect(r"recorded: faithful pass")
    t.send("p")
    t.expect(r"recorded: concise pass")
    second = t.expect(r"── 2/3 ── (\S+) ").group(1)
    t.send("f")
    t.expect(r"recorded: faithful fail")
    t.expect(r"\[2/2\] concise")
    t.send("q")
    t.expect(r"Saved 3 answer\(s\) this run .*2 item\(s\) left")
    assert t.wait() == 0
    assert len(read_labels(root, WHO)) == 3

    t2 = term(root, "-n", "3", "--variant", "gpt")
    t2.expect(r"Resuming the review started .*: 1 of 3 items done")
    # It continues with the second item's unanswered criterion, not from scratch.
    assert t2.expect(r"── 2/3 ── (\S+) ").group(1) == second
    t2.expect(r"\[2/2\] concise")
    t2.send("p")
    t2.expect(r"── 3/3 ──")
    t2.send("pp")  # two keys at once are two answers
    t2.expect(r"Done: 3 answer\(s\)")
    assert t2.wait() == 0
    recs = read_labels(root, WHO)
    assert len(recs) == 6
    assert [r["example_id"] for r in recs].count(first) == 2
    assert [r["example_id"] for r in recs].count(second) == 2


def test_blind_pairwise_records_the_order_that_was_shown(
    tmp_path: Path, term: Callable[..., Terminal]
) -> None:
    exs = [example(f"p{i}", "x") for i in range(4)]
    outs = {
        "gpt-4": {ex["id"]: f"LEFTORRIGHT-alpha-{ex['id']}" for ex in exs},
        "claude-v1": {ex["id"]: f"LEFTORRIGHT-omega-{ex['id']}" for ex in exs},
    }
    root = make_repo(tmp_path / "r", exs, results=outs)
    t = term(root, "-n", "4", "--pair", "gpt-4", "claude-v1", "--seed", "9", columns=120)
    seen_left: list[str] = []
    for i in range(4):
        t.expect(rf"── {i + 1}/4 ── (\S+) · category=x · pairwise, blind")
        m = t.expect(r"\n(LEFTORRIGHT-(alpha|omega)-\S+)\s+│ (LEFTORRIGHT-(alpha|omega)-\S+)")
        seen_left.append(m.group(2))
        t.expect(r"Which output is better")
        t.send("1" if i % 2 == 0 else "t")
        t.expect(r"recorded: (left|tie)")
    t.expect(r"Done: 4 answer")
    assert t.wait() == 0
    screen = t.buffer
    assert "gpt-4" not in screen and "claude-v1" not in screen  # names stay hidden
    recs = read_labels(root, WHO)
    assert len(recs) == 4
    letter = {"alpha": "a", "omega": "b"}  # a = gpt-4 (first of --pair)
    for i, (r, left) in enumerate(zip(recs, seen_left, strict=True)):
        _schema_ok(r)
        assert (r["a"], r["b"]) == ("gpt-4", "claude-v1")
        assert r["shown"][0] == letter[left]  # the recorded order is what was on screen
        assert r["winner"] == (r["shown"][0] if i % 2 == 0 else "tie")
    assert {tuple(r["shown"]) for r in recs} == {("a", "b"), ("b", "a")}


def test_skip_back_and_paging_of_long_untrusted_text(
    tmp_path: Path, term: Callable[..., Terminal]
) -> None:
    long = "\n".join(f"line {i} of a very long answer" for i in range(60)) + "\x1b[2J\x07end"
    exs = [example("e1", "x"), example("e2", "y")]
    root = make_repo(tmp_path / "r", exs, results={"v": {"e1": long, "e2": long}})
    t = term(root, "-n", "2", "--seed", "1", lines=20)
    t.expect(r"── 1/2 ── (\S+)")
    t.expect(r"-- more \(17/\d+ lines\)")
    t.send("b")
    t.expect(r"already at the first question")
    t.expect(r"-- more")  # the item is shown again from its top
    t.send(" ")
    t.expect(r"line 20 of a very long answer")
    t.send("\r")  # enough reading: straight to the questions
    t.expect(r"\[1/2\] faithful")
    t.send("s")
    t.expect(r"skipped e\d")
    t.expect(r"── 2/2 ──")
    t.send("a")  # all of it, no more pages
    t.expect(r"\\x1b\[2J\\x07end")  # control characters are shown, not executed
    t.send("p")
    t.expect(r"recorded: faithful pass")
    t.send("b")  # back to the question just answered
    t.expect(r"\[1/2\] faithful")
    t.send("f")
    t.expect(r"recorded: faithful fail")
    t.send("p")
    t.expect(r"Done: 3 answer")
    assert t.wait() == 0
    assert "\x1b[2J" not in t.buffer
    recs = read_labels(root, WHO)
    # Going back appends a superseding label; the file is never rewritten.
    assert [(r["criterion"], r["value"]) for r in recs] == [
        ("faithful", True),
        ("faithful", False),
        ("concise", True),
    ]


def test_labels_survive_sigkill_at_any_moment(
    tmp_path: Path, term: Callable[..., Terminal]
) -> None:
    root = simple_repo(tmp_path / "r", n_per_slice=3)
    confirmed: list[tuple[str, str, bool]] = []
    for run, answers in enumerate((1, 3, 2)):
        t = term(root, "-n", "4", "--variant", "gpt", "--seed", "2")
        for k in range(answers):
            m = t.expect(r"\[\d/2\] (\w+):")
            # The item is the last header printed before this question.
            current = re.findall(r"── \d/4 ── (\S+) ", t.buffer[: m.start()])[-1]
            value = (run + k) % 2 == 0
            t.send("p" if value else "f")
            t.expect(rf"recorded: {m.group(1)} {'pass' if value else 'fail'}")
            confirmed.append((current, m.group(1), value))
        t.expect(r"q quit")
        t.send("p")  # one more answer in flight: the kill races it
        t.kill()
        recs = read_labels(root, WHO)  # parses strictly: no torn line
        got = [(r["example_id"], r["criterion"], r["value"]) for r in recs]
        for c in confirmed:
            assert c in got
        assert len(confirmed) <= len(got) <= len(confirmed) + 1
        if len(got) == len(confirmed) + 1:
            confirmed.append(got[-1])
    t = term(root, "-n", "4", "--variant", "gpt", "--seed", "2")
    t.expect(r"Resuming the review")
    t.send("q")
    assert t.wait() == 0


def test_no_terminal_is_a_clear_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    root = simple_repo(tmp_path / "r")
    proc = subprocess.run(
        [sys.executable, "-m", "goldset", "review"],
        cwd=root,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 2
    assert "interactive and needs a terminal" in proc.stderr
    assert "--list" in proc.stderr
    assert not (root / "evals/labels").exists()
    assert not (root / ".git/goldset-review").exists()


def test_restart_drops_the_unfinished_review(tmp_path: Path, term: Callable[..., Terminal]) -> None:
    root = simple_repo(tmp_path / "r")
    t = term(root, "-n", "2", "--variant", "gpt", "--seed", "4")
    t.expect(r"\[1/2\] faithful")
    t.send("q")
    assert t.wait() == 0
    t = term(root, "-n", "2", "--variant", "gpt", "--seed", "4", "--restart")
    t.expect(r"goldset review · ada-lovelace · 2 items")
    t.expect(r"\[1/2\] faithful")
    assert "Resuming" not in t.buffer
    t.send("q")
    assert t.wait() == 0
    state = orjson.loads((root / ".git/goldset-review" / f"{WHO}.json").read_bytes())
    assert state["finished"] is False and len(state["items"]) == 2


def test_calibration_round_two_annotators_read_the_same_items(
    tmp_path: Path, term: Callable[..., Terminal]
) -> None:
    root = simple_repo(tmp_path / "r")
    plan = subprocess.run(
        [sys.executable, "-m", "goldset", "review", "--list", "--format", "json", "-n", "2"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    (tmp_path / "round.json").write_bytes(plan)
    for who in ("ada", "bob"):
        t = term(root, "--items", str(tmp_path / "round.json"), "--annotator", who)
        for _ in range(4):
            t.expect(r"\[\d/2\] \w+:")
            t.send("p")
        t.expect(r"Done: 4 answer")
        assert t.wait() == 0
    picked = {(i["example_id"], i["variant"]) for i in json.loads(plan)["items"]}
    for who in ("ada", "bob"):
        recs = read_labels(root, who)
        assert {(r["example_id"], r["variant"]) for r in recs} == picked
    # Without the file, bob's own selection would now avoid what ada labelled.
    again = json.loads(
        subprocess.run(
            [sys.executable, "-m", "goldset", "review", "--list", "--format", "json", "-n", "2"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    )
    assert {(i["example_id"], i["variant"]) for i in again["items"]}.isdisjoint(picked)
