"""Linkage: turns API logs into an account-linkage graph and finds the operator rings in it."""

__version__ = "0.1.0"
