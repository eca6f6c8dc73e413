UNWIND $rows AS row
MERGE (f:PromptFingerprint {fingerprint: row.fingerprint})
SET f.simhash = coalesce(row.simhash, f.simhash),
    f.capability = coalesce(row.capability, f.capability)
