"""The operators' tactic space: what each operator does, drawn per operator from a seed.

The fixed variants (baseline, camouflage, …) keep the three campaigns of the public
case as they were. The `drawn` variant draws every operator's tactics from the space
below instead, so that detection is developed on some draws and measured on others
(bench/heldout.py) rather than fitted to three fixed campaigns:

- proxy: `rotating` (a session's dozen exits of the operator's pools, the legacy way),
  `sticky` (each account keeps its own 1–3 residential exits from a big pool ordinary
  customers use too), `own_dc` (the operator's own datacenter ranges), `shared_pool`
  (any exit of any public pool, per request);
- cards: `pooled` (a few cards over many accounts), `per_head` (one card per head),
  `mixed` (some heads share one card, the others a virtual card per account),
  `per_account`, `none` (never pays);
- dispatch: `sessions` (a head fires together for minutes), `round_robin` (a job
  runner fans each job out over 10–40 of a head's accounts within seconds),
  `independent` (each account on its own, at human hours), `human` (slow sessions,
  spread over half an hour);
- creation: `waves` (a few bursts), `burst` (all within a week), `trickle` (steadily
  over two months);
- heads: how many groups the operator's accounts form (each head fires, pays, and is
  dispatched as one);
- templates: `operator` (every head draws its jobs from the operator's whole template
  bank), `one_job` (one job runner, one agentic template: every head sends that one
  template with random fill-ins and nothing else), `per_head` (each head its own
  templates, plus the one job template all heads send on part of their traffic);
- agent: `own_build` (the operator's rare user-agent build for most accounts) or
  `common_sdk` (one common SDK agent ordinary integrators send too);
- cover: the share of traffic that looks like anybody's (camouflage);
- shift_lag_hours: when it moves to a new model after a release (None: it does not).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

PROXY_MODES = ("rotating", "sticky", "own_dc", "shared_pool")
CARD_PATTERNS = ("pooled", "per_head", "mixed", "per_account", "none")
DISPATCH = ("sessions", "round_robin", "independent", "human")
CREATION = ("waves", "burst", "trickle")
AGENTS = ("own_build", "common_sdk")
TEMPLATE_SCOPES = ("operator", "one_job", "per_head")


@dataclass(frozen=True)
class Tactics:
    proxy: str = "rotating"
    cards: str = "pooled"
    dispatch: str = "sessions"
    creation: str = "waves"
    heads: int = 0  # 0: the campaign's own batches (batch_size accounts each)
    agent: str = "own_build"
    cover: float = 0.0
    shift_lag_hours: float | None = None  # None: the campaign's own lag
    shift: bool = True
    templates: str = "operator"

    def describe(self) -> str:
        lag = "none" if not self.shift else ("own" if self.shift_lag_hours is None else f"{self.shift_lag_hours:.0f}h")
        return (f"proxy={self.proxy} cards={self.cards} dispatch={self.dispatch} creation={self.creation} "
                f"heads={self.heads or 'batches'} templates={self.templates} agent={self.agent} cover={self.cover:.2f} shift={lag}")


def draw_tactics(rng: np.random.Generator, accounts: int,
                 scope_rng: np.random.Generator | None = None) -> Tactics:
    """One operator's tactics, drawn from the space above.

    The template scope is drawn from `scope_rng` when given (default: `rng`): the scope was
    added to the space later, and its own stream leaves every other draw of a seed as it was.

    Every draw leaves at least three kinds of operator-wide evidence (see `unavoidable`), so
    that leaving any one out in an ablation still leaves two: an operator running thousands
    of accounts shares *something*.
    """
    while True:
        heads = int(np.clip(round(accounts / rng.uniform(15, 80)), 1, 200))
        t = Tactics(
            proxy=str(rng.choice(PROXY_MODES)), cards=str(rng.choice(CARD_PATTERNS)),
            dispatch=str(rng.choice(DISPATCH, p=[0.3, 0.35, 0.15, 0.2])),
            creation=str(rng.choice(CREATION)), heads=heads, agent=str(rng.choice(AGENTS)),
            cover=float(rng.choice([0.0, 0.0, 0.2, 0.4])),
            shift_lag_hours=float(rng.uniform(2, 36)), shift=bool(rng.random() < 0.75),
        )
        if len(unavoidable(t)) >= 3:
            scope = (scope_rng or rng).choice(TEMPLATE_SCOPES, p=[0.5, 0.25, 0.25])
            return replace(t, templates=str(scope))


def unavoidable(t: Tactics) -> list[str]:
    """The operator-wide evidence a tactic set still leaves (templates are always sent)."""
    out = ["templates"]
    if t.cards in ("pooled", "per_head", "mixed"):
        out.append("cards")
    if t.dispatch in ("sessions", "round_robin", "human"):
        out.append("timing")
    if t.creation in ("waves", "burst"):
        out.append("creation")
    if t.shift:
        out.append("release")
    if t.proxy in ("rotating", "own_dc"):
        out.append("network")
    return out
