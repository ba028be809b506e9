"""Bad input gets a clear error naming the place and a non-zero exit, never a
traceback: what an attacker or a careless colleague would feed goldset."""

from __future__ import annotations

import json
import os
import socket
import sys
import textwrap

import pytest
from conftest import golden_example, golden_lines, subprocess_env

GOLDEN = "evals/golden/golden.jsonl"
SCHEMA = "evals/schemas/example.schema.json"
WHY = "a reason that is long enough to be a reason"


def _no_traceback(res) -> None:
    assert "Traceback" not in res.output, res.output
    assert "internal error" not in res.output, res.output


def _good() -> str:
    return golden_lines(
        golden_example("g0", "q0", stratum="real_traffic"),
        golden_example("g1", "q1", stratum="failure_mode"),
        golden_example("g2", "q2", stratum="edge_case"),
    )


def _validate(cli, repo, *extra: str):
    res = cli("validate", "--format", "json", *extra, cwd=repo.root)
    _no_traceback(res)
    return res, (json.loads(res.out) if res.out.startswith("{") else None)


# ---------------------------------------------------------------- bad JSONL lines


@pytest.mark.parametrize(
    ("line", "code", "column", "needle"),
    [
        (b'{"id":"x","input":"q",}', "json", 23, "invalid JSON"),
        (b'{"id":"x","input":"q"', "json", None, "invalid JSON"),
        (b'{"id":"x","input":"caf\xe9"}', "utf8", 23, "invalid UTF-8"),
        (b'{"id":"x","input":"q","reference":NaN}', "nan", 35, "NaN"),
        (b'{"id":"x","input":"q","reference":Infinity}', "nan", 35, "Infinity"),
        (b'{"id":"x","input":"q","reference":-Infinity}', "nan", None, "Infinity"),
        (b"[1,2,3]", "not-object", None, "expected a JSON object"),
        (b'"just a string"', "not-object", None, "expected a JSON object"),
        (b"null", "not-object", None, "expected a JSON object"),
    ],
)
def test_bad_lines_are_named_by_line_and_column(goldset_repo, cli, line, code, column, needle):
    goldset_repo.write(GOLDEN, _good().encode() + line + b"\n")
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    [p] = [p for p in data["problems"] if p["line"] == 4]
    assert p["path"] == GOLDEN and p["code"] == code and needle in p["message"]
    if column is not None:
        assert p["column"] == column
    # the text form carries file:line too
    text = cli("validate", cwd=goldset_repo.root).out
    assert "evals/golden/golden.jsonl:4" in text


def test_duplicate_keys_in_one_object(goldset_repo, cli):
    ex = golden_example("dk", "q")
    line = json.dumps(ex, separators=(",", ":"))
    line = line.replace('"input":"q"', '"input":"q","input":"other"')
    goldset_repo.write(GOLDEN, _good() + line + "\n")
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    assert any(
        p["code"] == "dup-key" and p["line"] == 4 and "'input'" in p["message"]
        for p in data["problems"]
    )


def test_duplicate_keys_refused_by_add(goldset_repo, cli, tmp_path):
    src = tmp_path / "dk.jsonl"
    src.write_text('{"id":"a","input":"one","input":"two"}\n')
    res = cli("add", str(src), "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and f"{src}:1" in res.err and "twice" in res.err


def test_deeply_nested_json_in_the_set(goldset_repo, cli, run_goldset):
    deep = '{"id":"deep","input":' + "[" * 100_000 + "]" * 100_000 + "}\n"
    goldset_repo.write(GOLDEN, _good() + deep)
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    assert any(p["line"] == 4 and "deep" in p["message"] for p in data["problems"])
    for cmd in (("validate",), ("fmt", "--check"), ("fmt",)):
        res = run_goldset(*cmd, cwd=goldset_repo.root)
        _no_traceback(res)
        assert res.code != 0 and "golden.jsonl:4" in res.output
    # the git-side readers survive it too
    goldset_repo.git("add", "-A")
    for cmd in (("validate", "--staged"), ("check-changelog", "--staged")):
        res = run_goldset(*cmd, cwd=goldset_repo.root)
        _no_traceback(res)
        assert res.code == 1


def test_moderately_deep_json_is_refused_by_add(goldset_repo, cli, tmp_path):
    src = tmp_path / "deep.jsonl"
    src.write_text('{"input":' + "[" * 500 + "]" * 500 + "}\n")
    before = goldset_repo.read_bytes(GOLDEN)
    res = cli("add", str(src), "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code != 0 and "deep" in res.err
    assert goldset_repo.read_bytes(GOLDEN) == before
    src.write_text('{"input":' + "[" * 100_000 + "]" * 100_000 + "}\n")
    res = cli("add", str(src), "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and f"{src}:1" in res.err


def test_huge_float_in_add_is_a_clear_error(goldset_repo, cli):
    res = cli(
        "add",
        "--why",
        WHY,
        cwd=goldset_repo.root,
        input='{"id":"huge","input":"q","reference":1e400}\n',
    )
    _no_traceback(res)
    assert res.code == 2 and "<stdin>" in res.err


def test_huge_float_in_the_set(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _good() + '{"id":"huge","input":"q","reference":1e400}\n')
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    assert any(p["line"] == 4 for p in data["problems"])


def test_huge_integer_in_the_set_does_not_crash(goldset_repo, cli, run_goldset):
    big = '{"id":"big","input":"q","reference":' + "9" * 400 + "}\n"
    goldset_repo.write(GOLDEN, _good() + big)
    res, _ = _validate(cli, goldset_repo)
    assert res.code in (0, 1)
    res = run_goldset("fmt", cwd=goldset_repo.root)
    _no_traceback(res)


def test_lone_surrogate_is_a_clear_error(goldset_repo, cli, run_goldset):
    res = cli("add", "--why", WHY, cwd=goldset_repo.root, input='{"id":"s","input":"\\ud800"}\n')
    _no_traceback(res)
    assert res.code == 2
    goldset_repo.write(GOLDEN, _good() + '{"id":"s","input":"\\ud800"}\n')
    res = run_goldset("fmt", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code != 0 and "golden.jsonl:4" in res.err


def test_lone_surrogate_in_the_set_is_reported(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _good() + '{"id":"s","input":"\\ud800"}\n')
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1 and any(p["line"] == 4 for p in data["problems"])


def test_duplicate_ids_in_one_add(goldset_repo, cli):
    data = '{"id":"same","input":"one"}\n{"id":"same","input":"two"}\n'
    before = goldset_repo.read_bytes(GOLDEN)
    res = cli("add", "--why", WHY, cwd=goldset_repo.root, input=data)
    _no_traceback(res)
    assert res.code == 1 and "same" in res.err and "given twice" in res.err
    assert goldset_repo.read_bytes(GOLDEN) == before


# ---------------------------------------------------------------- schemas


def _strict_schema() -> dict:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "allOf": [{"$ref": "https://goldset.dev/schemas/example.schema.json"}],
        "type": "object",
        "properties": {
            k: {}
            for k in (
                "id",
                "input",
                "reference",
                "slice",
                "stratum",
                "tags",
                "provenance",
                "content_hash",
            )
        },
        "additionalProperties": False,
    }


def test_unknown_field_when_the_schema_forbids_it(goldset_repo, cli):
    goldset_repo.write(SCHEMA, json.dumps(_strict_schema(), indent=2))
    extra = golden_example("x1", "q", notes="a field the schema does not allow")
    goldset_repo.write(GOLDEN, _good() + golden_lines(extra))
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    [p] = [p for p in data["problems"] if p["code"] == "schema"]
    assert p["line"] == 4 and p["example_id"] == "x1" and "notes" in p["message"]
    before = goldset_repo.read_bytes(GOLDEN)
    res = cli(
        "add", "--why", WHY, cwd=goldset_repo.root, input='{"id":"x2","input":"q","notes":"nope"}\n'
    )
    _no_traceback(res)
    assert res.code == 1 and "notes" in res.err
    assert goldset_repo.read_bytes(GOLDEN) == before


def test_remote_ref_is_never_fetched(goldset_repo):
    # A real listener on 127.0.0.1: if goldset fetched the $ref, it would connect here.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    port = server.getsockname()[1]
    try:
        schema = {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "allOf": [{"$ref": f"http://127.0.0.1:{port}/remote.schema.json"}],
            "type": "object",
        }
        goldset_repo.write(SCHEMA, json.dumps(schema))
        goldset_repo.write(GOLDEN, _good())
        # An audit hook in the child reports (and blocks) any socket connection.
        script = textwrap.dedent(
            """
            import sys
            def audit(event, args):
                if event in ("socket.connect", "socket.getaddrinfo"):
                    sys.stderr.write(f"NETWORK ATTEMPT {event} {args!r}\\n")
                    raise RuntimeError("network blocked by the test")
            sys.addaudithook(audit)
            from goldset.cli import run
            codes = [run(["validate"]), run(["add", "--input", "q text", "--why", sys.argv[1]])]
            sys.stderr.write(f"CODES {codes}\\n")
            """
        )
        import subprocess

        proc = subprocess.run(
            [sys.executable, "-c", script, WHY],
            cwd=goldset_repo.root,
            capture_output=True,
            text=True,
            env=subprocess_env(),
            timeout=60,
        )
        err = proc.stdout + proc.stderr
        assert "NETWORK ATTEMPT" not in err
        assert "Traceback" not in err
        assert "CODES [2, 2]" in err
        assert "never fetches" in err and SCHEMA in err
        with pytest.raises(BlockingIOError):
            server.accept()
    finally:
        server.close()


def test_remote_ref_nested_in_properties_is_refused(goldset_repo, cli):
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "allOf": [{"$ref": "https://goldset.dev/schemas/example.schema.json"}],
        "properties": {"reference": {"$ref": "https://example.invalid/answer.json"}},
    }
    goldset_repo.write(SCHEMA, json.dumps(schema))
    goldset_repo.write(GOLDEN, _good())
    res = cli("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and "never fetches" in res.err


def test_local_ref_by_id_works(goldset_repo, cli):
    shared = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://acme.local/answer.schema.json",
        "type": "string",
        "maxLength": 5,
    }
    goldset_repo.write("evals/schemas/answer.schema.json", json.dumps(shared))
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "allOf": [{"$ref": "https://goldset.dev/schemas/example.schema.json"}],
        "properties": {"reference": {"$ref": "https://acme.local/answer.schema.json"}},
    }
    goldset_repo.write(SCHEMA, json.dumps(schema))
    goldset_repo.write(
        GOLDEN, _good() + golden_lines(golden_example("r", "q", reference="too long"))
    )
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    [p] = [p for p in data["problems"] if p["code"] == "schema"]
    assert p["field"] == "$.reference" and p["line"] == 4


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"type": "strnig"}', "invalid schema"),
        ('{"type": "object",\n  "properties": {,}\n}', f"{SCHEMA}:2:"),
        ("[1, 2]", "must be a JSON object"),
        (b"\xff\xfe{}", "UTF-8"),
        ('{"properties": {"x": {"minLength": -1}}}', "invalid schema"),
    ],
)
def test_invalid_schema_is_a_config_error(goldset_repo, cli, text, needle):
    goldset_repo.write(SCHEMA, text)
    goldset_repo.write(GOLDEN, _good())
    res = cli("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and needle in res.err and SCHEMA in res.err


def test_missing_schema_file(goldset_repo, cli):
    os.unlink(goldset_repo.root / SCHEMA)
    res = cli("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and SCHEMA in res.err and "goldset init" in res.err


# ---------------------------------------------------------------- goldset.yaml


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("version: 1\npaths:\n  golden: [unclosed\n", "goldset.yaml:4"),
        ("version: 1\npaths:\n\tgolden: x\n", "goldset.yaml:3"),
        ("version: 1\nslices: [a\nstratification: {}\n", "goldset.yaml:"),
        ("- a\n- b\n", "mapping"),
        ("version: 2\n", "version"),
        ("version: 1\npaths:\n  golden: ../outside\n", "paths.golden"),
        ("version: 1\npaths:\n  golden: /etc\n", "paths.golden"),
        ("version: 1\npaths:\n  goldne: x\n", "paths.goldne"),
        ("version: 1\nstratification:\n  severity: fatal\n", "stratification.severity"),
        ("version: 1\nstratification:\n  min_per_stratum: -3\n", "min_per_stratum"),
        ("version: 1\nslices: category\n", "slices"),
        (b"version: 1\nslices: [caf\xe9]\n", "UTF-8"),
    ],
)
def test_malformed_goldset_yaml(goldset_repo, cli, text, needle):
    goldset_repo.write("goldset.yaml", text)
    for cmd in (("validate",), ("add", "--input", "q", "--why", WHY), ("fmt",)):
        res = cli(*cmd, cwd=goldset_repo.root)
        _no_traceback(res)
        assert res.code == 2, (cmd, res.output)
        assert "goldset.yaml" in res.err and needle in res.err, res.err


def test_malformed_goldset_yaml_in_the_hook(goldset_repo, run_hook):
    goldset_repo.write("goldset.yaml", "version: 1\npaths:\n  golden: [unclosed\n")
    res = run_hook("validate", "--staged", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and "goldset.yaml:4" in res.err


# ---------------------------------------------------------------- paths


def test_paths_outside_the_repository(goldset_repo, cli, tmp_path):
    (tmp_path / "elsewhere.jsonl").write_text(_good())
    for path in ("../elsewhere.jsonl", str(tmp_path / "elsewhere.jsonl"), "/etc/passwd"):
        res = cli("validate", path, cwd=goldset_repo.root)
        _no_traceback(res)
        assert res.code == 2 and "outside the repository" in res.err


def test_golden_folder_holding_a_directory_named_jsonl(goldset_repo, cli):
    (goldset_repo.root / "evals/golden/folder.jsonl").mkdir()
    goldset_repo.write(GOLDEN, _good())
    res = cli("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 0


def test_add_to_a_directory_is_a_usage_error(goldset_repo, cli):
    (goldset_repo.root / "evals/golden/folder.jsonl").mkdir()
    res = cli(
        "add",
        "--input",
        "q",
        "--to",
        "evals/golden/folder.jsonl",
        "--why",
        WHY,
        cwd=goldset_repo.root,
    )
    _no_traceback(res)
    assert res.code == 2


def test_symlink_outside_the_repository_is_refused(goldset_repo, cli, tmp_path):
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"id":"leak","input":"TOP-SECRET-TOKEN","tags":"x"}\n')
    os.symlink(secret, goldset_repo.root / "evals/golden/link.jsonl")
    goldset_repo.write(GOLDEN, _good())
    res = cli("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert "TOP-SECRET-TOKEN" not in res.output
    assert res.code != 0 and "link.jsonl" in res.output
    assert "symlink" in res.output or "outside" in res.output


def test_ids_with_path_or_control_characters_are_refused(goldset_repo, cli):
    before = goldset_repo.read_bytes(GOLDEN)
    for bad in (
        "../../etc/passwd",
        "a/b",
        "a\\b",
        "tab\there",
        "nul\u0000x",
        "sp ace",
        "`tick`",
        ".hidden",
        "",
        "é",
    ):
        row = json.dumps({"id": bad, "input": "q"}) + "\n"
        res = cli("add", "--why", WHY, cwd=goldset_repo.root, input=row)
        _no_traceback(res)
        assert res.code != 0, bad
    assert goldset_repo.read_bytes(GOLDEN) == before
    goldset_repo.write(GOLDEN, _good() + golden_lines(golden_example("a/b", "q")))
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    assert any(p["field"] == "$.id" and p["line"] == 4 for p in data["problems"])


def test_validate_refuses_an_id_with_a_trailing_newline(goldset_repo, cli):
    goldset_repo.write(GOLDEN, _good() + golden_lines(golden_example("abc\n", "q")))
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    assert any(p["line"] == 4 and p["field"] == "$.id" for p in data["problems"])


def test_non_string_id_and_missing_id(goldset_repo, cli):
    goldset_repo.write(
        GOLDEN,
        _good() + '{"id":42,"input":"q"}\n' + '{"input":"no id at all"}\n',
    )
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    lines = {p["line"] for p in data["problems"]}
    assert {4, 5} <= lines


# ---------------------------------------------------------------- canonical-form noise


def test_bom_crlf_and_empty_lines_point_at_fmt(goldset_repo, cli):
    body = "\ufeff" + _good().replace("\n", "\r\n", 1) + "\n"
    goldset_repo.write(GOLDEN, body)
    res = cli("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 1
    out = res.out
    assert "golden.jsonl:1: error" in out and "byte order mark" in out
    assert "CRLF" in out and "empty line" in out
    for line in out.splitlines():
        if any(w in line for w in ("byte order mark", "CRLF", "empty line")):
            assert "goldset fmt" in line
    assert cli("fmt", cwd=goldset_repo.root).code == 0
    assert cli("validate", cwd=goldset_repo.root).code == 0


def test_a_10mb_line_is_handled(goldset_repo, cli, run_goldset):
    big = golden_example("big", "x" * (10 * 1024 * 1024), stratum="edge_case")
    goldset_repo.write(GOLDEN, _good() + golden_lines(big))
    res = run_goldset("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 0, res.output[:2000]
    # 10 MB of garbage on one line: an error naming the line, not 10 MB of output
    goldset_repo.write(GOLDEN, _good() + "{" + "x" * (10 * 1024 * 1024) + "\n")
    res = run_goldset("validate", cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 1 and "golden.jsonl:4" in res.out
    assert len(res.output) < 10_000


def test_binary_garbage_golden_file(goldset_repo, cli):
    goldset_repo.write(GOLDEN, bytes(range(256)) * 40)
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1 and data["problems"]


# ---------------------------------------------------------------- add's other inputs


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("no_input.csv", "reference,stratum\nx,edge_case\n", "'input' column"),
        ("empty.csv", "", "'input' column"),
        ("extra_cells.csv", "input\nq,surplus\n", "more cells than columns"),
        ("latin1.csv", b"input\ncaf\xe9\n", "UTF-8"),
        ("scalar.json", "42", "expected an object"),
        ("broken.json", '{"input": ', "broken.json"),
        ("list_of_lists.json", "[[1]]", "expected an object"),
        ("nan.jsonl", '{"input": NaN}\n', "nan.jsonl:1"),
        ("array_line.jsonl", '["input"]\n', "array_line.jsonl"),
        ("bad_utf8.jsonl", b'{"input":"\xff"}\n', "bad_utf8.jsonl:1"),
    ],
)
def test_add_from_bad_files(goldset_repo, cli, tmp_path, name, content, needle):
    src = tmp_path / name
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        src.write_text(content)
    before = goldset_repo.read_bytes(GOLDEN), goldset_repo.read_bytes("evals/CHANGELOG.md")
    res = cli("add", str(src), "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2, res.output
    assert needle in res.err
    assert (
        goldset_repo.read_bytes(GOLDEN),
        goldset_repo.read_bytes("evals/CHANGELOG.md"),
    ) == before


def test_add_from_a_missing_file_or_a_directory(goldset_repo, cli, tmp_path):
    res = cli("add", str(tmp_path / "nope.jsonl"), "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2
    res = cli("add", str(tmp_path), "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2


def test_add_with_empty_stdin(goldset_repo, run_goldset):
    res = run_goldset("add", "-", "--why", WHY, cwd=goldset_repo.root, input=b"")
    _no_traceback(res)
    assert res.code == 2 and "nothing to add" in res.err


def test_add_with_no_input_at_all_from_a_terminal_like_stdin(goldset_repo, run_goldset):
    res = run_goldset("add", "--why", WHY, cwd=goldset_repo.root)  # stdin is /dev/null
    _no_traceback(res)
    assert res.code == 2


def test_bad_slice_flag_and_unknown_command(goldset_repo, cli):
    res = cli("add", "--input", "q", "--slice", "novalue", "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and "KEY=VALUE" in res.err
    res = cli("frobnicate", cwd=goldset_repo.root)
    assert res.code == 2


def test_commands_outside_any_project(tmp_path, cli):
    for cmd in (
        ("validate",),
        ("add", "--input", "q", "--why", WHY),
        ("fmt",),
        ("check-changelog", "--staged"),
    ):
        res = cli(*cmd, cwd=tmp_path)
        _no_traceback(res)
        assert res.code == 2, cmd


def _golden_as_a_file(repo) -> None:
    text = repo.read("goldset.yaml").replace(
        "golden: evals/golden ", "golden: evals/golden/golden.jsonl "
    )
    repo.write("goldset.yaml", text)
    repo.write(GOLDEN, _good())


def test_golden_path_configured_as_a_file_validate(goldset_repo, cli):
    _golden_as_a_file(goldset_repo)
    res = cli("validate", cwd=goldset_repo.root)
    _no_traceback(res)


def test_golden_path_configured_as_a_file_add(goldset_repo, cli):
    _golden_as_a_file(goldset_repo)
    res = cli("add", "--input", "q", "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and "goldset.yaml" in res.err


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (b'{"example_id":"g0","value":NaN}', "NaN"),
        (b'{"example_id":"g0",}', "invalid JSON"),
        (b"[1]", "JSON object"),
        (b'{"value":true}', "example_id"),
        (b'{"example_id":"g0","note":"\xff"}', "UTF-8"),
    ],
)
def test_bad_lines_in_labels_are_named(goldset_repo, cli, line, needle):
    goldset_repo.write(GOLDEN, _good())
    goldset_repo.write(
        "evals/labels/ada.jsonl", b'{"example_id":"g1","value":true}\n' + line + b"\n"
    )
    res, data = _validate(cli, goldset_repo)
    assert res.code == 1
    [p] = [p for p in data["problems"] if p["path"] == "evals/labels/ada.jsonl"]
    assert p["line"] == 2 and needle in p["message"] + (p["field"] or "")


def test_github_annotations_cannot_be_injected_from_data(goldset_repo, cli):
    evil = "x\n::error file=README.md,line=1::pwned %0A\r\n::add-mask::secret"
    goldset_repo.write(
        GOLDEN, _good() + golden_lines(golden_example("inj", evil, tags=[evil, evil], stratum=7))
    )
    goldset_repo.write(
        "evals/labels/evil.jsonl", json.dumps({"example_id": evil, "value": True}) + "\n"
    )
    res = cli("validate", "--format", "github", cwd=goldset_repo.root)
    assert res.code == 1
    lines = res.out.splitlines()
    assert lines and all(
        line.startswith(("::error file=evals/", "::warning file=evals/")) for line in lines
    ), res.out
    assert not any("::add-mask::" in line.split("::", 2)[1] for line in lines)
    assert "README.md" not in "".join(line.split("::")[1] for line in lines)


@pytest.mark.parametrize("kind", ["latin1", "folder"])
def test_unreadable_changelog_writes_nothing(goldset_repo, cli, kind):
    cl = goldset_repo.root / "evals/CHANGELOG.md"
    if kind == "latin1":
        cl.write_bytes(cl.read_bytes() + b"\n- added `x`: caf\xe9 ticket from the old wiki\n")
    else:
        cl.unlink()
        cl.mkdir()
    before = goldset_repo.read_bytes(GOLDEN)
    res = cli("add", "--input", "a question", "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert res.code == 2 and "CHANGELOG.md" in res.err
    assert goldset_repo.read_bytes(GOLDEN) == before


def test_a_hostile_schema_cannot_run_code(goldset_repo, cli, run_hook):
    # Schemas are compiled to Python; a pull request can change the schema, and CI
    # validates it. Nothing in a schema may end up executed as code.
    marker = goldset_repo.root / "PWNED"
    pay = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    evil = [
        f"x'] or {pay} or ['",
        f'x"] or {pay} or ["',
        f"x\n{pay}\n",
        f"x'''\n{pay}\n'''",
        f'x"""\n{pay}\n"""',
        "x\\",
    ]
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://acme.local/x'''\n" + pay,
        "title": "t'''\n" + pay + '\n"""',
        "description": '"""\n' + pay,
        "allOf": [{"$ref": "https://goldset.dev/schemas/example.schema.json"}],
        "properties": {
            e: {"type": "string", "enum": [e], "const": e, "default": e, "title": e, "pattern": "x"}
            for e in evil
        },
        "patternProperties": {"^z'\n" + pay: {"type": "string"}},
        "definitions": {e: {"type": "string"} for e in evil},
        "dependencies": {evil[0]: [evil[1]]},
    }
    goldset_repo.write(SCHEMA, json.dumps(schema))
    row = golden_example("a", "q", **{e: e for e in evil})
    goldset_repo.write(
        GOLDEN, _good() + golden_lines(row, golden_example("b", "q", **{evil[0]: 1}))
    )
    goldset_repo.git("add", "-A")
    res, data = _validate(cli, goldset_repo)
    hook = run_hook("validate", "--staged", cwd=goldset_repo.root)
    _no_traceback(hook)
    assert not marker.exists()
    assert res.code == 1 and hook.code == 1
    bad = {(p["line"], p["example_id"]) for p in data["problems"] if p["code"] == "schema"}
    assert (5, "b") in bad and not any(line == 4 for line, _ in bad)


def test_symlinked_golden_folder_outside_the_repository(goldset_repo, cli, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.jsonl"
    secret.write_text('{"id":"leak","input":"TOP-SECRET-TOKEN"}\n')
    golden_dir = goldset_repo.root / "evals/golden"
    for p in golden_dir.iterdir():
        p.unlink()
    golden_dir.rmdir()
    os.symlink(outside, golden_dir)
    before = secret.read_bytes()
    res = cli("add", "--input", "through the folder link", "--why", WHY, cwd=goldset_repo.root)
    _no_traceback(res)
    assert secret.read_bytes() == before and sorted(os.listdir(outside)) == ["secret.jsonl"]
    assert res.code == 2
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code != 0 and "TOP-SECRET-TOKEN" not in res.output
