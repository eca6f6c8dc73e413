"""Evaluation: score detected rings against ground truth, beside the baselines a team would use.

`truth` loads the answer key, `metrics` scores one partition of accounts into rings,
`baselines` holds the methods Linkage is compared with, `report` runs them all and prints.
"""
