"""Baselines Linkage is measured against, each `(account_artifacts) -> list[set[str]]`.

- `union_find`: every shared identifier links its accounts (what most teams try first);
- `jaccard_components`: Jaccard node similarity, top-k and cutoff, then WCC (the graph-database recipe);
- `fraudar`: FRAUDAR dense-block peeling (Hooi et al., KDD 2016), camouflage-resistant.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from linkage.evaluate.baselines.fraudar import fraudar_rings
from linkage.evaluate.baselines.jaccard_components import jaccard_rings
from linkage.evaluate.baselines.union_find import union_find_rings

Baseline = Callable[[pa.Table], list[set[str]]]

BASELINES: dict[str, Baseline] = {
    "union_find": union_find_rings,
    "jaccard_wcc": jaccard_rings,
    "fraudar": fraudar_rings,
}

__all__ = ["BASELINES", "Baseline", "fraudar_rings", "jaccard_rings", "union_find_rings"]
