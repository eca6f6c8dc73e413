"""Detection's inputs: the allowlist file, timestamps to epoch seconds, integer-coded links,
creation times, and which evidence an ablation leaves out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pytest
from detect_arrays import Net
from detect_graphs import T0, GraphBuilder

from linkage.detect.ablation import Ablation
from linkage.detect.inputs import KINDS, account_created, code_links, epoch_seconds, load_links, read_allowlist
from linkage.store import open_store

pytestmark = pytest.mark.embedded


# ---- the allowlist file ----------------------------------------------------------------------

def test_allowlist_lines_are_kind_value_with_comments_and_blanks_skipped(tmp_path):
    path = tmp_path / "allow.txt"
    path.write_text("# shared by design\n\n  ip : 10.0.0.1  # the office NAT\nprompt:a:b:c\n"
                    "payment:card-1\n")
    assert read_allowlist(path) == {("ip", "10.0.0.1"), ("prompt", "a:b:c"), ("payment", "card-1")}
    assert read_allowlist(None) == set()


@pytest.mark.parametrize("line", ["10.0.0.1", "colour:blue"])
def test_an_allowlist_line_without_a_known_kind_is_refused_by_name(tmp_path, line):
    path = tmp_path / "allow.txt"
    path.write_text(f"ip:10.0.0.1\n{line}\n")
    with pytest.raises(ValueError, match=f"allowlist line '{line}' is not kind:value"):
        read_allowlist(path)


# ---- timestamps ------------------------------------------------------------------------------

@pytest.mark.parametrize("unit,per_second", [("s", 1), ("ms", 1_000), ("us", 1_000_000), ("ns", 1_000_000_000)])
def test_epoch_seconds_keep_the_sub_second_part_in_every_unit(unit, per_second):
    at = 1_767_225_600 * per_second + per_second // 4  # a quarter of a second past (whole seconds: none)
    col = pa.chunked_array([pa.array([at, None], pa.timestamp(unit, tz="UTC"))])
    expected = 1_767_225_600 + (0.25 if per_second > 1 else 0.0)
    assert epoch_seconds(col).tolist() == [pytest.approx(expected, abs=1e-6), 0.0]


def test_epoch_seconds_of_plain_integers_are_read_as_microseconds():
    assert epoch_seconds(pa.array([2_500_000], pa.int64())).tolist() == [2.5]


# ---- links -----------------------------------------------------------------------------------

def graph() -> GraphBuilder:
    g = GraphBuilder()
    micro = timedelta(microseconds=250_000)
    g.account("zed", T0, domain="z.example")
    g.account("amy", T0 + micro, domain=None)
    g.account("bob", None, domain=None)  # creation unknown, no artifact at all
    g.use("zed", "ip", "10.0.0.2", 7, T0 + micro)
    g.use("amy", "ip", "10.0.0.1", 3)
    g.use("amy", "ip", "10.0.0.2", 2)
    g.use("amy", "payment", "card-1", 1)
    g.use("ghost", "prompt", "fp-1", 4)  # an account the account table does not know
    return g


def python_links(store, allowlist):
    """The engine-neutral path (Neo4j's): account_artifacts() coded in Python."""
    return code_links(store.account_artifacts(), store.read_table("account", ["account_id"]), allowlist)


BOTH_PATHS = pytest.mark.parametrize("load", [load_links, python_links], ids=["sql", "python"])


def rows_of(links):
    """(account, kind, value or None, count, first_seen) per link, sorted (row order is free)."""
    return sorted(((links.account_ids[a], KINDS[links.artifact_kind[t]], links.artifact_value[t].as_py(), int(c),
                   float(f)) for a, t, c, f in zip(links.account, links.artifact, links.count, links.first_seen)),
                  key=lambda r: (r[0], r[1], r[2] or "", r[3], r[4]))  # a pseudo-artifact first


@BOTH_PATHS
def test_links_code_accounts_and_artifacts_in_sorted_order_per_kind(load):
    store = open_store(":memory:")
    graph().write(store)
    links = load(store, set())
    assert links.account_ids.tolist() == ["amy", "bob", "ghost", "zed"]  # every account, linked or not
    # 10.0.0.2 is the one artifact two accounts share; the rest are one pseudo-artifact per
    # (kind, account) in that order, with no value
    by_code = [(KINDS[k], v) for k, v in zip(links.artifact_kind, links.artifact_value.to_pylist())]
    assert by_code == [("ip", "10.0.0.2"), ("ip", None), ("payment", None), ("prompt", None),
                       ("email_domain", None)]
    t0 = T0.timestamp()
    assert rows_of(links) == [("amy", "ip", None, 3, t0), ("amy", "ip", "10.0.0.2", 2, t0),
                              ("amy", "payment", None, 1, t0), ("ghost", "prompt", None, 4, t0),
                              ("zed", "email_domain", None, 1, t0), ("zed", "ip", "10.0.0.2", 7, t0 + 0.25)]
    assert links.n_accounts == 4 and links.n_artifacts == 5
    assert links.value_of(0) == "10.0.0.2"
    # the documented codes: int64 per link, int8 kinds (the arrays are tens of millions long at scale)
    assert (links.account.dtype, links.artifact.dtype, links.count.dtype, links.artifact_kind.dtype) == \
        (np.int64, np.int64, np.int64, np.int8)
    assert links.account_index() == {"amy": 0, "bob": 1, "ghost": 2, "zed": 3}


@BOTH_PATHS
def test_allowlisted_artifacts_are_removed_on_load_and_nothing_else_is(load):
    store = open_store(":memory:")
    graph().write(store)
    links = load(store, {("ip", "10.0.0.2"), ("prompt", "10.0.0.2")})
    kept = [(a, k, c) for a, k, _, c, _ in rows_of(links)]
    assert kept == [("amy", "ip", 3), ("amy", "payment", 1), ("ghost", "prompt", 4), ("zed", "email_domain", 1)]
    assert links.artifact_value.null_count == links.n_artifacts  # nothing shared is left


def singletons_graph() -> GraphBuilder:
    """Shared and single-user artifacts of every sort, counted by hand in the test below."""
    g = GraphBuilder()
    g.account("amy", T0, domain="d.example")
    g.account("bob", T0, domain="d.example")
    g.account("cy", T0, domain="solo.example")
    g.use("amy", "prompt", "p-b", 2); g.use("bob", "prompt", "p-b", 3)
    g.use("bob", "prompt", "p-a", 1); g.use("cy", "prompt", "p-a", 1)
    g.use("amy", "prompt", "p-solo1", 5, T0 + timedelta(seconds=10))
    g.use("amy", "prompt", "p-solo2", 7, T0 + timedelta(seconds=2))
    g.use("bob", "prompt", "p-solo3", 4)
    g.use("amy", "ip", "1.1.1.1", 1); g.use("cy", "ip", "1.1.1.1", 1)
    g.use("ghost", "ip", "9.9.9.9", 6)
    g.use("amy", "payment", "card-x", 1); g.use("bob", "payment", "card-x", 1)  # shared, allowlisted
    g.use("cy", "payment", "card-solo", 2)  # single-user, allowlisted
    g.use("cy", "payment", "card-2", 3)
    return g


@BOTH_PATHS
def test_singletons_collapse_into_one_pseudo_artifact_per_account_and_kind(load):
    store = open_store(":memory:")
    singletons_graph().write(store)
    links = load(store, {("payment", "card-x"), ("payment", "card-solo")})
    assert links.account_ids.tolist() == ["amy", "bob", "cy", "ghost"]
    values = links.artifact_value.to_pylist()
    # shared artifacts keep their (kind, sorted value) order and come first: every tie-break stays
    assert [(KINDS[k], v) for k, v in zip(links.artifact_kind[:4], values[:4])] == \
        [("ip", "1.1.1.1"), ("prompt", "p-a"), ("prompt", "p-b"), ("email_domain", "d.example")]
    # then one pseudo-artifact per (kind, account), in that order, with no value
    assert [(KINDS[k], v) for k, v in zip(links.artifact_kind[4:], values[4:])] == \
        [("ip", None), ("payment", None), ("prompt", None), ("prompt", None), ("email_domain", None)]
    t0 = T0.timestamp()
    assert rows_of(links) == [
        ("amy", "email_domain", "d.example", 1, t0), ("amy", "ip", "1.1.1.1", 1, t0),
        ("amy", "prompt", None, 12, t0 + 2),  # p-solo1 + p-solo2, the earlier first use
        ("amy", "prompt", "p-b", 2, t0),
        ("bob", "email_domain", "d.example", 1, t0), ("bob", "prompt", None, 4, t0),
        ("bob", "prompt", "p-a", 1, t0), ("bob", "prompt", "p-b", 3, t0),
        ("cy", "email_domain", None, 1, t0), ("cy", "ip", "1.1.1.1", 1, t0),
        ("cy", "payment", None, 3, t0),  # card-2 only: the allowlisted card-solo is gone, not summed
        ("cy", "prompt", "p-a", 1, t0),
        ("ghost", "ip", None, 6, t0)]
    # what scoring sums per account and kind is what the store holds (allowlisted aside)
    totals: dict[tuple[str, str], int] = {}
    for acc, kind, _, cnt, _ in rows_of(links):
        totals[acc, kind] = totals.get((acc, kind), 0) + cnt
    assert totals[("amy", "prompt")] == 2 + 5 + 7 and totals[("bob", "prompt")] == 3 + 1 + 4
    df = np.bincount(links.artifact, minlength=links.n_artifacts)
    assert df.tolist() == [2, 2, 2, 2, 1, 1, 1, 1, 1]  # a pseudo-artifact links nobody


def test_the_engine_codes_links_as_the_python_reference_does(tmp_path):
    """links_sql.py against code_links on random stores: same codes, values and rows."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        g = GraphBuilder(seed)
        for i in range(30):
            acc = f"acc{i:02d}"
            g.account(acc, T0 + timedelta(seconds=int(rng.integers(0, 100))), domain=f"d{rng.integers(0, 20)}.x")
            for _ in range(int(rng.integers(0, 6))):
                kind = ("ip", "payment", "prompt", "user_agent")[int(rng.integers(0, 4))]
                g.use(acc, kind, f"{kind}-{rng.integers(0, 25)}", int(rng.integers(1, 9)),
                      T0 + timedelta(microseconds=int(rng.integers(0, 10**8))))
        g.use("ghost", "prompt", "prompt-1", 3)
        g.exit_of("ip-1", "proxy-a"); g.exit_of("ip-2", "proxy-a")
        store = open_store(str(tmp_path / f"r{seed}.duckdb"))
        g.write(store)
        allow = {("prompt", "prompt-3"), ("ip", "ip-4")}
        sql, ref = load_links(store, allow), python_links(store, allow)
        assert sql.account_ids.tolist() == ref.account_ids.tolist()
        assert sql.artifact_kind.tolist() == ref.artifact_kind.tolist()
        assert sql.artifact_value.equals(ref.artifact_value)
        assert rows_of(sql) == rows_of(ref) and len(rows_of(sql)) > 50
        assert sorted(zip(sql.account, sql.artifact)) == sorted(zip(ref.account, ref.artifact))


def test_creation_times_are_epoch_seconds_and_unknown_ones_minus_one():
    store = open_store(":memory:")
    graph().write(store)
    index = {"amy": 0, "bob": 1, "zed": 2}
    created = account_created(store, index, 4)
    assert created.tolist() == [T0.timestamp() + 0.25, -1.0, T0.timestamp(), -1.0]


# ---- ablation --------------------------------------------------------------------------------

def test_an_ablation_drops_the_links_of_its_kinds_and_keeps_the_codes():
    links = (Net(3).use([0, 1], "payment", "card").use([0, 1], "prompt", "tpl").use([1, 2], "ip", "exit")
             .use([2], "prompt_family", "fam").links())
    cards = Ablation.parse("cards").links(links)
    assert [links.artifact_value[t] for t in cards.artifact] == ["tpl", "tpl", "exit", "exit", "fam"]
    assert cards.count.tolist() == [1] * 5 and len(cards.first_seen) == 5
    assert cards.artifact_value.tolist() == links.artifact_value.tolist()  # codes unchanged
    templates = Ablation.parse("templates").links(links)
    assert [links.artifact_value[t] for t in templates.artifact] == ["card", "card", "exit", "exit"]
    assert Ablation.parse("").links(links) is links


def test_ablating_a_signal_names_it_and_nothing_else():
    a = Ablation.parse(" creation , release,")
    assert (a.kinds, a.timing, a.creation, a.release) == (frozenset(), False, True, True)
    assert a.lockstep_kinds(("prompt", "ip")) == ("prompt", "ip")
    assert Ablation.parse("timing").lockstep_kinds(("prompt",)) == ()
    assert Ablation.parse("network").kinds == {"ip", "proxy"}
    with pytest.raises(ValueError, match="unknown evidence to ablate: magic, telepathy; choose among cards"):
        Ablation.parse("telepathy,magic,cards")


def test_a_timezone_aware_creation_is_the_same_instant_whatever_its_zone():
    g = GraphBuilder()
    g.account("a", datetime(2026, 2, 1, 12, tzinfo=timezone(timedelta(hours=5))))
    store = open_store(":memory:")
    g.write(store)
    assert account_created(store, {"a": 0}, 1)[0] == datetime(2026, 2, 1, 7, tzinfo=timezone.utc).timestamp()
    assert np.isfinite(account_created(store, {}, 1)).all()
