"""Every command has help, and the hook path stays light (no numpy, scipy,
litellm or jinja2; the hook module also promises no click)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest
from conftest import changelog_bullet, golden_example, golden_lines, subprocess_env

from goldset.cli import COMMANDS

HEAVY = ("numpy", "scipy", "litellm", "jinja2")


def _module_exists(target: str) -> bool:
    module = target.split(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name, cli, tmp_path):
    target = COMMANDS[name]
    if not _module_exists(target):
        pytest.skip(f"{target.split(':')[0]} does not exist yet (another engineer is writing it)")
    res = cli(name, "--help", cwd=tmp_path)
    assert res.code == 0, res.output
    assert "Usage:" in res.out and name in res.out
    # a one-line description, not an empty docstring
    body = res.out.split("Usage:", 1)[1].splitlines()
    assert any(line.strip() and not line.strip().startswith("-") for line in body[1:]), res.out
    assert "Traceback" not in res.output


def test_top_level_help_lists_the_core_commands(cli, tmp_path):
    res = cli("--help", cwd=tmp_path)
    assert res.code == 0
    for name in (
        "init",
        "add",
        "remove",
        "edit",
        "validate",
        "fmt",
        "check-changelog",
        "hooks",
        "merge-driver",
    ):
        assert name in res.out


def test_hooks_subcommands_have_help(cli, tmp_path):
    for sub in ("install", "uninstall"):
        res = cli("hooks", sub, "--help", cwd=tmp_path)
        assert res.code == 0 and "Usage:" in res.out


def _loaded_after(script: str, cwd) -> dict:
    probe = textwrap.dedent(
        f"""
        import json, sys
        {textwrap.indent(textwrap.dedent(script), "        ").strip()}
        roots = sorted({{m.split(".")[0] for m in sys.modules}})
        sys.stderr.write("\\nMODULES " + json.dumps(roots) + "\\n")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )
    line = [x for x in proc.stderr.splitlines() if x.startswith("MODULES ")]
    assert line, proc.stdout + proc.stderr
    return {"modules": set(json.loads(line[-1][8:])), "out": proc.stdout, "err": proc.stderr}


def test_importing_the_cli_and_the_hook_is_light(tmp_path):
    res = _loaded_after("import goldset.cli\nimport goldset.hook\n", tmp_path)
    assert not res["modules"] & set(HEAVY), res["modules"] & set(HEAVY)


def test_goldset_help_is_light(tmp_path):
    res = _loaded_after(
        "from goldset.cli import run\ntry:\n    run(['--help'])\nexcept SystemExit:\n    pass\n",
        tmp_path,
    )
    assert not res["modules"] & set(HEAVY)


@pytest.fixture
def staged_repo(goldset_repo):
    exs = [
        golden_example(f"l{i}", f"light question {i}", stratum=s)
        for i, s in enumerate(("real_traffic", "failure_mode", "edge_case"))
    ]
    goldset_repo.write("evals/golden/golden.jsonl", golden_lines(*exs))
    cl = goldset_repo.read("evals/CHANGELOG.md")
    goldset_repo.write(
        "evals/CHANGELOG.md",
        cl
        + "\n## 2026-11-29 · Ada\n"
        + changelog_bullet("added", ["l0", "l1", "l2"], "seed examples from the support queue"),
    )
    goldset_repo.git("add", "-A")
    return goldset_repo


@pytest.mark.parametrize("runs", [1, 2], ids=["cold-cache", "warm-cache"])
def test_hook_validate_and_changelog_staged_load_nothing_heavy(staged_repo, runs):
    script = (
        "from goldset import hook\n"
        + "".join(
            "codes = [hook.run(['validate', '--staged']), hook.run(['check-changelog', '--staged'])]\n"
            for _ in range(runs)
        )
        + "sys.stderr.write(f'CODES {codes}')\n"
    )
    res = _loaded_after(script, staged_repo.root)
    assert "CODES [0, 0]" in res["err"], res["out"] + res["err"]
    assert not res["modules"] & set(HEAVY), res["modules"] & set(HEAVY)
    assert "click" not in res["modules"]  # goldset/hook.py: "no click"
    # git runs through goldset.spawn: subprocess (with signal, selectors and threading)
    # would cost each hook about 6 ms to import. (A cold cache loads jsonschema once,
    # and threading with it.)
    assert not res["modules"] & {"subprocess", "selectors"}


def test_hook_refusal_path_loads_nothing_heavy(staged_repo):
    staged_repo.write(
        "evals/golden/golden.jsonl",
        staged_repo.read("evals/golden/golden.jsonl") + '{"id":"bad","input":1,"tags":"x"}\n',
    )
    staged_repo.git("add", "-A")
    script = (
        "from goldset import hook\n"
        "codes = [hook.run(['validate', '--staged']), hook.run(['check-changelog', '--staged'])]\n"
        "sys.stderr.write(f'CODES {codes}')\n"
    )
    res = _loaded_after(script, staged_repo.root)
    assert "CODES [1, 1]" in res["err"], res["out"] + res["err"]
    assert not res["modules"] & set(HEAVY)


def test_goldset_hook_console_script_runs(staged_repo):
    import shutil
    from pathlib import Path

    exe = shutil.which("goldset-hook", path=str(Path(sys.executable).parent))
    assert exe is not None
    proc = subprocess.run(
        [exe, "validate", "--staged"],
        cwd=staged_repo.root,
        capture_output=True,
        text=True,
        env=subprocess_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_help_does_not_break_a_later_in_process_run(tmp_path):
    script = textwrap.dedent(
        """
        import contextlib, io, sys
        import goldset.cli
        with contextlib.redirect_stdout(io.StringIO()):
            first = goldset.cli.run(["--help"])
        with contextlib.redirect_stdout(io.StringIO()):
            second = goldset.cli.run(["--version"])
        sys.stdout.write(f"CODES {first} {second}")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert proc.stdout == "CODES 0 0", proc.stdout + proc.stderr
