// Everything out of the graph, in batches (one transaction each; runs as an auto-commit query).
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
