"""Detection's inputs, read once through the store and turned into integer-coded numpy arrays.

Accounts become 0..N-1 (in sorted id order, so codes are deterministic), artifacts
0..A-1 over (kind, value). Everything downstream works on these codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.store.base import GraphStore

# Evidence kinds detection knows, in code order. A kind the store does not return simply has no
# links (e.g. "prompt_family" before the near-duplicate families are ingested); rows of a kind
# not listed here are ignored. What a kind counts as (family, weight) is in specificity.py.
KINDS = ("ip", "proxy", "payment", "prompt", "user_agent", "email_domain", "prompt_family")


@dataclass
class Links:
    """Account–artifact links, one row per (account, artifact)."""

    account_ids: np.ndarray  # object array of account id strings, index = account code
    artifact_kind: np.ndarray  # int8 per artifact: index into KINDS
    artifact_value: np.ndarray  # object array of artifact strings per artifact code
    account: np.ndarray  # int64 per link
    artifact: np.ndarray  # int64 per link
    count: np.ndarray  # int64 per link
    first_seen: np.ndarray  # float64 epoch seconds per link (sub-second kept)

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    @property
    def n_artifacts(self) -> int:
        return len(self.artifact_value)

    def account_index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.account_ids.tolist())}


def read_allowlist(path: Path | None) -> set[tuple[str, str]]:
    """Allowlisted artifacts as (kind, value); lines are `kind:value`, `#` starts a comment."""
    if path is None:
        return set()
    out: set[tuple[str, str]] = set()
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        kind, sep, value = line.partition(":")
        if not sep or kind.strip() not in KINDS:
            raise ValueError(f"allowlist line {line!r} is not kind:value with kind in {', '.join(KINDS)}")
        out.add((kind.strip(), value.strip()))
    return out


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def epoch_seconds(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Float epoch seconds of a timestamp column, sub-second part kept (nulls: 0).

    Real logs carry micro- or nanoseconds; a cast to whole seconds would refuse them
    (Arrow's safe cast) or silently truncate. Float64 keeps microseconds at today's epochs.
    """
    unit = col.type.unit if pa.types.is_timestamp(col.type) else "us"
    raw = pc.fill_null(pc.cast(col, pa.int64()), 0).to_numpy(zero_copy_only=False)
    return raw.astype(np.float64) / _PER_SECOND[unit]


def load_links(store: GraphStore, allowlist: set[tuple[str, str]]) -> Links:
    """All account–artifact links from the store, allowlisted artifacts removed, integer-coded."""
    table = store.account_artifacts()
    table = table.filter(pc.is_valid(table["artifact"]))
    accounts_tbl = store.read_table("account", ["account_id"])
    all_ids = pa.concat_arrays([
        pc.unique(accounts_tbl["account_id"]).cast(pa.string()),
        pc.unique(table["account_id"]).cast(pa.string()),
    ])
    account_ids = np.array(sorted(set(pc.unique(all_ids).drop_null().to_pylist())), dtype=object)
    acc = pc.index_in(table["account_id"], value_set=pa.array(account_ids.tolist(), pa.string()))
    acc = pc.fill_null(acc, -1).to_numpy().astype(np.int64)

    kind_col = pc.fill_null(pc.index_in(table["kind"], value_set=pa.array(KINDS)), -1).to_numpy()
    kind_col = kind_col.astype(np.int64)
    # artifact identity is (kind, value): codes per kind, in sorted value order (deterministic)
    art = np.full(table.num_rows, -1, np.int64)
    values: list[pa.Array] = []
    kinds: list[np.ndarray] = []
    column = table["artifact"].combine_chunks().cast(pa.string())
    offset = 0
    for k in range(len(KINDS)):
        rows = np.nonzero(kind_col == k)[0]
        if len(rows) == 0:
            continue
        enc = pc.dictionary_encode(column.take(pa.array(rows)))
        order = pc.array_sort_indices(enc.dictionary).to_numpy()
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        art[rows] = rank[enc.indices.to_numpy()] + offset
        values.append(enc.dictionary.take(pa.array(order)))
        kinds.append(np.full(len(order), k, np.int8))
        offset += len(order)
    del column
    artifact_kind = np.concatenate(kinds) if kinds else np.zeros(0, np.int8)
    artifact_value = (pa.concat_arrays(values).to_numpy(zero_copy_only=False) if values
                      else np.zeros(0, dtype=object))
    keep = (acc >= 0) & (kind_col >= 0)
    if allowlist:
        banned = np.zeros(len(artifact_value), bool)
        for kind, value in allowlist:
            banned |= (artifact_kind == KINDS.index(kind)) & (artifact_value == value)
        keep &= ~banned[art]
    count = pc.fill_null(table["count"], 1).to_numpy().astype(np.int64)
    first = epoch_seconds(table["first_seen"])
    return Links(account_ids=account_ids, artifact_kind=artifact_kind, artifact_value=artifact_value,
                 account=acc[keep], artifact=art[keep], count=count[keep], first_seen=first[keep])


@dataclass
class AccountFacts:
    """Per-account facts used by scoring, indexed by account code."""

    created_at: np.ndarray  # float64 epoch seconds, -1 when unknown
    requests: np.ndarray  # int64 total requests
    release_share: np.ndarray  # float: share of traffic on a new model within 24 h of its release
    release_active: np.ndarray  # bool: had traffic in a release window at all
    population_release_share: float


def account_created(store: GraphStore, index: dict[str, int], n: int) -> np.ndarray:
    tbl = store.read_table("account", ["account_id", "created_at"])
    out = np.full(n, -1.0, dtype=np.float64)
    ids = tbl["account_id"].to_pylist()
    ts = epoch_seconds(tbl["created_at"])
    valid = pc.is_valid(tbl["created_at"]).to_numpy(zero_copy_only=False)
    codes = np.array([index.get(a, -1) for a in ids], dtype=np.int64)
    ok = (codes >= 0) & valid
    out[codes[ok]] = ts[ok]
    return out
