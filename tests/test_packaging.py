"""The wheel carries the schemas, templates, hook shims and demo data, and the
one resource accessor finds them there (not only in a source checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

NEEDED = [
    "goldset/_data/schemas/example.schema.json",
    "goldset/_data/schemas/project-example.schema.json",
    "goldset/_data/schemas/label.schema.json",
    "goldset/_data/schemas/result.schema.json",
    "goldset/_data/templates/report.md.j2",
    "goldset/_data/templates/prompts/judge_pairwise.j2",
    "goldset/_data/templates/workflows/goldset-comment.yml",
    "goldset/_data/hooks/pre-commit",
    "goldset/_data/data/mt_bench/question.jsonl",
    "goldset/_data/data/mt_bench/LICENSE-FastChat-Apache-2.0",
    "goldset/_data/data/llmfao/LICENSE.CC-BY",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [whl] = out.glob("goldset-*.whl")
    return whl


def test_wheel_holds_the_shipped_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in NEEDED if n not in names]
    assert not missing
    assert "goldset/cli/__init__.py" in names
    assert not any(n.startswith("tests/") for n in names)


def test_accessor_reads_from_the_unpacked_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import goldset.resources as r, json;"
        "p = r.path('schemas', 'example.schema.json');"
        "print(p);"
        "print(json.loads(p.read_text())['$id']);"
        "print(r.path('hooks', 'pre-commit').read_text().splitlines()[1])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(str(site / "goldset" / "_data" / "schemas"))
    assert lines[1] == "https://goldset.dev/schemas/example.schema.json"
    assert "goldset-hook-id" in lines[2]


def test_wheel_carries_the_native_scanner_where_it_can_be_built(
    wheel: Path, tmp_path: Path
) -> None:
    import os
    import shutil

    if os.name == "nt" or not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: the wheel is pure Python")
    if os.environ.get("GOLDSET_NO_NATIVE"):
        pytest.skip("GOLDSET_NO_NATIVE is set: the wheel is pure Python on purpose")
    names = zipfile.ZipFile(wheel).namelist()
    native = [n for n in names if n.startswith("goldset/_linescan") and n.endswith((".so", ".pyd"))]
    assert len(native) == 1, names
    assert "-none-any" not in wheel.name  # a platform wheel, since it holds compiled code
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    from goldset import golden

    digest = golden.content_hash({"input": "q"}).encode()
    line = b'{"id":"a","input":"q","provenance":{"why":"w"},"content_hash":"' + digest + b'"}'
    code = f"from goldset import _linescan; print(_linescan.clean_lines([{line!r}]))"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[True]"
