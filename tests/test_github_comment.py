"""`goldset comment` against a fake GitHub on 127.0.0.1, and the shipped workflows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub

import goldset.github
from goldset.cli import run as cli_run
from goldset.github import GitHub, GitHubError
from goldset.markdown_safe import MARKER

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO = "octo/app"
PR = 7
TOKEN = "ghp_test_token"
BOT = "goldset-bot"

REPORT = "# goldset report\n\nAccuracy 0.81 → 0.84 (+0.03 ± 0.01, n=120)\n\n## Slices\n\n| slice | Δ |\n|---|---|\n| math | +0.05 |\n"


@pytest.fixture
def gh() -> Any:
    server = FakeGitHub().start()
    server.add_token(TOKEN, BOT)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every retry wait, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(goldset.github, "_default_sleep", waits.append)
    return waits


@pytest.fixture(autouse=True)
def github_env(monkeypatch: pytest.MonkeyPatch, gh: FakeGitHub, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("GITHUB_", "GH_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.chdir(tmp_path)


def write_report(tmp_path: Path, text: str = REPORT, name: str = "report.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def comment(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli_run(["comment", *args])
    out, err = capsys.readouterr()
    return code, out, err


def goldset_comments(gh: FakeGitHub, pr: int = PR) -> list[dict[str, Any]]:
    return [c for c in gh.comments_on(REPO, pr) if c["body"].startswith(MARKER)]


# --- the sticky comment -------------------------------------------------------


def test_first_run_creates_then_updates_the_same_comment(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_report(tmp_path)
    code, out, _ = comment(capsys, "--pr", str(PR), "--body-file", str(report))
    assert code == 0, out
    assert "created" in out
    [posted] = goldset_comments(gh)
    assert posted["user"]["login"] == BOT
    assert posted["body"].startswith(MARKER + "\n# goldset report")
    assert [r.method for r in gh.writes()] == ["POST"]

    write_report(tmp_path, REPORT.replace("0.84", "0.86"))
    code, out, _ = comment(capsys, "--pr", str(PR), "--body-file", str(report))
    assert code == 0
    assert "updated" in out
    [after] = goldset_comments(gh)
    assert after["id"] == posted["id"]
    assert "0.86" in after["body"]
    assert [r.method for r in gh.writes()] == ["POST", "PATCH"]
    assert gh.writes()[-1].path.endswith(f"/issues/comments/{posted['id']}")


def test_unchanged_body_sends_no_patch(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_report(tmp_path)
    assert comment(capsys, "--pr", str(PR), "--body-file", str(report))[0] == 0
    code, out, _ = comment(capsys, "--pr", str(PR), "--body-file", str(report))
    assert code == 0
    assert "up to date" in out
    assert [r.method for r in gh.writes()] == ["POST"]


def test_lookalike_comment_by_another_author_is_left_alone(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = gh.add_comment(REPO, PR, MARKER + "\nI am not the bot", "mallory")
    code, _, _ = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 0
    assert forged["body"] == MARKER + "\nI am not the bot"
    assert not any(str(forged["id"]) in r.path for r in gh.writes())
    ours = [c for c in goldset_comments(gh) if c["user"]["login"] == BOT]
    assert len(ours) == 1 and ours[0]["id"] != forged["id"]


def test_finds_its_comment_on_the_third_page(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(230):
        gh.add_comment(REPO, PR, f"review comment {i}", "reviewer")
    ours = gh.add_comment(REPO, PR, MARKER + "\nold report", BOT)
    for i in range(20):
        gh.add_comment(REPO, PR, f"later comment {i}", "reviewer")
    code, _, _ = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 0
    pages = [r.query.get("page", "1") for r in gh.requests if r.path.endswith("/comments")]
    assert pages == ["1", "2", "3"]
    assert [r.method for r in gh.writes()] == ["PATCH"]
    assert ours["body"].startswith(MARKER + "\n# goldset report")
    assert len(goldset_comments(gh)) == 1


def test_a_502_is_retried(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    gh.fail("GET", r"/issues/\d+/comments$", 502, body={"message": "Server Error"})
    code, _, err = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 0, err
    assert len(goldset_comments(gh)) == 1
    assert sleeps == [1.0]  # the first exponential backoff step


def test_a_502_after_the_post_was_carried_out_does_not_duplicate(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    gh.fail("POST", r"/comments$", 502, after_apply=True)
    code, _, err = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 0, err
    assert len(goldset_comments(gh)) == 1
    assert [r.method for r in gh.writes()] == ["POST"]


def test_secondary_rate_limit_waits_as_long_as_github_asks(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    gh.fail(
        "POST",
        r"/comments$",
        403,
        headers={"Retry-After": "7"},
        body={"message": "You have exceeded a secondary rate limit."},
    )
    code, _, err = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 0, err
    assert sleeps == [7.0]
    assert [r.method for r in gh.writes()] == ["POST", "POST"]
    assert len(goldset_comments(gh)) == 1


def test_bad_token_is_a_clear_error_and_exit_2(
    gh: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "expired")
    code, _, err = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 2
    assert "401" in err and "GITHUB_TOKEN" in err
    assert gh.writes() == []


def test_missing_permission_names_the_workflow_permission(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh.fail("POST", r"/comments$", 403, body={"message": "Resource not accessible by integration"})
    code, _, err = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 2
    assert "pull-requests: write" in err


def test_dry_run_sends_nothing_but_says_what_it_would_do(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = gh.add_comment(REPO, PR, MARKER + "\nold", BOT)
    code, out, err = comment(
        capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)), "--dry-run"
    )
    assert code == 0
    assert gh.writes() == []
    assert f"would update comment {existing['id']}" in err
    assert out.startswith(MARKER + "\n# goldset report")
    assert existing["body"] == MARKER + "\nold"


def test_dry_run_without_a_token_makes_no_request(
    gh: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    code, out, _ = comment(
        capsys,
        "--pr",
        str(PR),
        "--body-file",
        str(write_report(tmp_path)),
        "--dry-run",
        "--format",
        "json",
    )
    assert code == 0
    assert gh.requests == []
    data = json.loads(out)
    assert data["action"] is None and data["dry_run"] is True
    assert data["body"].startswith(MARKER)


def test_without_a_token_a_real_run_is_a_usage_error(
    gh: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    code, _, err = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)))
    assert code == 2 and "GITHUB_TOKEN" in err
    assert gh.requests == []


def test_actions_token_falls_back_to_github_actions_bot(
    gh: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gh.add_token("ghs_actions", None)  # /user is forbidden for it
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_actions")
    earlier = gh.add_comment(REPO, PR, MARKER + "\nold", "github-actions[bot]")
    code, out, _ = comment(
        capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)), "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["action"] == "update" and data["comment_id"] == earlier["id"]
    assert data["author"] == "github-actions[bot]" and data["author_source"] == "fallback"
    assert len(goldset_comments(gh)) == 1


def test_author_option_skips_asking_github(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = comment(
        capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path)), "--author", BOT
    )
    assert code == 0
    assert not any(r.path.endswith("/user") for r in gh.requests)


def test_pr_number_from_the_event_payload(
    gh: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 42}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    code, _, _ = comment(capsys, "--body-file", str(write_report(tmp_path)))
    assert code == 0
    assert len(goldset_comments(gh, 42)) == 1


@pytest.mark.parametrize("bad", ["12; rm -rf /", "-3", "0", "7\n8", "١٢"])
def test_a_pr_number_that_is_not_digits_is_refused(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    code, _, err = comment(capsys, "--pr", bad, "--body-file", str(write_report(tmp_path)))
    assert code == 2
    assert "not a pull request number" in err
    assert gh.requests == []


def test_forged_marker_in_the_body_does_not_survive(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f"{MARKER}\n# report\n\nmodel said: {MARKER} and <!--goldset-report--> hi @admin\n"
    code, _, _ = comment(capsys, "--pr", str(PR), "--body-file", str(write_report(tmp_path, text)))
    assert code == 0
    [posted] = goldset_comments(gh)
    assert posted["body"].count("goldset-report") == 3
    assert posted["body"].count(MARKER) == 1 and posted["body"].startswith(MARKER)
    assert "<!--goldset-report-->" not in posted["body"]
    assert "@admin" not in posted["body"]


def test_head_sha_guard_skips_a_report_for_another_commit(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh.pulls[(REPO, PR)] = "b" * 40
    report = str(write_report(tmp_path))
    code, out, _ = comment(capsys, "--pr", str(PR), "--body-file", report, "--head-sha", "a" * 40)
    assert code == 0
    assert "did not comment" in out
    assert gh.writes() == []
    code, _, _ = comment(capsys, "--pr", str(PR), "--body-file", report, "--head-sha", "b" * 40)
    assert code == 0
    assert len(goldset_comments(gh)) == 1


def test_github_enterprise_api_url_and_request_headers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ghe = FakeGitHub(prefix="/api/v3").start()
    try:
        ghe.add_token(TOKEN, BOT)
        code, _, err = comment(
            capsys,
            "--pr",
            str(PR),
            "--body-file",
            str(write_report(tmp_path)),
            "--api-url",
            ghe.url,
        )
        assert code == 0, err
        assert all(r.path.startswith("/api/v3/") for r in ghe.requests)
        post = ghe.writes()[0]
        assert post.headers["authorization"] == f"Bearer {TOKEN}"
        assert post.headers["user-agent"].startswith("goldset/")
        assert post.headers["accept"] == "application/vnd.github+json"
        assert len([c for c in ghe.comments_on(REPO, PR) if c["body"].startswith(MARKER)]) == 1
    finally:
        ghe.stop()


def test_huge_report_from_stdin_is_cut_under_the_limit_end_to_end(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    """A subprocess, as the workflow runs it; the fake GitHub rejects > 65,536 like GitHub."""
    sections = ["# goldset report\n\nheadline: accuracy +0.03 ± 0.01 (n=120)"]
    for name, size in [("Outputs to read", 130_000), ("Changelog", 50_000), ("Slices", 20_000)]:
        sections.append(f"## {name}\n\n" + ("x" * 99 + "\n") * (size // 100))
    env = {
        **os.environ,
        "GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": REPO,
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "goldset",
            "comment",
            "--pr",
            "9",
            "--body-file",
            "-",
            "--format",
            "json",
        ],
        input="\n\n".join(sections),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["action"] == "create"
    assert data["cut_sections"] == ["Outputs to read", "Changelog"]
    [posted] = goldset_comments(gh, 9)
    assert len(posted["body"]) < 65536
    assert "headline: accuracy" in posted["body"] and "## Slices" in posted["body"]
    assert "**Outputs to read**" in posted["body"]


@pytest.mark.parametrize(
    ("payload", "number"),
    [
        ({"pull_request": {"number": 5}, "number": 5}, 5),
        ({"issue": {"number": 6, "pull_request": {"url": "x"}}, "comment": {}}, 6),
        ({"workflow_run": {"pull_requests": [{"number": 8}]}}, 8),
        ({"workflow_run": {"pull_requests": []}}, None),  # from a fork: GitHub leaves it empty
        ({"issue": {"number": 9}}, None),  # a plain issue, not a pull request
    ],
)
def test_pr_number_from_each_kind_of_event(
    tmp_path: Path, payload: dict[str, Any], number: int | None
) -> None:
    from goldset.comment import resolve_pr
    from goldset.errors import UsageError

    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    env = {"GITHUB_EVENT_PATH": str(event)}
    if number is None:
        with pytest.raises(UsageError, match="no pull request number"):
            resolve_pr(None, env)
    else:
        assert resolve_pr(None, env) == number


def test_a_missing_body_file_is_exit_2(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = comment(capsys, "--pr", str(PR), "--body-file", str(tmp_path / "nope.md"))
    assert code == 2 and "no such file" in err
    assert gh.requests == []


# --- the client on its own ------------------------------------------------------


def test_client_honours_retry_after_and_rate_limit_reset(gh: FakeGitHub) -> None:
    waits: list[float] = []
    client = GitHub(TOKEN, api_url=gh.url, sleep=waits.append, now=lambda: 1_000_000.0)
    gh.fail("GET", r"/user$", 429, headers={"Retry-After": "3"})
    gh.fail(
        "GET",
        r"/user$",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000010"},
        body={"message": "API rate limit exceeded"},
    )
    assert client.token_login() == BOT
    assert waits == [3.0, 11.0]  # Retry-After as given; reset - now + 1 s


def test_client_gives_up_within_its_attempts_and_wait_budget(gh: FakeGitHub) -> None:
    waits: list[float] = []
    client = GitHub(TOKEN, api_url=gh.url, sleep=waits.append, max_attempts=3)
    gh.fail("GET", r"/comments$", 503, times=10)
    with pytest.raises(GitHubError, match=r"HTTP 503 after 3 attempts"):
        client.list_issue_comments(REPO, PR)
    assert waits == [1.0, 2.0]
    assert len(gh.requests) == 3

    patient = GitHub(TOKEN, api_url=gh.url, sleep=waits.append, max_wait=60)
    gh.fail("GET", r"/user$", 403, headers={"Retry-After": "3600"})
    with pytest.raises(GitHubError, match="retry budget"):
        patient.token_login()


def test_client_refuses_a_next_link_to_another_host(gh: FakeGitHub) -> None:
    client = GitHub(TOKEN, api_url=gh.url, sleep=lambda s: None)
    with pytest.raises(GitHubError, match="another host"):
        client.request("GET", "https://evil.example/repos/octo/app/issues/7/comments?page=2")
    assert gh.requests == []


def test_client_unreachable_is_a_usage_error() -> None:
    client = GitHub(TOKEN, api_url="http://127.0.0.1:9", sleep=lambda s: None, max_attempts=2)
    with pytest.raises(GitHubError, match="cannot reach"):
        client.token_login()


# --- the shipped action and workflows --------------------------------------------


def _yaml(path: Path) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_action_yml_is_a_composite_action_with_the_documented_inputs() -> None:
    action = _yaml(REPO_ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"python-version", "goldset-version", "base", "mode"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    assert all("shell" in s for s in steps if "run" in s)
    assert any("pip install" in s.get("run", "") for s in steps)
    # Inputs go through env, never straight into a shell line (script injection).
    for s in steps:
        assert "${{ inputs." not in s.get("run", ""), s["run"]


def test_report_workflow_builds_without_secrets_and_uploads_the_report() -> None:
    wf = _yaml(REPO_ROOT / "templates" / "workflows" / "goldset-report.yml")
    assert "pull_request" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    text = (REPO_ROOT / "templates" / "workflows" / "goldset-report.yml").read_text()
    assert "secrets." not in text
    steps = [s for job in wf["jobs"].values() for s in job["steps"]]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert checkout["with"].get("persist-credentials") is False
    assert any("goldset report --base" in s.get("run", "") for s in steps)
    assert any(str(s.get("uses", "")).startswith("actions/upload-artifact@") for s in steps)


def test_comment_workflow_has_minimal_permissions_and_never_runs_pr_code() -> None:
    path = REPO_ROOT / "templates" / "workflows" / "goldset-comment.yml"
    wf = _yaml(path)
    assert wf["on"]["workflow_run"]["types"] == ["completed"]
    assert wf["on"]["workflow_run"]["workflows"] == ["goldset report"]
    assert wf["permissions"] == {}
    for job in wf["jobs"].values():
        assert job["permissions"] == {"pull-requests": "write", "actions": "read"}
        uses = [str(s.get("uses", "")) for s in job["steps"]]
        assert not any(u.startswith("actions/checkout") for u in uses)
        download = next(s for s in job["steps"] if "download-artifact" in str(s.get("uses", "")))
        assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
        assert download["with"]["github-token"] == "${{ github.token }}"
        runs = "\n".join(s.get("run", "") for s in job["steps"])
        assert "goldset comment" in runs and "--body-file" in runs
        assert "pip install" in runs and "pip install ." not in runs
        # The PR number from the artifact is checked to be digits before use.
        assert "^[0-9]+$" in runs
        # Untrusted values reach the shell through env, not ${{ }} interpolation.
        assert "${{ github.event.workflow_run.head" not in runs
    assert "pull_request_target" not in path.read_text()


def test_report_workflow_name_matches_what_the_comment_workflow_listens_for() -> None:
    report = _yaml(REPO_ROOT / "templates" / "workflows" / "goldset-report.yml")
    listen = _yaml(REPO_ROOT / "templates" / "workflows" / "goldset-comment.yml")
    assert listen["on"]["workflow_run"]["workflows"] == [report["name"]]


def test_without_a_body_file_the_report_is_rendered_and_posted(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from goldset import demo

    repo = tmp_path / "demo"
    demo.build(repo, n_boot=200)
    code, out, err = comment(capsys, "--pr", str(PR), "-C", str(repo))
    assert code == 0, out + err
    [posted] = goldset_comments(gh)
    body = posted["body"]
    assert body.startswith(MARKER)
    assert "## Rankings (Bradley-Terry)" in body and "gpt4_pair" in body
    assert len(body) < 65536
