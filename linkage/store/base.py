"""The store interface: one abstract class, two engines (embedded DuckDB, Neo4j).

Shared behaviour — logging, timing, wrapping engine errors with the statement
that failed — lives here once; engines implement the small `_hooks`.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from linkage.store.models import DetectionResult, GraphStats, IngestedFile, Ring, RingChange, DetectionRun
from linkage.store.models import AllowlistEntry, RingDecision, RingMember

# A batch table: in memory, or an Arrow dataset (the ingest streams its aggregates
# through parquet files so that neither it nor the store holds them all at once).
Table = pa.Table | ds.Dataset

log = logging.getLogger("linkage.store")

if TYPE_CHECKING:  # detection imports the store, not the other way round
    from linkage.detect.inputs import Links
    from linkage.detect.synchrony import Candidates


class StoreError(RuntimeError):
    """An engine failed; carries the operation and the statement that failed."""

    def __init__(self, operation: str, statement: str, cause: BaseException):
        self.operation, self.statement, self.cause = operation, statement, cause
        super().__init__(f"{operation} failed: {cause}\n  statement: {statement.strip()[:500]}")


class StoreBusy(RuntimeError):
    """Another process has the store open (DuckDB admits one writing process per file)."""

    def __init__(self, url: str, holder: str = ""):
        self.url = url
        super().__init__(f"the store is busy: another process{f' ({holder})' if holder else ''} has it open;"
                         " try again when that one has finished")


class GraphStore(ABC):
    """What Linkage needs from a graph store.

    Ingest hands it aggregated batches (`merge_batch`); detection reads the
    account–artifact evidence as Arrow tables and writes its results back
    (`save_detection`); the CLI and API read rings and stats.
    """

    url: str

    # ---- shared wrapper --------------------------------------------------
    @contextmanager
    def timed(self, operation: str, statement: str = "") -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # engine errors get the failing statement attached
            raise StoreError(operation, statement, exc) from exc
        finally:
            log.debug("%s took %.3fs", operation, time.perf_counter() - start)

    # ---- lifecycle ---------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- ingest side -------------------------------------------------------
    @abstractmethod
    def merge_batch(self, tables: dict[str, Table], files: list[IngestedFile]) -> None:
        """Merge aggregated rows into the graph and record `files` as applied, atomically.

        `tables` maps graph table names (`linkage.store.tables`) to rows in that
        table's columns, at most one row per key; each is scanned once.

        Either everything in the call lands or nothing does: a killed ingest
        leaves the store as it was before the call.
        """

    @abstractmethod
    def ingested_hashes(self) -> set[str]:
        """Content hashes of the files already applied."""

    @abstractmethod
    def read_table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """A whole graph table (see `linkage.store.tables`) as Arrow."""

    @abstractmethod
    def stats(self) -> GraphStats:
        """Node and edge counts by type."""

    # ---- detection side ----------------------------------------------------
    @abstractmethod
    def account_artifacts(self) -> pa.Table:
        """Every account–artifact link: account_id, kind, artifact, count, first_seen, last_seen.

        Kinds: ip, proxy (through EXIT_OF), payment, prompt, user_agent, email_domain.
        """

    @abstractmethod
    def save_detection(self, result: DetectionResult) -> None:
        """Write one detection run's rings, memberships and changes in one transaction."""

    @abstractmethod
    def rings(self, include_dissolved: bool = False, with_members: bool = True) -> list[Ring]:
        """Current rings, highest score first."""

    @abstractmethod
    def ring(self, ring_id: str) -> Ring | None: ...

    @abstractmethod
    def rings_of_account(self, account_id: str) -> list[Ring]: ...

    def memberships(self) -> list[RingMember]:
        """Every account's MEMBER_OF link with its score and since (for exports).

        Not abstract so that an engine without it still opens; the export then says
        its memberships carry no score."""
        raise NotImplementedError(f"{type(self).__name__} cannot list scored memberships")

    @abstractmethod
    def detection_runs(self) -> list[DetectionRun]: ...

    @abstractmethod
    def ring_changes(self, run_id: str | None = None) -> list[RingChange]: ...

    # ---- detection side, appended for issue #3 --------------------------------
    @abstractmethod
    def co_window_groups(self, max_group: int, kinds: tuple[str, ...] = ("prompt",)) -> pa.Table:
        """Accounts acting on one artifact in one short window, for lockstep evidence.

        One row per (group, account) for groups of 2..max_group accounts, where a group
        is one (kind, artifact, window_start) of `co_window` with kind in `kinds`: group (uint64 key), is_ip
        (the co_window kind is 'ip'), account_id. Singleton windows — most of the table —
        never leave the engine.
        """

    # ---- engine-native detection steps (issue #11); defaults: in-process ------------------
    def detection_links(self, allowlist: set[tuple[str, str]]) -> "Links | None":
        """`linkage.detect.inputs.load_links` run by the engine (the same `Links`, row order
        aside); None: code `account_artifacts()` in Python (`inputs.code_links`)."""
        return None

    def community_finder(self, account_ids: "np.ndarray") -> "CommunityFinder | None":
        """A callable like `linkage.detect.communities.communities` that runs in the engine
        (Neo4j: GDS), for accounts coded 0..N-1 as in `account_ids`; None: run it in Python."""
        return None

    def synchrony_candidates(self, account_ids: "np.ndarray", params: object) -> "Candidates | None":
        """Synchrony's first pass (bucketing, per-account rates, the accounts worth pairing) run
        by the engine over its `tick` table, equal to `linkage.detect.synchrony.candidates`;
        None: read the ticks into Python and run it there."""
        return None

    def native_evidence_paths(self, a: str, b: str, max_hops: int, settings: object,
                              limit: int) -> list | None:
        """Evidence paths found by the engine itself (Neo4j: Cypher shortest paths), in the
        shape of `linkage.detect.evidence.evidence_paths`; None: search in Python."""
        return None

    # ---- analyst decisions, appended for issue #12 ------------------------------
    # The embedded engine keeps them in a small file beside the store (see
    # embedded_decisions.py) so they can be written while a nightly job holds the
    # store; the Neo4j engine keeps them in the graph. Both are append-only logs.
    @abstractmethod
    def save_ring_decision(self, decision: RingDecision) -> None:
        """Record a verdict on a ring (the latest one per ring is its status)."""

    @abstractmethod
    def ring_decisions(self, ring_ids: list[str] | None = None) -> list[RingDecision]:
        """Decisions on `ring_ids` (all rings when None), oldest first."""

    @abstractmethod
    def allowlist_artifact(self, entry: AllowlistEntry) -> None:
        """Add an artifact to the allowlist: from the next detection run it links nobody."""

    @abstractmethod
    def remove_allowlisted_artifact(self, kind: str, key: str, author: str, at: datetime) -> bool:
        """Take an artifact off the allowlist; False when it was not on it."""

    @abstractmethod
    def allowlisted_artifacts(self) -> list[AllowlistEntry]:
        """The artifacts currently allowlisted through the store (not the LINKAGE_ALLOWLIST file)."""

    # ---- reads for the API, appended for issue #12 (engines may override) ---------
    def ring_members(self) -> list[RingMember]:
        """Every current membership: account, ring, score, since.

        Built here from `rings()` and `detection_runs()` so that every engine has it;
        an engine overrides it with one query."""
        started = {r.run_id: r.started_at for r in self.detection_runs()}
        epoch = datetime.fromtimestamp(0).astimezone()
        return [RingMember(account_id=a, ring_id=r.ring_id, score=r.score, since=started.get(r.updated_run, epoch))
                for r in self.rings(include_dissolved=False, with_members=True) for a in r.members]


# (n, a, b, w, resolution, seed, min_size, min_tie) -> community label per account, -1 for none
CommunityFinder = Callable[..., "np.ndarray"]
