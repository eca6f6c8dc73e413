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
from linkage.detect.inputs import KINDS, account_created, epoch_seconds, load_links, read_allowlist
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


def test_links_code_accounts_and_artifacts_in_sorted_order_per_kind():
    store = open_store(":memory:")
    graph().write(store)
    links = load_links(store, set())
    assert links.account_ids.tolist() == ["amy", "bob", "ghost", "zed"]  # every account, linked or not
    by_code = [(KINDS[k], v) for k, v in zip(links.artifact_kind, links.artifact_value)]
    assert by_code == [("ip", "10.0.0.1"), ("ip", "10.0.0.2"), ("payment", "card-1"), ("prompt", "fp-1"),
                       ("email_domain", "z.example")]
    rows = sorted((links.account_ids[a], by_code[t][1], int(c), float(f)) for a, t, c, f in
                  zip(links.account, links.artifact, links.count, links.first_seen))
    t0 = T0.timestamp()
    assert rows == [("amy", "10.0.0.1", 3, t0), ("amy", "10.0.0.2", 2, t0), ("amy", "card-1", 1, t0),
                    ("ghost", "fp-1", 4, t0), ("zed", "10.0.0.2", 7, t0 + 0.25), ("zed", "z.example", 1, t0)]
    assert links.n_accounts == 4 and links.n_artifacts == 5
    # the documented codes: int64 per link, int8 kinds (the arrays are tens of millions long at scale)
    assert (links.account.dtype, links.artifact.dtype, links.count.dtype, links.artifact_kind.dtype) == \
        (np.int64, np.int64, np.int64, np.int8)
    assert links.account_index() == {"amy": 0, "bob": 1, "ghost": 2, "zed": 3}


def test_allowlisted_artifacts_are_removed_on_load_and_nothing_else_is():
    store = open_store(":memory:")
    graph().write(store)
    links = load_links(store, {("ip", "10.0.0.2"), ("prompt", "10.0.0.2")})
    kept = sorted((links.account_ids[a], links.artifact_value[t]) for a, t in zip(links.account, links.artifact))
    assert kept == [("amy", "10.0.0.1"), ("amy", "card-1"), ("ghost", "fp-1"), ("zed", "z.example")]


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
