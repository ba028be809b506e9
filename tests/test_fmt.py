"""`goldset fmt [--check]`: canonical form, fresh hashes, nothing else touched."""

from __future__ import annotations

import json
import os
import stat

from conftest import doc_canonical, doc_content_hash, golden_example, golden_lines

GOLDEN = "evals/golden/golden.jsonl"


def _messy(ex: dict) -> str:
    # keys reversed, nested keys unsorted, spaces: the same example, not canonical
    items = list(ex.items())[::-1]
    return json.dumps(dict(items), indent=None, ensure_ascii=True) + "\n"


def _exs():
    return [
        golden_example(
            "f1", "première question", stratum="real_traffic", slice={"z": "1", "a": "2"}
        ),
        golden_example("f2", {"turns": [{"role": "user", "text": "hi"}]}, stratum="edge_case"),
        golden_example("f3", "third", stratum="failure_mode", tags=["b", "a"]),
    ]


def test_fmt_rewrites_to_canonical_form(goldset_repo, cli):
    exs = _exs()
    goldset_repo.write(GOLDEN, "".join(_messy(e) for e in exs))
    assert cli("validate", cwd=goldset_repo.root).code == 1
    res = cli("fmt", cwd=goldset_repo.root)
    assert res.code == 0, res.output
    assert f"reformatted {GOLDEN}" in res.out
    assert goldset_repo.read(GOLDEN) == golden_lines(*exs)
    # tag order is data, not format: kept as written
    assert json.loads(goldset_repo.read(GOLDEN).splitlines()[2])["tags"] == ["b", "a"]
    assert cli("validate", cwd=goldset_repo.root).code == 0
    # idempotent
    again = cli("fmt", "--format", "json", cwd=goldset_repo.root)
    assert again.code == 0 and json.loads(again.out)["changed"] == []


def test_fmt_check_reports_and_changes_nothing(goldset_repo, cli):
    messy = "".join(_messy(e) for e in _exs())
    goldset_repo.write(GOLDEN, messy)
    res = cli("fmt", "--check", cwd=goldset_repo.root)
    assert res.code == 1
    assert f"would reformat {GOLDEN}" in res.out
    assert goldset_repo.read(GOLDEN) == messy
    data = json.loads(cli("fmt", "--check", "--format", "json", cwd=goldset_repo.root).out)
    assert data["changed"] == [GOLDEN] and data["check"] is True
    goldset_repo.write(GOLDEN, golden_lines(*_exs()))
    assert cli("fmt", "--check", cwd=goldset_repo.root).code == 0


def test_fmt_fixes_bom_crlf_blank_lines_and_missing_final_newline(goldset_repo, cli):
    exs = _exs()
    body = "\ufeff" + doc_canonical(exs[0]) + "\r\n\r\n" + doc_canonical(exs[1]) + "\n\n"
    body += doc_canonical(exs[2])  # no final newline
    goldset_repo.write(GOLDEN, body)
    res = cli("validate", "--format", "json", cwd=goldset_repo.root)
    codes = {p["code"] for p in json.loads(res.out)["problems"]}
    assert {"bom", "crlf", "blank-line", "no-final-newline"} <= codes
    assert cli("fmt", cwd=goldset_repo.root).code == 0
    assert goldset_repo.read_bytes(GOLDEN) == golden_lines(*exs).encode()


def test_fmt_recomputes_stale_hashes(goldset_repo, cli):
    ex = golden_example("h1", "q", reference="old")
    ex["reference"] = "new"  # hash now stale
    goldset_repo.write(GOLDEN, doc_canonical(ex) + "\n")
    assert cli("fmt", cwd=goldset_repo.root).code == 0
    [fixed] = [json.loads(x) for x in goldset_repo.read(GOLDEN).splitlines()]
    assert fixed["content_hash"] == doc_content_hash(fixed)


def test_fmt_refuses_what_it_cannot_fix_and_changes_nothing(goldset_repo, cli):
    good = golden_lines(*_exs())
    for bad, needle in (
        ('{"id":"x","id":"y","input":"q"}\n', "twice"),
        ('{"id": "x", broken\n', "golden.jsonl:4"),
        ("[1,2,3]\n", "golden.jsonl:4"),
    ):
        goldset_repo.write(GOLDEN, good + bad)
        res = cli("fmt", cwd=goldset_repo.root)
        assert res.code == 1, res.output
        assert needle in res.err and "Traceback" not in res.output
        assert goldset_repo.read(GOLDEN) == good + bad


def test_fmt_keeps_the_file_mode_and_other_files(goldset_repo, cli):
    p = goldset_repo.write(GOLDEN, "".join(_messy(e) for e in _exs()))
    os.chmod(p, 0o640)
    other = goldset_repo.write("evals/golden/clean.jsonl", golden_lines(golden_example("c1", "x")))
    mtime = other.stat().st_mtime_ns
    assert cli("fmt", cwd=goldset_repo.root).code == 0
    assert stat.S_IMODE(p.stat().st_mode) == 0o640
    assert other.stat().st_mtime_ns == mtime
    leftovers = [x.name for x in p.parent.iterdir() if x.name.endswith(".tmp")]
    assert leftovers == []
