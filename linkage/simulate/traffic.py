"""Request rows, vectorised: every row is an (account, time, IP, prompt, agent, model, tokens) tuple
of indices, built for a block of accounts at once with numpy; no Python per row.

Legitimate users follow their country's day, mix home, office, phone, VPN and
the odd proxy, send everyday prompts and their own words, and adopt the new
model over weeks. Operators fire in scheduled sessions (a batch of accounts in
the same minutes), rotate through their proxy pools, send their templates, and
switch to the new model within hours of its release.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.simulate.config import MODEL_RELEASE, SPAN_END, SPAN_START, ScenarioConfig, epoch
from linkage.simulate.identities import COUNTRY_OFFSETS
from linkage.simulate.network import Network
from linkage.simulate.population import DAY, HOUR, Population
from linkage.simulate.prompts import PromptBank

MODELS = ("atlas-3", "atlas-4", "atlas-3-mini", "atlas-3-vision")  # OLD, NEW, side models
OLD, NEW = 0, 1
# local hour-of-day activity of people (not scripts)
DIURNAL = np.array([2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 13, 13, 12, 12, 13, 13, 12, 10, 9, 9, 10, 9, 6, 4], float)
DIURNAL /= DIURNAL.sum()
# local hour-of-day activity of an office team: 9 to 18, a dip at lunch
OFFICE = np.array([0] * 9 + [8, 12, 12, 6, 10, 12, 12, 10, 6] + [0] * 6, float)
OFFICE /= OFFICE.sum()
SESSION_SECONDS = 240
# Legit requests that are a popular phrasing, word for word the same text as many other people send
# ("please explain ..."): a small head of traffic. With the greetings (bare GENERIC templates), the
# one-word questions and the integrators' repeats beside it, 5 % left the public case at 89.5 % distinct
# prompts (scale 1), below what ordinary users' logs look like; 3 % keeps the same head, thinner.
POPULAR_SHARE = 0.03
GENERIC_SHARE = 0.35  # legit requests that fill one of the everyday GENERIC templates


@dataclass
class Rows:
    ts: np.ndarray  # epoch seconds
    acct: np.ndarray
    ip: np.ndarray  # index into Network.ips
    prompt: np.ndarray  # prompt id
    ua: np.ndarray
    model: np.ndarray  # index into MODELS
    tokens_in: np.ndarray
    tokens_out: np.ndarray

    @staticmethod
    def concat(parts: list["Rows"]) -> "Rows":
        return Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in Rows.__dataclass_fields__))


@dataclass
class Infrastructure:
    """Per operator: its proxy pools; per batch: its sessions (times, IP windows, templates)."""

    op_resi: list[np.ndarray]
    op_dc: list[np.ndarray]
    op_templates: list[np.ndarray]
    shift_time: np.ndarray  # per operator: when it switches to the new model
    sess_first: np.ndarray  # per batch
    sess_count: np.ndarray
    sess_time: np.ndarray  # per session
    sess_resi: np.ndarray  # start of the session's residential IP window
    sess_dc: np.ndarray
    sess_tpl: np.ndarray
    sess_spread: np.ndarray  # per session: seconds over which its requests arrive
    homes: np.ndarray  # home index -> IP index
    vpn: np.ndarray
    vpn_p: np.ndarray
    cgnat: np.ndarray
    cgnat_p: np.ndarray
    public_pools: np.ndarray  # every proxy pool exit a legit user may touch
    public_resi: np.ndarray  # the residential pools' exits


def _zipf_p(n: int, a: float) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** a
    return p / p.sum()


def build_infrastructure(cfg: ScenarioConfig, pop: Population, net: Network, bank: PromptBank,
                         rng: np.random.Generator) -> Infrastructure:
    """Operators' proxy pools and session schedules."""
    def subset(seg: str, frac: float) -> np.ndarray:
        pool = net.seg(seg)
        return rng.choice(pool, size=max(64, int(len(pool) * frac)), replace=False)

    def dc_slice(seg: str, lo: float, hi: float) -> np.ndarray:
        pool = net.seg(seg)
        n24 = len(pool) // 256
        a, b = int(n24 * lo), max(int(n24 * lo) + 1, int(n24 * hi))
        return pool[a * 256:b * 256]

    op_resi = [subset("pool:Resiflow", 0.05),
               np.concatenate([subset("pool:Resiflow", 0.2), subset("pool:HomeRoute", 0.15)]),
               subset("pool:HomeRoute", 0.5)]
    op_dc = [dc_slice("pool:RackEdge", 0.0, 0.125), dc_slice("pool:CloudHop", 0.0, 0.5),
             np.concatenate([dc_slice("pool:RackEdge", 0.5, 1.0), net.seg("pool:unlisted-dc")])]
    op_templates = [bank.segments[f"op{o}"] for o in range(len(cfg.campaigns))]
    release = epoch(MODEL_RELEASE)
    end = epoch(SPAN_END)
    tactics = cfg.tactics
    lag = [c.shift_lag_hours if t.shift_lag_hours is None else t.shift_lag_hours for c, t in zip(cfg.campaigns, tactics)]
    shift = np.array([release + h * HOUR if t.shift else end for h, t in zip(lag, tactics)], np.int64)

    n_b = len(pop.batch_op)
    rows_per_batch = np.bincount(pop.batch[pop.op >= 0], weights=pop.rows[pop.op >= 0], minlength=n_b)
    accts_per_batch = np.bincount(pop.batch[pop.op >= 0], minlength=n_b)
    per_session = rng.uniform(8, 20, n_b)
    count = np.maximum(3, np.ceil(rows_per_batch / np.maximum(1, accts_per_batch) / per_session)).astype(np.int64)
    dispatch = np.array([tactics[o].dispatch for o in pop.batch_op.tolist()], dtype=object)
    # a job runner: each job fans out over 10-40 of the head's accounts, one request each
    fanout = np.minimum(rng.uniform(10, 40, n_b), np.maximum(2, accts_per_batch))
    jobs = np.maximum(3, np.ceil(rows_per_batch / fanout)).astype(np.int64)
    count = np.where(dispatch == "round_robin", jobs, count)
    # human-paced: a few requests per account per session
    slow = np.maximum(3, np.ceil(rows_per_batch / np.maximum(1, accts_per_batch) / rng.uniform(2, 5, n_b)))
    count = np.where(dispatch == "human", slow.astype(np.int64), count)
    spread_b = np.select([dispatch == "round_robin", dispatch == "human"],
                         [rng.uniform(1.5, 5, n_b), rng.uniform(1200, 2400, n_b)], SESSION_SECONDS)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    times = []
    for b in range(n_b):  # a few hundred batches
        lo, sh = pop.batch_start[b], max(pop.batch_start[b], shift[pop.batch_op[b]])
        w_pre, w_post = (sh - lo) * 1.0, (end - sh) * 4.0  # operators quadruple volume after the shift
        k = int(count[b])
        post = rng.random(k) < w_post / max(1.0, w_pre + w_post)
        t = np.where(post, sh + rng.random(k) * (end - sh), lo + rng.random(k) * max(1, sh - lo))
        cron = dispatch[b] != "round_robin"  # sessions start on the minute; a job queue any second
        times.append(np.sort((t // 60 * 60 if cron else t).astype(np.int64)))
    total = int(count.sum())
    sess_op = np.repeat(pop.batch_op, count)
    resi_len = np.array([len(x) for x in op_resi])[sess_op]
    dc_len = np.array([len(x) for x in op_dc])[sess_op]
    tpl_len = np.array([len(x) for x in op_templates])[sess_op]

    vpn = np.concatenate([net.seg(k) for k in net.segments if k.startswith("vpn")])
    public = np.concatenate([net.seg(k) for k in net.segments if k.startswith("pool:")])
    return Infrastructure(
        op_resi=op_resi, op_dc=op_dc, op_templates=op_templates, shift_time=shift,
        sess_first=first, sess_count=count,
        sess_time=np.concatenate(times) if times else np.zeros(0, np.int64),
        sess_resi=(rng.random(total) * resi_len).astype(np.int64),
        sess_dc=(rng.random(total) * dc_len).astype(np.int64),
        sess_tpl=(rng.random(total) * tpl_len).astype(np.int64),
        sess_spread=np.repeat(spread_b, count),
        homes=np.concatenate([net.seg("home_v4"), net.seg("home_v6")]),
        vpn=vpn, vpn_p=_zipf_p(len(vpn), 1.3), cgnat=net.seg("cgnat"), cgnat_p=_zipf_p(len(net.seg("cgnat")), 1.0),
        public_pools=public,
        public_resi=np.concatenate([net.seg(f"pool:{p}") for p in ("Resiflow", "HomeRoute", "Peerlink")]),
    )


def _human_times(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, offset: np.ndarray,
                 office: np.ndarray | None = None) -> np.ndarray:
    """Times in [lo, hi) that follow the local day (offset: hours from UTC); `office` rows
    follow office hours on weekdays instead (a team that works together, not in lockstep)."""
    n = len(lo)
    day = (lo + rng.random(n) * (hi - lo)) // DAY
    local_hour = rng.choice(24, size=n, p=DIURNAL)
    if office is not None and office.any():
        k = int(office.sum())
        local_hour[office] = rng.choice(24, size=k, p=OFFICE)
        weekday = (day[office] + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
        day[office] = day[office] - np.where(weekday >= 5, weekday - 4, 0)  # weekend -> Friday
    utc = ((local_hour - offset) % 24) * HOUR
    t = day * DAY + utc.astype(np.int64) + rng.integers(0, HOUR, n)
    return np.clip(t, lo, hi - 1)


def legit_rows(acc: np.ndarray, pop: Population, infra: Infrastructure, bank: PromptBank, net: Network,
               rng: np.random.Generator) -> Rows:
    """Rows for a block of legitimate accounts."""
    a = np.repeat(acc, pop.rows[acc])
    n = len(a)
    start, end, release = epoch(SPAN_START), epoch(SPAN_END), epoch(MODEL_RELEASE)
    lo = np.maximum(pop.created[a], start)
    hi = np.full(n, end, np.int64)
    org = pop.org[a]
    has_org = org >= 0
    office = has_org & pop.orgs.office[np.maximum(org, 0)]
    ts = _human_times(rng, lo, hi, COUNTRY_OFFSETS[pop.country[a]], office)
    cron = pop.sched_minute[a] >= 0  # integrations run around the clock on their minute
    cron_t = (lo + rng.random(n) * (hi - lo)) // HOUR * HOUR + pop.sched_minute[a] * 60 + rng.integers(0, 20, n)
    ts = np.where(cron, np.clip(cron_t, lo, hi - 1), ts)

    # where from: office NAT or home, phone, VPN, proxy
    orgs = pop.orgs
    o = np.where(has_org, org, 0)
    nat = net.seg("org_nat")[orgs.nat_start[o] + (rng.random(n) * orgs.nat_count[o]).astype(np.int64)]
    home = infra.homes[np.where(rng.random(n) < 0.5, pop.home[a], pop.home2[a])]
    place = np.where(has_org & (rng.random(n) < 0.75), nat, home)
    u = rng.random(n)
    p1 = pop.p_vpn[a]
    p2 = p1 + pop.p_mobile[a]
    p3 = p2 + pop.p_proxy[a]
    ip = place
    m = u < p1
    ip[m] = infra.vpn[rng.choice(len(infra.vpn), size=int(m.sum()), p=infra.vpn_p)]
    m = (u >= p1) & (u < p2)
    ip[m] = infra.cgnat[rng.choice(len(infra.cgnat), size=int(m.sum()), p=infra.cgnat_p)]
    m = (u >= p2) & (u < p3)
    ip[m] = infra.public_pools[rng.integers(0, len(infra.public_pools), int(m.sum()))]

    # what: everyday prompts, popular phrasings, own words; integrations their own template
    generic, popular, free, integ = (bank.segments[k] for k in ("generic", "popular", "free", "integrator"))
    v = rng.random(n)
    own = pop.free_start[a] + (rng.random(n) * np.maximum(1, pop.free_count[a])).astype(np.int64)
    prompt = free[np.minimum(own, len(free) - 1)]
    m = v < GENERIC_SHARE
    prompt[m] = generic[rng.choice(len(generic), size=int(m.sum()), p=_zipf_p(len(generic), 1.1))]
    m = (v >= GENERIC_SHARE) & (v < GENERIC_SHARE + POPULAR_SHARE)  # the same text as many others
    prompt[m] = popular[rng.choice(len(popular), size=int(m.sum()), p=_zipf_p(len(popular), 1.05))]
    private = pop.private_prompt[a]
    prompt = np.where((private >= 0) & (rng.random(n) < 0.85), integ[np.maximum(private, 0)], prompt)
    # a company's internal templates (3 per company), a quarter of its members' traffic
    internal = has_org & pop.orgs.internal[np.maximum(org, 0)] & (rng.random(n) < 0.25) & (private < 0)
    pick = (org.astype(np.int64) * 7919 + rng.integers(0, 3, n)) % len(integ)
    prompt = np.where(internal, integ[pick], prompt)

    ua = np.where(rng.random(n) < 0.8, pop.ua[a], pop.ua2[a])
    # adoption of the new model over weeks; pinned integrations lag
    adopt = np.where(ts > release, 0.7 * (1 - np.exp(-(ts - release) / (7 * DAY))), 0.0)
    adopt = np.where(private >= 0, adopt * 0.3, adopt)
    w = rng.random(n)
    model = np.where(w < adopt, NEW, np.where(w < adopt + (1 - adopt) * 0.15, 2 + (w * 1000).astype(np.int64) % 2, OLD))
    tin = rng.lognormal(4.3, 1.0, n).astype(np.int64) + 5
    tout = rng.lognormal(5.3, 1.0, n).astype(np.int64) + 1
    return Rows(ts, a, ip, prompt, ua.astype(np.int64), model.astype(np.int64), tin, tout)


def ring_rows(acc: np.ndarray, pop: Population, infra: Infrastructure, bank: PromptBank, cfg: ScenarioConfig,
              rng: np.random.Generator) -> Rows:
    """Rows for a block of operator accounts: scheduled sessions, rotating proxies, templates."""
    a = np.repeat(acc, pop.rows[acc])
    n = len(a)
    b = pop.batch[a].astype(np.int64)
    op = pop.op[a].astype(np.int64)
    s = infra.sess_first[b] + (rng.random(n) * infra.sess_count[b]).astype(np.int64)
    ts = np.minimum(infra.sess_time[s] + (rng.random(n) * infra.sess_spread[s]).astype(np.int64),
                    epoch(SPAN_END) - 1)
    tactics = cfg.tactics
    alone = np.array([t.dispatch == "independent" for t in tactics])[op]
    if alone.any():  # each account on its own, at human hours
        lo = np.maximum(pop.batch_start[b[alone]], pop.created[a[alone]])
        ts[alone] = _human_times(rng, lo, np.full(int(alone.sum()), epoch(SPAN_END), np.int64),
                                 COUNTRY_OFFSETS[pop.country[a[alone]]])

    ip = np.empty(n, np.int64)
    tpl = np.empty(n, np.int64)
    for o in range(len(cfg.campaigns)):  # three operators: a loop over pools, not rows
        m = op == o
        k = int(m.sum())
        if not k:
            continue
        resi, dc, tpls = infra.op_resi[o], infra.op_dc[o], infra.op_templates[o]
        # A session gets a dozen exits of each pool; an account holds one of them for the
        # session (a "sticky" proxy session), and some requests rotate within the dozen.
        # So batch-mates share exits in the same minutes, and each account sees many IPs
        # over its life (one or two per session).
        sa, ss = a[m], s[m]
        sticky = (sa * 7 + ss * 3) % 12
        window = np.where(rng.random(k) < 0.15, rng.integers(0, 12, k), sticky)
        r_ip = resi[(infra.sess_resi[ss] + window) % len(resi)]
        d_ip = dc[(infra.sess_dc[ss] + window) % len(dc)]
        ip[m] = np.where((sa * 13 + ss * 5) % 10 < 7, r_ip, d_ip)
        mode = tactics[o].proxy
        if mode == "own_dc":
            ip[m] = d_ip
        elif mode == "sticky":  # each account keeps 1-3 exits of a big pool ordinary customers use too
            pool = infra.public_resi
            keep = 1 + (sa * 2654435761 % 7919) % 3
            slot = (rng.random(k) * keep).astype(np.int64)
            ip[m] = pool[(sa * 104729 + slot * 7919) % len(pool)]
        elif mode == "shared_pool":  # any exit of any public pool, per request
            ip[m] = infra.public_pools[rng.integers(0, len(infra.public_pools), k)]
        drift = np.where(rng.random(k) < 0.3, rng.integers(0, 3, k), 0)
        tpl[m] = tpls[(infra.sess_tpl[s[m]] + drift) % len(tpls)]
        scope = tactics[o].templates
        if scope == "one_job":  # one job runner, one agentic template, every head
            tpl[m] = tpls[0]
        elif scope == "per_head" and len(tpls) > 1:
            # each head its own two templates of the bank (heads may collide when the bank is
            # small), and the job template every head sends on half its requests
            head = b[m] - int(np.searchsorted(pop.batch_op, o))
            own = tpls[1 + (2 * head + (infra.sess_tpl[ss] + drift) % 2) % (len(tpls) - 1)]
            tpl[m] = np.where(rng.random(k) < 0.5, tpls[0], own)

    shift = infra.shift_time[op]
    model = np.where(ts >= shift, np.where(rng.random(n) < 0.97, NEW, OLD), np.where(rng.random(n) < 0.9, OLD, 2))
    calm = ~np.array([t.shift for t in tactics])[op]
    if calm.any():  # no rush: the new model is adopted like everybody adopts it
        release = epoch(MODEL_RELEASE)
        adopt = np.where(ts[calm] > release, 0.7 * (1 - np.exp(-(ts[calm] - release) / (7 * DAY))), 0.0)
        model[calm] = np.where(rng.random(int(calm.sum())) < adopt, NEW, OLD)
    tin = rng.integers(200, 1500, n)
    tout = rng.integers(1500, 6000, n)
    ua = pop.ua[a].astype(np.int64)

    cover = np.array([max(cfg.cover_fraction, t.cover) for t in tactics])[op]
    if cover.any():  # camouflage: part of the traffic looks like anybody's
        c = rng.random(n) < cover
        k = int(c.sum())
        generic = bank.segments["cover"]  # everyday templates, bare
        lo = np.maximum(pop.batch_start[b[c]], pop.created[a[c]])
        ts[c] = _human_times(rng, lo, np.full(k, epoch(SPAN_END), np.int64), COUNTRY_OFFSETS[pop.country[a[c]]])
        popular_ip = np.where(rng.random(k) < 0.5, infra.vpn[rng.choice(len(infra.vpn), size=k, p=infra.vpn_p)],
                              infra.cgnat[rng.choice(len(infra.cgnat), size=k, p=infra.cgnat_p)])
        ip[c] = np.where(rng.random(k) < 0.7, popular_ip, ip[c])
        tpl[c] = generic[rng.choice(len(generic), size=k, p=_zipf_p(len(generic), 1.1))]
        tin[c] = rng.lognormal(4.3, 1.0, k).astype(np.int64) + 5
        tout[c] = rng.lognormal(5.3, 1.0, k).astype(np.int64) + 1
        model[c] = np.where(ts[c] >= epoch(MODEL_RELEASE), NEW, OLD)
    return Rows(ts, a, ip, tpl, ua, model.astype(np.int64), tin, tout)
