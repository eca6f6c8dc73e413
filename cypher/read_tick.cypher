// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (a:Account)-[r:ACTIVE_AT]->(a)
RETURN a.account_id AS account_id, r.tick_start.epochSeconds * 1000000 + r.tick_start.microsecond AS tick_start,
       r.requests AS requests
