"""The account–artifact graph held in the server's memory, as sorted arrays and two CSR indexes.

Loaded once per detection run through the store interface (`account_artifacts` and
the account table), so it is the same on both engines. Accounts and artifacts are
integer codes in sorted order; looking one up is a binary search, not a dict of
millions of strings. Every field is a flat array (strings as `StringColumn`), so a
snapshot file can hold it and worker processes can map it (see snapshot.py). Specificity follows detection's own rules (`detect.specificity`)
on the links detection sees (allowlisted artifacts removed), so that the strength of
an evidence path means what it means to the detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.detect.inputs import KINDS, Links
from linkage.api.strings import StringColumn
from linkage.detect.specificity import specificity
from linkage.settings import Settings
from linkage.store.base import GraphStore

NO_TIME = np.iinfo(np.int64).min


def _epoch_us(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    ts = pc.cast(col, pa.timestamp("us", tz="UTC"))
    return pc.fill_null(pc.cast(ts, pa.int64()), NO_TIME).to_numpy(zero_copy_only=False)


def to_datetime(us: int) -> datetime | None:
    return None if us == NO_TIME else datetime.fromtimestamp(us / 1e6, tz=timezone.utc)


@dataclass
class GraphIndex:
    """Accounts, artifacts and the links between them; codes index every array."""

    account_ids: StringColumn  # sorted account ids
    created_at: np.ndarray  # int64 µs per account, NO_TIME when unknown
    email_domain: StringColumn  # per account (null when unknown)
    country: StringColumn  # per account (null when unknown)
    kind_start: np.ndarray  # artifact codes of KINDS[k] are kind_start[k]..kind_start[k+1]-1
    artifact_value: StringColumn  # per artifact, sorted within its kind
    # links by account (CSR): acc_ptr[a]..acc_ptr[a+1] index link_artifact / link_* arrays
    acc_ptr: np.ndarray
    link_artifact: np.ndarray
    link_count: np.ndarray
    link_first: np.ndarray  # µs
    link_last: np.ndarray  # µs
    # users by artifact (CSR): art_ptr[t]..art_ptr[t+1] index art_users (account codes, sorted)
    art_ptr: np.ndarray
    art_users: np.ndarray
    df: np.ndarray  # accounts per artifact
    spec: np.ndarray  # detection specificity per artifact (0: never links)
    hub_cutoff: float

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    def artifact_code(self, kind: str, value: str) -> int | None:
        k = KINDS.index(kind)
        return self.artifact_value.find(value, int(self.kind_start[k]), int(self.kind_start[k + 1]))

    def account_code(self, account_id: str) -> int | None:
        return self.account_ids.find(account_id)

    def rows_after(self, codes: np.ndarray, last_id: str) -> int:
        """How many of the ascending account `codes` have an id <= `last_id` (a cursor's page start)."""
        p = self.account_ids.search(last_id)
        exact = p < self.n_accounts and self.account_ids[p] == last_id
        return int(np.searchsorted(codes, p, side="right" if exact else "left"))

    def artifact_kind(self, code: int) -> str:
        return KINDS[int(np.searchsorted(self.kind_start, code, side="right")) - 1]

    def links_of(self, account: int) -> slice:
        return slice(int(self.acc_ptr[account]), int(self.acc_ptr[account + 1]))

    def users_of(self, artifact: int) -> np.ndarray:
        return self.art_users[self.art_ptr[artifact]:self.art_ptr[artifact + 1]]

    def walkable(self) -> np.ndarray:
        """Artifacts an evidence path may pass through: specific, and no hub."""
        return (self.spec > 0) & (self.df <= self.hub_cutoff)


def _code_artifacts(kind_col: np.ndarray, values: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """Artifact codes per link, sorted values per kind, and where each kind starts."""
    art = np.full(len(kind_col), -1, np.int64)
    sorted_values: list[pa.Array] = []
    starts = [0]
    for k in range(len(KINDS)):
        rows = np.nonzero(kind_col == k)[0]
        if len(rows):
            enc = pc.dictionary_encode(values.take(pa.array(rows)))
            order = pc.array_sort_indices(enc.dictionary).to_numpy()
            rank = np.empty(len(order), np.int64)
            rank[order] = np.arange(len(order))
            art[rows] = rank[enc.indices.to_numpy()] + starts[-1]
            sorted_values.append(enc.dictionary.take(pa.array(order)))
        starts.append(starts[-1] + (len(sorted_values[-1]) if len(rows) else 0))
    value_arr = pa.concat_arrays(sorted_values) if sorted_values else pa.array([], pa.string())
    return art, value_arr, np.array(starts, np.int64)


def _csr(keys: np.ndarray, n: int, then: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Row order grouping `keys` (ties ordered by `then`) and the CSR row pointers."""
    order = np.argsort(keys, kind="stable") if then is None else np.lexsort((then, keys))
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return order, ptr


def load_graph_index(store: GraphStore, settings: Settings, banned: set[tuple[str, str]]) -> GraphIndex:
    """Read the graph through `store` and index it; `banned` artifacts (allowlisted) never link."""
    links = store.account_artifacts()
    links = links.filter(pc.is_valid(links["artifact"]))
    accounts = store.read_table("account", ["account_id", "created_at", "email_domain", "country"])
    ids = pc.unique(pa.concat_arrays([accounts["account_id"].combine_chunks().cast(pa.string()),
                                      links["account_id"].combine_chunks().cast(pa.string())])).drop_null()
    ids = ids.take(pc.array_sort_indices(ids))
    n = len(ids)
    pos = pc.index_in(accounts["account_id"], value_set=ids).to_numpy(zero_copy_only=False)
    created = np.full(n, NO_TIME, np.int64)
    created[pos] = _epoch_us(accounts["created_at"])
    row_of = np.full(n, -1, np.int64)  # the account table's row of each code, -1: links only
    row_of[pos] = np.arange(len(pos))
    by_code = pa.array(row_of, mask=row_of < 0)

    acc = pc.index_in(links["account_id"], value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)
    kind_col = pc.fill_null(pc.index_in(links["kind"], value_set=pa.array(KINDS)), -1).to_numpy()
    art, value_arr, kind_start = _code_artifacts(kind_col, links["artifact"].combine_chunks().cast(pa.string()))
    values = StringColumn.from_arrow(value_arr)
    keep = kind_col >= 0
    acc, art = acc[keep], art[keep]
    count = pc.fill_null(links["count"], 1).to_numpy(zero_copy_only=False)[keep].astype(np.int64)
    first, last = _epoch_us(links["first_seen"])[keep], _epoch_us(links["last_seen"])[keep]

    by_acc, acc_ptr = _csr(acc, n)
    n_art = len(values)
    by_art, art_ptr = _csr(art, n_art, then=acc)  # users in account order: stable cursors
    artifact_kind = np.repeat(np.arange(len(KINDS), dtype=np.int8), np.diff(kind_start))
    is_banned = np.zeros(n_art, bool)
    for kind, value in banned:
        i = values.find(value, int(kind_start[KINDS.index(kind)]), int(kind_start[KINDS.index(kind) + 1]))
        if i is not None:
            is_banned[i] = True
    seen = ~is_banned[art]  # detection never sees allowlisted artifacts: df and N without them
    spec = specificity(Links(account_ids=np.empty(n, object), artifact_kind=artifact_kind, artifact_value=values,
                             account=acc[seen], artifact=art[seen], count=count[seen],
                             first_seen=first[seen] // 1_000_000), settings)
    value = spec.value.copy()
    value[is_banned] = 0.0
    return GraphIndex(
        account_ids=StringColumn.from_arrow(ids), created_at=created,
        email_domain=StringColumn.from_arrow(accounts["email_domain"].take(by_code)),
        country=StringColumn.from_arrow(accounts["country"].take(by_code)),
        kind_start=kind_start, artifact_value=values, acc_ptr=acc_ptr,
        link_artifact=art[by_acc].astype(np.int32), link_count=count[by_acc],
        link_first=first[by_acc], link_last=last[by_acc], art_ptr=art_ptr,
        art_users=acc[by_art].astype(np.int32), df=np.diff(art_ptr), spec=value, hub_cutoff=spec.hub_cutoff)
