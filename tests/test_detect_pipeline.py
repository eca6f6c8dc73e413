"""The whole `detect` run on one small graph, as a scheduler and an analyst see it: every step
reported in order, counts that add up, the parameters recorded, artifacts ranked, rings that
end recorded as dissolved with what they were, and thresholds that decide what is reported."""

from __future__ import annotations

import pytest
from detect_graphs import GraphBuilder

from linkage.detect import detect
from linkage.detect.inputs import load_links
from linkage.detect.pipeline import STEPS, TOP_ARTIFACTS
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded


@pytest.fixture
def store():
    g = GraphBuilder(7)
    alpha = g.ring("alpha", 14, cards=1, templates=2)
    for row in g.rows["prompt_fingerprint"]:  # tpl-0 aims at reasoning; tpl-1 at what is not targeted
        if row["fingerprint"] == "alpha-tpl-1":
            row["capability"] = "translation"
    g.background(40)
    s = open_store(":memory:")
    g.write(s)
    s.alpha = alpha
    return s


def test_a_run_reports_its_steps_counts_and_parameters(store):
    steps: list[str] = []
    settings = load_settings(top_k=7)
    result = detect(store, settings, progress=steps.append)
    assert steps == list(STEPS)
    (ring,) = [r for r in result.rings if r.status == "active"]
    assert ring.members == sorted(store.alpha) and ring.size == 14
    counts = result.run.counts
    assert counts["accounts"] == 54 and counts["rings"] == 1 and counts["flagged_accounts"] == 14
    assert counts["communities"] >= 1 and counts["rings_consolidated"] == 0
    assert counts["links"] > counts["artifacts"] > 0 and counts["candidate_pairs"] >= counts["linked_pairs"] > 0
    assert counts["lockstep_pairs"] > 0 and counts["sync_pairs"] == -1  # no tick table rows: not tested
    assert {f"ms_{s}" for s in STEPS[:-1]} | {"ms_total"} <= set(counts)
    links = load_links(store, set())
    assert (counts["links"], counts["artifacts"]) == (len(links.account), links.n_artifacts)
    params = result.run.params
    assert params["top_k"] == 7 and params["allowlist"] is None
    assert {"ring_threshold", "min_kinds", "min_corroboration", "sync_link_alone", "consolidate",
            "release_window_hours", "young_days", "ablate"} <= set(params)
    for name, value in params.items():  # every recorded parameter is the setting the run used
        assert value == getattr(settings, name), name
    wall = (result.run.finished_at - result.run.started_at).total_seconds()
    assert 0 <= result.run.duration_s <= wall + 0.05 and result.run.duration_s >= wall - 0.5
    assert ring.components["account_youth"] == 1.0  # created days before the data: young_days counts
    assert [m.account_id for m in result.members] == ring.members
    assert {m.ring_id for m in result.members} == {ring.ring_id} and result.members[0].score == ring.score
    assert [(c.ring_id, c.change) for c in result.changes] == [(ring.ring_id, "new")]
    assert store.rings()[0].ring_id == ring.ring_id  # saved


def test_a_rings_artifacts_are_what_two_members_share_most_specific_first(store):
    (ring,) = [r for r in detect(store, load_settings()).rings if r.status == "active"]
    arts = {(a.kind, a.artifact): a for a in ring.artifacts}
    assert arts[("payment", "alpha-card-0")].members == 14
    assert arts[("prompt", "alpha-tpl-0")].members == 14 and arts[("prompt", "alpha-tpl-1")].members == 14
    assert all(a.members >= 2 for a in ring.artifacts) and len(ring.artifacts) <= TOP_ARTIFACTS
    order = [(-a.specificity, -a.members) for a in ring.artifacts]
    assert order == sorted(order)
    assert ("user_agent", "python-requests/2.31") in arts  # shared by the ring only, so it counts
    assert ring.components["capability_targeting"] == pytest.approx(0.5, abs=1e-3)  # tpl-0 reasoning, tpl-1 not


def test_the_threshold_decides_what_is_reported(store):
    found = detect(store, load_settings())
    (ring,) = [r for r in found.rings if r.status == "active"]
    just = detect(store, load_settings(ring_threshold=ring.score))
    assert [r.ring_id for r in just.rings if r.status == "active"] == [ring.ring_id]
    above = detect(store, load_settings(ring_threshold=ring.score + 0.001))
    assert [(r.ring_id, r.status, r.size) for r in above.rings] == [(ring.ring_id, "dissolved", 0)]
    dissolved = above.rings[0]
    assert dissolved.score == ring.score and dissolved.components == ring.components
    assert dissolved.created_run == found.run.run_id and dissolved.updated_run == above.run.run_id
    assert [(c.change, c.detail) for c in above.changes] == [("dissolved", {"before": 14})]
    assert above.members == [] and above.run.counts["rings"] == 0


def test_a_ring_found_again_keeps_its_id_and_first_run(store):
    first = detect(store, load_settings())
    second = detect(store, load_settings())
    (a,), (b,) = ([r for r in x.rings if r.status == "active"] for x in (first, second))
    assert (b.ring_id, b.created_run, b.updated_run) == (a.ring_id, first.run.run_id, second.run.run_id)
    assert [c.change for c in second.changes] == ["stable"]
    assert first.run.run_id != second.run.run_id and first.run.run_id.startswith("run_")


def test_a_store_with_tick_data_is_tested_for_synchrony_and_an_allowlist_file_is_recorded(store, tmp_path):
    g = GraphBuilder(8)
    for acc in store.alpha[:3]:
        g.human_ticks(acc, 10)
    g.write(store)
    allow = tmp_path / "allow.txt"
    allow.write_text("ip:192.0.2.1\n")
    result = detect(store, load_settings(allowlist=allow))
    assert result.run.counts["sync_pairs"] == 0  # tested, nothing in synchrony (not -1: untested)
    assert result.run.params["allowlist"] == str(allow)
    assert [r.members for r in result.rings if r.status == "active"] == [sorted(store.alpha)]


def test_ablating_every_kind_of_evidence_finds_nothing(store):
    result = detect(store, load_settings(ablate="cards,templates,network,timing,creation,release"))
    assert [r for r in result.rings if r.status == "active"] == []
    assert result.run.counts["lockstep_pairs"] == 0 and result.run.params["ablate"].startswith("cards")


def test_a_ring_reports_its_top_artifacts_only():
    g = GraphBuilder(9)
    wide = g.ring("wide", 12, templates=TOP_ARTIFACTS + 5)
    g.background(30)
    s = open_store(":memory:")
    g.write(s)
    (ring,) = [r for r in detect(s, load_settings()).rings if r.status == "active"]
    assert ring.members == sorted(wide) and len(ring.artifacts) == TOP_ARTIFACTS
