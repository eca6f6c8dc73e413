// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (a:Account)-[r:USED_AGENT]->(x:UserAgent)
RETURN a.account_id AS account_id, x.ua_id AS ua_id, r.requests AS requests,
       r.first_seen.epochSeconds * 1000000 + r.first_seen.microsecond AS first_seen,
       r.last_seen.epochSeconds * 1000000 + r.last_seen.microsecond AS last_seen
