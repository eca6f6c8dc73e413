"""Linked is not enough: a ring member must act with the ring. An ordinary customer on the
ring's proxy exits who once in a while sends a prompt the ring's members send too is linked
to its accounts (network and prompts agree), but does none of what the ring does together:
the ring's templates are a stray few of its own prompts, it is not in synchrony, old, light."""

from __future__ import annotations

from datetime import timedelta

import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect import detect
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded


def world(tmp_path, bystander_templates: int = 0):
    g = GraphBuilder(51)
    g.background(100)
    ring = g.ring("opb", 12, cards=1)
    pool = [f"10.{sum(map(ord, 'opb')) % 200}.0.{i}" for i in range(6)]
    for acc in ring:
        g.use(acc, "prompt", "popular-phrasing", 2)
    g.legit("bystander", T0 - timedelta(days=500), ips=pool)
    g.use("bystander", "prompt", "popular-phrasing", 3)
    g.use("bystander", "prompt", "bystander-diary", 60)  # 3 of its 79 prompts on the ring's: under a tenth
    if bystander_templates:  # the same customer, but sending the ring's template on its own prompts
        g.use("bystander", "prompt", "opb-tpl-0", bystander_templates)
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)
    return store, ring


def flagged(store, **settings) -> list[set[str]]:
    return [set(r.members) for r in detect(store, load_settings(**settings)).rings if r.status == "active"]


def test_a_customer_linked_to_a_ring_but_acting_like_none_of_it_is_dropped(tmp_path):
    store, ring = world(tmp_path)
    assert flagged(store, drop_bystanders=False) == [set(ring) | {"bystander"}]
    assert flagged(store) == [set(ring)]


def test_a_member_sending_the_rings_template_on_a_real_share_of_its_prompts_stays(tmp_path):
    store, ring = world(tmp_path, bystander_templates=20)  # 23 of its 99 prompts: over a tenth
    assert flagged(store) == [set(ring) | {"bystander"}]


def test_a_ring_whose_every_member_is_a_bystander_is_no_ring(tmp_path):
    g = GraphBuilder(52)
    g.background(100)
    team = [f"newco-{i}" for i in range(4)]
    for i, acc in enumerate(team):  # linked (one NAT, one card), but nothing done together, old, light
        g.legit(acc, T0 - timedelta(days=700 - 30 * i), ips=["203.0.113.9"], card="newco-card")
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)
    # scored as a ring only with every gate open; then all four are bystanders
    loose = dict(ring_threshold=0.0, ring_min_coordination=0.0, youth_saturation_log10p=0.0)
    assert flagged(store, drop_bystanders=False, **loose) == [set(team)]
    assert flagged(store, **loose) == []
