"""How much sharing an artifact says: an IDF-like specificity per artifact, with hub rules.

Rules (all configurable through Settings):
- specificity = log(N / df) / log(N), where df is how many accounts use the artifact
  and N how many accounts there are: a card shared by 2 accounts ≈ 1, one used by
  everybody ≈ 0;
- each kind carries a weight (`KIND_WEIGHT`): a proxy provider or a user agent is weak
  evidence on its own, an IP or a card strong;
- hubs (df above max(hub_accounts, hub_fraction·N)) are damped by sqrt(cutoff/df):
  still usable — an operator's own template can be sent by its whole 18,000-account
  ring — but they link only temporal neighbours (see similarity) and count little;
- artifacts used by more than max(cutoff, hub_drop_fraction·N) accounts never link, and
  neither does anything on the allowlist (removed on load) or used by one account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.detect.inputs import KINDS, Links
from linkage.settings import Settings

# Evidence families: kinds that are not independent of each other share a family
# (a proxy is derived from the IPs), so that "several kinds agree" means several
# independent things agree.
FAMILIES = ("network", "payment", "prompt", "device", "email", "timing")
KIND_FAMILY = {"ip": 0, "proxy": 0, "payment": 1, "prompt": 2, "user_agent": 3, "email_domain": 4,
               "prompt_family": 2}  # a family is a template whatever its fill-ins: prompt evidence
TIMING = FAMILIES.index("timing")
KIND_WEIGHT = {"ip": 1.0, "proxy": 0.3, "payment": 1.0, "prompt": 1.0, "user_agent": 0.4, "email_domain": 0.6,
               "prompt_family": 1.0}


@dataclass
class Specificity:
    df: np.ndarray  # accounts per artifact
    value: np.ndarray  # specificity in [0, 1] per artifact (0 = never links)
    family: np.ndarray  # evidence family per artifact
    hub_cutoff: float


def specificity(links: Links, settings: Settings) -> Specificity:
    """Specificity of every artifact under the hub rules above."""
    n = max(2, links.n_accounts)
    df = np.bincount(links.artifact, minlength=links.n_artifacts).astype(np.int64)
    spec = np.log(n / np.maximum(df, 1)) / np.log(n)
    kind_w = np.array([KIND_WEIGHT[k] for k in KINDS])
    spec = np.clip(spec, 0.0, 1.0) * kind_w[np.maximum(links.artifact_kind, 0)]
    cutoff = max(float(settings.hub_accounts), settings.hub_fraction * n)
    hub = df > cutoff
    spec[hub] *= np.sqrt(cutoff / df[hub])
    spec[(df < 2) | (df > max(cutoff, settings.hub_drop_fraction * n))] = 0.0
    family = np.array([KIND_FAMILY[k] for k in KINDS], np.int8)[np.maximum(links.artifact_kind, 0)]
    return Specificity(df=df, value=spec, family=family, hub_cutoff=cutoff)
