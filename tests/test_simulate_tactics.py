"""The operators' tactic space: each operator's data shows the tactics drawn for it.

Checks are on the data (seconds, IPs, cards), not on what the detector rewards.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from linkage.simulate import simulate
from linkage.simulate.config import build_config
from linkage.simulate.tactics import CARD_PATTERNS, DISPATCH, PROXY_MODES, draw_tactics, unavoidable

TINY = 0.002


def _seed_with(pred) -> tuple[int, int]:
    """First seed whose drawn config has an operator matching `pred`; (seed, operator index)."""
    for seed in range(1, 200):
        for o, t in enumerate(build_config(TINY, seed, "drawn").tactics):
            if pred(t):
                return seed, o
    raise AssertionError("no seed draws that tactic")


def _requests(out: Path, ring: str) -> list[tuple]:
    con = duckdb.connect()
    return con.sql(f"""SELECT epoch_us(ts) / 1e6 AS t, account_id, ip FROM read_parquet('{out}/requests.parquet')
        JOIN read_csv('{out}/truth.csv', all_varchar=true) USING (account_id) WHERE ring_id = '{ring}'""").fetchall()


def test_draws_cover_the_space_and_always_leave_three_kinds_of_evidence():
    rng = np.random.default_rng(0)
    draws = [draw_tactics(rng, 500) for _ in range(300)]
    assert {t.proxy for t in draws} == set(PROXY_MODES)
    assert {t.cards for t in draws} == set(CARD_PATTERNS)
    assert {t.dispatch for t in draws} == set(DISPATCH)
    assert all(len(unavoidable(t)) >= 3 for t in draws)
    assert build_config(TINY, 3, "drawn").tactics != build_config(TINY, 4, "drawn").tactics


def test_a_round_robin_operator_fires_many_accounts_within_seconds(tmp_path):
    seed, o = _seed_with(lambda t: t.dispatch == "round_robin" and t.cover == 0)
    simulate(tmp_path, scale=TINY, seed=seed, variant="drawn")
    rows = _requests(tmp_path, f"ring-{o + 1}")
    t = np.array([r[0] for r in rows])
    acc = np.array([r[1] for r in rows])
    assert (t % 1 != 0).any(), "sub-second times"
    bucket = np.floor(t / 4).astype(np.int64)
    pairs = {(b, a) for b, a in zip(bucket.tolist(), acc.tolist())}
    per_bucket = np.bincount(np.unique([b for b, _ in pairs], return_inverse=True)[1])
    assert (per_bucket >= 8).sum() >= 20  # jobs: 8+ accounts in one 4-second bucket, many times


@pytest.mark.parametrize("mode", ["sticky", "shared_pool"])
def test_proxy_modes_show_in_the_ips_each_account_uses(tmp_path, mode):
    seed, o = _seed_with(lambda t: t.proxy == mode and t.cover == 0)
    simulate(tmp_path, scale=TINY, seed=seed, variant="drawn")
    rows = _requests(tmp_path, f"ring-{o + 1}")
    ips: dict[str, set[str]] = {}
    n: dict[str, int] = {}
    for _, a, ip in rows:
        ips.setdefault(a, set()).add(ip)
        n[a] = n.get(a, 0) + 1
    if mode == "sticky":  # each account keeps its own 1-3 exits
        assert max(len(v) for v in ips.values()) <= 3
    else:  # a fresh exit of a big public pool nearly every request
        assert np.median([len(ips[a]) / n[a] for a in ips]) > 0.8
    scenario = json.loads((tmp_path / "scenario.json").read_text())
    assert f"proxy={mode}" in scenario["tactics"][o]


def _family_shares(out: Path, ring: str) -> np.ndarray:
    """Share of the ring's requests in each prompt family (near-duplicate families, as ingest finds them)."""
    from linkage.ingest.families import assign_families

    con = duckdb.connect()
    texts = [r[0] for r in con.sql(f"""SELECT prompt FROM read_parquet('{out}/requests.parquet')
        JOIN read_csv('{out}/truth.csv', all_varchar=true) USING (account_id) WHERE ring_id = '{ring}'""").fetchall()]
    _, counts = np.unique(assign_families(texts), return_counts=True)
    return np.sort(counts)[::-1] / len(texts)


@pytest.mark.parametrize("scope", ["one_job", "per_head", "operator"])
def test_template_scope_shows_in_the_prompt_families_an_operator_sends(tmp_path, scope):
    seed, o = _seed_with(lambda t: t.templates == scope and t.cover == 0 and t.heads >= 2)
    simulate(tmp_path, scale=TINY, seed=seed, variant="drawn")
    shares = _family_shares(tmp_path, f"ring-{o + 1}")
    if scope == "one_job":  # one job template, every head: one family
        assert shares[0] > 0.95
    elif scope == "per_head":  # the job template on half the traffic, each head's own on the rest
        assert 0.35 < shares[0] < 0.65 and len(shares) >= 3
    else:  # every head draws from the whole bank
        assert shares[0] < 0.35
    assert f"templates={scope}" in json.loads((tmp_path / "scenario.json").read_text())["tactics"][o]
