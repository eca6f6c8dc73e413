"""The scenario's numbers: how big everything is at a given scale, and what each variant changes.

`--scale 1.0` is the public case: three campaigns of about 150 thousand, 3.4 million
and 13 million exchanges on 400 / 5,600 / 18,000 accounts, beside 500,000 legitimate
accounts whose traffic brings the total past 36 million request rows. Everything
scales linearly, with floors so that a tiny demo still has a crowd to hide in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from linkage.simulate.tactics import Tactics, draw_tactics

GENERATOR_VERSION = "linkage-sim/1.2"  # 1.1: template scope (tactics.TEMPLATE_SCOPES); 1.2: popular phrasings 3 %
VARIANTS = ("baseline", "camouflage", "shared-proxies", "no-payment-sharing", "hard", "drawn")

# The observed window of logs, and the release the campaigns chase.
SPAN_START = datetime(2026, 2, 1, tzinfo=timezone.utc)
SPAN_END = datetime(2026, 3, 1, tzinfo=timezone.utc)
MODEL_RELEASE = datetime(2026, 2, 15, 17, 0, tzinfo=timezone.utc)
OLD_MODEL = "atlas-3"
NEW_MODEL = "atlas-4"
SIDE_MODELS = ("atlas-3-mini", "atlas-3-vision")


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


@dataclass(frozen=True)
class CampaignSpec:
    """One operator: how many accounts, how many exchanges, how it works."""

    name: str  # ring id in truth.csv: an opaque label, never written into the contract tables
    accounts: int
    exchanges: int
    waves: int  # bursts of account creation
    batch_size: int  # accounts that fire together
    accounts_per_card: tuple[int, int]  # low, high
    n_templates: int
    first_wave_days: float  # days before SPAN_START of the first creation wave (negative: after)
    last_wave_days: float  # days after SPAN_START of the last creation wave
    shift_lag_hours: float  # hours after MODEL_RELEASE when the operator switches models


@dataclass(frozen=True)
class ScenarioConfig:
    scale: float
    seed: int
    variant: str
    legit_accounts: int
    legit_rows: int
    campaigns: tuple[CampaignSpec, ...]
    raw_prompt_fraction: float  # share of request rows that carry the raw prompt text
    cover_fraction: float  # share of ring traffic that is cover (camouflage)
    legit_proxy_users: float  # share of legit accounts that use the operators' proxy providers
    legit_proxy_share: float  # share of those users' traffic that goes through such proxies
    card_per_ring_account: bool
    pool_ips: dict[str, int] = field(default_factory=dict)  # provider -> pool size
    tactics: tuple[Tactics, ...] = ()  # per campaign (see tactics.py)

    @property
    def ring_accounts(self) -> int:
        return sum(c.accounts for c in self.campaigns)

    @property
    def campaign_rows(self) -> int:
        return sum(c.exchanges for c in self.campaigns)


def _scaled(x: float, scale: float, floor: int) -> int:
    return max(floor, int(round(x * scale)))


def build_config(scale: float, seed: int, variant: str = "baseline") -> ScenarioConfig:
    """The scenario's sizes and knobs for one scale and variant."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if not scale > 0:
        raise ValueError("scale must be positive")
    drawn = variant == "drawn"
    camouflage = variant in ("camouflage", "hard")
    shared = variant in ("shared-proxies", "hard")
    no_cards = variant in ("no-payment-sharing", "hard")

    def campaign(name: str, accounts: float, exchanges: float, **kw: object) -> CampaignSpec:
        n = _scaled(accounts, scale, 30)
        # a small operator runs fewer creation waves: each wave still fills whole batches
        kw["waves"] = max(2, min(int(kw["waves"]), n // 15))
        # a floor on volume per account too: an operator's account is always a heavy user
        return CampaignSpec(name=name, accounts=n, exchanges=max(n * 60, int(round(exchanges * scale))), **kw)

    campaigns = (
        campaign("ring-1", 400, 150_000, waves=3, batch_size=20, accounts_per_card=(20, 60),
                 n_templates=8, first_wave_days=25, last_wave_days=3, shift_lag_hours=5.0),
        campaign("ring-2", 5_600, 3_400_000, waves=8, batch_size=40, accounts_per_card=(50, 150),
                 n_templates=18, first_wave_days=40, last_wave_days=12, shift_lag_hours=11.0),
        campaign("ring-3", 18_000, 13_000_000, waves=20, batch_size=60, accounts_per_card=(100, 300),
                 n_templates=35, first_wave_days=20, last_wave_days=20, shift_lag_hours=19.0),
    )
    legit = _scaled(500_000, scale, 2_000)
    pool = {
        "Resiflow": _scaled(60_000, scale, 600),
        "HomeRoute": _scaled(150_000, scale, 1_500),
        "Peerlink": _scaled(40_000, scale, 400),
        "RackEdge": _scaled(64, scale, 4) * 256,  # /24 blocks
        "CloudHop": _scaled(32, scale, 2) * 256,
        "unlisted-dc": _scaled(8, scale, 2) * 256,
    }
    if drawn:  # each operator's tactics from the tactic space, by seed (not by the data's rng streams)
        trng = np.random.default_rng([seed, 0x7AC71C5])
        srng = np.random.default_rng([seed, 0x7E3F1A7])
        tactics = tuple(draw_tactics(trng, c.accounts, srng) for c in campaigns)
    else:
        tactics = tuple(Tactics(cards="per_account" if no_cards else "pooled",
                                cover=0.4 if camouflage else 0.0) for _ in campaigns)
    return ScenarioConfig(
        scale=scale, seed=seed, variant=variant,
        legit_accounts=legit,
        legit_rows=max(legit * 25, int(round(20_000_000 * scale))),
        campaigns=campaigns,
        raw_prompt_fraction=1.0,  # raw text on every request, like a real log
        cover_fraction=0.4 if camouflage else 0.0,
        legit_proxy_users=0.25 if shared else 0.03,
        legit_proxy_share=0.6 if shared else 0.2,
        card_per_ring_account=no_cards,
        pool_ips=pool,
        tactics=tactics,
    )
