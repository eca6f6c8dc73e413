"""Temporal evidence: lockstep pairs, traffic shift after a model release, account volume.

Lockstep is computed by the store (it is the one scan over the large `co_window`
table); release shift and volume come from the hourly `activity` aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.detect.inputs import epoch_seconds
from linkage.detect.lockstep_kernel import lockstep_pairs
from linkage.detect.specificity import FAMILIES, TIMING
from linkage.store.base import GraphStore

DAY = 86_400


@dataclass
class ReleaseWindow:
    """Hourly traffic rows around one model release (a day before to `window_hours` after):
    enough to tell *when* a group of accounts moved to the new model (consolidation)."""

    release: int  # epoch seconds
    account: np.ndarray  # int64 account code per row
    hour: np.ndarray  # int64 hours since release - 24 h
    on_new: np.ndarray  # bool: the row's requests went to the released model
    requests: np.ndarray  # int64


@dataclass
class Activity:
    """Per-account traffic facts, indexed by account code."""

    requests: np.ndarray  # int64 total requests
    release_share: np.ndarray  # share of the account's traffic in release windows on the new model
    release_active: np.ndarray  # bool: account had traffic in a release window
    population_release_share: float
    releases: dict[str, int]  # model -> release epoch seconds used
    span_end: float = 0.0  # end of the last hour with traffic (epoch seconds)
    windows: list[ReleaseWindow] = field(default_factory=list)


def _account_codes(column: pa.ChunkedArray, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """(code per known row, mask of the known rows or None when all are known).

    None spares every caller a masked copy of each of its columns in the usual case
    (every account of the table is known to detection): at full scale those copies are
    hundreds of MB of fresh memory."""
    ids = pa.array(list(index.keys()), pa.string())
    codes = np.array(list(index.values()), dtype=np.int64)
    pos = pc.index_in(column, value_set=ids)
    if pos.null_count == 0:
        return codes[pos.to_numpy()], None
    ok = pc.is_valid(pos).to_numpy(zero_copy_only=False)
    return codes[pc.fill_null(pos, 0).to_numpy()[ok]], ok


def _known(values: np.ndarray, ok: np.ndarray | None) -> np.ndarray:
    return values if ok is None else values[ok]


def lockstep(store: GraphStore, index: dict[str, int], neighbours: int, max_group: int,
             min_windows: int, kinds: tuple[str, ...] = ("prompt",)
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lockstep pairs as (a, b, windows, family) arrays, near-linear in the groups' size.

    Within each group (one artifact, one short window) accounts are ordered by a stable
    hash of their code and each is paired with the next `neighbours`: n accounts give
    at most n·neighbours pairs, never n², and the stable order puts the same two
    accounts side by side again whenever they act together again. A pair is kept when
    it co-occurs in at least `min_windows` groups. Acting together on the same prompt is
    the `timing` family; on the same IP it is `network` evidence (a busy proxy exit puts
    strangers in one window). The pairs are counted in compiled passes (`lockstep_kernel`).
    """
    empty = np.zeros(0, np.int64)
    if not kinds:
        return empty, empty, empty, empty
    tbl = store.co_window_groups(max_group, kinds)
    if tbl.num_rows == 0:
        return empty, empty, empty, empty
    acc, ok = _account_codes(tbl["account_id"], index)
    group = _known(tbl["group"].to_numpy(), ok)
    is_ip = _known(tbl["is_ip"].to_numpy(zero_copy_only=False), ok)
    del tbl
    n = max(1, len(index))
    uk, windows = lockstep_pairs(acc, group, is_ip, n, neighbours, min_windows)
    pair, ip = uk // 2, (uk % 2).astype(bool)
    family = np.where(ip, FAMILIES.index("network"), TIMING).astype(np.int64)
    return pair // n, pair % n, windows.astype(np.int64), family


def _releases(hours: np.ndarray, models: np.ndarray, model_names: list[str],
              model_release: str | None) -> dict[int, int]:
    """model code -> release epoch. Explicit release: models first seen from a day before it.
    Otherwise each model's first appearance, for models that appear after the first day."""
    start = int(hours.min())
    first = {int(m): int(hours[models == m].min()) for m in np.unique(models)}
    if model_release:
        rel = int(datetime.fromisoformat(model_release.replace("Z", "+00:00")).timestamp())
        new = {m: rel for m, t in first.items() if t >= rel - DAY and model_names[m]}
        return new
    return {m: t for m, t in first.items() if t > start + DAY and model_names[m]}


def activity(store: GraphStore, index: dict[str, int], n: int, model_release: str | None,
             window_hours: float = 24.0, prior_requests: float = 0.0) -> Activity:
    """Volume per account and each account's share of new-model traffic within `window_hours`
    of a release (an operator may switch a day or two late; ordinary users take weeks).

    The share is shrunk towards the population's by `prior_requests` pseudo-requests: one
    request on the new model out of one is no rush, sixty out of sixty-two is."""
    tbl = store.read_table("activity", ["account_id", "hour", "model", "requests"])
    requests = np.zeros(n, np.int64)
    share = np.zeros(n, float)
    active = np.zeros(n, bool)
    if tbl.num_rows == 0:
        return Activity(requests, share, active, 0.0, {})
    acc, ok = _account_codes(tbl["account_id"], index)
    hours = _known((epoch_seconds(tbl["hour"]) // 1).astype(np.int64), ok)  # whole hours, whatever the unit
    model_dict = pc.fill_null(tbl["model"], "").combine_chunks().dictionary_encode()
    model_names = model_dict.dictionary.to_pylist()
    models = _known(model_dict.indices.to_numpy(), ok)
    req = _known(tbl["requests"].to_numpy(), ok).astype(np.int64, copy=False)
    requests = np.bincount(acc, weights=req, minlength=n).astype(np.int64)
    releases = _releases(hours, models, model_names, model_release)
    windows = []
    for m, rel in releases.items():
        near = (hours >= rel - DAY) & (hours < rel + window_hours * 3600)
        windows.append(ReleaseWindow(release=rel, account=acc[near], hour=(hours[near] - (rel - DAY)) // 3600,
                                     on_new=models[near] == m, requests=req[near]))
    if releases:
        in_window = np.zeros(len(hours), bool)
        on_new = np.zeros(len(hours), bool)
        for m, rel in releases.items():
            win = (hours >= rel) & (hours < rel + window_hours * 3600)
            in_window |= win
            on_new |= win & (models == m)
        tot = np.bincount(acc[in_window], weights=req[in_window], minlength=n)
        new = np.bincount(acc[on_new], weights=req[on_new], minlength=n)
        active = tot > 0
        pop = float(new.sum() / tot.sum()) if tot.sum() else 0.0
        share[active] = (new[active] + prior_requests * pop) / (tot[active] + prior_requests)
    else:
        pop = 0.0
    return Activity(requests, share, active, pop,
                    {model_names[m]: t for m, t in releases.items()}, float(hours.max()) + 3600.0, windows)
