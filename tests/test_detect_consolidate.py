"""Consolidation: cohorts of one operator become one ring; two operators never do."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect import detect
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded


def run(g: GraphBuilder, path, counts: dict | None = None, **settings) -> list[set[str]]:
    """Rings (member sets) detect finds; `counts` receives the run's counts."""
    path.mkdir(exist_ok=True)
    store = EmbeddedStore(str(path / "g.duckdb"))
    g.write(store)
    result = detect(store, load_settings(**settings))
    if counts is not None:
        counts.update(result.run.counts)
    return sorted((set(r.members) for r in result.rings if r.status == "active"), key=lambda m: min(m))


def cohort(g: GraphBuilder, name: str, n: int, start: datetime, templates: list[str], card: str,
           pool: list[str]) -> list[str]:
    """A creation cohort: burst-created together, fired in its own sessions through its own exits."""
    accs = [f"{name}-{i:03d}" for i in range(n)]
    for i, acc in enumerate(accs):
        g.account(acc, start - timedelta(days=3, minutes=-(i % 10)), f"{name}-mail.example")
        first = start + timedelta(minutes=i)
        g.use(acc, "payment", card, 1, first)
        for t in templates:
            g.use(acc, "prompt", t, 40, first)
        for ip in g.rng.choice(pool, size=3, replace=False):
            g.use(acc, "ip", str(ip), 10, first)
        g.use(acc, "user_agent", "python-requests/2.31", 120, first)
        g._traffic(acc, heavy=True, shift=True)
        for w in range(6):  # lockstep inside the cohort's own sessions only
            g.window("prompt", templates[w % len(templates)], start + timedelta(hours=3 * w), acc, 4)
    for k, t in enumerate(templates):
        g.capability(t, ("reasoning", "coding", "tool_use")[k % 3])
    return accs


def pool(net: int, n: int = 15) -> list[str]:
    return [f"10.{net}.0.{i}" for i in range(n)]


def tpls(name: str, n: int = 6) -> list[str]:
    return [f"{name}-tpl-{t}" for t in range(n)]


def test_cohorts_of_one_operator_become_one_ring(tmp_path):
    g = GraphBuilder(11)
    g.background(200)
    # one operator, two cohorts ten days apart: same private templates, nothing else in common
    first = cohort(g, "acme1", 30, T0, tpls("acme"), "acme-card-0", pool(1))
    second = cohort(g, "acme2", 30, T0 + timedelta(days=10), tpls("acme"), "acme-card-1", pool(2))
    apart = run(g, tmp_path / "off", consolidate=False)
    assert apart == [set(first), set(second)]  # the fragments the similarity graph leaves
    counts: dict = {}
    assert run(g, tmp_path / "on", counts) == [set(first) | set(second)]
    assert (counts["rings"], counts["rings_consolidated"], counts["flagged_accounts"]) == (1, 1, 60)


def test_two_operators_sharing_one_leaked_template_stay_apart(tmp_path):
    g = GraphBuilder(12)
    g.background(200)
    leaked = "leaked-jailbreak-tpl"
    alpha = cohort(g, "alpha", 30, T0, tpls("alpha") + [leaked], "alpha-card", pool(1))
    beta = cohort(g, "beta", 30, T0 + timedelta(days=10), tpls("beta") + [leaked], "beta-card", pool(2))
    assert run(g, tmp_path / "on") == [set(alpha), set(beta)]
    # the guard is what keeps them apart: one shared exclusive artifact, if it were enough, would merge
    assert run(g, tmp_path / "loose", consolidate_min_shared=1, consolidate_min_overlap=0.0) == \
        [set(alpha) | set(beta)]


def test_two_operators_sharing_a_proxy_pool_and_a_public_template_stay_apart(tmp_path):
    g = GraphBuilder(13)
    users = g.background(200)
    shared_pool = pool(7, 20)
    public = "summarise-this-article"
    alpha = cohort(g, "alpha", 30, T0, tpls("alpha") + [public], "alpha-card", shared_pool)
    beta = cohort(g, "beta", 30, T0 + timedelta(days=10), tpls("beta") + [public], "beta-card", shared_pool)
    for i, acc in enumerate(users[:120]):  # ordinary users send the public template, some use the pool
        g.use(acc, "prompt", public, 2)
        if i % 3 == 0:
            g.use(acc, "ip", shared_pool[i % len(shared_pool)], 2)
        if i % 4 == 0:  # and the scripting library everybody has
            g.use(acc, "user_agent", "python-requests/2.31", 5)
    # even with the loosest counts: network and public evidence never merge rings
    assert run(g, tmp_path / "loose", consolidate_min_shared=1, consolidate_min_overlap=0.0) == \
        [set(alpha), set(beta)]
    assert run(g, tmp_path / "on") == [set(alpha), set(beta)]


def test_consolidate_counts_only_exclusive_non_network_content():
    """The rule on bare arrays: 3 rings; 0 and 1 share templates nobody else sends, 1 and 2 share
    exits only, 2 and 0 share templates that ordinary users send too."""
    import numpy as np

    from linkage.detect.consolidate import consolidate
    from linkage.detect.inputs import KINDS, Links
    from linkage.detect.specificity import KIND_FAMILY

    values = ["own-0", "own-1", "own-2", "ip-0", "ip-1", "ip-2", "pub-0", "pub-1", "pub-2"]
    kind = np.array([KINDS.index("prompt")] * 3 + [KINDS.index("ip")] * 3 + [KINDS.index("prompt")] * 3, np.int8)
    labels = np.array([0] * 4 + [1] * 4 + [2] * 4 + [-1] * 20, np.int64)
    acc, art = [], []
    for a in range(4):  # every member of a ring uses all of its ring's artifacts
        acc += [a] * 3 + [a + 8] * 3; art += [0, 1, 2] + [6, 7, 8]  # ring 0 own templates, ring 2 public
        acc += [a + 4] * 6; art += [0, 1, 2, 3, 4, 5]  # ring 1: ring 0's templates and exits
        acc += [a + 8] * 3; art += [3, 4, 5]  # ring 2: ring 1's exits
        acc += [a] * 3; art += [6, 7, 8]  # ring 0 sends the public templates too
    for u in range(12, 32):  # ordinary users send the public templates
        acc += [u] * 3; art += [6, 7, 8]
    n = len(acc)
    links = Links(account_ids=np.array([f"a{i:02d}" for i in range(32)], object), artifact_kind=kind,
                  artifact_value=np.array(values, object), account=np.array(acc, np.int64),
                  artifact=np.array(art, np.int64), count=np.ones(n, np.int64), first_seen=np.zeros(n, np.int64))
    family = np.array([KIND_FAMILY[k] for k in KINDS], np.int8)[kind]
    new, reported = consolidate(labels, [0, 1, 2], links, family, 3, 0.5, 2, 0.01)
    assert new.dtype == np.int64  # scoring multiplies labels by the artifact count
    assert len(reported) == 2 and new[0] == new[4] != new[8] and (new[12:] == -1).all()
    # three shared templates are not enough when four are required
    new, reported = consolidate(labels, [0, 1, 2], links, family, 4, 0.5, 2, 0.01)
    assert len(reported) == 3


def test_shared_families_join_heads_whatever_own_fingerprints_each_head_has():
    # two heads of one operator share 3 template families; each also has 10 exact fingerprints
    # of its own (fresh fillings): pooled, 3 of 13 is under half; per kind, 3 of 3 is all
    import numpy as np

    from linkage.detect.consolidate import consolidate
    from linkage.detect.inputs import KINDS, Links
    from linkage.detect.specificity import KIND_FAMILY

    fam_kind, fp_kind = KINDS.index("prompt_family"), KINDS.index("prompt")
    values = [f"fam-{i}" for i in range(3)] + [f"fp-{h}-{i}" for h in range(2) for i in range(10)]
    kind = np.array([fam_kind] * 3 + [fp_kind] * 20, np.int8)
    labels = np.array([0] * 4 + [1] * 4, np.int64)
    acc, art = [], []
    for a in range(8):
        head = a // 4
        acc += [a] * 13; art += [0, 1, 2] + [3 + 10 * head + i for i in range(10)]
    n = len(acc)
    links = Links(account_ids=np.array([f"a{i}" for i in range(8)], object), artifact_kind=kind,
                  artifact_value=np.array(values, object), account=np.array(acc, np.int64),
                  artifact=np.array(art, np.int64), count=np.ones(n, np.int64), first_seen=np.zeros(n))
    family = np.array([KIND_FAMILY[k] for k in KINDS], np.int8)[kind]
    new, reported = consolidate(labels, [0, 1], links, family, 3, 0.5, 2, 0.01)
    assert len(reported) == 1 and (new == new[0]).all()


def _family(links):
    import numpy as np

    from linkage.detect.inputs import KINDS
    from linkage.detect.specificity import KIND_FAMILY

    return np.array([KIND_FAMILY[k] for k in KINDS], np.int8)[links.artifact_kind]


def test_content_is_what_two_members_of_a_ring_use():
    import numpy as np
    from detect_arrays import Net

    from linkage.detect.consolidate import consolidate

    net = Net(8)
    for t in range(3):  # each private template: two members of each ring, nobody else
        net.use([0 + t % 2, 2], "prompt", f"tpl-{t}").use([4 + t % 2, 6], "prompt", f"tpl-{t}")
    links = net.links()
    labels = np.array([0] * 4 + [1] * 4, np.int64)
    new, reported = consolidate(labels, [0, 1], links, _family(links), 3, 0.5, 2, 0.01)
    assert len(reported) == 1 and (new == new[0]).all()


def test_rings_with_no_exclusive_content_at_all_stay_as_they_are():
    import numpy as np
    from detect_arrays import Net

    from linkage.detect.consolidate import consolidate

    links = Net(8).use(range(8), "ip", "shared-exit").use(range(8), "proxy", "one-provider").links()
    labels = np.array([0] * 4 + [1] * 4, np.int64)  # all they share is network: never content
    new, reported = consolidate(labels, [0, 1], links, _family(links), 1, 0.0, 2, 0.01)
    assert new.tolist() == labels.tolist() and reported == [0, 1]
    empty, none = consolidate(np.zeros(0, np.int64), [], Net(0).links(), np.zeros(0, np.int8), 3, 0.5, 2, 0.01)
    assert len(empty) == 0 and none == []


def test_only_reported_rings_are_joined_and_half_the_smaller_content_is_enough():
    import numpy as np
    from detect_arrays import Net

    from linkage.detect.consolidate import consolidate

    net = Net(12)
    for t in range(3):  # rings 0 and 2: three private templates each, and three they share
        net.use([0, 1], "prompt", f"zero-{t}").use([8, 9], "prompt", f"two-{t}")
        net.use([2, 3, 10, 11], "prompt", f"both-{t}")
    net.use([4, 5, 6, 7], "prompt", "community-1")  # a community that is no ring
    links = net.links()
    labels = np.array([0] * 4 + [1] * 4 + [2] * 4, np.int64)
    new, reported = consolidate(labels, [0, 2], links, _family(links), 3, 0.5, 2, 0.01)  # 3 = half of 6
    assert reported == [0] and new[0] == new[8] != new[4] and len(set(new[4:8].tolist())) == 1
    strict, kept = consolidate(labels, [0, 2], links, _family(links), 3, 0.51, 2, 0.01)
    assert strict.tolist() == labels.tolist() and kept == [0, 2]
