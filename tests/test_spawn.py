"""goldset.spawn runs git on the hook path without the subprocess module: it
must capture output, feed input and report exit codes as subprocess does, and
never deadlock on big inputs and outputs."""

from __future__ import annotations

import os
import sys

import pytest

from goldset import spawn

ENV = dict(os.environ)


def test_output_error_and_exit_code_come_back() -> None:
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    res = spawn.run([sys.executable, "-c", code], ENV)
    assert (res.returncode, res.stdout, res.stderr) == (3, b"out\n", b"err\n")


def test_big_input_and_outputs_both_ways_do_not_deadlock() -> None:
    # 4 MB in, 8 MB out and 4 MB on stderr: far beyond a pipe's 64 KB buffer.
    code = (
        "import sys; d = sys.stdin.buffer.read(); "
        "sys.stdout.buffer.write(d + d); sys.stderr.buffer.write(d[::-1])"
    )
    data = os.urandom(4 << 20)
    res = spawn.run([sys.executable, "-c", code], ENV, data)
    assert res.returncode == 0
    assert res.stdout == data + data
    assert res.stderr == data[::-1]


def test_a_child_that_ignores_its_input_is_fine() -> None:
    res = spawn.run([sys.executable, "-c", "print('done')"], ENV, b"x" * (8 << 20))
    assert (res.returncode, res.stdout) == (0, b"done\n")


def test_without_input_stdin_is_empty() -> None:
    res = spawn.run([sys.executable, "-c", "import sys; print(len(sys.stdin.read()))"], ENV)
    assert res.stdout == b"0\n"


def test_a_missing_program_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        spawn.run(["goldset-no-such-program-here"], ENV)
    with pytest.raises(FileNotFoundError):
        spawn.Pipe(["goldset-no-such-program-here"], ENV)


def test_pipe_answers_request_by_request_and_reports_its_exit() -> None:
    echo = "import sys\nfor line in sys.stdin:\n    print(line.strip().upper(), flush=True)\n"
    p = spawn.Pipe([sys.executable, "-c", echo], ENV)
    for word in (b"alpha", b"beta"):
        p.stdin.write(word + b"\n")
        p.stdin.flush()
        assert p.stdout.readline() == word.upper() + b"\n"
    assert p.poll() is None
    assert p.wait() == 0
    assert p.poll() == 0


def test_no_descriptors_leak() -> None:
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(50):
        spawn.run([sys.executable, "-c", "pass"], ENV, b"in")
        spawn.Pipe([sys.executable, "-c", "pass"], ENV).wait()
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
def test_the_child_gets_the_default_sigpipe_back() -> None:
    # Python ignores SIGPIPE; a git whose reader went away must die of it quietly, as
    # under subprocess, not print write errors. (cat, not python: python ignores it again.)
    def ignored(status: bytes) -> int:
        line = next(x for x in status.splitlines() if x.startswith(b"SigIgn:"))
        return int(line.split()[1], 16)

    sigpipe = 1 << (13 - 1)
    assert not ignored(spawn.run(["cat", "/proc/self/status"], ENV).stdout) & sigpipe
    p = spawn.Pipe(["cat", "/proc/self/status"], ENV)
    assert not ignored(p.stdout.read()) & sigpipe
    assert p.wait() == 0
