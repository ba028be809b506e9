"""`goldset run` against litellm's real client and a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_llm import FakeLLM, make_project, write_examples

from goldset.cli import run as cli

PRICED = """
version: 1
variants:
  base:
    model: openai/fake-model
    params:
      api_base: "{api_base}"
      api_key_env: FAKE_KEY
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
checks:
  - {name: exact, type: exact, normalize: [case, whitespace]}
"""


def examples(n: int) -> list[dict]:
    return [
        {"id": f"ex-{i:03d}", "input": f"question {i}", "reference": f"answer: question {i}"}
        for i in range(n)
    ]


@pytest.fixture
def server():
    with FakeLLM() as s:
        yield s


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    monkeypatch.delenv("GOLDSET_CACHE_DIR", raising=False)


def records(root: Path, variant: str = "base") -> list[dict]:
    text = (root / "evals" / "results" / f"{variant}.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = cli(["run", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_run_writes_records_manifest_and_scores(tmp_path: Path, server: FakeLLM, capsys) -> None:
    root = make_project(tmp_path, server, PRICED, examples(4))
    code, data = run_json(capsys, "-C", str(root), "--variant", "base")
    assert code == 0
    recs = records(root)
    assert [r["example_id"] for r in recs] == [f"ex-{i:03d}" for i in range(4)]
    first = recs[0]
    assert first["output"] == "answer: question 0"
    assert first["scores"] == {"exact": True}
    assert first["cached"] is False and first["error"] is None
    # litellm's own cost figure from the per-token prices: 2 prompt + 3 completion tokens
    assert first["cost"] == pytest.approx(2 * 1e-6 + 3 * 2e-6)
    assert first["tokens"] == {"completion": 3, "prompt": 2}
    assert isinstance(first["latency_ms"], int)
    man = json.loads((root / "evals" / "results" / "base.manifest.json").read_text())
    assert man["variant"] == "base" and man["model"] == "openai/fake-model"
    assert man["litellm_version"] and man["complete"] is True
    assert man["cost_total"] == pytest.approx(4 * 8e-6)
    assert data["variants"][0]["calls"] == 4


def test_rerun_makes_zero_calls_and_edit_rejudges_alone(
    tmp_path: Path, server: FakeLLM, capsys
) -> None:
    root = make_project(tmp_path, server, PRICED, examples(5))
    assert cli(["run", "-C", str(root)]) == 0
    assert server.calls() == 5
    before = (root / "evals" / "results" / "base.jsonl").read_bytes()
    manifest = (root / "evals" / "results" / "base.manifest.json").read_bytes()
    assert cli(["run", "-C", str(root)]) == 0
    assert server.calls() == 5, "an unchanged set must make no call"
    assert (root / "evals" / "results" / "base.jsonl").read_bytes() == before
    assert (root / "evals" / "results" / "base.manifest.json").read_bytes() == manifest
    changed = examples(5)
    changed[2]["input"] = "a different question"
    write_examples(root, changed)
    assert cli(["run", "-C", str(root)]) == 0
    assert server.calls() == 6, "only the edited example is asked again"
    by_id = {r["example_id"]: r for r in records(root)}
    assert by_id["ex-002"]["output"] == "answer: a different question"


def test_cache_hits_are_flagged_and_keep_original_figures(
    tmp_path: Path, server: FakeLLM, capsys
) -> None:
    root = make_project(tmp_path, server, PRICED, examples(3))
    assert cli(["run", "-C", str(root)]) == 0
    fresh = {r["example_id"]: r for r in records(root)}
    (root / "evals" / "results" / "base.jsonl").unlink()
    code, data = run_json(capsys, "-C", str(root))
    assert code == 0
    assert server.calls() == 3
    assert data["variants"][0]["cache_hits"] == 3 and data["variants"][0]["cost_fresh"] == 0
    for r in records(root):
        assert r["cached"] is True
        assert r["latency_ms"] == fresh[r["example_id"]]["latency_ms"]
        assert r["cost"] == fresh[r["example_id"]]["cost"]
    # --no-cache asks again
    (root / "evals" / "results" / "base.jsonl").unlink()
    assert cli(["run", "-C", str(root), "--no-cache"]) == 0
    assert server.calls() == 6


def test_max_cost_stops_before_overspending_and_resumes(
    tmp_path: Path, server: FakeLLM, capsys
) -> None:
    root = make_project(tmp_path, server, PRICED, examples(6))
    per_call = 8e-6
    code, data = run_json(
        capsys, "-C", str(root), "--max-cost", str(2.5 * per_call), "--concurrency", "4"
    )
    assert code == 1
    v = data["variants"][0]
    assert v["calls"] == 2 and v["skipped"] == 4
    assert v["cost_fresh"] <= 2.5 * per_call
    assert len(records(root)) == 2
    assert cli(["run", "-C", str(root)]) == 0
    assert server.calls() == 6
    assert len(records(root)) == 6


def test_max_cost_refuses_a_model_litellm_cannot_price(
    tmp_path: Path, server: FakeLLM, capsys
) -> None:
    cfg = PRICED.replace(
        "      input_cost_per_token: 0.000001\n      output_cost_per_token: 0.000002\n", ""
    )
    root = make_project(tmp_path, server, cfg, examples(3))
    code = cli(["run", "-C", str(root), "--max-cost", "1"])
    assert code == 2
    assert "no price for openai/fake-model" in capsys.readouterr().err
    assert server.calls() == 1, "one call to learn the price, then stop"


def test_mock_response_needs_no_server(tmp_path: Path, capsys) -> None:
    cfg = """
version: 1
variants:
  canned:
    model: openai/gpt-4o-mini
    params: {mock_response: "forty-two"}
"""
    root = tmp_path
    (root / ".git").mkdir()
    (root / "goldset.yaml").write_text(cfg)
    write_examples(root, examples(2))
    assert cli(["run", "-C", str(root)]) == 0
    assert [r["output"] for r in records(root, "canned")] == ["forty-two", "forty-two"]


def test_unknown_variant_and_bad_config_name_the_field(
    tmp_path: Path, server: FakeLLM, capsys
) -> None:
    root = make_project(tmp_path, server, PRICED, examples(1))
    assert cli(["run", "-C", str(root), "--variant", "nope"]) == 2
    assert "no variant named 'nope'" in capsys.readouterr().err
    (root / "goldset.yaml").write_text("version: 1\nvariants:\n  v1:\n    prompt: hi\n")
    assert cli(["run", "-C", str(root)]) == 2
    assert "variants.v1.model" in capsys.readouterr().err


def test_sigkill_halfway_then_rerun_does_every_example_exactly_once(tmp_path: Path) -> None:
    n = 40
    with FakeLLM(delay=0.05) as server:
        root = make_project(tmp_path, server, PRICED, examples(n))
        env = {**os.environ, "FAKE_KEY": "sk-test"}
        argv = [sys.executable, "-m", "goldset", "run", "-C", str(root), "--concurrency", "2"]
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        results = root / "evals" / "results" / "base.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if results.exists() and results.read_bytes().count(b"\n") >= 10:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done_before = results.read_bytes().count(b"\n")
        assert 10 <= done_before < n, "the kill must land halfway"
        time.sleep(0.3)  # let the server finish answering the calls the kill orphaned
        calls_before = server.calls()
        proc2 = subprocess.run(argv, env=env, capture_output=True, timeout=120)
        assert proc2.returncode == 0, proc2.stderr.decode()
        ids = [r["example_id"] for r in records(root)]
        assert sorted(ids) == [f"ex-{i:03d}" for i in range(n)]
        assert len(ids) == len(set(ids)) == n
        # the second run asked only for what the first had not recorded; at
        # most the calls in flight at the kill (concurrency 2) were paid twice
        assert server.calls() - calls_before <= n - done_before
        assert server.calls() <= n + 2


def test_a_broken_prompt_template_names_the_variant_and_line(
    tmp_path: Path, server: FakeLLM, capsys
) -> None:
    cfg = PRICED.replace(
        "    model: openai/fake-model\n",
        '    model: openai/fake-model\n    prompt: "Q: {{ input_text }\\n{{ nope }}"\n',
        1,
    )
    root = make_project(tmp_path, server, cfg, examples(1))
    assert cli(["run", "-C", str(root)]) == 2
    err = capsys.readouterr().err
    assert "variants.base.prompt" in err and "template" in err
    assert server.calls() == 0


def test_worker_processes_share_the_calls_and_every_example_is_done_once(
    tmp_path: Path, server: FakeLLM, capsys
) -> None:
    root = make_project(tmp_path, server, PRICED, examples(12))
    code, data = run_json(capsys, "-C", str(root), "--workers", "2", "--concurrency", "4")
    assert code == 0
    assert data["variants"][0]["calls"] == 12 and server.calls() == 12
    recs = records(root)
    assert [r["example_id"] for r in recs] == [f"ex-{i:03d}" for i in range(12)]
    assert all(r["output"] == f"answer: question {int(r['example_id'][3:])}" for r in recs)
    assert data["variants"][0]["cost_fresh"] == pytest.approx(12 * 8e-6)
