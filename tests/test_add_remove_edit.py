"""`goldset add`, `remove` and `edit`: every change carries a reason, is
validated before anything is written, records provenance, and writes the
CHANGELOG entry naming the ids."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import textwrap

import pytest
from conftest import changelog_bullet, doc_canonical, doc_content_hash, golden_lines

GOOD_WHY = "real support ticket where the bot missed the refund policy"
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
GOLDEN = "evals/golden/golden.jsonl"
CHANGELOG = "evals/CHANGELOG.md"


def _examples(repo, rel: str = GOLDEN) -> list[dict]:
    text = repo.read(rel)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _state(repo) -> tuple[bytes, bytes]:
    return repo.read_bytes(GOLDEN), repo.read_bytes(CHANGELOG)


# ---------------------------------------------------------------- add from flags


def test_add_from_flags_records_everything(goldset_repo, cli):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    res = cli(
        "add",
        "--input",
        "What is the refund window for annual plans?",
        "--reference",
        "30 days from purchase",
        "--slice",
        "category=billing",
        "--slice",
        "lang=en",
        "--stratum",
        "real_traffic",
        "--tag",
        "refunds",
        "--tag",
        "annual",
        "--id",
        "refund-annual-001",
        "--source",
        "ticket #4411",
        "--why",
        GOOD_WHY,
        cwd=goldset_repo.root,
    )
    after = dt.datetime.now(dt.UTC)
    assert res.code == 0, res.output
    assert "refund-annual-001" in res.out
    [ex] = _examples(goldset_repo)
    assert ex["id"] == "refund-annual-001"
    assert ex["input"] == "What is the refund window for annual plans?"
    assert ex["reference"] == "30 days from purchase"
    assert ex["slice"] == {"category": "billing", "lang": "en"}
    assert ex["stratum"] == "real_traffic"
    assert ex["tags"] == ["refunds", "annual"]
    prov = ex["provenance"]
    assert prov["added_by"] == "Ada Lovelace <ada@example.com>"  # from git config
    assert prov["why"] == GOOD_WHY
    assert prov["source"] == "ticket #4411"
    added_at = dt.datetime.fromisoformat(prov["added_at"].replace("Z", "+00:00"))
    assert before <= added_at <= after + dt.timedelta(seconds=1)
    # The hash, recomputed from docs/formats.md's definition.
    assert ex["content_hash"] == doc_content_hash(ex)
    # Written in canonical form.
    assert goldset_repo.read(GOLDEN) == doc_canonical(ex) + "\n"
    # The CHANGELOG entry names the id and carries the reason.
    log = goldset_repo.read(CHANGELOG)
    assert changelog_bullet("added", ["refund-annual-001"], GOOD_WHY) in log
    assert re.search(r"^## \d{4}-\d{2}-\d{2} · Ada Lovelace <ada@example.com>$", log, re.M)
    # And the set validates.
    assert cli("validate", cwd=goldset_repo.root).code == 0


def test_generated_ids_are_readable_unique_and_stable(goldset_repo, git_repo, cli, tmp_path):
    text = "How do I reset my password on the mobile app?"
    res = cli("add", "--input", text, "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 0, res.output
    res2 = cli("add", "--input", text + " (Android)", "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res2.code == 0, res2.output
    ids = [e["id"] for e in _examples(goldset_repo)]
    assert len(ids) == len(set(ids)) == 2
    for i in ids:
        assert ID_RE.match(i) and "\n" not in i
        assert i.startswith("how-do-i-reset"), i  # readable: a slug of the input
    # Stable: the same example added in another repository gets the same id.
    from conftest import make_repo

    other = make_repo(tmp_path / "other")
    assert cli("init", cwd=other.root).code == 0
    assert cli("add", "--input", text, "--why", GOOD_WHY, cwd=other.root).code == 0
    assert _examples(other)[0]["id"] == ids[0]


def test_same_input_twice_gets_distinct_ids_and_a_near_duplicate_warning(goldset_repo, cli):
    text = "Can I get a refund after 45 days if the product was defective?"
    assert cli("add", "--input", text, "--why", GOOD_WHY, cwd=goldset_repo.root).code == 0
    res = cli("add", "--input", text, "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 0, res.output
    ids = [e["id"] for e in _examples(goldset_repo)]
    assert len(set(ids)) == 2
    assert "near-duplicate" in res.err and ids[0] in res.err


def test_near_duplicate_warning_for_a_slightly_changed_input(goldset_repo, cli):
    base = "the customer asks whether the premium plan includes priority phone support on weekends and holidays"
    assert cli("add", "--input", base, "--why", GOOD_WHY, cwd=goldset_repo.root).code == 0
    res = cli("add", "--input", base + " too", "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 0
    assert "near-duplicate" in res.err
    unrelated = cli(
        "add",
        "--input",
        "Translate this invoice into German for the Berlin office",
        "--why",
        GOOD_WHY,
        cwd=goldset_repo.root,
    )
    assert unrelated.code == 0 and "near-duplicate" not in unrelated.err


# ---------------------------------------------------------------- the reason


@pytest.mark.parametrize(
    "why",
    [None, "", "   ", "fix", "update", "wip", "misc", "add examples", "Fix.", "WIP", "short"],
)
def test_add_refuses_a_missing_or_placeholder_reason(goldset_repo, cli, why):
    before = _state(goldset_repo)
    args = ["add", "--input", "What is the capital of France, please?"]
    if why is not None:
        args += ["--why", why]
    res = cli(*args, cwd=goldset_repo.root)
    assert res.code == 2, res.output
    assert "--why" in res.err or "reason" in res.err
    assert _state(goldset_repo) == before
    assert "Traceback" not in res.output


@pytest.mark.parametrize("why", ["wip wip wip wip", "fix fix fix fix", "update update update"])
def test_add_refuses_a_repeated_placeholder(goldset_repo, cli, why):
    before = _state(goldset_repo)
    res = cli("add", "--input", "a question about refunds", "--why", why, cwd=goldset_repo.root)
    assert res.code == 2, res.output
    assert _state(goldset_repo) == before


def test_remove_and_edit_refuse_missing_or_placeholder_reasons(goldset_repo, cli):
    assert (
        cli(
            "add",
            "--input",
            "hello world example",
            "--id",
            "h1",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    before = _state(goldset_repo)
    for args in (
        ["remove", "h1"],
        ["remove", "h1", "--why", "wip"],
        ["remove", "h1", "--why", ""],
        ["edit", "h1", "--set", "reference=x"],
        ["edit", "h1", "--set", "reference=x", "--why", "update"],
        ["edit", "h1", "--set", "reference=x", "--why", "tiny"],
    ):
        res = cli(*args, cwd=goldset_repo.root)
        assert res.code == 2, (args, res.output)
        assert _state(goldset_repo) == before, args


# ---------------------------------------------------------------- add from files


def _five(bad_index: int | None = None) -> list[dict]:
    rows = [
        {
            "id": f"ex-{i}",
            "input": f"question number {i} about shipping times to Norway",
            "reference": f"answer {i}",
            "stratum": ["real_traffic", "failure_mode", "edge_case"][i % 3],
        }
        for i in range(1, 6)
    ]
    if bad_index is not None:
        rows[bad_index]["stratum"] = "made_up_stratum"
    return rows


def test_add_from_a_jsonl_file(goldset_repo, cli, tmp_path):
    src = tmp_path / "new.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _five()))
    res = cli("add", str(src), "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 0, res.output
    exs = _examples(goldset_repo)
    assert [e["id"] for e in exs] == [f"ex-{i}" for i in range(1, 6)]
    for e in exs:
        assert e["provenance"]["source"] == str(src)
        assert e["content_hash"] == doc_content_hash(e)
    log = goldset_repo.read(CHANGELOG)
    assert changelog_bullet("added", [f"ex-{i}" for i in range(1, 6)], GOOD_WHY) in log


def test_add_from_a_json_array_file(goldset_repo, cli, tmp_path):
    src = tmp_path / "new.json"
    src.write_text(json.dumps(_five()[:2], indent=2))
    res = cli("add", str(src), "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 0, res.output
    assert [e["id"] for e in _examples(goldset_repo)] == ["ex-1", "ex-2"]


def test_add_from_a_csv_file_with_slices_and_tags(goldset_repo, cli, tmp_path):
    src = tmp_path / "new.csv"
    src.write_text(
        "id,input,reference,stratum,slice.category,tags\n"
        'c1,"Is shipping free, over 50 EUR?",yes,real_traffic,shipping,"a;b"\n'
        "c2,Where is my parcel,tracking link,edge_case,shipping,\n"
    )
    res = cli("add", str(src), "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 0, res.output
    c1, c2 = _examples(goldset_repo)
    assert c1["input"] == "Is shipping free, over 50 EUR?"
    assert c1["slice"] == {"category": "shipping"} and c1["tags"] == ["a", "b"]
    assert c2["stratum"] == "edge_case" and "tags" not in c2


def test_add_from_stdin(goldset_repo, cli):
    data = "".join(json.dumps(r) + "\n" for r in _five()[:3])
    res = cli("add", "-", "--why", GOOD_WHY, cwd=goldset_repo.root, input=data)
    assert res.code == 0, res.output
    assert len(_examples(goldset_repo)) == 3
    # without the dash too, when stdin is not a terminal
    more = json.dumps({"id": "from-pipe", "input": "piped example about invoices"}) + "\n"
    res = cli("add", "--why", GOOD_WHY, cwd=goldset_repo.root, input=more)
    assert res.code == 0, res.output
    assert _examples(goldset_repo)[-1]["id"] == "from-pipe"


def test_add_from_stdin_subprocess(goldset_repo, run_goldset):
    data = json.dumps({"id": "sp-1", "input": "subprocess stdin example"}) + "\n"
    res = run_goldset("add", "-", "--why", GOOD_WHY, cwd=goldset_repo.root, input=data)
    assert res.code == 0, res.output
    assert _examples(goldset_repo)[0]["id"] == "sp-1"


def test_add_is_all_or_nothing(goldset_repo, cli, tmp_path):
    assert (
        cli(
            "add",
            "--input",
            "pre-existing example text",
            "--id",
            "keep",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    before = _state(goldset_repo)
    src = tmp_path / "five.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _five(bad_index=3)))
    res = cli("add", str(src), "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code != 0
    assert "ex-4" in res.err  # names the bad example
    assert "made_up_stratum" in res.err
    assert "nothing was written" in res.err
    assert _state(goldset_repo) == before


def test_add_all_or_nothing_on_a_schema_error(goldset_repo, cli, tmp_path):
    before = _state(goldset_repo)
    rows = _five()
    rows[1]["tags"] = "not-a-list"
    src = tmp_path / "five.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = cli("add", str(src), "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 1, res.output
    assert "ex-2" in res.err and "tags" in res.err
    assert _state(goldset_repo) == before


def test_add_refuses_an_existing_id_and_a_bad_id(goldset_repo, cli):
    assert (
        cli(
            "add",
            "--input",
            "first example text",
            "--id",
            "dup",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    before = _state(goldset_repo)
    res = cli("add", "--input", "second", "--id", "dup", "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 1 and "already exists" in res.err
    for bad in ("-starts-with-dash", "has space", "a/b", "../etc", "x" * 200, "é"):
        res = cli("add", "--input", "q", "--id", bad, "--why", GOOD_WHY, cwd=goldset_repo.root)
        assert res.code != 0, bad
        assert "Traceback" not in res.output
    assert _state(goldset_repo) == before


def test_add_refuses_an_id_with_a_trailing_newline(goldset_repo, cli):
    before = _state(goldset_repo)
    res = cli(
        "add",
        "--input",
        "q about newlines",
        "--id",
        "abc\n",
        "--why",
        GOOD_WHY,
        cwd=goldset_repo.root,
    )
    assert res.code != 0
    assert _state(goldset_repo) == before


def test_add_with_nothing_to_add(goldset_repo, cli):
    res = cli("add", "-", "--why", GOOD_WHY, cwd=goldset_repo.root, input="")
    assert res.code == 2 and "nothing to add" in res.err
    res = cli("add", "--why", GOOD_WHY, cwd=goldset_repo.root, input="\n\n")
    assert res.code == 2


def test_add_to_another_file_and_refuse_outside(goldset_repo, cli):
    res = cli(
        "add",
        "--input",
        "sharded example",
        "--to",
        "evals/golden/b.jsonl",
        "--why",
        GOOD_WHY,
        cwd=goldset_repo.root,
    )
    assert res.code == 0, res.output
    assert _examples(goldset_repo, "evals/golden/b.jsonl")[0]["input"] == "sharded example"
    res = cli(
        "add",
        "--input",
        "escape",
        "--to",
        "../evil.jsonl",
        "--why",
        GOOD_WHY,
        cwd=goldset_repo.root,
    )
    assert res.code == 2 and "inside" in res.err
    assert not (goldset_repo.root.parent / "evil.jsonl").exists()


def test_add_with_configured_slices_requires_them(goldset_repo, cli):
    cfg = re.sub(
        r"^slices: \[\]", "slices: [category]", goldset_repo.read("goldset.yaml"), flags=re.M
    )
    goldset_repo.write("goldset.yaml", cfg)
    before = _state(goldset_repo)
    res = cli(
        "add", "--input", "a question with no slice", "--why", GOOD_WHY, cwd=goldset_repo.root
    )
    assert res.code == 1 and "slice.category" in res.err
    assert _state(goldset_repo) == before
    res = cli(
        "add",
        "--input",
        "a question with a slice",
        "--slice",
        "category=math",
        "--why",
        GOOD_WHY,
        cwd=goldset_repo.root,
    )
    assert res.code == 0, res.output


def test_content_hash_matches_the_documented_definition_with_extra_fields(goldset_repo, cli):
    row = {"id": "ctx-1", "input": "summarise the ticket", "context": "ticket text", "zeta": 1}
    res = cli("add", "--why", GOOD_WHY, cwd=goldset_repo.root, input=json.dumps(row) + "\n")
    assert res.code == 0, res.output
    [ex] = _examples(goldset_repo)
    assert ex["content_hash"] == doc_content_hash(ex)


# ---------------------------------------------------------------- remove


def test_remove_with_reason(goldset_repo, cli):
    for i in range(3):
        assert (
            cli(
                "add",
                "--input",
                f"example {i} about returns policy",
                "--id",
                f"r{i}",
                "--why",
                GOOD_WHY,
                cwd=goldset_repo.root,
            ).code
            == 0
        )
    res = cli(
        "remove",
        "r0",
        "r2",
        "--why",
        "duplicates of r1 found in the weekly review",
        cwd=goldset_repo.root,
    )
    assert res.code == 0, res.output
    assert [e["id"] for e in _examples(goldset_repo)] == ["r1"]
    log = goldset_repo.read(CHANGELOG)
    assert (
        changelog_bullet("removed", ["r0", "r2"], "duplicates of r1 found in the weekly review")
        in log
    )


def test_remove_unknown_id_changes_nothing(goldset_repo, cli):
    assert (
        cli(
            "add",
            "--input",
            "only example",
            "--id",
            "only",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    before = _state(goldset_repo)
    res = cli(
        "remove",
        "only",
        "ghost",
        "--why",
        "stale example from an old product line",
        cwd=goldset_repo.root,
    )
    assert res.code == 1 and "ghost" in res.err
    assert _state(goldset_repo) == before


# ---------------------------------------------------------------- edit


def test_edit_with_set(goldset_repo, cli):
    assert (
        cli(
            "add",
            "--input",
            "what is 6 times 7",
            "--reference",
            "41",
            "--id",
            "m1",
            "--stratum",
            "edge_case",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    [old] = _examples(goldset_repo)
    why = "the reference answer was off by one, found in review"
    res = cli(
        "edit",
        "m1",
        "--set",
        "reference=42",
        "--set",
        "slice.category=math",
        "--why",
        why,
        cwd=goldset_repo.root,
    )
    assert res.code == 0, res.output
    [ex] = _examples(goldset_repo)
    assert ex["reference"] == 42
    assert ex["slice"] == {"category": "math"}
    assert ex["provenance"]["added_by"] == old["provenance"]["added_by"]
    assert ex["provenance"]["why"] == GOOD_WHY
    assert ex["provenance"]["change_why"] == why
    assert ex["provenance"]["changed_by"] == "Ada Lovelace <ada@example.com>"
    assert ex["content_hash"] == doc_content_hash(ex) != old["content_hash"]
    assert changelog_bullet("changed", ["m1"], why) in goldset_repo.read(CHANGELOG)
    assert cli("validate", cwd=goldset_repo.root).code == 0


def test_edit_refuses_managed_fields_unknown_ids_and_no_ops(goldset_repo, cli):
    assert (
        cli(
            "add",
            "--input",
            "editable example",
            "--reference",
            "x",
            "--id",
            "e1",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    before = _state(goldset_repo)
    why = "the reference was wrong according to the docs"
    for args, code in (
        (["edit", "e1", "--set", "id=e2"], 2),
        (["edit", "e1", "--set", "content_hash=0000000000000000"], 2),
        (["edit", "e1", "--set", "provenance.why=x"], 2),
        (["edit", "nope", "--set", "reference=y"], 1),
        (["edit", "e1", "--set", "reference=x"], 2),  # changes nothing
        (["edit", "e1", "--set", "noequals"], 2),
        (["edit", "e1", "--set", "stratum=bogus"], 1),
    ):
        res = cli(*args, "--why", why, cwd=goldset_repo.root)
        assert res.code == code, (args, res.output)
        assert "Traceback" not in res.output
        assert _state(goldset_repo) == before, args


def _editor_script(tmp_path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent(body))
    return f"{sys.executable} {script}"


def test_edit_through_editor(goldset_repo, run_goldset, cli, tmp_path):
    assert (
        cli(
            "add",
            "--input",
            "what is the VAT rate in Germany",
            "--reference",
            "16%",
            "--id",
            "vat",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    editor = _editor_script(
        tmp_path,
        """
        import json, sys
        p = sys.argv[1]
        doc = json.load(open(p))
        assert "provenance" not in doc and "content_hash" not in doc
        doc["reference"] = "19%"
        open(p, "w").write(json.dumps(doc, indent=2))
        """,
    )
    why = "the VAT rate changed back to 19 percent in 2021"
    res = run_goldset(
        "edit", "vat", "--why", why, cwd=goldset_repo.root, env={"EDITOR": editor, "VISUAL": editor}
    )
    assert res.code == 0, res.output
    [ex] = _examples(goldset_repo)
    assert ex["reference"] == "19%"
    assert ex["content_hash"] == doc_content_hash(ex)
    assert ex["provenance"]["why"] == GOOD_WHY  # the original provenance is kept
    assert changelog_bullet("changed", ["vat"], why) in goldset_repo.read(CHANGELOG)


def test_edit_through_editor_with_broken_json_changes_nothing(
    goldset_repo, run_goldset, cli, tmp_path
):
    assert (
        cli(
            "add",
            "--input",
            "editor breaks it",
            "--id",
            "b1",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    before = _state(goldset_repo)
    editor = _editor_script(tmp_path, "import sys\nopen(sys.argv[1], 'w').write('{oops')\n")
    res = run_goldset(
        "edit",
        "b1",
        "--why",
        "the input text was garbled in transit",
        cwd=goldset_repo.root,
        env={"EDITOR": editor, "VISUAL": editor},
    )
    assert res.code == 2, res.output
    assert "not valid JSON" in res.err and "Traceback" not in res.output
    assert _state(goldset_repo) == before
    editor = _editor_script(
        tmp_path,
        "import json, sys\nd = json.load(open(sys.argv[1]))\nd['id'] = 'other'\n"
        "open(sys.argv[1], 'w').write(json.dumps(d))\n",
    )
    res = run_goldset(
        "edit",
        "b1",
        "--why",
        "the input text was garbled in transit",
        cwd=goldset_repo.root,
        env={"EDITOR": editor, "VISUAL": editor},
    )
    assert res.code == 2 and "id" in res.err
    assert _state(goldset_repo) == before


def test_edits_keep_other_examples_byte_identical(goldset_repo, cli, tmp_path):
    src = tmp_path / "five.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _five()))
    assert cli("add", str(src), "--why", GOOD_WHY, cwd=goldset_repo.root).code == 0
    lines = goldset_repo.read(GOLDEN).splitlines()
    assert (
        cli(
            "edit",
            "ex-3",
            "--set",
            "reference=new answer",
            "--why",
            "the reference contradicted the shipping FAQ",
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    after = goldset_repo.read(GOLDEN).splitlines()
    assert [a == b for a, b in zip(lines, after, strict=True)] == [True, True, False, True, True]


def test_golden_example_helper_matches_goldset():
    # Guard for the fixtures above: a hand-made example is what goldset would write.
    from conftest import golden_example

    ex = golden_example("g-1", "hello", slice={"b": "2", "a": "1"}, tags=["x"])
    assert golden_lines(ex).startswith('{"id":"g-1","input":"hello","slice":{"a":"1","b":"2"}')


def test_add_refuses_when_the_set_on_disk_is_broken(goldset_repo, cli):
    goldset_repo.write(GOLDEN, '{"id":"ok","input":"fine"}\n{"id": broken\n')
    before = _state(goldset_repo)
    res = cli("add", "--input", "new question text", "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 2, res.output
    assert f"{GOLDEN}:2" in res.err and "Traceback" not in res.output
    assert _state(goldset_repo) == before
    res = cli("remove", "ok", "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 2 and f"{GOLDEN}:2" in res.err
    assert _state(goldset_repo) == before


def test_add_in_a_linked_worktree_leaves_no_stray_files(goldset_repo, cli, tmp_path):
    wt = tmp_path / "linked"
    goldset_repo.git("worktree", "add", "-q", str(wt))
    res = cli("add", "--input", "from the linked worktree", "--why", GOOD_WHY, cwd=wt)
    assert res.code == 0, res.output
    from conftest import Repo

    status = Repo(wt).git("status", "--porcelain").out.splitlines()
    assert sorted(line[3:] for line in status) == [CHANGELOG, GOLDEN]


def test_add_json_output_shape(goldset_repo, cli):
    res = cli(
        "add",
        "--input",
        "json shape question",
        "--id",
        "js-1",
        "--why",
        GOOD_WHY,
        "--format",
        "json",
        cwd=goldset_repo.root,
    )
    assert res.code == 0
    assert json.loads(res.out) == {
        "action": "added",
        "ids": ["js-1"],
        "file": GOLDEN,
        "warnings": [],
    }


def test_add_from_an_excel_csv_with_bom_and_crlf(goldset_repo, cli, tmp_path):
    src = tmp_path / "excel.csv"
    src.write_bytes(b"\xef\xbb\xbfinput,reference\r\nWhat is 2+2?,4\r\n")
    res = cli("add", str(src), "--why", GOOD_WHY, cwd=goldset_repo.root)
    assert res.code == 0, res.output
    [ex] = _examples(goldset_repo)
    assert ex["input"] == "What is 2+2?" and ex["reference"] == "4"


def test_edit_with_an_editor_that_saves_nothing(goldset_repo, run_goldset, cli):
    assert (
        cli(
            "add",
            "--input",
            "unchanged by the editor",
            "--id",
            "u",
            "--why",
            GOOD_WHY,
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    before = _state(goldset_repo)
    res = run_goldset(
        "edit",
        "u",
        "--why",
        "checking the reference against the docs",
        cwd=goldset_repo.root,
        env={"EDITOR": "true", "VISUAL": "true"},
    )
    assert res.code == 0, res.output
    assert "no change" in res.out
    assert _state(goldset_repo) == before


def test_add_file_with_flags_it_cannot_apply_is_refused_or_applied(goldset_repo, cli, tmp_path):
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps({"input": "from a file"}) + "\n")
    res = cli(
        "add",
        str(src),
        "--reference",
        "flag reference",
        "--id",
        "flag-id",
        "--why",
        GOOD_WHY,
        cwd=goldset_repo.root,
    )
    if res.code == 0:
        [ex] = _examples(goldset_repo)
        assert ex.get("reference") == "flag reference" and ex["id"] == "flag-id"
    else:
        assert res.code == 2 and ("--reference" in res.err or "--id" in res.err)
