"""Who pays with what: own cards, household cards, company cards, and the operators' few cards.

Card sharing is not proof on its own: households (2-5 accounts) and companies
(up to hundreds of accounts on one corporate card) share legitimately. An
operator spreads a few instruments over many accounts (one per 20-300), unless
the variant gives every ring account its own card.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.simulate.config import SPAN_END, ScenarioConfig, epoch
from linkage.simulate.identities import COUNTRY_CODES
from linkage.simulate.population import HOUR, Population

PREPAID_BINS = ["537410", "428837", "485246", "511332", "404038", "531993"]
TYPES = ["card", "virtual_card", "wallet"]


def _ts_table(col: np.ndarray) -> pa.Array:
    return pa.array(col * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def build_payments(cfg: ScenarioConfig, pop: Population, rng: np.random.Generator) -> pa.Table:
    """One row per payment event: account, instrument, time, type, BIN, card country."""
    N = pop.n
    legit = pop.op < 0
    card = np.full(N, -1, np.int64)  # instrument per account (-1: never paid)
    next_id = 0

    # households and company cards first: one instrument per group
    hh = pop.household
    hh_ids = np.unique(hh[hh >= 0])
    hh_card = np.full(int(hh.max()) + 1 if len(hh_ids) else 0, -1, np.int64)
    hh_card[hh_ids] = next_id + np.arange(len(hh_ids))
    next_id += len(hh_ids)
    pays = legit & (rng.random(N) < 0.65)
    m = (hh >= 0) & (rng.random(N) < 0.9)
    card[m] = hh_card[hh[m]]
    org = pop.org
    org_card = next_id + np.arange(pop.orgs.n)
    next_id += pop.orgs.n
    m = (org >= 0) & pop.orgs.shared_card[np.maximum(org, 0)] & (rng.random(N) < 0.9)
    card[m] = org_card[org[m]]
    own = pays & (card < 0)
    card[own] = next_id + np.arange(int(own.sum()))
    next_id += int(own.sum())

    # operators: a handful of cards each, handed out in creation order
    op_bins: list[np.ndarray] = []
    for o, c in enumerate(cfg.campaigns):
        idx = np.flatnonzero(pop.op == o)
        idx = idx[np.argsort(pop.created[idx], kind="stable")]
        n = len(idx)
        pattern = "per_account" if cfg.card_per_ring_account else cfg.tactics[o].cards
        if pattern == "pooled":
            n_cards = max(1, int(np.ceil(n / rng.integers(c.accounts_per_card[0], c.accounts_per_card[1] + 1))))
            card[idx] = next_id + (np.arange(n) * n_cards) // n
        elif pattern == "per_account":
            n_cards = n
            card[idx] = next_id + np.arange(n)
        elif pattern in ("per_head", "mixed"):
            # one card per head; "mixed": two heads in three share one, the rest a card per account
            head = pop.batch[idx]
            _, head = np.unique(head, return_inverse=True)
            shares = np.ones(int(head.max()) + 1, bool) if pattern == "per_head" else \
                rng.random(int(head.max()) + 1) < 2 / 3
            shares[0] = True  # "mixed" always has a sharing head, and a card-free one when it can
            if pattern == "mixed" and len(shares) > 1 and shares.all():
                shares[-1] = False
            per_acc = ~shares[head]
            card[idx] = np.where(per_acc, next_id + int(head.max()) + 1 + np.cumsum(per_acc) - 1, next_id + head)
            n_cards = int(head.max()) + 1 + int(per_acc.sum())
        else:  # "none": never pays
            n_cards = 0
            card[idx] = -1
        next_id += n_cards
        op_bins.append(rng.choice(len(PREPAID_BINS), size=2, replace=False))

    # per instrument: type, BIN, country
    n_inst = next_id
    inst_type = rng.choice(3, size=n_inst, p=[0.85, 0.05, 0.10])
    common_bins = rng.integers(400000, 560000, 300)
    inst_bin = np.array([str(x) for x in common_bins], dtype=object)[rng.zipf(1.3, n_inst) % 300]
    prepaid = rng.random(n_inst) < 0.03  # some legit cards are prepaid virtual cards too
    inst_bin[prepaid] = np.array(PREPAID_BINS, dtype=object)[rng.integers(0, len(PREPAID_BINS), int(prepaid.sum()))]
    inst_type[prepaid] = 1
    inst_country = np.zeros(n_inst, np.int64)
    has = card >= 0
    inst_country[card[has]] = pop.country[has]
    for o in range(len(cfg.campaigns)):
        cards = np.unique(card[pop.op == o])
        cards = cards[cards >= 0]
        inst_type[cards] = np.where(rng.random(len(cards)) < 0.7, 1, 0)
        inst_bin[cards] = np.array(PREPAID_BINS, dtype=object)[op_bins[o][rng.integers(0, 2, len(cards))]]
        inst_country[cards] = 0  # issued in the US, whatever the account claims

    # events: first payment soon after sign-up, top-ups later
    payer = np.flatnonzero(has)
    k = np.where(pop.op[payer] >= 0, rng.integers(1, 3, len(payer)), rng.integers(1, 4, len(payer)))
    acct = np.repeat(payer, k)
    start_of = np.concatenate([[0], np.cumsum(k)[:-1]])
    first = np.zeros(len(acct), bool)
    first[start_of] = True
    end = epoch(SPAN_END)
    created = pop.created[acct]
    delay = np.where(pop.op[acct] >= 0, rng.uniform(0.2, 6, len(acct)), rng.uniform(0.1, 48, len(acct))) * HOUR
    t_first = np.minimum(created + delay.astype(np.int64), end - 1)
    t_later = t_first + (rng.random(len(acct)) * np.maximum(0, end - t_first)).astype(np.int64)
    ts = np.where(first, t_first, t_later)
    inst = card[acct]
    fp_values = rng.integers(0, 1 << 62, n_inst, dtype=np.int64)
    fp = pa.array([f"{x:016x}" for x in fp_values.tolist()])
    return pa.table({
        "account_id": pc.take(pa.array(pop.account_id), pa.array(acct)),
        "instrument_fingerprint": pc.take(fp, pa.array(inst)),
        "ts": _ts_table(ts),
        "instrument_type": pc.take(pa.array(TYPES), pa.array(inst_type[inst])),
        "bin": pa.array(inst_bin[inst].tolist(), pa.string()),
        "country": pc.take(pa.array(COUNTRY_CODES), pa.array(inst_country[inst])),
    })
