"""Detection's inputs, read once through the store and turned into integer-coded numpy arrays.

Accounts become 0..N-1 (in sorted id order, so codes are deterministic), artifacts
0..A-1 over (kind, value), with each account's single-user artifacts of a kind collapsed
into one pseudo-artifact (see `Links`). Everything downstream works on these codes.
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
    """Account–artifact links, one row per (account, artifact).

    Artifacts used by one account only never link anybody (specificity 0), but their
    request counts are part of an account's totals per kind (template concentration,
    bystanders). So each account's singletons of one kind are one pseudo-artifact
    carrying their summed count and earliest first_seen: codes 0..R-1 are the real
    artifacts (≥ 2 links) in (kind, sorted value) order, R.. the pseudo-artifacts in
    (kind, account) order, with a null value. A pseudo-artifact has df 1 and never
    appears in any output (those need ≥ 2 members or specificity > 0).
    """

    account_ids: np.ndarray  # object array of account id strings, index = account code
    artifact_kind: np.ndarray  # int8 per artifact: index into KINDS
    # string per artifact code: an Arrow string array from load_links (null for a pseudo-
    # artifact); hand-built Links (tests, specificity-only callers) may pass any sequence
    artifact_value: pa.Array | np.ndarray
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

    def value_of(self, code: int) -> str:
        """The artifact's value as text (outputs only ever name real artifacts)."""
        value = self.artifact_value[int(code)]
        return value.as_py() if isinstance(value, pa.Scalar) else str(value)

    def value_array(self) -> pa.Array:
        """Every artifact's value as one Arrow string array (for Arrow compute)."""
        if isinstance(self.artifact_value, pa.Array):
            return self.artifact_value
        return pa.array(list(self.artifact_value), pa.string())


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
    """All account–artifact links from the store, allowlisted artifacts removed, integer-coded,
    singletons collapsed (see `Links`). The engine codes them itself when it can (DuckDB:
    links_sql.py, so that millions of singleton rows never leave it); else `code_links`."""
    native = store.detection_links(allowlist)
    if native is not None:
        return native
    return code_links(store.account_artifacts(), store.read_table("account", ["account_id"]), allowlist)


def code_links(table: pa.Table, accounts: pa.Table, allowlist: set[tuple[str, str]]) -> Links:
    """`account_artifacts()` rows as `Links`; every account of `accounts` gets a code too."""
    table = table.filter(pc.is_valid(table["artifact"]))
    all_ids = pa.concat_arrays([
        pc.unique(accounts["account_id"]).cast(pa.string()),
        pc.unique(table["account_id"]).cast(pa.string()),
    ])
    account_ids = np.array(sorted(set(pc.unique(all_ids).drop_null().to_pylist())), dtype=object)
    acc = pc.index_in(table["account_id"], value_set=pa.array(account_ids.tolist(), pa.string()))
    acc = pc.fill_null(acc, -1).to_numpy().astype(np.int64)
    kind_col = pc.fill_null(pc.index_in(table["kind"], value_set=pa.array(KINDS)), -1).to_numpy()
    kind_col = kind_col.astype(np.int64)
    column = table["artifact"].combine_chunks().cast(pa.string())
    keep = (acc >= 0) & (kind_col >= 0) & ~_banned_rows(kind_col, column, allowlist)
    rows = np.nonzero(keep)[0]
    art, values, kinds = _code_artifacts(kind_col[rows], column.take(pa.array(rows)))
    count = pc.fill_null(table["count"], 1).to_numpy(zero_copy_only=False).astype(np.int64)[rows]
    first = epoch_seconds(table["first_seen"])[rows]
    return collapse_singletons(account_ids, acc[rows], art, values, kinds, count, first)


def _banned_rows(kind_col: np.ndarray, column: pa.Array, allowlist: set[tuple[str, str]]) -> np.ndarray:
    """Per row: is its (kind, value) allowlisted?"""
    banned = np.zeros(len(kind_col), bool)
    for kind, values in _by_kind(allowlist).items():
        hit = pc.is_in(column, value_set=pa.array(values, pa.string()))
        banned |= (kind_col == KINDS.index(kind)) & pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    return banned


def _by_kind(allowlist: set[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, value in sorted(allowlist):
        out.setdefault(kind, []).append(value)
    return out


def _code_artifacts(kind_col: np.ndarray, column: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """Artifact identity is (kind, value): codes per kind, in sorted value order (deterministic)."""
    art = np.full(len(kind_col), -1, np.int64)
    values: list[pa.Array] = [pa.array([], pa.string())]
    kinds: list[np.ndarray] = [np.zeros(0, np.int8)]
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
    return art, pa.concat_arrays(values), np.concatenate(kinds)


def collapse_singletons(account_ids: np.ndarray, acc: np.ndarray, art: np.ndarray, values: pa.Array,
                        kinds: np.ndarray, count: np.ndarray, first: np.ndarray) -> Links:
    """Links with every artifact of one link replaced by its account's pseudo-artifact of that
    kind (see `Links`); real artifacts keep their relative order, so every tie-break stays."""
    df = np.bincount(art, minlength=len(values))
    real = df >= 2
    new_code = np.cumsum(real) - 1  # order-preserving renumbering of the real artifacts
    single = ~real[art]
    pseudo_kind, pseudo_acc, pseudo_cnt, pseudo_first = _per_kind_and_account(
        kinds[art[single]].astype(np.int64), acc[single], count[single], first[single], len(account_ids))
    n_real = int(real.sum())
    p_codes = np.arange(n_real, n_real + len(pseudo_acc), dtype=np.int64)
    real_codes = np.nonzero(real)[0]
    return Links(
        account_ids=account_ids,
        artifact_kind=np.concatenate([kinds[real_codes], pseudo_kind.astype(np.int8)]),
        artifact_value=pa.concat_arrays([values.take(pa.array(real_codes)),
                                         pa.nulls(len(p_codes), pa.string())]),
        account=np.concatenate([acc[~single], pseudo_acc]),
        artifact=np.concatenate([new_code[art[~single]], p_codes]),
        count=np.concatenate([count[~single], pseudo_cnt]),
        first_seen=np.concatenate([first[~single], pseudo_first]))


def _per_kind_and_account(kind: np.ndarray, acc: np.ndarray, count: np.ndarray, first: np.ndarray,
                         n_accounts: int) -> tuple[np.ndarray, ...]:
    """(kind, account, summed count, earliest first_seen) per (kind, account), in that order."""
    key = kind * max(n_accounts, 1) + acc
    order = np.argsort(key, kind="stable")
    uk, starts = np.unique(key[order], return_index=True)
    if len(uk) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    return (uk // max(n_accounts, 1), uk % max(n_accounts, 1), np.add.reduceat(count[order], starts),
            np.minimum.reduceat(first[order], starts))


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
