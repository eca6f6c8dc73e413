MATCH (a:Account)-[r:SENT]->(x:PromptFingerprint)
RETURN a.account_id AS account_id, x.fingerprint AS fingerprint, r.count AS count,
       r.first_seen AS first_seen, r.last_seen AS last_seen
