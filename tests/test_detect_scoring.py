"""Each score component on a handful of accounts, counted by hand.

`score_communities` gets integer-coded inputs built in a few lines (tests/detect_arrays.py);
every input holds one case on each side of the rule's boundary (a member exactly
`burst_minutes` after another, a template sent by exactly the required number of members,
an artifact exactly half used by the community), so that flipping a comparison, dropping a
filter or changing a constant changes the expected number.
"""

from __future__ import annotations

import numpy as np
import pytest
from detect_arrays import NO_LOCK, Net, df_of, no_pairs, pairs, quiet_activity, sync_pairs

from linkage.detect.scoring import combine, score_communities
from linkage.detect.specificity import FAMILIES, TIMING
from linkage.detect.synchrony import SyncPairs
from linkage.detect.temporal import Activity

DAY = 86_400.0
NETWORK = FAMILIES.index("network")


def score(labels: list[int], net: Net | None = None, pw=None, linked=None, lock=NO_LOCK, created=None,
          act: Activity | None = None, capable: set[str] = frozenset(), burst: float = 3600.0,
          sync: SyncPairs | None = None, young: float = 120 * DAY, lock_min: int = 3) -> list[dict[str, float]]:
    lab = np.array(labels, np.int64)
    n = len(lab)
    links = (net or Net(n)).links()
    pw = pw if pw is not None else no_pairs()
    linked = linked if linked is not None else np.ones(len(pw.a), bool)
    created = np.array(created, float) if created is not None else np.full(n, -1.0)
    capability = np.isin(links.artifact_value.astype(str), list(capable)) if capable else \
        np.zeros(links.n_artifacts, bool)
    return score_communities(lab, links, df_of(links), pw, linked, lock, lock_min, created,
                             act or quiet_activity(n), capability, burst, sync, young)


# ---- evidence kinds --------------------------------------------------------------------------

def test_evidence_kinds_count_families_whose_linked_intra_pairs_touch_three_tenths_of_members():
    labels = [0] * 10 + [-1]
    weights = {
        (0, 1): {"network": 1.0, "payment": 1.0}, (1, 2): {"network": 1.0, "payment": 1.0},  # 3 of 10: counts
        (3, 4): {"email": 1.0},                                    # 2 of 10: too few
        (5, 10): {"prompt": 1.0}, (6, 10): {"prompt": 1.0}, (7, 10): {"prompt": 1.0},  # to an outsider
        (6, 7): {"device": 0.04}, (7, 8): {"device": 0.04}, (8, 9): {"device": 0.04},  # below KIND_MIN
        (2, 3): {"email": 0.05}, (3, 9): {"email": 0.05},         # exactly KIND_MIN: 2, 3, 4, 9 with email
        (0, 5): {"timing": 1.0}, (5, 6): {"timing": 1.0}, (6, 9): {"timing": 1.0},  # not linked
    }
    pw = pairs(weights)
    keys = sorted(weights)
    linked = np.array(["timing" not in weights[k] for k in keys])
    (row,) = score(labels, pw=pw, linked=linked)
    assert row["evidence_kinds"] == pytest.approx(2 / 3, abs=1e-4)  # three families: (3 - 1) / 3


def test_evidence_kinds_run_from_zero_at_one_family_to_one_at_four_or_more():
    chain = [(0, 1), (1, 2)]
    one = pairs({p: {"payment": 1.0} for p in chain})
    five = pairs({p: {f: 1.0 for f in FAMILIES[:5]} for p in chain})
    three = pairs({p: {f: 1.0 for f in FAMILIES[:3]} for p in chain})
    assert score([0, 0, 0], pw=one)[0]["evidence_kinds"] == 0.0
    assert score([0, 0, 0])[0]["evidence_kinds"] == 0.0  # no family at all: not below zero
    assert score([0, 0, 0], pw=three)[0]["evidence_kinds"] == pytest.approx(2 / 3, abs=1e-4)
    assert score([0, 0, 0], pw=five)[0]["evidence_kinds"] == 1.0


# ---- exclusivity -----------------------------------------------------------------------------

def test_exclusivity_weighs_each_shared_artifact_by_the_members_using_it():
    members, outsiders = range(4), range(4, 8)
    net = (Net(8).use(members, "ip", "half-inside").use(outsiders, "ip", "half-inside")  # 4 of its 8 users
           .use([0, 1], "payment", "only-inside")                                      # 2 of its 2 users
           .use([0, 4], "prompt", "one-member"))                                       # one member: not shared
    (row,) = score([0] * 4 + [-1] * 4, net)
    assert row["exclusivity"] == pytest.approx((4 * 0.5 + 2 * 1.0) / (4 + 2), abs=1e-4)


def test_a_community_sharing_nothing_has_no_exclusivity():
    net = Net(3).use([0], "ip", "a").use([1], "ip", "b")
    assert score([0, 0, 0], net)[0]["exclusivity"] == 0.0


# ---- template concentration and capability targeting ----------------------------------------

def test_template_concentration_is_the_share_of_prompt_traffic_on_the_communitys_templates():
    net = Net(17)
    members = range(10)
    net.use([0, 1, 2], "prompt", "tpl", 40)                            # 3 members (the minimum): a template
    for m in members:
        net.use([m], "prompt", f"own-{m}", 10)                         # one member each
    net.use([3, 4], "prompt", "pair", 50)                              # 2 members: too few
    net.use([5, 6, 7], "prompt", "public", 30).use(range(10, 14), "prompt", "public", 1)  # 3 of 7 users
    net.use([7, 8, 9], "prompt", "half", 20).use(range(14, 17), "prompt", "half", 1)      # 3 of 6: enough
    net.use(members, "ip", "exit", 1000)                               # not prompt traffic at all
    (row,) = score([0] * 10 + [-1] * 7, net, capable={"tpl", "public"})
    total = 3 * 40 + 10 * 10 + 2 * 50 + 3 * 30 + 3 * 20
    assert row["template_concentration"] == pytest.approx((3 * 40 + 3 * 20) / total, abs=1e-4)
    assert row["capability_targeting"] == pytest.approx(120 / 180, abs=1e-4)  # tpl, not public


def test_a_big_community_needs_a_tenth_of_its_members_on_a_template():
    net = Net(40)
    net.use(range(4), "prompt", "four", 10).use(range(4, 7), "prompt", "three", 10)
    for m in range(40):
        net.use([m], "prompt", f"own-{m}", 1)
    (row,) = score([0] * 40, net)
    assert row["template_concentration"] == pytest.approx(40 / (40 + 30 + 40), abs=1e-4)  # 4 >= 40/10 > 3


def test_a_near_duplicate_family_counts_when_it_concentrates_more_than_exact_prompts():
    net = Net(10)
    for m in range(10):
        net.use([m], "prompt", f"own-{m}", 10)
    net.use([0, 1, 2], "prompt", "tpl", 10)
    exact_only = score([0] * 10, net, capable={"tpl"})[0]
    assert exact_only["template_concentration"] == pytest.approx(30 / 130, abs=1e-4)
    assert exact_only["capability_targeting"] == 1.0
    net.use(range(10), "prompt_family", "fam", 10)  # one template, its fill-ins vary
    with_family = score([0] * 10, net, capable={"tpl"})[0]
    assert with_family["template_concentration"] == 1.0
    assert with_family["capability_targeting"] == 0.0  # the family's traffic, which is not capability-tagged


# ---- synchrony -------------------------------------------------------------------------------

def test_without_tick_data_lockstep_on_a_prompt_counts_from_the_minimum_windows():
    la, lb = np.array([0, 2, 4, 6]), np.array([1, 3, 5, 10])
    windows = np.array([3, 2, 5, 9])
    family = np.array([TIMING, TIMING, NETWORK, TIMING])
    (row,) = score([0] * 10 + [-1], lock=(la, lb, windows, family))
    assert row["synchrony"] == pytest.approx(2 / 10)  # only 0-1: 2-3 too few windows, 4-5 an IP, 6 with an outsider


def test_with_tick_data_only_synchrony_pairs_count_and_lockstep_does_not():
    lock = (np.array([6]), np.array([7]), np.array([9]), np.array([TIMING]))
    (row,) = score([0] * 10 + [-1], lock=lock, sync=sync_pairs([(0, 1), (2, 3), (4, 10)]))
    assert row["synchrony"] == pytest.approx(4 / 10)
    (none,) = score([0] * 10 + [-1], lock=lock, sync=SyncPairs.empty())
    assert none["synchrony"] == 0.0


# ---- creation burst and youth ----------------------------------------------------------------

def test_creation_burst_counts_members_created_within_the_burst_of_another_member():
    labels = [0, 0, 0, 0, 1, 1, -1]
    created = [0.0, 3600.0, 10_000.0, -1.0,  # 0-1 exactly one burst apart; 2 alone; 3 unknown
               10_001.0, 50_000.0,          # the other community's: next to 2 in time, not in community
               10_002.0]                    # an outsider, next to 2 as well
    rows = score(labels, created=created, burst=3600.0)
    assert rows[0]["creation_burst"] == pytest.approx(2 / 3, abs=1e-4)  # of the 3 with a known creation
    assert rows[1]["creation_burst"] == 0.0


def test_account_youth_rises_from_half_the_members_young_to_nine_tenths():
    end, young = 200 * DAY, 120 * DAY
    threshold = end - young
    labels = [0] * 10 + [1] * 10 + [2] * 10
    created = ([threshold + DAY] * 9 + [DAY]                          # 9 of 10 young
               + [threshold] + [threshold + DAY] * 6 + [DAY] * 3      # 7 of 10, one exactly at the limit
               + [threshold + DAY] * 5 + [threshold - 1.0] * 5)       # 5 of 10
    act = quiet_activity(30, span_end=end)
    rows = score(labels, created=created, act=act, young=young)
    assert [r["account_youth"] for r in rows] == pytest.approx([1.0, 0.5, 0.0], abs=1e-4)


# ---- volume and release shift ----------------------------------------------------------------

def test_volume_is_the_members_median_against_the_median_active_account_on_a_log_scale():
    labels = [0] * 5 + [1] * 3 + [-1] * 15 + [-1] * 20
    requests = np.array([20, 30, 50, 60, 70] + [1, 2, 3] + [10] * 15 + [0] * 20, np.int64)
    act = quiet_activity(len(labels))
    act.requests = requests
    rows = score(labels, act=act)
    # the population median counts active accounts only: 10 (with the idle ones it would be 5)
    assert rows[0]["volume"] == pytest.approx(np.log10(50 / 10), abs=1e-4)
    assert rows[1]["volume"] == 0.0  # a quieter community than the population


def test_release_shift_is_the_active_members_rush_to_the_new_model_beyond_the_population():
    labels = [0] * 10 + [1] * 3 + [2] * 3 + [-1] * 4
    n = len(labels)
    share = np.array([0.4] * 8 + [0.0] * 2 + [0.9] * 3 + [0.1] * 3 + [0.0] * 4)
    active = np.array([True] * 8 + [False] * 2 + [False] * 3 + [True] * 3 + [True] * 4)
    act = Activity(np.zeros(n, np.int64), share, active, 0.2, {"atlas-4": 0})
    rows = score(labels, act=act)
    assert rows[0]["release_shift"] == pytest.approx(2 * (0.4 - 0.2) / (1 - 0.2), abs=1e-4)  # the 8 active
    assert rows[1]["release_shift"] == 0.0  # nobody active in a release window
    assert rows[2]["release_shift"] == 0.0  # below the population's share


# ---- the score -------------------------------------------------------------------------------

def comps(**values: float) -> dict[str, np.ndarray]:
    names = ("template_concentration", "synchrony", "creation_burst", "account_youth", "release_shift", "volume")
    return {k: np.array([values.get(k, 0.0)]) for k in names}


def test_the_score_is_the_mean_of_the_three_strongest_behaviours_times_the_lifecycle_gate():
    c = comps(template_concentration=0.9, synchrony=0.6, creation_burst=0.3, volume=0.2)
    top3 = (0.9 + 0.6 + 0.3) / 3
    assert combine(c, np.array([30]))[0] == pytest.approx(top3)          # scale gate open at 30 members
    assert combine(c, np.array([20]))[0] == pytest.approx(top3 * 0.5)    # half open at 20
    assert combine(c, np.array([5]))[0] == pytest.approx(top3 * 0.3)     # shut: creation (0.3) gates
    younger = {**c, "account_youth": np.array([0.4])}                   # creation = max(burst, youth)
    assert combine(younger, np.array([5]))[0] == pytest.approx((0.9 + 0.6 + 0.4) / 3 * 0.4)
    rushing = {**c, "release_shift": np.array([0.8])}
    assert combine(rushing, np.array([5]))[0] == pytest.approx((0.9 + 0.8 + 0.6) / 3 * 0.8)


def test_score_communities_reports_every_component_and_the_combined_score():
    net = Net(12)
    for m in range(12):
        net.use([m], "prompt", f"own-{m}", 1)
    net.use(range(12), "prompt", "tpl", 11)
    rows = score([0] * 12, net, created=[0.0] * 12, sync=sync_pairs([(i, i + 1) for i in range(0, 12, 2)]))
    assert set(rows[0]) == {"evidence_kinds", "exclusivity", "template_concentration", "capability_targeting",
                            "synchrony", "creation_burst", "account_youth", "volume", "release_shift", "score"}
    # template 132/144, synchrony 1, creation 1 (all at once, all young at span end 0): gate 1
    assert rows[0]["score"] == pytest.approx((132 / 144 + 1 + 1) / 3, abs=1e-4)
    assert score([-1, -1], Net(2)) == []
