"""Consolidation's weak rule: heads of one operator that share only one job template join when
other independent things agree (creation window, release switch, another family's content);
one coincidence never does, and timing without shared content never does."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from detect_graphs import RELEASE, T0, GraphBuilder

from linkage.detect import detect
from linkage.detect.agreement import AgreementParams, RingTiming, _switch_support, timing_agreements
from linkage.detect.synchrony import SyncPairs
from linkage.detect.temporal import ReleaseWindow
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded
COMMON_SDK = "openai-python/1.30"  # ordinary integrators send it too


def run(g: GraphBuilder, path, **settings) -> list[set[str]]:
    path.mkdir(exist_ok=True)
    store = EmbeddedStore(str(path / "g.duckdb"))
    g.write(store)
    result = detect(store, load_settings(**settings))
    return sorted((set(r.members) for r in result.rings if r.status == "active"), key=lambda m: min(m))


def head(g: GraphBuilder, name: str, created: datetime, switch_hours: float, job: str = "job-tpl",
         agent: str = COMMON_SDK, n: int = 30, job_requests: int = 40) -> list[str]:
    """One head: its own card, exits and three own templates (40 requests each per account),
    plus the job template (`job_requests`); it moves to the new model `switch_hours` after the
    release, every account in the same hour."""
    accs = [f"{name}-{i:03d}" for i in range(n)]
    own = [f"{name}-tpl-{t}" for t in range(3)]
    net = sum(map(ord, name)) % 200
    exits = [f"10.{net}.0.{i}" for i in range(15)]
    switch = RELEASE + timedelta(hours=switch_hours)
    for i, acc in enumerate(accs):
        g.account(acc, created + timedelta(minutes=i), f"{name}-mail.example")
        first = T0 + timedelta(minutes=i)
        g.use(acc, "payment", f"{name}-card", 1, first)
        g.use(acc, "prompt", job, job_requests, first)
        for t in own:
            g.use(acc, "prompt", t, 40, first)
        for ip in g.rng.choice(exits, size=3, replace=False):
            g.use(acc, "ip", str(ip), 10, first)
        g.use(acc, "user_agent", agent, 120, first)
        for d in (2, 8, 13):
            g.active(acc, T0 + timedelta(days=d, hours=int(g.rng.integers(0, 24))), "atlas-3", 30)
        for h in range(-20, 60, 2):  # busy every other hour: the switch is pinned to the hour
            when = switch + timedelta(hours=h)
            g.active(acc, when, "atlas-4" if h >= 0 else "atlas-3", 10)
        for w in range(6):  # lockstep inside the head's own sessions only
            g.window("prompt", own[w % 3], created + timedelta(days=4, hours=3 * w), acc, 4)
    for k, t in enumerate(own):
        g.capability(t, ("reasoning", "coding", "tool_use")[k])
    g.capability(job, "tool_use")
    return accs


def world(seed: int) -> GraphBuilder:
    g = GraphBuilder(seed)
    for acc in g.background(200)[:100]:
        g.use(acc, "user_agent", COMMON_SDK, 5)
    return g


def test_heads_sharing_one_job_template_join_when_creation_and_switch_agree(tmp_path):
    g = world(21)
    one = head(g, "opx-h1", T0 - timedelta(days=3), 6)
    two = head(g, "opx-h2", T0 - timedelta(days=1), 6)
    assert run(g, tmp_path / "strict", consolidate_min_agreements=0) == [set(one), set(two)]
    assert run(g, tmp_path / "on") == [set(one) | set(two)]
    # the release ablation leaves consolidation no switch to compare either
    assert run(g, tmp_path / "no-release", ablate="release") == [set(one), set(two)]


def test_a_switch_a_day_apart_leaves_template_and_creation_one_agreement_short(tmp_path):
    g = world(22)
    one = head(g, "opx-h1", T0 - timedelta(days=3), 6)
    two = head(g, "opx-h2", T0 - timedelta(days=1), 30)
    assert run(g, tmp_path / "on") == [set(one), set(two)]


def test_heads_created_weeks_apart_join_only_when_another_family_agrees(tmp_path):
    g = world(23)
    one = head(g, "opx-h1", T0 - timedelta(days=3), 6)
    two = head(g, "opx-h2", T0 + timedelta(days=17), 6)
    assert run(g, tmp_path / "apart") == [set(one), set(two)]  # template + switch: one agreement short
    g = world(23)
    # the operator's own agent build on both heads, which agree on nothing in time
    one = head(g, "opx-h1", T0 - timedelta(days=3), 6, agent="opx-build/0.9")
    two = head(g, "opx-h2", T0 + timedelta(days=17), 30, agent="opx-build/0.9")
    assert run(g, tmp_path / "own-build") == [set(one) | set(two)]
    assert run(g, tmp_path / "three", consolidate_min_families=3) == [set(one), set(two)]


def test_heads_spending_most_of_their_work_on_one_private_job_join_without_agreements(tmp_path):
    g = world(28)
    # created three weeks apart, switching a day apart: nothing in time agrees; but the job
    # template carries 200 / 320 of each head's own template traffic (the job rule, 0.4)
    one = head(g, "opx-h1", T0 - timedelta(days=3), 6, job_requests=200)
    two = head(g, "opx-h2", T0 + timedelta(days=17), 30, job_requests=200)
    assert run(g, tmp_path / "on") == [set(one) | set(two)]
    assert run(g, tmp_path / "off", consolidate_job_share=2.0) == [set(one), set(two)]
    assert run(g, tmp_path / "higher", consolidate_job_share=0.7) == [set(one), set(two)]


def test_a_job_that_is_one_rings_bulk_and_the_others_side_line_does_not_merge(tmp_path):
    g = world(29)
    # the same template: 200 / 320 of one head's traffic, 40 / 160 of the other's (a leak)
    one = head(g, "opx-h1", T0 - timedelta(days=3), 6, job_requests=200)
    two = head(g, "opx-h2", T0 + timedelta(days=17), 30, job_requests=40)
    assert run(g, tmp_path / "on") == [set(one), set(two)]
    assert run(g, tmp_path / "lower", consolidate_job_share=0.2) == [set(one) | set(two)]


def test_timing_without_shared_content_never_merges(tmp_path):
    g = world(24)
    one = head(g, "alpha", T0 - timedelta(days=3), 6, job="alpha-job")
    two = head(g, "beta", T0 - timedelta(days=2), 6, job="beta-job")
    assert run(g, tmp_path / "loose", consolidate_min_agreements=1) == [set(one), set(two)]


def test_an_agent_only_the_rings_use_corroborates_but_never_anchors(tmp_path):
    g = world(26)
    # created the same week, one switch hour, one rare agent: but no template or card in common
    one = head(g, "alpha", T0 - timedelta(days=3), 6, job="alpha-job", agent="rare-build/1.0")
    two = head(g, "beta", T0 - timedelta(days=2), 6, job="beta-job", agent="rare-build/1.0")
    assert run(g, tmp_path / "on") == [set(one), set(two)]


def test_a_stray_card_a_few_members_of_each_share_is_no_anchor(tmp_path):
    g = world(27)
    one = head(g, "alpha", T0 - timedelta(days=3), 6, job="alpha-job")
    two = head(g, "beta", T0 - timedelta(days=2), 6, job="beta-job")
    for acc in one[:3] + two[:3]:  # same week, same switch hour, and one gift card 3 + 3 used
        g.use(acc, "payment", "stray-gift-card", 1)
    assert run(g, tmp_path / "on") == [set(one), set(two)]
    assert run(g, tmp_path / "any-use", consolidate_weak_share=0.05) == [set(one) | set(two)]


def _window(rows: list[tuple[int, int, bool, int]]) -> ReleaseWindow:
    acc, hour, new, req = (np.array(c) for c in zip(*rows))
    return ReleaseWindow(release=0, account=acc.astype(np.int64), hour=hour.astype(np.int64),
                         on_new=new.astype(bool), requests=req.astype(np.int64))


P = AgreementParams()


def test_a_busy_ring_pins_its_switch_and_a_sparse_one_gets_the_whole_gap():
    busy = [(0, h, h >= 30, 10) for h in range(0, 90)]
    sparse = [(1, 10, False, 50), (1, 11, False, 50), (1, 40, True, 50), (1, 41, True, 50)]
    lo, hi = _switch_support(np.array([0, 1]), 2, _window(busy + sparse), P)
    assert lo[0] <= 30 <= hi[0] and hi[0] - lo[0] <= 2
    assert (lo[1], hi[1]) == (12, 40)  # any hour after the last old one up to the first new one


def test_cover_traffic_does_not_hide_a_rush_and_gradual_adoption_is_none():
    cover = [(0, h, True, 4) for h in range(0, 90)] + [(0, h, h >= 50, 6) for h in range(0, 90)]
    gradual = [(1, h, True, 1 + h // 10) for h in range(0, 90)] + [(1, h, False, 10) for h in range(0, 90)]
    lo, hi = _switch_support(np.array([0, 1]), 2, _window(cover + gradual), P)
    assert lo[0] <= 50 <= hi[0]
    assert lo[1] == -1  # its share creeps up (0.09 -> 0.47): ordinary adoption, no rush


def test_three_synchrony_pairs_across_two_rings_count_as_acting_together():
    labels = np.array([0] * 5 + [1] * 5 + [2] * 5)
    timing = RingTiming(np.full(3, np.nan), np.full(3, np.nan), [], [])

    def together(pairs: list[tuple[int, int]]) -> list[bool]:
        a, b = (np.array(x, np.int64) for x in zip(*pairs))
        sync = SyncPairs(a=a, b=b, shared=np.full(len(a), 9), expected=np.ones(len(a)),
                         weight=np.ones(len(a), np.float32))
        return timing_agreements(np.array([0, 0]), np.array([1, 2]), timing, labels, sync, P)["synchrony"].tolist()

    assert together([(0, 5), (1, 6), (2, 7), (3, 10), (11, 4)]) == [True, False]
    assert together([(0, 5), (1, 6), (12, 3)]) == [False, False]


def test_a_few_requests_on_a_new_model_are_no_rush_sixty_are(tmp_path):
    from linkage.detect.temporal import activity

    g = GraphBuilder(25)
    g.background(50)  # the population: old model, a little new-model traffic days later
    g.active("one-off", RELEASE + timedelta(hours=3), "atlas-4", 1)  # one request, on the new model
    g.active("rusher", RELEASE + timedelta(hours=1), "atlas-3", 2)
    g.active("rusher", RELEASE + timedelta(hours=3), "atlas-4", 60)
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)
    index = {a: i for i, a in enumerate(sorted({r["account_id"] for r in g.rows["activity"]}))}
    raw = activity(store, index, len(index), None, 72, prior_requests=0)
    shrunk = activity(store, index, len(index), None, 72, prior_requests=5)
    one, rusher = index["one-off"], index["rusher"]
    assert raw.release_share[one] == 1.0
    assert shrunk.release_share[one] < 0.5 < 0.85 < shrunk.release_share[rusher]
    # and the release window rows consolidation reads, in hours from a day before the release
    # (inferred: the new model's first hour, RELEASE + 3 h)
    w = shrunk.windows[0]
    assert set(w.hour[w.account == rusher].tolist()) == {22, 24}
