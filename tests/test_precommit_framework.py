"""goldset's `.pre-commit-hooks.yaml`, driven by the real pre-commit framework.

The first test points a consumer repository at this repository (`repo:` a local
path at HEAD): pre-commit clones it and pip-installs goldset into its own venv,
exactly as a user's machine would (slow the first time; PRE_COMMIT_HOME is
shared by the test session so it installs once). The second copies the hook
definitions into a `repo: local` config with `language: system`, so the
hook definitions of the working tree are checked quickly too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MAIN_REPO, changelog_bullet, golden_example, golden_lines, make_repo

GOLDEN = "evals/golden/golden.jsonl"
CL = "evals/CHANGELOG.md"
WHY = "a real ticket where the bot promised a refund it cannot give"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _hook_defs() -> list[dict]:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load((MAIN_REPO / ".pre-commit-hooks.yaml").read_text())


def _pre_commit(repo, env, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    from conftest import subprocess_env

    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env=subprocess_env(env),
        timeout=timeout,
    )


def _consumer(tmp_path, cli, config: str):
    repo = make_repo(tmp_path / "consumer")
    assert cli("init", cwd=repo.root).code == 0
    repo.write(".pre-commit-config.yaml", config)
    repo.commit("start", verify=False)
    return repo


def _exercise(repo, env) -> None:
    """An unjustified commit is refused naming the id and the fix; a justified one passes."""
    head = repo.head()
    repo.write(GOLDEN, golden_lines(golden_example("pc-1", "what is the refund window")))
    repo.git("add", "-A")
    refused = repo.git("commit", "-m", "unjustified", check=False, env=env)
    assert refused.code != 0, refused.output
    out = refused.output
    assert "goldset changelog justification" in out
    assert "Failed" in out
    assert "'pc-1' was added" in out and "goldset add --why" in out
    assert repo.head() == head

    repo.write(
        CL, repo.read(CL) + "\n## 2026-11-29 · Ada\n" + changelog_bullet("added", ["pc-1"], WHY)
    )
    repo.git("add", "-A")
    ok = repo.git("commit", "-m", "justified", check=False, env=env)
    assert ok.code == 0, ok.output
    assert "goldset validate (staged)" in ok.output and "Passed" in ok.output
    assert repo.head() != head

    # an invalid staged set is refused by goldset-validate
    repo.write(GOLDEN, repo.read(GOLDEN) + '{"id": broken\n')
    repo.git("add", "-A")
    bad = repo.git("commit", "-m", "broken", check=False, env=env)
    assert bad.code != 0 and "golden.jsonl:2" in bad.output


def _head_rev() -> str:
    return subprocess.run(
        ["git", "-C", str(MAIN_REPO), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.slow
def test_hooks_from_this_repository_through_pre_commit(tmp_path, cli, pre_commit_home):
    ids = [h["id"] for h in _hook_defs()]
    assert ids == ["goldset-validate", "goldset-changelog"]
    config = (
        "repos:\n"
        f"  - repo: {MAIN_REPO}\n"
        f"    rev: {_head_rev()}\n"
        "    hooks:\n"
        "      - id: goldset-validate\n"
        "      - id: goldset-changelog\n"
    )
    repo = _consumer(tmp_path, cli, config)
    env = {"PRE_COMMIT_HOME": str(pre_commit_home)}
    installed = _pre_commit(repo, env, "install-hooks")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert _pre_commit(repo, env, "install").returncode == 0
    _exercise(repo, env)


def test_hook_definitions_through_pre_commit_as_local_system_hooks(tmp_path, cli, pre_commit_home):
    hooks = []
    for h in _hook_defs():
        assert h["language"] == "python" and h["pass_filenames"] is False
        lines = [
            f"      - id: {h['id']}",
            f"        name: {h['name']}",
            f"        entry: {h['entry']}",
            "        language: system",
            "        pass_filenames: false",
            "        always_run: true",
        ]
        hooks.append("\n".join(lines))
    config = "repos:\n  - repo: local\n    hooks:\n" + "\n".join(hooks) + "\n"
    repo = _consumer(tmp_path, cli, config)
    env = {"PRE_COMMIT_HOME": str(pre_commit_home)}
    assert _pre_commit(repo, env, "install").returncode == 0
    _exercise(repo, env)


def test_pre_commit_hooks_pass_in_a_repository_without_goldset(tmp_path, pre_commit_home):
    repo = make_repo(tmp_path / "plain")
    config = (
        "repos:\n  - repo: local\n    hooks:\n"
        + "\n".join(
            f"      - id: {h['id']}\n        name: {h['name']}\n        entry: {h['entry']}\n"
            "        language: system\n        pass_filenames: false\n        always_run: true"
            for h in _hook_defs()
        )
        + "\n"
    )
    repo.write(".pre-commit-config.yaml", config)
    repo.write("data.jsonl", "{not json\n")
    repo.git("add", "-A")
    env = {"PRE_COMMIT_HOME": str(pre_commit_home)}
    res = _pre_commit(repo, env, "run")
    assert res.returncode == 0, res.stdout + res.stderr
