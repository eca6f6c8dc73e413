"""The account–artifact graph held in the server's memory, as sorted arrays and two CSR indexes.

Loaded once per detection run through the store interface (`account_artifacts` and
the account table), so it is the same on both engines. Accounts and artifacts are
integer codes in sorted order; looking one up is a binary search, not a dict of
millions of strings. Specificity follows detection's own rules (`detect.specificity`)
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
from linkage.detect.specificity import specificity
from linkage.settings import Settings
from linkage.store.base import GraphStore

NO_TIME = np.iinfo(np.int64).min


def _epoch_us(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    ts = pc.cast(col, pa.timestamp("us", tz="UTC"))
    return pc.fill_null(pc.cast(ts, pa.int64()), NO_TIME).to_numpy(zero_copy_only=False)


def to_datetime(us: int) -> datetime | None:
    return None if us == NO_TIME else datetime.fromtimestamp(us / 1e6, tz=timezone.utc)


def _strings(col: pa.ChunkedArray) -> np.ndarray:
    return np.array(col.to_pylist(), dtype=object)


@dataclass
class GraphIndex:
    """Accounts, artifacts and the links between them; codes index every array."""

    account_ids: np.ndarray  # sorted account id strings (object)
    created_at: np.ndarray  # int64 µs per account, NO_TIME when unknown
    email_domain: np.ndarray  # object per account
    country: np.ndarray  # object per account
    kind_start: np.ndarray  # artifact codes of KINDS[k] are kind_start[k]..kind_start[k+1]-1
    artifact_value: np.ndarray  # object per artifact, sorted within its kind
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
        lo, hi = int(self.kind_start[k]), int(self.kind_start[k + 1])
        i = lo + int(np.searchsorted(self.artifact_value[lo:hi], value))
        return i if i < hi and self.artifact_value[i] == value else None

    def artifact_kind(self, code: int) -> str:
        return KINDS[int(np.searchsorted(self.kind_start, code, side="right")) - 1]

    def links_of(self, account: int) -> slice:
        return slice(int(self.acc_ptr[account]), int(self.acc_ptr[account + 1]))

    def users_of(self, artifact: int) -> np.ndarray:
        return self.art_users[self.art_ptr[artifact]:self.art_ptr[artifact + 1]]

    def walkable(self) -> np.ndarray:
        """Artifacts an evidence path may pass through: specific, and no hub."""
        return (self.spec > 0) & (self.df <= self.hub_cutoff)


def _code_artifacts(kind_col: np.ndarray, values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    value_arr = (pa.concat_arrays(sorted_values).to_numpy(zero_copy_only=False) if sorted_values
                 else np.zeros(0, dtype=object))
    return art, value_arr.astype(object), np.array(starts, np.int64)


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
    account_ids = np.array(ids.to_pylist(), dtype=object)
    n = len(account_ids)
    pos = pc.index_in(accounts["account_id"], value_set=ids).to_numpy(zero_copy_only=False)
    created = np.full(n, NO_TIME, np.int64)
    domain = np.full(n, None, dtype=object)
    country = np.full(n, None, dtype=object)
    created[pos] = _epoch_us(accounts["created_at"])
    domain[pos] = _strings(accounts["email_domain"])
    country[pos] = _strings(accounts["country"])

    acc = pc.index_in(links["account_id"], value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)
    kind_col = pc.fill_null(pc.index_in(links["kind"], value_set=pa.array(KINDS)), -1).to_numpy()
    art, values, kind_start = _code_artifacts(kind_col, links["artifact"].combine_chunks().cast(pa.string()))
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
        lo, hi = kind_start[KINDS.index(kind)], kind_start[KINDS.index(kind) + 1]
        i = lo + int(np.searchsorted(values[lo:hi], value))
        if i < hi and values[i] == value:
            is_banned[i] = True
    seen = ~is_banned[art]  # detection never sees allowlisted artifacts: df and N without them
    spec = specificity(Links(account_ids=account_ids, artifact_kind=artifact_kind, artifact_value=values,
                             account=acc[seen], artifact=art[seen], count=count[seen],
                             first_seen=first[seen] // 1_000_000), settings)
    value = spec.value.copy()
    value[is_banned] = 0.0
    return GraphIndex(
        account_ids=account_ids, created_at=created, email_domain=domain, country=country,
        kind_start=kind_start, artifact_value=values, acc_ptr=acc_ptr,
        link_artifact=art[by_acc].astype(np.int32), link_count=count[by_acc],
        link_first=first[by_acc], link_last=last[by_acc], art_ptr=art_ptr,
        art_users=acc[by_art].astype(np.int32), df=np.diff(art_ptr), spec=value, hub_cutoff=spec.hub_cutoff)
