"""`goldset validate`: syntax, schema, unique ids, canonical form, stratification,
references; text / json / github output; working tree, --staged and --rev."""

from __future__ import annotations

import json
import re

import pytest
from conftest import golden_example, golden_lines, make_repo

GOLDEN = "evals/golden/golden.jsonl"
ALL_STRATA = ("real_traffic", "failure_mode", "edge_case")


def _set(*examples) -> str:
    return golden_lines(*examples)


def _balanced(n: int = 3, **fields) -> list[dict]:
    return [
        golden_example(f"ex-{i}", f"balanced question {i}", stratum=ALL_STRATA[i % 3], **fields)
        for i in range(n)
    ]


def _config(repo, **changes: str) -> None:
    text = repo.read("goldset.yaml")
    for pattern, repl in changes.items():
        text, n = re.subn(pattern, repl, text, flags=re.M)
        assert n, pattern
    repo.write("goldset.yaml", text)


def test_a_clean_set_exits_0(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 0, res.output
    assert "3 examples in 1 files: 0 errors, 0 warnings" in res.out


def test_jsonl_syntax_error_names_line_and_column(goldset_repo, cli):
    good = _balanced()
    goldset_repo.write(GOLDEN, _set(*good) + '{"id": "x", oops}\n')
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 1
    assert re.search(r"evals/golden/golden\.jsonl:4:\d+: error invalid JSON", res.out), res.out


def test_schema_error_names_file_line_id_path_and_message(goldset_repo, cli):
    exs = _balanced()
    exs[1] = golden_example("bad-tags", "q", stratum="failure_mode", tags=["a", "a"])
    goldset_repo.write(GOLDEN, _set(*exs))
    res = cli("validate", "--format", "json", cwd=goldset_repo.root)
    assert res.code == 1
    data = json.loads(res.out)
    assert data["ok"] is False
    [p] = [p for p in data["problems"] if p["code"] == "schema"]
    assert p["path"] == GOLDEN and p["line"] == 2
    assert p["example_id"] == "bad-tags"
    assert p["field"] == "$.tags"
    assert "non-unique" in p["message"] or "unique" in p["message"]
    text = cli("validate", cwd=goldset_repo.root).out
    assert "evals/golden/golden.jsonl:2: error [bad-tags] $.tags:" in text


def test_missing_required_field(goldset_repo, cli):
    ex = golden_example("no-input", "x")
    del ex["input"]
    goldset_repo.write(GOLDEN, _set(*_balanced(), ex))
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 1
    assert "[no-input]" in res.out and "'input' is a required property" in res.out


def test_duplicate_ids_across_files(goldset_repo, run_goldset):
    # A subprocess, so no in-process state from earlier tests can hide the duplicate.
    exs = _balanced()
    goldset_repo.write(GOLDEN, _set(*exs))
    goldset_repo.write("evals/golden/more.jsonl", _set(golden_example("ex-1", "again")))
    res = run_goldset("validate", "--format", "json", cwd=goldset_repo.root)
    assert res.code == 1
    dups = [p for p in json.loads(res.out)["problems"] if p["code"] == "dup-id"]
    assert len(dups) == 1
    assert dups[0]["example_id"] == "ex-1"
    assert GOLDEN in dups[0]["message"]


def test_duplicate_ids_found_on_every_run_in_one_process(tmp_path, cli):
    # Two projects validated one after the other in the same process (a library
    # user, a long-lived server, this test suite) must each get their own verdict.
    first = make_repo(tmp_path / "first")
    assert cli("init", cwd=first.root).code == 0
    first.write(GOLDEN, _set(golden_example("a", "a"), golden_example("a", "b")))
    assert cli("validate", cwd=first.root).code == 1
    second = make_repo(tmp_path / "second")
    assert cli("init", cwd=second.root).code == 0
    exs = [golden_example(f"s{i}", f"q{i}") for i in range(3)]
    second.write(GOLDEN, _set(*exs, golden_example("dd", "x"), golden_example("dd", "y")))
    res = cli("validate", "--format", "json", cwd=second.root)
    dups = [p for p in json.loads(res.out)["problems"] if p["code"] == "dup-id"]
    assert res.code == 1 and len(dups) == 1, res.out


def test_non_canonical_and_hash_mismatch(goldset_repo, cli):
    a, b, c = _balanced()
    spaced = json.dumps(b)  # spaces after separators
    c_bad = dict(c, reference="edited by hand")  # content changed, hash not
    goldset_repo.write(GOLDEN, _set(a) + spaced + "\n" + _set(c_bad))
    res = cli("validate", "--format", "json", cwd=goldset_repo.root)
    assert res.code == 1
    probs = json.loads(res.out)["problems"]
    nc = [p for p in probs if p["code"] == "non-canonical"]
    assert [p["line"] for p in nc] == [2]
    assert "goldset fmt" in nc[0]["message"]
    hm = [p for p in probs if p["code"] == "hash-mismatch"]
    assert [(p["line"], p["example_id"]) for p in hm] == [(3, "ex-2")]


def test_key_order_is_part_of_the_canonical_form(goldset_repo, cli):
    a, b, c = _balanced()
    reordered = {
        "input": b["input"],
        "id": b["id"],
        **{k: b[k] for k in b if k not in ("id", "input")},
    }
    line = json.dumps(reordered, separators=(",", ":"))
    goldset_repo.write(GOLDEN, _set(a) + line + "\n" + _set(c))
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 1 and "golden.jsonl:2: error [ex-1] not in canonical form" in res.out


def test_stratification_warnings_by_default(goldset_repo, cli):
    goldset_repo.write(
        GOLDEN, _set(golden_example("only", "q", stratum="real_traffic", slice={"category": "a"}))
    )
    res = cli("validate", "--format", "json", cwd=goldset_repo.root)
    assert res.code == 0, res.out
    data = json.loads(res.out)
    strat = [p for p in data["problems"] if p["code"] == "stratification"]
    assert {p["severity"] for p in strat} == {"warning"}
    msgs = " ".join(p["message"] for p in strat)
    assert "failure_mode" in msgs and "edge_case" in msgs and "real_traffic" not in msgs
    assert data["strata"] == {"real_traffic": 1}


def test_stratification_errors_when_configured(goldset_repo, cli):
    _config(goldset_repo, **{r"severity: warning": "severity: error"})
    goldset_repo.write(GOLDEN, _set(golden_example("only", "q", stratum="real_traffic")))
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 1
    assert "error stratum 'edge_case' has 0 examples" in res.out


def test_stratification_per_slice(goldset_repo, cli):
    _config(
        goldset_repo,
        **{r"^slices: \[\]": "slices: [category]", r"min_per_slice: 1": "min_per_slice: 2"},
    )
    exs = [
        golden_example("m1", "q1", stratum="real_traffic", slice={"category": "math"}),
        golden_example("m2", "q2", stratum="failure_mode", slice={"category": "math"}),
        golden_example("w1", "q3", stratum="edge_case", slice={"category": "writing"}),
        golden_example("n1", "q4", stratum="edge_case"),  # no slice at all
    ]
    goldset_repo.write(GOLDEN, _set(*exs))
    res = cli("validate", "--format", "json", cwd=goldset_repo.root)
    data = json.loads(res.out)
    assert res.code == 1  # the missing slice key is an error
    assert data["slices"] == {"category": {"math": 2, "writing": 1}}
    thin = [p for p in data["problems"] if p["code"] == "stratification"]
    assert len(thin) == 1 and "category=writing has 1" in thin[0]["message"]
    assert thin[0]["severity"] == "warning"
    missing = [p for p in data["problems"] if p["code"] == "slice-missing"]
    assert [(p["example_id"], p["field"], p["line"]) for p in missing] == [
        ("n1", "$.slice.category", 4)
    ]


def test_unknown_stratum_is_an_error(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced(), golden_example("odd", "q", stratum="vibes")))
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 1 and "[odd] $.stratum: unknown stratum 'vibes'" in res.out


@pytest.mark.parametrize("folder", ["results", "labels", "judgments"])
def test_references_must_point_at_existing_examples(goldset_repo, cli, folder):
    exs = _balanced()
    goldset_repo.write(GOLDEN, _set(*exs))
    rec_ok = {"example_id": "ex-0", "example_hash": exs[0]["content_hash"]}
    rec_stale = {"example_id": "ex-1", "example_hash": "0000000000000000"}
    rec_ghost = {"example_id": "ghost", "example_hash": "0000000000000000"}
    goldset_repo.write(
        f"evals/{folder}/x.jsonl",
        "".join(json.dumps(r) + "\n" for r in (rec_ok, rec_stale, rec_ghost)),
    )
    res = cli("validate", "--format", "json", cwd=goldset_repo.root)
    assert res.code == 1
    probs = {p["code"]: p for p in json.loads(res.out)["problems"]}
    ghost = probs["ref-unknown"]
    assert (ghost["path"], ghost["line"], ghost["example_id"]) == (
        f"evals/{folder}/x.jsonl",
        3,
        "ghost",
    )
    assert probs["ref-stale"]["severity"] == "warning" and probs["ref-stale"]["line"] == 2


def test_github_format_prints_annotations(goldset_repo, cli):
    exs = _balanced()
    exs[2] = golden_example("gh", "q", stratum="edge_case", tags="x")
    goldset_repo.write(GOLDEN, _set(*exs))
    res = cli("validate", "--format", "github", cwd=goldset_repo.root)
    assert res.code == 1
    assert re.search(
        r"^::error file=evals/golden/golden\.jsonl,line=3[,:].*::\[gh\] \$\.tags: ", res.out, re.M
    ), res.out


def test_json_format_shape(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    data = json.loads(cli("validate", "--format", "json", cwd=goldset_repo.root).out)
    assert set(data) >= {"ok", "source", "files", "examples", "errors", "warnings", "problems"}
    assert data["ok"] is True and data["examples"] == 3 and data["files"] == 1


def test_paths_limit_the_check(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    goldset_repo.write("evals/golden/broken.jsonl", "{nope\n")
    assert cli("validate", GOLDEN, cwd=goldset_repo.root).code == 0
    assert cli("validate", cwd=goldset_repo.root).code == 1
    res = cli("validate", "../outside.jsonl", cwd=goldset_repo.root)
    assert res.code == 2 and "outside the repository" in res.err


def test_exit_2_on_usage_and_config_errors(goldset_repo, cli, git_repo):
    res = cli("validate", "--staged", "--rev", "HEAD", cwd=goldset_repo.root)
    assert res.code == 2
    res = cli("validate", "--rev", "no-such-rev", cwd=goldset_repo.root)
    assert res.code == 2 and "no-such-rev" in res.err
    res = cli("validate", "--format", "xml", cwd=goldset_repo.root)
    assert res.code == 2
    goldset_repo.write("goldset.yaml", "version: 2\n")
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 2 and "goldset.yaml" in res.err and "version" in res.err


def test_no_config_is_a_usage_error(git_repo, cli):
    res = cli("validate", cwd=git_repo.root)
    assert res.code == 2 and "goldset init" in res.err


# ---------------------------------------------------------------- the index and commits


def test_staged_judges_the_index_good_staged_bad_unstaged(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    goldset_repo.git("add", GOLDEN)
    # an unstaged bad edit in the working tree
    goldset_repo.write(GOLDEN, _set(*_balanced()) + "{broken\n")
    staged = cli("validate", "--staged", cwd=goldset_repo.root)
    assert staged.code == 0, staged.output
    assert "index" in staged.out
    assert cli("validate", cwd=goldset_repo.root).code == 1


def test_staged_judges_the_index_bad_staged_good_unstaged(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()) + "{broken\n")
    goldset_repo.git("add", GOLDEN)
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    res = cli("validate", "--staged", cwd=goldset_repo.root)
    assert res.code == 1 and "golden.jsonl:4" in res.out
    assert cli("validate", cwd=goldset_repo.root).code == 0


def test_staged_sees_a_new_file_only_once_added(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    goldset_repo.git("add", GOLDEN)
    goldset_repo.write("evals/golden/untracked.jsonl", "{broken\n")
    assert cli("validate", "--staged", cwd=goldset_repo.root).code == 0
    goldset_repo.git("add", "evals/golden/untracked.jsonl")
    assert cli("validate", "--staged", cwd=goldset_repo.root).code == 1


def test_rev_judges_a_commit(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    goldset_repo.commit("good")
    good = goldset_repo.head()
    goldset_repo.write(GOLDEN, "{broken\n")
    goldset_repo.commit("bad")
    assert cli("validate", "--rev", good, cwd=goldset_repo.root).code == 0
    res = cli("validate", "--rev", "HEAD", cwd=goldset_repo.root)
    assert res.code == 1 and "commit" in res.out
    # the working tree can differ from both
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    assert cli("validate", "--rev", "HEAD", cwd=goldset_repo.root).code == 1


def test_subprocess_validate_from_a_subfolder(goldset_repo, run_goldset):
    goldset_repo.write(GOLDEN, _set(*_balanced()) + "[1,2]\n")
    res = run_goldset("validate", cwd=goldset_repo.root / "evals" / "golden")
    assert res.code == 1
    assert "golden.jsonl:4: error expected a JSON object, got list" in res.out


# ---------------------------------------------------------------- verdict caches
# validate remembers lines it found clean (under .git); a change to anything the
# verdict depends on must not be hidden by that memory.


def test_a_warm_cache_gives_the_same_verdicts(goldset_repo, run_hook, cli):
    a, b, c = _balanced()
    goldset_repo.write(GOLDEN, _set(a, b, c, a))  # a duplicate of a whole line
    goldset_repo.write(
        "evals/golden/crlf.jsonl", _set(golden_example("z", "z")).replace("\n", "\r\n")
    )
    goldset_repo.git("add", "-A")
    outs = [run_hook("validate", "--staged", cwd=goldset_repo.root) for _ in range(3)]
    assert {o.code for o in outs} == {1}
    assert outs[0].out == outs[1].out == outs[2].out
    assert "golden.jsonl:4" in outs[0].out and "CRLF" in outs[0].out
    jsons = [cli("validate", "--format", "json", cwd=goldset_repo.root).out for _ in range(2)]
    assert jsons[0] == jsons[1]


def test_changing_the_strata_invalidates_cached_verdicts(goldset_repo, run_hook):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    goldset_repo.git("add", "-A")
    assert run_hook("validate", "--staged", cwd=goldset_repo.root).code == 0
    _config(
        goldset_repo,
        **{
            r"strata: \[real_traffic, failure_mode, edge_case\]": "strata: [real_traffic, failure_mode]"
        },
    )
    goldset_repo.git("add", "-A")
    res = run_hook("validate", "--staged", cwd=goldset_repo.root)
    assert res.code == 1 and "unknown stratum 'edge_case'" in res.out


def test_changing_the_slice_keys_invalidates_cached_verdicts(goldset_repo, run_hook):
    goldset_repo.write(GOLDEN, _set(*_balanced()))
    goldset_repo.git("add", "-A")
    assert run_hook("validate", "--staged", cwd=goldset_repo.root).code == 0
    _config(goldset_repo, **{r"^slices: \[\]": "slices: [category]"})
    res = run_hook("validate", "--staged", cwd=goldset_repo.root)
    assert res.code == 1 and "slice" in res.out


def test_changing_a_referenced_local_schema_invalidates_cached_verdicts(goldset_repo, run_hook):
    shared = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://acme.local/ref.schema.json",
        "type": "string",
    }
    goldset_repo.write("evals/schemas/ref.schema.json", json.dumps(shared))
    schema = json.loads(goldset_repo.read("evals/schemas/example.schema.json"))
    schema["properties"] = {"reference": {"$ref": "https://acme.local/ref.schema.json"}}
    goldset_repo.write("evals/schemas/example.schema.json", json.dumps(schema))
    exs = [
        golden_example(f"r{i}", f"q{i}", stratum=s, reference="a long reference")
        for i, s in enumerate(ALL_STRATA)
    ]
    goldset_repo.write(GOLDEN, _set(*exs))
    goldset_repo.git("add", "-A")
    assert run_hook("validate", "--staged", cwd=goldset_repo.root).code == 0
    shared["maxLength"] = 3
    goldset_repo.write("evals/schemas/ref.schema.json", json.dumps(shared))
    res = run_hook("validate", "--staged", cwd=goldset_repo.root)
    assert res.code == 1 and "$.reference" in res.out


def test_changing_the_project_schema_invalidates_cached_verdicts(goldset_repo, run_hook, cli):
    exs = [
        golden_example(f"p{i}", f"q{i}", stratum=s, notes="free text")
        for i, s in enumerate(ALL_STRATA)
    ]
    goldset_repo.write(GOLDEN, _set(*exs))
    goldset_repo.git("add", "-A")
    assert run_hook("validate", "--staged", cwd=goldset_repo.root).code == 0
    assert cli("validate", cwd=goldset_repo.root).code == 0
    schema = json.loads(goldset_repo.read("evals/schemas/example.schema.json"))
    schema["properties"] = {"notes": {"type": "integer"}}
    goldset_repo.write("evals/schemas/example.schema.json", json.dumps(schema))
    res = run_hook("validate", "--staged", cwd=goldset_repo.root)
    assert res.code == 1 and "$.notes" in res.out
    assert cli("validate", cwd=goldset_repo.root).code == 1


# ---------------------------------------------------------------- a project in a monorepo folder


@pytest.fixture
def subfolder_project(git_repo, cli):
    """goldset.yaml in services/bot of a bigger repository (project.find_root supports it)."""
    project = git_repo.root / "services" / "bot"
    project.mkdir(parents=True)
    assert cli("init", cwd=project).code == 0
    git_repo.write("README.md", "the monorepo\n")
    git_repo.commit("monorepo")
    return git_repo, project


def test_staged_and_rev_in_a_subfolder_project(subfolder_project, cli, run_hook):
    repo, project = subfolder_project
    (project / GOLDEN).write_text(_set(*_balanced()) + "{broken\n")
    repo.git("add", "-A")
    assert cli("validate", cwd=project).code == 1  # the working tree is judged right
    staged = cli("validate", "--staged", cwd=project)
    assert staged.code == 1 and "golden.jsonl:4" in staged.out, staged.out
    assert run_hook("validate", "--staged", cwd=project).code == 1
    repo.commit("broken")
    assert cli("validate", "--rev", "HEAD", cwd=project).code == 1


def test_a_path_that_matches_nothing_is_an_error(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _set(*_balanced()) + "{broken\n")
    res = cli("validate", "evals/golden/golde.jsonl", cwd=goldset_repo.root)
    assert res.code == 2 and "golde.jsonl" in res.err


def test_large_file_parallel_path_reports_the_right_lines(goldset_repo, run_goldset):
    # Over 8 MB the working tree is split across processes; line numbers, duplicate
    # ids and per-line errors must come out exactly as a single pass reports them.
    pad = "p" * 400
    exs = [
        golden_example(f"big-{i}", f"{pad} {i}", stratum=ALL_STRATA[i % 3]) for i in range(21_000)
    ]
    lines = _set(*exs).splitlines(keepends=True)
    lines[14_999] = '{"id": "broken", \n'  # line 15000
    lines[16_999] = lines[2]  # line 17000 duplicates line 3
    lines[19_998] = _set(golden_example("typed", "q", tags="x"))  # line 19999
    goldset_repo.write(GOLDEN, "".join(lines))
    assert (goldset_repo.root / GOLDEN).stat().st_size > 8 << 20
    outs = [
        run_goldset("validate", "--format", "json", *jobs, cwd=goldset_repo.root)
        for jobs in (["--jobs", "2"], ["--jobs", "1"])
    ]
    for res in outs:
        assert res.code == 1, res.output[:2000]
    found = [sorted((p["code"], p["line"]) for p in json.loads(r.out)["problems"]) for r in outs]
    assert found[0] == found[1]
    assert ("dup-id", 17_000) in found[0]
    assert ("schema", 19_999) in found[0]
    assert any(code == "json" and line == 15_000 for code, line in found[0])


def test_a_flood_of_problems_is_capped_and_says_so(goldset_repo, cli):
    goldset_repo.write(GOLDEN, "{broken\n" * 1000)
    res = cli("validate", "--format", "json", cwd=goldset_repo.root)
    assert res.code == 1
    data = json.loads(res.out)
    assert len(data["problems"]) < 300
    assert data["truncated"] > 0
    assert any("not shown" in p["message"] for p in data["problems"])
