// Run after the files are recorded, in the same transaction: the load's markers go.
MATCH (p:PendingLoad {token: $token})
OPTIONAL MATCH (b:AppliedBatch {token: $token})
DELETE b, p
