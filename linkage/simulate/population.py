"""Who is out there: legitimate accounts (individuals, households, organisations, integrations)
and the operators' accounts, with everything per account the traffic generator needs.

All arrays are per account, in the final (shuffled) order of the accounts table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.simulate import identities as ident
from linkage.simulate.config import SPAN_END, SPAN_START, ScenarioConfig, epoch

DAY = 86_400
HOUR = 3_600


@dataclass
class Orgs:
    n: int
    nat_start: np.ndarray  # index into the org_nat segment
    nat_count: np.ndarray
    shared_card: np.ndarray  # bool
    office: np.ndarray  # bool: members work office hours (weekdays, 9-18 local)
    internal: np.ndarray  # bool: members also send the company's internal templates
    domain: list[str]
    org_id: list[str]


@dataclass
class Population:
    account_id: list[str]
    created: np.ndarray  # epoch seconds
    email: list[str]
    country: np.ndarray  # index into identities.COUNTRIES
    org: np.ndarray  # -1: none
    household: np.ndarray  # -1: none
    op: np.ndarray  # -1: legitimate, else operator index
    wave: np.ndarray  # -1 for legit; operator-local creation wave
    batch: np.ndarray  # -1 for legit; global batch id (accounts that fire together)
    rows: np.ndarray  # request rows this account sends
    home: np.ndarray  # home IP, index into the home segments (-1: none)
    home2: np.ndarray  # a second home IP (dynamic addressing), same as home for most
    ua: np.ndarray  # main user agent (index into the UA bank)
    ua2: np.ndarray  # second device
    p_vpn: np.ndarray
    p_mobile: np.ndarray
    p_proxy: np.ndarray
    private_prompt: np.ndarray  # integrators: index into the integrator prompt segment, else -1
    sched_minute: np.ndarray  # integrators and pipelines: the cron minute, else -1
    free_start: np.ndarray  # first personal free-text prompt (index into the free segment)
    free_count: np.ndarray
    orgs: Orgs
    batch_op: np.ndarray  # per batch: operator
    batch_start: np.ndarray  # per batch: when its accounts can start firing

    @property
    def n(self) -> int:
        return len(self.created)


def _orgs(cfg: ScenarioConfig, rng: np.random.Generator, n_legit: int) -> tuple[Orgs, np.ndarray]:
    """Organisations and their sizes: heavy-tailed, plus two giants (a university, a telco)."""
    n_orgs = max(20, n_legit // 100)
    sizes = np.minimum(3 + np.floor(rng.pareto(1.1, n_orgs) * 4), 600).astype(np.int64)
    sizes[:2] = max(40, int(n_legit * 0.03))
    keep = np.cumsum(sizes) <= int(n_legit * 0.35)
    sizes = sizes[keep]
    n_orgs = len(sizes)
    nat_count = np.where(np.arange(n_orgs) < 2, 2, rng.integers(1, 4, n_orgs))
    nat_start = np.concatenate([[0], np.cumsum(nat_count)[:-1]])
    w1 = rng.integers(0, len(ident.LAST), n_orgs).tolist()
    w2 = rng.integers(0, 4, n_orgs).tolist()
    tld = ["com", "io", "co", "org"]
    suffix = ["corp", "labs", "group", "tech"]
    domain = [f"{ident.LAST[a]}{suffix[b]}{i}.{tld[b]}" for i, (a, b) in enumerate(zip(w1, w2))]
    org_id = [f"org_{x:010x}" for x in rng.integers(1 << 36, 1 << 40, n_orgs).tolist()]
    orgs = Orgs(n=n_orgs, nat_start=nat_start, nat_count=nat_count,
                shared_card=(rng.random(n_orgs) < 0.3) & (np.arange(n_orgs) >= 2),  # giants: own cards
                office=rng.random(n_orgs) < 0.6, internal=rng.random(n_orgs) < 0.4,
                domain=domain, org_id=org_id)
    return orgs, sizes


def build_population(cfg: ScenarioConfig, rng: np.random.Generator, first_sdk: int, first_op_ua: int,
                     n_home_v4: int, n_home_v6: int, n_integrator_prompts: int) -> Population:
    """Every account with its behaviour, legit first then operators, then shuffled together."""
    L = cfg.legit_accounts
    start, end = epoch(SPAN_START), epoch(SPAN_END)

    # --- legitimate accounts ---------------------------------------------------------
    orgs, sizes = _orgs(cfg, rng, L)
    org = np.full(L, -1, np.int32)
    n_members = int(sizes.sum())
    org[:n_members] = np.repeat(np.arange(orgs.n, dtype=np.int32), sizes)
    created = end - (3 * 365 * DAY * (1 - rng.random(L) ** 0.6)).astype(np.int64)  # steady growth
    country = rng.choice(len(ident.COUNTRIES), size=L, p=ident.COUNTRY_WEIGHTS)
    org_country = rng.choice(len(ident.COUNTRIES), size=orgs.n, p=ident.COUNTRY_WEIGHTS)
    country[:n_members] = np.where(rng.random(n_members) < 0.8, org_country[org[:n_members]], country[:n_members])

    # homes: everyone has one; households (2-5 accounts outside orgs) share it and a card
    v6 = rng.random(L) < (n_home_v6 / max(1, n_home_v4 + n_home_v6))
    home = np.where(v6, n_home_v4 + rng.permutation(L) % max(1, n_home_v6), np.arange(L) % n_home_v4)
    household = np.full(L, -1, np.int32)
    hh_pool = np.arange(n_members, L)
    hh_pool = hh_pool[rng.random(len(hh_pool)) < 0.12]
    hh_sizes = rng.integers(2, 6, len(hh_pool))
    hh_id = np.repeat(np.arange(len(hh_pool)), hh_sizes)[:len(hh_pool)]
    household[hh_pool] = hh_id.astype(np.int32)
    heads = hh_pool[np.searchsorted(hh_id, hh_id)]  # first member of each household
    home[hh_pool] = home[heads]
    country[hh_pool] = country[heads]
    spare = n_home_v4 - L
    moved = rng.random(L) < 0.3
    home2 = np.where(moved & ~v6 & (spare > 0), L + rng.integers(0, max(1, spare), L), home)
    home2 = np.minimum(home2, n_home_v4 - 1)

    # integrations: 1% of accounts run their own scripted prompt from a fixed cron minute;
    # 5% of organisations of five or more run a pipeline over several member accounts
    private_prompt = np.full(L, -1, np.int64)
    sched = np.full(L, -1, np.int32)
    integ = np.flatnonzero(rng.random(L) < 0.01)
    private_prompt[integ] = rng.integers(0, n_integrator_prompts, len(integ))
    org_first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    piped = np.flatnonzero((sizes >= 5) & (rng.random(orgs.n) < 0.05))
    for o in piped.tolist():  # a few hundred orgs at most
        k = int(min(sizes[o], rng.integers(3, 9)))
        members = org_first[o] + np.arange(k)
        private_prompt[members] = rng.integers(0, n_integrator_prompts)
        sched[members] = rng.integers(0, 60)
    sched[integ] = rng.integers(0, 60, len(integ))
    scripted = private_prompt >= 0

    ua = rng.zipf(1.6, L) % first_sdk
    ua2 = np.where(rng.random(L) < 0.25, rng.integers(0, first_sdk, L), ua)
    ua = np.where(scripted, first_sdk + rng.integers(0, first_op_ua - first_sdk, L), ua)
    # the operators' rare builds are not theirs alone: some QA rigs and old installs send them too
    rare = rng.random(L) < 0.003
    ua = np.where(rare, first_op_ua + rng.integers(0, 3, L), ua)
    p_vpn = np.where(rng.random(L) < 0.10, rng.uniform(0.3, 1.0, L), 0.0)
    p_mobile = np.where(rng.random(L) < 0.25, rng.uniform(0.05, 0.5, L), 0.0)
    p_proxy = np.where(rng.random(L) < cfg.legit_proxy_users, cfg.legit_proxy_share, 0.0)
    weights = rng.lognormal(0.0, 1.4, L) * np.where(scripted, 25.0, 1.0)
    rows = np.maximum(1, np.round(weights / weights.sum() * cfg.legit_rows)).astype(np.int64)
    rows = np.minimum(rows, 60_000)
    free_count = np.minimum(rows, 1 + rows // 6)
    free_count = np.minimum(free_count, 12)

    web_d = [d for d, _ in ident.WEBMAIL] + ident.DISPOSABLE
    web_w = np.array([w for _, w in ident.WEBMAIL] + [0.2] * len(ident.DISPOSABLE), float)
    email = ident.personal_emails(rng, L, web_d, web_w / web_w.sum())
    corp = (org >= 0) & (rng.random(L) < 0.8)
    for i in np.flatnonzero(corp).tolist():
        email[i] = email[i].split("@")[0] + "@" + orgs.domain[org[i]]

    # --- operators -------------------------------------------------------------------
    parts = {k: [] for k in ("created", "country", "op", "wave", "batch", "rows", "ua", "email")}
    batch_op: list[int] = []
    batch_start: list[int] = []
    for o, c in enumerate(cfg.campaigns):
        n = c.accounts
        t = cfg.tactics[o]
        wave_times = np.sort(rng.uniform(start - c.first_wave_days * DAY, start + c.last_wave_days * DAY, c.waves))
        wave = np.sort(rng.integers(0, c.waves, n))
        jitter = np.clip(rng.normal(0, 1.5 * HOUR, n), -4 * HOUR, 4 * HOUR)
        cr = (wave_times[wave] + jitter).astype(np.int64)
        if t.creation == "burst":  # all within one week
            first = start - rng.uniform(0, 20) * DAY
            cr = np.sort(first + rng.random(n) * 7 * DAY).astype(np.int64)
        elif t.creation == "trickle":  # steadily, over two months
            cr = np.sort(start - 40 * DAY + rng.random(n) * 60 * DAY).astype(np.int64)
        b0 = len(batch_op)
        if t.heads:  # heads: accounts created one after another form one head
            b_local = (np.arange(n) * t.heads) // n
            last = np.maximum.reduceat(cr, np.flatnonzero(np.r_[True, b_local[1:] != b_local[:-1]]))
            for h in range(int(b_local.max()) + 1):
                batch_op.append(o)
                batch_start.append(int(max(start, last[h] + rng.uniform(1, 12) * HOUR)))
        else:
            # batches: consecutive accounts of one wave, batch_size at a time
            local = np.zeros(n, np.int64)
            for w in range(c.waves):
                m = wave == w
                local[m] = np.arange(int(m.sum())) // c.batch_size
            key = wave * 100_000 + local
            uniq, b_local = np.unique(key, return_inverse=True)
            for u in uniq.tolist():
                w = u // 100_000
                batch_op.append(o)
                batch_start.append(int(max(start, wave_times[w] + rng.uniform(4, 24) * HOUR)))
        w_rows = rng.lognormal(0.0, 0.4, n)
        r = np.maximum(10, np.round(w_rows / w_rows.sum() * c.exchanges)).astype(np.int64)
        # a few scripted agents per operator: two common SDK builds and its own rare build
        ua_opts = np.array([first_sdk + 2 * o, first_sdk + 2 * o + 1, first_op_ua + o])
        parts["created"].append(cr)
        parts["country"].append(rng.choice(len(ident.COUNTRIES), size=n, p=ident.COUNTRY_WEIGHTS))
        parts["op"].append(np.full(n, o, np.int8))
        parts["wave"].append(wave.astype(np.int32))
        parts["batch"].append((b0 + b_local).astype(np.int32))
        parts["rows"].append(r)
        ua_pick = ua_opts[rng.choice(3, size=n, p=[0.2, 0.2, 0.6])].astype(np.int64)
        if t.agent == "common_sdk":  # the SDK build ordinary integrators send too
            ua_pick[:] = first_sdk
        parts["ua"].append(ua_pick)
        parts["email"] += ident.pattern_emails(rng, n, ident.OPERATOR_DOMAINS[o], 0.3 if o == 2 else 0.05)
    R = sum(len(x) for x in parts["op"])

    def cat(legit: np.ndarray, ring: np.ndarray) -> np.ndarray:
        return np.concatenate([legit, ring])

    N = L + R
    perm = rng.permutation(N)
    ids = ident.account_ids(rng, N)
    neg = np.full(R, -1)
    ring_ua = np.concatenate(parts["ua"])
    all_email = email + parts["email"]
    free_start = np.concatenate([[0], np.cumsum(free_count)[:-1]])
    pop = Population(
        account_id=ids,
        created=cat(created, np.concatenate(parts["created"]))[perm],
        email=[all_email[i] for i in perm.tolist()],
        country=cat(country, np.concatenate(parts["country"]))[perm],
        org=cat(org, neg.astype(np.int32))[perm],
        household=cat(household, neg.astype(np.int32))[perm],
        op=cat(np.full(L, -1, np.int8), np.concatenate(parts["op"]))[perm],
        wave=cat(np.full(L, -1, np.int32), np.concatenate(parts["wave"]))[perm],
        batch=cat(np.full(L, -1, np.int32), np.concatenate(parts["batch"]))[perm],
        rows=cat(rows, np.concatenate(parts["rows"]))[perm],
        home=cat(home, neg)[perm], home2=cat(home2, neg)[perm],
        ua=cat(ua, ring_ua)[perm], ua2=cat(ua2, ring_ua)[perm],
        p_vpn=cat(p_vpn, np.zeros(R))[perm], p_mobile=cat(p_mobile, np.zeros(R))[perm],
        p_proxy=cat(p_proxy, np.zeros(R))[perm],
        private_prompt=cat(private_prompt, neg)[perm], sched_minute=cat(sched, neg.astype(np.int32))[perm],
        free_start=cat(free_start, np.zeros(R, np.int64))[perm], free_count=cat(free_count, np.zeros(R, np.int64))[perm],
        orgs=orgs, batch_op=np.array(batch_op, np.int64), batch_start=np.array(batch_start, np.int64),
    )
    return pop


def n_free_prompts(pop: Population) -> int:
    return int(pop.free_count.sum())
