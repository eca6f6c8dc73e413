"""Keeping the server's read model current while other processes write the store.

The embedded store admits one read-write process or many read-only ones, and the
nightly job holds it read-write for minutes. So the server never keeps the graph
open: every `reload_seconds` it looks whether the store changed (for a DuckDB file,
its and its WAL's size and mtime — a `stat`, no open), and only then opens it
read-only for as long as a load takes, loads the model when a newer completed
detection run is there, and closes it. While a writer holds the store the open
fails; the server keeps answering from the model it has and tries again later.
A run is visible only once its transaction committed, so a model never holds a
half-written run.

With several worker processes (`linkage serve --workers N`) each worker has its own
holder; the first that needs a run's model builds it and writes a snapshot, and every
worker maps that (snapshot.py): one load per run, one shared copy in memory. Each
worker swaps its model in one assignment, so every request sees one run throughout.

Decisions are read through a store opened lazily (the embedded engine keeps them in
a small file of their own, see `store/embedded_decisions.py`) and cached for a
couple of seconds, refreshed in the background; this process's own mutations
invalidate the cache at once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from linkage.api import snapshot
from linkage.api.read_model import ReadModel, banned_artifacts, load_read_model
from linkage.settings import Settings
from linkage.store.base import GraphStore, StoreBusy
from linkage.store.models import AllowlistEntry, RingDecision

log = logging.getLogger("linkage.api.serving")


@dataclass(frozen=True)
class Decisions:
    """One snapshot of every decision: per ring (oldest first) and the allowlist."""

    by_ring: dict[str, list[RingDecision]]
    allowlist: dict[tuple[str, str], AllowlistEntry]
    version: int
    read_at: float = field(default_factory=time.monotonic)

    def status(self, ring_id: str) -> str:
        found = self.by_ring.get(ring_id)
        return found[-1].status if found else "NEW"


class DecisionCache:
    """Decisions read through the store, kept for `ttl` seconds.

    A stale copy is still served while one background read refreshes it, so no request
    waits for the store (stale-while-revalidate); this process's own writes invalidate
    the copy, and the next request reads it afresh (an analyst sees their own decision).
    """

    def __init__(self, store: GraphStore, ttl: float):
        self.store, self.ttl = store, ttl
        self._lock = threading.Lock()
        self._snapshot: Decisions | None = None
        self._version = 0
        self._refreshing = False
        self.reads = 0  # store reads so far

    def invalidate(self) -> None:
        with self._lock:
            self._snapshot = None

    def _read(self) -> Decisions:
        by_ring: dict[str, list[RingDecision]] = {}
        for d in self.store.ring_decisions():
            by_ring.setdefault(d.ring_id, []).append(d)
        allow = {(e.kind, e.key): e for e in self.store.allowlisted_artifacts()}
        with self._lock:
            self.reads += 1
            self._version += 1
            return Decisions(by_ring, allow, self._version)

    def _refresh_in_background(self) -> None:
        try:
            fresh = self._read()
            with self._lock:
                if self._snapshot is not None:  # an invalidation meanwhile wins: next request reads
                    self._snapshot = fresh
        except Exception:  # keep the stale copy; the next request past the ttl tries again
            log.warning("decisions not refreshed", exc_info=True, extra={"event": "decisions_refresh_failed"})
        finally:
            with self._lock:
                self._refreshing = False

    def snapshot(self) -> Decisions:
        with self._lock:
            snap = self._snapshot
            if snap is not None:
                if time.monotonic() - snap.read_at >= self.ttl and not self._refreshing:
                    self._refreshing = True
                    threading.Thread(target=self._refresh_in_background, daemon=True).start()
                return snap
        fresh = self._read()
        with self._lock:
            self._snapshot = fresh
        return fresh


def _file_signature(url: str) -> tuple[object, ...] | None:
    """Size and mtime of a DuckDB file and its WAL; None when the store is no file."""
    if "://" in url or url == ":memory:":
        return None
    sig: list[object] = []
    for path in (url, url + ".wal"):
        try:
            st = os.stat(path)
            sig += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            sig += [None, None]
    return tuple(sig)


def is_lock_error(exc: BaseException) -> bool:
    """A writer holds the store (the embedded engine's StoreBusy, or DuckDB's own lock error)."""
    if isinstance(exc, StoreBusy):
        return True
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text or "lock on file" in text)


class ModelHolder:
    """The current ReadModel, reloaded in the background when the store has a newer run."""

    def __init__(self, settings: Settings, open_reader: Callable[[], GraphStore], decisions: DecisionCache):
        self.settings = settings
        self.open_reader = open_reader
        self.decisions = decisions
        self.model: ReadModel | None = None
        self.last_error: str | None = None
        self.last_check: datetime | None = None
        self._signature: tuple[object, ...] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._blocked: tuple[int, int, np.ndarray] | None = None
        self.snapshots = snapshot.default_folder(settings) if settings.api_snapshots else None
        self.last_source: str | None = None  # how the current model came: built, or mapped from a snapshot

    def refresh(self) -> bool:
        """Load a newer run if there is one and the store can be opened now; True if loaded."""
        self.last_check = datetime.now(timezone.utc)
        signature = _file_signature(self.settings.store)
        if self.model is not None and signature is not None and signature == self._signature:
            return False
        try:
            with self.open_reader() as store:
                runs = store.detection_runs()
                latest = runs[-1].run_id if runs else None
                if self.model is not None and latest == self.model.run_id:
                    self._signature = signature
                    return False
                started = time.perf_counter()
                model, source = self._load(store, latest)
        except Exception as exc:  # a writer holds the store, or it is not there yet: keep serving
            self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            level = logging.INFO if is_lock_error(exc) else logging.WARNING
            log.log(level, "store not loaded, serving run %s", self.model.run_id if self.model else None,
                    extra={"event": "reload_skipped", "reason": self.last_error})
            return False
        self.model, self._signature, self.last_error, self.last_source = model, signature, None, source
        log.info("loaded run %s", model.run_id, extra={
            "event": "model_loaded", "run_id": model.run_id, "rings": len(model.active), "source": source,
            "accounts": model.graph.n_accounts, "seconds": round(time.perf_counter() - started, 3)})
        return True

    def _load(self, store: GraphStore, run_id: str | None) -> tuple[ReadModel, str]:
        """The model of `run_id`: mapped from its snapshot, else built (and written as one)."""
        banned = banned_artifacts(store, self.settings)
        if self.snapshots is None:
            return load_read_model(store, self.settings, banned), "built"
        key = snapshot.snapshot_key(run_id, banned, self.settings)
        with snapshot.folder_lock(self.snapshots):  # the other workers wait here, then map what this wrote
            path = snapshot.find(self.snapshots, key)
            if path is not None:
                return snapshot.read(path, self.settings), "snapshot"
            built = load_read_model(store, self.settings, banned)
            try:
                path = snapshot.write(built, self.snapshots, key)
                snapshot.prune(self.snapshots, key)
            except OSError as exc:  # a read-only folder, a full disk: serve what was built, unshared
                log.warning("snapshot not written: %s", exc, extra={"event": "snapshot_failed",
                                                                    "folder": str(self.snapshots)})
                return built, "built"
        del built  # answer from the mapped copy, the one the other workers share
        return snapshot.read(path, self.settings), "built"

    def blocked(self, model: ReadModel, decisions: Decisions) -> np.ndarray:
        """Artifacts allowlisted right now (maybe after the model was loaded): never walked."""
        cached = self._blocked
        if cached is not None and cached[0] == id(model) and cached[1] == decisions.version:
            return cached[2]
        mask = np.zeros(len(model.graph.spec), bool)
        for kind, key in decisions.allowlist:
            code = model.graph.artifact_code(kind, key)
            if code is not None:
                mask[code] = True
        self._blocked = (id(model), decisions.version, mask)
        return mask

    def start(self) -> None:
        """Load in a daemon thread (/healthz answers 503 "loading" meanwhile), then keep looking."""
        self._thread = threading.Thread(target=self._loop, name="linkage-model-reload", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        if self.model is None:
            try:
                self.refresh()
            except Exception:
                log.exception("load failed", extra={"event": "reload_failed"})
        while not self._stop.wait(self.settings.api_reload_seconds):
            try:
                self.refresh()
            except Exception:  # never let the reloader die: the next tick tries again
                log.exception("reload failed", extra={"event": "reload_failed"})

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
