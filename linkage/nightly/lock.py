"""The nightly job's lock: two runs never overlap, and a dead holder never blocks the next night.

An advisory `flock` on a small file, plus the holder's pid, host, start time and run id
written into it so that a second run can say who holds it. The kernel drops a flock
when its process dies (even on SIGKILL), so a lock left by a dead pid is simply taken
over; the file's stale content then names the previous holder, which is logged.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    host: str | None
    started_at: str | None
    run_id: str | None = None

    def describe(self) -> str:
        if self.pid is None:
            return "a run that is starting (holder details not written yet)"
        return f"pid {self.pid} on {self.host}, started {self.started_at}"


class LockHeld(RuntimeError):
    """Another nightly run holds the lock (exit code 5)."""

    def __init__(self, path: Path, holder: LockHolder):
        self.path, self.holder = path, holder
        super().__init__(f"another nightly run holds {path}: {holder.describe()}")


def _read_holder(text: str) -> LockHolder:
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        data = {}
    return LockHolder(pid=data.get("pid"), host=data.get("host"), started_at=data.get("started_at"),
                      run_id=data.get("run_id"))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class NightlyLock:
    """`with NightlyLock(path) as lock:` — raises LockHeld at once if another run holds it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None
        self.previous: LockHolder | None = None  # a stale holder taken over, if any

    def acquire(self) -> "NightlyLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            os.close(fd)
            raise LockHeld(self.path, holder) from None
        stale = _read_holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        self.previous = stale if stale.pid is not None else None
        self._fd = fd
        self._write(LockHolder(pid=os.getpid(), host=socket.gethostname(),
                               started_at=datetime.now(timezone.utc).isoformat(timespec="seconds")))
        return self

    def set_run(self, run_id: str) -> None:
        """Name the run in the lock file once it is known."""
        holder = _read_holder(os.pread(self._fd, 4096, 0).decode()) if self._fd is not None else None
        if holder is not None:
            self._write(LockHolder(holder.pid, holder.host, holder.started_at, run_id))

    def _write(self, holder: LockHolder) -> None:
        assert self._fd is not None
        body = json.dumps({"pid": holder.pid, "host": holder.host, "started_at": holder.started_at,
                           "run_id": holder.run_id}).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, body, 0)
        os.fsync(self._fd)

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)  # cleared while still held: nobody reads a half-released lock
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "NightlyLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
