// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (a:Account)-[r:SENT_FAMILY]->(x:PromptFamily)
RETURN a.account_id AS account_id, x.family_id AS family_id, r.count AS count,
       r.first_seen.epochSeconds * 1000000 + r.first_seen.microsecond AS first_seen,
       r.last_seen.epochSeconds * 1000000 + r.last_seen.microsecond AS last_seen
