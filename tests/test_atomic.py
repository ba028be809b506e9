"""Nothing is lost: atomic replace, durable append, file modes, and many
concurrent `goldset add`s on one set."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import changelog_bullet, doc_content_hash, subprocess_env

from goldset import atomic

GOLDEN = "evals/golden/golden.jsonl"
CL = "evals/CHANGELOG.md"


def _tmp_leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_bytes_replaces_and_keeps_the_mode(tmp_path):
    target = tmp_path / "f.jsonl"
    target.write_bytes(b"old\n")
    os.chmod(target, 0o640)
    atomic.write_bytes(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    os.chmod(target, 0o755)
    atomic.write_text(target, "newer\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert _tmp_leftovers(tmp_path) == []


def test_new_file_mode_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic.write_bytes(tmp_path / "new.jsonl", b"x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o640


def test_failed_rename_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "golden.jsonl"
    target.write_bytes(b"precious\n")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic.write_bytes(target, b"replacement\n" * 1000)
    assert target.read_bytes() == b"precious\n"
    assert _tmp_leftovers(tmp_path) == []


def test_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "golden.jsonl"
    target.write_bytes(b"precious\n")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_bytes(target, b"x" * 10_000)
    monkeypatch.undo()
    assert target.read_bytes() == b"precious\n"
    assert _tmp_leftovers(tmp_path) == []


def test_sigkill_while_writing_leaves_the_previous_file_intact(goldset_repo, cli):
    # A real golden file, then a writer killed while it writes a large payload.
    assert (
        cli(
            "add",
            "--input",
            "an example that must survive",
            "--why",
            "seed example for the crash test of atomic writes",
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    target = goldset_repo.root / GOLDEN
    before = target.read_bytes()
    script = textwrap.dedent(
        f"""
        import sys
        from goldset import atomic
        payload = b'{{"id":"junk"}}\\n' * (40 * 1024 * 1024 // 14)
        sys.stdout.write("go\\n"); sys.stdout.flush()
        while True:
            atomic.write_bytes({str(target)!r}, payload)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=subprocess_env()
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"go\n"
    # wait until a temp file is being written, then kill mid-write
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _tmp_leftovers(target.parent):
        time.sleep(0.001)
    assert _tmp_leftovers(target.parent), "the writer never started a temp file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    data = target.read_bytes()
    # either the old bytes or one complete new payload, never a torn file
    assert data == before or data == b'{"id":"junk"}\n' * (40 * 1024 * 1024 // 14)
    if data == before:
        # the leftover temp file is not mistaken for part of the set
        res = cli("validate", cwd=goldset_repo.root)
        assert res.code == 0, res.output
        assert "1 examples in 1 files" in res.out


def test_append_bytes_adds_a_missing_newline(tmp_path):
    p = tmp_path / "log.jsonl"
    p.write_bytes(b'{"a":1}')
    atomic.append_bytes(p, b'{"b":2}\n')
    assert p.read_bytes() == b'{"a":1}\n{"b":2}\n'
    atomic.append_bytes(tmp_path / "fresh.jsonl", b"x\n")
    assert (tmp_path / "fresh.jsonl").read_bytes() == b"x\n"


def test_edit_keeps_the_golden_file_mode(goldset_repo, cli):
    assert (
        cli(
            "add",
            "--input",
            "mode test example",
            "--id",
            "m",
            "--why",
            "seed example for the file mode check",
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    os.chmod(goldset_repo.root / GOLDEN, 0o600)
    os.chmod(goldset_repo.root / CL, 0o644)
    assert (
        cli(
            "edit",
            "m",
            "--set",
            "reference=r",
            "--why",
            "reference added from the docs page",
            cwd=goldset_repo.root,
        ).code
        == 0
    )
    assert stat.S_IMODE((goldset_repo.root / GOLDEN).stat().st_mode) == 0o600
    assert stat.S_IMODE((goldset_repo.root / CL).stat().st_mode) == 0o644


def _holder(lock_expr: str, seconds: float, setup: str = "") -> subprocess.Popen:
    """A subprocess that takes a lock, says "held", sleeps, and prints when it let go."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from goldset import atomic, config, editing
        {setup}
        with atomic.lock({lock_expr}):
            sys.stdout.write("held\\n"); sys.stdout.flush()
            time.sleep({seconds})
        sys.stdout.write(f"released {{time.time()!r}}\\n"); sys.stdout.flush()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=subprocess_env()
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    return holder


def _released_at(holder: subprocess.Popen) -> float:
    out, _ = holder.communicate(timeout=30)
    return float(out.decode().split()[-1])


def test_lock_serialises_writers(tmp_path):
    lock = tmp_path / "w.lock"
    holder = _holder(repr(str(lock)), 0.5)
    with atomic.lock(lock, timeout=10):
        acquired = time.time()
    assert acquired >= _released_at(holder)  # it waited for the holder
    # a killed holder does not leave the lock stuck (the timeout would raise)
    holder = _holder(repr(str(lock)), 30)
    holder.kill()
    holder.wait(timeout=10)
    with atomic.lock(lock, timeout=5):
        pass


def test_many_concurrent_adds_lose_nothing(goldset_repo, run_goldset, cli):
    n = 10
    why = "concurrency test example number {i} from the load test"

    def add(i: int):
        return run_goldset(
            "add",
            "--input",
            f"concurrent example {i}: {'lorem ' * i}zeta{i}",
            "--id",
            f"c{i:02d}",
            "--stratum",
            ["real_traffic", "failure_mode", "edge_case"][i % 3],
            "--why",
            why.format(i=i),
            cwd=goldset_repo.root,
        )

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(add, range(n)))
    for r in results:
        assert r.code == 0, r.output
    rows = [json.loads(x) for x in goldset_repo.read(GOLDEN).splitlines()]
    assert sorted(r["id"] for r in rows) == [f"c{i:02d}" for i in range(n)]
    for r in rows:
        assert r["content_hash"] == doc_content_hash(r)
    log = goldset_repo.read(CL)
    for i in range(n):
        assert changelog_bullet("added", [f"c{i:02d}"], why.format(i=i)) in log
    res = cli("validate", cwd=goldset_repo.root)
    assert res.code == 0 and "0 errors, 0 warnings" in res.out, res.output
    goldset_repo.git("add", "-A")
    assert cli("check-changelog", "--staged", cwd=goldset_repo.root).code == 0


def _hold_project_lock(root, seconds: float) -> subprocess.Popen:
    setup = f"cfg = config.load(Path({str(root)!r}))"
    return _holder("editing.lock_path(cfg)", seconds, setup)


def test_add_waits_for_the_writer_lock(goldset_repo, run_goldset):
    holder = _hold_project_lock(goldset_repo.root, 1.0)
    res = run_goldset(
        "add",
        "--input",
        "waits for the lock",
        "--why",
        "serialised behind another writer",
        cwd=goldset_repo.root,
    )
    assert res.code == 0, res.output
    # it wrote after the holder let go, not alongside it
    assert (goldset_repo.root / GOLDEN).stat().st_mtime >= _released_at(holder) - 0.02


def test_fmt_waits_for_the_writer_lock(goldset_repo, run_goldset):
    goldset_repo.write(GOLDEN, '{"input": "messy", "id": "m1"}\n')
    holder = _hold_project_lock(goldset_repo.root, 1.0)
    res = run_goldset("fmt", cwd=goldset_repo.root)
    assert res.code == 0, res.output
    assert (goldset_repo.root / GOLDEN).stat().st_mtime >= _released_at(holder) - 0.02
