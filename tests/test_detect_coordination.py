"""Account traits are no ring by themselves. The coordination gate: youth and volume describe
each account alone, so a small group of young, heavy accounts that do nothing together (a new
team on a shared NAT and card) is no ring; one behaviour the members share (templates,
synchrony, a creation burst, a release rush) opens the gate in proportion. The youth bound:
a few young members happen by chance at the population's young share, thirty do not."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect import detect
from linkage.detect.scoring import combine
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore


def comps(**values: float) -> dict[str, np.ndarray]:
    names = ("template_concentration", "synchrony", "creation_burst", "account_youth", "release_shift", "volume")
    return {k: np.array([values.get(k, 0.0)]) for k in names}


def test_young_heavy_accounts_doing_nothing_together_score_zero():
    team = comps(account_youth=1.0, volume=1.0)
    assert combine(team, np.array([4]), min_coordination=0.2)[0] == 0.0
    assert combine(team, np.array([4]), min_coordination=0.0)[0] == pytest.approx(2 / 3)  # gate off: a "ring"


def test_a_coordinated_behaviour_opens_the_gate_in_proportion_up_to_the_minimum():
    faint = comps(account_youth=1.0, volume=1.0, creation_burst=0.1)
    assert combine(faint, np.array([4]), 0.2)[0] == pytest.approx((1 + 1) / 3 * 0.5)  # creation: max(burst, youth)
    templated = comps(account_youth=1.0, volume=1.0, template_concentration=0.3)
    assert combine(templated, np.array([4]), 0.2)[0] == pytest.approx((1 + 1 + 0.3) / 3)
    rushing = comps(account_youth=1.0, volume=1.0, release_shift=0.25)
    assert combine(rushing, np.array([4]), 0.2)[0] == pytest.approx((1 + 1 + 0.25) / 3)


@pytest.mark.embedded
def test_a_new_team_on_one_nat_and_card_is_not_flagged(tmp_path):
    g = GraphBuilder(31)
    g.background(150)
    team = [f"newco-{i}" for i in range(4)]
    for i, acc in enumerate(team):  # opened over a month, heavy users, sharing the office NAT and card
        g.account(acc, T0 - timedelta(days=30 - 7 * i), "newco.example", "newco")
        g.use(acc, "ip", "203.0.113.9", 50)
        g.use(acc, "payment", "newco-card", 3)
        g.use(acc, "prompt", f"{acc}-own", 20)
        g._traffic(acc, heavy=True, shift=False)
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)

    def flagged(**settings) -> list[set[str]]:  # (youth unbounded, bystanders kept: the gate alone decides)
        result = detect(store, load_settings(youth_saturation_log10p=0.0, drop_bystanders=False, **settings))
        return [set(r.members) for r in result.rings if r.status == "active"]

    assert flagged(ring_min_coordination=0.0) == [set(team)]  # young + heavy: 0.67 without the gate
    assert flagged() == []


@pytest.mark.embedded
def test_a_few_young_team_mates_are_no_surprise_and_thirty_fresh_accounts_are(tmp_path):
    g = GraphBuilder(32)
    g.background(150)  # about a quarter of them young, like the team below
    team = [f"newco-{i}" for i in range(4)]
    for i, acc in enumerate(team):  # young, heavy, one NAT, one card, one internal template
        g.account(acc, T0 - timedelta(days=30 - 7 * i), "newco.example", "newco")
        g.use(acc, "ip", "203.0.113.9", 50)
        g.use(acc, "payment", "newco-card", 3)
        g.use(acc, "prompt", "newco-internal", 20)
        g.use(acc, "prompt", f"{acc}-own", 20)
        g._traffic(acc, heavy=True, shift=False)
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)

    def rings(**settings) -> list:
        return [r for r in detect(store, load_settings(**settings)).rings if r.status == "active"]

    unbounded = rings(youth_saturation_log10p=0.0)
    assert [set(r.members) for r in unbounded] == [set(team)] and unbounded[0].components["account_youth"] == 1.0
    assert rings() == []
    big = [f"newco-{i}" for i in range(4, 34)]
    for i, acc in enumerate(big):  # thirty such accounts: youth is no chance any more
        g.account(acc, T0 - timedelta(days=30 - i % 20), "newco.example", "newco")
        g.use(acc, "ip", "203.0.113.9", 50)
        g.use(acc, "payment", "newco-card", 3)
        g.use(acc, "prompt", "newco-internal", 20)
        g._traffic(acc, heavy=True, shift=False)
    store2 = EmbeddedStore(str(tmp_path / "g2.duckdb"))
    g.write(store2)
    found = [r for r in detect(store2, load_settings()).rings if r.status == "active"]
    assert len(found) == 1 and found[0].components["account_youth"] == 1.0
