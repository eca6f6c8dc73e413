"""Indicator sharing: the artifacts of chosen rings as a STIX 2.1 bundle (OASIS `stix2`).

`selection` picks the rings and the artifacts worth sharing (specific to the ring, never
what ordinary users share too), `patterns` turns each artifact into a STIX pattern, and
`bundle` builds the bundle: a producer identity, an indicator per artifact, an
intrusion-set per ring, `indicates` relationships, TLP marking on every object.
"""

from linkage.indicators.bundle import build_bundle

__all__ = ["build_bundle"]
