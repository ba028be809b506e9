"""Plain git hooks: `goldset hooks install/uninstall`, and real `git commit`s
through the installed hook."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import changelog_bullet, golden_example, golden_lines

GOLDEN = "evals/golden/golden.jsonl"
CL = "evals/CHANGELOG.md"
WHY = "the refund answer was wrong for annual plans in ticket 812"
FOREIGN = "#!/bin/sh\n# my team's lint hook\nexit 0\n"


def _log(repo, *bullets: str) -> None:
    repo.write(CL, repo.read(CL) + "\n## 2026-11-29 · Ada\n" + "".join(bullets))


def _commit(repo, message: str = "change"):
    return repo.git("commit", "-q", "-m", message, check=False)


def test_install_writes_an_executable_hook_that_blocks_an_unjustified_commit(goldset_repo, cli):
    res = cli("hooks", "install", cwd=goldset_repo.root)
    assert res.code == 0, res.output
    hook = goldset_repo.root / ".git/hooks/pre-commit"
    assert hook.is_file() and os.access(hook, os.X_OK)
    assert "installed" in res.out

    head = goldset_repo.head()
    goldset_repo.write(GOLDEN, golden_lines(golden_example("u1", "unjustified question")))
    goldset_repo.git("add", "-A")
    blocked = _commit(goldset_repo)
    assert blocked.code != 0
    assert "'u1' was added" in blocked.output
    assert "goldset add --why" in blocked.output  # says how to fix it
    assert goldset_repo.head() == head

    _log(goldset_repo, changelog_bullet("added", ["u1"], WHY))
    goldset_repo.git("add", "-A")
    ok = _commit(goldset_repo)
    assert ok.code == 0, ok.output
    assert goldset_repo.head() != head


def test_hook_blocks_an_invalid_staged_set(goldset_repo, cli):
    assert cli("hooks", "install", cwd=goldset_repo.root).code == 0
    goldset_repo.write(GOLDEN, '{"id":"x", broken\n')
    goldset_repo.git("add", "-A")
    res = _commit(goldset_repo)
    assert res.code != 0 and "golden.jsonl:1" in res.output


def test_hook_judges_the_index_not_the_working_tree(goldset_repo, cli):
    assert cli("hooks", "install", cwd=goldset_repo.root).code == 0
    assert (
        cli("add", "--input", "a justified example", "--why", WHY, cwd=goldset_repo.root).code == 0
    )
    goldset_repo.git("add", "-A")
    # a broken, unstaged edit afterwards must not block the good staged change
    (goldset_repo.root / GOLDEN).write_text("{broken\n")
    res = _commit(goldset_repo)
    assert res.code == 0, res.output


def test_hook_sees_commit_dash_a(goldset_repo, cli):
    assert cli("hooks", "install", cwd=goldset_repo.root).code == 0
    # tracked file modified, nothing staged: `git commit -a` stages it (temporary index)
    goldset_repo.write(GOLDEN, golden_lines(golden_example("via-a", "q")))
    res = goldset_repo.git("commit", "-q", "-a", "-m", "all", check=False)
    assert res.code != 0 and "'via-a' was added" in res.output


def test_goldset_add_and_commit_pass_the_hook(goldset_repo, cli):
    assert cli("hooks", "install", cwd=goldset_repo.root).code == 0
    assert (
        cli("add", "--input", "first real example", "--why", WHY, cwd=goldset_repo.root).code == 0
    )
    goldset_repo.git("add", "-A")
    assert _commit(goldset_repo).code == 0


def test_install_respects_core_hooks_path(goldset_repo, cli):
    goldset_repo.git("config", "core.hooksPath", ".githooks")
    res = cli("hooks", "install", cwd=goldset_repo.root)
    assert res.code == 0, res.output
    assert (goldset_repo.root / ".githooks/pre-commit").is_file()
    assert not (goldset_repo.root / ".git/hooks/pre-commit").exists()
    goldset_repo.write(GOLDEN, golden_lines(golden_example("hp-1", "q")))
    goldset_repo.git("add", GOLDEN)
    assert _commit(goldset_repo).code != 0


def test_install_never_clobbers_a_foreign_hook(goldset_repo, cli):
    hook = goldset_repo.write(".git/hooks/pre-commit", FOREIGN)
    os.chmod(hook, 0o755)
    res = cli("hooks", "install", cwd=goldset_repo.root)
    assert res.code == 2
    assert "did not write" in res.err or "not touching" in res.err
    assert hook.read_text() == FOREIGN
    assert stat.S_IMODE(hook.stat().st_mode) == 0o755


def test_install_twice_is_unchanged_and_uninstall_removes_only_goldsets(goldset_repo, cli):
    assert cli("hooks", "install", cwd=goldset_repo.root).code == 0
    again = cli("hooks", "install", cwd=goldset_repo.root)
    assert again.code == 0 and "unchanged" in again.out
    res = cli("hooks", "uninstall", cwd=goldset_repo.root)
    assert res.code == 0 and "removed" in res.out
    assert not (goldset_repo.root / ".git/hooks/pre-commit").exists()
    # a foreign hook is left alone by uninstall
    hook = goldset_repo.write(".git/hooks/pre-commit", FOREIGN)
    res = cli("hooks", "uninstall", cwd=goldset_repo.root)
    assert res.code == 0 and "left alone" in res.out
    assert hook.read_text() == FOREIGN
    # absent: nothing to do, still fine
    hook.unlink()
    assert cli("hooks", "uninstall", cwd=goldset_repo.root).code == 0


def test_install_outside_a_git_repo(tmp_path, cli):
    res = cli("hooks", "install", cwd=tmp_path)
    assert res.code == 2 and "Traceback" not in res.output


def test_hooks_exit_0_in_a_repository_without_goldset(git_repo, run_hook):
    git_repo.write("data.jsonl", "{broken\n")
    git_repo.git("add", "-A")
    for args in (("validate", "--staged"), ("check-changelog", "--staged")):
        res = run_hook(*args, cwd=git_repo.root)
        assert res.code == 0, (args, res.output)
    # and the installed shim lets such a commit through
    from goldset import githooks

    githooks.install(git_repo.root)
    assert _commit(git_repo).code == 0


def test_hook_entry_points_report_usage_errors(goldset_repo, run_hook):
    res = run_hook("validate", "--bogus", cwd=goldset_repo.root)
    assert res.code == 2 and "Traceback" not in res.output
    res = run_hook("frobnicate", cwd=goldset_repo.root)
    assert res.code == 2 and "Traceback" not in res.output
    res = run_hook("--help", cwd=goldset_repo.root)
    assert res.code == 0 and "validate" in res.out


def test_hook_validate_github_format(goldset_repo, run_hook):
    goldset_repo.write(GOLDEN, golden_lines(golden_example("g", "q", tags="x")))
    goldset_repo.git("add", "-A")
    res = run_hook("validate", "--staged", "--format", "github", cwd=goldset_repo.root)
    assert res.code == 1
    assert "::error file=evals/golden/golden.jsonl,line=1" in res.out


def test_partial_commit_is_judged_on_what_it_commits(goldset_repo, cli):
    assert cli("hooks", "install", cwd=goldset_repo.root).code == 0
    assert (
        cli("add", "--input", "partial commit example", "--why", WHY, cwd=goldset_repo.root).code
        == 0
    )
    head = goldset_repo.head()
    # `git commit -- <golden file>` leaves the CHANGELOG out of the commit: refused
    res = goldset_repo.git("commit", "-m", "partial", "--", GOLDEN, check=False)
    assert res.code != 0 and "was added" in res.output
    assert goldset_repo.head() == head
    res = goldset_repo.git("commit", "-m", "both", "--", GOLDEN, CL, check=False)
    assert res.code == 0, res.output


def test_hook_in_a_linked_worktree(goldset_repo, cli, tmp_path):
    from conftest import Repo

    assert cli("hooks", "install", cwd=goldset_repo.root).code == 0
    wt = Repo(tmp_path / "linked")
    goldset_repo.git("worktree", "add", "-q", "-b", "side", str(wt.root))
    wt.write(GOLDEN, golden_lines(golden_example("wt-1", "from the worktree")))
    wt.git("add", "-A")
    res = wt.git("commit", "-q", "-m", "unjustified", check=False)
    assert res.code != 0 and "'wt-1' was added" in res.output
    _log(wt, changelog_bullet("added", ["wt-1"], WHY))
    wt.git("add", "-A")
    res = wt.git("commit", "-q", "-m", "justified", check=False)
    assert res.code == 0, res.output


def test_install_updates_an_older_goldset_hook(goldset_repo, cli):
    from goldset.githooks import HOOK_ID

    old = goldset_repo.write(".git/hooks/pre-commit", f"#!/bin/sh\n# {HOOK_ID}\nexit 0\n")
    res = cli("hooks", "install", cwd=goldset_repo.root)
    assert res.code == 0 and "updated" in res.out
    assert "check-changelog" in old.read_text()
    assert os.access(old, os.X_OK)


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--format", "xml"),
        ("validate", "--format=xml"),
        ("validate", "--rev"),
        ("check-changelog", "--worktree"),
        ("check-changelog", "--range"),
    ],
)
def test_hook_option_errors_exit_2(goldset_repo, run_hook, args):
    res = run_hook(*args, cwd=goldset_repo.root)
    assert res.code == 2, res.output
    assert "Traceback" not in res.output


def test_hook_is_quiet_when_only_warnings(goldset_repo, run_hook):
    # One example leaves two strata empty: warnings for `goldset validate`, not for every commit.
    goldset_repo.write(GOLDEN, golden_lines(golden_example("q-1", "a lone example")))
    goldset_repo.git("add", "-A")
    res = run_hook("validate", "--staged", cwd=goldset_repo.root)
    assert res.code == 0 and res.out == ""
