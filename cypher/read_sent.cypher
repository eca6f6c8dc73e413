// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (a:Account)-[r:SENT]->(x:PromptFingerprint)
RETURN a.account_id AS account_id, x.fingerprint AS fingerprint, r.count AS count,
       r.first_seen.epochSeconds * 1000000 + r.first_seen.microsecond AS first_seen,
       r.last_seen.epochSeconds * 1000000 + r.last_seen.microsecond AS last_seen
