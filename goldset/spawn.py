"""Child processes without the subprocess module.

Every commit runs goldset's two hooks, and ``import subprocess`` costs each of
them about 6 ms (signal, threading, selectors, ...) of a budget near 50 ms.
git is all the hook path runs, and ``os.posix_spawnp`` with pipes covers what
gitio needs: run to completion with captured output, or keep a child with its
stdin and stdout as pipes. Where posix_spawn is missing (Windows), subprocess
does the work. There is no ``cwd``: git callers pass ``-C``.
"""

from __future__ import annotations

import os

# typing costs the hook path ~2 ms to import: annotations are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

_SPAWN = hasattr(os, "posix_spawnp") and hasattr(os, "waitstatus_to_exitcode")
_CHUNK = 1 << 16
if _SPAWN:
    import _signal  # builtin, unlike signal (whose enums cost milliseconds)

    # Python ignores SIGPIPE; like subprocess, give the child the default back, so a git
    # whose reader went away stops quietly instead of reporting a write error.
    _SIGDEF = tuple(
        getattr(_signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(_signal, name)
    )


class Completed:
    """What a finished child left: its exit code, stdout and stderr."""

    __slots__ = ("returncode", "stderr", "stdout")

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            os.close(fd)


def run(argv: list[str], env: dict[str, str], input: bytes | None = None) -> Completed:
    """Run ``argv`` to the end, feeding ``input`` (else /dev/null) to its stdin.

    Raises FileNotFoundError when the program is not on PATH, as subprocess does.
    """
    if not _SPAWN:  # pragma: no cover - Windows
        import subprocess

        p = subprocess.run(argv, input=input, capture_output=True, env=env)
        return Completed(p.returncode, p.stdout, p.stderr)
    import select

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if input else (-1, -1)
    stdin = (
        (os.POSIX_SPAWN_DUP2, in_r, 0)
        if input
        else (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)
    )
    actions = [stdin, (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
    try:
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions, setsigdef=_SIGDEF)
    except BaseException:
        _close(out_r, err_r, in_w)
        raise
    finally:
        _close(out_w, err_w, in_r)  # the child's ends (pipes are close-on-exec here)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    poller = select.poll()
    for fd in chunks:
        poller.register(fd, select.POLLIN)
    pending = memoryview(input) if input else memoryview(b"")
    live = len(chunks)
    if in_w >= 0:
        # Write and read together: a child that fills its stdout pipe before it has read
        # all of stdin would otherwise wait on us while we wait on it.
        os.set_blocking(in_w, False)
        poller.register(in_w, select.POLLOUT)
        live += 1
    try:
        while live:
            for fd, event in poller.poll():
                if fd == in_w:
                    try:
                        if not event & (select.POLLERR | select.POLLHUP):
                            pending = pending[os.write(in_w, pending[:_CHUNK]) :]
                    except BrokenPipeError:  # the child stopped reading: fine
                        pending = memoryview(b"")
                    except BlockingIOError:
                        continue
                    if not pending or event & (select.POLLERR | select.POLLHUP):
                        poller.unregister(in_w)
                        _close(in_w)
                        in_w = -1
                        live -= 1
                    continue
                data = os.read(fd, _CHUNK)
                if data:
                    chunks[fd].append(data)
                else:
                    poller.unregister(fd)
                    live -= 1
    finally:
        _close(out_r, err_r, in_w)
        _, status = os.waitpid(pid, 0)
    return Completed(
        os.waitstatus_to_exitcode(status), b"".join(chunks[out_r]), b"".join(chunks[err_r])
    )


class Pipe:
    """A child whose stdin and stdout are pipes (stderr goes where ours goes)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self._popen: Any = None
        if not _SPAWN:  # pragma: no cover - Windows
            import subprocess

            self._popen = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
            )
            self.stdin: IO[bytes] = self._popen.stdin
            self.stdout: IO[bytes] = self._popen.stdout
            return
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self._pid = os.posix_spawnp(
                argv[0],
                argv,
                env,
                file_actions=[(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1)],
                setsigdef=_SIGDEF,
            )
        except BaseException:
            _close(in_w, out_r)
            raise
        finally:
            _close(in_r, out_w)
        self.stdin = os.fdopen(in_w, "wb")
        self.stdout = os.fdopen(out_r, "rb")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code if the child has ended, else None."""
        if self._popen is not None:  # pragma: no cover - Windows
            return self._popen.poll()
        if self.returncode is None:
            pid, status = os.waitpid(self._pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        """Close our end of stdin, then wait for the child to end."""
        if not self.stdin.closed:
            try:  # noqa: SIM105 - contextlib would cost the hook path its import
                self.stdin.close()
            except BrokenPipeError:
                pass
        if self._popen is not None:  # pragma: no cover - Windows
            return self._popen.wait()
        if self.returncode is None:
            _, status = os.waitpid(self._pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode
