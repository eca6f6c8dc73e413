"""The scenario simulator: legitimate traffic with its look-alikes, plus three operator campaigns."""

from linkage.simulate.config import VARIANTS
from linkage.simulate.scenario import SimulationSummary, simulate
from linkage.simulate.writers import FORMATS

__all__ = ["FORMATS", "VARIANTS", "SimulationSummary", "simulate"]
