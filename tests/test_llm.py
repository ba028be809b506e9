"""goldset.llm: retries, timeouts, concurrency, and litellm kept on a short, safe leash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_llm import FakeLLM, make_project

from goldset import llm
from goldset.cli import run as cli

CONFIG = """
version: 1
variants:
  base:
    model: openai/fake-model
    params: {api_base: "{api_base}", api_key_env: FAKE_KEY}
"""

TESTS = Path(__file__).resolve().parent


def examples(n: int) -> list[dict]:
    return [{"id": f"ex-{i}", "input": f"question {i}"} for i in range(n)]


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    monkeypatch.delenv("GOLDSET_CACHE_DIR", raising=False)


def records(root: Path) -> list[dict]:
    text = (root / "evals" / "results" / "base.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_429_honours_retry_after_then_succeeds(tmp_path: Path) -> None:
    with FakeLLM("429") as server:
        server.retry_after = "1"
        root = make_project(tmp_path, server, CONFIG, examples(3))
        assert cli(["run", "-C", str(root), "--concurrency", "3"]) == 0
        assert server.statuses[429] == 3 and server.statuses[200] == 3
        assert all(r["error"] is None for r in records(root))
        by_prompt: dict[str, list[float]] = {}
        for req in server.requests:
            by_prompt.setdefault(req["body"]["messages"][-1]["content"], []).append(req["at"])
        for times in by_prompt.values():
            # the retry came no sooner than Retry-After said (timestamps are at answer time)
            assert times[1] - times[0] >= 0.95


def test_5xx_backs_off_then_succeeds(tmp_path: Path) -> None:
    with FakeLLM("5xx") as server:
        root = make_project(tmp_path, server, CONFIG, examples(3))
        assert cli(["run", "-C", str(root)]) == 0
        assert server.statuses[503] == 3 and server.statuses[200] == 3
        assert [r["output"] for r in records(root)] == [f"answer: question {i}" for i in range(3)]


def test_slow_server_times_out_and_the_error_is_recorded_then_retried(
    tmp_path: Path, capsys
) -> None:
    with FakeLLM("slow", delay=2.0) as server:
        root = make_project(tmp_path, server, CONFIG, examples(2))
        code = cli(["run", "-C", str(root), "--timeout", "0.3", "--retries", "0"])
        assert code == 1
        recs = records(root)
        assert all(r["output"] is None and "Timeout" in r["error"] for r in recs)
        server.delay = 0.0
        server.behaviour = "normal"
        assert cli(["run", "-C", str(root)]) == 0, (
            "failed calls are never cached: the next run asks again"
        )
        assert all(r["error"] is None for r in records(root))


def test_concurrency_limit_is_respected(tmp_path: Path) -> None:
    with FakeLLM("slow", delay=0.2) as server:
        root = make_project(tmp_path, server, CONFIG, examples(12))
        assert cli(["run", "-C", str(root), "--concurrency", "4"]) == 0
        assert server.max_in_flight == 4


def test_retry_after_parsing() -> None:
    class Resp:
        def __init__(self, value: str) -> None:
            self.headers = {"retry-after": value}

    class Exc(Exception):
        def __init__(self, value: str) -> None:
            self.response = Resp(value)

    assert llm._retry_after(Exc("3")) == 3.0
    assert llm._retry_after(Exc("0.5")) == 0.5
    # an HTTP-date in the past means "now"
    assert llm._retry_after(Exc("Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0
    assert llm._retry_after(Exc("soon")) is None


def test_missing_litellm_says_how_to_install(tmp_path: Path, monkeypatch, capsys) -> None:
    with FakeLLM() as server:
        root = make_project(tmp_path, server, CONFIG, examples(1))
    monkeypatch.setitem(sys.modules, "litellm", None)
    monkeypatch.setattr(llm, "_LITELLM", None)
    assert cli(["run", "-C", str(root)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'goldset[llm]'" in err


def test_importing_the_commands_does_not_import_litellm() -> None:
    code = textwrap.dedent(
        """
        import sys
        from goldset.cli import run as main
        import goldset.llm, goldset.cache, goldset.generate, goldset.judging
        import goldset.scoring, goldset.calibration, goldset.progress, goldset.llm_config
        import goldset.cli.run_cmd, goldset.cli.judge, goldset.cli.score, goldset.cli.calibrate
        for name in ("run", "judge", "score", "calibrate"):
            assert main([name, "--help"]) == 0
        heavy = [m for m in ("litellm", "openai", "numpy", "scipy") if m in sys.modules]
        print("HEAVY", heavy)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


# A child process that records (and refuses) every connection that would
# leave 127.0.0.1, then runs goldset's CLI with the given argv.
GUARD = textwrap.dedent(
    """
    import json, socket, sys
    seen = []
    def hook(event, args):
        if event == "socket.getaddrinfo":
            host = args[0]
            host = host.decode() if isinstance(host, bytes) else host
            seen.append(["dns", str(host)])
            if host not in ("127.0.0.1", "localhost", "::1"):
                raise OSError("test guard: no DNS beyond loopback")
        elif event == "socket.connect":
            addr = args[1]
            if isinstance(addr, tuple):
                seen.append(["connect", str(addr[0]), addr[1]])
                if addr[0] not in ("127.0.0.1", "::1"):
                    raise OSError("test guard: no connection beyond loopback")
    sys.addaudithook(hook)
    from goldset.cli import run
    codes = [run(argv) for argv in json.loads(sys.argv[1])]
    print("GUARD " + json.dumps({"codes": codes, "seen": seen}))
    """
)


def guarded(argvs: list[list[str]], env: dict[str, str], cwd: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", GUARD, json.dumps(argvs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("GUARD ")), None)
    assert line is not None, out.stderr
    return json.loads(line[len("GUARD ") :])


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LITELLM_"))}
    env["FAKE_KEY"] = "sk-test"
    return env


def test_no_connection_leaves_loopback(tmp_path: Path) -> None:
    cfg = CONFIG + textwrap.dedent(
        """
        rubric:
          criteria:
            - {name: correct, question: Is the answer correct?}
        judges:
          strict:
            model: openai/fake-judge
            params: {api_base: "{api_base}", api_key_env: FAKE_KEY}
        """
    )
    with FakeLLM() as server:
        root = make_project(tmp_path, server, cfg, examples(3))
        got = guarded([["run", "-C", str(root)], ["judge", "-C", str(root)]], _clean_env(), root)
        assert got["codes"] == [0, 0]
        assert server.calls() == 6
    hosts = {x[1] for x in got["seen"]}
    assert hosts <= {"127.0.0.1", "localhost", "::1"}, got["seen"]
    assert any(x[0] == "connect" for x in got["seen"]), "the guard saw the calls"


def test_a_dotenv_in_the_checkout_cannot_redirect_the_api_key(tmp_path: Path) -> None:
    """A PR that adds `.env` with OPENAI_API_BASE must not receive the CI's OpenAI key.

    The variant relies on the environment (no api_base in goldset.yaml), the
    way a CI job with an OPENAI_API_KEY secret would. Were litellm to load
    the `.env`, the attacker's server (on loopback here) would get the call.
    """
    cfg = "version: 1\nvariants:\n  base:\n    model: openai/gpt-4o-mini\n"
    with FakeLLM() as legit, FakeLLM() as attacker:
        root = make_project(tmp_path, legit, cfg, examples(1))
        (root / ".env").write_text(
            f"OPENAI_API_BASE={attacker.url}\nOPENAI_BASE_URL={attacker.url}\n"
        )
        env = _clean_env()
        env["OPENAI_API_KEY"] = "sk-ci-secret"
        got = guarded([["run", "-C", str(root), "--retries", "0"]], env, root)
        assert attacker.calls() == 0 and not attacker.requests
        assert not [x for x in got["seen"] if x[0] == "connect" and x[2] == attacker.port]
        # the call went for the real provider and was refused by the test guard
        assert got["codes"] == [1]
        assert ["dns", "api.openai.com"] in got["seen"]


def test_progress_line_is_quiet_off_a_terminal_and_shows_calls_hits_cost_eta() -> None:
    import io

    from goldset.progress import Progress

    stats = llm.Stats(total=10, calls=4, hits=2, cost_fresh=0.0123)
    quiet = io.StringIO()
    Progress("judge x", stream=quiet)(stats)
    assert quiet.getvalue() == "", "not a TTY: no progress output"
    loud = io.StringIO()
    bar = Progress("judge x", stream=loud, enabled=True)
    bar(stats)
    bar.close()
    line = loud.getvalue()
    assert "6/10" in line and "calls 4" in line and "cached 2" in line
    assert "$0.0123" in line and "ETA" in line and line.endswith("\n")
