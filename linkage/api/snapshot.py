"""A read model on disk, written once per detection run and memory-mapped by every worker.

Building the model reads the whole graph through the store (77 s and ~4 GB at full
scale). With N worker processes each building its own, a start or a reload would
take N times the CPU and hold N copies. Instead the first worker that needs a run's
model builds it and writes it here: the graph's arrays as `.npy` files (strings as
offsets + bytes, see strings.py) and the small rest (rings, members, history, runs)
as one pickle. Every worker then maps the arrays read-only (`np.load(mmap_mode="r")`):
one copy in the page cache, shared, and a worker (re)starting on a run that has a
snapshot is ready in a second.

A snapshot is a folder named by its key (the run, the allowlist the model was built
with, the settings that shape it, the format); it is written under a temporary name
and renamed into place, so a reader never sees half of one. Writers and readers of
the folder serialise on an advisory lock (`.lock`): the workers of one server load a
run once, one after the other. Older snapshots are deleted once a newer one is in
place; a worker still answering from one keeps its mapping (the kernel frees the
files when the last mapping goes).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import numpy as np

from linkage.api.graph_index import GraphIndex
from linkage.api.paths import PathFinder
from linkage.api.read_model import ReadModel
from linkage.api.strings import StringColumn
from linkage.settings import Settings

FORMAT = 1
DONE = "complete.json"
# settings that change what the model holds (specificity and its hub rules, walkable artifacts)
SHAPING = ("allowlist", "api_path_min_specificity", "api_path_max_accounts", "hub_accounts", "hub_fraction",
           "hub_drop_fraction", "ablate")


def default_folder(settings: Settings) -> Path | None:
    """Beside a file store (`<store>.api-snapshot/`), unless set; None: no snapshots (each loads)."""
    if settings.api_snapshot_dir:
        return Path(settings.api_snapshot_dir)
    url = settings.store
    if "://" in url or url == ":memory:":
        return None
    return Path(url + ".api-snapshot")


def snapshot_key(run_id: str | None, banned: set[tuple[str, str]], settings: Settings) -> str:
    """Names what a model was built from: the store's path, its run, the allowlist, the shaping settings."""
    shaping = {name: str(getattr(settings, name)) for name in SHAPING}
    raw = json.dumps([FORMAT, os.path.abspath(settings.store), run_id, sorted(banned), shaping],
                     sort_keys=True, default=str)
    return f"{run_id or 'none'}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Exclusive advisory lock on the snapshot folder (blocks until the holder is done)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _graph_arrays(graph: GraphIndex) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for f in fields(graph):
        value = getattr(graph, f.name)
        if isinstance(value, StringColumn):
            out.update({f"{f.name}.{part}": arr for part, arr in value.arrays().items()})
        elif isinstance(value, np.ndarray):
            out[f.name] = value
    return out


def write(model: ReadModel, folder: Path, key: str) -> Path:
    """Write `model` as snapshot `key` in `folder` (the caller holds `folder_lock`)."""
    final = folder / key
    if (final / DONE).exists():
        return final
    temp = folder / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    for name, arr in _graph_arrays(model.graph).items():
        np.save(temp / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)
    rest = {"run": model.run, "runs": model.runs, "rings": model.rings, "active": model.active,
            "memberships": model.memberships, "loaded_at": model.loaded_at,
            "hub_cutoff": model.graph.hub_cutoff}
    with open(temp / "rest.pickle", "wb") as out:
        pickle.dump(rest, out, protocol=pickle.HIGHEST_PROTOCOL)
    (temp / DONE).write_text(json.dumps({"key": key, "run_id": model.run_id, "format": FORMAT}))
    os.rename(temp, final)
    return final


def _map(path: Path) -> np.ndarray:
    # a plain ndarray over the mapping: np.memmap's own indexing costs microseconds per call
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


def read(path: Path, settings: Settings) -> ReadModel:
    """Map snapshot `path` (read-only arrays; the pickle of the small rest is read whole)."""
    with open(path / "rest.pickle", "rb") as handle:
        rest = pickle.load(handle)  # noqa: S301 — written by this server into its own folder
    names = {p.name[:-4] for p in path.glob("*.npy")}
    parts: dict[str, object] = {}
    for f in fields(GraphIndex):
        if f.name in names:
            parts[f.name] = _map(path / f"{f.name}.npy")
        elif f"{f.name}.offsets" in names:
            valid = path / f"{f.name}.valid.npy"
            parts[f.name] = StringColumn(_map(path / f"{f.name}.offsets.npy"), _map(path / f"{f.name}.data.npy"),
                                         _map(valid) if valid.exists() else None)
    graph = GraphIndex(**parts, hub_cutoff=rest["hub_cutoff"])
    finder = PathFinder(graph, settings.api_path_min_specificity, settings.api_path_max_accounts)
    return ReadModel(run=rest["run"], runs=rest["runs"], rings=rest["rings"], active=rest["active"], graph=graph,
                     finder=finder, memberships=rest["memberships"], loaded_at=rest["loaded_at"])


def find(folder: Path, key: str) -> Path | None:
    path = folder / key
    return path if (path / DONE).exists() else None


def prune(folder: Path, keep: str) -> None:
    """Delete every snapshot but `keep` (the caller holds `folder_lock`)."""
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)
