"""The account × artifact incidence matrix every baseline starts from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

# An e-mail domain (gmail.com) is not an identifier: linking on it would join everyone
# for a reason no team would accept, so the baselines leave it out by default.
DEFAULT_KINDS: tuple[str, ...] = ("ip", "proxy", "payment", "prompt", "user_agent")


@dataclass(frozen=True)
class Incidence:
    """Binary accounts × artifacts matrix (CSR) with the labels of its rows and columns."""

    matrix: sparse.csr_matrix
    accounts: np.ndarray  # row i -> account_id (object array of str)
    artifacts: np.ndarray  # column j -> "kind:artifact"

    def rows_to_sets(self, groups: list[np.ndarray]) -> list[set[str]]:
        """Row-index arrays -> sets of account ids."""
        return [set(self.accounts[g].tolist()) for g in groups]


def build_incidence(account_artifacts: pa.Table, kinds: tuple[str, ...] | None = DEFAULT_KINDS) -> Incidence:
    """One row per account, one column per (kind, artifact); an entry is 1 if the account used it.

    `kinds=None` keeps every kind in the table.
    """
    table = account_artifacts.select(["account_id", "kind", "artifact"])
    if kinds is not None:
        table = table.filter(pc.is_in(table["kind"], value_set=pa.array(list(kinds), pa.string())))
    table = table.filter(pc.and_(pc.is_valid(table["account_id"]), pc.is_valid(table["artifact"])))
    acc = table["account_id"].combine_chunks().dictionary_encode()
    key = pc.binary_join_element_wise(table["kind"], table["artifact"], ":")
    art = key.combine_chunks().dictionary_encode() if len(table) else pa.array([], pa.string()).dictionary_encode()
    rows = acc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    cols = art.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    shape = (len(acc.dictionary), len(art.dictionary))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    m.data[:] = 1.0  # duplicates (same artifact twice) collapse to one link
    return Incidence(m, np.asarray(acc.dictionary.to_pylist(), dtype=object),
                     np.asarray(art.dictionary.to_pylist(), dtype=object))


def groups_from_labels(labels: np.ndarray, min_size: int = 2) -> list[np.ndarray]:
    """Indices grouped by label, groups of at least `min_size`, largest first; label -1 is ignored."""
    labels = np.asarray(labels)
    keep = labels >= 0
    idx = np.nonzero(keep)[0]
    if idx.size == 0:
        return []
    lab = labels[idx]
    order = np.argsort(lab, kind="stable")
    idx, lab = idx[order], lab[order]
    cuts = np.nonzero(np.diff(lab))[0] + 1
    groups = [g for g in np.split(idx, cuts) if g.size >= min_size]
    groups.sort(key=lambda g: (-g.size, g[0]))
    return groups
