"""What the server answers from: one detection run's results and the graph, held in memory.

A `ReadModel` is built in one pass through a store opened read-only, then never
changed: a request takes the current model once and answers from it alone, so it
sees one run throughout, whatever reloads happen meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.api.graph_index import GraphIndex, load_graph_index, to_datetime
from linkage.api.paths import PathFinder, gather
from linkage.detect.inputs import read_allowlist
from linkage.settings import Settings
from linkage.store.base import GraphStore
from linkage.store.models import DetectionRun, Ring

EPOCH = datetime.fromtimestamp(0, tz=timezone.utc)


@dataclass(frozen=True)
class HistoryEntry:
    run_id: str
    change: str
    at: datetime
    detail: dict[str, object]


@dataclass
class RingEntry:
    """A ring with its members as account codes (sorted, as the ids are) and derived facts."""

    ring: Ring
    members: np.ndarray
    member_score: np.ndarray
    member_since: list[datetime]
    first_seen: datetime | None
    last_seen: datetime | None
    history: list[HistoryEntry]

    @property
    def last_change(self) -> datetime:
        """When the ring last changed (a run that did more than find it stable)."""
        moved = [h.at for h in self.history if h.change != "stable"]
        return max(moved) if moved else (self.history[-1].at if self.history else EPOCH)


@dataclass
class ReadModel:
    run: DetectionRun | None  # the latest completed detection run; None before the first
    runs: list[DetectionRun]  # oldest first
    rings: dict[str, RingEntry]
    active: list[str]  # active ring ids, highest score first
    graph: GraphIndex
    finder: PathFinder
    memberships: dict[int, list[tuple[str, float, datetime]]]  # account code -> (ring, score, since)
    loaded_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def run_id(self) -> str | None:
        return self.run.run_id if self.run else None


def banned_artifacts(store: GraphStore, settings: Settings) -> set[tuple[str, str]]:
    """Allowlisted artifacts (the file's and the analysts'): detection never links through them."""
    return read_allowlist(settings.allowlist) | {(e.kind, e.key) for e in store.allowlisted_artifacts()}


def load_read_model(store: GraphStore, settings: Settings, banned: set[tuple[str, str]] | None = None) -> ReadModel:
    """Build the model from `store` (the caller holds it open read-only for the duration)."""
    runs = store.detection_runs()
    banned = banned_artifacts(store, settings) if banned is None else banned
    graph = load_graph_index(store, settings, banned)
    finished = {r.run_id: r.finished_at for r in runs}
    history: dict[str, list[HistoryEntry]] = {}
    for c in store.ring_changes():
        history.setdefault(c.ring_id, []).append(
            HistoryEntry(c.run_id, c.change, finished.get(c.run_id, EPOCH), c.detail))
    members: dict[str, list[tuple[str, float, datetime]]] = {}
    for m in store.ring_members():
        members.setdefault(m.ring_id, []).append((m.account_id, m.score, m.since))
    rings: dict[str, RingEntry] = {}
    memberships: dict[int, list[tuple[str, float, datetime]]] = {}
    all_ids = graph.account_ids.to_arrow()
    for ring in store.rings(include_dissolved=True, with_members=False):
        rows = sorted(members.get(ring.ring_id, []))
        found = pc.index_in(pa.array([r[0] for r in rows], pa.large_string()), value_set=all_ids)
        known = found.is_valid().to_numpy(zero_copy_only=False) if len(rows) else np.zeros(0, bool)
        codes = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)[known]
        rows = [r for r, k in zip(rows, known) if k]
        firsts = gather(graph.acc_ptr, graph.link_first, codes)
        lasts = gather(graph.acc_ptr, graph.link_last, codes)
        entry = RingEntry(
            ring=ring, members=codes, member_score=np.array([r[1] for r in rows], float),
            member_since=[r[2] for r in rows],
            first_seen=to_datetime(int(firsts.min())) if len(firsts) else None,
            last_seen=to_datetime(int(lasts.max())) if len(lasts) else None,
            history=sorted(history.get(ring.ring_id, []), key=lambda h: h.at))
        rings[ring.ring_id] = entry
        for code, row in zip(codes.tolist(), rows):
            memberships.setdefault(code, []).append((ring.ring_id, row[1], row[2]))
    active = sorted((r for r in rings.values() if r.ring.status == "active"),
                    key=lambda r: (-r.ring.score, -r.ring.size, r.ring.ring_id))
    return ReadModel(run=runs[-1] if runs else None, runs=runs, rings=rings,
                     active=[r.ring.ring_id for r in active], graph=graph, finder=PathFinder(graph, settings.api_path_min_specificity,
                                                       settings.api_path_max_accounts),
                     memberships=memberships)
