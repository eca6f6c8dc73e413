"""No single point of failure: rings found by several weak signals agreeing; look-alikes left alone.

Each test holds one thing that decides: a content-free ring is found by acting in the same
seconds (and is not without it); an office team with a NAT, a card and internal templates
is not flagged beside a ring that is; sub-second times go through; a scripted company
pipeline is held back by the lifecycle gate.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from detect_graphs import RELEASE, T0, GraphBuilder

from linkage.detect import detect
from linkage.detect.ablation import Ablation
from linkage.detect.scoring import BEHAVIOURS, combine
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded


def run(g: GraphBuilder, tmp_path, **settings):
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)
    result = detect(store, load_settings(**settings))
    return [r for r in result.rings if r.status == "active"]


def content_free_ring(g: GraphBuilder, n: int = 30, ticks: bool = True) -> list[str]:
    """Burst-created, heavy, rushing to the new model, but sharing no card, IP, template or agent
    that ordinary users do not also have; a job runner fans its work out within seconds."""
    accs = [f"op-{i:03d}" for i in range(n)]
    for i, acc in enumerate(accs):
        g.account(acc, T0 - timedelta(days=2, minutes=-i), "gmail.com")
        first = T0 + timedelta(minutes=i)
        g.use(acc, "ip", f"100.64.{i}.9", 30, first)
        g.use(acc, "prompt", f"{acc}-job-{i}", 30, first)
        g.use(acc, "user_agent", "browser-1", 60, first)
        g._traffic(acc, heavy=True, shift=True)
    if ticks:
        g.job_runner(accs, jobs=300, fanout=8)
    return accs


def crowd(g: GraphBuilder, n: int = 150) -> list[str]:
    users = g.background(n)
    for u in users:
        g.use(u, "user_agent", "browser-1", 10)
        g.human_ticks(u, 40)
    return users


def test_a_ring_without_shared_content_is_found_by_synchrony(tmp_path):
    g = GraphBuilder(11)
    ring = content_free_ring(g)
    crowd(g)
    rings = run(g, tmp_path)
    assert len(rings) == 1 and set(rings[0].members) == set(ring)
    assert rings[0].components["synchrony"] == 1.0


def test_the_same_ring_without_synchrony_is_not_found(tmp_path):
    g = GraphBuilder(11)
    content_free_ring(g, ticks=False)
    crowd(g)
    assert run(g, tmp_path) == []


def test_an_office_team_is_not_flagged_beside_a_ring_that_is(tmp_path):
    g = GraphBuilder(12)
    ring = content_free_ring(g)
    crowd(g)
    team = [f"team-{i:02d}" for i in range(30)]
    for i, acc in enumerate(team):  # one NAT, one company card, internal templates, office hours
        g.legit(acc, T0 - timedelta(days=700 - 20 * i), ips=["198.51.100.7"], card="acme-card",
                domain="acme.example", org="acme")
        for t in range(3):
            g.use(acc, "prompt", f"acme-internal-{t}", 20)
        g.human_ticks(acc, 300, hours=range(8, 16))
    rings = run(g, tmp_path)
    assert [set(r.members) for r in rings] == [set(ring)]


def test_sub_second_timestamps_go_through_detection(tmp_path):
    g = GraphBuilder(13)
    ring = content_free_ring(g)
    crowd(g)
    micro = timedelta(microseconds=123_457)
    for table, col in (("account", "created_at"), ("used_ip", "first_seen"), ("sent", "first_seen")):
        for row in g.rows[table]:
            row[col] = row[col] + micro
    rings = run(g, tmp_path)
    assert [set(r.members) for r in rings] == [set(ring)]


def _comps(**on: float) -> dict[str, np.ndarray]:
    names = ("template_concentration", "synchrony", "creation_burst", "account_youth", "release_shift", "volume")
    return {k: np.array([on.get(k, 0.0)]) for k in names}


def test_a_small_scripted_pipeline_is_held_back_by_the_lifecycle_gate():
    pipeline = _comps(template_concentration=1.0, synchrony=1.0, volume=1.0)
    assert combine(pipeline, np.array([6]))[0] == 0.0
    # the same behaviour by fresh accounts, by accounts that rush a release, or by many accounts
    assert combine({**pipeline, "account_youth": np.array([1.0])}, np.array([6]))[0] == 1.0
    assert combine({**pipeline, "release_shift": np.array([1.0])}, np.array([6]))[0] == 1.0
    assert combine(pipeline, np.array([40]))[0] == 1.0


@pytest.mark.parametrize("missing", BEHAVIOURS)
def test_any_three_behaviours_make_a_ring_and_none_is_required(missing):
    names = {"creation": "creation_burst"}
    present = [names.get(b, b) for b in BEHAVIOURS if b != missing]
    full = combine(_comps(**{k: 1.0 for k in present}), np.array([40]))[0]
    two = combine(_comps(**{k: 1.0 for k in present[:2]}), np.array([40]))[0]
    assert full == 1.0 and two < full


def test_ablation_names_are_checked_and_drop_what_they_say():
    with pytest.raises(ValueError, match="unknown evidence"):
        Ablation.parse("cards,telepathy")
    a = Ablation.parse("templates, timing")
    assert a.kinds == {"prompt", "prompt_family"} and a.timing and not a.creation
    assert a.lockstep_kinds(("prompt", "ip")) == ()
    assert Ablation.parse("network").lockstep_kinds(("prompt", "ip")) == ("prompt",)


def test_release_shift_counts_within_the_configured_window(tmp_path):
    # an operator that moves two days after the release: inside 72 h, outside 24 h
    g = GraphBuilder(14)
    ring = content_free_ring(g)
    crowd(g)
    for row in g.rows["activity"]:
        if row["account_id"].startswith("op-") and row["model"] == "atlas-4" and row["hour"] < RELEASE + timedelta(days=1):
            row["hour"] = row["hour"] + timedelta(hours=30)
    release = RELEASE.isoformat()
    found = run(g, tmp_path, model_release=release)
    assert [set(r.members) for r in found] == [set(ring)] and found[0].components["release_shift"] > 0.5
    (tmp_path / "narrow").mkdir()
    narrow = run(g, tmp_path / "narrow", model_release=release, release_window_hours=24)
    assert not narrow or narrow[0].components["release_shift"] < 0.5
