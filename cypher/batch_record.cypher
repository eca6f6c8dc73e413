// Written in the same transaction as the batch itself: applied and marked, or neither.
CREATE (:AppliedBatch {batch_id: $batch_id, token: $token})
