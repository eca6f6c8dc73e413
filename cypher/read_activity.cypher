// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (a:Account)-[r:ACTIVE_IN]->(m:Model)
RETURN a.account_id AS account_id, r.hour.epochSeconds * 1000000 + r.hour.microsecond AS hour, m.model AS model,
       r.requests AS requests, r.tokens_in AS tokens_in, r.tokens_out AS tokens_out
