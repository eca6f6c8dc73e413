MATCH (b:AppliedBatch {batch_id: $batch_id})
RETURN b.batch_id AS batch_id
