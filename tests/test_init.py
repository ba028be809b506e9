"""`goldset init`: scaffolds a project in a real git repository, idempotently,
never overwriting a file; `python -m goldset` and the console script work."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import VENV_BIN, subprocess_env

SCAFFOLD = [
    "goldset.yaml",
    "evals/golden",
    "evals/schemas/example.schema.json",
    "evals/CHANGELOG.md",
    ".pre-commit-config.yaml",
    ".gitattributes",
]


def _snapshot(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith(".git/") and rel != ".git/config":
            continue
        if p.is_file():
            out[rel] = p.read_bytes()
    return out


def test_init_scaffolds_every_file_and_the_merge_driver(git_repo, cli):
    res = cli("init", cwd=git_repo.root)
    assert res.code == 0, res.output
    for rel in SCAFFOLD:
        assert (git_repo.root / rel).exists(), rel
    assert (git_repo.root / "evals/golden").is_dir()

    # The project schema extends goldset's base schema by $ref.
    schema = json.loads(git_repo.read("evals/schemas/example.schema.json"))
    refs = json.dumps(schema)
    assert "https://goldset.dev/schemas/example.schema.json" in refs

    # The config is the documented one.
    cfg_text = git_repo.read("goldset.yaml")
    assert "version: 1" in cfg_text
    assert "golden: evals/golden" in cfg_text

    # .gitattributes routes golden JSONL through the driver and unions the CHANGELOG.
    attrs = git_repo.read(".gitattributes")
    check = git_repo.git("check-attr", "merge", "evals/golden/golden.jsonl", "evals/CHANGELOG.md")
    assert "evals/golden/golden.jsonl: merge: goldset-jsonl" in check.out, attrs
    assert "evals/CHANGELOG.md: merge: union" in check.out
    driver = git_repo.git("config", "merge.goldset-jsonl.driver").out.strip()
    assert driver.startswith("goldset merge-driver")
    assert "%O" in driver and "%A" in driver and "%B" in driver

    # The pre-commit config names goldset's two hooks.
    pc = git_repo.read(".pre-commit-config.yaml")
    assert "goldset-validate" in pc and "goldset-changelog" in pc

    # The CHANGELOG starts with its header.
    assert git_repo.read("evals/CHANGELOG.md").startswith("# Golden set changelog")


def test_init_then_validate_is_clean_and_commit_works(git_repo, cli):
    assert cli("init", cwd=git_repo.root).code == 0
    res = cli("validate", cwd=git_repo.root)
    assert res.code == 0, res.output
    git_repo.commit("start")
    assert git_repo.git("ls-files", "goldset.yaml").out.strip() == "goldset.yaml"


def test_init_is_idempotent_second_run_changes_no_bytes(git_repo, cli):
    assert cli("init", cwd=git_repo.root).code == 0
    before = _snapshot(git_repo.root)
    res = cli("init", "--format", "json", cwd=git_repo.root)
    assert res.code == 0, res.output
    data = json.loads(res.out)
    assert data["created"] == []
    assert data["updated"] == []
    assert _snapshot(git_repo.root) == before


def test_init_never_overwrites_existing_files(git_repo, cli):
    own_pc = "repos:\n  - repo: https://example.invalid/hooks\n    rev: v1\n    hooks: [{id: x}]\n"
    own_cfg = (
        "version: 1\npaths:\n  golden: data/gold  # mine\nslices: [category]\n"
        "stratification:\n  severity: error\n"
    )
    own_attrs = "*.png binary\n"
    git_repo.write(".pre-commit-config.yaml", own_pc)
    git_repo.write("goldset.yaml", own_cfg)
    git_repo.write(".gitattributes", own_attrs)
    res = cli("init", "--format", "json", cwd=git_repo.root)
    assert res.code == 0, res.output
    assert git_repo.read_bytes(".pre-commit-config.yaml") == own_pc.encode()
    assert git_repo.read_bytes("goldset.yaml") == own_cfg.encode()
    # The existing config's paths are honoured: the set goes where it says.
    assert (git_repo.root / "data/gold").is_dir()
    # .gitattributes keeps the user's line and gains goldset's.
    attrs = git_repo.read(".gitattributes")
    assert attrs.startswith(own_attrs)
    assert "data/gold" in attrs and "merge=goldset-jsonl" in attrs
    data = json.loads(res.out)
    assert ".pre-commit-config.yaml" in data["skipped"]
    assert "goldset.yaml" in data["skipped"]
    # A user whose pre-commit config lacks goldset is told how to add it.
    assert any("pre-commit" in n for n in data["notes"])


def test_init_keeps_an_existing_golden_file_and_changelog(git_repo, cli):
    git_repo.write("evals/golden/golden.jsonl", '{"id":"mine"}\n')
    git_repo.write("evals/CHANGELOG.md", "# my log\n")
    assert cli("init", cwd=git_repo.root).code == 0
    assert git_repo.read("evals/golden/golden.jsonl") == '{"id":"mine"}\n'
    assert git_repo.read("evals/CHANGELOG.md") == "# my log\n"


def test_python_dash_m_goldset_help(run_goldset, tmp_path):
    res = run_goldset("--help", cwd=tmp_path)
    assert res.code == 0, res.output
    assert "Usage:" in res.out
    for name in ("init", "add", "validate", "check-changelog"):
        assert name in res.out


def test_console_script_works_and_init_runs_from_it(git_repo):
    exe = shutil.which("goldset", path=VENV_BIN)
    assert exe is not None, "the goldset console script is not installed in the venv"
    env = subprocess_env()
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and "goldset" in version.stdout
    proc = subprocess.run([exe, "init"], cwd=git_repo.root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (git_repo.root / "goldset.yaml").is_file()
    hook = shutil.which("goldset-hook", path=VENV_BIN)
    assert hook is not None, "the goldset-hook console script is not installed"


def test_init_outside_a_git_repo_still_scaffolds_and_says_so(tmp_path, cli):
    folder = tmp_path / "plain"
    folder.mkdir()
    res = cli("init", "--format", "json", cwd=folder)
    assert res.code == 0, res.output
    assert (folder / "goldset.yaml").is_file()
    assert any("git" in n for n in json.loads(res.out)["notes"])


def test_init_in_a_subfolder_of_a_repository_configures_the_merge_driver(git_repo, cli):
    project = git_repo.root / "services" / "bot"
    project.mkdir(parents=True)
    res = cli("init", "--format", "json", cwd=project)
    assert res.code == 0
    assert not any("not a git repository" in n for n in json.loads(res.out)["notes"])
    driver = git_repo.git("config", "merge.goldset-jsonl.driver", check=False).out
    assert driver.startswith("goldset merge-driver")
