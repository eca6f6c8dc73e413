// Requests per account and short time bucket: about one row per request, far too many for
// relationships, so each account's ticks are two parallel arrays on its one TickSeries node
// (epoch microseconds, request counts). Loads append; read_tick.cypher's reader sums repeats.
UNWIND $rows AS row
WITH row.account_id AS account_id,
     collect(row.tick_start.epochSeconds * 1000000 + row.tick_start.microsecond) AS tick_us,
     collect(row.requests) AS requests
MERGE (s:TickSeries {account_id: account_id})
SET s.tick_us = coalesce(s.tick_us, []) + tick_us, s.requests = coalesce(s.requests, []) + requests
