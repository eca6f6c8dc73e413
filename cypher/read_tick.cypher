// One row per account: its ticks as arrays (unrolled and summed by the engine, rows.tick_table).
MATCH (s:TickSeries)
RETURN s.account_id AS account_id, s.tick_us AS tick_us, s.requests AS requests
