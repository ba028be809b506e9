"""The JSONL merge driver through real `git merge`s: merge by example id."""

from __future__ import annotations

import json

import pytest
from conftest import changelog_bullet, golden_example, golden_lines

GOLDEN = "evals/golden/golden.jsonl"
CL = "evals/CHANGELOG.md"


def _log(repo, *bullets: str) -> None:
    repo.write(CL, repo.read(CL) + "\n## 2026-11-29 · Ada\n" + "".join(bullets))


def _ids(repo) -> list[str]:
    return [json.loads(x)["id"] for x in repo.read(GOLDEN).splitlines() if x.startswith("{")]


@pytest.fixture
def forked(goldset_repo):
    """main with three examples committed, and a branch `other` forked from it."""
    exs = [golden_example(f"b{i}", f"base question {i}") for i in range(3)]
    goldset_repo.write(GOLDEN, golden_lines(*exs))
    _log(goldset_repo, changelog_bullet("added", ["b0", "b1", "b2"], "the base set from tickets"))
    goldset_repo.commit("base")
    goldset_repo.git("branch", "other")
    return goldset_repo, exs


def _on(repo, branch: str, files: dict[str, str], message: str) -> None:
    repo.git("checkout", "-q", branch)
    for rel, text in files.items():
        repo.write(rel, text)
    repo.commit(message)


def test_both_branches_append_different_examples(forked, cli):
    repo, exs = forked
    ours = golden_example("ours-1", "added on main")
    theirs = golden_example("theirs-1", "added on the branch")
    _on(repo, "other", {GOLDEN: golden_lines(*exs, theirs)}, "theirs")
    _log(repo, changelog_bullet("added", ["theirs-1"], "a branch-side ticket about invoices"))
    repo.commit("theirs log")
    _on(repo, "main", {GOLDEN: golden_lines(*exs, ours)}, "ours")
    _log(repo, changelog_bullet("added", ["ours-1"], "a main-side ticket about shipping"))
    repo.commit("ours log")

    merged = repo.git("merge", "--no-edit", "other", check=False)
    assert merged.code == 0, merged.output
    text = repo.read(GOLDEN)
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    assert sorted(_ids(repo)) == ["b0", "b1", "b2", "ours-1", "theirs-1"]
    # the union merge kept both sides' CHANGELOG entries
    log = repo.read(CL)
    assert "`ours-1`" in log and "`theirs-1`" in log and "<<<<<<<" not in log
    # and the result is a valid, canonical set whose change is justified
    assert cli("validate", cwd=repo.root).code == 0
    assert cli("check-changelog", "--range", "HEAD~3..HEAD", cwd=repo.root).code == 0


def test_identical_edits_merge_once(forked):
    repo, exs = forked
    same = golden_example("b1", "base question 1", reference="the same fix on both sides")
    _on(repo, "other", {GOLDEN: golden_lines(exs[0], same, exs[2])}, "theirs")
    _on(
        repo, "main", {GOLDEN: golden_lines(exs[0], same, exs[2], golden_example("m", "m"))}, "ours"
    )
    merged = repo.git("merge", "--no-edit", "other", check=False)
    assert merged.code == 0, merged.output
    assert _ids(repo) == ["b0", "b1", "b2", "m"]
    [b1] = [json.loads(x) for x in repo.read(GOLDEN).splitlines() if '"b1"' in x]
    assert b1["reference"] == "the same fix on both sides"


def test_one_side_edit_and_other_side_append(forked):
    repo, exs = forked
    edited = golden_example("b0", "base question 0", reference="fixed on the branch")
    _on(repo, "other", {GOLDEN: golden_lines(edited, *exs[1:])}, "theirs edit")
    _on(repo, "main", {GOLDEN: golden_lines(*exs, golden_example("m", "m"))}, "ours add")
    assert repo.git("merge", "--no-edit", "other", check=False).code == 0
    rows = {json.loads(x)["id"]: json.loads(x) for x in repo.read(GOLDEN).splitlines()}
    assert rows["b0"]["reference"] == "fixed on the branch" and "m" in rows


def test_delete_on_one_side_untouched_on_the_other(forked):
    repo, exs = forked
    _on(repo, "other", {GOLDEN: golden_lines(exs[0], exs[2])}, "theirs delete b1")
    _on(repo, "main", {GOLDEN: golden_lines(*exs, golden_example("m", "m"))}, "ours add")
    assert repo.git("merge", "--no-edit", "other", check=False).code == 0
    assert _ids(repo) == ["b0", "b2", "m"]


def test_conflicting_edits_mark_only_that_record(forked):
    repo, exs = forked
    a = golden_example("b1", "base question 1", reference="main says A")
    b = golden_example("b1", "base question 1", reference="branch says B")
    _on(repo, "other", {GOLDEN: golden_lines(exs[0], b, exs[2], golden_example("t", "t"))}, "t")
    _on(repo, "main", {GOLDEN: golden_lines(exs[0], a, exs[2])}, "o")
    merged = repo.git("merge", "--no-edit", "other", check=False)
    assert merged.code != 0
    assert "b1" in merged.output
    lines = repo.read(GOLDEN).splitlines()
    start, mid, end = (
        lines.index("<<<<<<< ours"),
        lines.index("======="),
        lines.index(">>>>>>> theirs"),
    )
    assert start < mid < end
    inside = lines[start + 1 : mid] + lines[mid + 1 : end]
    assert [json.loads(x)["reference"] for x in inside] == ["main says A", "branch says B"]
    outside = lines[:start] + lines[end + 1 :]
    assert sorted(json.loads(x)["id"] for x in outside) == ["b0", "b2", "t"]
    # git knows the file is conflicted
    assert GOLDEN in repo.git("diff", "--name-only", "--diff-filter=U").out


def test_validate_and_fmt_on_a_conflicted_file(forked, cli):
    repo, exs = forked
    a = golden_example("b1", "base question 1", reference="A")
    b = golden_example("b1", "base question 1", reference="B")
    _on(repo, "other", {GOLDEN: golden_lines(exs[0], b, exs[2])}, "t")
    _on(repo, "main", {GOLDEN: golden_lines(exs[0], a, exs[2])}, "o")
    assert repo.git("merge", "--no-edit", "other", check=False).code != 0
    lines = repo.read(GOLDEN).splitlines()
    marker = lines.index("<<<<<<< ours") + 1
    res = cli("validate", cwd=repo.root)
    assert res.code == 1 and "Traceback" not in res.output
    assert f"golden.jsonl:{marker}:" in res.out
    before = repo.read_bytes(GOLDEN)
    res = cli("fmt", cwd=repo.root)
    assert res.code == 1 and "Traceback" not in res.output
    assert repo.read_bytes(GOLDEN) == before


def test_edit_versus_delete_is_a_conflict(forked):
    repo, exs = forked
    _on(repo, "other", {GOLDEN: golden_lines(exs[0], exs[2])}, "theirs delete b1")
    edited = golden_example("b1", "base question 1", reference="kept and fixed on main")
    _on(repo, "main", {GOLDEN: golden_lines(exs[0], edited, exs[2])}, "ours edit b1")
    merged = repo.git("merge", "--no-edit", "other", check=False)
    assert merged.code != 0
    text = repo.read(GOLDEN)
    assert "<<<<<<< ours" in text and "kept and fixed on main" in text


def test_same_new_id_with_different_content_is_a_conflict(forked):
    repo, exs = forked
    _on(repo, "other", {GOLDEN: golden_lines(*exs, golden_example("new", "branch text"))}, "t")
    _on(repo, "main", {GOLDEN: golden_lines(*exs, golden_example("new", "main text"))}, "o")
    merged = repo.git("merge", "--no-edit", "other", check=False)
    assert merged.code != 0
    text = repo.read(GOLDEN)
    assert "branch text" in text and "main text" in text and "<<<<<<<" in text


def test_unparseable_side_leaves_a_visible_conflict(forked):
    repo, exs = forked
    _on(repo, "other", {GOLDEN: golden_lines(*exs, golden_example("theirs-x", "t"))}, "t")
    _on(repo, "main", {GOLDEN: golden_lines(*exs) + "{not json\n"}, "o")
    merged = repo.git("merge", "--no-edit", "other", check=False)
    assert merged.code != 0
    text = repo.read(GOLDEN)
    assert "theirs-x" in text or "<<<<<<<" in text


def test_driver_directly(tmp_path, run_goldset):
    base = tmp_path / "base"
    ours = tmp_path / "ours"
    theirs = tmp_path / "theirs"
    e = [golden_example(f"d{i}", f"q{i}") for i in range(3)]
    base.write_text(golden_lines(e[0]))
    ours.write_text(golden_lines(e[0], e[1]))
    theirs.write_text(golden_lines(e[0], e[2]))
    res = run_goldset("merge-driver", str(base), str(ours), str(theirs), "golden.jsonl")
    assert res.code == 0, res.output
    assert ours.read_text() == golden_lines(e[0], e[1], e[2])
    # a missing base (both sides added the file) works too
    ours.write_text(golden_lines(e[1]))
    res = run_goldset("merge-driver", str(tmp_path / "absent"), str(ours), str(theirs))
    assert res.code == 0 and ours.read_text() == golden_lines(e[1], e[0], e[2])


def test_golden_file_name_with_a_space(goldset_repo):
    name = "evals/golden/my set.jsonl"
    base = golden_example("b0", "q")
    goldset_repo.write(name, golden_lines(base))
    goldset_repo.commit("base")
    goldset_repo.git("branch", "other")
    _on(goldset_repo, "other", {name: golden_lines(base, golden_example("t", "t"))}, "t")
    _on(goldset_repo, "main", {name: golden_lines(base, golden_example("o", "o"))}, "o")
    merged = goldset_repo.git("merge", "--no-edit", "other", check=False)
    assert merged.code == 0, merged.output
    ids = [json.loads(x)["id"] for x in goldset_repo.read(name).splitlines()]
    assert sorted(ids) == ["b0", "o", "t"]
